"""Intake's own read models and idempotency records in Redis."""

from __future__ import annotations

import json
import uuid
from typing import Any

from redis.asyncio import Redis

from shared.contracts import MatchProposed


class IntakeStore:
    """Keys under `<namespace>intake:`; no other service reads them."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._r = redis
        self._p = f"{prefix}intake:"

    async def ping(self) -> bool:
        return bool(await self._r.ping())

    # citizens
    async def remember_citizen(self, citizen_id: uuid.UUID, municipality: str) -> None:
        await self._r.hset(f"{self._p}citizen:{citizen_id}", mapping={"municipality": municipality})

    async def citizen_exists(self, citizen_id: uuid.UUID) -> bool:
        return bool(await self._r.exists(f"{self._p}citizen:{citizen_id}"))

    # opportunities
    async def remember_opportunity(self, opportunity_id: uuid.UUID, owner: str) -> None:
        await self._r.hset(f"{self._p}opportunity:{opportunity_id}", mapping={"owner": owner, "status": "open"})

    async def opportunity_status(self, opportunity_id: uuid.UUID) -> str | None:
        status = await self._r.hget(f"{self._p}opportunity:{opportunity_id}", "status")
        return status.decode() if isinstance(status, bytes) else status

    async def withdraw_opportunity(self, opportunity_id: uuid.UUID) -> None:
        await self._r.hset(f"{self._p}opportunity:{opportunity_id}", "status", "withdrawn")

    # proposals read model
    async def save_proposals(self, event: MatchProposed) -> bool:
        """Store the latest ranking; False when the citizen is unknown here (e.g. erased)."""
        if not await self.citizen_exists(event.citizen_id):
            return False
        await self._r.set(f"{self._p}proposals:{event.citizen_id}", event.model_dump_json())
        return True

    async def proposals(self, citizen_id: uuid.UUID) -> MatchProposed | None:
        raw = await self._r.get(f"{self._p}proposals:{citizen_id}")
        return MatchProposed.model_validate_json(raw) if raw else None

    # idempotency
    async def idempotent_response(self, key: str) -> dict[str, Any] | None:
        raw = await self._r.get(f"{self._p}idem:{key}")
        return json.loads(raw) if raw else None

    async def save_idempotent_response(self, key: str, record: dict[str, Any], ttl_s: int) -> None:
        await self._r.set(f"{self._p}idem:{key}", json.dumps(record), ex=ttl_s)
