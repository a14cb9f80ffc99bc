"""Messages (issue 10): from approval to the citizen's digest, from the yes to the owner's e-mail and
signed webhook, webhook retries, and messages per second, through one notifier.

    .venv/bin/python -m benchmarks.messages [--citizens 200] [--sweep-s 0.5] [--retry-deliveries 20]

Starts the local infra (`brobygger.infra.LocalInfra`: a Tansu broker and a Redis), an SMTP server
(aiosmtpd) and a webhook receiver (uvicorn, verifying every signature) in this process, and one
notifier from `services.notifier.bootstrap.bootstrap(...)` served by uvicorn in this process's event
loop (as tests/e2e/stack.py does). Events go onto the real topics as intake writes them: an owner's
webhook registration (secret sealed under the KEK), an opportunity with the owner's e-mail, and per
citizen a sealed profile, then a sealed approval (`SealedProposalTransitioned` to `approved`) and a
sealed yes (to `shared`). Times are taken from the publish of each event to the arrival of its message
at the SMTP server or the receiver.

Baseline, in the same process and against the same SMTP server and receiver: the notifier's own
adapters (`SmtpSender.send`, `HttpWebhookSender.post`) called directly, one after another, with the
same rendered e-mail and the same signed body: what a message costs without the broker, Redis, the
sweep and the delivery records. The ratio says how much of the notifier's rate the pipeline keeps.

Digests wait for the notifier's sweep (`--sweep-s`; the default setting is 5 s, the tests use 0.2 s):
the latency floor is about half a sweep. The digest's quiet period and daily limit are set to 0 here.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import email
import statistics
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from aiokafka import AIOKafkaProducer
from aiosmtpd.controller import Controller
from fastapi import FastAPI, Request, Response
from redis.asyncio import Redis

from benchmarks.service_throughput import kafka_settings
from brobygger.demo import load_demo_data
from brobygger.infra import LocalInfra, create_topics, free_port
from services.notifier.adapters import mime
from services.notifier.adapters.smtp import SmtpSender
from services.notifier.adapters.webhook import HttpWebhookSender
from services.notifier.bootstrap import bootstrap as notifier_bootstrap
from services.notifier.config import NotifierSettings
from services.notifier.domain.compose import notice_id
from shared.contracts import (
    CitizenProfile,
    CitizenProfileSubmitted,
    Event,
    Opportunity,
    OpportunityKind,
    OpportunityRegistered,
    OwnerWebhookRegistered,
    Proposal,
    ProposalTransitioned,
    Reasons,
)
from shared.crypto import LOCAL_KEK, KeyRing, KeyStore
from shared.settings import CommonSettings, RedisSettings
from shared.webhooks import DELIVERY_HEADER, SIGNATURE_HEADER, check_target, new_secret, seal_secret, signature
from shared.webhooks import verify_signature as verified

INTERNAL = {"X-Internal-Token": CommonSettings().internal_token.get_secret_value()}


@dataclass
class Arrivals:
    """What reached the SMTP server and the receiver, and when (perf_counter)."""

    mail_by_to: dict[str, float] = field(default_factory=dict)
    mail_by_id: dict[str, float] = field(default_factory=dict)
    hooks: dict[str, float] = field(default_factory=dict)  # delivery id -> first 2xx
    attempts: dict[str, int] = field(default_factory=dict)
    invalid: int = 0
    fail_first: int = 0  # answer 503 to the first `fail_first` attempts of every delivery
    secret: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        now = time.perf_counter()
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        with self.lock:
            self.mail_by_to.setdefault(str(message["To"]), now)
            self.mail_by_id.setdefault(str(message["Message-ID"]), now)
        return "250 OK"

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hook")
        async def hook(request: Request) -> Response:
            body = await request.body()
            now = time.perf_counter()
            key = request.headers.get(DELIVERY_HEADER, "")
            with self.lock:
                if not verified(self.secret, request.headers.get(SIGNATURE_HEADER, ""), body):
                    self.invalid += 1
                    return Response(status_code=401)
                n = self.attempts[key] = self.attempts.get(key, 0) + 1
                if n <= self.fail_first:
                    return Response(status_code=503)
                self.hooks.setdefault(key, now)
            return Response(status_code=200)

        return app


def _percentiles(values: list[float]) -> str:
    if not values:
        return "none"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms"


async def _wait(probe: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not probe():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        await asyncio.sleep(0.02)


def _proposal(opportunity_id: uuid.UUID, title: str, owner_name: str) -> Proposal:
    reasons = Reasons(
        rule="skills_match",
        matched_skills=["rengøring"],
        commute_minutes=12.0,
        commute_mode="bike",
        text_da="Du kan gøre rent.",
        text_en="You can clean.",
    )
    return Proposal(
        proposal_id=uuid.uuid4(),
        opportunity_id=opportunity_id,
        kind=OpportunityKind.ORDINARY_JOB,
        title=title,
        owner_name=owner_name,
        town="Holbæk",
        score=0.9,
        rank=1,
        reasons=reasons,
    )


def _step(citizen_id: uuid.UUID, p: Proposal, to_state: str) -> ProposalTransitioned:
    approved = to_state == "approved"
    return ProposalTransitioned(
        correlation_id=f"bench-{p.proposal_id.hex[:8]}",
        citizen_id=citizen_id,
        proposal_id=p.proposal_id,
        opportunity_id=p.opportunity_id,
        kind=p.kind,
        action="approve" if approved else "share",
        from_state="proposed" if approved else "accepted",
        to_state="approved" if approved else "shared",
        actor_role="caseworker" if approved else "system",
        actor_id="cw-bench" if approved else "system",
        releases_capacity=False,
        proposal=p if approved else None,
    )


class Bench:
    def __init__(self, producer: AIOKafkaProducer, keys: KeyStore, common: CommonSettings) -> None:
        self.producer, self.keys, self.common = producer, keys, common

    async def publish(self, topic: str, key: str, event: Event) -> None:
        await self.producer.send_and_wait(topic, event.model_dump_json().encode(), key=key.encode())

    async def sealed(self, event: Any, create_key: bool = False) -> tuple[bytes, bytes]:
        sealed = await self.keys.seal_event(event, create_key=create_key)
        return sealed.model_dump_json().encode(), str(event.citizen_id).encode()


async def _baseline(
    settings: NotifierSettings, arrivals: Arrivals, receiver_url: str, n: int
) -> tuple[float, float, float]:
    """Direct adapter calls: e-mails/s, ms per e-mail, ms per signed webhook POST."""
    from services.notifier.adapters.render import Rendered

    sender = SmtpSender(settings)
    rendered = Rendered(subject="Nye forslag til dig", text="Hej\n" * 40, html="<p>Hej</p>" * 40, languages=("da",))
    started = time.perf_counter()
    for i in range(n):
        to = f"baseline-{i}-{uuid.uuid4().hex[:6]}@example.org"
        message = mime.email(rendered, sender=settings.mail_from, to=to, message_id=f"<{uuid.uuid4()}@bench>")
        await sender.send(message)
    mail_s = time.perf_counter() - started
    target = check_target(receiver_url, production=False)
    poster = HttpWebhookSender(settings.webhook_timeout_s)
    body = b'{"event":"candidate","proposal_id":"x"}' * 10
    started = time.perf_counter()
    for _ in range(n):
        headers = {SIGNATURE_HEADER: signature(arrivals.secret, int(time.time()), body), DELIVERY_HEADER: "baseline"}
        status = await poster.post(target, {"Content-Type": "application/json", **headers}, body)
        assert status == 200, status
    hook_s = time.perf_counter() - started
    arrivals.attempts.pop("baseline", None)
    arrivals.hooks.pop("baseline", None)
    return n / mail_s, mail_s / n * 1000, hook_s / n * 1000


async def main_async(args: argparse.Namespace) -> int:
    namespace = f"bench{uuid.uuid4().hex[:8]}."
    common = CommonSettings(namespace=namespace)
    infra = LocalInfra().start()
    arrivals = Arrivals()
    controller: Controller | None = None
    tasks: list[asyncio.Task[None]] = []
    servers: list[uvicorn.Server] = []
    try:
        create_topics(infra.kafka_bootstrap, list(common.topics.all()))
        smtp_port, receiver_port, notifier_port = free_port(), free_port(), free_port()
        controller = Controller(arrivals, hostname="127.0.0.1", port=smtp_port)
        controller.start()
        receiver = uvicorn.Server(
            uvicorn.Config(arrivals.app(), host="127.0.0.1", port=receiver_port, log_level="warning")
        )
        settings = NotifierSettings(
            port=notifier_port,
            smtp_port=smtp_port,
            digest_quiet_s=0.0,
            digest_min_interval_s=0.0,
            sweep_s=args.sweep_s,
            retry_initial_s=args.retry_initial_s,
            retry_max_attempts=8,
        )
        notifier = uvicorn.Server(
            uvicorn.Config(
                notifier_bootstrap(
                    common, kafka_settings(infra.kafka_bootstrap), RedisSettings(url=infra.redis_url), settings
                ),
                host="127.0.0.1",
                port=notifier_port,
                log_level="warning",
                lifespan="on",
            )
        )
        servers = [receiver, notifier]
        tasks = [asyncio.create_task(s.serve()) for s in servers]
        await _wait(lambda: all(s.started for s in servers), 60, "the notifier and the receiver")
        async with httpx.AsyncClient(timeout=5) as client:
            for _ in range(300):
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"http://127.0.0.1:{notifier_port}/readyz")).status_code == 200:
                        break
                await asyncio.sleep(0.2)

        ring = KeyRing(current=base64.b64decode(LOCAL_KEK))
        redis = Redis.from_url(infra.redis_url)
        keys = KeyStore(redis, namespace, ring)
        producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap, acks="all", linger_ms=5)
        await producer.start()
        bench = Bench(producer, keys, common)
        t = common.topics
        receiver_url = f"http://127.0.0.1:{receiver_port}/hook"
        arrivals.secret = new_secret()

        baseline_rate, baseline_mail_ms, baseline_hook_ms = await _baseline(
            settings, arrivals, receiver_url, args.baseline
        )

        # The world: one owner with a webhook and an e-mail address, one opportunity, N citizens.
        cvr, registration = "31415926", uuid.uuid4()
        owner, owner_email = f"company:{cvr}", f"hr-{cvr}@example.dk"
        await bench.publish(
            t.owners,
            owner,
            OwnerWebhookRegistered(
                correlation_id="bench-hook",
                owner=owner,
                registration_id=registration,
                url=receiver_url,
                secret=seal_secret(arrivals.secret, ring, owner, str(registration)),
            ),
        )
        demo = load_demo_data()
        job = dict(demo["opportunities"][0]["payload"])
        job["owner"] = {"type": "company", "cvr": cvr, "name": "Benchmark ApS (demo)", "contact_email": owner_email}
        opportunity = Opportunity.model_validate(job)
        opportunity_id = uuid.uuid4()
        await bench.publish(
            t.opportunities,
            str(opportunity_id),
            OpportunityRegistered(correlation_id="bench-o", opportunity_id=opportunity_id, opportunity=opportunity),
        )
        intakes = demo["intakes"]
        citizens: list[tuple[uuid.UUID, str, Proposal]] = []
        for i in range(args.citizens + args.retry_deliveries):
            payload = dict(intakes[i % len(intakes)])
            address = f"citizen-{i}-{uuid.uuid4().hex[:6]}@example.org"
            payload["personal"] = {**payload["personal"], "email": address, "social_control_concern": False}
            profile = CitizenProfile.model_validate({**payload, "preferred_channel": "email"})
            citizen_id = uuid.uuid4()
            submitted = CitizenProfileSubmitted(correlation_id="bench-c", citizen_id=citizen_id, profile=profile)
            value, key = await bench.sealed(submitted, create_key=True)
            await producer.send(t.citizens, value, key=key)
            citizens.append((citizen_id, address, _proposal(opportunity_id, opportunity.title, "Benchmark ApS (demo)")))
        await producer.flush()

        async def processed() -> int:
            async with httpx.AsyncClient(timeout=5) as client:
                stats = (await client.get(f"http://127.0.0.1:{notifier_port}/stats", headers=INTERNAL)).json()
            return int(stats.get("processed", 0))

        expected = 2 + len(citizens)
        deadline = time.monotonic() + 120
        while await processed() < expected:
            if time.monotonic() > deadline:
                raise TimeoutError("the notifier did not take in the profiles")
            await asyncio.sleep(0.2)

        # 1. Approvals -> digests (one approved proposal per citizen, published as fast as possible).
        main = citizens[: args.citizens]
        approvals = [await bench.sealed(_step(c, p, "approved")) for c, _, p in main]
        published: dict[str, float] = {}
        first = time.perf_counter()
        for (value, key), (_, address, _) in zip(approvals, main, strict=True):
            await producer.send(t.citizens, value, key=key)
            published[address] = time.perf_counter()
        await producer.flush()
        publish_s = time.perf_counter() - first
        await _wait(lambda: all(a in arrivals.mail_by_to for a in published), args.timeout, "the digests")
        digest_latency = [arrivals.mail_by_to[a] - published[a] for a in published]
        digest_span = max(arrivals.mail_by_to[a] for a in published) - first
        digest_rate = len(published) / digest_span

        # 2. Yeses -> owner e-mail + webhook (both per proposal).
        yeses = [await bench.sealed(_step(c, p, "shared")) for c, _, p in main]
        sent_at: dict[uuid.UUID, float] = {}
        first = time.perf_counter()
        for (value, key), (_, _, p) in zip(yeses, main, strict=True):
            await producer.send(t.citizens, value, key=key)
            sent_at[p.proposal_id] = time.perf_counter()
        await producer.flush()
        domain = settings.message_id_domain
        mail_ids = {pid: f"<{notice_id(pid, 'email')}@{domain}>" for pid in sent_at}
        hook_ids = {pid: str(notice_id(pid, "webhook")) for pid in sent_at}
        await _wait(
            lambda: (
                all(m in arrivals.mail_by_id for m in mail_ids.values())
                and all(h in arrivals.hooks for h in hook_ids.values())
            ),
            args.timeout,
            "the owners' e-mails and webhooks",
        )
        owner_mail_latency = [arrivals.mail_by_id[mail_ids[p]] - sent_at[p] for p in sent_at]
        hook_latency = [arrivals.hooks[hook_ids[p]] - sent_at[p] for p in sent_at]
        last = max(max(arrivals.mail_by_id[m] for m in mail_ids.values()), max(arrivals.hooks.values()))
        owner_rate = 2 * len(sent_at) / (last - first)

        # 3. Webhook retries: the receiver answers 503 to the first 3 attempts of every delivery.
        retry_latency: list[float] = []
        if args.retry_deliveries:
            arrivals.fail_first = 3
            extra = citizens[args.citizens :]
            steps = [await bench.sealed(_step(c, p, "shared")) for c, _, p in extra]
            retry_at: dict[str, float] = {}
            for (value, key), (_, _, p) in zip(steps, extra, strict=True):
                await producer.send(t.citizens, value, key=key)
                retry_at[str(notice_id(p.proposal_id, "webhook"))] = time.perf_counter()
            await producer.flush()
            await _wait(lambda: all(k in arrivals.hooks for k in retry_at), args.timeout, "the retried webhooks")
            retry_latency = [arrivals.hooks[k] - retry_at[k] for k in retry_at]
            attempts = sorted({arrivals.attempts[k] for k in retry_at})

        async with httpx.AsyncClient(timeout=5) as client:
            stats = (await client.get(f"http://127.0.0.1:{notifier_port}/stats", headers=INTERNAL)).json()
        await producer.stop()
        await redis.aclose()

        n = len(main)
        print(
            f"# {n} citizens; notifier sweep {args.sweep_s:g} s, retry_initial_s {args.retry_initial_s:g} s; "
            "broker, Redis, SMTP, receiver, notifier and driver share this machine"
        )
        print("| what | figure |")
        print("|---|---|")
        print(
            f"| baseline: SmtpSender.send directly, {args.baseline} e-mails | {baseline_rate:.0f} e-mails/s "
            f"({baseline_mail_ms:.1f} ms each) |"
        )
        print(f"| baseline: HttpWebhookSender.post directly (signed) | {baseline_hook_ms:.1f} ms each |")
        print(f"| approval published -> citizen's digest at the SMTP server | {_percentiles(digest_latency)} |")
        print(
            f"| digests per second ({n} approvals published in {publish_s:.2f} s) | {digest_rate:.1f}/s "
            f"= {digest_rate / baseline_rate:.2f} x the direct SMTP rate |"
        )
        print(f"| yes published -> owner's e-mail | {_percentiles(owner_mail_latency)} |")
        print(f"| yes published -> owner's webhook (2xx, signature verified) | {_percentiles(hook_latency)} |")
        print(
            f"| owner messages per second (e-mail + webhook, {2 * n}) | {owner_rate:.1f}/s "
            f"= {owner_rate / baseline_rate:.2f} x the direct SMTP rate |"
        )
        if retry_latency:
            floor = args.retry_initial_s * (1 + 2 + 4)
            print(
                f"| webhook failing 3 times then 2xx ({len(retry_latency)} deliveries, attempts {attempts}) | "
                f"{_percentiles(retry_latency)}; backoff alone {floor:.1f} s |"
            )
        print(f"| invalid signatures at the receiver | {arrivals.invalid} |")
        counters = {k: v for k, v in stats.items() if k.startswith("messages_") and k != "messages_sweeps"}
        print(f"\nnotifier counters: {counters}")
    finally:
        for s in servers:
            s.should_exit = True
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if controller is not None:
            controller.stop()
        infra.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=200, help="approvals (and yeses) per phase")
    parser.add_argument("--sweep-s", type=float, default=0.5, help="the notifier's NOTIFIER_SWEEP_S")
    parser.add_argument("--retry-initial-s", type=float, default=0.2, help="the notifier's NOTIFIER_RETRY_INITIAL_S")
    parser.add_argument("--retry-deliveries", type=int, default=20, help="webhooks that fail 3 times first")
    parser.add_argument("--baseline", type=int, default=100, help="direct sends for the baseline")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for one phase")
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
