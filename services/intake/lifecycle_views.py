"""What each party reads of the lifecycle: the citizen's proposals with history, the caseworker's queue,
and an owner's candidates (pseudonymous before the citizen's yes, the shared details after it)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, Field

from services.intake.adapters.lifecycle_store import CitizenFacts, ProposalRecord
from services.intake.delivery_failures import DeliveryFailures
from services.intake.domain.access import Principal
from services.intake.domain.candidates import pseudonym
from services.intake.domain.lifecycle import OWNER_HOLDS_DETAILS, State
from services.intake.domain.sharing import SharedDetails, shared_details
from services.intake.lifecycle import LifecycleDeps, retract_kinds
from shared.contracts import AuditRecorded, CefrLevel, OpportunityKind, Proposal, SealedPersonal
from shared.crypto import CitizenErased, unseal

#: Before the yes, a company sees these states as pseudonymous candidates (where the municipality allows).
_BEFORE_YES = frozenset({State.PROPOSED, State.APPROVED, State.OFFERED, State.ACCEPTED})


class Keys(Protocol):
    async def for_reading(self, citizen_id: uuid.UUID) -> tuple[str, bytes]: ...


@dataclass
class ViewDeps:
    lifecycle: LifecycleDeps
    keys: Keys
    pseudonym_key: bytes
    failures: DeliveryFailures | None = None


class HistoryItem(BaseModel):
    action: str
    from_state: str
    to_state: str
    actor_role: str
    at: dt.datetime
    reason: str | None = Field(default=None, description="Shown to staff only.")
    date: dt.date | None = None
    outcome: str | None = None
    cause: str | None = None


class LifecycleEntry(BaseModel):
    """One proposal as its citizen and their caseworker see it: what, where it stands, and how it got there."""

    proposal_id: uuid.UUID
    opportunity_id: uuid.UUID
    kind: OpportunityKind
    state: str
    proposed_at: dt.datetime | None
    offered_at: dt.datetime | None = None
    expires_at: dt.datetime | None = Field(default=None, description="When an unanswered offer expires.")
    proposal: Proposal | None = None
    history: list[HistoryItem]


class QueueEntry(BaseModel):
    proposal_id: uuid.UUID
    citizen_id: uuid.UUID
    state: str
    proposed_at: dt.datetime | None
    hand_over_in_person: bool = Field(description="Private channel: the caseworker hands it over in person.")
    proposal: Proposal | None = None
    delivery_failed: str | None = Field(
        default=None,
        description="The message about it was dead-lettered: the reason (hand it over, or call the owner).",
    )


class CandidateEntry(BaseModel):
    """One candidate for one of the owner's opportunities."""

    opportunity_id: uuid.UUID
    pseudonym: str = Field(description="Stable for this citizen and this owner only (as in the pre-yes lists).")
    state: str
    proposal_id: uuid.UUID | None = Field(
        default=None, description="Given once the citizen said yes: the id the owner answers on."
    )
    title: str | None = None
    danish_level: CefrLevel | None = None
    matched_skills: list[str] = Field(default_factory=list)
    matched_previous_jobs: list[str] = Field(default_factory=list)
    details: SharedDetails | None = Field(default=None, description="What the citizen agreed to share, after yes.")
    delete_details: bool = Field(
        default=False, description="The proposal was retracted after its details were shared: delete them now."
    )


async def entry(deps: ViewDeps, record: ProposalRecord, *, staff: bool) -> LifecycleEntry:
    history = await deps.lifecycle.store.history(record.proposal_id)
    expires = (
        record.offered_at + deps.lifecycle.offer_expiry if record.state is State.OFFERED and record.offered_at else None
    )
    return LifecycleEntry(
        proposal_id=record.proposal_id,
        opportunity_id=record.opportunity_id,
        kind=record.kind,
        state=record.state.value,
        proposed_at=record.created_at,
        offered_at=record.offered_at,
        expires_at=expires,
        proposal=record.proposal,
        history=[
            HistoryItem(
                action=t.action.value,
                from_state=t.source.value,
                to_state=t.target.value,
                actor_role=t.actor.value,
                at=t.at,
                reason=t.reason if staff else None,
                date=t.on_date,
                outcome=t.outcome.value if t.outcome else None,
                cause=t.cause.value if t.cause else None,
            )
            for t in history
        ],
    )


