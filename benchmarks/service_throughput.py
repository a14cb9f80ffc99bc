"""Service throughput: MatchProposed events per second from one matcher against the demo catalogue.

    .venv/bin/python -m benchmarks.service_throughput [--profiles 600] [--runs 3] [--texts demo|fresh]

Starts the local infra (`brobygger.infra.LocalInfra`: a Tansu broker and a Redis), publishes the
demo catalogue's opportunities (`brobygger/data/holbaek_demo.json`) onto the opportunity topic,
then starts one matcher built by `services.matcher.bootstrap.bootstrap(...)` and served by uvicorn
in a process of its own (as the service runs; `--in-process` serves it in this process's event
loop instead, as tests/e2e/stack.py does), and waits for its `/readyz`. Each run publishes N
`CitizenProfileSubmitted` events as fast as it can, every profile sealed exactly as intake does
(`shared.crypto.KeyStore(redis, namespace, ring).seal_profile(citizen_id, profile)`, sealed before the
clock starts), and counts the `MatchProposed` events that arrive on the proposals topic.

Rate = N / (last MatchProposed arrival - first publish). Printed per run, then the median.

`--texts demo` cycles the demo catalogue's sample intakes (the same words recur, as in a
municipality: the matcher's link cache hits); `--texts fresh` uses the quality benchmark's
generated profiles (ESCO labels, almost every text new to the matcher: the linking worst case).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import statistics
import time
import uuid
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from redis.asyncio import Redis

from brobygger.demo import load_demo_data
from brobygger.infra import LocalInfra, create_topics, free_port
from shared.contracts import CitizenProfile, CitizenProfileSubmitted, Opportunity, OpportunityRegistered
from shared.crypto import KeyRing, KeySettings, KeyStore
from shared.settings import CommonSettings, KafkaSettings, RedisSettings


def kafka_settings(bootstrap: str) -> KafkaSettings:
    """The test timings (tests/conftest.py `InfraHandle.kafka_settings()`)."""
    return KafkaSettings(
        bootstrap_servers=bootstrap,
        session_timeout_ms=2000,
        heartbeat_interval_ms=300,
        fetch_max_wait_ms=100,
        request_timeout_ms=5000,
    )


def _serve_matcher(
    bootstrap: str, redis_url: str, namespace: str, port: int, stop: Any, profile_to: str | None
) -> None:
    """The child process: one matcher, as the service runs it (under cProfile with `--profile`)."""
    import cProfile

    import uvicorn

    from services.matcher.bootstrap import bootstrap as matcher_bootstrap
    from services.matcher.config import MatcherSettings

    app = matcher_bootstrap(
        CommonSettings(namespace=namespace),
        kafka_settings(bootstrap),
        RedisSettings(url=redis_url),
        MatcherSettings(port=port),
    )
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))

    async def serve() -> None:
        task = asyncio.create_task(server.serve())
        stopped = asyncio.create_task(asyncio.to_thread(stop.wait))  # the parent says when
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
        server.should_exit = True
        await task

    profiler = cProfile.Profile() if profile_to else None
    if profiler is not None:
        profiler.enable()
    asyncio.run(serve())
    if profiler is not None and profile_to:
        profiler.disable()
        profiler.dump_stats(profile_to)


async def _wait_ready(url: str, timeout_s: float = 120.0) -> float:
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=2.0) as client:
        while time.perf_counter() - started < timeout_s:
            try:
                if (await client.get(f"{url}/readyz")).status_code == 200:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError(f"the matcher at {url} was not ready in {timeout_s:.0f} s")


def _profiles(kind: str, n: int, seed: int) -> list[CitizenProfile]:
    if kind == "demo":
        intakes = load_demo_data()["intakes"]
        return [CitizenProfile.model_validate(intakes[i % len(intakes)]) for i in range(n)]
    from benchmarks.generate import generate
    from services.matcher.adapters.esco_store import load_index

    bench = generate(load_index(), seed=seed, n_profiles=n)  # a new seed per run: new texts
    return [CitizenProfile.model_validate(c.payload) for c in bench.cases]


async def _publish_catalogue(producer: AIOKafkaProducer, common: CommonSettings) -> int:
    items = load_demo_data()["opportunities"]
    for item in items:
        oid = uuid.uuid5(uuid.NAMESPACE_URL, f"brobygger-demo/{item['id']}")
        event = OpportunityRegistered(
            correlation_id=f"bench-{item['id']}",
            opportunity_id=oid,
            opportunity=Opportunity.model_validate(item["payload"]),
        )
        await producer.send(common.topics.opportunities, event.model_dump_json().encode(), key=str(oid).encode())
    await producer.flush()
    return len(items)


async def _run(
    producer: AIOKafkaProducer,
    consumer: AIOKafkaConsumer,
    common: CommonSettings,
    keys: KeyStore,
    profiles: list[CitizenProfile],
    timeout_s: float,
) -> dict[str, float]:
    events: list[CitizenProfileSubmitted] = []
    for profile in profiles:  # sealed as intake does, before the clock starts
        citizen_id = uuid.uuid4()
        sealed = await keys.seal_profile(citizen_id, profile)
        events.append(
            CitizenProfileSubmitted(correlation_id=f"bench-{citizen_id}", citizen_id=citizen_id, profile=sealed)
        )
    wanted = {str(e.event_id) for e in events}
    payloads = [(e.model_dump_json().encode(), str(e.citizen_id).encode()) for e in events]
    arrivals: list[float] = []

    async def collect() -> None:
        while len(arrivals) < len(wanted):
            batch = await consumer.getmany(timeout_ms=200)
            now = time.perf_counter()
            for records in batch.values():
                for record in records:
                    body: dict[str, Any] = json.loads(record.value or b"{}")
                    if body.get("trigger_event_id") in wanted:
                        arrivals.append(now)

    collector = asyncio.create_task(collect())
    started = time.perf_counter()
    for value, key in payloads:
        await producer.send(common.topics.citizens, value, key=key)
    await producer.flush()
    published = time.perf_counter() - started
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(collector, timeout_s)
    n = len(arrivals)
    elapsed = (max(arrivals) - started) if arrivals else float("nan")
    return {
        "sent": len(events),
        "received": n,
        "publish_s": published,
        "elapsed_s": elapsed,
        "rate": n / elapsed if arrivals else 0.0,
    }


async def main_async(args: argparse.Namespace) -> int:
    namespace = f"bench{uuid.uuid4().hex[:8]}."
    common = CommonSettings(namespace=namespace)
    infra = LocalInfra().start()
    children: list[multiprocessing.process.BaseProcess] = []
    stop: Any = None
    server_task: asyncio.Task[None] | None = None
    server: Any = None
    try:
        create_topics(infra.kafka_bootstrap, list(common.topics.all()))
        redis = Redis.from_url(infra.redis_url)
        keys = KeyStore(redis, namespace, KeyRing.from_settings(KeySettings(), common.mode))
        producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap, acks="all", linger_ms=5)
        await producer.start()
        n_opps = await _publish_catalogue(producer, common)
        consumer = AIOKafkaConsumer(
            common.topics.proposals,
            bootstrap_servers=infra.kafka_bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            fetch_max_wait_ms=50,
        )
        await consumer.start()
        ports = [free_port() for _ in range(args.instances)]
        port = ports[0]
        t0 = time.perf_counter()
        if args.in_process:
            import uvicorn

            from services.matcher.bootstrap import bootstrap as matcher_bootstrap
            from services.matcher.config import MatcherSettings

            app = matcher_bootstrap(
                common, kafka_settings(infra.kafka_bootstrap), RedisSettings(url=infra.redis_url),
                MatcherSettings(port=port),
            )
            server = uvicorn.Server(
                uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
            )
            server_task = asyncio.create_task(server.serve())
        else:
            ctx = multiprocessing.get_context("spawn")
            stop = ctx.Event()
            for n, p in enumerate(ports):
                child = ctx.Process(
                    target=_serve_matcher,
                    args=(infra.kafka_bootstrap, infra.redis_url, namespace, p, stop, args.profile if n == 0 else None),
                    daemon=True,
                )
                child.start()
                children.append(child)
        for p in ports:
            ready = await _wait_ready(f"http://127.0.0.1:{p}")
        print(
            f"# demo catalogue: {n_opps} opportunities; matcher ready after {time.perf_counter() - t0:.1f} s "
            f"({'in this process' if args.in_process else f'{args.instances} process(es)'}); profiles: {args.texts}, "
            f"{args.profiles} per run",
            flush=True,
        )
        del ready
        warm = _profiles(args.texts, 20, seed=1)
        await _run(producer, consumer, common, keys, warm, args.timeout)  # warm-up, not counted
        rates: list[float] = []
        print("| run | sent | received | publish s | elapsed s | MatchProposed/s |")
        print("|---|---|---|---|---|---|")
        for run in range(1, args.runs + 1):
            result = await _run(
                producer, consumer, common, keys, _profiles(args.texts, args.profiles, seed=100 + run), args.timeout
            )
            rates.append(result["rate"])
            print(
                f"| {run} | {result['sent']:.0f} | {result['received']:.0f} | {result['publish_s']:.2f} | "
                f"{result['elapsed_s']:.2f} | {result['rate']:.0f} |",
                flush=True,
            )
        print(f"\nmedian of {args.runs} runs: {statistics.median(rates):.0f} MatchProposed/s (aim: 200/s)")
        await consumer.stop()
        await producer.stop()
        await redis.aclose()
    finally:
        if server is not None and server_task is not None:
            server.should_exit = True
            await asyncio.gather(server_task, return_exceptions=True)
        if children:
            stop.set()
        for child in children:
            child.join(60)
            if child.is_alive():
                child.terminate()
                child.join(10)
        infra.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=600, help="CitizenProfileSubmitted events per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--texts", choices=("demo", "fresh"), default="demo")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for one run's proposals")
    parser.add_argument("--in-process", action="store_true", help="serve the matcher in this process, as the tests do")
    parser.add_argument(
        "--instances", type=int, default=1, help="matcher processes in one consumer group (own-process mode)"
    )
    parser.add_argument("--profile", default=None, help="write the matcher process's cProfile stats to this file")
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
