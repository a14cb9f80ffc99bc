"""The matcher's own Redis keys: the latest profile per citizen and the ids of processed events."""

from __future__ import annotations

import json
import uuid

from redis.asyncio import Redis

from shared.contracts import CitizenProfile, SealedCitizenEvent, SealedMatchProposed


class ProfileStore:
    def __init__(self, redis: Redis, prefix: str, processed_ttl_s: int) -> None:
        self._r = redis
        self._p = f"{prefix}matcher:"
        self._ttl = processed_ttl_s

    async def ping(self) -> bool:
        return bool(await self._r.ping())

    async def save(self, citizen_id: uuid.UUID, profile: CitizenProfile) -> None:
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.set(f"{self._p}profile:{citizen_id}", profile.model_dump_json())
            pipe.sadd(f"{self._p}citizens", str(citizen_id))
            await pipe.execute()

    async def citizen_ids(self) -> list[uuid.UUID]:
        """Every citizen with a stored profile (reverse matching filters them by partition)."""
        return [
            uuid.UUID(c.decode() if isinstance(c, bytes) else c) for c in await self._r.smembers(f"{self._p}citizens")
        ]

    async def load_many(self, citizen_ids: list[uuid.UUID]) -> dict[uuid.UUID, CitizenProfile]:
        found: dict[uuid.UUID, CitizenProfile] = {}
        for start in range(0, len(citizen_ids), 1000):
            chunk = citizen_ids[start : start + 1000]
            for citizen_id, raw in zip(
                chunk, await self._r.mget([f"{self._p}profile:{c}" for c in chunk]), strict=True
            ):
                if raw:
                    found[citizen_id] = CitizenProfile.model_validate_json(raw)
        return found

    async def current(self, citizen_id: uuid.UUID) -> tuple[SealedMatchProposed | None, set[uuid.UUID]]:
        """The citizen's current proposals as last sent (sealed), and which opportunities reverse matching added."""
        raw, added = await self._r.mget(f"{self._p}current:{citizen_id}", f"{self._p}added:{citizen_id}")
        event = SealedMatchProposed.model_validate_json(raw) if raw else None
        return event, {uuid.UUID(o) for o in json.loads(added)} if added else set()

    async def save_current(
        self,
        citizen_id: uuid.UUID,
        sealed: SealedCitizenEvent,
        added: set[uuid.UUID],
        now: set[uuid.UUID],
        was: set[uuid.UUID],
    ) -> None:
        """Remember what the citizen was last sent, and who holds a proposal for which opportunity."""
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.set(f"{self._p}current:{citizen_id}", sealed.model_dump_json())
            pipe.set(f"{self._p}added:{citizen_id}", json.dumps(sorted(str(o) for o in added)))
            for gone in was - now:
                pipe.srem(f"{self._p}proposed:{gone}", str(citizen_id))
            for new in now - was:
                pipe.sadd(f"{self._p}proposed:{new}", str(citizen_id))
            await pipe.execute()

    async def excluded(self, opportunity_id: uuid.UUID) -> set[uuid.UUID]:
        """Citizens who answered this opportunity (yes or no) or hold a current proposal for it."""
        found = await self._r.sunion([f"{self._p}proposed:{opportunity_id}", f"{self._p}declined:{opportunity_id}"])
        return {uuid.UUID(c.decode() if isinstance(c, bytes) else c) for c in found}

    async def proposed(self, opportunity_id: uuid.UUID) -> set[uuid.UUID]:
        """Citizens holding a current proposal for this opportunity."""
        found = await self._r.smembers(f"{self._p}proposed:{opportunity_id}")
        return {uuid.UUID(c.decode() if isinstance(c, bytes) else c) for c in found}

    async def answered(self, opportunity_id: uuid.UUID, citizen_id: uuid.UUID) -> None:
        """The citizen said yes or no to this opportunity: no ranking offers it to them again.

        (The per-opportunity set keeps its first name, from when only a no counted.)
        """
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.sadd(f"{self._p}declined:{opportunity_id}", str(citizen_id))
            pipe.sadd(f"{self._p}answered:{citizen_id}", str(opportunity_id))
            await pipe.execute()

    async def answered_by(self, citizen_id: uuid.UUID) -> set[uuid.UUID]:
        """The opportunities the citizen has said yes or no to."""
        found = await self._r.smembers(f"{self._p}answered:{citizen_id}")
        return {uuid.UUID(o.decode() if isinstance(o, bytes) else o) for o in found}

    async def set_busy(self, citizen_id: uuid.UUID, busy: bool) -> None:
        if busy:
            await self._r.sadd(f"{self._p}busy", str(citizen_id))
        else:
            await self._r.srem(f"{self._p}busy", str(citizen_id))

    async def busy(self) -> set[uuid.UUID]:
        return {uuid.UUID(c.decode() if isinstance(c, bytes) else c) for c in await self._r.smembers(f"{self._p}busy")}

    async def load(self, citizen_id: uuid.UUID) -> CitizenProfile | None:
        raw = await self._r.get(f"{self._p}profile:{citizen_id}")
        return CitizenProfile.model_validate_json(raw) if raw else None

    async def erase(self, citizen_id: uuid.UUID) -> None:
        await self._r.delete(
            f"{self._p}profile:{citizen_id}",
            f"{self._p}holds:{citizen_id}",
            f"{self._p}current:{citizen_id}",
            f"{self._p}added:{citizen_id}",
            f"{self._p}answered:{citizen_id}",
        )
        await self._r.srem(f"{self._p}citizens", str(citizen_id))
        await self._r.srem(f"{self._p}busy", str(citizen_id))

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
