"""Intake's keys for the data-protection use cases: overrides, erasure tombstones, forgetting a citizen."""

from __future__ import annotations

import json
import uuid
from typing import Any

from redis.asyncio import Redis


class PrivacyStore:
    """Same `<namespace>intake:` key space as `IntakeStore`; this class only adds and forgets."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._r = redis
        self._p = f"{prefix}intake:"

    async def record_override(self, citizen_id: uuid.UUID, proposal_id: uuid.UUID, record: dict[str, Any]) -> None:
        await self._r.hset(f"{self._p}overrides:{citizen_id}", str(proposal_id), json.dumps(record))

    async def overrides(self, citizen_id: uuid.UUID) -> dict[str, dict[str, Any]]:
        raw = await self._r.hgetall(f"{self._p}overrides:{citizen_id}")
        return {(k.decode() if isinstance(k, bytes) else k): json.loads(v) for k, v in raw.items()}

    async def erased_municipality(self, citizen_id: uuid.UUID) -> str | None:
        """The municipality of an erased citizen (kept so the export can still answer, empty)."""
        raw = await self._r.get(f"{self._p}erased:{citizen_id}")
        return raw.decode() if isinstance(raw, bytes) else raw

    async def forget(self, citizen_id: uuid.UUID, municipality: str) -> None:
        """Delete everything intake holds about the citizen; keep only an erasure tombstone."""
        await self._r.set(f"{self._p}erased:{citizen_id}", municipality)
        await self._r.delete(
            f"{self._p}citizen:{citizen_id}", f"{self._p}proposals:{citizen_id}", f"{self._p}overrides:{citizen_id}"
        )
