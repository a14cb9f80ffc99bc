"""Each proposal's lifecycle state and history in Redis, changed only by an atomic compare-and-set.

Keys under `<namespace>intake:lifecycle:` (no other service reads them):

- `proposal:<id>` (hash): whose, for which opportunity and owner, its state; `history:<id>` (list);
- `by-citizen:<citizen>`, `by-owner:<owner>` (sorted by when proposed), `by-opportunity:<id>` (set);
- `queue:<municipality>` (proposed, oldest first), `handover:<municipality>` (approved, private channel),
  `offered` (sorted by when offered: the expiry sweep's work list).

The indexes change inside the same Lua script as the state, so no reader sees them disagree.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from redis.asyncio import Redis

from services.intake.domain.lifecycle import Action, Actor, Outcome, RetractCause, State, Transition
from shared.contracts import Event, OpportunityKind, Proposal, SealedPersonal, citizen_event_adapter


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _ms(at: dt.datetime) -> int:
    return int(at.timestamp() * 1000)


@dataclass(frozen=True)
class ProposalRecord:
    """What intake knows of one proposal: whose it is, for which opportunity, and where it stands."""

    proposal_id: uuid.UUID
    citizen_id: uuid.UUID
    opportunity_id: uuid.UUID
    state: State
    changed_at: dt.datetime
    kind: OpportunityKind = OpportunityKind.ORDINARY_JOB
    municipality: str = ""
    owner: str = ""  # `company:<cvr>` or `association:<id>`; empty when intake never saw the opportunity
    created_at: dt.datetime | None = None
    offered_at: dt.datetime | None = None
    proposal: Proposal | None = field(default=None, compare=False)
    owner_told_to_delete: bool = False  # retracted after the owner had received the citizen's details


@dataclass(frozen=True)
class CitizenFacts:
    """What the lifecycle needs of the citizen: the channel, the consent, and the sealed personal part."""

    private: bool
    consent: dict[str, bool]
    personal: SealedPersonal | None = None


class LifecycleStore(Protocol):
    async def open(self, record: ProposalRecord) -> bool:
        """Start tracking a proposal in state `proposed`; False (and no change) if it is already tracked."""

    async def get(self, proposal_id: uuid.UUID) -> ProposalRecord | None: ...

    async def apply(
        self, proposal_id: uuid.UUID, transition: Transition, *, private: bool = False, event: Event | None = None
    ) -> bool:
        """Store `transition` only if the proposal is still in `transition.source`; False otherwise.

        `event` goes into the outbox in the same step: it is published even if this process dies next.
        """

    async def unpublished(self) -> list[Event]:
        """Events stored with a transition and not yet confirmed by the broker."""

    async def published(self, event_id: uuid.UUID) -> None: ...

    async def history(self, proposal_id: uuid.UUID) -> list[Transition]: ...

    async def of_citizen(self, citizen_id: uuid.UUID) -> list[ProposalRecord]: ...

    async def of_owner(self, owner: str) -> list[ProposalRecord]: ...

    async def of_opportunity(self, opportunity_id: uuid.UUID) -> list[ProposalRecord]: ...

    async def queue(self, municipality: str) -> list[ProposalRecord]:
        """Proposed ones, then approved private-channel ones awaiting hand-over; each oldest first."""

    async def offered_before(self, cutoff: dt.datetime, limit: int) -> list[uuid.UUID]: ...

    async def save_citizen(self, citizen_id: uuid.UUID, facts: CitizenFacts) -> None: ...

    async def citizen(self, citizen_id: uuid.UUID) -> CitizenFacts | None: ...

    async def forget(self, citizen_id: uuid.UUID) -> None:
        """After an erasure: drop histories (they hold free text) and the citizen's facts; states stay."""


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


