"""Sending: the citizen's digests and the owners' notices, from the waiting work the handlers recorded.

A sweep (every `NOTIFIER_SWEEP_S`, in every notifier instance; a Redis claim keeps two instances off the
same citizen or notice) sends what is due. The rule for one message (`domain.delivery`): `sending` is
recorded before the server is asked and `sent` after it said yes; a crash between leaves `sending`,
and the message is sent once more with the same Message-ID (or idempotency key), never a third time.
A channel that is down is retried with doubling waits; after `retry_max_attempts` the message is
dead-lettered as `DeliveryFailed`, which intake shows in the caseworker's queue.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import smtplib
import uuid
from typing import Any, Literal

from services.notifier.adapters import mime
from services.notifier.adapters.smtp import MailNotSent
from services.notifier.adapters.webhook import WebhookUnreachable
from services.notifier.domain import compose, delivery
from services.notifier.domain.compose import Contact, Digest, OpportunityFacts
from services.notifier.ports import NotifierDeps
from shared import links
from shared.contracts import (
    DeliveryFailed,
    MatchProposed,
    NotificationSent,
    OpportunityKind,
    PersonalData,
    Proposal,
    SealedSecret,
    derive_id,
    shared_details,
)
from shared.contracts.common import WeeklySlot, same_time_as
from shared.crypto import CitizenErased, KeyUnwrapFailed, unseal
from shared.webhooks import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    SecretUnreadable,
    UnsafeTarget,
    check_target,
    open_secret,
    signature,
)

log = logging.getLogger(__name__)

#: Known not to have reached the mail server: such a try does not count against the one resend.
NOT_SENT = (MailNotSent, ConnectionRefusedError, smtplib.SMTPConnectError, smtplib.SMTPHeloError)
#: Refused for good (the address or the sender): retrying cannot help; dead-lettered at once.
REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused)


def _claim_s(deps: NotifierDeps) -> float:
    """Long enough for one send to finish; short, so a crashed instance's claim does not hold up the restart."""
    return 2 * max(deps.settings.smtp_timeout_s, deps.settings.webhook_timeout_s) + 5


async def digest_due_at(deps: NotifierDeps, citizen_id: uuid.UUID) -> float:
    """A quiet moment after the latest approval, and no sooner than a day (by default) after the last digest."""
    s = deps.settings
    last = await deps.store.last_digest_at(citizen_id)
    return max(deps.clock() + s.digest_quiet_s, (last + s.digest_min_interval_s) if last is not None else 0.0)


async def sweep(deps: NotifierDeps) -> int:
    """Send every due digest and owner notice once, `sweep_concurrency` at a time (each under its own
    claim); how many messages went out. One that fails is logged and tried again next round."""
    limit = asyncio.Semaphore(deps.settings.sweep_concurrency)

    async def one(name: str, work: Any) -> int:
        async with limit:
            return await _claimed(deps, name, work)

    now = deps.clock()
    jobs = [one(f"digest:{c}", send_digest(deps, c)) for c in await deps.store.due(now)]
    jobs += [one(f"outbox:{i}", deliver_notice(deps, i)) for i in await deps.store.outbox_due(now)]
    sent = 0
    for result in await asyncio.gather(*jobs, return_exceptions=True):
        if isinstance(result, BaseException):
            if not isinstance(result, Exception):
                raise result  # cancellation: the service is stopping
            log.warning("notifier sweep: one message failed: %s: %s", type(result).__name__, result)
        else:
            sent += result
    deps.counters["sweeps"] += 1  # a test waits for a sweep to pass before saying nothing more was sent
    return sent


async def _claimed(deps: NotifierDeps, name: str, work: Any) -> int:
    if not await deps.store.claim(name, _claim_s(deps)):
        work.close()  # another instance has it
        return 0
    try:
        return int(await work)
    finally:
        await deps.store.release(name)


