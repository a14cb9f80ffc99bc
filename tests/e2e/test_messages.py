"""Messages people can act on, over the real broker, Redis, SMTP (aiosmtpd) and a real webhook receiver:
the citizen's digest with a signed answer link, the owner told by e-mail and a signed webhook after the
yes, and every failure path a person must see (tampered, expired and reused links; a receiver that
fails; a webhook host that rebinds to an internal address; a mail server that is down)."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import re
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request, Response

from brobygger.infra import free_port
from shared.settings import CommonSettings
from shared.webhooks import DELIVERY_HEADER, SIGNATURE_HEADER, verify_signature
from tests.conftest import InfraHandle
from tests.e2e.stack import body_of, running_stack, smtp_server
from tests.e2e.test_lifecycle import World
from tests.helpers import bearer, consumed_everything, eventually
from tests.helpers import token as session_token

pytestmark = pytest.mark.e2e

MESSAGES = {"ranking_digest": False, "retry_initial_s": 0.2, "retry_max_attempts": 6}


@dataclass
class Receiver:
    """A company's HR system: verifies every delivery's signature, fails the first `failures` of them."""

    failures: int = 0
    secret: str = ""
    seen: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hook")
        async def hook(request: Request) -> Response:
            body = await request.body()
            valid = verify_signature(self.secret, request.headers.get(SIGNATURE_HEADER, ""), body)
            with self.lock:
                fail = len(self.seen) < self.failures
                self.seen.append(
                    {
                        "valid": valid,
                        "key": request.headers.get(DELIVERY_HEADER),
                        "host": request.headers.get("host"),
                        "body": body,
                        "answered": 503 if fail else 200,
                    }
                )
            return Response(status_code=503 if fail else 200)

        return app


@asynccontextmanager
async def receiving(receiver: Receiver) -> AsyncIterator[int]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(receiver.app(), host="127.0.0.1", port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: asyncio.sleep(0, server.started), 10, "the webhook receiver")
        yield port
    finally:
        server.should_exit = True
        await task


async def register_webhook(client: httpx.AsyncClient, cvr: str, receiver: Receiver, port: int) -> None:
    """The company's webhook, pointing at `receiver`, which learns the secret from the answer (shown once)."""
    url = f"http://127.0.0.1:{port}/hook"
    r = await client.put(f"/v1/companies/{cvr}/webhook", json={"url": url}, headers=bearer("company", cvr))
    assert r.status_code == 200, r.text
    receiver.secret = r.json()["secret"]


async def queued(w: World, proposal_id: str, flag: str, what: str) -> dict[str, Any]:
    """The caseworker's queue entry for `proposal_id` once its `flag` is set (the one entry there is)."""

    async def found() -> list[dict[str, Any]]:
        queue = (await w.client.get("/v1/caseworker/queue", headers=w.caseworker)).json()
        return [q for q in queue if q["proposal_id"] == proposal_id and q[flag]]

    [entry] = await eventually(found, 30, what)
    return entry


def _cvr() -> str:
    return str(random.randint(10_000_000, 99_999_999))


def _answer_link(text: str) -> str:
    found = re.search(r"(http://127\.0\.0\.1:\d+)?(/links/answer\?t=[A-Za-z0-9._\-]+)", text)
    assert found, text
    return found.group(2)


class Clock:
    """Intake's clock, which answer links are checked against: moved forward to expire a link."""

    def __init__(self) -> None:
        self.offset = dt.timedelta()

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset


