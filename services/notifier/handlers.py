"""The notifier's stream use cases: remember how to reach citizens and owners, and note what must be sent.

Nothing is sent from here but the pre-lifecycle ranking e-mail: an approved proposal waits for its
citizen's digest, and a citizen's yes queues the owner's notices (`services.notifier.sending` sends
both). Each handler records its effect in Redis before it returns, so before the offset is committed;
a redelivered record finds the effect there and changes nothing.
"""

from __future__ import annotations

import logging

from services.notifier import sending
from services.notifier.adapters.store import StoredContact
from services.notifier.domain.compose import notice_id
from services.notifier.ports import NotifierDeps
from shared.contracts import (
    CitizenErased,
    CitizenEvent,
    CitizenProfileSubmitted,
    CitizenProfileUpdated,
    Event,
    MatchProposed,
    OpportunityEvent,
    OpportunityRegistered,
    OpportunityUpdated,
    OwnerWebhookRegistered,
    ProposalTransitioned,
    SealedCitizenEvent,
    SealedMatchProposed,
    SealedPersonal,
)
from shared.crypto import CitizenErased as CitizenGone
from shared.messaging import Unprocessable

log = logging.getLogger(__name__)

#: Once a proposal reaches one of these it no longer waits for a digest (offered in person, retracted, …).
_NOT_WAITING = frozenset({"offered", "overridden", "retracted", "expired", "declined"})


async def _opened(deps: NotifierDeps, event: SealedCitizenEvent) -> Event | None:
    """The event inside a sealed one; None once the citizen is erased (nothing is done for them then)."""
    if await deps.keys.is_erased(event.citizen_id):
        return None
    try:
        return await deps.keys.open_event(event)
    except CitizenGone:
        return None


async def on_citizen_event(deps: NotifierDeps, received: CitizenEvent) -> None:
    """Keep only what is needed to reach the citizen, sealed; forget it on erasure; follow the lifecycle."""
    event: Event | None = await _opened(deps, received) if isinstance(received, SealedCitizenEvent) else received
    if isinstance(event, CitizenProfileSubmitted | CitizenProfileUpdated):
        if await deps.keys.is_erased(event.citizen_id):
            return
        sealed = event.profile.personal
        if not isinstance(sealed, SealedPersonal):
            raise Unprocessable(f"citizen {event.citizen_id}: the personal part arrived unsealed")
        opened = await deps.keys.open_profile(event.citizen_id, event.profile)
        private = event.profile.preferred_channel == "private" or opened.personal_data().social_control_concern
        contact = StoredContact(
            sealed,
            event.profile.preferred_language,
            "private" if private else "email",
            event.profile.municipality_code,
        )
        await deps.store.save_contact(event.citizen_id, contact)
    elif isinstance(event, CitizenErased):
        await deps.store.erase(event.citizen_id)
        await deps.keys.rewrite_files()  # no copy of the contact stays in the append-only file
        await deps.keys.rewrite_files()  # no copy of the contact stays in the append-only file
    elif isinstance(event, ProposalTransitioned):
        await on_transition(deps, event)


async def on_transition(deps: NotifierDeps, event: ProposalTransitioned) -> None:
    """Approved: wait for the citizen's next digest. Shared (after the yes): queue the owner's notices."""
    if event.to_state == "approved":
        await _await_digest(deps, event)
    elif event.to_state in _NOT_WAITING:
        if await deps.store.remove_pending(event.citizen_id, event.proposal_id):
            log.info("proposal %s left the digest queue (%s)", event.proposal_id, event.to_state)
    elif event.to_state == "shared":
        await _queue_owner_notices(deps, event)


