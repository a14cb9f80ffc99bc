"""The audit trail: an event on the audit topic and an entry in an append-only Redis stream.

No API edits or deletes entries; the streams are only ever appended to (XADD) and read (XREVRANGE).
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from redis.asyncio import Redis

from services.intake.adapters.publisher import EventPublisher
from shared.contracts import AuditRecorded


class AuditLog:
    """`audit:log` holds every entry; `audit:citizen:<id>` and `audit:actor:<hash>` hold the same entries per
    citizen and per actor, so a filtered read reads only its own entries, never the whole trail."""

    def __init__(self, redis: Redis, prefix: str, publisher: EventPublisher, topic: str) -> None:
        self._r = redis
        self._p = f"{prefix}audit:"
        self._stream = f"{prefix}audit:log"
        self._publisher = publisher
        self._topic = topic

    def _by_citizen(self, citizen_id: uuid.UUID) -> str:
        return f"{self._p}citizen:{citizen_id}"

    def _by_actor(self, actor_id: str) -> str:
        # Hashed: an actor id is a token subject, which an IdP may make an e-mail address.
        return f"{self._p}actor:{hashlib.sha256(actor_id.encode()).hexdigest()[:32]}"

    async def record(self, entry: AuditRecorded) -> None:
        """Publish first: an action whose audit entry cannot be written is refused (503)."""
        await self._publisher.publish(self._topic, str(entry.citizen_id or entry.actor_id), entry)
        event = entry.model_dump_json()
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.xadd(self._stream, {"event": event})
            pipe.xadd(self._by_actor(entry.actor_id), {"event": event})
            if entry.citizen_id is not None:
                pipe.xadd(self._by_citizen(entry.citizen_id), {"event": event})
            await pipe.execute()

    async def read(
        self, *, citizen_id: uuid.UUID | None = None, actor_id: str | None = None, limit: int = 500
    ) -> list[dict[str, Any]]:
        """Newest first, filtered by citizen and/or actor, from the narrowest stream."""
        if citizen_id is not None:
            stream = self._by_citizen(citizen_id)
        elif actor_id is not None:
            stream = self._by_actor(actor_id)
        else:
            stream = self._stream
        out: list[dict[str, Any]] = []
        last = "+"
        while len(out) < limit:
            batch = await self._r.xrevrange(stream, max=last, min="-", count=min(limit, 500))
            if not batch:
                break
            for _entry_id, fields in batch:
                fields = fields or {}
                raw = fields.get(b"event") or fields.get("event") or b"{}"
                entry = AuditRecorded.model_validate_json(raw)
                if actor_id is not None and entry.actor_id != actor_id:
                    continue  # both filters: the citizen's stream, narrowed to one actor
                out.append(entry.model_dump(mode="json"))
                if len(out) >= limit:
                    break
            last_id = batch[-1][0]
            last = "(" + (last_id.decode() if isinstance(last_id, bytes) else str(last_id))
        return out