async def test_the_citizen_answers_yes_by_a_signed_link_and_the_owner_hears_by_email_and_a_verified_webhook(
    infra: InfraHandle, common: CommonSettings
) -> None:
    cvr, clock, receiver = _cvr(), Clock(), Receiver(failures=3)
    company = bearer("company", cvr)
    async with (
        smtp_server() as (mail, smtp_port),
        receiving(receiver) as receiver_port,
        running_stack(infra, common, smtp_port, notifier={**MESSAGES, "link_ttl_s": 3600}, intake_clock=clock) as stack,
        httpx.AsyncClient(base_url=stack.api, timeout=10) as client,
    ):
        w = World(client, stack, mail)
        await register_webhook(client, cvr, receiver, receiver_port)
        shown = (await client.get(f"/v1/companies/{cvr}/webhook", headers=company)).json()
        assert "secret" not in shown and shown["url"].endswith("/hook"), "the secret is shown once only"

        owner = {"type": "company", "cvr": cvr, "name": "Beskeder ApS (demo)", "contact_email": f"hr-{cvr}@example.dk"}
        r = await client.post("/v1/opportunities", json={**_job(), "owner": owner}, headers=w.admin)
        assert r.status_code == 202, r.text
        await eventually(lambda: _catalogue(stack), 20, "the catalogue")
        citizen_id, address = await w.citizen(preferred_language="uk")
        proposal_id = (await w.first_proposal(citizen_id))["proposal_id"]
        decision = f"/v1/citizens/{citizen_id}/proposals/{proposal_id}/decision"
        assert (await w.step(decision, w.caseworker, {"decision": "approve"})).status_code == 200
        await w.state_of(proposal_id, "offered")
        assert not receiver.seen and not mail.to(owner["contact_email"]), "owners hear nothing before the yes"

        [message] = mail.to(address)
        text = body_of(message)
        assert message["Content-Language"] == "da, uk" and text.index("Hej ") < text.index("Вітаємо")
        link = _answer_link(text)

        page = await client.get(link)
        assert page.status_code == 200 and "Vil du sige ja?" in page.text and "<script" not in page.text
        assert "Hvorfor: Rengøringsassistent hos" in page.text and "Why: Rengøringsassistent at" in page.text
        assert page.headers["referrer-policy"] == "no-referrer"
        assert (await w.state_of(proposal_id, "offered"))["state"] == "offered", "opening the link changes nothing"

        token = link.split("t=", 1)[1]
        tampered = await client.post("/links/answer", data={"t": token[:-3] + "abc", "answer": "accept"})
        assert tampered.status_code == 400 and "Linket virker ikke" in tampered.text
        clock.offset = dt.timedelta(hours=2)
        expired = await client.post("/links/answer", data={"t": token, "answer": "accept"})
        assert expired.status_code == 410 and "udløbet" in expired.text
        clock.offset = dt.timedelta()
        assert (await w.state_of(proposal_id, "offered"))["state"] == "offered", "a bad link changes nothing"

        yes = await client.post("/links/answer", data={"t": token, "answer": "accept"})
        assert yes.status_code == 200 and "Tak" in yes.text, yes.text
        await w.state_of(proposal_id, "shared")
        again = await client.post("/links/answer", data={"t": token, "answer": "decline"})
        assert again.status_code == 410 and "brugt" in again.text
        listed = re.search(r"Se alle dine forslag: (?:http://127\.0\.0\.1:\d+)?(/links/list\?t=[A-Za-z0-9._\-]+)", text)
        assert listed, text
        full_list = await client.get(listed.group(1))
        assert full_list.status_code == 200 and "Du har sagt ja." in full_list.text
        assert "Hvorfor: Rengøringsassistent hos" in full_list.text, "the full list says why, as the e-mail does"
        assert (await w.state_of(proposal_id, "shared"))["state"] == "shared", "a reused link changes nothing"

        [owner_mail] = await eventually(
            lambda: asyncio.sleep(0, mail.to(owner["contact_email"])), 20, "the owner's e-mail"
        )
        assert "Navn: Testperson" in body_of(owner_mail) and address in body_of(owner_mail)
        # A person answers on the company's page (after signing in), not at the API a webhook receiver uses.
        found = re.search(r"https?://[^/\s]+(/app/opportunities/[0-9a-f-]{36})\s", body_of(owner_mail))
        assert found and "/owner-answer" not in body_of(owner_mail), body_of(owner_mail)
        anonymous = await client.get(found.group(1))
        assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/app/login?next=/app/")
        client.cookies.set("brobygger_session", session_token("company", cvr), path="/app")
        page = await client.get(found.group(1))
        client.cookies.clear()
        assert page.status_code == 200 and "Interesseret" in page.text and "Delt med arbejdsgiver" in page.text
        # Her details under Danish labels, as in the e-mail: never the contract's field names.
        shown = re.sub(r"\s+", " ", page.text)
        assert "<dt>Navn</dt><dd>Testperson" in shown and f'<dt>E-mail</dt><dd><a href="mailto:{address}">' in shown
        assert "contact_through_jobcentre" not in shown, shown

        async def delivered() -> bool:
            return any(s["answered"] == 200 for s in receiver.seen)

        await eventually(delivered, 30, "the webhook to get through")
        assert [s["answered"] for s in receiver.seen] == [503, 503, 503, 200], "failed three times, then delivered"
        assert all(s["valid"] for s in receiver.seen), "every delivery carries a valid signature"
        assert len({s["key"] for s in receiver.seen}) == 1, "one idempotency key for every retry"
        assert f'"proposal_id":"{proposal_id}"' in receiver.seen[-1]["body"].decode()
        stats = await stack.notifier_stats()
        assert stats["messages_webhooks_delivered"] == 1