async def _await_digest(deps: NotifierDeps, event: ProposalTransitioned) -> None:
    if deps.settings.ranking_digest or event.proposal is None:
        return  # with the per-ranking e-mail on, the ranking already named every proposal
    if event.private_channel:
        # Nothing is sent that others could see: intake's queue shows it for handing over in person.
        log.info(
            "proposal %s for citizen %s: private channel, held for the caseworker", event.proposal_id, event.citizen_id
        )
        return
    approver = event.actor_id if event.actor_role in ("caseworker", "admin") else None
    entry = {
        "proposal": event.proposal.model_dump(mode="json"),
        "approver": approver,
        "approved_at": event.occurred_at.timestamp(),
        "correlation_id": event.correlation_id,
    }
    if await deps.store.add_pending(event.citizen_id, event.proposal_id, entry) != "added":
        # The same approval again (Kafka redelivers): it already waits, or a digest carried it.
        deps.counters["duplicates_skipped"] += 1
        log.info("proposal %s: approval seen before (event %s); nothing new", event.proposal_id, event.event_id)
        return
    await deps.store.schedule(event.citizen_id, await sending.digest_due_at(deps, event.citizen_id))


async def _queue_owner_notices(deps: NotifierDeps, event: ProposalTransitioned) -> None:
    """One notice per channel; ids derive from the proposal, so a redelivered yes queues nothing new."""
    queued = 0
    for channel in ("email", "webhook"):
        item = {
            "citizen_id": str(event.citizen_id),
            "proposal_id": str(event.proposal_id),
            "opportunity_id": str(event.opportunity_id),
            "channel": channel,
            "attempts": 0,
            "state": "waiting",
            "occurred_at": event.occurred_at.isoformat(),
            "correlation_id": event.correlation_id,
        }
        queued += await deps.store.enqueue(event.citizen_id, notice_id(event.proposal_id, channel), item, deps.clock())
    if not queued:
        deps.counters["duplicates_skipped"] += 1
        log.info("proposal %s: yes seen before (event %s); nothing new queued", event.proposal_id, event.event_id)


async def on_opportunity_event(deps: NotifierDeps, event: OpportunityEvent) -> None:
    """Keep what messages need of each opportunity: its owner, the owner's address, and when it happens."""
    if not isinstance(event, OpportunityRegistered | OpportunityUpdated):
        return  # a withdrawn opportunity's facts stay: a notice about it may still be on its way
    o = event.opportunity
    owner = ""
    if o.owner.type == "company" and o.owner.cvr:
        owner = f"company:{o.owner.cvr}"
    elif o.owner.type == "association" and o.owner.association_id:
        owner = f"association:{o.owner.association_id}"
    facts = {
        "owner": owner,
        "owner_name": o.owner.name,
        "owner_email": str(o.owner.contact_email) if o.owner.contact_email else None,
        "title": o.title,
        "hours_per_week": o.schedule.hours_per_week,
        "slots": [[s.day, s.start.strftime("%H:%M"), s.end.strftime("%H:%M")] for s in o.schedule.slots],
        # Deprecated: read from old events for the record, never delivered to (owners register webhooks).
        "legacy_webhook_url": o.owner.model_dump(mode="json").get("webhook_url"),
    }
    await deps.store.save_opportunity(event.opportunity_id, facts)


async def on_owner_event(deps: NotifierDeps, event: OwnerWebhookRegistered) -> None:
    """An owner's webhook, registered, replaced or removed; an older registration never replaces a newer one."""
    current = await deps.store.webhook(event.owner)
    if current is not None and current["occurred_at"] > event.occurred_at.timestamp():
        return
    if current is not None and current["registration_id"] == str(event.registration_id):
        return  # the same registration again (a redelivery or a replay): keep the copy, perhaps re-sealed since
    if event.url is None or event.secret is None:
        await deps.store.save_webhook(event.owner, None)
        return
    record = {
        "registration_id": str(event.registration_id),
        "url": event.url,
        "secret": event.secret.model_dump(),
        "occurred_at": event.occurred_at.timestamp(),
    }
    await deps.store.save_webhook(event.owner, record)


async def on_match_proposed(deps: NotifierDeps, received: MatchProposed | SealedMatchProposed) -> None:
    """E-mail the citizen every ranking, only when the pre-lifecycle ranking e-mail is switched on."""
    if not deps.settings.ranking_digest:
        return
    opened = await _opened(deps, received) if isinstance(received, SealedMatchProposed) else received
    if isinstance(opened, MatchProposed):  # else the citizen was erased
        await sending.ranking_mail(deps, opened)