async def sweep_forever(deps: NotifierDeps) -> None:
    """The sweep, every `sweep_s`; an outage is logged and tried again next round (nothing is dropped)."""
    while True:
        try:
            await sweep(deps)
        except Exception as exc:
            log.warning("notifier sweep failed: %s: %s", type(exc).__name__, exc)
        await asyncio.sleep(deps.settings.sweep_s)


# The citizen's digest -----------------------------------------------------------------------------


async def _open_contact(deps: NotifierDeps, citizen_id: uuid.UUID) -> tuple[PersonalData, str, str, str | None] | None:
    """The citizen's personal part, language, channel and municipality; None once erased."""
    stored = await deps.store.contact(citizen_id)
    if stored is None:
        return None
    try:
        _, key = await deps.keys.for_reading(citizen_id)
    except CitizenErased:
        return None
    return unseal(stored.sealed, key, citizen_id), stored.language, stored.channel, stored.municipality


async def _freeze_batch(deps: NotifierDeps, citizen_id: uuid.UUID) -> dict[str, Any] | None:
    batch = await deps.store.batch(citizen_id)
    if batch is not None:
        return batch  # a digest a crash interrupted: finish it first, unchanged
    last = await deps.store.last_digest_at(citizen_id)
    if last is not None and deps.clock() < last + deps.settings.digest_min_interval_s:
        # Approvals made while the last digest was on its way: they wait out the daily limit.
        await deps.store.schedule(citizen_id, last + deps.settings.digest_min_interval_s)
        return None
    pending = await deps.store.pending(citizen_id)
    if not pending:
        await deps.store.unschedule(citizen_id)
        if await deps.store.pending(citizen_id):  # an approval arrived in between: keep it scheduled
            await deps.store.schedule(citizen_id, await digest_due_at(deps, citizen_id))
        return None
    entries = sorted(pending.values(), key=_shown_first)
    ids = [e["proposal"]["proposal_id"] for e in entries]
    batch = {
        "digest_id": str(compose.digest_id(citizen_id, (uuid.UUID(i) for i in ids))),
        "entries": entries,
        "created_at": deps.clock(),
        "attempts": 0,
    }
    await deps.store.start_batch(citizen_id, batch, ids)
    return batch


#: A message lists work first, in the order of `OpportunityKind`: jobs, placements, education steps,
#: then associations. Associations are approved automatically when the ranking arrives, so by time
#: alone they came first and pushed the job a caseworker approved by hand out of the five shown.
_KIND_ORDER = {kind.value: n for n, kind in enumerate(OpportunityKind)}


def _shown_first(entry: dict[str, Any]) -> tuple[int, float, int]:
    proposal = entry["proposal"]
    return _KIND_ORDER.get(proposal["kind"], len(_KIND_ORDER)), entry["approved_at"], proposal["rank"]


def _links(deps: NotifierDeps, digest_key: uuid.UUID, citizen_id: uuid.UUID, created_at: float) -> tuple[str, Any]:
    """The list link, and a function giving each proposal's answer link (fixed by the batch: a resend is identical)."""
    expires = dt.datetime.fromtimestamp(created_at + deps.settings.link_ttl_s, dt.UTC)
    base = deps.settings.public_url.rstrip("/")
    token = links.sign(deps.link_secret, "list", citizen_id, expires, link_id=derive_id("list", digest_key).hex)
    list_url = f"{base}/links/list?t={token}"

    def answer(proposal_id: uuid.UUID) -> str:
        link_id = derive_id("answer", digest_key, proposal_id).hex
        t = links.sign(deps.link_secret, "answer", citizen_id, expires, proposal_id=proposal_id, link_id=link_id)
        return f"{base}/links/answer?t={t}"

    return list_url, answer


def _times(raw: dict[str, Any]) -> tuple[compose.Times, ...]:
    """When it happens; facts kept before the hours were stored have the days only."""
    if "slots" in raw:
        return compose.times(raw["slots"])
    return (compose.Times(tuple(raw["days"])),) if raw.get("days") else ()