async def of_citizen(deps: ViewDeps, citizen_id: uuid.UUID, *, staff: bool) -> list[LifecycleEntry]:
    """Every proposal the citizen has had, newest first, each with its state and history."""
    records = await deps.lifecycle.store.of_citizen(citizen_id)
    return [await entry(deps, r, staff=staff) for r in reversed(records)]


async def queue(deps: ViewDeps, municipality: str) -> list[QueueEntry]:
    out = []
    private: dict[uuid.UUID, bool] = {}
    for record in await deps.lifecycle.store.queue(municipality):
        if record.citizen_id not in private:
            facts = await deps.lifecycle.store.citizen(record.citizen_id)
            private[record.citizen_id] = bool(facts and facts.private)
        out.append(
            QueueEntry(
                proposal_id=record.proposal_id,
                citizen_id=record.citizen_id,
                state=record.state.value,
                proposed_at=record.created_at,
                hand_over_in_person=private[record.citizen_id],
                proposal=record.proposal,
            )
        )
    return out


async def failed_deliveries(deps: ViewDeps, municipality: str) -> list[QueueEntry]:
    """Dead-lettered messages of the municipality's citizens, one entry per proposal, oldest first."""
    if deps.failures is None:
        return []
    out = []
    for failed in await deps.failures.of(municipality):
        for proposal_id in failed.proposal_ids:
            record = await deps.lifecycle.store.get(proposal_id)
            out.append(
                QueueEntry(
                    proposal_id=proposal_id,
                    citizen_id=failed.citizen_id,
                    state=record.state.value if record else "unknown",
                    proposed_at=record.created_at if record else None,
                    hand_over_in_person=failed.recipient == "citizen",
                    proposal=record.proposal if record else None,
                    delivery_failed=f"{failed.channel} to the {failed.recipient}: {failed.reason}",
                )
            )
    return out


async def _details(deps: ViewDeps, facts: CitizenFacts | None, citizen_id: uuid.UUID) -> SharedDetails | None:
    if facts is None or not isinstance(facts.personal, SealedPersonal):
        return None
    try:
        _, key = await deps.keys.for_reading(citizen_id)
    except CitizenErased:
        return None
    return shared_details(unseal(facts.personal, key, citizen_id), private=facts.private)


async def owner_view(deps: ViewDeps, owner: str, *, companies: bool) -> list[CandidateEntry]:
    """The owner's candidates, oldest first; before the yes only for companies, and only by pseudonym."""
    out = []
    for record in await deps.lifecycle.store.of_owner(owner):
        holds = record.state in OWNER_HOLDS_DETAILS
        before_yes = (
            companies
            and record.state in _BEFORE_YES
            and deps.lifecycle.rules.companies_see_candidates_before_yes(record.municipality)
        )
        after_yes = holds or record.state in (State.NOT_INTERESTED, State.ENDED) or record.owner_told_to_delete
        if not (before_yes or after_yes):
            continue
        proposal = record.proposal if not record.owner_told_to_delete else None
        details = None
        if holds:
            details = await _details(deps, await deps.lifecycle.store.citizen(record.citizen_id), record.citizen_id)
        out.append(
            CandidateEntry(
                opportunity_id=record.opportunity_id,
                pseudonym=pseudonym(deps.pseudonym_key, owner, record.citizen_id),
                state=record.state.value,
                proposal_id=record.proposal_id if after_yes else None,
                title=proposal.title if proposal else None,
                danish_level=proposal.reasons.danish_level if proposal else None,
                matched_skills=list(proposal.reasons.matched_skills) if proposal else [],
                matched_previous_jobs=list(proposal.reasons.matched_previous_jobs) if proposal else [],
                details=details,
                delete_details=record.owner_told_to_delete,
            )
        )
    return out


async def withdraw_consent(
    deps: ViewDeps, citizen_id: uuid.UUID, kinds: Iterable[OpportunityKind], caller: Principal, correlation: str
) -> int:
    """Retract the open proposals of the withdrawn kinds now, and audit who withdrew it."""
    kinds = list(kinds)
    await deps.lifecycle.audit.record(
        AuditRecorded(
            correlation_id=correlation,
            actor_role=caller.role.value,
            actor_id=caller.subject[:100],
            action="withdraw_consent",
            citizen_id=citizen_id,
            resource="consent:" + ",".join(k.value for k in kinds),
        )
    )
    return await retract_kinds(deps.lifecycle, citizen_id, kinds, correlation)
