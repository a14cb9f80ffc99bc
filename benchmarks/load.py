"""End-to-end load: profiles through the intake API at a fixed rate, latency to proposals and to e-mail.

    .venv/bin/python -m benchmarks.load --rate 50 --seconds 60 [--profile DIR]

Starts the system as production runs it, with the fault tests' harness (`tests/faults/harness.py`):
its own Tansu broker and Redis (append-only, `appendfsync always`), an SMTP server in this process,
and `brobygger intake`, `brobygger matcher` and `brobygger notifier` as three separate processes
with their settings from the environment. It loads the Holbæk demo catalogue through the API, then:

1. the floor: the broker's raw produce→consume round trip (aiokafka, `acks=all`, one message at a
   time, consumer `fetch_max_wait_ms=100` like the services), measured in this run;
2. the load: `--rate` profiles per second for `--seconds` through `POST /v1/citizens`, each with its
   own Idempotency-Key, retried on 429/503 with the same key (as the fault tests' client does);
3. waits (bounded) until every accepted profile has its MatchProposed on the proposals topic and its
   e-mail at the SMTP server, and prints throughput and p50/p95/p99 latency from the first POST
   attempt to (a) the MatchProposed on the topic, stored with `acks=all` (the proposal stored), and
   (b) the e-mail accepted by the SMTP server (the notification). Lost = accepted without either.

With `--profile DIR`, the three services run under cProfile and their stats go to DIR (read
them with `python -m pstats`). Everything runs on this machine: driver, broker, Redis, services.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import tempfile
import time
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from brobygger.demo import load_demo
from brobygger.infra import create_topics
from tests.e2e.stack import smtp_server
from tests.faults.harness import Answer, Driver, Mailbox, System
from tests.helpers import eventually


def percentiles(values: list[float]) -> str:
    """p50 / p95 / p99 in milliseconds."""
    if len(values) < 2:
        return "n/a"
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return f"{cuts[49] * 1000:.0f} / {cuts[94] * 1000:.0f} / {cuts[98] * 1000:.0f} ms"


async def broker_floor(bootstrap: str, n: int = 300) -> list[float]:
    """Seconds from `send_and_wait` (acks=all) of one small record to its arrival at a consumer."""
    topic = "bench.floor.v1"
    await asyncio.to_thread(create_topics, bootstrap, [topic], 1)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="latest", enable_auto_commit=False, fetch_max_wait_ms=100
    )
    await producer.start()
    await consumer.start()
    try:
        await consumer.seek_to_end()
        rounds: list[float] = []
        for i in range(n):
            started = time.perf_counter()
            await producer.send_and_wait(topic, json.dumps({"i": i}).encode())
            await consumer.getone()
            rounds.append(time.perf_counter() - started)
        return rounds
    finally:
        await consumer.stop()
        await producer.stop()


async def watch_proposals(bootstrap: str, topic: str, arrivals: dict[str, float]) -> None:
    """First arrival of a MatchProposed per citizen (time.monotonic())."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False, fetch_max_wait_ms=50
    )
    await consumer.start()
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=200)
            now = time.monotonic()
            for records in batch.values():
                for record in records:
                    with contextlib.suppress(ValueError, KeyError, TypeError):
                        arrivals.setdefault(json.loads(record.value or b"{}")["citizen_id"], now)
    finally:
        await consumer.stop()


async def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="brobygger-load-") as tmp:
        async with smtp_server(Mailbox()) as (mail, smtp_port):
            system = System(Path(tmp), mail, smtp_port)
            try:
                await asyncio.to_thread(system.start_infra)
                if args.profile:
                    for name in ("intake", "matcher", "notifier"):
                        system.services[name].profile_to = args.profile / f"{name}.pstats"
                started = time.monotonic()
                await system.start_services("intake", "matcher", "notifier")
                counts = await asyncio.to_thread(load_demo, system.api, intakes=0, echo=False)
                print(
                    f"# system ready in {time.monotonic() - started:.1f} s; demo catalogue "
                    f"{counts['opportunities']} opportunities",
                    flush=True,
                )
                floor = await broker_floor(system.infra.kafka_bootstrap)
                print(f"broker floor, produce (acks=all) -> consume, one at a time: p50/p95/p99 {percentiles(floor)}")
                return await _load(system, args)
            finally:
                await asyncio.to_thread(system.stop)  # a clean stop: cProfile writes its stats
                for name, service in system.services.items():
                    if service.profile_to is not None and service.profile_to.exists():
                        idle, busy, shares = where_time_goes(service.profile_to)
                        print(f"{name}: busy {busy:.1f} s, idle {idle:.1f} s; busy time by code:")
                        for family, share in shares:
                            print(f"  {share:6.1%}  {family}")


