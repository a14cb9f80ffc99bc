"""What one batch of citizen events sends, confirmed together before the batch's offsets are committed.

Publishing one ranking at a time and waiting for each acknowledgement (acks=all) caps a matcher at
a hundred-odd rankings a second; the outbox sends them all at once and waits for the
acknowledgements together. Events are marked processed only after their rankings are confirmed,
so a crash in between re-runs them, with the same derived ids. Dead letters of the batch go out
the same way, so nothing of a batch is committed before all it sends is confirmed.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Protocol

from faststream.kafka import KafkaBroker

from shared.contracts import Event
from shared.messaging import event_bytes, event_headers


class ProcessedMarks(Protocol):
    async def mark_processed_many(self, event_ids: list[uuid.UUID]) -> None: ...


class Outbox:
    def __init__(self, broker: KafkaBroker, marks: ProcessedMarks, max_record_bytes: int | None = None) -> None:
        self._broker = broker
        self._marks = marks
        self._max = max_record_bytes
        self._pending: list[asyncio.Future[Any]] = []
        self._processed: list[uuid.UUID] = []

    async def publish(self, topic: str, key: str, event: Event, headers: dict[str, str] | None = None) -> None:
        """Queue one event; `RecordTooLarge` (permanent) when it is over the record limit."""
        future = await self._broker.publish(
            event_bytes(event, self._max),
            topic=topic,
            key=key.encode(),
            headers=headers or event_headers(event),
            no_confirm=True,
        )
        self._pending.append(future)

    def processed(self, event_id: uuid.UUID) -> None:
        self._processed.append(event_id)

    async def flush(self) -> None:
        """Wait for every acknowledgement, then remember the events as processed."""
        pending, self._pending = self._pending, []
        await asyncio.gather(*pending)
        processed, self._processed = self._processed, []
        if processed:
            await self._marks.mark_processed_many(processed)