# KEYS: hash, by-citizen, by-opportunity, by-owner (or a dummy), queue. ARGV: id, created ms, then field/value pairs.
_OPEN = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local fields = {}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
if KEYS[4] ~= KEYS[1] then redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1]) end
redis.call('ZADD', KEYS[5], ARGV[2], ARGV[1])
return 1
"""

# KEYS: hash, history, queue, handover, offered, outbox.
# ARGV: expected, new, time, entry, id, time ms, private, event id, event JSON.
_COMPARE_AND_SET = """
if redis.call('HGET', KEYS[1], 'state') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'changed_at', ARGV[3])
redis.call('RPUSH', KEYS[2], ARGV[4])
redis.call('ZREM', KEYS[3], ARGV[5])
redis.call('ZREM', KEYS[4], ARGV[5])
redis.call('ZREM', KEYS[5], ARGV[5])
if ARGV[2] == 'approved' and ARGV[7] == '1' then
  redis.call('ZADD', KEYS[4], redis.call('HGET', KEYS[1], 'created_ms'), ARGV[5])
end
if ARGV[2] == 'offered' then
  redis.call('ZADD', KEYS[5], ARGV[6], ARGV[5])
  redis.call('HSET', KEYS[1], 'offered_at', ARGV[3])
end
if ARGV[2] == 'retracted' and (ARGV[1] == 'shared' or ARGV[1] == 'interested' or ARGV[1] == 'started') then
  redis.call('HSET', KEYS[1], 'owner_told_to_delete', '1')
