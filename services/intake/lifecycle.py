"""The lifecycle's use cases: decide a transition against the stored state, store it, publish it, audit it.

Every transition goes through `act`: the rules (`domain.lifecycle.decide`) say whether it is legal, the
store's compare-and-set makes it atomic (of two racing intake instances exactly one wins, the other
gets 409), the event goes into the store's outbox in the same step and is then published on the
citizens topic (keyed by citizen), and the audit trail records who did it.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from services.intake.adapters.lifecycle_store import LifecycleStore, ProposalRecord
from services.intake.adapters.publisher import EventPublisher
from services.intake.domain.access import OpportunityScope, owner_key
from services.intake.domain.lifecycle import (
    DEFAULT_OFFER_EXPIRY,
    OUT_OF_THE_RUNNING,
    RERANK_RETRACTABLE,
    Action,
    Actor,
    IllegalTransition,
    Outcome,
    RetractCause,
    State,
    Transition,
    decide,
)
from services.intake.domain.municipality import MunicipalityRules
from shared.contracts import AuditRecorded, MatchProposed, OpportunityKind, ProposalTransitioned, derive_id
from shared.crypto import CitizenErased as CitizenGone
from shared.topics import Topics

log = logging.getLogger(__name__)


class UnknownProposal(LookupError):
    """No proposal with this id is tracked (answered 404)."""


class Directory(Protocol):
    """What intake's own store knows of citizens and opportunities."""

    async def citizen_municipality(self, citizen_id: uuid.UUID) -> str | None: ...
    async def opportunity_scope(self, opportunity_id: uuid.UUID) -> OpportunityScope | None: ...


class Auditor(Protocol):
    async def record(self, entry: AuditRecorded) -> None: ...


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class LifecycleDeps:
    store: LifecycleStore
    directory: Directory
    publisher: EventPublisher
    audit: Auditor
    topics: Topics
    rules: MunicipalityRules = field(default_factory=MunicipalityRules)
    offer_expiry: dt.timedelta = DEFAULT_OFFER_EXPIRY
    clock: Callable[[], dt.datetime] = _now


async def transition(
    store: LifecycleStore,
    proposal_id: uuid.UUID,
    action: Action,
    actor: Actor,
    actor_id: str,
    now: dt.datetime,
    *,
    reason: str = "",
    on_date: dt.date | None = None,
    outcome: Outcome | None = None,
    cause: RetractCause | None = None,
    private: bool = False,
    event_for: Callable[[ProposalRecord, Transition], ProposalTransitioned] | None = None,
) -> tuple[ProposalRecord, Transition]:
    """Make one transition, or raise why not; of two racing callers exactly one wins, the other gets 409."""
    record = await store.get(proposal_id)
    if record is None:
        raise UnknownProposal(f"proposal {proposal_id}")
    step = decide(
        record.state, action, actor, actor_id, now, reason=reason, on_date=on_date, outcome=outcome, cause=cause
    )
    event = event_for(record, step) if event_for else None
    if not await store.apply(proposal_id, step, private=private, event=event):
        latest = await store.get(proposal_id)
        current = latest.state if latest else record.state
        raise IllegalTransition(action, current, "another request changed it first")
    return record, step


def lifecycle_event(
    record: ProposalRecord, step: Transition, correlation: str, *, private: bool
) -> ProposalTransitioned:
    """The event for one step; its id derives from the proposal and the step, so a re-publish is one event."""
    return ProposalTransitioned(
        event_id=derive_id("lifecycle", record.proposal_id, step.source.value, step.target.value),
        occurred_at=step.at,
        correlation_id=correlation,
        citizen_id=record.citizen_id,
        proposal_id=record.proposal_id,
        opportunity_id=record.opportunity_id,
        kind=record.kind,
        action=step.action.value,
        from_state=step.source.value,
        to_state=step.target.value,
        actor_role=step.actor.value,
        actor_id=step.actor_id[:100],
        reason_given=bool(step.reason),
        on_date=step.on_date,
        outcome=step.outcome.value if step.outcome else None,
        cause=step.cause.value if step.cause else None,
        releases_capacity=step.releases_capacity,
        commits_capacity=step.target is State.ACCEPTED,
        owner_must_delete=step.owner_must_delete,
        private_channel=private,
        proposal=record.proposal if step.action is Action.APPROVE else None,
    )


