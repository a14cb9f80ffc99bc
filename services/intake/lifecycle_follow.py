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
    ConsentWithdrawn,
    MatchProposed,
    NotificationSent,
    OpportunityKind,
    OpportunityWithdrawn,
    SealedPersonal,
)
from shared.crypto import CitizenErased as CitizenGone

log = logging.getLogger(__name__)


class Keys(Protocol):
    async def open_profile(self, citizen_id: uuid.UUID, profile: CitizenProfile) -> CitizenProfile: ...


async def on_proposals(deps: LifecycleDeps, event: MatchProposed) -> None:
    """A ranking: its proposals start their lifecycle."""
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


async def on_citizen_event(deps: LifecycleDeps, keys: Keys, event: CitizenEvent) -> None:
    """Keep the channel, consent and sealed contact; retract on erasure and on consent turned off."""
    if isinstance(event, CitizenProfileSubmitted | CitizenProfileUpdated):
        facts = await _facts(keys, event.citizen_id, event.profile)
        if facts is None:
            return
        await deps.store.save_citizen(event.citizen_id, facts)
        withdrawn = [OpportunityKind(k) for k, allowed in facts.consent.items() if not allowed]
        if withdrawn:
            await retract_kinds(deps, event.citizen_id, withdrawn, event.correlation_id)
    elif isinstance(event, ConsentWithdrawn):
        facts_before = await deps.store.citizen(event.citizen_id)
        if facts_before is not None:
            consent = {**facts_before.consent, **{k.value: False for k in event.kinds}}
            await deps.store.save_citizen(
                event.citizen_id, CitizenFacts(facts_before.private, consent, facts_before.personal)
            )
        await retract_kinds(deps, event.citizen_id, event.kinds, event.correlation_id)
    elif isinstance(event, CitizenErased):
        mine = await deps.store.of_citizen(event.citizen_id)
        retracted = await retract(deps, mine, RetractCause.ERASED, event.correlation_id)
        await deps.store.forget(event.citizen_id)
        log.info("citizen %s erased: %d proposals retracted", event.citizen_id, retracted)


async def on_notification(deps: LifecycleDeps, event: NotificationSent) -> None:
    """The notifier told the citizen: the approved proposals it named are offered."""
    await offer_notified(deps, event.proposal_ids, event.correlation_id)


async def on_opportunity_withdrawn(deps: LifecycleDeps, event: OpportunityWithdrawn) -> None:
    """An opportunity left the catalogue: its running proposals are retracted."""
    records = await deps.store.of_opportunity(event.opportunity_id)
    await retract(deps, records, RetractCause.OPPORTUNITY_WITHDRAWN, event.correlation_id)
