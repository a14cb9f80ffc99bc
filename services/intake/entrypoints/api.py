"""Intake's HTTP API: one router per resource."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Body, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.intake import handlers, lifecycle_views
from services.intake import privacy as privacy_use_cases
from services.intake.domain.access import Role
from services.intake.domain.candidates import Candidate
from services.intake.entrypoints.deps import Caller, Deps, Req, StaffMunicipality
from services.intake.entrypoints.lifecycle_api import Lifecycle
from services.intake.entrypoints.privacy_api import Privacy, actor
from services.intake.lifecycle_views import LifecycleEntry
from shared.contracts import CitizenProfileInput, KindNote, NearMiss, Opportunity, Proposal

ESCO_ATTRIBUTION = "This service uses the ESCO classification of the European Commission."


class Accepted(BaseModel):
    event_id: uuid.UUID
    correlation_id: str


class CitizenAccepted(Accepted):
    citizen_id: uuid.UUID


class OpportunityAccepted(Accepted):
    opportunity_id: uuid.UUID
    status: Literal["open", "awaiting_approval", "withdrawn"] = Field(
        default="open",
        description="`awaiting_approval`: the owner is new to the municipality; a caseworker approves it first.",
    )


class ApprovalResult(BaseModel):
    opportunity_id: uuid.UUID
    status: Literal["open"]
    event_id: uuid.UUID | None = None


class HeldOwner(BaseModel):
    type: str
    cvr: str | None = None
    association_id: str | None = None
    name: str


class HeldOpportunity(BaseModel):
    opportunity_id: uuid.UUID
    title: str = Field(description="As the owner wrote it.")
    owner: HeldOwner
    registered_at: str


class HeldView(BaseModel):
    opportunities: list[HeldOpportunity]


class MatchOptions(BaseModel):
    top_n: int = Field(default=10, ge=1, le=50)


class ProposalsView(BaseModel):
    citizen_id: uuid.UUID
    status: str = Field(description="`pending` before the first ranking, then `ready`.")
    match_event_id: uuid.UUID | None = None
    ranked_at: str | None = None
    proposals: list[Proposal]
    associations: list[Proposal]
    lifecycle: list[LifecycleEntry] = Field(
        default_factory=list, description="Every proposal the citizen has had, newest first, with state and history."
    )
    notes: list[KindNote] = Field(default_factory=list, description="Kinds with nothing that fits well yet.")
    near_misses: list[NearMiss] = Field(
        default_factory=list, description="What a hard rule excluded (\"why not\"): shown to staff, never the citizen."
    )


class CandidatesView(BaseModel):
    opportunity_id: uuid.UUID
    candidates: list[Candidate] = Field(
        description="Citizens the latest rankings propose for it, by pseudonym: no id, name or contact."
    )


def _accepted(request: Request, result: dict[str, str]) -> dict[str, str]:
    return {**result, "correlation_id": request.state.correlation_id}


citizens = APIRouter(prefix="/v1/citizens", tags=["citizens"])


@citizens.post("", status_code=202, response_model=CitizenAccepted)
async def submit_citizen(profile: CitizenProfileInput, request: Request, deps: Deps, req: Req) -> dict[str, str]:
    """Register a citizen's intake; matching starts at once."""
    return _accepted(request, await handlers.submit_profile(deps, req, profile, await request.body()))


@citizens.put("/{citizen_id}", status_code=202, response_model=CitizenAccepted)
async def update_citizen(
    citizen_id: uuid.UUID, profile: CitizenProfileInput, request: Request, deps: Deps, req: Req
) -> dict[str, str]:
    """Replace a citizen's profile."""
    return _accepted(request, await handlers.update_profile(deps, req, citizen_id, profile, await request.body()))


@citizens.post("/{citizen_id}/match", status_code=202, response_model=CitizenAccepted)
async def match_citizen(
    citizen_id: uuid.UUID,
    request: Request,
    deps: Deps,
    req: Req,
    options: Annotated[MatchOptions | None, Body()] = None,
) -> dict[str, str]:
    """Ask for a fresh ranking of the catalogue for this citizen."""
    top_n = (options or MatchOptions()).top_n
    return _accepted(request, await handlers.request_match(deps, req, citizen_id, top_n, await request.body()))


