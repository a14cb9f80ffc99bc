"""The audit trail: an event on the audit topic and an entry in an append-only Redis stream.

No API edits or deletes entries; the stream is only ever appended to (XADD) and read (XRANGE).
"""

from __future__ import annotations

import uuid
from typing import Any

from redis.asyncio import Redis

from services.intake.adapters.publisher import EventPublisher
from shared.contracts import AuditRecorded


class AuditLog:
    def __init__(self, redis: Redis, prefix: str, publisher: EventPublisher, topic: str) -> None:
        self._r = redis
        self._stream = f"{prefix}audit:log"
        self._publisher = publisher
        self._topic = topic

    async def record(self, entry: AuditRecorded) -> None:
        """Publish first: an action whose audit entry cannot be written is refused (503)."""
        await self._publisher.publish(self._topic, str(entry.citizen_id or entry.actor_id), entry)
        await self._r.xadd(self._stream, {"event": entry.model_dump_json()})

    async def read(
        self, *, citizen_id: uuid.UUID | None = None, actor_id: str | None = None, limit: int = 500
    ) -> list[dict[str, Any]]:
        """Newest first, filtered by citizen and/or actor."""
        out: list[dict[str, Any]] = []
        last = "+"
        while len(out) < limit:
            batch = await self._r.xrevrange(self._stream, max=last, min="-", count=500)
            if not batch:
                break
            for _entry_id, fields in batch:
                fields = fields or {}
                raw = fields.get(b"event") or fields.get("event") or b"{}"
                entry = AuditRecorded.model_validate_json(raw)
                if citizen_id is not None and entry.citizen_id != citizen_id:
                    continue
                if actor_id is not None and entry.actor_id != actor_id:
                    continue
                out.append(entry.model_dump(mode="json"))
                if len(out) >= limit:
                    break
            last_id = batch[-1][0]
            last = "(" + (last_id.decode() if isinstance(last_id, bytes) else str(last_id))
        return out
