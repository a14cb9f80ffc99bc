"""The lifecycle use case: decide a transition against the stored state and store it atomically.

Publishing the transition as an event is the caller's next step; the event types arrive with the
sealed contracts (issue 8), so that lifecycle events are born sealed.
"""

from __future__ import annotations

import datetime as dt
import uuid

from services.intake.adapters.lifecycle_store import LifecycleStore
from services.intake.domain.lifecycle import (
    Action,
    Actor,
    IllegalTransition,
    Outcome,
    RetractCause,
    Transition,
    decide,
)


class UnknownProposal(LookupError):
    """No proposal with this id is tracked (answered 404)."""


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
) -> Transition:
    """Make one transition, or raise why not; of two racing callers exactly one wins, the other gets 409."""
    record = await store.get(proposal_id)
    if record is None:
        raise UnknownProposal(f"proposal {proposal_id}")
    step = decide(
        record.state, action, actor, actor_id, now, reason=reason, on_date=on_date, outcome=outcome, cause=cause
    )
    if not await store.apply(proposal_id, step):
        latest = await store.get(proposal_id)
        current = latest.state if latest else record.state
        raise IllegalTransition(action, current, "another request changed it first")
    return step
