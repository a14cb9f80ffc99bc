"""Owners hear of a candidate only after the citizen's yes: by e-mail, and by signed webhook where registered."""

from __future__ import annotations

import json
import uuid

from services.notifier import handlers, sending
from services.notifier.adapters.mime import text_of
from shared.contracts import DeliveryFailed, OwnerWebhookRegistered
from shared.webhooks import DELIVERY_HEADER, SIGNATURE_HEADER, seal_secret, verify_signature
from tests.unit.notifier.fakes import RING, World, proposal, transitioned, world

SECRET = "whsec_test"


async def _register(w: World, url: str = "https://hr.example.dk/hook", owner: str = "company:12345678") -> None:
    registration = uuid.uuid4()
    await handlers.on_owner_event(
        w.deps,
        OwnerWebhookRegistered(
            correlation_id="c",
            owner=owner,
            registration_id=registration,
            url=url,
            secret=seal_secret(SECRET, RING, owner, str(registration)),
        ),
    )


async def _yes(w: World, **citizen: object) -> tuple[uuid.UUID, uuid.UUID]:
    cid = w.citizen(**citizen)  # type: ignore[arg-type]
    p = proposal(w.opportunity())
    await handlers.on_transition(w.deps, transitioned(cid, p, "shared", actor_role="system"))
    return cid, p.proposal_id


async def test_nothing_reaches_an_owner_before_the_yes() -> None:
    w = world(digest_quiet_s=0)
    await _register(w)
    cid = w.citizen()
    await handlers.on_transition(w.deps, transitioned(cid, proposal(w.opportunity()), "approved"))
    await sending.sweep(w.deps)
    assert [m["To"] for m in w.mail.sent] == ["amina@example.org"] and not w.webhooks.calls


async def test_after_the_yes_the_owner_gets_an_email_and_a_signed_webhook_with_what_the_citizen_shares() -> None:
    w = world()
    await _register(w)
    _, proposal_id = await _yes(w)
    assert await sending.sweep(w.deps) == 2
    mail = w.mail.sent[0]
    assert mail["To"] == "job@example.dk" and "Navn: Amina Hassan" in text_of(mail)
    target, headers, body = w.webhooks.calls[0]
    assert target.ip == "127.0.0.1" and target.host == "hr.example.dk"
    assert verify_signature(SECRET, headers[SIGNATURE_HEADER], body, now=w.clock.now)
    assert not verify_signature(SECRET, headers[SIGNATURE_HEADER], body + b" ", now=w.clock.now)
    assert not verify_signature(SECRET, headers[SIGNATURE_HEADER], body, now=w.clock.now + 301), "replay window"
    payload = json.loads(body)
    assert payload["proposal_id"] == str(proposal_id) and payload["delivery_id"] == headers[DELIVERY_HEADER]
    assert payload["candidate"] == {
        "name": "Amina Hassan",
        "email": "amina@example.org",
        "phone": "+45 20 30 40 50",
        "contact_through_jobcentre": False,
    }


async def test_a_private_channel_candidate_is_reached_through_the_jobcentre() -> None:
    w = world()
    await _register(w)
    await _yes(w, channel="private")
    await sending.sweep(w.deps)
    payload = json.loads(w.webhooks.calls[0][2])
    assert payload["candidate"]["email"] is None and payload["candidate"]["contact_through_jobcentre"] is True


async def test_a_redelivered_yes_queues_nothing_new() -> None:
    w = world()
    await _register(w)
    cid = w.citizen()
    p = proposal(w.opportunity())
    event = transitioned(cid, p, "shared", actor_role="system")
    await handlers.on_transition(w.deps, event)
    await handlers.on_transition(w.deps, event)
    await sending.sweep(w.deps)
    await sending.sweep(w.deps)
    assert len(w.webhooks.calls) == 1 and len(w.mail.sent) == 1
    assert w.deps.counters["duplicates_skipped"] == 1


async def test_a_failing_receiver_is_retried_with_backoff_and_the_same_idempotency_key() -> None:
    w = world()
    await _register(w)
    w.webhooks.statuses = [503, None, 500, 200]
    await _yes(w, email=None)
    for wait in (0, 10, 20, 40):
        w.clock.now += wait
        await sending.sweep(w.deps)
    keys = {headers[DELIVERY_HEADER] for _, headers, _ in w.webhooks.calls}
    assert len(w.webhooks.calls) == 4 and len(keys) == 1
    assert not w.published.of(DeliveryFailed)


async def test_after_the_last_retry_the_delivery_is_dead_lettered_with_the_reason() -> None:
    w = world(retry_max_attempts=2)
    await _register(w)
    w.webhooks.statuses = [503, 503]
    await _yes(w)
    for wait in (0, 10):
        w.clock.now += wait
        await sending.sweep(w.deps)
    failed = [f for f in w.published.of(DeliveryFailed) if f.channel == "webhook"]
    assert len(failed) == 1 and failed[0].recipient == "owner" and "HTTP 503" in failed[0].reason


async def test_a_receiver_that_refuses_the_delivery_is_dead_lettered_at_once() -> None:
    w = world()
    await _register(w)
    w.webhooks.statuses = [400]
    await _yes(w)
    await sending.sweep(w.deps)
    assert len(w.webhooks.calls) == 1 and "HTTP 400" in w.published.of(DeliveryFailed)[0].reason


async def test_a_host_that_rebinds_to_a_private_address_is_refused_at_delivery_and_never_called() -> None:
    w = world()
    await _register(w)
    w.deps.resolver = lambda host, port: ["10.0.0.7"]
    await _yes(w)
    await sending.sweep(w.deps)
    assert not w.webhooks.calls
    assert "private address" in w.published.of(DeliveryFailed)[0].reason


async def test_the_deprecated_owner_webhook_url_is_never_delivered_to() -> None:
    w = world()
    _, _ = await _yes(w)
    for facts in w.store.opportunities.values():
        facts["legacy_webhook_url"] = "https://old.example.dk/hook"
    await sending.sweep(w.deps)
    assert not w.webhooks.calls and len(w.mail.sent) == 1


async def test_an_old_event_with_a_webhook_url_is_read_and_kept_as_deprecated_only() -> None:
    from shared.contracts import OpportunityRegistered
    from tests.samples import opportunity_payload

    w = world()
    payload = opportunity_payload(
        owner={"type": "company", "cvr": "12345678", "name": "Gammel ApS", "webhook_url": "https://old.example.dk/h"}
    )
    event = OpportunityRegistered(correlation_id="c", opportunity_id=uuid.uuid4(), opportunity=payload)  # type: ignore[arg-type]
    await handlers.on_opportunity_event(w.deps, event)
    facts = w.store.opportunities[event.opportunity_id]
    assert facts["legacy_webhook_url"] == "https://old.example.dk/h" and facts["owner"] == "company:12345678"


async def test_the_same_registration_again_keeps_the_stored_copy() -> None:
    w = world()
    owner, registration = "company:12345678", uuid.uuid4()
    event = OwnerWebhookRegistered(
        correlation_id="c",
        owner=owner,
        registration_id=registration,
        url="https://hr.example.dk/hook",
        secret=seal_secret(SECRET, RING, owner, str(registration)),
    )
    await handlers.on_owner_event(w.deps, event)
    resealed = {**(await w.store.webhook(owner) or {}), "secret": {"resealed": True}}
    await w.store.save_webhook(owner, resealed)  # as `brobygger keys rotate` leaves it
    await handlers.on_owner_event(w.deps, event)  # a redelivery, or a replay of the owners topic
    assert await w.store.webhook(owner) == resealed
