"""The matcher's own Redis keys: the latest profile per citizen and the ids of processed events."""

from __future__ import annotations

import json
import uuid

from redis.asyncio import Redis

from shared.contracts import CitizenProfile


class ProfileStore:
    def __init__(self, redis: Redis, prefix: str, processed_ttl_s: int) -> None:
        self._r = redis
        self._p = f"{prefix}matcher:"
        self._ttl = processed_ttl_s

    async def ping(self) -> bool:
        return bool(await self._r.ping())

    async def save(self, citizen_id: uuid.UUID, profile: CitizenProfile) -> None:
        await self._r.set(f"{self._p}profile:{citizen_id}", profile.model_dump_json())

    async def load(self, citizen_id: uuid.UUID) -> CitizenProfile | None:
        raw = await self._r.get(f"{self._p}profile:{citizen_id}")
        return CitizenProfile.model_validate_json(raw) if raw else None

    async def erase(self, citizen_id: uuid.UUID) -> None:
        await self._r.delete(f"{self._p}profile:{citizen_id}", f"{self._p}holds:{citizen_id}")

    async def holds(self, citizen_id: uuid.UUID) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """The capacity slots the citizen's current proposals hold: (opportunity id, proposal id)."""
        raw = await self._r.get(f"{self._p}holds:{citizen_id}")
        return [(uuid.UUID(o), uuid.UUID(p)) for o, p in json.loads(raw)] if raw else []

    async def save_holds(self, citizen_id: uuid.UUID, holds: list[tuple[uuid.UUID, uuid.UUID]]) -> None:
        await self._r.set(f"{self._p}holds:{citizen_id}", json.dumps([[str(o), str(p)] for o, p in holds]))

    async def was_processed(self, event_id: uuid.UUID) -> bool:
        return bool(await self._r.exists(f"{self._p}done:{event_id}"))

    async def mark_processed_many(self, event_ids: list[uuid.UUID]) -> None:
        async with self._r.pipeline(transaction=False) as pipe:
            for event_id in event_ids:
                pipe.set(f"{self._p}done:{event_id}", b"1", ex=self._ttl)
            await pipe.execute()
