"""One harness for the fault tests: the three services as separate processes over their own broker and Redis.

As production runs it: `brobygger intake|matcher|notifier`, settings from the environment, a Tansu
broker and a redis-server (append-only, `appendfsync always`) on free loopback ports, and a real
SMTP server (aiosmtpd). A `Driver` sends a stream of profiles through the intake API at a steady
rate, retrying 429 and 503 (and lost connections) with the same Idempotency-Key, as a well-behaved
client does. `settle()` waits until every consumer group has committed to the end of its topics,
and `verdict()` counts what was lost and what was doubled.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient

from brobygger.infra import LocalInfra, die_with_parent, free_port, stop_process
from shared.settings import LOCAL_INTERNAL_TOKEN
from shared.topics import Topics
from tests.e2e.stack import MailRecorder, smtp_server
from tests.helpers import bearer, eventually, read_topic
from tests.samples import opportunity_payload, profile_payload

# Consumer groups whose committed offsets say "everything on this topic has had its effect".
GROUPS: tuple[tuple[str, str, str], ...] = (
    ("matcher", "citizens", "citizens"),
    ("notifier", "citizens", "citizens"),
    ("notifier", "proposals", "proposals"),
    ("intake", "proposals", "proposals"),
    ("intake", "lifecycle-citizens", "citizens"),
    ("intake", "lifecycle-notifications", "notifications"),
)


@dataclass
class Service:
    """One service process; `name` is the command (`intake`, `matcher`, `notifier`)."""

    name: str
    port: int
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.starts += 1
        with self.log.open("ab") as out:
            out.write(f"\n===== start {self.starts} =====\n".encode())
            out.flush()
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "brobygger.cli", self.name],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=die_with_parent,
                start_new_session=True,
            )

    def kill(self, sig: signal.Signals = signal.SIGKILL) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, grace_s=10.0)

    async def ready(self, timeout_s: float = 90.0) -> None:
        async def answers() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n{self.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                async with httpx.AsyncClient(timeout=2) as client:
                    return (await client.get(f"{self.url}/readyz")).status_code == 200
            return False

        await eventually(answers, timeout_s, f"{self.name} to be ready")

    def tail(self, lines: int = 15) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Answer:
    """What the client saw for one profile: its ids once accepted, and every refusal on the way."""

    email: str
    key: str
    citizen_id: str | None = None
    event_id: str | None = None
    statuses: Counter[int] = field(default_factory=Counter)
    transport_errors: int = 0
    sent_at: float = 0.0
    accepted_at: float = 0.0


@dataclass
class Verdict:
    """The outcome of one scenario, as the report prints it."""

    scenario: str
    profiles: int
    accepted: int
    lost: int  # accepted, but no ranking in intake or no e-mail
    duplicated: int  # citizens with more than one distinct Message-ID, or more than one ranking id
    raw_deliveries: int  # every SMTP delivery, resends included
    resent: int  # citizens who received the same Message-ID more than once
    answers_5xx: Counter[int]
    answers_429: int
    transport_errors: int
    dead_letters: int
    seconds: float
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        fivexx = ", ".join(f"{code}×{n}" for code, n in sorted(self.answers_5xx.items())) or "0"
        return (
            f"{self.scenario:<34} profiles {self.profiles:>4}  lost {self.lost}  duplicates {self.duplicated}  "
            f"raw deliveries {self.raw_deliveries} (resent {self.resent})  5xx {fivexx}  429 {self.answers_429}  "
            f"conn errors {self.transport_errors}  dead letters {self.dead_letters}  {self.seconds:.0f} s"
        )


class System:
    """Broker, Redis, SMTP and the service processes of one scenario."""

    def __init__(self, workdir: Path, mail: MailRecorder, smtp_port: int) -> None:
        self.workdir = workdir
        self.mail = mail
        self.smtp_port = smtp_port
        self.topics = Topics()
        self.infra = LocalInfra(data_dir=workdir / "data", topics=self.topics)
        self.services: dict[str, Service] = {}
        self.env: dict[str, str] = {}

    def start_infra(self) -> None:
        self.infra.start()
        ports = {"intake": free_port(), "matcher": free_port(), "notifier": free_port()}
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "REDIS_", "INTAKE_", "NOTIFIER_"))},
            **self.infra.env(),
            "KAFKA_SESSION_TIMEOUT_MS": "2000",
            "KAFKA_HEARTBEAT_INTERVAL_MS": "300",
            "KAFKA_FETCH_MAX_WAIT_MS": "100",
            "KAFKA_REQUEST_TIMEOUT_MS": "5000",
            "BROBYGGER_LOG_LEVEL": "INFO",
            "INTAKE_PORT": str(ports["intake"]),
            "INTAKE_METRICS_PORT": "0",
            "INTAKE_PUBLISH_TIMEOUT_S": "3",
            "INTAKE_RATE_LIMIT_PER_MINUTE": "1000000",
            "INTAKE_MATCHER_URL": f"http://127.0.0.1:{ports['matcher']}",
            "INTAKE_NOTIFIER_URL": f"http://127.0.0.1:{ports['notifier']}",
            "MATCHER_PORT": str(ports["matcher"]),
            "NOTIFIER_PORT": str(ports["notifier"]),
            "NOTIFIER_RANKING_DIGEST": "true",
            "NOTIFIER_SMTP_HOST": "127.0.0.1",
            "NOTIFIER_SMTP_PORT": str(self.smtp_port),
        }
        for name, port in ports.items():
            self.services[name] = self.service(name, port)

    def service(self, name: str, port: int, instance: str = "") -> Service:
        env = {**self.env, f"{name.upper()}_PORT": str(port)}
        return Service(name, port, env, self.workdir / f"{name}{instance}.log")

    async def start_services(self, *names: str) -> None:
        for name in names:
            self.services[name].start()
        await asyncio.gather(*(self.services[name].ready() for name in names))

    def stop(self) -> None:
        for service in self.services.values():
            service.stop()
        self.infra.stop()

    @property
    def api(self) -> str:
        return self.services["intake"].url

    def logs(self) -> str:
        return "\n".join(f"--- {name} ---\n{s.tail()}" for name, s in self.services.items())

    # what the test checks
    async def load_catalogue(self, n: int = 5) -> None:
        """A few opportunities with room for every citizen of the stream, read by the matcher."""
        async with httpx.AsyncClient(base_url=self.api, timeout=10, headers=bearer()) as client:
            for i in range(n):
                r = await client.post(
                    "/v1/opportunities", json=opportunity_payload(title=f"Rengøringsassistent {i}", capacity=500)
                )
                assert r.status_code == 202, r.text

        async def loaded() -> bool:
            async with httpx.AsyncClient(timeout=5) as client:
                internal = {"X-Internal-Token": LOCAL_INTERNAL_TOKEN}
                stats = (await client.get(f"{self.services['matcher'].url}/stats", headers=internal)).json()
            return int(stats.get("catalogue_size", 0)) >= n

        await eventually(loaded, 30, "the matcher to read the catalogue")

    def lag(self) -> dict[str, int]:
        """Records not yet committed, per consumer group (a group that never committed counts all)."""
        bootstrap = self.infra.kafka_bootstrap
        admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000, client_id="fault-test")
        consumer = KafkaConsumer(
            bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, request_timeout_ms=5000
        )
        try:
            lags: dict[str, int] = {}
            for service, purpose, topic in GROUPS:
                name = getattr(self.topics, topic)
                tps = [TopicPartition(name, p) for p in consumer.partitions_for_topic(name) or set()]
                ends = consumer.end_offsets(tps)
                group = self.topics.group(service, purpose)
                committed = admin.list_group_offsets({group: tps}).get(group, {})
                # Clamped at 0: the local broker's end offsets can fall short of what was delivered. Measured
                # here: 300 profiles accepted, consumed and committed by every group, end offsets summing to
                # 298 (one short on two partitions) once intake's publishes were batched; the proposals
                # topic's ends were exact. A group at or past the reported end has nothing more to read.
                lags[f"{service}.{purpose}"] = sum(
                    max(0, end - (committed[tp].offset if tp in committed and committed[tp].offset >= 0 else 0))
                    for tp, end in ends.items()
                )
            return lags
        finally:
            consumer.close()
            admin.close()

    async def settle(self, timeout_s: float = 120.0) -> None:
        """Wait until every group has committed every record: nothing more is on its way."""
        last: dict[str, int] | Exception = {}

        async def drained() -> bool:
            nonlocal last
            try:
                last = await asyncio.to_thread(self.lag)
            except Exception as exc:  # the broker may still be waking up
                last = exc
                return False
            return bool(last) and not any(last.values())

        try:
            await eventually(drained, timeout_s, "every consumer group to commit to the end")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; lag {last!r}\n{self.logs()}") from None

    def dead_letters(self) -> list[dict[str, Any]]:
        return [json.loads(v) for _, v in read_topic(self.infra.kafka_bootstrap, self.topics.dead_letters)]

    def rankings_by_citizen(self) -> dict[str, set[str]]:
        found: dict[str, set[str]] = defaultdict(set)
        for _, value in read_topic(self.infra.kafka_bootstrap, self.topics.proposals):
            with contextlib.suppress(ValueError, KeyError, TypeError):
                event = json.loads(value)
                found[event["citizen_id"]].add(event["event_id"])
        return found

    async def verdict(self, scenario: str, answers: list[Answer], started: float) -> Verdict:
        """Lost and doubled, counted from intake's read model, the proposals topic and the SMTP server."""
        accepted = [a for a in answers if a.citizen_id is not None]
        rankings = await asyncio.to_thread(self.rankings_by_citizen)
        current = await self._current_rankings(accepted)
        problems: list[str] = []
        lost = duplicated = resent = 0
        raw = 0
        for a in accepted:
            assert a.citizen_id is not None
            messages = self.mail.to(a.email)
            raw += len(messages)
            ids = Counter(str(m["Message-ID"]) for m in messages)
            ranked = current.get(a.citizen_id)
            if ranked is None or not ids:
                lost += 1
                problems.append(f"citizen {a.citizen_id}: ranking {ranked}, e-mails {dict(ids)}")
                continue
            if len(ids) > 1 or len(rankings.get(a.citizen_id, ())) > 1:
                duplicated += 1
                problems.append(f"citizen {a.citizen_id}: rankings {rankings.get(a.citizen_id)}, e-mails {dict(ids)}")
            elif next(iter(ids)) != f"<{ranked}@brobygger.local>":
                problems.append(f"citizen {a.citizen_id}: e-mail {next(iter(ids))} is not about ranking {ranked}")
            if max(ids.values()) > 1:
                resent += 1
        fivexx: Counter[int] = Counter()
        for a in answers:
            for status, n in a.statuses.items():
                if status >= 500:
                    fivexx[status] += n
        return Verdict(
            scenario=scenario,
            profiles=len(answers),
            accepted=len(accepted),
            lost=lost + len(answers) - len(accepted),
            duplicated=duplicated,
            raw_deliveries=raw,
            resent=resent,
            answers_5xx=fivexx,
            answers_429=sum(a.statuses[429] for a in answers),
            transport_errors=sum(a.transport_errors for a in answers),
            dead_letters=len(await asyncio.to_thread(self.dead_letters)),
            seconds=time.monotonic() - started,
            problems=problems[:20],
        )

    async def _current_rankings(self, accepted: list[Answer]) -> dict[str, str | None]:
        """Each citizen's current ranking id as intake serves it (None while pending)."""
        limit = asyncio.Semaphore(8)

        async def one(client: httpx.AsyncClient, citizen_id: str) -> tuple[str, str | None]:
            async with limit:
                r = await client.get(f"/v1/citizens/{citizen_id}/proposals")
                assert r.status_code == 200, f"{citizen_id}: {r.status_code} {r.text}"
                body = r.json()
                return citizen_id, body["match_event_id"] if body["status"] == "ready" else None

        async with httpx.AsyncClient(base_url=self.api, timeout=30, headers=bearer()) as client:
            pairs = await asyncio.gather(*(one(client, a.citizen_id) for a in accepted if a.citizen_id))
        return dict(pairs)