async def _facts(deps: NotifierDeps, opportunity_id: uuid.UUID) -> OpportunityFacts | None:
    raw = await deps.store.opportunity(opportunity_id)
    if raw is None:
        return None
    return OpportunityFacts(
        owner=raw["owner"],
        owner_name=raw["owner_name"],
        owner_email=raw.get("owner_email"),
        hours_per_week=raw.get("hours_per_week"),
        times=_times(raw),
        slots=tuple(WeeklySlot(day=d, start=a, end=b) for d, a, b in raw.get("slots", ())),
        legacy_webhook_url=raw.get("legacy_webhook_url"),
    )


async def build_digest(
    deps: NotifierDeps,
    key: uuid.UUID,
    citizen_id: uuid.UUID,
    proposals: list[Proposal],
    approvers: list[str],
    personal: PersonalData,
    language: str,
    municipality: str | None,
    created_at: float,
    *,
    with_links: bool = True,
) -> Digest:
    list_url, answer = _links(deps, key, citizen_id, created_at) if with_links else ("", None)
    shown = proposals[: deps.settings.digest_max_items]
    facts = [await _facts(deps, p.opportunity_id) for p in shown]
    above = same_time_as([(p.kind, f.slots if f else ()) for p, f in zip(shown, facts, strict=True)])
    items = [
        compose.item(p, f, answer(p.proposal_id) if answer else "", same_time=[k + 1 for k in ks])
        for p, f, ks in zip(shown, facts, above, strict=True)
    ]
    s = deps.settings
    return Digest(
        digest_id=key,
        citizen_id=citizen_id,
        first_name=compose.first_name(personal.name),
        languages=compose.languages_for(language),
        items=tuple(items),
        more=len(proposals) - len(shown),
        proposal_ids=tuple(p.proposal_id for p in proposals),
        contact=compose.contact_for(approvers, municipality, deps.directory, deps.municipalities, deps.default_contact),
        list_url=list_url,
        rights_urls={"da": s.rights_url_da, "en": s.rights_url_en, "ar": s.rights_url_ar, "uk": s.rights_url_uk},
    )


async def send_digest(deps: NotifierDeps, citizen_id: uuid.UUID) -> int:
    """Send the citizen's due digest (or finish one a crash interrupted); 1 if a message went out."""
    batch = await _freeze_batch(deps, citizen_id)
    if batch is None:
        return 0
    key = uuid.UUID(batch["digest_id"])
    proposals = [Proposal.model_validate(e["proposal"]) for e in batch["entries"]]
    opened = await _open_contact(deps, citizen_id)
    if opened is None:
        if await deps.keys.is_erased(citizen_id):
            await deps.store.finish_batch(citizen_id, None)
            return 0  # nothing is ever sent about an erased citizen
        return await _retry_digest(deps, citizen_id, batch, proposals, "no contact details for the citizen yet")
    personal, language, channel, municipality = opened
    if channel == "private":
        await deps.store.record_delivery(citizen_id, key, {"state": "held_for_caseworker", "message_id": None})
        await deps.store.finish_batch(citizen_id, None)
        return 0  # intake's queue shows the approved proposals for handing over in person
    if not personal.email:
        await _dead_letter(
            deps,
            citizen_id,
            [p.proposal_id for p in proposals],
            "citizen",
            "email",
            0,
            "the citizen has no e-mail address",
        )
        await deps.store.finish_batch(citizen_id, None)
        return 0
    approvers = [e["approver"] for e in batch["entries"] if e.get("approver")]
    digest = await build_digest(
        deps, key, citizen_id, proposals, approvers, personal, language, municipality, batch["created_at"]
    )
    outcome = await _send_once(deps, citizen_id, key, personal.email, deps.renderer.digest(digest))
    if outcome == "refused":
        ids = [p.proposal_id for p in proposals]
        await _dead_letter(deps, citizen_id, ids, "citizen", "email", 1, "the mail server refused the address")
        await deps.store.finish_batch(citizen_id, None)
        return 0
    if outcome == "failed":
        return await _retry_digest(deps, citizen_id, batch, proposals, "the mail server could not be reached")
    await _announce(
        deps, citizen_id, key, [p.proposal_id for p in proposals], batch["entries"][0].get("correlation_id")
    )
    await deps.store.finish_batch(citizen_id, deps.clock())
    deps.counters["digests_finished"] += 1
    if await deps.store.pending(citizen_id):
        await deps.store.schedule(citizen_id, await digest_due_at(deps, citizen_id))
    return 1 if outcome == "sent" else 0


