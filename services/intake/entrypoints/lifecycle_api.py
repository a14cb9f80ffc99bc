"""Routes of the proposal lifecycle: the caseworker's queue, the citizen's and the owner's answers,
start and end, consent withdrawal, and the owner's view of its candidates.

Every write goes through `services.intake.lifecycle.act`; an illegal step is answered 409 with the
proposal's current state, never 200.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.intake import lifecycle_views as views
from services.intake.adapters.lifecycle_store import ProposalRecord
from services.intake.domain.access import Forbidden, NotFound, Principal, Role, check_citizen
from services.intake.domain.lifecycle import (
    Action,
    Actor,
    IllegalTransition,
    InvalidTransition,
    NotAllowed,
    Outcome,
)
from services.intake.entrypoints.deps import Caller, Req
from services.intake.lifecycle import LifecycleDeps, UnknownProposal, act
from services.intake.lifecycle_views import CandidateEntry, LifecycleEntry, QueueEntry
from shared.contracts import ConsentWithdrawn, OpportunityKind


def get_lifecycle(request: Request) -> views.ViewDeps:
    deps: views.ViewDeps = request.app.state.lifecycle
    return deps


Lifecycle = Annotated[views.ViewDeps, Depends(get_lifecycle)]

_ACTORS = {
    Role.CASEWORKER: Actor.CASEWORKER,
    Role.ADMIN: Actor.ADMIN,
    Role.CITIZEN: Actor.CITIZEN,
    Role.COMPANY: Actor.OWNER,
    Role.ASSOCIATION: Actor.OWNER,
}


def owner_label(caller: Principal) -> str:
    return f"{caller.role.value}:{caller.subject}"


def _check_role(caller: Principal, roles: frozenset[Role]) -> None:
    """403 for a role that may never act here, before anything about the proposal is looked up."""
    if caller.role not in roles:
        raise Forbidden(f"the role `{caller.role.value}` may not do this to a proposal")


def check_proposal(caller: Principal, record: ProposalRecord, roles: frozenset[Role]) -> Actor:
    """Who `caller` is for this proposal; 403 for a role that may never act here, 404 outside its scope."""
    _check_role(caller, roles)
    if caller.role in (Role.CASEWORKER, Role.ADMIN, Role.CITIZEN):
        check_citizen(caller, record.citizen_id, record.municipality or None, allow_citizen_self=True)
    elif record.owner != owner_label(caller):
        raise NotFound(f"proposal {record.proposal_id}")
    return _ACTORS[caller.role]


_STAFF = frozenset({Role.CASEWORKER, Role.ADMIN})
_CITIZEN_SIDE = _STAFF | {Role.CITIZEN}
_OWNER_SIDE = _STAFF | {Role.COMPANY, Role.ASSOCIATION}


class StepResult(BaseModel):
    proposal_id: uuid.UUID
    state: str = Field(description="The proposal's state after the step.")
    correlation_id: str


class CitizenAnswer(BaseModel):
    answer: Literal["accept", "decline"]
    reason: str = Field(default="", max_length=1000, description="Optional, for a decline.")


class OwnerAnswer(BaseModel):
    answer: Literal["interested", "not_interested"]
    reason: str = Field(default="", max_length=1000)


class Started(BaseModel):
    date: dt.date = Field(description="The day the job or placement began.")


class Ended(BaseModel):
    date: dt.date = Field(description="The day it ended.")
    outcome: Outcome


class ConsentWithdrawal(BaseModel):
    kinds: list[OpportunityKind] | None = Field(default=None, description="The kinds withdrawn; omitted: all kinds.")


router = APIRouter(tags=["lifecycle"])


async def _step(
    deps: views.ViewDeps,
    caller: Principal,
    req_correlation: str,
    proposal_id: uuid.UUID,
    action: Action,
    roles: frozenset[Role],
    **fields: object,
) -> StepResult:
    _check_role(caller, roles)
    record = await deps.lifecycle.store.get(proposal_id)
    if record is None:
        raise NotFound(f"proposal {proposal_id}")
    actor = check_proposal(caller, record, roles)
    step = await act(deps.lifecycle, proposal_id, action, actor, caller.subject, req_correlation, **fields)  # type: ignore[arg-type]
    return StepResult(proposal_id=proposal_id, state=step.target.value, correlation_id=req_correlation)


@router.get("/v1/proposals/{proposal_id}", response_model=LifecycleEntry)
async def read_proposal(proposal_id: uuid.UUID, caller: Caller, deps: Lifecycle) -> LifecycleEntry:
    """One proposal's state and history (the citizen, their caseworker, or an admin)."""
    _check_role(caller, _CITIZEN_SIDE)
    record = await deps.lifecycle.store.get(proposal_id)
    if record is None:
        raise NotFound(f"proposal {proposal_id}")
    check_proposal(caller, record, _CITIZEN_SIDE)
    return await views.entry(deps, record, staff=caller.role in _STAFF)


