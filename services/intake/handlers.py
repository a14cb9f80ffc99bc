"""Intake's use cases: the contracts validate, the access policy decides who may, and one event is published."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from services.intake.adapters.approvals import OwnerApprovals
from services.intake.adapters.publisher import EventPublisher
from services.intake.adapters.store import IntakeStore
from services.intake.domain import access
from services.intake.domain.access import Forbidden as Forbidden  # re-exported for the API's 403
from services.intake.domain.access import NotFound as NotFound  # re-exported for the API's 404
from services.intake.domain.access import OpportunityScope, Principal
from services.intake.domain.candidates import Candidate, candidates_in
from services.intake.domain.privacy import reject_personal_numbers
from shared.contracts import (
    CitizenProfile,
    CitizenProfileSubmitted,
    CitizenProfileUpdated,
    Event,
    MatchProposed,
    MatchRequested,
    Opportunity,
    OpportunityRegistered,
    OpportunityUpdated,
    OpportunityWithdrawn,
    SealedCitizenEvent,
    SealedMatchProposed,
    derive_id,
)
from shared.crypto import CitizenErased as CitizenGone
from shared.topics import Topics

log = logging.getLogger(__name__)


class IdempotencyConflict(Exception):
    """An Idempotency-Key was reused for a different request."""


@dataclass(frozen=True)
class Request:
    """What every write carries: who asked, and how to recognise a retry."""

    correlation_id: str
    caller: Principal
    idempotency_key: str | None = None

    def new_id(self, *purpose: object) -> uuid.UUID:
        """A fresh id, or one derived from the caller's Idempotency-Key so that a retry reuses it.

        The caller is part of the derivation: two tenants sending the same key never share an id.
        """
        if self.idempotency_key is None:
            return uuid.uuid4()
        return derive_id("idempotency", self.caller.tenant, self.idempotency_key, *purpose)


@dataclass
class IntakeDeps:
    publisher: EventPublisher
    store: IntakeStore
    topics: Topics
    idempotency_ttl_s: int
    keys: Keys
    #: Keys the candidate pseudonyms (HMAC per owner); derived from the KEK, never stored.
    pseudonym_key: bytes
    #: None: every owner's opportunities go straight into the catalogue (INTAKE_OWNER_APPROVAL=false).
    approvals: OwnerApprovals | None = None


class Keys(Protocol):
    async def open_event(self, event: SealedCitizenEvent) -> Event: ...


def _idempotency_key(req: Request, operation: str) -> str:
    assert req.idempotency_key is not None
    return hashlib.sha256(f"{req.caller.tenant}\x00{operation}\x00{req.idempotency_key}".encode()).hexdigest()


def _fingerprint(body: bytes) -> str:
    """What an Idempotency-Key's first request is known by: a retry must send the same body."""
    return hashlib.sha256(body).hexdigest()


async def _fresh_ids(deps: IntakeDeps, req: Request, operation: str, body: bytes, n: int) -> list[uuid.UUID]:
    """`n` random ids; with an Idempotency-Key, the ones its first attempt reserved (before anything else
    happened), so a retry after a failure at any later step reuses them."""
    fresh = [uuid.uuid4() for _ in range(n)]
    if req.idempotency_key is None:
        return fresh
    fingerprint = _fingerprint(body)
    reserved, reserved_for = await deps.store.reserve_ids(
        _idempotency_key(req, operation), fresh, fingerprint, deps.idempotency_ttl_s
    )
    if reserved_for != fingerprint:
        raise IdempotencyConflict("this Idempotency-Key was already used with a different request body")
    return reserved


