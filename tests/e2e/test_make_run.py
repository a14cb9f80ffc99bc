"""`make run` starts everything, answers its health checks, and Ctrl-C leaves no process behind."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import psutil
import pytest

from brobygger.demo_history import MAIN_KPIS, history
from brobygger.infra import free_port
from services.intake.domain import kpi
from tests.unit.test_demo_history import facts_of

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def test_make_run_starts_serves_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("KAFKA_BOOTSTRAP_SERVERS", "REDIS_URL", "MAKEFLAGS", "MAKELEVEL")
    }
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"RUN_ARGS=--workdir {tmp_path} --port {port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    output: list[str] = []
    try:
        deadline = time.monotonic() + 180
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline().decode(errors="replace")
            if not line and proc.poll() is not None:
                break
            output.append(line)
            if "Press Ctrl-C" in line:
                break
        text = "".join(output)
        assert "Press Ctrl-C" in text, text[-3000:]
        assert "This service uses the ESCO classification of the European Commission." in text
        api = re.search(r"API docs:\s+(http://\S+)/docs", text)
        assert api, text
        assert httpx.get(f"{api.group(1)}/healthz", timeout=5).status_code == 200
        assert httpx.get(f"{api.group(1)}/readyz", timeout=5).status_code == 200
        docs = httpx.get(f"{api.group(1)}/docs", timeout=5)
        assert docs.status_code == 200 and "cdn" not in docs.text  # Swagger UI from the package, not a CDN
        assert httpx.get(f"{api.group(1)}/docs-assets/swagger-ui-bundle.js", timeout=5).status_code == 200
        assert f"{api.group(1)}/app" in text  # the web pages' address
        assert "Log ind" in httpx.get(f"{api.group(1)}/app/login", timeout=5).text
        _the_kpi_report_shows_figures(api.group(1), text)
        family = psutil.Process(proc.pid).children(recursive=True)
        names = " ".join(" ".join(p.cmdline()) for p in family)
        assert "tansu" in names and "redis-server" in names and "brobygger.cli intake" in names

        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        rest, _ = proc.communicate(timeout=60)
        assert "Stopped." in rest.decode(errors="replace")
        _, still_running = psutil.wait_procs(family, timeout=15)
        alive = [p for p in still_running if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert alive == [], [p.cmdline() for p in alive]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def _the_kpi_report_shows_figures(api: str, printed: str) -> None:
    token = re.search(r"Caseworker token \(Holbæk, 12 h\): (\S+)", printed)
    assert token, printed
    headers = {"Authorization": f"Bearer {token.group(1)}"}
    # What the report must say about the invented past, worked out here from the same seed and day.
    today = dt.date.today()
    expected = kpi.build(
        [facts_of(p, today) for p in history(today)], "316", kpi.Period(dt.date(today.year, 1, 1), today), kpi.Targets()
    )
    wanted = {r.key: r.total for r in expected.rows if r.key in MAIN_KPIS and r.key != "citizens"}
    assert all(isinstance(v, int) for v in wanted.values()), wanted  # figures, not "<5"
    deadline = time.monotonic() + 60  # the read model follows the topics
    while True:
        report = httpx.get(f"{api}/v1/kpi", headers=headers, timeout=5).json()
        shown = {k: report["rows"][k]["total"] for k in wanted}
        if shown == wanted or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert shown == wanted
    assert report["rows"]["citizens"]["total"] >= 200
    for rate in ("rate_employed_12", "rate_danish_within_5", "rate_association", "rate_in_work_3_years"):
        assert isinstance(report["rates"][rate]["total"], float), rate
    assert isinstance(report["rows"]["job_started"]["by_gender"]["female"], int)
    page = httpx.get(f"{api}/v1/kpi", params={"format": "csv"}, headers=headers, timeout=5).text
    assert "Fiktiv" not in page and "fiktiv" not in page  # no name in the report
