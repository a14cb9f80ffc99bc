"""The notifier's own Redis keys: how to reach each citizen (sealed), what was sent, and what waits to be sent.

Waiting work is kept here before the record that caused it is committed on Kafka (the effectively-once
rule): a citizen's approved proposals wait in `pending:` until their digest is due (`due`), a digest
being sent is frozen in `batch:` (so a resend after a crash carries the same proposals and Message-ID),
and owners' notices wait in the `outbox`. Owners' webhooks are kept with their secret sealed.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from redis.asyncio import Redis

from shared.contracts import SealedPersonal


@dataclass(frozen=True)
class StoredContact:
    sealed: SealedPersonal
    language: str
    channel: str  # `email` or `private`
    municipality: str | None = None


#: How long a proposal is remembered as carried by a digest: longer than any redelivery of its approval.
CARRIED_TTL_S = 180 * 24 * 3600
_ADD_PENDING = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 1 then return 1 end
return 2
"""
#: What `add_pending` did: the proposal now waits, already waited (a redelivery), or a digest carried it.
Pending = Literal["added", "waiting", "carried"]
_PENDING: dict[int, Pending] = {0: "carried", 1: "added", 2: "waiting"}


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class NotifierStore:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._r = redis
        self._p = f"{prefix}notifier:"

    async def ping(self) -> bool:
        return bool(await self._r.ping())

    # Contacts ------------------------------------------------------------------------------------

    async def save_contact(self, citizen_id: uuid.UUID, contact: StoredContact) -> None:
        """The personal part stays sealed here too: erasing the citizen's key makes it unreadable."""
        record = {
            "sealed": contact.sealed.model_dump(),
            "language": contact.language,
            "channel": contact.channel,
            "municipality": contact.municipality,
        }
        await self._r.set(f"{self._p}contact:{citizen_id}", json.dumps(record))

    async def contact(self, citizen_id: uuid.UUID) -> StoredContact | None:
        raw = await self._r.get(f"{self._p}contact:{citizen_id}")
        if not raw:
            return None
        r = json.loads(raw)
        return StoredContact(
            SealedPersonal.model_validate(r["sealed"]), r["language"], r["channel"], r.get("municipality")
        )

    async def erase(self, citizen_id: uuid.UUID) -> None:
        """Forget the citizen: contact, deliveries, waiting proposals and notices about them."""
        deliveries = await self._r.smembers(f"{self._p}citizen-deliveries:{citizen_id}")
        outbox = await self._r.smembers(f"{self._p}citizen-outbox:{citizen_id}")
        keys = [f"{self._p}delivery:{_text(m)}" for m in deliveries] + [f"{self._p}outbox:{_text(m)}" for m in outbox]
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.delete(
                f"{self._p}contact:{citizen_id}",
                f"{self._p}citizen-deliveries:{citizen_id}",
                f"{self._p}citizen-outbox:{citizen_id}",
                f"{self._p}pending:{citizen_id}",
                f"{self._p}batch:{citizen_id}",
                *keys,
            )
            pipe.zrem(f"{self._p}due", str(citizen_id))
            if outbox:
                pipe.zrem(f"{self._p}outbox-due", *[_text(m) for m in outbox])
            await pipe.execute()

    # Deliveries (what happened to one message) ---------------------------------------------------

    async def delivery(self, message_key: uuid.UUID) -> dict[str, Any] | None:
        raw = await self._r.get(f"{self._p}delivery:{message_key}")
        return json.loads(raw) if raw else None

    async def record_delivery(self, citizen_id: uuid.UUID, message_key: uuid.UUID, record: dict[str, Any]) -> None:
        await self._r.set(f"{self._p}delivery:{message_key}", json.dumps(record))
        await self._r.sadd(f"{self._p}citizen-deliveries:{citizen_id}", str(message_key))

    async def deliveries_of(self, citizen_id: uuid.UUID) -> list[dict[str, Any]]:
        ids = await self._r.smembers(f"{self._p}citizen-deliveries:{citizen_id}")
        out = []
        for m in sorted(_text(i) for i in ids):
            record = await self.delivery(uuid.UUID(m))
            if record is not None:
                out.append({"match_event_id": m, **record})
        return out

    # Digests -------------------------------------------------------------------------------------

    async def add_pending(self, citizen_id: uuid.UUID, proposal_id: uuid.UUID, entry: dict[str, Any]) -> Pending:
        """Let the proposal wait for a digest; no change when it already waits or a digest has carried it."""
        added = await self._r.eval(
            _ADD_PENDING,
            2,
            f"{self._p}carried:{proposal_id}",
            f"{self._p}pending:{citizen_id}",
            str(proposal_id),
            json.dumps(entry),
        )
        return _PENDING[int(added)]

    async def remove_pending(self, citizen_id: uuid.UUID, proposal_id: uuid.UUID) -> bool:
        return bool(await self._r.hdel(f"{self._p}pending:{citizen_id}", str(proposal_id)))

    async def pending(self, citizen_id: uuid.UUID) -> dict[str, dict[str, Any]]:
        raw = await self._r.hgetall(f"{self._p}pending:{citizen_id}")
        return {_text(k): json.loads(v) for k, v in raw.items()}

    async def schedule(self, citizen_id: uuid.UUID, at: float) -> None:
        await self._r.zadd(f"{self._p}due", {str(citizen_id): at})

    async def unschedule(self, citizen_id: uuid.UUID) -> None:
        await self._r.zrem(f"{self._p}due", str(citizen_id))

    async def due(self, now: float, limit: int = 100) -> list[uuid.UUID]:
        found = await self._r.zrangebyscore(f"{self._p}due", "-inf", now, start=0, num=limit)
        return [uuid.UUID(_text(c)) for c in found]

    async def last_digest_at(self, citizen_id: uuid.UUID) -> float | None:
        raw = await self._r.get(f"{self._p}last-digest:{citizen_id}")
        return float(raw) if raw else None

    async def batch(self, citizen_id: uuid.UUID) -> dict[str, Any] | None:
        raw = await self._r.get(f"{self._p}batch:{citizen_id}")
        return json.loads(raw) if raw else None

    async def start_batch(self, citizen_id: uuid.UUID, batch: dict[str, Any], proposal_ids: list[str]) -> None:
        """Freeze the waiting proposals into one digest, atomically: none is both waiting and in the batch,
        and none waits again (a redelivered approval of a carried proposal is ignored)."""
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.set(f"{self._p}batch:{citizen_id}", json.dumps(batch))
            if proposal_ids:
                pipe.hdel(f"{self._p}pending:{citizen_id}", *proposal_ids)
            for pid in proposal_ids:
                pipe.set(f"{self._p}carried:{pid}", b"1", ex=CARRIED_TTL_S)
            await pipe.execute()

    async def update_batch(self, citizen_id: uuid.UUID, batch: dict[str, Any]) -> None:
        await self._r.set(f"{self._p}batch:{citizen_id}", json.dumps(batch), xx=True)

    async def finish_batch(self, citizen_id: uuid.UUID, sent_at: float | None) -> None:
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.delete(f"{self._p}batch:{citizen_id}")
            if sent_at is not None:
                pipe.set(f"{self._p}last-digest:{citizen_id}", str(sent_at))
            await pipe.execute()

    async def claim(self, name: str, ttl_s: float) -> bool:
        """One instance works on `name` at a time (two notifiers in one group share the sweeps)."""
        return bool(await self._r.set(f"{self._p}claim:{name}", b"1", nx=True, px=max(1, int(ttl_s * 1000))))

    async def release(self, name: str) -> None:
        await self._r.delete(f"{self._p}claim:{name}")

    # Opportunities and owners --------------------------------------------------------------------

    async def save_opportunity(self, opportunity_id: uuid.UUID, facts: dict[str, Any]) -> None:
        await self._r.set(f"{self._p}opportunity:{opportunity_id}", json.dumps(facts))

    async def opportunity(self, opportunity_id: uuid.UUID) -> dict[str, Any] | None:
        raw = await self._r.get(f"{self._p}opportunity:{opportunity_id}")
        return json.loads(raw) if raw else None

    async def save_webhook(self, owner: str, record: dict[str, Any] | None) -> None:
        if record is None:
            await self._r.delete(f"{self._p}webhook:{owner}")
        else:
            await self._r.set(f"{self._p}webhook:{owner}", json.dumps(record))

    async def webhook(self, owner: str) -> dict[str, Any] | None:
        raw = await self._r.get(f"{self._p}webhook:{owner}")
        return json.loads(raw) if raw else None

    # The owners' outbox --------------------------------------------------------------------------

    async def enqueue(self, citizen_id: uuid.UUID, item_id: uuid.UUID, item: dict[str, Any], at: float) -> bool:
        """Queue one owner notice; False when it was queued before (a redelivered record)."""
        if not await self._r.set(f"{self._p}outbox:{item_id}", json.dumps(item), nx=True):
            return False
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.sadd(f"{self._p}citizen-outbox:{citizen_id}", str(item_id))
            pipe.zadd(f"{self._p}outbox-due", {str(item_id): at})
            await pipe.execute()
        return True

    async def outbox_due(self, now: float, limit: int = 100) -> list[uuid.UUID]:
        found = await self._r.zrangebyscore(f"{self._p}outbox-due", "-inf", now, start=0, num=limit)
        return [uuid.UUID(_text(i)) for i in found]

    async def outbox_item(self, item_id: uuid.UUID) -> dict[str, Any] | None:
        raw = await self._r.get(f"{self._p}outbox:{item_id}")
        return json.loads(raw) if raw else None

    async def update_outbox(self, item_id: uuid.UUID, item: dict[str, Any], next_at: float | None) -> None:
        """Save the item's progress; `next_at` None: it is finished (sent or dead-lettered) and leaves the queue."""
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.set(f"{self._p}outbox:{item_id}", json.dumps(item), xx=True)
            if next_at is None:
                pipe.zrem(f"{self._p}outbox-due", str(item_id))
            else:
                pipe.zadd(f"{self._p}outbox-due", {str(item_id): next_at})
            await pipe.execute()