AuditRole = Literal["caseworker", "company", "association", "citizen", "admin", "system"]


def _audit_role(actor: Actor, owner: str) -> AuditRole:
    if actor is Actor.OWNER:
        return "association" if owner.startswith("association:") else "company"
    role: AuditRole = actor.value  # type: ignore[assignment]  # the other actors share the audit's names
    return role


async def act(
    deps: LifecycleDeps,
    proposal_id: uuid.UUID,
    action: Action,
    actor: Actor,
    actor_id: str,
    correlation: str,
    *,
    reason: str = "",
    on_date: dt.date | None = None,
    outcome: Outcome | None = None,
    cause: RetractCause | None = None,
) -> Transition:
    """Decide, store, publish and audit one transition; a yes is shared with the owner at once."""
    record = await deps.store.get(proposal_id)
    if record is None:
        raise UnknownProposal(f"proposal {proposal_id}")
    facts = await deps.store.citizen(record.citizen_id)
    private = bool(facts and facts.private)
    _, step = await transition(
        deps.store,
        proposal_id,
        action,
        actor,
        actor_id,
        deps.clock(),
        reason=reason,
        on_date=on_date,
        outcome=outcome,
        cause=cause,
        private=private,
        event_for=lambda r, s: lifecycle_event(r, s, correlation, private=private),
    )
    event = lifecycle_event(record, step, correlation, private=private)
    await deps.publisher.publish(deps.topics.citizens, str(record.citizen_id), event)
    await deps.store.published(event.event_id)
    await deps.audit.record(
        AuditRecorded(
            correlation_id=correlation,
            actor_role=_audit_role(actor, record.owner),
            actor_id=actor_id[:100],
            action=step.action.value,
            citizen_id=record.citizen_id,
            resource=f"proposal:{proposal_id}",
            reason=step.reason[:1000],
        )
    )
    log.info("proposal %s: %s -> %s by %s", proposal_id, step.source.value, step.target.value, actor.value)
    if step.target is State.ACCEPTED:
        return await act(deps, proposal_id, Action.SHARE, Actor.SYSTEM, "intake", correlation)
    return step


async def _quietly(deps: LifecycleDeps, proposal_id: uuid.UUID, action: Action, correlation: str, **kw: object) -> bool:
    """A system step that may already be moot (another instance did it, or the proposal moved on)."""
    try:
        await act(deps, proposal_id, action, Actor.SYSTEM, "intake", correlation, **kw)  # type: ignore[arg-type]
    except (IllegalTransition, UnknownProposal):
        return False
    return True


def _owner(scope: OpportunityScope | None, opportunity_id: uuid.UUID) -> str:
    return owner_key(scope.owner_cvr, scope.owner_association_id, opportunity_id) if scope else ""


