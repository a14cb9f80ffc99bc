"""Lifecycle buttons on the pages: approve, override, an answer given in person, start, end, the owner's answer.

Each posts a plain form (with its CSRF token) and goes through the same lifecycle use case and scoping as
the API's `/v1/proposals/{id}/…` routes.
"""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.intake import lifecycle_views as views
from services.intake.domain.access import Forbidden, NotFound, Role
from services.intake.domain.lifecycle import Action, IllegalTransition, InvalidTransition, NotAllowed, Outcome
from services.intake.entrypoints.deps import Caller
from services.intake.entrypoints.lifecycle_api import check_proposal
from services.intake.entrypoints.pages.auth import PAGE_PREFIX, safe_next
from services.intake.entrypoints.pages.views import checked_form, refusal, render
from services.intake.lifecycle import UnknownProposal, act

_STAFF = frozenset({Role.CASEWORKER, Role.ADMIN})
_OWNERS = _STAFF | {Role.COMPANY, Role.ASSOCIATION}

#: The page's action name → the lifecycle action and who may take it here.
STEPS: dict[str, tuple[Action, frozenset[Role]]] = {
    "approve": (Action.APPROVE, _STAFF),
    "override": (Action.OVERRIDE, _STAFF),
    "accept": (Action.ACCEPT, _STAFF),  # an answer the citizen gave the caseworker in person
    "decline": (Action.DECLINE, _STAFF),
    "offer": (Action.OFFER, _STAFF),  # private channel: handed over in person
    "interested": (Action.INTERESTED, _OWNERS),
    "not_interested": (Action.NOT_INTERESTED, _OWNERS),
    "start": (Action.START, _OWNERS),
    "end": (Action.END, _OWNERS),
}

router = APIRouter(prefix=PAGE_PREFIX, include_in_schema=False)


def _date(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


@router.post("/proposals/{proposal_id}/{step}")
async def take_step(request: Request, proposal_id: uuid.UUID, step: str, caller: Caller) -> Response:
    form = await checked_form(request)
    if form is None:
        return render(request, "message.html", 403, caller, message="csrf_failed")
    back = safe_next(str(form.get("next", "")))
    if step not in STEPS:
        return refusal(request, caller, NotFound(step))
    action, roles = STEPS[step]
    deps: views.ViewDeps = request.app.state.lifecycle
    outcome = form.get("outcome")
    try:
        record = await deps.lifecycle.store.get(proposal_id)
        if record is None:
            raise NotFound(f"proposal {proposal_id}")
        actor = check_proposal(caller, record, roles)
        await act(
            deps.lifecycle,
            proposal_id,
            action,
            actor,
            caller.subject,
            f"page-{uuid.uuid4().hex[:16]}",
            reason=str(form.get("reason", "")).strip()[:1000],
            on_date=_date(form.get("date")),
            outcome=Outcome(outcome) if outcome in {o.value for o in Outcome} else None,
        )
    except (Forbidden, NotAllowed) as exc:
        return refusal(request, caller, Forbidden(str(exc)))
    except (NotFound, UnknownProposal) as exc:
        return refusal(request, caller, NotFound(str(exc)))
    except IllegalTransition:
        return RedirectResponse(f"{back}?notice=step_not_possible", status_code=303)
    except InvalidTransition:
        return RedirectResponse(f"{back}?notice=step_incomplete", status_code=303)
    return RedirectResponse(f"{back}?notice=decision_saved", status_code=303)
