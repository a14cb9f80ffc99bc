"""Routes for the citizen's rights and the audit trail: export, erasure, decisions, audit reads."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field, model_validator

from services.intake import privacy
from services.intake.domain.access import Forbidden, NotFound, Principal, Role, check_citizen
from services.intake.domain.lifecycle import Action
from services.intake.domain.lifecycle import Actor as LifecycleActor
from services.intake.entrypoints.deps import Caller, Req, StaffMunicipality
from services.intake.entrypoints.lifecycle_api import Lifecycle
from services.intake.lifecycle import act, track
from services.intake.privacy import Actor, PrivacyDeps


def get_privacy(request: Request) -> PrivacyDeps:
    deps: PrivacyDeps = request.app.state.privacy
    return deps


Privacy = Annotated[PrivacyDeps, Depends(get_privacy)]


def actor(caller: Principal) -> Actor:
    return Actor(role=caller.role.value, subject=caller.subject)


async def _municipality(deps: PrivacyDeps, citizen_id: uuid.UUID) -> tuple[str | None, bool]:
    """The citizen's municipality, and whether they were erased (an erased citizen keeps only that)."""
    municipality, erased = await deps.privacy.standing(citizen_id)
    if municipality is not None:
        return municipality, False
    return erased, erased is not None


class Decision(BaseModel):
    decision: Literal["approve", "override"] = Field(description="Approve the proposal, or override (withdraw) it.")
    reason: str = Field(default="", max_length=1000, description="Why. Required for an override.")

    @model_validator(mode="after")
    def _override_needs_reason(self) -> Decision:
        if self.decision == "override" and len(self.reason.strip()) < 5:
            raise ValueError("field `reason`: an override needs a reason of at least 5 characters")
        return self


router = APIRouter(tags=["data protection"])


@router.get("/v1/citizens/{citizen_id}/export")
async def export_citizen(citizen_id: uuid.UUID, caller: Caller, deps: Privacy, req: Req) -> dict[str, Any]:
    """Everything every service holds about the citizen, as JSON (right of access)."""
    municipality, _ = await _municipality(deps, citizen_id)
    check_citizen(caller, citizen_id, municipality, allow_citizen_self=True)
    return await privacy.export_citizen(deps, actor(caller), citizen_id, req.correlation_id)


@router.delete("/v1/citizens/{citizen_id}", status_code=202)
async def erase_citizen(citizen_id: uuid.UUID, caller: Caller, deps: Privacy, req: Req) -> dict[str, Any]:
    """Erase the citizen everywhere (right to erasure); their key is destroyed, so old events stay unreadable."""
    municipality, erased = await _municipality(deps, citizen_id)
    check_citizen(caller, citizen_id, municipality, allow_citizen_self=True)
    if erased or municipality is None:
        return {"citizen_id": str(citizen_id), "status": "already_erased"}
    result = await privacy.erase_citizen(deps, actor(caller), citizen_id, municipality, req.correlation_id)
    return {**result, "status": "erased"}


@router.post("/v1/citizens/{citizen_id}/proposals/{proposal_id}/decision")
async def decide(
    citizen_id: uuid.UUID,
    proposal_id: uuid.UUID,
    decision: Decision,
    caller: Caller,
    deps: Privacy,
    lifecycle: Lifecycle,
    req: Req,
) -> dict[str, Any]:
    """A caseworker approves or overrides a proposal; 409 with the current state if it is no longer `proposed`."""
    municipality, erased = await _municipality(deps, citizen_id)
    check_citizen(caller, citizen_id, None if erased else municipality, allow_citizen_self=False)
    record = await lifecycle.lifecycle.store.get(proposal_id)
    latest = await deps.store.proposals(citizen_id) if record is None else None
    if latest is not None:
        # The read model saw the ranking before the lifecycle subscriber did: track it now (idempotent).
        await track(lifecycle.lifecycle, latest)
        record = await lifecycle.lifecycle.store.get(proposal_id)
    if record is None or record.citizen_id != citizen_id:
        raise NotFound(f"proposal {proposal_id}")
    action = Action.APPROVE if decision.decision == "approve" else Action.OVERRIDE
    who = LifecycleActor.ADMIN if caller.role is Role.ADMIN else LifecycleActor.CASEWORKER
    step = await act(
        lifecycle.lifecycle, proposal_id, action, who, caller.subject, req.correlation_id, reason=decision.reason
    )
    entry = {"decision": decision.decision, "reason": step.reason, "by": caller.subject, "at": step.at.isoformat()}
    await deps.privacy.record_override(citizen_id, proposal_id, entry)
    return {"proposal_id": str(proposal_id), "state": step.target.value, **entry}


@router.get("/v1/notices")
async def caseworker_notices(
    caller: Caller,
    deps: Privacy,
    municipality: StaffMunicipality = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Notices for the municipality's caseworkers, newest first: citizens who erased their own data."""
    return {"notices": await privacy.notices_for(deps, caller, municipality, limit)}


@router.get("/v1/audit")
async def read_audit(
    caller: Caller,
    deps: Privacy,
    citizen_id: Annotated[uuid.UUID | None, Query(description="Only entries about this citizen.")] = None,
    actor_id: Annotated[str | None, Query(max_length=200, description="Only entries by this actor.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    """The audit trail, newest first (admins only). Nothing can edit or delete it."""
    if caller.role is not Role.ADMIN:
        raise Forbidden("only an admin may read the audit trail")
    entries = await privacy.read_audit(deps, citizen_id=citizen_id, actor_id=actor_id, limit=limit)
    return {"entries": entries}
