"""The KPI read model: per citizen only what the report counts (no name, no contact, no free text).

Each kind of fact has its own key, written field by field, so the citizens and proposals subscribers
never overwrite each other's updates.
"""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import TypeAdapter
from redis.asyncio import Redis

from services.intake.domain.kpi import KpiFacts, KpiFollowUp, KpiStep, KpiTest

_TESTS: TypeAdapter[list[KpiTest]] = TypeAdapter(list[KpiTest])


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class KpiStore:
    """Keys under `<namespace>intake:kpi…`."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._r = redis
        self._p = f"{prefix}intake:kpi"

    def _k(self, part: str, citizen_id: uuid.UUID | str) -> str:
        return f"{self._p}-{part}:{citizen_id}"

    async def save_profile(
        self,
        citizen_id: uuid.UUID,
        municipality: str,
        gender: str,
        origin_group: str,
        programme_start: dt.date | None,
        tests: list[KpiTest],
        occurred_at: dt.datetime,
    ) -> None:
        before = await self._r.hget(self._k("person", citizen_id), "municipality")
        async with self._r.pipeline(transaction=True) as pipe:
            if before is not None and _text(before) != municipality:
                pipe.srem(f"{self._p}-members:{_text(before)}", str(citizen_id))
            pipe.hsetnx(self._k("person", citizen_id), "registered_at", occurred_at.isoformat())
            pipe.hset(
                self._k("person", citizen_id),
                mapping={
                    "municipality": municipality,
                    "gender": gender,
                    "origin_group": origin_group,
                    "programme_start": programme_start.isoformat() if programme_start else "",
                    "tests": _TESTS.dump_json(tests).decode(),
                },
            )
            pipe.sadd(f"{self._p}-members:{municipality}", str(citizen_id))
            await pipe.execute()

    async def add_proposals(self, citizen_id: uuid.UUID, proposal_ids: list[uuid.UUID], at: dt.datetime) -> None:
        if not proposal_ids:
            return
        async with self._r.pipeline(transaction=False) as pipe:
            for pid in proposal_ids:
                pipe.hsetnx(self._k("proposals", citizen_id), str(pid), at.isoformat())
            await pipe.execute()

    async def add_step(self, citizen_id: uuid.UUID, step: KpiStep) -> None:
        await self._r.hset(self._k("steps", citizen_id), f"{step.proposal_id}:{step.to_state}", step.model_dump_json())

    async def add_follow_up(self, citizen_id: uuid.UUID, follow_up: KpiFollowUp) -> None:
        field = f"{follow_up.started_on.isoformat()}:{follow_up.months}"
        await self._r.hset(self._k("follow", citizen_id), field, follow_up.model_dump_json())

    async def forget(self, citizen_id: uuid.UUID) -> None:
        municipality = await self._r.hget(self._k("person", citizen_id), "municipality")
        async with self._r.pipeline(transaction=True) as pipe:
            if municipality is not None:
                pipe.srem(f"{self._p}-members:{_text(municipality)}", str(citizen_id))
            pipe.delete(*(self._k(part, citizen_id) for part in ("person", "proposals", "steps", "follow")))
            await pipe.execute()

    async def facts(self, municipality: str) -> list[KpiFacts]:
        ids = sorted(_text(m) for m in await self._r.smembers(f"{self._p}-members:{municipality}"))
        async with self._r.pipeline(transaction=False) as pipe:
            for i in ids:
                pipe.hgetall(self._k("person", i))
                pipe.hgetall(self._k("proposals", i))
                pipe.hvals(self._k("steps", i))
                pipe.hvals(self._k("follow", i))
            raw = await pipe.execute()
        out: list[KpiFacts] = []
        for n, citizen in enumerate(ids):
            person = {_text(k): _text(v) for k, v in raw[4 * n].items()}
            if not person.get("registered_at"):
                continue
            out.append(
                KpiFacts(
                    citizen_id=uuid.UUID(citizen),
                    municipality=person["municipality"],
                    gender=person.get("gender", "undisclosed"),
                    origin_group=person.get("origin_group", "undisclosed"),
                    registered_at=dt.datetime.fromisoformat(person["registered_at"]),
                    programme_start=dt.date.fromisoformat(person["programme_start"])
                    if person.get("programme_start")
                    else None,
                    danish_tests=_TESTS.validate_json(person.get("tests") or "[]"),
                    proposals={_text(k): dt.datetime.fromisoformat(_text(v)) for k, v in raw[4 * n + 1].items()},
                    steps=[KpiStep.model_validate_json(v) for v in raw[4 * n + 2]],
                    follow_ups=[KpiFollowUp.model_validate_json(v) for v in raw[4 * n + 3]],
                )
            )
        return out

