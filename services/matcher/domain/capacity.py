"""Capacity: at most `per_place` open proposals per free place of an opportunity.

The ledger is a port: Redis in the service (adapters.capacity, shared by every matcher
instance), in memory for the offline command and unit tests. A slot is held per proposal and
released when the proposal is declined, expires or its opportunity is withdrawn.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from services.matcher.domain.model import RankedOpportunity

DEFAULT_PER_PLACE = 3


@dataclass(frozen=True)
class Hold:
    opportunity_id: uuid.UUID
    proposal_id: uuid.UUID
    places: int


class CapacityLedger(Protocol):
    async def reserve(self, opportunity_id: uuid.UUID, proposal_id: uuid.UUID, places: int) -> bool:
        """Hold a slot for this proposal if fewer than places × per_place are open (idempotent)."""
        ...

    async def reserve_first(self, wanted: Sequence[Hold], top_n: int) -> list[int]:
        """Reserve, in order, until `top_n` are held; the positions held. One round trip."""
        ...

    async def release(self, opportunity_id: uuid.UUID, proposal_id: uuid.UUID) -> None: ...

    async def release_open(self, opportunity_id: uuid.UUID, proposal_id: uuid.UUID) -> None:
        """Release unless the citizen said yes to it (a committed hold stays until it leaves the running)."""
        ...

    async def commit(self, opportunity_id: uuid.UUID, proposal_id: uuid.UUID) -> None:
        """The citizen said yes: the hold no longer times out."""
        ...

    async def renew(self, opportunity_id: uuid.UUID, proposal_id: uuid.UUID) -> None:
        """The proposal was offered: its safety-net expiry starts again."""
        ...

    async def release_all(self, opportunity_id: uuid.UUID) -> None: ...


class ProposalIdFn(Protocol):
    def __call__(self, item: RankedOpportunity, /) -> uuid.UUID: ...


class InMemoryCapacity:
    """The ledger for one process: the offline command's `--capacity` and unit tests."""

    def __init__(self, per_place: int = DEFAULT_PER_PLACE) -> None:
        self.per_place = per_place
        self._open: dict[uuid.UUID, set[uuid.UUID]] = {}
        self.committed: set[uuid.UUID] = set()

    def try_reserve(self, opportunity_id: uuid.UUID, proposal_id: uuid.UUID, places: int) -> bool:
        held = self._open.setdefault(opportunity_id, set())
        if proposal_id in held:
            return True
        if len(held) >= places * self.per_place:
            return False
        held.add(proposal_id)
        return True

    async def reserve(self, opportunity_id: uuid.UUID, proposal_id: uuid.UUID, places: int) -> bool:
        return self.try_reserve(opportunity_id, proposal_id, places)

    async def reserve_first(self, wanted: Sequence[Hold], top_n: int) -> list[int]:
        held: list[int] = []
        for i, h in enumerate(wanted):
            if len(held) == top_n:
                break
            if self.try_reserve(h.opportunity_id, h.proposal_id, h.places):
                held.append(i)
        return held

    async def release(self, opportunity_id: uuid.UUID, proposal_id: uuid.UUID) -> None:
        self._open.get(opportunity_id, set()).discard(proposal_id)
        self.committed.discard(proposal_id)

    async def release_open(self, opportunity_id: uuid.UUID, proposal_id: uuid.UUID) -> None:
        if proposal_id not in self.committed:
            await self.release(opportunity_id, proposal_id)

    async def commit(self, opportunity_id: uuid.UUID, proposal_id: uuid.UUID) -> None:
        if proposal_id in self._open.get(opportunity_id, set()):
            self.committed.add(proposal_id)

    async def renew(self, opportunity_id: uuid.UUID, proposal_id: uuid.UUID) -> None:
        return None  # nothing expires in memory

    async def release_all(self, opportunity_id: uuid.UUID) -> None:
        self._open.pop(opportunity_id, None)


class Unlimited:
    """A ledger with room everywhere: `brobygger rank` without `--capacity`."""

    async def reserve(self, opportunity_id: uuid.UUID, proposal_id: uuid.UUID, places: int) -> bool:
        return True

    async def reserve_first(self, wanted: Sequence[Hold], top_n: int) -> list[int]:
        return list(range(min(len(wanted), top_n)))

    async def release(self, opportunity_id: uuid.UUID, proposal_id: uuid.UUID) -> None:
        return None

    async def release_open(self, opportunity_id: uuid.UUID, proposal_id: uuid.UUID) -> None:
        return None

    async def commit(self, opportunity_id: uuid.UUID, proposal_id: uuid.UUID) -> None:
        return None

    async def renew(self, opportunity_id: uuid.UUID, proposal_id: uuid.UUID) -> None:
        return None

    async def release_all(self, opportunity_id: uuid.UUID) -> None:
        return None


async def take_with_capacity(
    candidates: Sequence[RankedOpportunity],
    ledger: CapacityLedger,
    proposal_id: ProposalIdFn,
    top_n: int,
) -> list[RankedOpportunity]:
    """The first `top_n` candidates (best first) that still have room; holds a slot for each.

    One call to the ledger for the whole list (one Redis round trip in the service), not one per
    candidate: when the best places are full, a ranking walks far down its candidates.
    """
    wanted = [Hold(c.opportunity_id, proposal_id(c), c.opportunity.capacity) for c in candidates]
    return [candidates[i] for i in await ledger.reserve_first(wanted, top_n)]
