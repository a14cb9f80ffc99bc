"""The lifecycle store against a real Redis: one compare-and-set decides every race."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from services.intake.adapters.lifecycle_store import ProposalRecord, RedisLifecycleStore
from services.intake.domain.lifecycle import Action, Actor, IllegalTransition, Outcome, State
from services.intake.lifecycle import LifecycleDeps, expire_due, transition
from shared.settings import CommonSettings
from tests.conftest import InfraHandle
from tests.unit.intake.fakes import FakeAudit, FakeDirectory, FakePublisher

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
async def redis(infra: InfraHandle) -> AsyncIterator[Redis]:
    client = Redis.from_url(infra.redis_url)
    yield client
    await client.aclose()


async def _tracked(store: RedisLifecycleStore) -> ProposalRecord:
    record = ProposalRecord(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), State.PROPOSED, NOW)
    assert await store.open(record)
    return record


async def test_a_stored_lifecycle_reads_back_with_its_history(redis: Redis, common: CommonSettings) -> None:
    store = RedisLifecycleStore(redis, common.namespace)
    record = await _tracked(store)
    steps = [
        (Action.APPROVE, Actor.CASEWORKER, {}),
        (Action.OFFER, Actor.CASEWORKER, {}),
        (Action.ACCEPT, Actor.CITIZEN, {}),
        (Action.SHARE, Actor.SYSTEM, {}),
        (Action.INTERESTED, Actor.OWNER, {}),
        (Action.START, Actor.OWNER, {"on_date": NOW.date()}),
        (Action.END, Actor.OWNER, {"on_date": NOW.date(), "outcome": Outcome.COMPLETED}),
    ]
    for action, actor, extra in steps:
        await transition(store, record.proposal_id, action, actor, "someone", NOW, **extra)  # type: ignore[arg-type]
    back = await store.get(record.proposal_id)
    assert back is not None
    assert (back.state, back.citizen_id, back.opportunity_id) == (State.ENDED, record.citizen_id, record.opportunity_id)
    history = await store.history(record.proposal_id)
    assert [t.target for t in history][-1] is State.ENDED
    assert history[-1].outcome is Outcome.COMPLETED and history[-1].on_date == NOW.date()


async def test_opening_a_tracked_proposal_again_changes_nothing(redis: Redis, common: CommonSettings) -> None:
    store = RedisLifecycleStore(redis, common.namespace)
    record = await _tracked(store)
    await transition(store, record.proposal_id, Action.APPROVE, Actor.CASEWORKER, "cw", NOW)
    assert not await store.open(record)
    back = await store.get(record.proposal_id)
    assert back is not None and back.state is State.APPROVED


async def test_two_intake_instances_racing_one_transition_make_one_winner(
    redis: Redis, common: CommonSettings, infra: InfraHandle
) -> None:
    # Two clients stand for two intake instances, each with its own connections.
    other = Redis.from_url(infra.redis_url)
    try:
        a = RedisLifecycleStore(redis, common.namespace)
        b = RedisLifecycleStore(other, common.namespace)
        for _ in range(20):
            record = await _tracked(a)
            results = await asyncio.gather(
                transition(a, record.proposal_id, Action.APPROVE, Actor.CASEWORKER, "cw-a", NOW),
                transition(b, record.proposal_id, Action.OVERRIDE, Actor.CASEWORKER, "cw-b", NOW, reason="r"),
                return_exceptions=True,
            )
            losers = [r for r in results if isinstance(r, IllegalTransition)]
            assert len(losers) == 1, results
            assert len(await a.history(record.proposal_id)) == 1
    finally:
        await other.aclose()


async def test_an_unknown_proposal_reads_as_none(redis: Redis, common: CommonSettings) -> None:
    assert await RedisLifecycleStore(redis, common.namespace).get(uuid.uuid4()) is None


async def test_two_intake_instances_sweeping_expiry_at_once_expire_each_offer_once(
    redis: Redis, common: CommonSettings, infra: InfraHandle
) -> None:
    other = Redis.from_url(infra.redis_url)
    try:
        later = NOW + dt.timedelta(days=15)
        publishers = [FakePublisher(), FakePublisher()]
        instances = [
            LifecycleDeps(
                store=RedisLifecycleStore(client, common.namespace),
                directory=FakeDirectory(),
                publisher=publisher,
                audit=FakeAudit(),
                topics=common.topics,
                clock=lambda: later,
            )
            for client, publisher in zip((redis, other), publishers, strict=True)
        ]
        offered = []
        for _ in range(10):
            record = await _tracked(instances[0].store)  # type: ignore[arg-type]
            for action in (Action.APPROVE, Action.OFFER):
                await transition(instances[0].store, record.proposal_id, action, Actor.CASEWORKER, "cw", NOW)
            offered.append(record.proposal_id)
        counts = await asyncio.gather(*(expire_due(deps) for deps in instances))
        assert sum(counts) == 10  # each offer expired by exactly one of the two
        for proposal_id in offered:
            back = await instances[0].store.get(proposal_id)
            assert back is not None and back.state is State.EXPIRED
        events = [e for p in publishers for _, _, e in p.sent]
        assert sorted(e.proposal_id for e in events) == sorted(offered)  # type: ignore[attr-defined]
    finally:
        await other.aclose()