async def _once(
    deps: IntakeDeps, req: Request, operation: str, body: bytes, act: Callable[[], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    """Run `act` once per Idempotency-Key; a retry gets the first answer back."""
    if req.idempotency_key is None:
        return await act()
    key = _idempotency_key(req, operation)
    fingerprint = _fingerprint(body)
    earlier = await deps.store.idempotent_response(key)
    if earlier is not None:
        if earlier["fingerprint"] != fingerprint:
            raise IdempotencyConflict("this Idempotency-Key was already used with a different request body")
        result: dict[str, Any] = earlier["result"]
        return result
    result = await act()
    await deps.store.save_idempotent_response(
        key, {"fingerprint": fingerprint, "result": result}, deps.idempotency_ttl_s
    )
    return result


async def authorize_citizen(
    caller: Principal, citizen_id: uuid.UUID, store: IntakeStore, *, allow_citizen_self: bool
) -> None:
    """Raise `Forbidden` (403) for a role that may never use the endpoint, `NotFound` (404) for a citizen
    that is unknown or outside the caller's scope; return quietly when the caller may go on."""
    municipality = await store.citizen_municipality(citizen_id)
    access.check_citizen(caller, citizen_id, municipality, allow_citizen_self=allow_citizen_self)


async def authorize_opportunity(caller: Principal, opportunity_id: uuid.UUID, store: IntakeStore) -> OpportunityScope:
    """Like `authorize_citizen`, for an opportunity: its owner, a caseworker of its municipality, or an admin."""
    scope = await store.opportunity_scope(opportunity_id)
    access.check_opportunity(caller, opportunity_id, scope)
    assert scope is not None
    return scope


async def submit_profile(deps: IntakeDeps, req: Request, profile: CitizenProfile, body: bytes) -> dict[str, Any]:
    """Register a new citizen; matching starts as soon as the matcher reads the event."""
    access.check_profile_municipality(req.caller, profile.municipality_code)
    reject_personal_numbers(profile)

    async def act() -> dict[str, Any]:
        # Random, never derived from the Idempotency-Key (guessable keys gave guessable ids); a retry gets
        # the ids the first attempt reserved.
        citizen_id, event_id = await _fresh_ids(deps, req, "submit_profile", body, 2)
        event = CitizenProfileSubmitted(
            event_id=event_id,
            correlation_id=req.correlation_id,
            citizen_id=citizen_id,
            profile=profile,
        )
        # Known before the event can go out, so a ranking never arrives for a citizen intake does not know.
        await deps.store.remember_citizen(citizen_id, profile.municipality_code)
        await deps.publisher.publish(deps.topics.citizens, str(citizen_id), event)
        log.info("citizen %s submitted (event %s)", citizen_id, event.event_id)
        return {"citizen_id": str(citizen_id), "event_id": str(event.event_id)}

    return await _once(deps, req, "submit_profile", body, act)


async def update_profile(
    deps: IntakeDeps, req: Request, citizen_id: uuid.UUID, profile: CitizenProfile, body: bytes
) -> dict[str, Any]:
    """Replace a citizen's profile."""
    await authorize_citizen(req.caller, citizen_id, deps.store, allow_citizen_self=False)
    access.check_profile_municipality(req.caller, profile.municipality_code)
    reject_personal_numbers(profile)

    async def act() -> dict[str, Any]:
        event = CitizenProfileUpdated(
            event_id=req.new_id("citizen-update", citizen_id),
            correlation_id=req.correlation_id,
            citizen_id=citizen_id,
            profile=profile,
        )
        await deps.store.remember_citizen(citizen_id, profile.municipality_code)
        await deps.publisher.publish(deps.topics.citizens, str(citizen_id), event)
        log.info("citizen %s updated (event %s)", citizen_id, event.event_id)
        return {"citizen_id": str(citizen_id), "event_id": str(event.event_id)}

    return await _once(deps, req, f"update_profile:{citizen_id}", body, act)


async def profile_update_done(deps: IntakeDeps, req: Request, citizen_id: uuid.UUID, body: bytes) -> bool:
    """Whether this very update (same Idempotency-Key, same body) was already carried out: a form sent
    twice by a double click is the same save, not a conflict with itself."""
    if req.idempotency_key is None:
        return False
    earlier = await deps.store.idempotent_response(_idempotency_key(req, f"update_profile:{citizen_id}"))
    return earlier is not None and earlier["fingerprint"] == _fingerprint(body)


async def request_match(
    deps: IntakeDeps, req: Request, citizen_id: uuid.UUID, top_n: int, body: bytes
) -> dict[str, Any]:
    """Ask the matcher for a fresh ranking."""
    await authorize_citizen(req.caller, citizen_id, deps.store, allow_citizen_self=False)

    async def act() -> dict[str, Any]:
        event = MatchRequested(
            event_id=req.new_id("match", citizen_id),
            correlation_id=req.correlation_id,
            citizen_id=citizen_id,
            top_n=top_n,
        )
        await deps.publisher.publish(deps.topics.citizens, str(citizen_id), event)
        log.info("match requested for citizen %s (event %s)", citizen_id, event.event_id)
        return {"citizen_id": str(citizen_id), "event_id": str(event.event_id)}

    return await _once(deps, req, f"request_match:{citizen_id}", body, act)


def _check_content(caller: Principal, o: Opportunity) -> None:
    access.check_opportunity_content(caller, o.owner.cvr, o.owner.association_id, o.municipality_code)


async def _remember(store: IntakeStore, opportunity_id: uuid.UUID, o: Opportunity, status: str = "open") -> None:
    await store.remember_opportunity(opportunity_id, o.owner.cvr, o.owner.association_id, o.municipality_code, status)


async def _must_wait(deps: IntakeDeps, caller: Principal, o: Opportunity, opportunity_id: uuid.UUID) -> bool:
    """An owner the municipality has not seen before waits for a caseworker's approval (staff vouch themselves)."""
    if deps.approvals is None or not access.needs_owner_approval(caller):
        return False
    owner = access.owner_key(o.owner.cvr, o.owner.association_id, opportunity_id)
    return not await deps.approvals.is_approved(o.municipality_code, owner)


async def _hold(deps: IntakeDeps, event: OpportunityRegistered) -> dict[str, Any]:
    assert deps.approvals is not None
    o = event.opportunity
    await deps.approvals.hold(o.municipality_code, event)
    await _remember(deps.store, event.opportunity_id, o, "awaiting_approval")
    log.info("opportunity %s held for a caseworker's approval of its owner", event.opportunity_id)
    return {"opportunity_id": str(event.opportunity_id), "event_id": str(event.event_id), "status": "awaiting_approval"}


async def register_opportunity(deps: IntakeDeps, req: Request, opportunity: Opportunity, body: bytes) -> dict[str, Any]:
    """Add a job, placement, education step or association activity to the catalogue."""
    _check_content(req.caller, opportunity)

    async def act() -> dict[str, Any]:
        opportunity_id = req.new_id("opportunity")
        event = OpportunityRegistered(
            event_id=req.new_id("opportunity-event"),
            correlation_id=req.correlation_id,
            opportunity_id=opportunity_id,
            opportunity=opportunity,
        )
        if await _must_wait(deps, req.caller, opportunity, opportunity_id):
            return await _hold(deps, event)
        await _remember(deps.store, opportunity_id, opportunity)
        await deps.publisher.publish(deps.topics.opportunities, str(opportunity_id), event)
        log.info("opportunity %s registered (event %s)", opportunity_id, event.event_id)
        return {"opportunity_id": str(opportunity_id), "event_id": str(event.event_id), "status": "open"}

    return await _once(deps, req, "register_opportunity", body, act)


async def put_opportunity(
    deps: IntakeDeps, req: Request, opportunity_id: uuid.UUID, opportunity: Opportunity, body: bytes
) -> dict[str, Any]:
    """Replace an open opportunity (or one still awaiting approval, which keeps waiting)."""
    scope = await authorize_opportunity(req.caller, opportunity_id, deps.store)
    if not (scope.open or scope.awaiting_approval):
        raise NotFound(f"opportunity {opportunity_id}")
    _check_content(req.caller, opportunity)

    async def act() -> dict[str, Any]:
        if scope.awaiting_approval and deps.approvals is not None:
            held = await deps.approvals.held(opportunity_id)
            if held is not None:
                return await _hold(deps, held.model_copy(update={"opportunity": opportunity}))
        event = OpportunityUpdated(
            event_id=req.new_id("opportunity-update", opportunity_id),
            correlation_id=req.correlation_id,
            opportunity_id=opportunity_id,
            opportunity=opportunity,
        )
        await _remember(deps.store, opportunity_id, opportunity)
        await deps.publisher.publish(deps.topics.opportunities, str(opportunity_id), event)
        log.info("opportunity %s replaced (event %s)", opportunity_id, event.event_id)
        return {"opportunity_id": str(opportunity_id), "event_id": str(event.event_id), "status": "open"}

    return await _once(deps, req, f"put_opportunity:{opportunity_id}", body, act)


async def withdraw_opportunity(
    deps: IntakeDeps, req: Request, opportunity_id: uuid.UUID, reason: str
) -> dict[str, Any]:
    """Take an opportunity out of the catalogue (or drop one still awaiting approval)."""
    scope = await authorize_opportunity(req.caller, opportunity_id, deps.store)
    if not (scope.open or scope.awaiting_approval):
        raise NotFound(f"opportunity {opportunity_id}")
    if scope.awaiting_approval and deps.approvals is not None and scope.municipality is not None:
        await deps.approvals.release(scope.municipality, opportunity_id)
    event = OpportunityWithdrawn(
        event_id=req.new_id("opportunity-withdraw", opportunity_id),
        correlation_id=req.correlation_id,
        opportunity_id=opportunity_id,
        reason=reason,
    )
    # Published first (unlike the writes above): a withdrawal recorded before a failed publish would
    # answer the client's retry 404 while the matcher kept offering the opportunity.
    await deps.publisher.publish(deps.topics.opportunities, str(opportunity_id), event)
    await deps.store.withdraw_opportunity(opportunity_id)
    log.info("opportunity %s withdrawn (event %s)", opportunity_id, event.event_id)
    return {"opportunity_id": str(opportunity_id), "event_id": str(event.event_id), "status": "withdrawn"}


async def approve_opportunity(deps: IntakeDeps, caller: Principal, opportunity_id: uuid.UUID) -> dict[str, Any]:
    """A caseworker approves a new owner: the held opportunity enters the catalogue, and so will the owner's next."""
    scope = await deps.store.opportunity_scope(opportunity_id)
    access.check_approver(caller, opportunity_id, scope)
    assert scope is not None and scope.municipality is not None
    held = await deps.approvals.held(opportunity_id) if deps.approvals is not None else None
    if held is None:
        if not scope.open:
            raise NotFound(f"opportunity {opportunity_id}")
        return {"opportunity_id": str(opportunity_id), "status": "open"}
    assert deps.approvals is not None
    owner = held.opportunity.owner
    await deps.approvals.approve(scope.municipality, access.owner_key(owner.cvr, owner.association_id, opportunity_id))
    await _remember(deps.store, opportunity_id, held.opportunity)
    await deps.publisher.publish(deps.topics.opportunities, str(opportunity_id), held)
    await deps.approvals.release(scope.municipality, opportunity_id)
    log.info("opportunity %s approved; its owner is approved in municipality %s", opportunity_id, scope.municipality)
    return {"opportunity_id": str(opportunity_id), "status": "open", "event_id": str(held.event_id)}


async def held_opportunities(deps: IntakeDeps, caller: Principal, municipality: str | None) -> list[dict[str, Any]]:
    """Opportunities awaiting a caseworker's approval of their owner, in the caller's municipality."""
    where = access.staff_municipality(caller, municipality)
    held = await deps.approvals.held_in(where) if deps.approvals is not None else []
    return [
        {
            "opportunity_id": str(e.opportunity_id),
            "title": e.opportunity.title,
            "owner": e.opportunity.owner.model_dump(mode="json", include={"type", "cvr", "association_id", "name"}),
            "registered_at": e.occurred_at.isoformat(),
        }
        for e in held
    ]


async def proposals_for(deps: IntakeDeps, caller: Principal, citizen_id: uuid.UUID) -> MatchProposed | None:
    """The latest ranking, or None before the first one; NotFound for an unknown or out-of-scope citizen."""
    await authorize_citizen(caller, citizen_id, deps.store, allow_citizen_self=True)
    return await deps.store.proposals(citizen_id)


async def candidates_for(deps: IntakeDeps, caller: Principal, opportunity_id: uuid.UUID) -> list[Candidate]:
    """The pseudonymous candidates the latest rankings name for this opportunity, best placed first."""
    await authorize_opportunity(caller, opportunity_id, deps.store)
    return await deps.store.candidates(opportunity_id)


async def on_match_proposed(deps: IntakeDeps, received: MatchProposed | SealedMatchProposed) -> None:
    """Keep the proposals read model and the per-opportunity candidate lists up to date."""
    if isinstance(received, SealedMatchProposed):
        try:
            opened = await deps.keys.open_event(received)
        except CitizenGone:
            log.info("proposals %s for erased citizen %s ignored", received.event_id, received.citizen_id)
            return
        assert isinstance(opened, MatchProposed)
        event = opened
    else:
        event = received
    stored = await deps.store.save_proposals(event)
    if not stored:
        log.info("proposals %s for unknown citizen %s ignored", event.event_id, event.citizen_id)
        return
    owners = await deps.store.owners_of([p.opportunity_id for p in event.proposals])
    await deps.store.index_candidates(event.citizen_id, candidates_in(event, owners, deps.pseudonym_key))
