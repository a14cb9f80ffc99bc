"""Which owners a municipality has approved, and the opportunities held until a caseworker approves theirs."""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

from shared.contracts import OpportunityRegistered


class OwnerApprovals:
    """Keys under `<namespace>intake:`: `approved-owners:<municipality>` and `held:<opportunity>`."""

    def __init__(self, redis: Redis, prefix: str, preapproved: frozenset[str]) -> None:
        self._r = redis
        self._p = f"{prefix}intake:"
        self._preapproved = preapproved

    async def is_approved(self, municipality: str, owner: str) -> bool:
        if owner in self._preapproved:
            return True
        return bool(await self._r.sismember(f"{self._p}approved-owners:{municipality}", owner))

    async def approve(self, municipality: str, owner: str) -> None:
        await self._r.sadd(f"{self._p}approved-owners:{municipality}", owner)

    async def hold(self, municipality: str, event: OpportunityRegistered) -> None:
        """Keep the registration, unpublished, until a caseworker of `municipality` approves its owner."""
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.set(f"{self._p}held:{event.opportunity_id}", event.model_dump_json())
            pipe.sadd(f"{self._p}held-in:{municipality}", str(event.opportunity_id))
            pipe.sadd(f"{self._p}held-in:*", str(event.opportunity_id))
            await pipe.execute()

    async def held(self, opportunity_id: uuid.UUID) -> OpportunityRegistered | None:
        raw = await self._r.get(f"{self._p}held:{opportunity_id}")
        return OpportunityRegistered.model_validate_json(raw) if raw else None

    async def held_in(self, municipality: str | None) -> list[OpportunityRegistered]:
        """Held in one municipality, or in all (None)."""
        municipality = municipality or "*"
        ids = await self._r.smembers(f"{self._p}held-in:{municipality}")
        found = [await self.held(uuid.UUID(i.decode() if isinstance(i, bytes) else str(i))) for i in ids]
        return sorted((e for e in found if e is not None), key=lambda e: e.occurred_at)

    async def release(self, municipality: str, opportunity_id: uuid.UUID) -> None:
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.delete(f"{self._p}held:{opportunity_id}")
            pipe.srem(f"{self._p}held-in:{municipality}", str(opportunity_id))
            pipe.srem(f"{self._p}held-in:*", str(opportunity_id))
            await pipe.execute()