@citizens.get("/{citizen_id}/proposals", response_model=ProposalsView)
async def citizen_proposals(
    citizen_id: uuid.UUID, deps: Deps, caller: Caller, privacy: Privacy, lifecycle: Lifecycle, req: Req
) -> ProposalsView:
    """The latest ranked proposals with their reasons, and every proposal's state and history."""
    event = await handlers.proposals_for(deps, caller, citizen_id)
    await privacy_use_cases.record_staff_read(privacy, actor(caller), citizen_id, "proposals", req.correlation_id)
    states = await lifecycle_views.of_citizen(lifecycle, citizen_id, staff=caller.role is not Role.CITIZEN)
    if event is None:
        return ProposalsView(citizen_id=citizen_id, status="pending", proposals=[], associations=[], lifecycle=states)
    return ProposalsView(
        lifecycle=states,
        citizen_id=citizen_id,
        status="ready",
        match_event_id=event.event_id,
        ranked_at=event.occurred_at.isoformat(),
        proposals=event.proposals,
        associations=event.associations,
        notes=event.notes,
        near_misses=event.near_misses if caller.role in (Role.CASEWORKER, Role.ADMIN) else [],
    )


opportunities = APIRouter(prefix="/v1/opportunities", tags=["opportunities"])


@opportunities.post("", status_code=202, response_model=OpportunityAccepted)
async def register_opportunity(opportunity: Opportunity, request: Request, deps: Deps, req: Req) -> dict[str, str]:
    """Register a job, language-at-work placement, education step or association activity."""
    return _accepted(request, await handlers.register_opportunity(deps, req, opportunity, await request.body()))


@opportunities.get("/awaiting-approval", response_model=HeldView)
async def opportunities_awaiting_approval(
    deps: Deps,
    caller: Caller,
    municipality: StaffMunicipality = None,
) -> HeldView:
    """Opportunities from owners new to the municipality, waiting for a caseworker's approval."""
    held = await handlers.held_opportunities(deps, caller, municipality)
    return HeldView.model_validate({"opportunities": held})


@opportunities.post("/{opportunity_id}/approval", response_model=ApprovalResult)
async def approve_opportunity(opportunity_id: uuid.UUID, deps: Deps, caller: Caller) -> dict[str, str]:
    """Approve a new owner (caseworker of the municipality, or admin): the opportunity enters the catalogue."""
    return await handlers.approve_opportunity(deps, caller, opportunity_id)


@opportunities.put("/{opportunity_id}", status_code=202, response_model=OpportunityAccepted)
async def replace_opportunity(
    opportunity_id: uuid.UUID, opportunity: Opportunity, request: Request, deps: Deps, req: Req
) -> dict[str, str]:
    """Replace an open opportunity."""
    body = await request.body()
    return _accepted(request, await handlers.put_opportunity(deps, req, opportunity_id, opportunity, body))


@opportunities.delete("/{opportunity_id}", status_code=202, response_model=OpportunityAccepted)
async def withdraw_opportunity(opportunity_id: uuid.UUID, request: Request, deps: Deps, req: Req) -> dict[str, str]:
    """Withdraw an opportunity from the catalogue."""
    return _accepted(
        request, await handlers.withdraw_opportunity(deps, req, opportunity_id, reason="withdrawn by owner")
    )


@opportunities.get("/{opportunity_id}/candidates", response_model=CandidatesView)
async def opportunity_candidates(
    opportunity_id: uuid.UUID, deps: Deps, caller: Caller, lifecycle: Lifecycle
) -> CandidatesView:
    """Pseudonymous candidates proposed for this opportunity (for its owner, the municipality and admins)."""
    found = await handlers.candidates_for(deps, caller, opportunity_id)
    scope = await deps.store.opportunity_scope(opportunity_id)
    if (
        caller.role is Role.COMPANY
        and scope
        and not lifecycle.lifecycle.rules.companies_see_candidates_before_yes(scope.municipality)
    ):
        found = []  # the municipality switched the pre-yes list off
    return CandidatesView(opportunity_id=opportunity_id, candidates=found)


health = APIRouter(tags=["health"])


@health.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@health.get("/readyz")
async def readyz(request: Request, deps: Deps) -> Response:
    """Ready when the broker and Redis both answer."""
    checks = {"kafka": await request.app.state.broker_ping(), "redis": await _redis_ok(deps)}
    ok = all(checks.values())
    return JSONResponse(status_code=200 if ok else 503, content={"status": "ready" if ok else "not_ready", **checks})


async def _redis_ok(deps: handlers.IntakeDeps) -> bool:
    try:
        return await deps.store.ping()
    except Exception:
        return False


def include_routers(app: FastAPI) -> None:
    for router in (citizens, opportunities, health):
        app.include_router(router)
