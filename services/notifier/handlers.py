"""The notifier's use cases: remember how to reach a citizen, and tell them about a ranking once."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol

from services.notifier.adapters.smtp import MailNotSent, MailSender
from services.notifier.adapters.store import NotifierStore
from services.notifier.domain import delivery
from services.notifier.domain.messages import compose
from shared.contracts import (
    CitizenErased,
    CitizenEvent,
    CitizenProfileSubmitted,
    CitizenProfileUpdated,
    Event,
    MatchProposed,
    NotificationSent,
    OpportunityKind,
    ProposalTransitioned,
    SealedCitizenEvent,
    SealedMatchProposed,
    SealedPersonal,
    derive_id,
)
from shared.crypto import CitizenErased as CitizenGone
from shared.crypto import KeyStore, unseal
from shared.messaging import Transient, Unprocessable
from shared.topics import Topics

log = logging.getLogger(__name__)


class Publisher(Protocol):
    async def __call__(self, topic: str, key: str, event: Event) -> None: ...


@dataclass
class NotifierDeps:
    store: NotifierStore
    keys: KeyStore
    mail: MailSender
    publish: Publisher
    topics: Topics
    mail_from: str
    message_id_domain: str
    contact_wait_s: float
    rights_url_da: str
    rights_url_en: str
    ranking_digest: bool = False


async def _opened(deps: NotifierDeps, event: SealedCitizenEvent) -> Event | None:
    """The event inside a sealed one; None once the citizen is erased (nothing is done for them then)."""
    if await deps.keys.is_erased(event.citizen_id):
        return None
    try:
        return await deps.keys.open_event(event)
    except CitizenGone:
        return None


async def on_citizen_event(deps: NotifierDeps, received: CitizenEvent) -> None:
    """Keep only what is needed to reach the citizen, sealed; forget it on erasure."""
    event: Event | None = await _opened(deps, received) if isinstance(received, SealedCitizenEvent) else received
    if isinstance(event, CitizenProfileSubmitted | CitizenProfileUpdated):
        if await deps.keys.is_erased(event.citizen_id):
            return
        sealed = event.profile.personal
        if not isinstance(sealed, SealedPersonal):
            raise Unprocessable(f"citizen {event.citizen_id}: the personal part arrived unsealed")
        opened = await deps.keys.open_profile(event.citizen_id, event.profile)
        private = event.profile.preferred_channel == "private" or opened.personal_data().social_control_concern
        await deps.store.save_contact(
            event.citizen_id, sealed, event.profile.preferred_language, "private" if private else "email"
        )
    elif isinstance(event, CitizenErased):
        await deps.store.erase(event.citizen_id)
        await deps.keys.rewrite_files()  # no copy of the contact stays in the append-only file
    elif isinstance(event, ProposalTransitioned):
        await on_transition(deps, event)


async def on_transition(deps: NotifierDeps, event: ProposalTransitioned) -> None:
    """The rule until the messages issue: an approved proposal is e-mailed to the citizen (the offer);
    the NotificationSent that follows lets intake record it `offered`. Nothing goes out for the private
    channel: the proposal waits in the caseworker's queue to be handed over in person."""
    if deps.ranking_digest or event.to_state != "approved" or event.proposal is None or event.private_channel:
        return  # with the digest on, the ranking's e-mail already named every proposal
    proposal = event.proposal
    association = proposal.kind is OpportunityKind.ASSOCIATION_ACTIVITY
    offer = MatchProposed(
        event_id=derive_id("offer", event.proposal_id),
        occurred_at=event.occurred_at,
        correlation_id=event.correlation_id,
        citizen_id=event.citizen_id,
        trigger_event_id=event.event_id,
        catalogue_size=0,
        proposals=[] if association else [proposal],
        associations=[proposal] if association else [],
    )
    await deliver(deps, offer)


def message_id(deps: NotifierDeps, match_event_id: uuid.UUID) -> str:
    """Derived from the ranking event, so a resend after a crash carries the same Message-ID."""
    return delivery.message_id(match_event_id, deps.message_id_domain)


