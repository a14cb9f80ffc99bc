"""The three services on real HTTP servers in this process, over the session's broker and Redis."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import io
import sys
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.message import Message
from typing import Any, TypeVar

import httpx
import uvicorn
from aiosmtpd.controller import Controller
from fastapi import FastAPI

from brobygger.infra import free_port
from services.intake.bootstrap import bootstrap as intake_bootstrap
from services.intake.config import IntakeSettings
from services.matcher.bootstrap import bootstrap as matcher_bootstrap
from services.matcher.config import MatcherSettings
from services.notifier.bootstrap import bootstrap as notifier_bootstrap
from services.notifier.config import NotifierSettings
from shared.settings import CommonSettings
from shared.webhooks import Resolver, system_resolver
from tests.conftest import InfraHandle
from tests.helpers import eventually


@dataclass
class MailRecorder:
    """An aiosmtpd handler that keeps every message it receives."""

    messages: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]


def body_of(message: Message, kind: str = "text/plain") -> str:
    """The decoded text (or `text/html`) part of a received e-mail."""
    for part in message.walk():
        if part.get_content_type() == kind:
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    return ""


R = TypeVar("R", bound=MailRecorder)


@asynccontextmanager
async def smtp_server(recorder: R | None = None) -> AsyncIterator[tuple[R, int]]:
    """An SMTP server on a free port that hands each e-mail to `recorder` (a new MailRecorder by default)."""
    handler = recorder if recorder is not None else MailRecorder()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port  # type: ignore[misc]
    finally:
        controller.stop()


@dataclass
class Stack:
    api: str
    matcher: str
    notifier: str
    apps: dict[str, FastAPI]
    metrics: str = ""
    namespace: str = ""
    #: The matcher's and notifier's ports serve their stats and docs to this token only.
    internal: dict[str, str] = field(default_factory=dict)

    async def matcher_stats(self) -> dict[str, Any]:
        return await self._stats(self.matcher)

    async def notifier_stats(self) -> dict[str, Any]:
        return await self._stats(self.notifier)

    async def _stats(self, base: str) -> dict[str, Any]:
        async with httpx.AsyncClient() as client:
            data: dict[str, Any] = (await client.get(f"{base}/stats", headers=self.internal)).json()
            return data


#: Digests without the quiet period and the daily limit, and quick retries, so tests need not wait.
FAST_DIGESTS: dict[str, Any] = {
    "digest_quiet_s": 0.0,
    "digest_min_interval_s": 0.0,
    "sweep_s": 0.2,
    "retry_initial_s": 0.2,
}


#: Seconds a test may hold the stack before its asyncio tasks are printed (pytest's own timeout is 300 s).
HANG_REPORT_S = 240.0
#: Seconds the services may take to stop once a test is done with them.
STOP_TIMEOUT_S = 60.0


def _print_tasks(loop: asyncio.AbstractEventLoop, why: str) -> None:
    """Where every task of `loop` waits: what a hung test needs to say, since pytest-timeout shows threads only."""
    out = io.StringIO()
    print(f"==== asyncio tasks: {why} ====", file=out)
    for task in asyncio.all_tasks(loop):
        task.print_stack(limit=12, file=out)
    print(out.getvalue(), file=sys.stderr, flush=True)


@asynccontextmanager
async def running_stack(
    infra: InfraHandle,
    common: CommonSettings,
    smtp_port: int,
    *,
    publish_timeout_s: float = 3.0,
    services: tuple[str, ...] = ("intake", "matcher", "notifier"),
    intake: dict[str, Any] | None = None,
    matcher: dict[str, Any] | None = None,
    notifier: dict[str, Any] | None = None,
    intake_clock: Callable[[], dt.datetime] | None = None,
    resolver: Resolver = system_resolver,
) -> AsyncIterator[Stack]:
    """`intake` overrides intake settings (e.g. a low `rate_limit_per_minute`); tokens from tests.helpers.bearer."""
    kafka, redis = infra.kafka_settings(), infra.redis_settings()
    ports = {name: free_port() for name in ("intake", "matcher", "notifier", "metrics")}
    intake_settings = IntakeSettings(
        port=ports["intake"],
        publish_timeout_s=publish_timeout_s,
        metrics_port=ports["metrics"],
        matcher_url=f"http://127.0.0.1:{ports['matcher']}",
        notifier_url=f"http://127.0.0.1:{ports['notifier']}",
        **(intake or {}),
    )
    builders = {
        "intake": lambda: intake_bootstrap(
            common, kafka, redis, intake_settings, clock=intake_clock, resolver=resolver
        ),
        "matcher": lambda: matcher_bootstrap(
            common, kafka, redis, MatcherSettings(port=ports["matcher"], **(matcher or {}))
        ),
        "notifier": lambda: notifier_bootstrap(
            common,
            kafka,
            redis,
            # The e-mail per ranking unless a test asks for the lifecycle's e-mail per approved proposal.
            NotifierSettings(
                port=ports["notifier"],
                smtp_port=smtp_port,
                contact_wait_s=10,
                public_url=f"http://127.0.0.1:{ports['intake']}",
                **{**FAST_DIGESTS, "ranking_digest": True, **(notifier or {})},
            ),
            resolver=resolver,
        ),
    }
    apps = {name: builders[name]() for name in services}
    servers = [
        uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=ports[name], log_config=None, lifespan="on"))
        for name, app in apps.items()
    ]
    tasks = [asyncio.create_task(server.serve()) for server in servers]
    loop = asyncio.get_running_loop()
    watchdog = threading.Timer(
        HANG_REPORT_S, lambda: loop.call_soon_threadsafe(_print_tasks, loop, f"still running after {HANG_REPORT_S:g} s")
    )
    watchdog.daemon = True
    watchdog.start()
    try:

        async def all_started() -> bool:
            for task in tasks:
                if task.done():
                    task.result()  # surfaces a start-up failure
            return all(server.started for server in servers)

        await eventually(all_started, 30, "the services to start")
        stack = Stack(
            api=f"http://127.0.0.1:{ports['intake']}",
            matcher=f"http://127.0.0.1:{ports['matcher']}",
            notifier=f"http://127.0.0.1:{ports['notifier']}",
            apps=apps,
            metrics=f"http://127.0.0.1:{ports['metrics']}",
            namespace=common.namespace,
            internal={"X-Internal-Token": common.internal_token.get_secret_value()},
        )

        async def ready() -> bool:
            async with httpx.AsyncClient() as client:
                for name in services:
                    url = getattr(stack, "api" if name == "intake" else name)
                    if (await client.get(f"{url}/readyz")).status_code != 200:
                        return False
            return True

        await eventually(ready, 30, "the services to be ready")
        yield stack
    finally:
        for server in servers:
            server.should_exit = True
        _, pending = await asyncio.wait(tasks, timeout=STOP_TIMEOUT_S)
        watchdog.cancel()
        if pending:
            _print_tasks(loop, f"{len(pending)} service(s) not stopped {STOP_TIMEOUT_S:g} s after the test")
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            if sys.exc_info()[1] is None:  # never hide the test's own failure
                raise AssertionError(f"{len(pending)} service(s) did not stop in {STOP_TIMEOUT_S:g} s; tasks printed")
