"""The notifier's own Redis keys: how to reach each citizen (sealed), and what was sent for which ranking."""

from __future__ import annotations

import json
import uuid
from typing import Any

from redis.asyncio import Redis

from shared.contracts import SealedPersonal


class NotifierStore:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._r = redis
        self._p = f"{prefix}notifier:"

    async def ping(self) -> bool:
        return bool(await self._r.ping())

    async def save_contact(self, citizen_id: uuid.UUID, sealed: SealedPersonal, language: str, channel: str) -> None:
        """The personal part stays sealed here too: erasing the citizen's key makes it unreadable."""
        record = {"sealed": sealed.model_dump(), "language": language, "channel": channel}
        await self._r.set(f"{self._p}contact:{citizen_id}", json.dumps(record))

    async def contact(self, citizen_id: uuid.UUID) -> tuple[SealedPersonal, str, str] | None:
        raw = await self._r.get(f"{self._p}contact:{citizen_id}")
        if not raw:
            return None
        record = json.loads(raw)
        return SealedPersonal.model_validate(record["sealed"]), record["language"], record["channel"]

    async def erase(self, citizen_id: uuid.UUID) -> None:
        """Forget the citizen: contact, and every delivery record about them."""
        deliveries = await self._r.smembers(f"{self._p}citizen-deliveries:{citizen_id}")
        keys = [f"{self._p}delivery:{m.decode() if isinstance(m, bytes) else m}" for m in deliveries]
        await self._r.delete(f"{self._p}contact:{citizen_id}", f"{self._p}citizen-deliveries:{citizen_id}", *keys)

    async def delivery(self, match_event_id: uuid.UUID) -> dict[str, Any] | None:
        raw = await self._r.get(f"{self._p}delivery:{match_event_id}")
        return json.loads(raw) if raw else None

    async def record_delivery(self, citizen_id: uuid.UUID, match_event_id: uuid.UUID, record: dict[str, Any]) -> None:
        await self._r.set(f"{self._p}delivery:{match_event_id}", json.dumps(record))
        await self._r.sadd(f"{self._p}citizen-deliveries:{citizen_id}", str(match_event_id))

    async def deliveries_of(self, citizen_id: uuid.UUID) -> list[dict[str, Any]]:
        ids = await self._r.smembers(f"{self._p}citizen-deliveries:{citizen_id}")
        out = []
        for m in sorted(i.decode() if isinstance(i, bytes) else str(i) for i in ids):
            record = await self.delivery(uuid.UUID(m))
            if record is not None:
                out.append({"match_event_id": m, **record})
        return out
