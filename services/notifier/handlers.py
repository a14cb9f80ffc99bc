"""The notifier's use cases: remember how to reach a citizen, and tell them about a ranking once."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol

from services.notifier.adapters.smtp import MailSender
from services.notifier.adapters.store import NotifierStore
from services.notifier.domain.messages import compose
from shared.contracts import (
    CitizenErased,
    CitizenEvent,
    CitizenProfileSubmitted,
    CitizenProfileUpdated,
    Event,
    MatchProposed,
    NotificationSent,
    SealedPersonal,
    derive_id,
)
from shared.crypto import CitizenErased as CitizenGone
from shared.crypto import KeyStore, unseal
from shared.messaging import Unprocessable
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


async def on_citizen_event(deps: NotifierDeps, event: CitizenEvent) -> None:
    """Keep only what is needed to reach the citizen, sealed; forget it on erasure."""
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


async def _wait_for_contact(deps: NotifierDeps, citizen_id: uuid.UUID) -> tuple[SealedPersonal, str, str] | None:
    # The profile and the ranking travel on different topics; the profile may still be on its way.
    deadline = time.monotonic() + deps.contact_wait_s
    while True:
        contact = await deps.store.contact(citizen_id)
        if contact is not None or time.monotonic() >= deadline or await deps.keys.is_erased(citizen_id):
            return contact
        await asyncio.sleep(0.1)


def message_id(deps: NotifierDeps, match_event_id: uuid.UUID) -> str:
    """Derived from the ranking event, so a resend after a crash carries the same Message-ID."""
    return f"<{match_event_id}@{deps.message_id_domain}>"


async def on_match_proposed(deps: NotifierDeps, event: MatchProposed) -> None:
    """E-mail the citizen their proposals, once per ranking."""
    earlier = await deps.store.delivery(event.event_id)
    if earlier is not None and earlier["state"] != "sending":
        return
    if await deps.keys.is_erased(event.citizen_id):
        return
    contact = await _wait_for_contact(deps, event.citizen_id)
    if contact is None:
        if await deps.keys.is_erased(event.citizen_id):
            return
        raise Unprocessable(f"no contact details for citizen {event.citizen_id} after {deps.contact_wait_s:g} s")
    sealed, _language, channel = contact
    try:
        _, key = await deps.keys.for_reading(event.citizen_id)
    except CitizenGone:
        return  # erased meanwhile: nothing is ever sent about an erased citizen
    personal = unseal(sealed, key, event.citizen_id)
    mid = message_id(deps, event.event_id)
    if channel == "private" or not personal.email:
        # The caseworker passes it on in person: nothing is sent that others could see.
        await deps.store.record_delivery(
            event.citizen_id, event.event_id, {"state": "held_for_caseworker", "message_id": None}
        )
        log.info("ranking %s for citizen %s held for the caseworker", event.event_id, event.citizen_id)
        return
    await deps.store.record_delivery(event.citizen_id, event.event_id, {"state": "sending", "message_id": mid})
    letter = compose(event, personal.name.split()[0], deps.rights_url_da, deps.rights_url_en)
    msg = EmailMessage()
    msg["From"] = deps.mail_from
    msg["To"] = personal.email
    msg["Subject"] = letter.subject
    msg["Message-ID"] = mid
    msg["Date"] = formatdate(localtime=False)
    msg["Content-Language"] = "da, en"
    msg.set_content(letter.body)
    await deps.mail.send(msg)
    sent_at = dt.datetime.now(dt.UTC)
    await deps.store.record_delivery(
        event.citizen_id,
        event.event_id,
        {"state": "sent", "message_id": mid, "channel": "email", "sent_at": sent_at.isoformat()},
    )
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
    log.info("ranking %s e-mailed to citizen %s as %s", event.event_id, event.citizen_id, mid)
