"""What intake's lifecycle follows on the topics: rankings, profiles, erasures, consent, offers, withdrawals.

Each handler is idempotent: a redelivered record finds the transitions already made and changes nothing.
"""

from __future__ import annotations

import logging
import uuid
from typing import Protocol

from services.intake.adapters.lifecycle_store import CitizenFacts
from services.intake.domain.lifecycle import RetractCause
from services.intake.lifecycle import LifecycleDeps, offer_notified, retract, retract_kinds, track
from shared.contracts import (
    CitizenErased,
    CitizenEvent,
    CitizenProfile,
    CitizenProfileSubmitted,
    CitizenProfileUpdated,
    Event,
    MatchProposed,
    NotificationSent,
    OpportunityKind,
    OpportunityWithdrawn,
    ProposalTransitioned,
    SealedCitizenEvent,
    SealedConsentWithdrawn,
    SealedMatchProposed,
    SealedPersonal,
    SealedProposalTransitioned,
)
from shared.crypto import CitizenErased as CitizenGone

log = logging.getLogger(__name__)


class Keys(Protocol):
    async def open_profile(self, citizen_id: uuid.UUID, profile: CitizenProfile) -> CitizenProfile: ...
    async def open_event(self, event: SealedCitizenEvent) -> Event: ...


async def _opened(keys: Keys, event: Event) -> Event | None:
    """The event inside a sealed one; None once its citizen is erased (nothing is done for them then)."""
    if not isinstance(event, SealedCitizenEvent):
        return event
    try:
        return await keys.open_event(event)
    except CitizenGone:
        return None


async def on_proposals(deps: LifecycleDeps, keys: Keys, received: MatchProposed | SealedMatchProposed) -> None:
    """A ranking: its proposals start their lifecycle."""
    event = await _opened(keys, received)
    if not isinstance(event, MatchProposed):
        return
    new = await track(deps, event)
    log.info("ranking %s: %d proposals tracked for citizen %s", event.event_id, new, event.citizen_id)


async def _facts(keys: Keys, citizen_id: uuid.UUID, profile: CitizenProfile) -> CitizenFacts | None:
    try:
        opened = await keys.open_profile(citizen_id, profile)
    except CitizenGone:
        return None
    private = profile.preferred_channel == "private" or opened.personal_data().social_control_concern
    sealed = profile.personal if isinstance(profile.personal, SealedPersonal) else None
    consent = {kind.value: profile.consent.allows(kind) for kind in OpportunityKind}
    return CitizenFacts(private=private, consent=consent, personal=sealed)


async def on_citizen_event(deps: LifecycleDeps, keys: Keys, received: CitizenEvent) -> None:
    """Keep the channel and the sealed contact; retract when a profile update turns a kind's consent off.

    Intake's own lifecycle events are not followed here (their effects were made when they were decided),
    and neither is an erasure: `erase` retracts before the key is destroyed, so those events are sealed too.
    """
    if isinstance(received, SealedProposalTransitioned | SealedConsentWithdrawn | ProposalTransitioned):
        return
    event = await _opened(keys, received)
    if isinstance(event, CitizenProfileSubmitted | CitizenProfileUpdated):
        facts = await _facts(keys, event.citizen_id, event.profile)
        if facts is None:
            return
        await deps.store.save_citizen(event.citizen_id, facts)
        withdrawn = [OpportunityKind(k) for k, allowed in facts.consent.items() if not allowed]
        if withdrawn:
            await retract_kinds(deps, event.citizen_id, withdrawn, event.correlation_id)
    elif isinstance(event, CitizenErased):
        # Normally a no-op: the erasure retracted first. Forgets histories that arrived since.
        await deps.store.forget(event.citizen_id)


async def on_notification(deps: LifecycleDeps, event: NotificationSent) -> None:
    """The notifier told the citizen: the approved proposals it named are offered."""
    await offer_notified(deps, event.proposal_ids, event.correlation_id)


async def on_opportunity_withdrawn(deps: LifecycleDeps, event: OpportunityWithdrawn) -> None:
    """An opportunity left the catalogue: its running proposals are retracted."""
    records = await deps.store.of_opportunity(event.opportunity_id)
    await retract(deps, records, RetractCause.OPPORTUNITY_WITHDRAWN, event.correlation_id)