async def _retry_digest(
    deps: NotifierDeps, citizen_id: uuid.UUID, batch: dict[str, Any], proposals: list[Proposal], reason: str
) -> int:
    attempts = int(batch.get("attempts", 0)) + 1
    if attempts >= deps.settings.retry_max_attempts:
        await _dead_letter(deps, citizen_id, [p.proposal_id for p in proposals], "citizen", "email", attempts, reason)
        await deps.store.finish_batch(citizen_id, None)
        return 0
    await deps.store.update_batch(citizen_id, {**batch, "attempts": attempts})
    await deps.store.schedule(citizen_id, deps.clock() + deps.backoff(attempts))
    log.info("digest for citizen %s: attempt %d failed (%s); retrying", citizen_id, attempts, reason)
    return 0


async def _send_once(
    deps: NotifierDeps, citizen_id: uuid.UUID, key: uuid.UUID, to: str, rendered: Any, *, reraise: bool = False
) -> Literal["sent", "already", "failed", "refused"]:
    """One e-mail under the delivery rule: `already` when it was sent (or sent twice) before; `reraise`
    hands the mail server's error to the caller (the stream guard tells transient from permanent)."""
    earlier = await deps.store.delivery(key)
    step = delivery.next_step(earlier)
    mid = delivery.message_id(key, deps.settings.message_id_domain)
    if step == "done":
        return "already"
    if step == "give_up":
        log.warning("message %s: already sent twice; not sending again", mid)
        await deps.store.record_delivery(citizen_id, key, {**(earlier or {}), "state": "sent", "message_id": mid})
        return "already"
    sends = delivery.sends_so_far(earlier) + 1
    await deps.store.record_delivery(citizen_id, key, {"state": "sending", "message_id": mid, "sends": sends})
    try:
        await deps.mail.send(mime.email(rendered, sender=deps.settings.mail_from, to=to, message_id=mid))
    except (*NOT_SENT, *REFUSED) as exc:
        await deps.store.record_delivery(citizen_id, key, {"state": "not_sent", "message_id": mid, "sends": sends - 1})
        if reraise:
            raise
        return "refused" if isinstance(exc, REFUSED) else "failed"
    except (smtplib.SMTPException, OSError) as exc:
        # It may have reached the server: `sending` stays, and the retry is the one resend.
        log.warning("message %s: the mail server failed mid-send (%s)", mid, type(exc).__name__)
        if reraise:
            raise
        return "failed"
    deps.counters["emails_sent" if sends == 1 else "emails_resent"] += 1
    record = {"state": "sent", "message_id": mid, "channel": "email", "sent_at": deps.clock(), "sends": sends}
    await deps.store.record_delivery(citizen_id, key, record)
    log.info("message %s e-mailed (citizen %s)", mid, citizen_id)
    return "sent"


async def _announce(
    deps: NotifierDeps, citizen_id: uuid.UUID, key: uuid.UUID, proposal_ids: list[uuid.UUID], correlation: str | None
) -> None:
    """NotificationSent, with an id derived from the message: announcing twice is one notice."""
    notice = NotificationSent(
        event_id=derive_id("notification-sent", key),
        correlation_id=correlation or f"notice-{key.hex[:12]}",
        citizen_id=citizen_id,
        match_event_id=key,
        channel="email",
        message_id=delivery.message_id(key, deps.settings.message_id_domain),
        proposal_ids=proposal_ids,
    )
    await deps.publish(deps.topics.notifications, str(citizen_id), notice)


