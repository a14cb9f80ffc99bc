"""Capacity: at most places × 3 open proposals, agreed by two matcher instances through a real Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from services.matcher.adapters.capacity import RedisCapacity
from services.matcher.domain.capacity import Hold
from tests.conftest import InfraHandle

pytestmark = pytest.mark.integration


@pytest.fixture
def redis_url(infra: InfraHandle) -> str:
    """The session's real Redis; each test uses its own key namespace."""
    return infra.redis_url


@pytest.fixture
async def two_instances(redis_url: str) -> AsyncIterator[tuple[RedisCapacity, RedisCapacity]]:
    namespace = f"t{uuid.uuid4().hex[:8]}."
    a, b = Redis.from_url(redis_url), Redis.from_url(redis_url)
    yield RedisCapacity(a, namespace), RedisCapacity(b, namespace)
    await a.aclose()
    await b.aclose()


async def test_two_matcher_instances_never_exceed_three_open_proposals_per_place(
    two_instances: tuple[RedisCapacity, RedisCapacity],
) -> None:
    first, second = two_instances
    opp = uuid.uuid4()
    proposals = [uuid.uuid4() for _ in range(10)]
    results = await asyncio.gather(
        *(
            (first if n % 2 else second).reserve(opp, pid, places=2)
            for n, pid in enumerate(proposals)
        )
    )
    assert sum(results) == 6
    assert await first.open_count(opp) == 6


async def test_a_declined_proposal_frees_its_place_for_the_other_instance(
    two_instances: tuple[RedisCapacity, RedisCapacity],
) -> None:
    first, second = two_instances
    opp = uuid.uuid4()
    held = [uuid.uuid4() for _ in range(3)]
    for pid in held:
        assert await first.reserve(opp, pid, places=1)
    assert not await second.reserve(opp, uuid.uuid4(), places=1)
    assert await second.reserve(opp, held[0], places=1)  # the same proposal again is idempotent
    await first.release(opp, held[0])
    assert await second.reserve(opp, uuid.uuid4(), places=1)


async def test_expired_and_withdrawn_holds_stop_counting(redis_url: str) -> None:
    client = Redis.from_url(redis_url)
    try:
        ledger = RedisCapacity(client, f"t{uuid.uuid4().hex[:8]}.", hold_s=0)
        opp = uuid.uuid4()
        for _ in range(3):
            assert await ledger.reserve(opp, uuid.uuid4(), places=1)  # each expires at once
        assert await ledger.reserve(opp, uuid.uuid4(), places=1)
        await ledger.release_all(opp)
        assert await ledger.open_count(opp) == 0
    finally:
        await client.aclose()


async def test_reserving_down_a_ranked_list_skips_full_places_and_stops_at_top_n(
    two_instances: tuple[RedisCapacity, RedisCapacity],
) -> None:
    first, second = two_instances
    full, free, also_free, spare = (uuid.uuid4() for _ in range(4))
    for _ in range(3):
        assert await first.reserve(full, uuid.uuid4(), places=1)
    wanted = [Hold(opp, uuid.uuid4(), 1) for opp in (full, free, also_free, spare)]
    assert await second.reserve_first(wanted, top_n=2) == [1, 2]
    assert await first.open_count(spare) == 0  # not touched once two were held
    assert await second.reserve_first(wanted, top_n=2) == [1, 2]  # idempotent
    assert await first.open_count(free) == 1


async def test_two_instances_reserving_ranked_lists_at_once_never_exceed_capacity(
    two_instances: tuple[RedisCapacity, RedisCapacity],
) -> None:
    first, second = two_instances
    opps = [uuid.uuid4() for _ in range(3)]
    lists = [[Hold(opp, uuid.uuid4(), 1) for opp in opps] for _ in range(8)]
    await asyncio.gather(
        *((first if n % 2 else second).reserve_first(w, top_n=2) for n, w in enumerate(lists))
    )
    assert [await first.open_count(opp) for opp in opps] == [3, 3, 3]


async def test_a_yes_makes_a_hold_permanent_a_reranking_keeps_it_and_leaving_the_running_frees_it(
    redis_url: str,
) -> None:
    client = Redis.from_url(redis_url)
    try:
        ledger = RedisCapacity(client, f"t{uuid.uuid4().hex[:8]}.", per_place=1, hold_s=60)
        opp, accepted, newcomer = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        key = f"{ledger._prefix}{opp}"
        assert await ledger.reserve(opp, accepted, places=1)
        assert await client.pttl(key) > 0  # an open hold's key expires with it
        await ledger.commit(opp, accepted)
        assert await client.zscore(key, str(accepted)) == float("inf")
        assert await client.pttl(key) == -1  # a committed hold never times out
        await ledger.release_open(opp, accepted)  # what a re-ranking does
        assert not await ledger.reserve(opp, newcomer, places=1), "the accepted proposal still holds the place"
        await ledger.renew(opp, accepted)  # a renewal never shortens a committed hold
        assert await client.zscore(key, str(accepted)) == float("inf")
        await ledger.release(opp, accepted)  # ended, retracted, ...
        assert await ledger.reserve(opp, newcomer, places=1)
        assert await client.pttl(key) > 0
    finally:
        await client.aclose()


async def test_an_offer_renews_an_open_hold_and_a_reranking_releases_it(redis_url: str) -> None:
    client = Redis.from_url(redis_url)
    try:
        ledger = RedisCapacity(client, f"t{uuid.uuid4().hex[:8]}.", per_place=1, hold_s=3600)
        opp, offered = uuid.uuid4(), uuid.uuid4()
        key = f"{ledger._prefix}{opp}"
        assert await ledger.reserve(opp, offered, places=1)
        await client.zadd(key, {str(offered): 1.0}, xx=True)  # as if it were about to time out
        await ledger.renew(opp, offered)
        assert (await client.zscore(key, str(offered)) or 0) > 1.0
        await ledger.release_open(opp, offered)
        assert await ledger.open_count(opp) == 0
    finally:
        await client.aclose()
