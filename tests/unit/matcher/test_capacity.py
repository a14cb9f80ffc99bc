"""Capacity: at most places × 3 open proposals per place, counted in memory (Redis: tests/integration)."""

from __future__ import annotations

import uuid

from services.matcher.domain.capacity import Hold, InMemoryCapacity


def test_the_in_memory_ledger_counts_per_place() -> None:
    ledger = InMemoryCapacity(per_place=3)
    opp = uuid.uuid4()
    assert [ledger.try_reserve(opp, uuid.uuid4(), 1) for _ in range(4)] == [True, True, True, False]


async def test_the_in_memory_ledger_reserves_down_a_list_like_redis() -> None:
    ledger = InMemoryCapacity(per_place=1)
    opp, other = uuid.uuid4(), uuid.uuid4()
    assert ledger.try_reserve(opp, uuid.uuid4(), 1)
    wanted = [Hold(opp, uuid.uuid4(), 1), Hold(other, uuid.uuid4(), 1), Hold(other, uuid.uuid4(), 1)]
    assert await ledger.reserve_first(wanted, top_n=5) == [1]