@router.get("/v1/caseworker/queue", response_model=list[QueueEntry])
async def caseworker_queue(
    caller: Caller,
    deps: Lifecycle,
    municipality: Annotated[str | None, Query(pattern=r"^[0-9]{3}$", description="Admins only.")] = None,
) -> list[QueueEntry]:
    """Awaiting approval in the caller's municipality, oldest first; then private-channel ones to hand over."""
    if caller.role not in _STAFF:
        raise Forbidden("only staff have a queue")
    where = caller.municipality if caller.role is Role.CASEWORKER else municipality
    if where is None:
        raise InvalidTransition("field `municipality`: an admin names the municipality")
    return await views.queue(deps, where)


@router.post("/v1/proposals/{proposal_id}/offer-in-person", response_model=StepResult)
async def offer_in_person(proposal_id: uuid.UUID, caller: Caller, deps: Lifecycle, req: Req) -> StepResult:
    """The caseworker handed an approved proposal over in person (the private channel)."""
    return await _step(deps, caller, req.correlation_id, proposal_id, Action.OFFER, _STAFF)


@router.post("/v1/proposals/{proposal_id}/answer", response_model=StepResult)
async def citizen_answer(
    proposal_id: uuid.UUID, answer: CitizenAnswer, caller: Caller, deps: Lifecycle, req: Req
) -> StepResult:
    """The citizen says yes or no (their own token; a caseworker may record an answer given in person)."""
    action = Action.ACCEPT if answer.answer == "accept" else Action.DECLINE
    return await _step(deps, caller, req.correlation_id, proposal_id, action, _CITIZEN_SIDE, reason=answer.reason)


@router.post("/v1/proposals/{proposal_id}/owner-answer", response_model=StepResult)
async def owner_answer(
    proposal_id: uuid.UUID, answer: OwnerAnswer, caller: Caller, deps: Lifecycle, req: Req
) -> StepResult:
    """The company or association answers interested or not interested, after the citizen's yes."""
    action = Action.INTERESTED if answer.answer == "interested" else Action.NOT_INTERESTED
    return await _step(deps, caller, req.correlation_id, proposal_id, action, _OWNER_SIDE, reason=answer.reason)


@router.post("/v1/proposals/{proposal_id}/start", response_model=StepResult)
async def record_start(proposal_id: uuid.UUID, body: Started, caller: Caller, deps: Lifecycle, req: Req) -> StepResult:
    """The job or placement began (the owner or the caseworker records it)."""
    return await _step(deps, caller, req.correlation_id, proposal_id, Action.START, _OWNER_SIDE, on_date=body.date)


@router.post("/v1/proposals/{proposal_id}/end", response_model=StepResult)
async def record_end(proposal_id: uuid.UUID, body: Ended, caller: Caller, deps: Lifecycle, req: Req) -> StepResult:
    """It ended, with an outcome: hired, completed or dropped_out."""
    return await _step(
        deps, caller, req.correlation_id, proposal_id, Action.END, _OWNER_SIDE, on_date=body.date, outcome=body.outcome
    )


