"""The demo's past: invented citizens of Holbæk's integration programme and what happened to them before
Brobygger, so the KPI report shows figures instead of "<5".

Everyone here is fictional ("Fiktiv borger 001" …), made from a fixed seed and today's date, so the same day
gives the same demo. Each is registered through the intake API like any citizen (programme start, Danish
tests, the audit-only gender and origin group). They want no new proposals (no consent), so they hold no
place the demo's own citizens need, and the report's "proposals made" and "accepted" stay Brobygger's own.
What happened before (jobs and placements started and ended, association activities joined, employment
follow-ups) is written the way intake writes its own lifecycle events: sealed with the citizen's key, on the
citizens topic, dated when it happened. Those records name past opportunities no longer in the catalogue.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from kafka import KafkaProducer
from redis.asyncio import Redis

from brobygger.demo import DEMO_SUBJECT, post
from brobygger.token import mint
from shared.contracts import EmploymentFollowUpRecorded, Event, OpportunityKind, ProposalTransitioned
from shared.crypto import KeyRing, KeySettings, KeyStore
from shared.messaging import event_headers
from shared.settings import CommonSettings, RedisSettings

#: The report's main indicators (rows of `services.intake.domain.kpi`) this past gives a figure, not "<5".
MAIN_KPIS = (
    "citizens",
    "job_started",
    "placement_started",
    "association_joined",
    "followed_12",
    "employed_12",
    "danish_within_5",
    "in_work_3_years",
)
SEED = 316_2020
PEOPLE = 200
NAMESPACE = uuid.UUID("5d1f2c4e-8a57-4b1e-9a51-3b6c0c3d7f16")
ACTOR = "caseworker-demo"  # the demo caseworker's token subject
GENDERS = (("female", 45), ("male", 45), ("other", 3), ("undisclosed", 7))
ORIGINS = (
    ("refugee", 40),
    ("family_reunified", 25),
    ("eu", 10),
    ("western_non_eu", 6),
    ("non_western", 14),
    ("undisclosed", 5),
)


@dataclass(frozen=True)
class Step:
    kind: OpportunityKind
    to_state: Literal["started", "ended"]
    on: dt.date
    opportunity: int
    outcome: Literal["hired", "completed", "dropped_out"] | None = None


@dataclass(frozen=True)
class FollowUp:
    months: Literal[3, 6, 12]
    employed: bool
    started_on: dt.date
    on: dt.date


@dataclass
class Past:
    """One invented citizen: the profile to register, and what happened before."""

    n: int
    profile: dict[str, Any]
    steps: list[Step] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([k for k, _ in weighted], weights=[w for _, w in weighted])[0]


def _day_between(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _months_after(day: dt.date, months: int) -> dt.date:
    return day + dt.timedelta(days=round(months * 30.44))


def history(today: dt.date | None = None, people: int = PEOPLE) -> list[Past]:
    """The invented past, the same for the same day."""
    today = today or dt.date.today()
    rng = random.Random(SEED)
    year_start = dt.date(today.year, 1, 1)
    recent = today - dt.timedelta(days=14)
    out: list[Past] = []
    for n in range(1, people + 1):
        start = _day_between(rng, today - dt.timedelta(days=6 * 365), today - dt.timedelta(days=120))
        years_in = (today - start).days / 365.25
        tests = []
        if years_in > 1 and rng.random() < 0.75:
            taken = _day_between(rng, start + dt.timedelta(days=300), min(today, start + dt.timedelta(days=1700)))
            test = rng.choice(["PD2", "PD2", "PD3", "studieproeve"])
            tests.append({"test": test, "date": taken.isoformat(), "passed": True})
        elif years_in > 1 and rng.random() < 0.4:
            tests.append({"test": "PD2", "date": (start + dt.timedelta(days=400)).isoformat(), "passed": False})
        past = Past(n, _profile(rng, n, start, tests))
        # A job: for a good half of those three years or more in the programme, and some newer ones.
        if rng.random() < (0.65 if years_in >= 3 else 0.55 if years_in >= 1 else 0.25):
            if years_in >= 3 and rng.random() < 0.6:
                job_start = _day_between(rng, start + dt.timedelta(days=200), start + dt.timedelta(days=1050))
            else:
                earliest = max(start + dt.timedelta(days=60), year_start - dt.timedelta(days=370))
                job_start = _day_between(rng, earliest, recent)
            _job(rng, past, job_start, today, year_start)
        if rng.random() < 0.35:
            place_start = _day_between(rng, max(start + dt.timedelta(days=30), year_start), recent)
            _placement(rng, past, place_start, today)
        if rng.random() < 0.3:
            joined = _day_between(rng, max(start, year_start), recent)
            opp = rng.randrange(1, 20)
            past.steps.append(Step(OpportunityKind.ASSOCIATION_ACTIVITY, "started", joined, opp))
        out.append(past)
    return out


def _profile(rng: random.Random, n: int, start: dt.date, tests: list[dict[str, Any]]) -> dict[str, Any]:
    level = rng.choice(["A1", "A2", "A2", "B1", "B1", "B2"])
    return {
        "personal": {"name": f"Fiktiv borger {n:03d}", "email": f"fiktiv-{n:03d}@example.org"},
        "municipality_code": "316",
        "home_postcode": "4300",
        "home_town": "Holbæk",
        "danish": {"course": rng.choice(["DU1", "DU2", "DU3"]), "level": level},
        "availability": {"hours_per_week": rng.choice([15, 20, 25, 30, 37])},
        "transport": {"bike": True, "public_transport": True, "max_commute_minutes": 45},
        "consent": {
            "ordinary_job": False,
            "language_placement": False,
            "education_step": False,
            "association_activity": False,
        },
        "interests": [rng.choice(["fodbold", "strikning", "madlavning", "løb", "havearbejde"])],
        "preferred_language": "da",
        "programme_start": start.isoformat(),
        "danish_tests": tests,
        "audit": {
            "gender": _pick(rng, GENDERS),
            "origin_group": _pick(rng, ORIGINS),
            "age_band": rng.choice(["18-24", "25-29", "30-39", "40-49", "50-64"]),
        },
    }


def _job(rng: random.Random, past: Past, begun: dt.date, today: dt.date, year_start: dt.date) -> None:
    opp = rng.randrange(1, 60)
    kind = OpportunityKind.ORDINARY_JOB
    past.steps.append(Step(kind, "started", begun, opp))
    employed = True
    for months, keeps in ((3, 0.78), (6, 0.8), (12, 0.85)):
        due = _months_after(begun, months)
        if due > today:
            break
        employed = employed and rng.random() < keeps
        if due >= year_start:  # the follow-ups of earlier years were kept on paper
            past.follow_ups.append(FollowUp(months, employed, begun, due))  # type: ignore[arg-type]


def _placement(rng: random.Random, past: Past, begun: dt.date, today: dt.date) -> None:
    opp = 100 + rng.randrange(1, 30)
    kind = OpportunityKind.LANGUAGE_PLACEMENT
    past.steps.append(Step(kind, "started", begun, opp))
    ends = begun + dt.timedelta(weeks=13)
    if ends <= today:
        outcome = rng.choices(["hired", "completed", "dropped_out"], weights=[30, 55, 15])[0]
        past.steps.append(Step(kind, "ended", ends, opp, outcome))  # type: ignore[arg-type]


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=dt.UTC)


def events(past: Past, citizen_id: uuid.UUID) -> list[Event]:
    """The lifecycle steps and follow-ups as intake writes them (before sealing), with stable ids."""
    out: list[Event] = []
    before = {"started": "interested", "ended": "started"}
    action = {"started": "start", "ended": "end"}
    for i, s in enumerate(past.steps):
        proposal = uuid.uuid5(NAMESPACE, f"{citizen_id}:{s.kind.value}:{s.opportunity}")
        out.append(
            ProposalTransitioned(
                event_id=uuid.uuid5(NAMESPACE, f"{citizen_id}:step:{i}"),
                occurred_at=_at(s.on),
                correlation_id=f"demo-history-{past.n:03d}",
                citizen_id=citizen_id,
                proposal_id=proposal,
                opportunity_id=uuid.uuid5(NAMESPACE, f"past-opportunity:{s.kind.value}:{s.opportunity}"),
                kind=s.kind,
                action=action[s.to_state],
                from_state=before[s.to_state],
                to_state=s.to_state,
                actor_role="caseworker",
                actor_id=ACTOR,
                on_date=s.on,
                outcome=s.outcome,
                releases_capacity=s.to_state == "ended",
                commits_capacity=False,
            )
        )
    for i, f in enumerate(past.follow_ups):
        out.append(
            EmploymentFollowUpRecorded(
                event_id=uuid.uuid5(NAMESPACE, f"{citizen_id}:follow-up:{i}"),
                occurred_at=_at(f.on),
                correlation_id=f"demo-history-{past.n:03d}",
                citizen_id=citizen_id,
                started_on=f.started_on,
                months=f.months,
                employed=f.employed,
                recorded_by=ACTOR,
            )
        )
    return out


def load(api: str, env: Mapping[str, str], pasts: list[Past]) -> int:
    """Register the invented citizens and write their past; returns the number of past events written."""
    token = mint("admin", DEMO_SUBJECT, ttl_minutes=30)
    with httpx.Client(base_url=api.rstrip("/"), timeout=30, headers={"Authorization": f"Bearer {token}"}) as client:
        ids = register(client, pasts)
    return publish(env, pasts, ids)


def register(client: httpx.Client, pasts: list[Past]) -> dict[int, uuid.UUID]:
    """Register each invented citizen through the intake API, a few at a time (idempotent: a second load
    changes nothing)."""

    def one(past: Past) -> tuple[int, uuid.UUID]:
        r = post(client, "/v1/citizens", past.profile, f"demo-history-{past.n}", f"invented citizen {past.n}")
        return past.n, uuid.UUID(r.json()["citizen_id"])

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(pool.map(one, pasts))


def publish(env: Mapping[str, str], pasts: list[Past], ids: dict[int, uuid.UUID]) -> int:
    """Seal each citizen's past with their key (made by intake when it registered them) and write it to the
    citizens topic, keyed by the citizen like intake's own events. Returns the number of events."""
    common = CommonSettings(_env_file=None, **_settings(env, CommonSettings))
    redis_settings = RedisSettings(_env_file=None, **_settings(env, RedisSettings))
    ring = KeyRing.from_settings(KeySettings(_env_file=None, **_settings(env, KeySettings)), common.mode)

    async def sealed() -> list[tuple[uuid.UUID, Event]]:
        redis = Redis.from_url(redis_settings.url.get_secret_value())
        try:
            keys = KeyStore(redis, common.namespace, ring)
            return [(ids[p.n], await keys.seal_event(e)) for p in pasts for e in events(p, ids[p.n])]
        finally:
            await redis.aclose()

    records = asyncio.run(sealed())
    producer = KafkaProducer(bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"], acks="all")
    try:
        for citizen_id, event in records:
            headers = [(k, v.encode()) for k, v in event_headers(event).items()]
            producer.send(
                common.topics.citizens,
                key=str(citizen_id).encode(),
                value=event.model_dump_json().encode(),
                headers=headers,
            )
        producer.flush(timeout=30)
    finally:
        producer.close()
    return len(records)


def _settings(env: Mapping[str, str], model: Any) -> dict[str, Any]:
    """The fields of a settings class that `env` sets (its prefix, case-insensitive)."""
    prefix = str(model.model_config.get("env_prefix", "")).upper()
    out: dict[str, Any] = {}
    for name in model.model_fields:
        value = env.get(f"{prefix}{name}".upper())
        if value is not None:
            out[name] = value
    return out
