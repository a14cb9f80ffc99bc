"""The operational HTTP surface every stream service shares: liveness, readiness, counters, export.

The matcher and the notifier have no public API; this is all they serve, on an internal port.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Annotated

from fastapi import APIRouter, FastAPI, Header, Request
from fastapi.responses import JSONResponse

from shared.settings import CommonSettings
from shared.web_security import InternalGate, SecurityHeaders

#: Served without the internal token: an orchestrator's liveness and readiness probes.
PUBLIC_PATHS = frozenset({"/healthz", "/readyz"})

health = APIRouter(tags=["health"])


@health.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@health.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Ready when the catalogue is replayed and the broker and Redis answer."""
    check: Callable[[], Awaitable[dict[str, bool]]] = request.app.state.readiness
    checks = await check()
    ok = all(checks.values())
    return JSONResponse(status_code=200 if ok else 503, content={"status": "ready" if ok else "not_ready", **checks})


@health.get("/stats")
async def stats(request: Request) -> dict[str, object]:
    """Counters: processed, retried and dead-lettered messages; catalogue size (internal token required)."""
    produce: Callable[[], dict[str, object]] = request.app.state.stats
    return produce()


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


def ops_app(
    title: str,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
    common: CommonSettings,
    readiness: Callable[[], Awaitable[dict[str, bool]]],
    stats: Callable[[], dict[str, object]],
    export: Callable[[uuid.UUID], Awaitable[dict[str, object]]],
) -> FastAPI:
    """The ASGI app of a stream service: its lifespan runs the consumers, its routes report on them."""
    app = FastAPI(title=title, version="0.1.0", lifespan=lifespan)
    app.state.common = common
    app.state.readiness = readiness
    app.state.stats = stats
    app.state.export = export
    app.include_router(health)
    app.include_router(internal)
    app.add_middleware(InternalGate, token_matches=common.internal_token_matches, public=PUBLIC_PATHS)
    app.add_middleware(SecurityHeaders)
    return app