@router.post("/v1/citizens/{citizen_id}/consent/withdraw", status_code=202)
async def withdraw_consent(
    citizen_id: uuid.UUID, caller: Caller, deps: Lifecycle, req: Req, body: ConsentWithdrawal | None = None
) -> dict[str, object]:
    """Withdraw consent for all kinds or the named ones: their open proposals are retracted at once."""
    municipality = await deps.lifecycle.directory.citizen_municipality(citizen_id)
    check_citizen(caller, citizen_id, municipality, allow_citizen_self=True)
    kinds = (body.kinds if body else None) or list(OpportunityKind)
    retracted = await views.withdraw_consent(deps, citizen_id, kinds, caller, req.correlation_id)
    event = ConsentWithdrawn(correlation_id=req.correlation_id, citizen_id=citizen_id, kinds=kinds)
    await deps.lifecycle.publisher.publish(deps.lifecycle.topics.citizens, str(citizen_id), event)
    return {
        "citizen_id": str(citizen_id),
        "kinds": [k.value for k in kinds],
        "retracted": retracted,
        "event_id": str(event.event_id),
        "correlation_id": req.correlation_id,
    }


@router.get("/v1/companies/{cvr}/candidates", response_model=list[CandidateEntry])
async def company_candidates(cvr: str, caller: Caller, deps: Lifecycle) -> list[CandidateEntry]:
    """Every candidate across the company's opportunities, with its state; details only after the citizen's yes."""
    return await _owner_view(deps, caller, Role.COMPANY, cvr)


@router.get("/v1/associations/{association_id}/candidates", response_model=list[CandidateEntry])
async def association_candidates(association_id: str, caller: Caller, deps: Lifecycle) -> list[CandidateEntry]:
    """Newcomers who said yes to the association's activities, with their state (none before a yes)."""
    return await _owner_view(deps, caller, Role.ASSOCIATION, association_id)


async def _owner_view(deps: views.ViewDeps, caller: Principal, role: Role, subject: str) -> list[CandidateEntry]:
    if caller.role not in (role, Role.ADMIN):
        raise Forbidden(f"the role `{caller.role.value}` may not read an owner's candidates")
    if caller.role is role and caller.subject != subject:
        raise NotFound(f"{role.value} {subject}")
    return await views.owner_view(deps, f"{role.value}:{subject}", companies=role is Role.COMPANY)


def install_lifecycle(app: FastAPI, deps: views.ViewDeps) -> None:
    """The router, its dependencies, and the answers for refused steps."""
    app.state.lifecycle = deps
    app.include_router(router)

    @app.exception_handler(IllegalTransition)
    async def illegal(_: Request, exc: IllegalTransition) -> JSONResponse:
        body = {"error": "illegal_transition", "message": str(exc), "state": exc.current.value}
        return JSONResponse(status_code=409, content=body)

    @app.exception_handler(NotAllowed)
    async def not_allowed(_: Request, exc: NotAllowed) -> JSONResponse:
        return JSONResponse(status_code=403, content={"error": "forbidden", "message": str(exc)})

    @app.exception_handler(InvalidTransition)
    async def invalid(_: Request, exc: InvalidTransition) -> JSONResponse:
        named = re.match(r"field `([^`]+)`: (.*)", str(exc))
        field, problem = named.groups() if named else ("body", str(exc))
        body = {"error": "invalid_input", "message": str(exc), "problems": [{"field": field, "problem": problem}]}
        return JSONResponse(status_code=422, content=body)

    @app.exception_handler(UnknownProposal)
    async def unknown(_: Request, exc: UnknownProposal) -> JSONResponse:
        return JSONResponse(status_code=404, content={"error": "not_found", "message": f"{exc} was not found"})


__all__ = ["LifecycleDeps", "install_lifecycle", "router"]
