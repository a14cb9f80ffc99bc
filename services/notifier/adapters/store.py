"""The notifier's own Redis keys: contact details per citizen, and what was sent for which ranking."""

from __future__ import annotations

import json
import uuid
from typing import Any

from redis.asyncio import Redis


class NotifierStore:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._r = redis
        self._p = f"{prefix}notifier:"

    async def ping(self) -> bool:
        return bool(await self._r.ping())

    async def save_contact(self, citizen_id: uuid.UUID, contact: dict[str, Any]) -> None:
        await self._r.set(f"{self._p}contact:{citizen_id}", json.dumps(contact))

    async def contact(self, citizen_id: uuid.UUID) -> dict[str, Any] | None:
        raw = await self._r.get(f"{self._p}contact:{citizen_id}")
        return json.loads(raw) if raw else None

    async def erase(self, citizen_id: uuid.UUID) -> None:
        await self._r.delete(f"{self._p}contact:{citizen_id}")
        await self._r.set(f"{self._p}erased:{citizen_id}", b"1")

    async def is_erased(self, citizen_id: uuid.UUID) -> bool:
        return bool(await self._r.exists(f"{self._p}erased:{citizen_id}"))

    async def delivery(self, match_event_id: uuid.UUID) -> dict[str, Any] | None:
        raw = await self._r.get(f"{self._p}delivery:{match_event_id}")
        return json.loads(raw) if raw else None

    async def record_delivery(self, match_event_id: uuid.UUID, record: dict[str, Any]) -> None:
        await self._r.set(f"{self._p}delivery:{match_event_id}", json.dumps(record))
