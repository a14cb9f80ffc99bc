"""In-memory stand-ins for intake's ports, for unit tests of its rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from services.intake.adapters.lifecycle_store import CitizenFacts, ProposalRecord
from services.intake.domain.access import OpportunityScope
from services.intake.domain.lifecycle import State, Transition
from shared.contracts import AuditRecorded, Event


class FakeLifecycleStore:
    """Behaves like RedisLifecycleStore: `open` once, `apply` only from the expected state."""

    def __init__(self) -> None:
        self.records: dict[uuid.UUID, ProposalRecord] = {}
        self.histories: dict[uuid.UUID, list[Transition]] = {}
        self.citizens: dict[uuid.UUID, CitizenFacts] = {}
        self.outbox: dict[uuid.UUID, Event] = {}

    async def open(self, record: ProposalRecord) -> bool:
        if record.proposal_id in self.records:
            return False
        created = record.created_at or record.changed_at
        self.records[record.proposal_id] = dataclasses.replace(record, state=State.PROPOSED, created_at=created)
        self.histories[record.proposal_id] = []
        return True

    async def get(self, proposal_id: uuid.UUID) -> ProposalRecord | None:
        return self.records.get(proposal_id)

    async def apply(
        self, proposal_id: uuid.UUID, transition: Transition, *, private: bool = False, event: Event | None = None
    ) -> bool:
        record = self.records.get(proposal_id)
        if record is None or record.state is not transition.source:
            return False
        offered = transition.at if transition.target is State.OFFERED else record.offered_at
        self.records[proposal_id] = dataclasses.replace(
            record,
            state=transition.target,
            changed_at=transition.at,
            offered_at=offered,
            owner_told_to_delete=record.owner_told_to_delete or transition.owner_must_delete,
        )
        self.histories[proposal_id].append(transition)
        if event is not None:
            self.outbox[event.event_id] = event
        return True

    async def unpublished(self) -> list[Event]:
        return list(self.outbox.values())

    async def published(self, event_id: uuid.UUID) -> None:
        self.outbox.pop(event_id, None)

    async def history(self, proposal_id: uuid.UUID) -> list[Transition]:
        return list(self.histories.get(proposal_id, []))

    def _sorted(self, records: list[ProposalRecord]) -> list[ProposalRecord]:
        return sorted(records, key=lambda r: r.created_at or r.changed_at)

    async def of_citizen(self, citizen_id: uuid.UUID) -> list[ProposalRecord]:
        return self._sorted([r for r in self.records.values() if r.citizen_id == citizen_id])

    async def of_owner(self, owner: str) -> list[ProposalRecord]:
        return self._sorted([r for r in self.records.values() if r.owner == owner])

    async def of_opportunity(self, opportunity_id: uuid.UUID) -> list[ProposalRecord]:
        return [r for r in self.records.values() if r.opportunity_id == opportunity_id]

    async def queue(self, municipality: str) -> list[ProposalRecord]:
        mine = [r for r in self.records.values() if r.municipality == municipality]
        waiting = [r for r in mine if r.state is State.PROPOSED]
        handover = [
            r for r in mine if r.state is State.APPROVED and (f := self.citizens.get(r.citizen_id)) and f.private
        ]
        return self._sorted(waiting) + self._sorted(handover)

    async def offered_before(self, cutoff: dt.datetime, limit: int) -> list[uuid.UUID]:
        due = [r for r in self.records.values() if r.state is State.OFFERED and r.offered_at and r.offered_at <= cutoff]
        return [r.proposal_id for r in due][:limit]

    async def save_citizen(self, citizen_id: uuid.UUID, facts: CitizenFacts) -> None:
        self.citizens[citizen_id] = facts

    async def citizen(self, citizen_id: uuid.UUID) -> CitizenFacts | None:
        return self.citizens.get(citizen_id)

    async def forget(self, citizen_id: uuid.UUID) -> None:
        for r in await self.of_citizen(citizen_id):
            self.histories[r.proposal_id] = []
        self.citizens.pop(citizen_id, None)


class FakeDirectory:
    def __init__(self) -> None:
        self.citizens: dict[uuid.UUID, str] = {}
        self.opportunities: dict[uuid.UUID, OpportunityScope] = {}

    async def citizen_municipality(self, citizen_id: uuid.UUID) -> str | None:
        return self.citizens.get(citizen_id)

    async def opportunity_scope(self, opportunity_id: uuid.UUID) -> OpportunityScope | None:
        return self.opportunities.get(opportunity_id)


class FakePublisher:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, Event]] = []

    async def publish(self, topic: str, key: str, event: Event) -> None:
        self.sent.append((topic, key, event))


class FakeAudit:
    def __init__(self) -> None:
        self.entries: list[AuditRecorded] = []

    async def record(self, entry: AuditRecorded) -> None:
        self.entries.append(entry)
