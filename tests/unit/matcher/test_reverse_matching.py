"""Reverse matching's use case with in-memory ports: a burst is one batch, each citizen gets one new
set, a redelivered batch sends nothing, and a burst adds at most top N proposals to anyone."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from services.matcher.domain.capacity import InMemoryCapacity
from services.matcher.domain.catalogue import Catalogue
from services.matcher.domain.ranking import Ranker
from services.matcher.domain.reverse import ReverseRanker
from services.matcher.handlers import MatcherDeps, to_proposal
from services.matcher.reverse import ReverseMatcher
from shared.contracts import (
    CitizenProfile,
    Event,
    KindNote,
    MatchProposed,
    Opportunity,
    OpportunityKind,
    OpportunityRegistered,
)
from shared.topics import Topics
from tests.unit.matcher.conftest import association, opportunity, profile

CLEANER = {"previous_jobs": [{"title": "rengøringsassistent", "years": 3}], "skills": [{"text": "rengøring"}]}
DRIVER = {"previous_jobs": [{"title": "lastbilchauffør", "years": 6}], "skills": [{"text": "kørsel"}]}


class Store:
    """The matcher's profile store, in memory."""

    def __init__(self, profiles: dict[uuid.UUID, CitizenProfile]) -> None:
        self.profiles = profiles
        self.current_sets: dict[uuid.UUID, tuple[Any, set[uuid.UUID]]] = {}
        self.done: set[uuid.UUID] = set()
        self.holds_of: dict[uuid.UUID, list[tuple[uuid.UUID, uuid.UUID]]] = {}

    async def citizen_ids(self) -> list[uuid.UUID]:
        return list(self.profiles)

    async def load_many(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, CitizenProfile]:
        return {c: self.profiles[c] for c in ids if c in self.profiles}

    async def load(self, citizen_id: uuid.UUID) -> CitizenProfile | None:
        return self.profiles.get(citizen_id)

    async def excluded(self, opportunity_id: uuid.UUID) -> set[uuid.UUID]:
        return await self.proposed(opportunity_id)

    async def proposed(self, opportunity_id: uuid.UUID) -> set[uuid.UUID]:
        return {
            c
            for c, (e, _) in self.current_sets.items()
            if any(p.opportunity_id == opportunity_id for p in [*e.event.proposals, *e.event.associations])
        }

    async def busy(self) -> set[uuid.UUID]:
        return set()

    async def was_processed(self, event_id: uuid.UUID) -> bool:
        return event_id in self.done

    async def mark_processed_many(self, ids: list[uuid.UUID]) -> None:
        self.done.update(ids)

    async def current(self, citizen_id: uuid.UUID) -> tuple[Any, set[uuid.UUID]]:
        found = self.current_sets.get(citizen_id)
        return (found[0], found[1]) if found else (None, set())

    async def save_current(
        self, citizen_id: uuid.UUID, sealed: Any, added: set[uuid.UUID], now: set[uuid.UUID], was: set[uuid.UUID]
    ) -> None:
        self.current_sets[citizen_id] = (sealed, added)

    async def save_holds(self, citizen_id: uuid.UUID, holds: list[tuple[uuid.UUID, uuid.UUID]]) -> None:
        self.holds_of[citizen_id] = holds


class Contest:
    """One process's contest: the best scores win, as many as there are free slots."""

    def __init__(self, capacity: InMemoryCapacity) -> None:
        self.entries: dict[uuid.UUID, dict[uuid.UUID, float]] = {}
        self.capacity = capacity

    async def submit(self, trigger: uuid.UUID, entries: list[tuple[uuid.UUID, float]], window_ms: int) -> float:
        self.entries.setdefault(trigger, {}).update(entries)
        return 0.0

    async def winners(self, trigger: uuid.UUID, opportunity_id: uuid.UUID, limit: int) -> list[tuple[uuid.UUID, float]]:
        ranked = sorted(self.entries.get(trigger, {}).items(), key=lambda e: -e[1])
        return ranked[:limit]


class Wrapped:
    """Stands in for a sealed event: the fakes keep the event inside, the real KeyStore encrypts it."""

    def __init__(self, event: Event) -> None:
        self.event = event


class Keys:
    async def open_profile(self, citizen_id: uuid.UUID, p: CitizenProfile) -> CitizenProfile:
        return p

    async def seal_event(self, event: Event) -> Any:
        return Wrapped(event)

    async def open_event(self, sealed: Any) -> Event:
        assert isinstance(sealed, Wrapped)
        return sealed.event


class Everyone:
    def stamp(self) -> object:
        return 1

    def owns(self, citizen_id: uuid.UUID) -> bool:
        return True


