"""The reverse-match contest in a real Redis: two instances' candidates, one set of winners."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from services.matcher.adapters.capacity import RedisCapacity
from services.matcher.adapters.contest import RedisContest
from tests.conftest import InfraHandle

pytestmark = pytest.mark.integration


@pytest.fixture
async def redis(infra: InfraHandle) -> AsyncIterator[Redis]:
    client = Redis.from_url(infra.redis_url)
    yield client
    await client.aclose()


async def test_both_instances_read_the_same_winners_the_best_scores_across_both(redis: Redis) -> None:
    namespace = f"t{uuid.uuid4().hex[:8]}."
    capacity = RedisCapacity(redis, namespace, per_place=3)
    first, second = (RedisContest(redis, namespace, capacity.key_prefix) for _ in range(2))
    event, opportunity = uuid.uuid4(), uuid.uuid4()
    mine = [(uuid.uuid4(), s) for s in (0.9, 0.5, 0.2)]
    theirs = [(uuid.uuid4(), s) for s in (0.8, 0.7, 0.1)]
    assert await first.submit(event, mine, 200) > 0
    assert 0 < await second.submit(event, theirs, 200) <= 0.2  # the first entry fixed the deadline
    # One place already has an open proposal: two slots are left of 1 × 3.
    assert await capacity.reserve(opportunity, uuid.uuid4(), 1)
    winners = await first.winners(event, opportunity, 3)
    assert [c for c, _ in winners] == [mine[0][0], theirs[0][0]]
    assert await capacity.reserve(opportunity, uuid.uuid4(), 1)  # the first instance reserves its winner
    # The other instance settles later, but reads the slots counted at the first settling.
    assert await second.winners(event, opportunity, 3) == winners


async def test_a_contest_decided_long_ago_takes_no_new_entries(redis: Redis) -> None:
    namespace = f"t{uuid.uuid4().hex[:8]}."
    contest = RedisContest(redis, namespace, RedisCapacity(redis, namespace).key_prefix)
    event = uuid.uuid4()
    await contest.submit(event, [(uuid.uuid4(), 0.5)], 0)
    # As if the deadline passed two minutes ago (a matcher replaying the catalogue after a restart).
    await redis.hincrby(f"{namespace}matcher:contest:{event}:meta", "deadline", -120_000)
    assert await contest.submit(event, [(uuid.uuid4(), 0.9)], 0) == -1.0
    assert await redis.zcard(f"{namespace}matcher:contest:{event}") == 1
