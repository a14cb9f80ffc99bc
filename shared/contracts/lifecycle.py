"""Lifecycle events: a proposal's transitions, decided by intake, followed by the matcher and the notifier.

Published on the citizens topic, keyed by citizen, so they arrive in order with the citizen's other
events (an erasure after an acceptance is seen after it). They are born sealed: on a topic they are
only ever `SealedProposalTransitioned` and `SealedConsentWithdrawn`, the whole event sealed with the
citizen's key, with only what routing needs readable beside it (ids, kind, the step and what it means
for capacity and for the owner), so the matcher can free a place even after the citizen's key is gone.
Free text (an override's or a decline's reason) never travels: it stays in intake's history (staff
only) and in the audit trail, sealed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import Field

from shared.contracts.common import LifecycleAction, LifecycleState, OpportunityKind
from shared.contracts.events import Event, Proposal, SealedCitizenEvent


class ProposalTransitioned(Event):
    """One step of a proposal's lifecycle. Its id derives from the proposal and the new state."""

    event_type: Literal["ProposalTransitioned"] = "ProposalTransitioned"
    citizen_id: uuid.UUID
    proposal_id: uuid.UUID
    opportunity_id: uuid.UUID
    kind: OpportunityKind
    action: LifecycleAction
    from_state: LifecycleState
    to_state: LifecycleState
    actor_role: Literal["caseworker", "citizen", "owner", "admin", "system"] = Field(
        description="Who acted; `system` for auto-approval, sharing after a yes, expiry and retraction."
    )
    actor_id: str = Field(max_length=100, description="The actor's token subject (an id, never a name).")
    reason_given: bool = Field(default=False, description="A free-text reason was given (kept in intake only).")
    on_date: dt.date | None = Field(default=None, description="When it started or ended (start, end).")
    outcome: Literal["hired", "completed", "dropped_out"] | None = Field(default=None, description="For `end`.")
    cause: Literal["reranked", "opportunity_withdrawn", "erased", "consent_withdrawn"] | None = Field(
        default=None, description="Why it was retracted."
    )
    releases_capacity: bool = Field(description="The proposal left the running: its place is free again.")
    commits_capacity: bool = Field(
        default=False, description="The citizen said yes: its place is held until it leaves the running, no expiry."
    )
    owner_must_delete: bool = Field(
        default=False, description="The owner had received the citizen's details and is told to delete them."
    )
    private_channel: bool = Field(
        default=False, description="The citizen is reached only through the caseworker, in person."
    )
    proposal: Proposal | None = Field(
        default=None, description="On `approve`: what was proposed, so the offer can be written without a look-up."
    )


class ConsentWithdrawn(Event):
    """The citizen (or their caseworker) withdrew consent for some opportunity kinds, or all of them."""

    event_type: Literal["ConsentWithdrawn"] = "ConsentWithdrawn"
    citizen_id: uuid.UUID
    kinds: list[OpportunityKind] = Field(min_length=1, description="The kinds consent no longer covers.")


class SealedProposalTransitioned(SealedCitizenEvent):
    """`ProposalTransitioned`, sealed; the fields below stay readable for routing and capacity."""

    event_type: Literal["SealedProposalTransitioned"] = "SealedProposalTransitioned"
    proposal_id: uuid.UUID
    opportunity_id: uuid.UUID
    kind: OpportunityKind
    to_state: LifecycleState
    releases_capacity: bool
    commits_capacity: bool = False
    owner_must_delete: bool = False


class SealedConsentWithdrawn(SealedCitizenEvent):
    """`ConsentWithdrawn`, sealed: which kinds a citizen turned down says something about them."""

    event_type: Literal["SealedConsentWithdrawn"] = "SealedConsentWithdrawn"
