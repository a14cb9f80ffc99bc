"""Time from `POST /v1/opportunities` to its candidate list being filled, with 1,000 registered citizens.

    .venv/bin/python -m benchmarks.reverse_service [--citizens 1000] [--postings 8]

Starts the local infra (a Tansu broker and a Redis) and `brobygger intake` and `brobygger matcher`
as processes of their own, as the service runs, with the default reverse-matching windows
(`MATCHER_REVERSE_BATCH_S` 0.5 s, `MATCHER_REVERSE_SETTLE_S` 0.5 s). Posts the demo catalogue
(`brobygger/data/holbaek_demo.json`), registers N citizens (the demo's sample intakes, cycled) and
waits until the matcher has ranked every one. Then, one at a time, re-posts demo jobs as new
opportunities and polls `GET /v1/opportunities/{id}/candidates` every 20 ms until it holds as many
candidates as the place allows (capacity × 3), or stops at 30 s. Prints each posting's time and the
median.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from brobygger.demo import load_demo_data
from brobygger.infra import LocalInfra, die_with_parent, free_port, stop_process
from brobygger.token import mint
from shared.settings import LOCAL_INTERNAL_TOKEN


def _wait(what: str, probe: Any, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not probe():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _stat(url: str, name: str) -> int:
    internal = {"X-Internal-Token": LOCAL_INTERNAL_TOKEN}  # local mode: stats answer the local token
    return int(httpx.get(f"{url}/stats", timeout=5, headers=internal).json().get(name, 0))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=1000)
    parser.add_argument("--postings", type=int, default=8)
    args = parser.parse_args(argv)
    data = load_demo_data()
    with tempfile.TemporaryDirectory(prefix="brobygger-bench-") as tmp:
        infra = LocalInfra(data_dir=Path(tmp) / "data").start()
        procs: list[subprocess.Popen[bytes]] = []
        try:
            ports = {"intake": free_port(), "matcher": free_port()}
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "REDIS_", "INTAKE_"))},
                **infra.env(),
                "INTAKE_PORT": str(ports["intake"]),
                "INTAKE_METRICS_PORT": "0",
                "INTAKE_RATE_LIMIT_PER_MINUTE": "1000000",
                "INTAKE_READ_RATE_LIMIT_PER_MINUTE": "1000000",  # the candidate list is polled every 20 ms
                "INTAKE_MATCHER_URL": f"http://127.0.0.1:{ports['matcher']}",
                "MATCHER_PORT": str(ports["matcher"]),
                "BROBYGGER_LOG_LEVEL": "WARNING",
            }
            for name in ports:
                log = (Path(tmp) / f"{name}.log").open("wb")
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "brobygger.cli", name],
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        preexec_fn=die_with_parent,
                        start_new_session=True,
                    )
                )
            api, matcher = (f"http://127.0.0.1:{ports[n]}" for n in ("intake", "matcher"))
            internal = {"X-Internal-Token": LOCAL_INTERNAL_TOKEN}
            _wait("the services", lambda: _ready(api) and _ready(matcher), 180)
            headers = {"Authorization": f"Bearer {mint('admin', 'bench-reverse', ttl_minutes=60)}"}
            with httpx.Client(base_url=api, timeout=30, headers=headers) as client:
                posted: dict[str, dict[str, Any]] = {}
                for item in data["opportunities"]:
                    r = client.post("/v1/opportunities", json=item["payload"])
                    assert r.status_code == 202, r.text
                    posted[r.json()["opportunity_id"]] = item["payload"]
                _wait("the catalogue", lambda: _stat(matcher, "catalogue_size") >= len(data["opportunities"]), 60)
                t = time.perf_counter()
                citizens = []
                for n in range(args.citizens):
                    r = client.post("/v1/citizens", json=data["intakes"][n % len(data["intakes"])])
                    assert r.status_code == 202, r.text
                    citizens.append(r.json()["citizen_id"])
                _wait("every first ranking", lambda: _stat(matcher, "rankings_sent") >= args.citizens, 600)

                def intake_has_read(citizen_id: str) -> bool:
                    return bool(client.get(f"/v1/citizens/{citizen_id}/proposals").json().get("status") == "ready")

                # Intake reads the rankings off the proposals topic behind the matcher: the timing starts
                # once it has read all of them, so a posting's proposals do not queue behind that backlog.
                for citizen_id in citizens:
                    _wait(f"intake to read the ranking of {citizen_id}", lambda c=citizen_id: intake_has_read(c), 600)
                print(f"# {args.citizens} citizens registered and ranked in {time.perf_counter() - t:.0f} s")
                # Postings the demo citizens fit (from their own rankings), re-posted as new opportunities:
                # each has many more fitting citizens than places, so "filled" means every place proposed.
                jobs = []
                for citizen_id in citizens[: len(data["intakes"])]:
                    body = client.get(f"/v1/citizens/{citizen_id}/proposals").json()
                    for p in body["proposals"][:2]:
                        if posted[p["opportunity_id"]] not in jobs:
                            jobs.append(posted[p["opportunity_id"]])
                print("| posting | capacity | candidates | seconds to filled |")
                print("|---|---|---|---|")
                times = []
                for job in jobs[: args.postings]:
                    want = job.get("capacity", 1) * 3
                    t = time.perf_counter()
                    r = client.post("/v1/opportunities", json=job)
                    assert r.status_code == 202, r.text
                    oid = r.json()["opportunity_id"]
                    found: list[Any] = []
                    while time.perf_counter() - t < 30:
                        r = client.get(f"/v1/opportunities/{oid}/candidates")
                        if r.status_code != 200:
                            raise RuntimeError(f"candidates of {oid}: {r.status_code} {r.text}")
                        found = r.json()["candidates"]
                        if len(found) >= want:
                            break
                        time.sleep(0.02)
                    took = time.perf_counter() - t
                    if len(found) >= want:
                        times.append(took)
                    print(f"| {job['title']} | {want // 3} | {len(found)} of {want} | {took:.2f} |", flush=True)
                    if len(found) < want:
                        stats = httpx.get(f"{matcher}/stats", timeout=5, headers=internal).json()
                        print(f"#   not filled; matcher: { {k: v for k, v in stats.items() if 'reverse' in k} }")
                if times:
                    median = statistics.median(times)
                    print(f"\nmedian time to a filled candidate list: {median:.2f} s ({len(times)} filled)")
        finally:
            for proc in procs:
                stop_process(proc, grace_s=10)
            infra.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
