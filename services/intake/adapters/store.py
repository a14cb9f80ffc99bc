"""Intake's own read models, access records and idempotency records in Redis."""

from __future__ import annotations

import json
import uuid
from typing import Any

from pydantic import ValidationError
from redis.asyncio import Redis

from services.intake.domain.access import OpportunityScope, owner_key
from services.intake.domain.candidates import Candidate
from shared.contracts import MatchProposed


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


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

    async def citizen_municipality(self, citizen_id: uuid.UUID) -> str | None:
        """The municipality the citizen belongs to; None for an unknown (or erased) citizen."""
        return _text(await self._r.hget(f"{self._p}citizen:{citizen_id}", "municipality"))

    # opportunities
    async def remember_opportunity(
        self,
        opportunity_id: uuid.UUID,
        owner_cvr: str | None,
        owner_association_id: str | None,
        municipality: str,
        status: str = "open",
    ) -> None:
        """Record (or, after a PUT, re-record) who the open opportunity belongs to."""
        await self._r.hset(
            f"{self._p}opportunity:{opportunity_id}",
            mapping={
                "owner_cvr": owner_cvr or "",
                "owner_association_id": owner_association_id or "",
                "municipality": municipality,
                "status": status,
            },
        )

    async def opportunity_scope(self, opportunity_id: uuid.UUID) -> OpportunityScope | None:
        raw = await self._r.hgetall(f"{self._p}opportunity:{opportunity_id}")
        if not raw:
            return None
        fields = {_text(k): _text(v) for k, v in raw.items()}
        return OpportunityScope(
            owner_cvr=fields.get("owner_cvr") or None,
            owner_association_id=fields.get("owner_association_id") or None,
            municipality=fields.get("municipality") or None,
            open=fields.get("status") == "open",
            awaiting_approval=fields.get("status") == "awaiting_approval",
        )

    async def opportunity_status(self, opportunity_id: uuid.UUID) -> str | None:
        return _text(await self._r.hget(f"{self._p}opportunity:{opportunity_id}", "status"))

    async def withdraw_opportunity(self, opportunity_id: uuid.UUID) -> None:
        await self.set_opportunity_status(opportunity_id, "withdrawn")

    async def set_opportunity_status(self, opportunity_id: uuid.UUID, status: str) -> None:
        await self._r.hset(f"{self._p}opportunity:{opportunity_id}", "status", status)

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

    # candidates per opportunity: `candidates:<opportunity>` maps pseudonym -> entry, and
    # `candidate-of:<citizen>` maps opportunity -> pseudonym, so a citizen can be taken out again.
    async def index_candidates(self, citizen_id: uuid.UUID, current: dict[uuid.UUID, Candidate]) -> None:
        """Make the citizen a candidate of exactly the opportunities of their latest ranking."""
        own = f"{self._p}candidate-of:{citizen_id}"
        before = {_text(k): _text(v) for k, v in (await self._r.hgetall(own)).items()}
        async with self._r.pipeline(transaction=True) as pipe:
            for opportunity, pseudonym in before.items():
                if opportunity is not None and pseudonym is not None and uuid.UUID(opportunity) not in current:
                    pipe.hdel(f"{self._p}candidates:{opportunity}", pseudonym)
                    pipe.hdel(own, opportunity)
            for opportunity_id, entry in current.items():
                pipe.hset(f"{self._p}candidates:{opportunity_id}", entry.pseudonym, entry.model_dump_json())
                pipe.hset(own, str(opportunity_id), entry.pseudonym)
            await pipe.execute()

    async def forget_candidates(self, citizen_id: uuid.UUID) -> None:
        """Take the citizen out of every opportunity's candidate list (erasure)."""
        await self.index_candidates(citizen_id, {})
        await self._r.delete(f"{self._p}candidate-of:{citizen_id}")

    async def candidates(self, opportunity_id: uuid.UUID) -> list[Candidate]:
        raw = await self._r.hvals(f"{self._p}candidates:{opportunity_id}")
        entries = []
        for value in raw:
            try:
                entries.append(Candidate.model_validate_json(value))
            except ValidationError:
                continue  # written by an earlier version (exact times); the citizen's next ranking replaces it
        return sorted(entries, key=lambda c: (c.rank, c.pseudonym))

    async def owners_of(self, opportunity_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
        """Whose each opportunity is (see `owner_key`), in one round trip."""
        async with self._r.pipeline(transaction=False) as pipe:
            for opportunity_id in opportunity_ids:
                pipe.hmget(f"{self._p}opportunity:{opportunity_id}", ["owner_cvr", "owner_association_id"])
            rows = await pipe.execute()
        return {
            oid: owner_key(_text(cvr) or None, _text(association) or None, oid)
            for oid, (cvr, association) in zip(opportunity_ids, rows, strict=True)
        }

    # idempotency
    async def reserve_ids(
        self, key: str, fresh: list[uuid.UUID], fingerprint: str, ttl_s: int
    ) -> tuple[list[uuid.UUID], str]:
        """The ids reserved for this Idempotency-Key (`fresh` if it is new) and the body they were reserved for."""
        record = json.dumps({"ids": [str(i) for i in fresh], "fingerprint": fingerprint})
        await self._r.set(f"{self._p}idem-ids:{key}", record, nx=True, ex=ttl_s)
        stored = json.loads(await self._r.get(f"{self._p}idem-ids:{key}") or record)
        return [uuid.UUID(i) for i in stored["ids"]], str(stored["fingerprint"])

    async def idempotent_response(self, key: str) -> dict[str, Any] | None:
        raw = await self._r.get(f"{self._p}idem:{key}")
        return json.loads(raw) if raw else None

    async def save_idempotent_response(self, key: str, record: dict[str, Any], ttl_s: int) -> None:
        await self._r.set(f"{self._p}idem:{key}", json.dumps(record), ex=ttl_s)