async def _dead_letter(
    deps: NotifierDeps,
    citizen_id: uuid.UUID,
    proposal_ids: list[uuid.UUID],
    recipient: Literal["citizen", "owner"],
    channel: Literal["email", "webhook"],
    attempts: int,
    reason: str,
) -> None:
    failed = DeliveryFailed(
        event_id=derive_id("delivery-failed", citizen_id, channel, recipient, *sorted(map(str, proposal_ids))),
        correlation_id=f"delivery-{citizen_id.hex[:12]}",
        citizen_id=citizen_id,
        proposal_ids=proposal_ids,
        recipient=recipient,
        channel=channel,
        attempts=attempts,
        reason=reason[:500],
    )
    await deps.publish(deps.topics.notifications, str(citizen_id), failed)
    deps.counters[f"dead_lettered_{channel}"] += 1
    log.warning("%s %s to the %s of citizen %s dead-lettered: %s", channel, proposal_ids, recipient, citizen_id, reason)


async def ranking_mail(deps: NotifierDeps, event: MatchProposed) -> None:
    """The pre-lifecycle e-mail of a whole ranking (`NOTIFIER_RANKING_DIGEST`), under the same delivery rule."""
    from shared.messaging import Transient  # the guard retries a missing contact with backoff

    opened = await _open_contact(deps, event.citizen_id)
    if opened is None:
        if await deps.keys.is_erased(event.citizen_id):
            return
        raise Transient(
            f"no contact details yet for citizen {event.citizen_id}", give_up_after_s=deps.settings.contact_wait_s
        )
    personal, language, channel, municipality = opened
    proposals = [*event.proposals, *event.associations]
    if channel == "private" or not personal.email:
        await deps.store.record_delivery(
            event.citizen_id, event.event_id, {"state": "held_for_caseworker", "message_id": None}
        )
        return
    digest = await build_digest(
        deps,
        event.event_id,
        event.citizen_id,
        proposals,
        [],
        personal,
        language,
        municipality,
        deps.clock(),
        with_links=False,
    )
    rendered = deps.renderer.digest(digest)
    # The mail server's own error goes to the guard: retried when transient, dead-lettered when refused.
    await _send_once(deps, event.citizen_id, event.event_id, personal.email, rendered, reraise=True)
    await _announce(deps, event.citizen_id, event.event_id, [p.proposal_id for p in proposals], event.correlation_id)


# The owners' notices ------------------------------------------------------------------------------


async def deliver_notice(deps: NotifierDeps, item_id: uuid.UUID) -> int:
    """Deliver one owner notice (e-mail or webhook); 1 if it went out now."""
    item = await deps.store.outbox_item(item_id)
    if item is None or item["state"] in ("sent", "dead", "skipped", "dropped"):
        return 0
    citizen_id, proposal_id = uuid.UUID(item["citizen_id"]), uuid.UUID(item["proposal_id"])
    opened = await _open_contact(deps, citizen_id)
    facts_raw = await deps.store.opportunity(uuid.UUID(item["opportunity_id"]))
    if opened is None or facts_raw is None:
        if await deps.keys.is_erased(citizen_id):
            await deps.store.update_outbox(item_id, {**item, "state": "dropped"}, None)
            return 0
        return await _retry_notice(deps, item_id, item, "the candidate's or the opportunity's details have not arrived")
    personal, _language, channel, _municipality = opened
    notice = compose.CandidateNotice(
        delivery_id=item_id,
        proposal_id=proposal_id,
        opportunity_id=uuid.UUID(item["opportunity_id"]),
        opportunity_title=compose.owner_text(facts_raw["title"]),
        owner=facts_raw["owner"],
        owner_name=compose.owner_text(facts_raw["owner_name"]),
        candidate=shared_details(personal, private=channel == "private"),
        answer_url=f"{deps.settings.public_url.rstrip('/')}/v1/proposals/{proposal_id}/owner-answer",
        page_url=f"{deps.settings.public_url.rstrip('/')}/app/opportunities/{item['opportunity_id']}",
        occurred_at=dt.datetime.fromisoformat(item["occurred_at"]),
    )
    if item["channel"] == "email":
        if not facts_raw.get("owner_email"):
            await deps.store.update_outbox(item_id, {**item, "state": "skipped", "why": "no e-mail address"}, None)
            return 0
        outcome = await _send_once(deps, citizen_id, item_id, facts_raw["owner_email"], deps.renderer.candidate(notice))
        if outcome == "refused":
            return await _give_up_notice(deps, item_id, item, "the mail server refused the owner's address")
        if outcome == "failed":
            return await _retry_notice(deps, item_id, item, "the mail server could not be reached")
        await deps.store.update_outbox(item_id, {**item, "state": "sent"}, None)
        return 1 if outcome == "sent" else 0
    return await _post_webhook(deps, item_id, item, notice)