async def on_match_proposed(deps: NotifierDeps, received: MatchProposed | SealedMatchProposed) -> None:
    """E-mail the citizen every ranking, when the pre-lifecycle digest is switched on."""
    if not deps.ranking_digest:
        return
    opened = await _opened(deps, received) if isinstance(received, SealedMatchProposed) else received
    if isinstance(opened, MatchProposed):  # else the citizen was erased
        await deliver(deps, opened)


async def deliver(deps: NotifierDeps, event: MatchProposed) -> None:
    """E-mail the citizen the proposals of `event` once (a ranking, or one approved proposal)."""
    earlier = await deps.store.delivery(event.event_id)
    step = delivery.next_step(earlier)
    mid = message_id(deps, event.event_id)
    if step == "done":
        if earlier is not None and earlier.get("state") == "sent":
            await _announce(deps, event, mid)  # the notice may not have gone out before a crash
        return
    if step == "give_up":
        # Two sends may both have reached the server; a third is never made (the rule above).
        log.warning("ranking %s: already sent twice as %s; not sending again", event.event_id, mid)
        await deps.store.record_delivery(
            event.citizen_id, event.event_id, {**(earlier or {}), "state": "sent", "message_id": mid}
        )
        await _announce(deps, event, mid)
        return
    if await deps.keys.is_erased(event.citizen_id):
        return
    contact = await deps.store.contact(event.citizen_id)
    if contact is None:
        if await deps.keys.is_erased(event.citizen_id):
            return
        # The profile and the ranking travel on different topics; the profile may still be on its way.
        # The guard retries this record with backoff (the partition pauses, nothing polls), and gives up
        # to the dead-letter topic after `contact_wait_s`.
        raise Transient(f"no contact details yet for citizen {event.citizen_id}", give_up_after_s=deps.contact_wait_s)
    sealed, _language, channel = contact
    try:
        _, key = await deps.keys.for_reading(event.citizen_id)
    except CitizenGone:
        return  # erased meanwhile: nothing is ever sent about an erased citizen
    personal = unseal(sealed, key, event.citizen_id)
    if channel == "private" or not personal.email:
        # The caseworker passes it on in person: nothing is sent that others could see.
        await deps.store.record_delivery(
            event.citizen_id, event.event_id, {"state": "held_for_caseworker", "message_id": None}
        )
        log.info("ranking %s for citizen %s held for the caseworker", event.event_id, event.citizen_id)
        return
    sends = delivery.sends_so_far(earlier) + 1
    await deps.store.record_delivery(
        event.citizen_id, event.event_id, {"state": "sending", "message_id": mid, "sends": sends}
    )
    letter = compose(event, personal.name.split()[0], deps.rights_url_da, deps.rights_url_en)
    msg = EmailMessage()
    msg["From"] = deps.mail_from
    msg["To"] = personal.email
    msg["Subject"] = letter.subject
    msg["Message-ID"] = mid
    msg["Date"] = formatdate(localtime=False)
    msg["Content-Language"] = "da, en"
    msg.set_content(letter.body)
    try:
        await deps.mail.send(msg)
    except (MailNotSent, smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused):
        # Known not to have gone out: this send does not count against the one resend.
        await deps.store.record_delivery(
            event.citizen_id, event.event_id, {"state": "not_sent", "message_id": mid, "sends": sends - 1}
        )
        raise
    sent_at = dt.datetime.now(dt.UTC)
    await deps.store.record_delivery(
        event.citizen_id,
        event.event_id,
        {"state": "sent", "message_id": mid, "channel": "email", "sent_at": sent_at.isoformat(), "sends": sends},
    )
    await _announce(deps, event, mid)
    log.info("ranking %s e-mailed to citizen %s as %s", event.event_id, event.citizen_id, mid)


async def _announce(deps: NotifierDeps, event: MatchProposed, mid: str) -> None:
    """NotificationSent, with an id derived from the ranking: announcing twice is one notice."""
    notice = NotificationSent(
        event_id=derive_id("notification-sent", event.event_id),
        correlation_id=event.correlation_id,
        citizen_id=event.citizen_id,
        match_event_id=event.event_id,
        channel="email",
        message_id=mid,
        proposal_ids=[p.proposal_id for p in [*event.proposals, *event.associations]],
    )
    await deps.publish(deps.topics.notifications, str(event.citizen_id), notice)
