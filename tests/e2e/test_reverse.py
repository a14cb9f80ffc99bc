"""Matching both ways over the real broker and Redis: a company's new posting reaches the citizens it
fits without anyone asking for a re-match, and rankings keep themselves current."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from shared.settings import CommonSettings
from tests.conftest import InfraHandle
from tests.e2e.stack import Stack, running_stack, smtp_server
from tests.helpers import bearer, eventually, read_topic
from tests.samples import opportunity_payload, profile_payload

pytestmark = pytest.mark.e2e

CLEANER: dict[str, Any] = {
    "previous_jobs": [{"title": "rengøringsassistent", "years": 3}],
    "skills": [{"text": "rengøring"}, {"text": "køkken"}],
}
DRIVER: dict[str, Any] = {
    "previous_jobs": [{"title": "lastbilchauffør", "years": 6}],
    "skills": [{"text": "kørsel"}],
    "interests": [],
}
CW = bearer("caseworker", "cw-reverse", "316")
ADMIN = bearer("admin", "admin-reverse")


class World:
    def __init__(self, client: httpx.AsyncClient, stack: Stack) -> None:
        self.client, self.stack = client, stack

    async def citizen(self, **overrides: Any) -> str:
        r = await self.client.post("/v1/citizens", json=profile_payload(**overrides), headers=CW)
        assert r.status_code == 202, r.text
        citizen_id: str = r.json()["citizen_id"]
        await self.view(citizen_id, lambda body: body["status"] == "ready", "a first ranking")
        return citizen_id

    async def view(self, citizen_id: str, ok: Any, what: str) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            body: dict[str, Any] = (await self.client.get(f"/v1/citizens/{citizen_id}/proposals", headers=CW)).json()
            return body if ok(body) else None

        return await eventually(probe, 30, f"{what} for {citizen_id}")

    async def candidates(self, opportunity_id: str, ok: Any, what: str) -> list[dict[str, Any]]:
        async def probe() -> list[dict[str, Any]] | None:
            r = await self.client.get(f"/v1/opportunities/{opportunity_id}/candidates", headers=ADMIN)
            found: list[dict[str, Any]] = r.json()["candidates"]
            return found if ok(found) else None

        return await eventually(probe, 30, what)

    async def counter(self, name: str, at_least: int) -> int:
        async def probe() -> int | None:
            value = int((await self.stack.matcher_stats()).get(name, 0))
            return value if value >= at_least else None

        return await eventually(probe, 30, f"matcher counter {name} ≥ {at_least}")


@contextlib.asynccontextmanager
async def quick_world(infra: InfraHandle, common: CommonSettings) -> AsyncIterator[World]:
    """The whole stack with short reverse-matching windows, and a client for it."""
    async with (
        smtp_server() as (_, smtp_port),
        running_stack(infra, common, smtp_port, matcher={"reverse_batch_s": 0.2, "reverse_settle_s": 0.3}) as stack,
        httpx.AsyncClient(base_url=stack.api, timeout=10) as client,
    ):
        yield World(client, stack)


def proposed(body: dict[str, Any], opportunity_id: str) -> bool:
    return any(p["opportunity_id"] == opportunity_id for p in body["proposals"])


def state_of(body: dict[str, Any], opportunity_id: str) -> set[str]:
    return {e["state"] for e in body["lifecycle"] if e["opportunity_id"] == opportunity_id}


async def open_holds(infra: InfraHandle, common: CommonSettings, opportunity_id: str) -> int:
    redis = Redis.from_url(infra.redis_url)
    try:
        return int(await redis.zcard(f"{common.namespace}matcher:capacity:{opportunity_id}"))
    finally:
        await redis.aclose()


async def test_a_new_posting_reaches_the_citizens_it_fits_and_keeps_up_with_updates_and_withdrawal(
    infra: InfraHandle, common: CommonSettings
) -> None:
    async with quick_world(infra, common) as w:
        client = w.client
        first, second = await w.citizen(**CLEANER), await w.citizen(**CLEANER)
        driver = await w.citizen(**DRIVER)

        # The company posts; nobody asks for a re-match.
        r = await client.post("/v1/opportunities", json=opportunity_payload(capacity=1), headers=ADMIN)
        assert r.status_code == 202, r.text
        job = r.json()["opportunity_id"]
        found = await w.candidates(job, lambda c: len(c) == 2, "the two cleaners as candidates")
        assert len({c["pseudonym"] for c in found}) == 2
        for citizen_id in (first, second):
            body = await w.view(citizen_id, lambda b: proposed(b, job), "the new posting")
            assert state_of(body, job) <= {"proposed", "approved"}
        assert not proposed((await client.get(f"/v1/citizens/{driver}/proposals", headers=CW)).json(), job)
        assert await open_holds(infra, common, job) == 2

        # The posting changes so that it no longer fits anyone: its proposals are retracted, its places freed.
        changed = opportunity_payload(capacity=1, min_danish_level="C2")
        assert (await client.put(f"/v1/opportunities/{job}", json=changed, headers=ADMIN)).status_code == 202
        for citizen_id in (first, second):
            body = await w.view(citizen_id, lambda b: not proposed(b, job), "the changed posting to leave")
            await w.view(citizen_id, lambda b: state_of(b, job) == {"retracted"}, "the retraction")
        await eventually(lambda: _zero(infra, common, job), 20, "the freed places")

        # Changed back: matched again as a new event, without any re-match call.
        assert (
            await client.put(f"/v1/opportunities/{job}", json=opportunity_payload(capacity=1), headers=ADMIN)
        ).status_code == 202
        for citizen_id in (first, second):
            await w.view(citizen_id, lambda b: proposed(b, job), "the posting again")

        # Withdrawn: its open proposals are retracted and its places freed.
        assert (await client.delete(f"/v1/opportunities/{job}", headers=ADMIN)).status_code == 202
        for citizen_id in (first, second):
            await w.view(
                citizen_id,
                lambda b: all(e["state"] == "retracted" for e in b["lifecycle"] if e["opportunity_id"] == job),
                "the withdrawal",
            )
        await eventually(lambda: _zero(infra, common, job), 20, "the withdrawn posting's places")


async def _zero(infra: InfraHandle, common: CommonSettings, opportunity_id: str) -> bool:
    return await open_holds(infra, common, opportunity_id) == 0


async def test_a_profile_update_re_ranks_retracts_what_no_longer_fits_and_an_unchanged_one_sends_nothing(
    infra: InfraHandle, common: CommonSettings
) -> None:
    async with (
        smtp_server() as (_, smtp_port),
        running_stack(infra, common, smtp_port) as stack,
        httpx.AsyncClient(base_url=stack.api, timeout=10) as client,
    ):
        w = World(client, stack)
        r = await client.post("/v1/opportunities", json=opportunity_payload(capacity=2), headers=ADMIN)
        job = r.json()["opportunity_id"]
        await eventually(lambda: _catalogue(stack), 20, "the catalogue")
        payload = profile_payload(**CLEANER)
        r = await client.post("/v1/citizens", json=payload, headers=CW)
        citizen_id = r.json()["citizen_id"]
        before = await w.view(citizen_id, lambda b: proposed(b, job), "a first ranking with the job")

        # The same profile again: re-ranked, unchanged, nothing sent.
        sent = int((await stack.matcher_stats()).get("rankings_sent", 0))
        assert (await client.put(f"/v1/citizens/{citizen_id}", json=payload, headers=CW)).status_code == 202
        await w.counter("rankings_unchanged", 1)
        assert int((await stack.matcher_stats()).get("rankings_sent", 0)) == sent
        again = (await client.get(f"/v1/citizens/{citizen_id}/proposals", headers=CW)).json()
        assert again["match_event_id"] == before["match_event_id"]
        proposals = [
            json.loads(v)
            for k, v in read_topic(infra.kafka_bootstrap, common.topics.proposals)
            if k is not None and k.decode() == citizen_id
        ]
        assert len(proposals) == 1

        # A new profile (a lorry driver now): re-ranked, and the cleaning job is retracted.
        new = {**payload, **DRIVER}
        assert (await client.put(f"/v1/citizens/{citizen_id}", json=new, headers=CW)).status_code == 202
        await w.view(citizen_id, lambda b: not proposed(b, job), "a re-ranking without the job")
        await w.view(citizen_id, lambda b: state_of(b, job) == {"retracted"}, "the job's retraction")
        await eventually(lambda: _zero(infra, common, job), 20, "the freed place")


WAREHOUSE: dict[str, Any] = {"previous_jobs": [{"title": "lagerarbejder", "years": 2}], "skills": [{"text": "pakning"}]}


async def test_a_new_course_reaches_the_citizen_whose_near_miss_job_needs_the_certificate_it_grants(
    infra: InfraHandle, common: CommonSettings
) -> None:
    async with quick_world(infra, common) as w:
        client, stack = w.client, w.stack
        job = opportunity_payload(
            title="Lagermedarbejder",
            occupation_text="lagerarbejder",
            skills=["pakning"],
            required_certificates=["forklift"],
        )
        r = await client.post("/v1/opportunities", json=job, headers=ADMIN)
        job_id = r.json()["opportunity_id"]
        await eventually(lambda: _catalogue(stack), 20, "the catalogue")
        near, cleaner = await w.citizen(**WAREHOUSE), await w.citizen(**CLEANER)
        first = (await client.get(f"/v1/citizens/{near}/proposals", headers=CW)).json()
        assert not proposed(first, job_id)  # kept from the job only by the forklift certificate
        before = int((await stack.matcher_stats()).get("reverse_proposals", 0))

        # A school posts a forklift course; nobody asks for a re-match.
        course = opportunity_payload(
            kind="education_step",
            owner={"type": "education_provider", "name": "AMU Vest (demo)"},
            title="Truckcertifikat (AMU)",
            occupation_text=None,
            skills=[],
            education={"education_type": "AMU", "grants_certificates": ["forklift"]},
            capacity=3,
        )
        r = await client.post("/v1/opportunities", json=course, headers=ADMIN)
        assert r.status_code == 202, r.text
        course_id = r.json()["opportunity_id"]
        body = await w.view(near, lambda b: proposed(b, course_id), "the course that opens the job")
        offered = next(p for p in body["proposals"] if p["opportunity_id"] == course_id)
        assert offered["reasons"]["rule"] == "closes_skill_gap"
        assert offered["reasons"]["closes_gap_for"] == [job_id]
        await w.counter("reverse_proposals", before + 1)
        found = await w.candidates(course_id, lambda c: len(c) >= 1, "the course's candidate")
        # Everything this course's matching sent is in: one proposal, to the warehouse worker alone.
        assert int((await stack.matcher_stats())["reverse_proposals"]) == before + 1
        assert len(found) == 1
        assert not proposed((await client.get(f"/v1/citizens/{cleaner}/proposals", headers=CW)).json(), course_id)


async def _catalogue(stack: Stack) -> bool:
    return bool((await stack.matcher_stats())["catalogue_size"] >= 1)


NO_ASSOCIATIONS = {
    "ordinary_job": True,
    "language_placement": True,
    "education_step": True,
    "association_activity": False,
}


def club_payload(title: str) -> dict[str, Any]:
    return opportunity_payload(
        kind="association_activity",
        owner={"type": "association", "association_id": f"klub-{uuid.uuid4().hex[:8]}", "name": "Holbæk IF"},
        title=title,
        occupation_text=None,
        skills=[],
        min_danish_level=None,
        association={"activity_type": "sports", "language_friendly": True},
        capacity=1,
    )


def listed(body: dict[str, Any], opportunity_id: str) -> bool:
    return any(a["opportunity_id"] == opportunity_id for a in body["associations"])


async def test_a_new_association_activity_reaches_fans_with_consent_bounded_by_its_places_and_no_one_else(
    infra: InfraHandle, common: CommonSettings
) -> None:
    async with (
        smtp_server() as (_, smtp_port),
        running_stack(
            infra,
            common,
            smtp_port,
            matcher={"reverse_batch_s": 0.2, "reverse_settle_s": 0.3, "capacity_per_place": 2},
        ) as stack,
        httpx.AsyncClient(base_url=stack.api, timeout=10) as client,
    ):
        w = World(client, stack)
        fans = [await w.citizen(interests=["fodbold"]) for _ in range(3)]
        knitter = await w.citizen(interests=["strikning"])
        no_consent = await w.citizen(interests=["fodbold"], consent=NO_ASSOCIATIONS)

        # The association registers an activity; nobody asks for a re-match.
        payload = club_payload("Fodbold for alle")
        r = await client.post("/v1/opportunities", json=payload, headers=ADMIN)
        assert r.status_code == 202, r.text
        club = r.json()["opportunity_id"]
        await w.counter("reverse_associations", 2)
        # A second activity nobody's interests fit: once its batch starts, the first one's is finished.
        r = await client.post("/v1/opportunities", json=club_payload("Skakklub"), headers=ADMIN)
        await w.counter("reverse_batches", 2)
        assert int((await stack.matcher_stats())["reverse_associations"]) == 2  # 1 place × 2 per place

        views = {c: (await client.get(f"/v1/citizens/{c}/proposals", headers=CW)).json() for c in fans}
        reached = [c for c in fans if listed(views[c], club)]
        assert len(reached) == 2
        for citizen_id in reached:
            body = views[citizen_id]
            assert not proposed(body, club)  # in the associations list, not the proposals
            [entry] = [a for a in body["associations"] if a["opportunity_id"] == club]
            assert entry["reasons"]["matched_skills"] == ["fodbold"]
            # Tracked by intake like a ranking's association: auto-approved by the municipality's default.
            await w.view(citizen_id, lambda b: state_of(b, club) & {"approved", "offered"}, "the auto-approval")
            assert "proposed" not in state_of(await w.view(citizen_id, lambda b: True, "the view"), club)
        for citizen_id in (knitter, no_consent):
            body = (await client.get(f"/v1/citizens/{citizen_id}/proposals", headers=CW)).json()
            assert not listed(body, club) and not state_of(body, club)
        assert await open_holds(infra, common, club) == 0  # an activity holds no place in the ledger
        # The association hears of nobody before a yes (the interest itself can be sensitive).
        r = await client.get(f"/v1/opportunities/{club}/candidates", headers=ADMIN)
        assert r.status_code == 200 and r.json()["candidates"] == []

        # Updated to women-only, which none of them asked for: it leaves their lists and is retracted.
        women_only = {**payload, "association": {**payload["association"], "women_only": True}}
        assert (await client.put(f"/v1/opportunities/{club}", json=women_only, headers=ADMIN)).status_code == 202
        for citizen_id in reached:
            await w.view(citizen_id, lambda b: not listed(b, club), "the changed activity to leave the list")
            await w.view(citizen_id, lambda b: state_of(b, club) == {"retracted"}, "the retraction")
