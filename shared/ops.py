"""The operational HTTP surface every stream service shares: liveness, readiness, counters, metrics, export.

The matcher and the notifier have no public API; this is all they serve, on an internal port. The
HTTP server is up while the consumers still join their groups: `/healthz` (liveness) answers at
once, `/readyz` (readiness) says what is still missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, FastAPI, Header, Request
from fastapi.responses import JSONResponse, Response
from faststream.kafka import KafkaBroker
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared import background
from shared.guard import MessageGuard
from shared.messaging import start_consumers, stop_consumers
from shared.settings import CommonSettings
from shared.web_security import InternalGate, SecurityHeaders

#: Served without the internal token: the orchestrator's probes and Prometheus (counters, no ids).
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

log = logging.getLogger(__name__)

Readiness = Callable[[], Awaitable[dict[str, object]]]

health = APIRouter(tags=["health"])


@health.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive (it may still be joining its consumer groups)."""
    return {"status": "ok"}


@health.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Ready when the consumers have joined, no partition waits on a server, and the broker and Redis answer."""
    check: Readiness = request.app.state.readiness
    checks = await check()
    ok = all(value for value in checks.values() if isinstance(value, bool))
    return JSONResponse(status_code=200 if ok else 503, content={"status": "ready" if ok else "not_ready", **checks})


@health.get("/stats")
async def stats(request: Request) -> dict[str, object]:
    """Counters: processed, retried, skipped and dead-lettered records; catalogue size (internal token required)."""
    produce: Callable[[], dict[str, object]] = request.app.state.stats
    return produce()


@health.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus metrics of this service's consumers (internal port only)."""
    guard: MessageGuard = request.app.state.guard
    return Response(generate_latest(guard.metrics.registry), media_type=CONTENT_TYPE_LATEST)


internal = APIRouter(prefix="/internal", tags=["internal"])


@internal.get("/citizens/{citizen_id}/export")
async def export_citizen(
    citizen_id: uuid.UUID, request: Request, x_internal_token: Annotated[str | None, Header()] = None
) -> JSONResponse:
    """Everything this service holds about one citizen (right of access); internal token required."""
    if not request.app.state.common.internal_token_matches(x_internal_token):
        return JSONResponse(status_code=401, content={"error": "unauthorized", "message": "internal token required"})
    export: Callable[[uuid.UUID], Awaitable[dict[str, object]]] = request.app.state.export
    return JSONResponse(content=await export(citizen_id))


class Consumers:
    """The stream side of a service: joins its consumer groups in the background, reports, stops."""

    def __init__(self, broker: KafkaBroker, guard: MessageGuard, shutdown_timeout_s: float) -> None:
        self.broker = broker
        self.guard = guard
        self.shutdown_timeout_s = shutdown_timeout_s
        self._task: asyncio.Task[None] | None = None
        self.problem = "not started"

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        self._task = asyncio.create_task(self._start(), name="join-consumer-groups")
        try:
            yield
        finally:
            await background.stop(self._task)
            await stop_consumers(self.broker, self.guard, self.shutdown_timeout_s)

    async def _start(self) -> None:
        attempt = 0
        self.problem = "joining the consumer groups"
        while True:
            try:
                await start_consumers(self.broker)
            except Exception as exc:  # the broker is not there yet: try again with backoff
                attempt += 1
                self.problem = f"cannot join the consumer groups: {type(exc).__name__}: {exc}"
                log.warning("%s; retry %d", self.problem, attempt)
                with contextlib.suppress(Exception):
                    await self.broker.stop()
                await asyncio.sleep(self.guard.backoff_s(attempt))
            else:
                self.problem = ""
                return

    def checks(self) -> dict[str, object]:
        waiting = self.guard.waiting()
        blocked = self.guard.waiting(on_servers_only=True)
        out: dict[str, object] = {"consumers_joined": not self.problem, "consuming": not blocked}
        if self.problem:
            out["consumers_problem"] = self.problem
        if waiting:
            out["waiting_on"] = waiting
        return out


def ops_app(
    title: str,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
    common: CommonSettings,
    readiness: Readiness,
    stats: Callable[[], dict[str, object]],
    export: Callable[[uuid.UUID], Awaitable[dict[str, object]]],
    guard: MessageGuard,
) -> FastAPI:
    """The ASGI app of a stream service: its lifespan runs the consumers, its routes report on them."""
    app = FastAPI(title=title, version="0.1.0", lifespan=lifespan)
    app.state.common = common
    app.state.readiness = readiness
    app.state.stats = stats
    app.state.export = export
    app.state.guard = guard
    app.include_router(health)
    app.include_router(internal)
    app.add_middleware(InternalGate, token_matches=common.internal_token_matches, public=PUBLIC_PATHS)
    app.add_middleware(SecurityHeaders)
    return app