class Sent:
    def __init__(self, store: Store) -> None:
        self.events: list[Event] = []
        self.store = store
        self._processed: list[uuid.UUID] = []

    async def publish(self, topic: str, key: str, event: Event) -> None:
        assert isinstance(event, Wrapped)
        self.events.append(event.event)

    def processed(self, event_id: uuid.UUID) -> None:
        self._processed.append(event_id)


@pytest.fixture(scope="module")
def reverse_ranker(ranker: Ranker) -> ReverseRanker:
    return ReverseRanker(ranker)


def world(reverse_ranker: ReverseRanker, people: dict[uuid.UUID, CitizenProfile], top_n: int = 10) -> Any:
    capacity = InMemoryCapacity(per_place=3)
    store = Store(people)
    sent = Sent(store)

    keys = Keys()
    ready = asyncio.Event()
    ready.set()
    deps = MatcherDeps(
        catalogue=Catalogue(),
        catalogue_ready=ready,
        profiles=store,  # type: ignore[arg-type]
        keys=keys,
        capacity=capacity,
        rank=lambda p, c, n: reverse_ranker._ranker.rank(p, c, top_n=n),
        topics=Topics(),
        top_n=top_n,
        replay_wait_s=1,
    )

    async def flush(outbox: Any) -> None:
        await store.mark_processed_many(outbox._processed)

    matcher = ReverseMatcher(
        deps=deps,
        store=store,
        contest=Contest(capacity),
        ownership=Everyone(),
        ranker=reverse_ranker,
        outbox=lambda: sent,
        flush=flush,
        per_place=3,
        batch_s=0.05,
        settle_s=0.0,
    )
    deps.reverse = matcher
    return matcher, sent, capacity


def post(matcher: ReverseMatcher, n: int, capacity: int = 1) -> list[OpportunityRegistered]:
    events = []
    for i in range(n):
        event = OpportunityRegistered(
            opportunity_id=uuid.uuid4(),
            correlation_id="test-reverse",
            opportunity=opportunity(title=f"Rengøringsassistent {i}", capacity=capacity),
        )
        matcher.deps.catalogue.upsert(event.opportunity_id, event.opportunity)
        matcher.offer(event)
        events.append(event)
    return events


async def run_until_idle(matcher: ReverseMatcher) -> None:
    task = asyncio.create_task(matcher.run())
    try:
        for _ in range(400):
            await asyncio.sleep(0.01)
            if matcher.counts["reverse_batches"] and not matcher._pending and not matcher._wake.is_set():
                break
        await asyncio.sleep(0.05)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_a_burst_of_200_postings_is_one_batch_and_one_new_set_per_citizen(
    reverse_ranker: ReverseRanker,
) -> None:
    people = {uuid.uuid4(): profile(**CLEANER) for _ in range(4)} | {uuid.uuid4(): profile(**DRIVER)}
    matcher, sent, _ = world(reverse_ranker, people)
    post(matcher, 200, capacity=2)  # six open proposals per posting: room for all four cleaners
    await run_until_idle(matcher)
    assert matcher.counts["reverse_batches"] == 1
    by_citizen = [e.citizen_id for e in sent.events if isinstance(e, MatchProposed)]
    cleaners = {c for c, p in people.items() if p.previous_jobs[0].title == "rengøringsassistent"}
    assert sorted(by_citizen) == sorted(cleaners)  # one event each, none for the lorry driver
    for event in sent.events:
        assert isinstance(event, MatchProposed)
        assert len(event.proposals) == 10  # at most top N added by one burst
        assert [p.rank for p in event.proposals] == list(range(1, 11))


async def test_the_places_go_to_the_best_and_a_redelivered_batch_sends_nothing_more(
    reverse_ranker: ReverseRanker,
) -> None:
    near = profile(**CLEANER)
    far = profile(**CLEANER, personal={**near.personal_data().model_dump(), "home": {"lat": 55.9, "lon": 11.72}})
    people = {uuid.uuid4(): near.model_copy() for _ in range(3)} | {uuid.uuid4(): far for _ in range(2)}
    matcher, sent, capacity = world(reverse_ranker, people)
    [event] = post(matcher, 1, capacity=1)
    await run_until_idle(matcher)
    chosen = {e.citizen_id for e in sent.events if isinstance(e, MatchProposed)}
    assert len(chosen) == 3 and all(people[c] is not far for c in chosen)
    assert len(capacity._open[event.opportunity_id]) == 3
    matcher.store.current_sets.clear()  # as if the set was never saved: only the processed marks stop a resend
    before = len(sent.events)
    await matcher.match([event])
    assert len(sent.events) == before
    assert len(capacity._open[event.opportunity_id]) == 3


def register(matcher: ReverseMatcher, opp: Opportunity) -> OpportunityRegistered:
    event = OpportunityRegistered(opportunity_id=uuid.uuid4(), correlation_id="test-reverse", opportunity=opp)
    matcher.deps.catalogue.upsert(event.opportunity_id, opp)
    matcher.offer(event)
    return event


