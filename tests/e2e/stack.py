"""The three services on real HTTP servers in this process, over the session's broker and Redis."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

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


@asynccontextmanager
async def smtp_server() -> AsyncIterator[tuple[MailRecorder, int]]:
    recorder = MailRecorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, port
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
        "intake": lambda: intake_bootstrap(common, kafka, redis, intake_settings, clock=intake_clock),
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
                **{"ranking_digest": True, **(notifier or {})},
            ),
        ),
    }
    apps = {name: builders[name]() for name in services}
    servers = [
        uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=ports[name], log_config=None, lifespan="on"))
        for name, app in apps.items()
    ]
    tasks = [asyncio.create_task(server.serve()) for server in servers]
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
        await asyncio.gather(*tasks, return_exceptions=True)
