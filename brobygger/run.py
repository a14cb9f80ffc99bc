"""`brobygger run`: the whole system on one machine, in the foreground, until Ctrl-C."""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

import httpx

from brobygger import demo_history
from brobygger.demo import load_demo
from brobygger.infra import (
    LocalInfra,
    create_topics,
    die_with_parent,
    free_port,
    private_dir,
    stop_process,
    write_private,
)
from brobygger.smtp_sink import start_sink
from brobygger.token import mint
from shared.settings import CommonSettings

ESCO_LINE = "This service uses the ESCO classification of the European Commission."
DANISH_LABELS_LINE = (
    "Danish occupation labels adapted from ESCO v1.0.8 (European Commission) "
    "via the MELO benchmark (Avature, MIT licence)."
)


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class _Stop(Exception):
    pass


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def _wait_ready(name: str, url: str, proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with code {proc.returncode} while starting; see its log above")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{name} was not ready within {timeout_s:g} s ({url}/readyz)")


def _warm_suggestions(api: str) -> None:
    """The matcher builds its ESCO autocomplete on first use (about 2 s): ask once so the form is ready."""
    with contextlib.suppress(httpx.HTTPError):
        httpx.get(f"{api}/v1/esco/suggest", params={"q": "kok"}, headers={"Authorization": f"Bearer {_demo_token()}"})


def _demo_token() -> str:
    return mint("caseworker", "caseworker-demo", municipality="316", ttl_minutes=12 * 60)


def local_kek_file(workdir: Path) -> Path:
    """A random key-encryption key for this run folder (0600), made once; production uses a KMS or Vault."""
    path = (workdir / "kek").resolve()
    if not path.exists():
        write_private(path, base64.b64encode(secrets.token_bytes(32)) + b"\n")
    return path


def fresh_data_dir(path: Path) -> bool:
    """Remove a previous run's Redis data; True if there was any.

    The local broker keeps nothing between runs (memory only) while Redis kept its data: a second
    run on that data would have intake's idempotency keys (so the demo catalogue is not published
    again) over empty topics, and the matcher would rank every citizen against an empty catalogue.
    """
    if not path.exists() or not any(path.iterdir()):
        return False
    shutil.rmtree(path)
    return True


def run(workdir: Path, api_port: int, demo: bool, ready_timeout_s: float = 120.0) -> int:
    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)
    private_dir(workdir)
    mail_dir = (workdir / "mail").resolve()
    infra: LocalInfra | None = None
    sink = None
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        env = dict(os.environ)
        if not env.get("BROBYGGER_KEK") and not env.get("BROBYGGER_KEK_FILE"):
            env["BROBYGGER_KEK_FILE"] = str(local_kek_file(workdir))
        if env.get("KAFKA_BOOTSTRAP_SERVERS") and env.get("REDIS_URL"):
            print("Using KAFKA_BOOTSTRAP_SERVERS and REDIS_URL from the environment.", flush=True)
            # Topics must exist before the matcher replays the catalogue; creating them is idempotent.
            create_topics(env["KAFKA_BOOTSTRAP_SERVERS"], list(CommonSettings().topics.all()))
        else:
            data = (workdir / "data").resolve()
            if fresh_data_dir(data):
                print(
                    f"The local broker keeps nothing between runs, so this run starts empty ({data} removed).",
                    flush=True,
                )
            print("Starting the local Kafka-protocol broker (Tansu) and Redis ...", flush=True)
            infra = LocalInfra(data_dir=data).start()
            env.update(infra.env())
        smtp_port = free_port()
        sink = start_sink(mail_dir, smtp_port)
        if not _port_free(api_port):
            api_port = free_port()
        ports = {"intake": api_port, "matcher": free_port(), "notifier": free_port()}
        env.update(
            {
                "INTAKE_PORT": str(ports["intake"]),
                "INTAKE_METRICS_PORT": str(free_port()),
                "MATCHER_PORT": str(ports["matcher"]),
                "INTAKE_MATCHER_URL": f"http://127.0.0.1:{ports['matcher']}",
                "INTAKE_NOTIFIER_URL": f"http://127.0.0.1:{ports['notifier']}",
                "NOTIFIER_PORT": str(ports["notifier"]),
                "NOTIFIER_SMTP_HOST": "127.0.0.1",
                "NOTIFIER_SMTP_PORT": str(smtp_port),
            }
        )
        for name in ports:
            procs[name] = subprocess.Popen(
                [sys.executable, "-m", "brobygger.cli", name],
                env=env,
                preexec_fn=die_with_parent,
            )
        for name, port in ports.items():
            _wait_ready(name, f"http://127.0.0.1:{port}", procs[name], ready_timeout_s)
        api = f"http://127.0.0.1:{ports['intake']}"
        if demo:
            print("Loading the Holbæk demo catalogue ...", flush=True)
            load_demo(api)
            # After the sample intakes, so the matcher ranks those first.
            written = demo_history.load(api, env, demo_history.history())
            print(f"  {demo_history.PEOPLE} invented citizens, {written} past events (the KPI report)", flush=True)
            _warm_suggestions(api)
        print(
            "\n".join(
                [
                    "",
                    "Brobygger is running.",
                    f"  Web pages:       {api}/app  (sign in as the Holbæk caseworker, the company Blankpudset",
                    "                   Rengøring (CVR 99000001), the association Fjordbold Holbæk, or an admin)",
                    f"  API docs:        {api}/docs",
                    f"  Health:          {api}/healthz  {api}/readyz",
                    f"  Metrics:         http://127.0.0.1:{env['INTAKE_METRICS_PORT']}/metrics  (internal)",
                    f"  Caseworker token (Holbæk, 12 h): {_demo_token()}",
                    "    use it as `Authorization: Bearer <token>`; mint others with",
                    "    brobygger token --role ROLE --subject ID [--municipality CODE] [--ttl MINUTES]",
                    f"  E-mail folder:   {mail_dir}  (each e-mail sent is an .eml file)",
                    f"  Kafka:           {env['KAFKA_BOOTSTRAP_SERVERS']}",
                    "  Redis:           " + env["REDIS_URL"].split("@")[-1],
                    "",
                    ESCO_LINE,
                    DANISH_LABELS_LINE,
                    "",
                    "Press Ctrl-C to stop everything.",
                ]
            ),
            flush=True,
        )
        while True:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    print(
                        f"{name} stopped unexpectedly (exit code {proc.returncode}); stopping everything.", flush=True
                    )
                    return 1
            time.sleep(0.5)
    except _Stop:
        print("\nStopping ...", flush=True)
        return 0
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for proc in procs.values():
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            stop_process(proc, grace_s=10.0)
        if sink is not None:
            sink.stop()
        if infra is not None:
            infra.stop()
        print("Stopped.", flush=True)
