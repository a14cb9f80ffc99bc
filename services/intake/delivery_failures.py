"""Messages the notifier gave up on (`DeliveryFailed`): kept per municipality for the caseworker's queue,
so a person can hand the proposal over, or call the owner, instead."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Protocol

from pydantic import BaseModel, Field
from redis.asyncio import Redis

from shared.contracts import DeliveryFailed


class Municipalities(Protocol):
    async def citizen_municipality(self, citizen_id: uuid.UUID) -> str | None: ...


class FailedDelivery(BaseModel):
    """One dead-lettered message, as the caseworker's queue shows it."""

    citizen_id: uuid.UUID
    proposal_ids: list[uuid.UUID]
    recipient: str = Field(description="`citizen` (hand it over in person) or `owner` (call the owner).")
    channel: str
    attempts: int
    reason: str
    failed_at: dt.datetime


class DeliveryFailures:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._r = redis
        self._p = f"{prefix}intake:delivery-failed:"

    async def record(self, municipality: str, event: DeliveryFailed) -> None:
        entry = FailedDelivery(
            citizen_id=event.citizen_id,
            proposal_ids=event.proposal_ids,
            recipient=event.recipient,
            channel=event.channel,
            attempts=event.attempts,
            reason=event.reason,
            failed_at=event.occurred_at,
        )
        # Keyed by the event id: a redelivered failure is one entry.
        await self._r.hset(f"{self._p}{municipality}", str(event.event_id), entry.model_dump_json())
        await self._r.sadd(f"{self._p}by-citizen:{event.citizen_id}", f"{municipality}|{event.event_id}")

    async def of(self, municipality: str) -> list[FailedDelivery]:
        raw = await self._r.hgetall(f"{self._p}{municipality}")
        entries = [FailedDelivery.model_validate(json.loads(v)) for v in raw.values()]
        return sorted(entries, key=lambda e: e.failed_at)

    async def forget(self, citizen_id: uuid.UUID) -> None:
        """After an erasure nothing about the citizen stays in the queue."""
        members = await self._r.smembers(f"{self._p}by-citizen:{citizen_id}")
        for member in members:
            municipality, event_id = (member.decode() if isinstance(member, bytes) else str(member)).split("|", 1)
            await self._r.hdel(f"{self._p}{municipality}", event_id)
        await self._r.delete(f"{self._p}by-citizen:{citizen_id}")


async def on_delivery_failed(failures: DeliveryFailures, directory: Municipalities, event: DeliveryFailed) -> None:
    """Show a dead-lettered message in the queue of the citizen's municipality."""
    municipality = await directory.citizen_municipality(event.citizen_id)
    if municipality is not None:  # unknown or erased: nobody is left to hand it to
        await failures.record(municipality, event)