async def _load(system: System, args: argparse.Namespace) -> int:
    arrivals: dict[str, float] = {}
    watcher = asyncio.create_task(
        watch_proposals(system.infra.kafka_bootstrap, system.topics.proposals, arrivals), name="watch-proposals"
    )
    n = int(args.rate * args.seconds)
    driver = Driver(system.api, n, args.rate, give_up_s=args.seconds + 120)
    began = time.monotonic()
    answers = await driver.run()
    sent_for = time.monotonic() - began
    accepted = [a for a in answers if a.citizen_id]

    async def done() -> bool:
        return all(a.citizen_id in arrivals and a.email in system.mail.first_arrival for a in accepted)

    with contextlib.suppress(AssertionError):  # what is still missing after --drain s counts as lost
        await eventually(done, args.drain, "every ranking and e-mail")
    watcher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await watcher
    _print(args, answers, accepted, arrivals, system, sent_for)
    return 0


def _print(
    args: argparse.Namespace,
    answers: list[Answer],
    accepted: list[Answer],
    arrivals: dict[str, float],
    system: System,
    sent_for: float,
) -> None:
    to_post = [a.accepted_at - a.sent_at for a in accepted]
    to_proposal = [arrivals[a.citizen_id] - a.sent_at for a in accepted if a.citizen_id in arrivals]
    to_mail = [system.mail.first_arrival[a.email] - a.sent_at for a in accepted if a.email in system.mail.first_arrival]
    lost = sum(1 for a in accepted if a.citizen_id not in arrivals or a.email not in system.mail.first_arrival)
    refusals = sum(n for a in answers for code, n in a.statuses.items() if code != 202)
    last = max([arrivals[a.citizen_id] for a in accepted if a.citizen_id in arrivals], default=float("nan"))
    first = min(a.sent_at for a in answers)
    print(
        f"rate asked {args.rate:g}/s for {args.seconds:g} s: {len(answers)} profiles; "
        f"the last answer came {sent_for:.1f} s after the first POST"
    )
    print(f"accepted {len(accepted)}; refused answers on the way (429/503, retried) {refusals}; lost {lost}")
    last_mail = max(system.mail.first_arrival.values(), default=float("nan"))
    print(f"end-to-end throughput: {len(to_proposal) / (last - first):.1f} rankings/s (first POST to last ranking), "
          f"{len(to_mail) / (last_mail - first):.1f} e-mails/s (first POST to last e-mail)")
    print(f"POST answered (202):          p50/p95/p99 {percentiles(to_post)}")
    print(f"POST -> MatchProposed stored: p50/p95/p99 {percentiles(to_proposal)}")
    print(f"POST -> e-mail received:      p50/p95/p99 {percentiles(to_mail)}")


# Where a service's CPU time goes, by the code it is spent in (first match wins).
IDLE = "idle: waiting in epoll for I/O (not CPU)"
FAMILIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (IDLE, ("select.epoll",)),
    ("socket send/recv (Redis, Kafka, HTTP round trips)", ("_socket.socket",)),
    ("start-up (imports, loading the ESCO index)", ("marshal", "importlib", "<frozen", "esco_store", "npyio")),
    ("JSON (json module)", ("json/",)),
    ("ranking (matcher domain, numpy, scipy, sklearn)", ("services/matcher/domain", "numpy", "scipy", "sklearn")),
    ("sealing (shared/crypto, cryptography)", ("shared/crypto", "cryptography")),
    ("Redis client (redis-py)", ("redis/",)),
    ("Kafka client (aiokafka, faststream)", ("aiokafka", "faststream", "kafka/")),
    ("pydantic (validation, JSON)", ("pydantic",)),
    ("HTTP (uvicorn, starlette, fastapi, h11, httpx)", ("uvicorn", "starlette", "fastapi", "h11", "httpx")),
    ("JWT (pyjwt)", ("jwt/",)),
    ("logging", ("logging/",)),
    ("asyncio event loop, selectors", ("asyncio", "selectors")),
    ("brobygger services and shared (rest)", ("services/", "shared/")),
)


def where_time_goes(path: Path) -> tuple[float, float, list[tuple[str, float]]]:
    """Idle seconds, busy seconds, and each family's share of the busy time (the main thread only:
    cProfile does not see worker threads, such as the notifier's SMTP sends)."""
    import pstats

    stats = pstats.Stats(str(path))
    totals: dict[str, float] = {}
    for (filename, _line, name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{filename}:{name}"
        family = next((f for f, needles in FAMILIES if any(n in where for n in needles)), "other")
        totals[family] = totals.get(family, 0.0) + tottime
    idle = totals.pop(IDLE, 0.0)
    busy = sum(totals.values()) or 1.0
    return idle, busy, sorted(((f, t / busy) for f, t in totals.items()), key=lambda x: -x[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="profiles per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to send")
    parser.add_argument("--drain", type=float, default=120.0, help="longest wait for the last rankings and e-mails")
    parser.add_argument("--profile", default=None, help="run the three services under cProfile; stats to DIR")
    args = parser.parse_args(argv)
    if args.profile:
        args.profile = Path(args.profile).resolve()
        args.profile.mkdir(parents=True, exist_ok=True)
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