class Driver:
    """Sends `n` profiles at `rate` per second; each is retried with its own key until accepted."""

    def __init__(self, api: str, n: int, rate: float, give_up_s: float = 120.0) -> None:
        self.api = api
        self.n = n
        self.rate = rate
        self.give_up_s = give_up_s
        self.answers: list[Answer] = []
        self.sent = 0
        self._progress = asyncio.Condition()

    async def run(self) -> list[Answer]:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
        async with httpx.AsyncClient(base_url=self.api, timeout=30, headers=bearer(), limits=limits) as client:
            start = time.monotonic()
            tasks = []
            for i in range(self.n):
                # A steady rate: the i-th profile leaves at start + i / rate, whatever the others do.
                await asyncio.sleep(max(0.0, start + i / self.rate - time.monotonic()))
                payload = profile_payload()
                answer = Answer(email=payload["personal"]["email"], key=f"fault-{uuid.uuid4()}")
                self.answers.append(answer)
                tasks.append(asyncio.create_task(self._submit(client, payload, answer)))
                async with self._progress:
                    self.sent += 1
                    self._progress.notify_all()
            await asyncio.gather(*tasks)
        return self.answers

    async def reached(self, count: int) -> None:
        """Wait until `count` profiles have been sent (the point at which a fault strikes)."""
        async with self._progress:
            await self._progress.wait_for(lambda: self.sent >= count)

    async def _submit(self, client: httpx.AsyncClient, payload: dict[str, Any], answer: Answer) -> None:
        answer.sent_at = time.monotonic()
        deadline = answer.sent_at + self.give_up_s
        delay = 0.2
        while time.monotonic() < deadline:
            try:
                r = await client.post("/v1/citizens", json=payload, headers={"Idempotency-Key": answer.key})
            except httpx.TransportError:
                answer.transport_errors += 1
            else:
                answer.statuses[r.status_code] += 1
                if r.status_code == 202:
                    body = r.json()
                    answer.citizen_id, answer.event_id = body["citizen_id"], body["event_id"]
                    answer.accepted_at = time.monotonic()
                    return
                if r.status_code not in (429, 503):
                    raise AssertionError(f"profile refused with {r.status_code}: {r.text}")
            # Back off with jitter (Retry-After says 5 s; a patient client may come back sooner).
            await asyncio.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 2.0)


@asynccontextmanager
async def running_system(*, two_matchers: bool = False) -> AsyncIterator[System]:
    """Broker, Redis, SMTP, the three services (optionally a second matcher) and a catalogue."""
    with tempfile.TemporaryDirectory(prefix="brobygger-faults-") as tmp:
        async with smtp_server() as (mail, smtp_port):
            system = System(Path(tmp), mail, smtp_port)
            try:
                await asyncio.to_thread(system.start_infra)
                names = ["intake", "matcher", "notifier"]
                if two_matchers:
                    system.services["matcher-2"] = system.service("matcher", free_port(), instance="-2")
                    names.append("matcher-2")
                await system.start_services(*names)
                await system.load_catalogue()
                yield system
            finally:
                await asyncio.to_thread(system.stop)


async def drive_with_fault(
    system: System, fault: Callable[[Driver], Awaitable[None]], *, n: int = 300, rate: float = 40.0
) -> list[Answer]:
    """Send the stream and strike while it runs; both must finish."""
    driver = Driver(system.api, n, rate)
    answers, _ = await asyncio.gather(driver.run(), fault(driver))
    return answers