async def test_a_webhook_host_that_rebinds_to_an_internal_address_is_refused_and_the_caseworker_sees_it(
    infra: InfraHandle, common: CommonSettings
) -> None:
    cvr, receiver = _cvr(), Receiver()
    company = bearer("company", cvr)
    resolutions: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        # Public-looking at registration (loopback is allowed locally), the cloud metadata address afterwards.
        if host != "hooks.rebind.test":
            return ["127.0.0.1"]
        resolutions.append(host)
        return ["127.0.0.1"] if len(resolutions) == 1 else ["169.254.169.254"]

    async with (
        smtp_server() as (mail, smtp_port),
        receiving(receiver) as receiver_port,
        running_stack(infra, common, smtp_port, notifier=MESSAGES, resolver=rebinding) as stack,
        httpx.AsyncClient(base_url=stack.api, timeout=10) as client,
    ):
        w = World(client, stack, mail)
        refused = await client.put(
            f"/v1/companies/{cvr}/webhook", json={"url": "ftp://hooks.rebind.test/x"}, headers=company
        )
        assert refused.status_code == 422 and refused.json()["problems"][0]["field"] == "url"
        url = f"http://hooks.rebind.test:{receiver_port}/hook"
        assert (await client.put(f"/v1/companies/{cvr}/webhook", json={"url": url}, headers=company)).status_code == 200
        await w.opportunity(cvr)
        citizen_id, _ = await w.citizen()
        proposal_id = (await w.first_proposal(citizen_id))["proposal_id"]
        decision = f"/v1/citizens/{citizen_id}/proposals/{proposal_id}/decision"
        assert (await w.step(decision, w.caseworker, {"decision": "approve"})).status_code == 200
        await w.state_of(proposal_id, "offered")
        r = await w.step(f"/v1/proposals/{proposal_id}/answer", bearer("citizen", citizen_id), {"answer": "accept"})
        assert r.json()["state"] == "shared"

        entry = await queued(w, proposal_id, "delivery_failed", "the refused delivery in the caseworker's queue")
        assert "link-local" in entry["delivery_failed"] and entry["hand_over_in_person"] is False
        assert not receiver.seen, "the notifier never connected to the rebound address"


async def test_a_social_control_concern_sends_nothing_and_the_queue_shows_it_for_handing_over(
    infra: InfraHandle, common: CommonSettings
) -> None:
    async with (
        smtp_server() as (mail, smtp_port),
        running_stack(infra, common, smtp_port, notifier=MESSAGES) as stack,
        httpx.AsyncClient(base_url=stack.api, timeout=10) as client,
    ):
        w = World(client, stack, mail)
        await w.opportunity(_cvr())
        citizen_id, _ = await w.citizen(
            personal={
                "name": "Testperson Skjult",
                "email": f"hidden-{_cvr()}@example.org",
                "social_control_concern": True,
            }
        )
        proposal_id = (await w.first_proposal(citizen_id))["proposal_id"]
        decision = f"/v1/citizens/{citizen_id}/proposals/{proposal_id}/decision"
        assert (await w.step(decision, w.caseworker, {"decision": "approve"})).status_code == 200

        entry = await queued(w, proposal_id, "hand_over_in_person", "the proposal queued for handing over in person")
        assert entry["state"] == "approved"
        await consumed_everything(stack.notifier, infra.kafka_bootstrap, common.topics.citizens)
        assert not mail.messages, "nothing is sent to a citizen under a social-control concern"


async def test_a_mail_server_that_is_down_is_retried_then_dead_lettered_into_the_caseworkers_queue(
    infra: InfraHandle, common: CommonSettings
) -> None:
    closed = free_port()  # nothing listens here: every connection is refused
    async with (
        running_stack(infra, common, closed, notifier={**MESSAGES, "retry_max_attempts": 3}) as stack,
        httpx.AsyncClient(base_url=stack.api, timeout=10) as client,
    ):
        w = World(client, stack, None)  # type: ignore[arg-type]
        await w.opportunity(_cvr())
        citizen_id, _ = await w.citizen()
        proposal_id = (await w.first_proposal(citizen_id))["proposal_id"]
        decision = f"/v1/citizens/{citizen_id}/proposals/{proposal_id}/decision"
        assert (await w.step(decision, w.caseworker, {"decision": "approve"})).status_code == 200

        entry = await queued(w, proposal_id, "delivery_failed", "the undelivered digest in the caseworker's queue")
        assert entry["hand_over_in_person"] is True and "mail server" in entry["delivery_failed"]
        assert entry["state"] == "approved", "never offered: the citizen was not told"
        stats = await stack.notifier_stats()
        assert stats["messages_dead_lettered_email"] == 1


def _job() -> dict[str, Any]:
    from tests.samples import opportunity_payload

    return opportunity_payload()


async def _catalogue(stack: Any) -> bool:
    return bool((await stack.matcher_stats())["catalogue_size"] >= 1)
