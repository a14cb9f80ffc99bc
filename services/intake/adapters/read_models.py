"""The caseload and catalogue read models intake builds from the topics, in Redis.

Profiles are kept exactly as they travel: the personal part sealed with the citizen's key. Nothing
here holds a name in clear; erasure deletes a citizen's entries (and their key makes old copies
unreadable anyway).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from redis.asyncio import Redis

from services.intake.domain.caseload import CaseEntry
from services.intake.domain.catalogue import CatalogueEntry
from shared.contracts import CitizenProfile, Opportunity


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class CaseloadStore:
    """Keys under `<namespace>intake:case…`."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._r = redis
        self._p = f"{prefix}intake:"

    def _entry(self, citizen_id: uuid.UUID) -> str:
        return f"{self._p}case:{citizen_id}"

    def _profile(self, citizen_id: uuid.UUID) -> str:
        return f"{self._p}case-profile:{citizen_id}"

    def _members(self, municipality: str) -> str:
        return f"{self._p}caseload:{municipality}"

    async def save_profile(
        self, citizen_id: uuid.UUID, sealed: CitizenProfile, occurred_at: dt.datetime
    ) -> CaseEntry:
        """Record a submitted or updated (sealed) profile; keeps the first registration time."""
        before = await self.entry(citizen_id)
        entry = CaseEntry(
            citizen_id=citizen_id,
            municipality=sealed.municipality_code,
            registered_at=before.registered_at if before else occurred_at,
            updated_at=occurred_at,
            ranked_at=before.ranked_at if before else None,
            proposals_waiting=before.proposals_waiting if before else 0,
        )
        async with self._r.pipeline(transaction=True) as pipe:
            if before is not None and before.municipality != entry.municipality:
                pipe.srem(self._members(before.municipality), str(citizen_id))
            pipe.set(self._entry(citizen_id), entry.model_dump_json())
            pipe.set(self._profile(citizen_id), sealed.model_dump_json())
            pipe.sadd(self._members(entry.municipality), str(citizen_id))
            await pipe.execute()
        return entry

    async def save_ranking(self, citizen_id: uuid.UUID, ranked_at: dt.datetime, waiting: int) -> bool:
        """Note the latest ranking; False when the citizen has no entry (not yet read, or erased)."""
        before = await self.entry(citizen_id)
        if before is None:
            return False
        if before.ranked_at is not None and before.ranked_at > ranked_at:
            return True  # an older ranking read late changes nothing
        entry = before.model_copy(update={"ranked_at": ranked_at, "proposals_waiting": waiting})
        await self._r.set(self._entry(citizen_id), entry.model_dump_json())
        return True

    async def forget(self, citizen_id: uuid.UUID) -> None:
        before = await self.entry(citizen_id)
        async with self._r.pipeline(transaction=True) as pipe:
            if before is not None:
                pipe.srem(self._members(before.municipality), str(citizen_id))
            pipe.delete(self._entry(citizen_id), self._profile(citizen_id))
            await pipe.execute()

    async def entry(self, citizen_id: uuid.UUID) -> CaseEntry | None:
        raw = await self._r.get(self._entry(citizen_id))
        return CaseEntry.model_validate_json(raw) if raw else None

    async def sealed_profile(self, citizen_id: uuid.UUID) -> CitizenProfile | None:
        raw = await self._r.get(self._profile(citizen_id))
        return CitizenProfile.model_validate_json(raw) if raw else None

    async def municipality(self, municipality: str) -> list[CaseEntry]:
        ids = sorted(_text(m) for m in await self._r.smembers(self._members(municipality)))
        return await self._entries(ids)

    async def sealed_profiles(self, citizen_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, CitizenProfile]:
        ids = list(citizen_ids)
        if not ids:
            return {}
        raws = await self._r.mget([self._profile(i) for i in ids])
        return {i: CitizenProfile.model_validate_json(raw) for i, raw in zip(ids, raws, strict=True) if raw}

    async def municipalities(self) -> list[str]:
        keys = [_text(k) async for k in self._r.scan_iter(match=f"{self._p}caseload:*", count=500)]
        return sorted(k.rsplit(":", 1)[-1] for k in keys)

    async def _entries(self, ids: list[str]) -> list[CaseEntry]:
        if not ids:
            return []
        raws = await self._r.mget([f"{self._p}case:{i}" for i in ids])
        return [CaseEntry.model_validate_json(raw) for raw in raws if raw]


class CatalogueStore:
    """Keys under `<namespace>intake:cat…`: every opportunity intake has read from the topic."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._r = redis
        self._p = f"{prefix}intake:"

    def _key(self, opportunity_id: uuid.UUID) -> str:
        return f"{self._p}cat:{opportunity_id}"

    async def save(self, opportunity_id: uuid.UUID, opportunity: Opportunity, occurred_at: dt.datetime) -> None:
        before = await self.get(opportunity_id)
        entry = CatalogueEntry(
            opportunity_id=opportunity_id,
            status="open",
            registered_at=before.registered_at if before else occurred_at,
            updated_at=occurred_at,
            opportunity=opportunity,
        )
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.set(self._key(opportunity_id), entry.model_dump_json())
            pipe.sadd(f"{self._p}catalogue", str(opportunity_id))
            await pipe.execute()

    async def withdraw(self, opportunity_id: uuid.UUID, occurred_at: dt.datetime) -> None:
        before = await self.get(opportunity_id)
        if before is not None:
            entry = before.model_copy(update={"status": "withdrawn", "updated_at": occurred_at})
            await self._r.set(self._key(opportunity_id), entry.model_dump_json())

    async def get(self, opportunity_id: uuid.UUID) -> CatalogueEntry | None:
        raw = await self._r.get(self._key(opportunity_id))
        return CatalogueEntry.model_validate_json(raw) if raw else None

    async def all(self) -> list[CatalogueEntry]:
        return await self.many(sorted(_text(m) for m in await self._r.smembers(f"{self._p}catalogue")))

    async def many(self, ids: Iterable[uuid.UUID | str]) -> list[CatalogueEntry]:
        """The entries of `ids` that intake has, in one round trip."""
        keys = [f"{self._p}cat:{i}" for i in ids]
        raws = await self._r.mget(keys) if keys else []
        return [CatalogueEntry.model_validate_json(raw) for raw in raws if raw]
