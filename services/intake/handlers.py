"""Intake's use cases: each validates nothing itself (the contracts do) and publishes one event."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from services.intake.adapters.publisher import EventPublisher
from services.intake.adapters.store import IntakeStore
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


class NotFound(Exception):
    """The resource does not exist (or is not visible)."""


class IdempotencyConflict(Exception):
    """An Idempotency-Key was reused for a different request."""


@dataclass(frozen=True)
class Request:
    """What every write carries: who asked, and how to recognise a retry."""

    correlation_id: str
    idempotency_key: str | None = None

    def new_id(self, *purpose: object) -> uuid.UUID:
        """A fresh id, or one derived from the Idempotency-Key so that a retry reuses it."""
        if self.idempotency_key is None:
            return uuid.uuid4()
        return derive_id("idempotency", self.idempotency_key, *purpose)


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
    key = hashlib.sha256(f"{operation}\x00{req.idempotency_key}".encode()).hexdigest()
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


async def submit_profile(deps: IntakeDeps, req: Request, profile: CitizenProfile, body: bytes) -> dict[str, Any]:
    """Register a new citizen; matching starts as soon as the matcher reads the event."""

    async def act() -> dict[str, Any]:
        citizen_id = req.new_id("citizen")
        event = CitizenProfileSubmitted(
            event_id=req.new_id("citizen-event"),
            correlation_id=req.correlation_id,
            citizen_id=citizen_id,
            profile=profile,
        )
        await deps.publisher.publish(deps.topics.citizens, str(citizen_id), event)
        await deps.store.remember_citizen(citizen_id, profile.municipality_code)
        log.info("citizen %s submitted (event %s)", citizen_id, event.event_id)
        return {"citizen_id": str(citizen_id), "event_id": str(event.event_id)}

    return await _once(deps, req, "submit_profile", body, act)


async def update_profile(
    deps: IntakeDeps, req: Request, citizen_id: uuid.UUID, profile: CitizenProfile, body: bytes
) -> dict[str, Any]:
    """Replace a citizen's profile."""
    if not await deps.store.citizen_exists(citizen_id):
        raise NotFound(f"citizen {citizen_id}")

    async def act() -> dict[str, Any]:
        event = CitizenProfileUpdated(
            event_id=req.new_id("citizen-update", citizen_id),
            correlation_id=req.correlation_id,
            citizen_id=citizen_id,
            profile=profile,
        )
        await deps.publisher.publish(deps.topics.citizens, str(citizen_id), event)
        return {"citizen_id": str(citizen_id), "event_id": str(event.event_id)}

    return await _once(deps, req, f"update_profile:{citizen_id}", body, act)


async def request_match(
    deps: IntakeDeps, req: Request, citizen_id: uuid.UUID, top_n: int, body: bytes
) -> dict[str, Any]:
    """Ask the matcher for a fresh ranking."""
    if not await deps.store.citizen_exists(citizen_id):
        raise NotFound(f"citizen {citizen_id}")

    async def act() -> dict[str, Any]:
        event = MatchRequested(
            event_id=req.new_id("match", citizen_id),
            correlation_id=req.correlation_id,
            citizen_id=citizen_id,
            top_n=top_n,
        )
        await deps.publisher.publish(deps.topics.citizens, str(citizen_id), event)
        return {"citizen_id": str(citizen_id), "event_id": str(event.event_id)}

    return await _once(deps, req, f"request_match:{citizen_id}", body, act)


def _owner_ref(o: Opportunity) -> str:
    return o.owner.cvr or o.owner.association_id or o.owner.name


async def register_opportunity(deps: IntakeDeps, req: Request, opportunity: Opportunity, body: bytes) -> dict[str, Any]:
    """Add a job, placement, education step or association activity to the catalogue."""

    async def act() -> dict[str, Any]:
        opportunity_id = req.new_id("opportunity")
        event = OpportunityRegistered(
            event_id=req.new_id("opportunity-event"),
            correlation_id=req.correlation_id,
            opportunity_id=opportunity_id,
            opportunity=opportunity,
        )
        await deps.publisher.publish(deps.topics.opportunities, str(opportunity_id), event)
        await deps.store.remember_opportunity(opportunity_id, _owner_ref(opportunity))
        return {"opportunity_id": str(opportunity_id), "event_id": str(event.event_id)}

    return await _once(deps, req, "register_opportunity", body, act)


async def put_opportunity(
    deps: IntakeDeps, req: Request, opportunity_id: uuid.UUID, opportunity: Opportunity, body: bytes
) -> dict[str, Any]:
    """Replace an open opportunity."""
    if await deps.store.opportunity_status(opportunity_id) != "open":
        raise NotFound(f"opportunity {opportunity_id}")

    async def act() -> dict[str, Any]:
        event = OpportunityUpdated(
            event_id=req.new_id("opportunity-update", opportunity_id),
            correlation_id=req.correlation_id,
            opportunity_id=opportunity_id,
            opportunity=opportunity,
        )
        await deps.publisher.publish(deps.topics.opportunities, str(opportunity_id), event)
        return {"opportunity_id": str(opportunity_id), "event_id": str(event.event_id)}

    return await _once(deps, req, f"put_opportunity:{opportunity_id}", body, act)


async def withdraw_opportunity(
    deps: IntakeDeps, req: Request, opportunity_id: uuid.UUID, reason: str
) -> dict[str, Any]:
    """Take an opportunity out of the catalogue."""
    if await deps.store.opportunity_status(opportunity_id) != "open":
        raise NotFound(f"opportunity {opportunity_id}")
    event = OpportunityWithdrawn(
        event_id=req.new_id("opportunity-withdraw", opportunity_id),
        correlation_id=req.correlation_id,
        opportunity_id=opportunity_id,
        reason=reason,
    )
    await deps.publisher.publish(deps.topics.opportunities, str(opportunity_id), event)
    await deps.store.withdraw_opportunity(opportunity_id)
    return {"opportunity_id": str(opportunity_id), "event_id": str(event.event_id)}


async def proposals_for(deps: IntakeDeps, citizen_id: uuid.UUID) -> MatchProposed | None:
    """The latest ranking, or None before the first one; NotFound for an unknown citizen."""
    if not await deps.store.citizen_exists(citizen_id):
        raise NotFound(f"citizen {citizen_id}")
    return await deps.store.proposals(citizen_id)


async def on_match_proposed(deps: IntakeDeps, event: MatchProposed) -> None:
    """Keep the proposals read model up to date."""
    stored = await deps.store.save_proposals(event)
    if not stored:
        log.info("proposals %s for unknown citizen %s ignored", event.event_id, event.citizen_id)
