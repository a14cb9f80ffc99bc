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
from services.matcher.handlers import MatcherDeps
from services.matcher.reverse import ReverseMatcher
from shared.contracts import CitizenProfile, Event, MatchProposed, OpportunityRegistered
from shared.topics import Topics
from tests.unit.matcher.conftest import opportunity, profile

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
            if any(p.opportunity_id == opportunity_id for p in e.event.proposals)
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
