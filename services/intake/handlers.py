"""Intake's use cases: the contracts validate, the access policy decides who may, and one event is published."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

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
    MatchProposed,
    MatchRequested,
    Opportunity,
    OpportunityRegistered,
    OpportunityUpdated,
    OpportunityWithdrawn,
    derive_id,
)
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


async def _once(
    deps: IntakeDeps, req: Request, operation: str, body: bytes, act: Callable[[], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    """Run `act` once per Idempotency-Key; a retry gets the first answer back."""
    if req.idempotency_key is None:
        return await act()
    key = hashlib.sha256(f"{req.caller.tenant}\x00{operation}\x00{req.idempotency_key}".encode()).hexdigest()
    fingerprint = hashlib.sha256(body).hexdigest()
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
        citizen_id = req.new_id("citizen")
        event = CitizenProfileSubmitted(
            event_id=req.new_id("citizen-event"),
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


async def _remember(store: IntakeStore, opportunity_id: uuid.UUID, o: Opportunity) -> None:
    await store.remember_opportunity(opportunity_id, o.owner.cvr, o.owner.association_id, o.municipality_code)


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
        await _remember(deps.store, opportunity_id, opportunity)
        await deps.publisher.publish(deps.topics.opportunities, str(opportunity_id), event)
        log.info("opportunity %s registered (event %s)", opportunity_id, event.event_id)
        return {"opportunity_id": str(opportunity_id), "event_id": str(event.event_id)}

    return await _once(deps, req, "register_opportunity", body, act)


async def put_opportunity(
    deps: IntakeDeps, req: Request, opportunity_id: uuid.UUID, opportunity: Opportunity, body: bytes
) -> dict[str, Any]:
    """Replace an open opportunity."""
    if not (await authorize_opportunity(req.caller, opportunity_id, deps.store)).open:
        raise NotFound(f"opportunity {opportunity_id}")
    _check_content(req.caller, opportunity)

    async def act() -> dict[str, Any]:
        event = OpportunityUpdated(
            event_id=req.new_id("opportunity-update", opportunity_id),
            correlation_id=req.correlation_id,
            opportunity_id=opportunity_id,
            opportunity=opportunity,
        )
        await _remember(deps.store, opportunity_id, opportunity)
        await deps.publisher.publish(deps.topics.opportunities, str(opportunity_id), event)
        log.info("opportunity %s replaced (event %s)", opportunity_id, event.event_id)
        return {"opportunity_id": str(opportunity_id), "event_id": str(event.event_id)}

    return await _once(deps, req, f"put_opportunity:{opportunity_id}", body, act)


async def withdraw_opportunity(
    deps: IntakeDeps, req: Request, opportunity_id: uuid.UUID, reason: str
) -> dict[str, Any]:
    """Take an opportunity out of the catalogue."""
    if not (await authorize_opportunity(req.caller, opportunity_id, deps.store)).open:
        raise NotFound(f"opportunity {opportunity_id}")
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
    return {"opportunity_id": str(opportunity_id), "event_id": str(event.event_id)}


async def proposals_for(deps: IntakeDeps, caller: Principal, citizen_id: uuid.UUID) -> MatchProposed | None:
    """The latest ranking, or None before the first one; NotFound for an unknown or out-of-scope citizen."""
    await authorize_citizen(caller, citizen_id, deps.store, allow_citizen_self=True)
    return await deps.store.proposals(citizen_id)


async def candidates_for(deps: IntakeDeps, caller: Principal, opportunity_id: uuid.UUID) -> list[Candidate]:
    """The pseudonymous candidates the latest rankings name for this opportunity, best placed first."""
    await authorize_opportunity(caller, opportunity_id, deps.store)
    return await deps.store.candidates(opportunity_id)


async def on_match_proposed(deps: IntakeDeps, event: MatchProposed) -> None:
    """Keep the proposals read model and the per-opportunity candidate lists up to date."""
    stored = await deps.store.save_proposals(event)
    if not stored:
        log.info("proposals %s for unknown citizen %s ignored", event.event_id, event.citizen_id)
        return
    await deps.store.index_candidates(event.citizen_id, candidates_in(event))