async def track(deps: LifecycleDeps, event: MatchProposed) -> int:
    """Track every proposal of a ranking as `proposed`, auto-approve where the municipality says so,
    and retract the citizen's earlier proposals that were not yet accepted. Returns how many are new."""
    municipality = await deps.directory.citizen_municipality(event.citizen_id)
    if municipality is None:
        return 0  # unknown here, or erased: nothing is tracked for them
    new = 0
    current = set()
    for proposal in [*event.proposals, *event.associations]:
        current.add(proposal.proposal_id)
        scope = await deps.directory.opportunity_scope(proposal.opportunity_id)
        record = ProposalRecord(
            proposal_id=proposal.proposal_id,
            citizen_id=event.citizen_id,
            opportunity_id=proposal.opportunity_id,
            state=State.PROPOSED,
            changed_at=event.occurred_at,
            kind=proposal.kind,
            municipality=municipality,
            owner=_owner(scope, proposal.opportunity_id),
            created_at=event.occurred_at,
            proposal=proposal,
        )
        if await deps.store.open(record):
            new += 1
        if deps.rules.auto_approves(municipality, proposal.kind):
            await _quietly(deps, proposal.proposal_id, Action.APPROVE, event.correlation_id)
    # Only proposals older than this ranking: a replayed old ranking never retracts a newer one.
    older = [
        r
        for r in await deps.store.of_citizen(event.citizen_id)
        if r.proposal_id not in current
        and r.state in RERANK_RETRACTABLE
        and (r.created_at or r.changed_at) < event.occurred_at
    ]
    await retract(deps, older, RetractCause.RERANKED, event.correlation_id)
    return new


async def retract(deps: LifecycleDeps, records: Iterable[ProposalRecord], cause: RetractCause, correlation: str) -> int:
    """Take every still-running proposal out of the running; how many were retracted."""
    done = 0
    for record in records:
        if record.state in OUT_OF_THE_RUNNING:
            continue
        done += await _quietly(deps, record.proposal_id, Action.RETRACT, correlation, cause=cause)
    return done


async def erase(deps: LifecycleDeps, citizen_id: uuid.UUID, correlation: str) -> int:
    """Before an erasure destroys the key: retract every running proposal (its events still sealed with the
    key; the routing part tells the matcher and owners), then drop the histories, which hold free text."""
    retracted = await retract(deps, await deps.store.of_citizen(citizen_id), RetractCause.ERASED, correlation)
    await deps.store.forget(citizen_id)
    return retracted


async def retract_kinds(
    deps: LifecycleDeps, citizen_id: uuid.UUID, kinds: Iterable[OpportunityKind], correlation: str
) -> int:
    """Consent for these kinds is gone: retract the citizen's open proposals of them."""
    wanted = set(kinds)
    mine = await deps.store.of_citizen(citizen_id)
    return await retract(deps, [r for r in mine if r.kind in wanted], RetractCause.CONSENT_WITHDRAWN, correlation)


async def offer_notified(deps: LifecycleDeps, proposal_ids: Iterable[uuid.UUID], correlation: str) -> int:
    """The notifier told the citizen: their approved proposals are now offered."""
    done = 0
    for proposal_id in proposal_ids:
        record = await deps.store.get(proposal_id)
        if record is not None and record.state is State.APPROVED:
            done += await _quietly(deps, proposal_id, Action.OFFER, correlation)
    return done


async def expire_due(deps: LifecycleDeps, *, limit: int = 500) -> int:
    """Expire every offer unanswered for `offer_expiry`; safe to run in several intake instances at once."""
    due = await deps.store.offered_before(deps.clock() - deps.offer_expiry, limit)
    expired = 0
    for proposal_id in due:
        expired += await _quietly(deps, proposal_id, Action.EXPIRE, f"expiry-{deps.clock():%Y%m%dT%H%M}")
    return expired


async def republish(deps: LifecycleDeps, *, older_than: dt.timedelta = dt.timedelta(seconds=30)) -> int:
    """Publish outbox events whose publishing a crash or a broker outage interrupted (consumers de-duplicate)."""
    cutoff = deps.clock() - older_than
    sent = 0
    for event in await deps.store.unpublished():
        if event.occurred_at > cutoff:
            continue  # its own request may still be publishing it
        try:
            await deps.publisher.publish(deps.topics.citizens, str(getattr(event, "citizen_id", "")), event)
            sent += 1
        except CitizenGone:
            pass  # nothing is written about an erased citizen any more; the erasure told every service
        await deps.store.published(event.event_id)
    return sent
