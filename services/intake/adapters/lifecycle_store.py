"""Each proposal's lifecycle state and history in Redis, changed only by an atomic compare-and-set."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis

from services.intake.domain.lifecycle import Action, Actor, Outcome, RetractCause, State, Transition


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


@dataclass(frozen=True)
class ProposalRecord:
    """What intake knows of one proposal: whose it is, for which opportunity, and where it stands."""

    proposal_id: uuid.UUID
    citizen_id: uuid.UUID
    opportunity_id: uuid.UUID
    state: State
    changed_at: dt.datetime


class LifecycleStore(Protocol):
    async def open(self, record: ProposalRecord) -> bool:
        """Start tracking a proposal in state `proposed`; False (and no change) if it is already tracked."""

    async def get(self, proposal_id: uuid.UUID) -> ProposalRecord | None: ...

    async def apply(self, proposal_id: uuid.UUID, transition: Transition) -> bool:
        """Store `transition` only if the proposal is still in `transition.source`; False otherwise."""

    async def history(self, proposal_id: uuid.UUID) -> list[Transition]: ...


def transition_to_json(t: Transition) -> str:
    return json.dumps(
        {
            "action": t.action.value,
            "source": t.source.value,
            "target": t.target.value,
            "actor": t.actor.value,
            "actor_id": t.actor_id,
            "at": t.at.isoformat(),
            "reason": t.reason,
            "on_date": t.on_date.isoformat() if t.on_date else None,
            "outcome": t.outcome.value if t.outcome else None,
            "cause": t.cause.value if t.cause else None,
        },
        separators=(",", ":"),
    )


def transition_from_json(raw: str | bytes) -> Transition:
    d = json.loads(raw)
    return Transition(
        action=Action(d["action"]),
        source=State(d["source"]),
        target=State(d["target"]),
        actor=Actor(d["actor"]),
        actor_id=d["actor_id"],
        at=dt.datetime.fromisoformat(d["at"]),
        reason=d["reason"],
        on_date=dt.date.fromisoformat(d["on_date"]) if d["on_date"] else None,
        outcome=Outcome(d["outcome"]) if d["outcome"] else None,
        cause=RetractCause(d["cause"]) if d["cause"] else None,
    )


# KEYS[1] = the proposal's hash; ARGV = state, citizen, opportunity, time.
_OPEN = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'citizen_id', ARGV[2], 'opportunity_id', ARGV[3], 'changed_at', ARGV[4])
return 1
"""

# KEYS[1] = the proposal's hash, KEYS[2] = its history list; ARGV = expected state, new state, time, entry.
_COMPARE_AND_SET = """
if redis.call('HGET', KEYS[1], 'state') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'changed_at', ARGV[3])
redis.call('RPUSH', KEYS[2], ARGV[4])
return 1
"""


class RedisLifecycleStore:
    """Keys `<prefix>intake:proposal:<id>` (a hash) and `<prefix>intake:proposal-history:<id>` (a list)."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._r = redis
        self._p = f"{prefix}intake:"
        self._open = redis.register_script(_OPEN)
        self._cas = redis.register_script(_COMPARE_AND_SET)

    def _keys(self, proposal_id: uuid.UUID) -> tuple[str, str]:
        return f"{self._p}proposal:{proposal_id}", f"{self._p}proposal-history:{proposal_id}"

    async def open(self, record: ProposalRecord) -> bool:
        key, _ = self._keys(record.proposal_id)
        args = [State.PROPOSED.value, str(record.citizen_id), str(record.opportunity_id), record.changed_at.isoformat()]
        return bool(await self._open(keys=[key], args=args))

    async def get(self, proposal_id: uuid.UUID) -> ProposalRecord | None:
        key, _ = self._keys(proposal_id)
        raw = {_text(k): _text(v) for k, v in (await self._r.hgetall(key)).items()}
        if not raw:
            return None
        return ProposalRecord(
            proposal_id=proposal_id,
            citizen_id=uuid.UUID(raw["citizen_id"]),
            opportunity_id=uuid.UUID(raw["opportunity_id"]),
            state=State(raw["state"]),
            changed_at=dt.datetime.fromisoformat(raw["changed_at"]),
        )

    async def apply(self, proposal_id: uuid.UUID, transition: Transition) -> bool:
        key, history = self._keys(proposal_id)
        args = [transition.source.value, transition.target.value, transition.at.isoformat()]
        return bool(await self._cas(keys=[key, history], args=[*args, transition_to_json(transition)]))

    async def history(self, proposal_id: uuid.UUID) -> list[Transition]:
        _, history = self._keys(proposal_id)
        return [transition_from_json(raw) for raw in await self._r.lrange(history, 0, -1)]