async def _post_webhook(
    deps: NotifierDeps, item_id: uuid.UUID, item: dict[str, Any], notice: compose.CandidateNotice
) -> int:
    registration = await deps.store.webhook(notice.owner) if notice.owner else None
    if registration is None:
        await deps.store.update_outbox(item_id, {**item, "state": "skipped", "why": "no webhook registered"}, None)
        return 0
    try:
        target = check_target(registration["url"], production=deps.production, resolver=deps.resolver)
    except UnsafeTarget as exc:
        return await _give_up_notice(deps, item_id, item, f"unsafe webhook target: {exc}")
    try:
        secret = open_secret(
            SealedSecret.model_validate(registration["secret"]),
            deps.ring,
            notice.owner,
            registration["registration_id"],
        )
    except SecretUnreadable as exc:
        return await _give_up_notice(deps, item_id, item, str(exc))
    except KeyUnwrapFailed as exc:  # a KEK missing from the configuration: retried until it is set
        return await _retry_notice(deps, item_id, item, str(exc))
    body = json.dumps(compose.webhook_body(notice), separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature(secret, int(deps.clock()), body),
        DELIVERY_HEADER: str(item_id),
        "Idempotency-Key": str(item_id),
        "User-Agent": "Brobygger-Webhook/1",
    }
    try:
        status = await deps.webhooks.post(target, headers, body)
    except WebhookUnreachable as exc:
        return await _retry_notice(deps, item_id, item, f"the receiver could not be reached ({exc})")
    if 200 <= status < 300:
        await deps.store.update_outbox(item_id, {**item, "state": "sent", "status": status}, None)
        deps.counters["webhooks_delivered"] += 1
        log.info("webhook %s delivered to %s (HTTP %d)", item_id, notice.owner, status)
        return 1
    if 400 <= status < 500 and status not in (408, 409, 425, 429):
        return await _give_up_notice(deps, item_id, item, f"the receiver refused it (HTTP {status})")
    return await _retry_notice(deps, item_id, item, f"the receiver answered HTTP {status}")


async def _retry_notice(deps: NotifierDeps, item_id: uuid.UUID, item: dict[str, Any], reason: str) -> int:
    attempts = int(item["attempts"]) + 1
    if attempts >= deps.settings.retry_max_attempts:
        return await _give_up_notice(deps, item_id, {**item, "attempts": attempts}, reason)
    await deps.store.update_outbox(
        item_id, {**item, "attempts": attempts, "why": reason}, deps.clock() + deps.backoff(attempts)
    )
    log.info("notice %s: attempt %d failed (%s); retrying", item_id, attempts, reason)
    return 0


async def _give_up_notice(deps: NotifierDeps, item_id: uuid.UUID, item: dict[str, Any], reason: str) -> int:
    await deps.store.update_outbox(item_id, {**item, "state": "dead", "why": reason}, None)
    await _dead_letter(
        deps,
        uuid.UUID(item["citizen_id"]),
        [uuid.UUID(item["proposal_id"])],
        "owner",
        item["channel"],
        int(item["attempts"]),
        reason,
    )
    return 0


__all__ = ["Contact", "sweep", "sweep_forever"]
