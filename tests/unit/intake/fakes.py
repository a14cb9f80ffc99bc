"""In-memory stand-ins for intake's ports, for unit tests of its rules."""

from __future__ import annotations

import dataclasses
import uuid

from services.intake.adapters.lifecycle_store import ProposalRecord
from services.intake.domain.lifecycle import State, Transition


class FakeLifecycleStore:
    """Behaves like RedisLifecycleStore: `open` once, `apply` only from the expected state."""

    def __init__(self) -> None:
        self.records: dict[uuid.UUID, ProposalRecord] = {}
        self.histories: dict[uuid.UUID, list[Transition]] = {}

    async def open(self, record: ProposalRecord) -> bool:
        if record.proposal_id in self.records:
            return False
        self.records[record.proposal_id] = dataclasses.replace(record, state=State.PROPOSED)
        self.histories[record.proposal_id] = []
        return True

    async def get(self, proposal_id: uuid.UUID) -> ProposalRecord | None:
        return self.records.get(proposal_id)

    async def apply(self, proposal_id: uuid.UUID, transition: Transition) -> bool:
        record = self.records.get(proposal_id)
        if record is None or record.state is not transition.source:
            return False
        self.records[proposal_id] = dataclasses.replace(record, state=transition.target, changed_at=transition.at)
        self.histories[proposal_id].append(transition)
        return True

    async def history(self, proposal_id: uuid.UUID) -> list[Transition]:
        return list(self.histories.get(proposal_id, []))