end
if ARGV[8] ~= '' then redis.call('HSET', KEYS[6], ARGV[8], ARGV[9]) end
return 1
"""


class RedisLifecycleStore:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._r = redis
        self._p = f"{prefix}intake:lifecycle:"
        self._open = redis.register_script(_OPEN)
        self._cas = redis.register_script(_COMPARE_AND_SET)

    def _hash(self, proposal_id: uuid.UUID | str) -> str:
        return f"{self._p}proposal:{proposal_id}"

    def _history(self, proposal_id: uuid.UUID | str) -> str:
        return f"{self._p}history:{proposal_id}"

    async def open(self, record: ProposalRecord) -> bool:
        created = record.created_at or record.changed_at
        fields = {
            "state": State.PROPOSED.value,
            "citizen_id": str(record.citizen_id),
            "opportunity_id": str(record.opportunity_id),
            "changed_at": record.changed_at.isoformat(),
            "created_at": created.isoformat(),
            "created_ms": str(_ms(created)),
            "kind": record.kind.value,
            "municipality": record.municipality,
            "owner": record.owner,
            "proposal": record.proposal.model_dump_json() if record.proposal else "",
        }
        key = self._hash(record.proposal_id)
        keys = [
            key,
            f"{self._p}by-citizen:{record.citizen_id}",
            f"{self._p}by-opportunity:{record.opportunity_id}",
            f"{self._p}by-owner:{record.owner}" if record.owner else key,
            f"{self._p}queue:{record.municipality}",
        ]
        args: list[str | int] = [str(record.proposal_id), _ms(created), *[x for kv in fields.items() for x in kv]]
        return bool(await self._open(keys=keys, args=args))

    async def get(self, proposal_id: uuid.UUID) -> ProposalRecord | None:
        raw = {_text(k): _text(v) for k, v in (await self._r.hgetall(self._hash(proposal_id))).items()}
        return _record(proposal_id, raw) if raw else None

    async def _many(self, ids: list[Any]) -> list[ProposalRecord]:
        async with self._r.pipeline(transaction=False) as pipe:
            for pid in ids:
                pipe.hgetall(self._hash(_text(pid)))
            rows = await pipe.execute()
        out = []
        for pid, row in zip(ids, rows, strict=True):
            raw = {_text(k): _text(v) for k, v in row.items()}
            if raw:
                out.append(_record(uuid.UUID(_text(pid)), raw))
        return out

    async def apply(
        self, proposal_id: uuid.UUID, transition: Transition, *, private: bool = False, event: Event | None = None
    ) -> bool:
        record = await self.get(proposal_id)
        if record is None:
            return False
        keys = [
            self._hash(proposal_id),
            self._history(proposal_id),
            f"{self._p}queue:{record.municipality}",
            f"{self._p}handover:{record.municipality}",
            f"{self._p}offered",
            f"{self._p}outbox",
        ]
        args = [
            transition.source.value,
            transition.target.value,
            transition.at.isoformat(),
            transition_to_json(transition),
            str(proposal_id),
            _ms(transition.at),
            "1" if private else "0",
            str(event.event_id) if event else "",
            event.model_dump_json() if event else "",
        ]
        return bool(await self._cas(keys=keys, args=args))

    async def unpublished(self) -> list[Event]:
        raw = await self._r.hvals(f"{self._p}outbox")
        return [citizen_event_adapter.validate_json(v) for v in raw]

    async def published(self, event_id: uuid.UUID) -> None:
        await self._r.hdel(f"{self._p}outbox", str(event_id))

    async def history(self, proposal_id: uuid.UUID) -> list[Transition]:
        return [transition_from_json(raw) for raw in await self._r.lrange(self._history(proposal_id), 0, -1)]

    async def of_citizen(self, citizen_id: uuid.UUID) -> list[ProposalRecord]:
        return await self._many(await self._r.zrange(f"{self._p}by-citizen:{citizen_id}", 0, -1))

    async def of_owner(self, owner: str) -> list[ProposalRecord]:
        return await self._many(await self._r.zrange(f"{self._p}by-owner:{owner}", 0, -1))

    async def of_opportunity(self, opportunity_id: uuid.UUID) -> list[ProposalRecord]:
        return await self._many(list(await self._r.smembers(f"{self._p}by-opportunity:{opportunity_id}")))

    async def queue(self, municipality: str) -> list[ProposalRecord]:
        waiting = await self._r.zrange(f"{self._p}queue:{municipality}", 0, -1)
        handover = await self._r.zrange(f"{self._p}handover:{municipality}", 0, -1)
        return await self._many([*waiting, *handover])

    async def offered_before(self, cutoff: dt.datetime, limit: int) -> list[uuid.UUID]:
        due = await self._r.zrangebyscore(f"{self._p}offered", "-inf", _ms(cutoff), start=0, num=limit)
        return [uuid.UUID(_text(d)) for d in due if isinstance(d, bytes | str)]

    async def save_citizen(self, citizen_id: uuid.UUID, facts: CitizenFacts) -> None:
        record = {
            "private": facts.private,
            "consent": facts.consent,
            "personal": facts.personal.model_dump() if facts.personal else None,
        }
        await self._r.set(f"{self._p}citizen:{citizen_id}", json.dumps(record))

    async def citizen(self, citizen_id: uuid.UUID) -> CitizenFacts | None:
        raw = await self._r.get(f"{self._p}citizen:{citizen_id}")
        if not raw:
            return None
        d = json.loads(raw)
        personal = SealedPersonal.model_validate(d["personal"]) if d.get("personal") else None
        return CitizenFacts(private=bool(d["private"]), consent=dict(d["consent"]), personal=personal)

    async def forget(self, citizen_id: uuid.UUID) -> None:
        ids = await self._r.zrange(f"{self._p}by-citizen:{citizen_id}", 0, -1)
        async with self._r.pipeline(transaction=False) as pipe:
            for pid in ids:
                assert isinstance(pid, bytes | str)
                pipe.delete(self._history(_text(pid)))
                pipe.hset(self._hash(_text(pid)), "proposal", "")
            pipe.delete(f"{self._p}citizen:{citizen_id}")
            await pipe.execute()


def _record(proposal_id: uuid.UUID, raw: dict[str, str]) -> ProposalRecord:
    created = raw.get("created_at")
    offered = raw.get("offered_at")
    snapshot = raw.get("proposal")
    return ProposalRecord(
        proposal_id=proposal_id,
        citizen_id=uuid.UUID(raw["citizen_id"]),
        opportunity_id=uuid.UUID(raw["opportunity_id"]),
        state=State(raw["state"]),
        changed_at=dt.datetime.fromisoformat(raw["changed_at"]),
        kind=OpportunityKind(raw.get("kind") or OpportunityKind.ORDINARY_JOB.value),
        municipality=raw.get("municipality", ""),
        owner=raw.get("owner", ""),
        created_at=dt.datetime.fromisoformat(created) if created else None,
        offered_at=dt.datetime.fromisoformat(offered) if offered else None,
        proposal=Proposal.model_validate_json(snapshot) if snapshot else None,
        owner_told_to_delete=raw.get("owner_told_to_delete") == "1",
    )