NO_ASSOCIATIONS = {
    "ordinary_job": True,
    "language_placement": True,
    "education_step": True,
    "association_activity": False,
}


async def test_a_new_activity_reaches_at_most_capacity_times_per_place_fans_in_their_associations_list(
    reverse_ranker: ReverseRanker,
) -> None:
    fans = {uuid.uuid4(): profile(interests=["fodbold"]) for _ in range(5)}
    others = {uuid.uuid4(): profile(interests=["strikning"]), uuid.uuid4(): profile(interests=[])}
    others |= {uuid.uuid4(): profile(interests=["fodbold"], consent=NO_ASSOCIATIONS)}
    matcher, sent, capacity = world(reverse_ranker, fans | others)
    event = register(matcher, association(capacity=1))
    await run_until_idle(matcher)
    events = [e for e in sent.events if isinstance(e, MatchProposed)]
    assert len(events) == 3  # capacity 1 × 3 per place, out of five fans
    assert {e.citizen_id for e in events} < set(fans)
    for e in events:
        assert e.proposals == [] and [a.opportunity_id for a in e.associations] == [event.opportunity_id]
        assert e.associations[0].reasons.matched_skills == ["fodbold"]
    assert not capacity._open.get(event.opportunity_id)  # an activity takes no place in the ledger
    assert matcher.counts["reverse_associations"] == 3
    matcher.store.current_sets.clear()  # only the processed marks stop a resend
    await matcher.match([event])
    assert len(sent.events) == 3


def _listed(matcher: ReverseMatcher, citizen_id: uuid.UUID, opp: Opportunity, score: float) -> uuid.UUID:
    """The citizen's current set already lists this activity, at this score."""
    oid = uuid.uuid4()
    matcher.deps.catalogue.upsert(oid, opp)
    fit = matcher.ranker.fit(matcher.store.profiles[citizen_id], oid, opp)  # type: ignore[attr-defined]
    assert fit is not None
    listed = to_proposal(uuid.uuid4(), 1, fit).model_copy(update={"score": score})
    current = MatchProposed(
        citizen_id=citizen_id, correlation_id="t", trigger_event_id=uuid.uuid4(), catalogue_size=1,
        proposals=[], associations=[listed],
    )
    matcher.store.current_sets[citizen_id] = (Wrapped(current), set())  # type: ignore[attr-defined]
    return oid


async def test_an_activity_enters_a_full_list_only_in_place_of_a_weaker_one(reverse_ranker: ReverseRanker) -> None:
    full, weak = uuid.uuid4(), uuid.uuid4()
    people = {full: profile(interests=["fodbold"]), weak: profile(interests=["fodbold"])}
    matcher, sent, _ = world(reverse_ranker, people, top_n=1)
    strong_club = _listed(matcher, full, association(title="Kor for alle"), 9.0)
    weak_club = _listed(matcher, weak, association(title="Kor for alle"), -9.0)
    event = register(matcher, association())
    await run_until_idle(matcher)
    [only] = [e for e in sent.events if isinstance(e, MatchProposed)]
    assert only.citizen_id == weak  # the full list of a better activity is left as it is
    assert [a.opportunity_id for a in only.associations] == [event.opportunity_id]  # top N = 1 kept
    assert weak_club not in {a.opportunity_id for a in only.associations}
    assert matcher.deps.catalogue.get(strong_club) is not None  # the other citizen keeps theirs


async def test_a_reverse_match_drops_the_note_that_said_its_kind_had_nothing_yet(reverse_ranker: ReverseRanker) -> None:
    """'No job fits well yet' goes once a job is added; the notes of the other kinds stay."""
    citizen = uuid.uuid4()
    matcher, sent, _ = world(reverse_ranker, {citizen: profile(**CLEANER)})
    notes = [
        KindNote(kind=kind, text_da="Intet endnu.", text_en="Nothing yet.")
        for kind in (OpportunityKind.ORDINARY_JOB, OpportunityKind.EDUCATION_STEP)
    ]
    current = MatchProposed(
        citizen_id=citizen, correlation_id="t", trigger_event_id=uuid.uuid4(), catalogue_size=0,
        proposals=[], notes=notes,
    )
    matcher.store.current_sets[citizen] = (Wrapped(current), set())  # type: ignore[attr-defined]
    post(matcher, 1)
    await run_until_idle(matcher)
    [event] = [e for e in sent.events if isinstance(e, MatchProposed)]
    assert [p.kind for p in event.proposals] == [OpportunityKind.ORDINARY_JOB]
    assert [n.kind for n in event.notes] == [OpportunityKind.EDUCATION_STEP]
