"""Intake's keys for the data-protection use cases: overrides, erasure tombstones, forgetting a citizen."""

from __future__ import annotations

import json
import uuid
from typing import Any

from redis.asyncio import Redis


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


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

    async def standing(self, citizen_id: uuid.UUID) -> tuple[str | None, str | None]:
        """(municipality of a known citizen, municipality of an erased one), in one round trip.

        Always the same two commands, whether the citizen is known, erased, unknown or outside the
        caller's scope: which of these it is must not show in the calls made to Redis.
        """
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.hget(f"{self._p}citizen:{citizen_id}", "municipality")
            pipe.get(f"{self._p}erased:{citizen_id}")
            known, erased = await pipe.execute()
        return _text(known), _text(erased)

    async def forget(self, citizen_id: uuid.UUID, municipality: str) -> None:
        """Delete everything intake holds about the citizen; keep only an erasure tombstone."""
        await self._r.set(f"{self._p}erased:{citizen_id}", municipality)
        await self._r.delete(
            f"{self._p}citizen:{citizen_id}", f"{self._p}proposals:{citizen_id}", f"{self._p}overrides:{citizen_id}"
        )

    async def tell_caseworkers(self, municipality: str, notice: dict[str, Any]) -> None:
        """A notice for the municipality's caseworkers (ids only), newest first, the latest 1000 kept."""
        raw = json.dumps(notice)
        async with self._r.pipeline(transaction=True) as pipe:
            for where in (municipality, "*"):
                pipe.lpush(f"{self._p}notices:{where}", raw)
                pipe.ltrim(f"{self._p}notices:{where}", 0, 999)
            await pipe.execute()

    async def notices(self, municipality: str | None, limit: int) -> list[dict[str, Any]]:
        raw = await self._r.lrange(f"{self._p}notices:{municipality or '*'}", 0, limit - 1)
        return [json.loads(item) for item in raw]
