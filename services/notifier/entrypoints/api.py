"""The notifier's HTTP surface: liveness, readiness and counters."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, FastAPI, Header, Request
from fastapi.responses import JSONResponse

health = APIRouter(tags=["health"])


@health.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@health.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Ready when the broker and Redis answer."""
    check: Callable[[], Awaitable[dict[str, bool]]] = request.app.state.readiness
    checks = await check()
    ok = all(checks.values())
    return JSONResponse(status_code=200 if ok else 503, content={"status": "ready" if ok else "not_ready", **checks})


@health.get("/stats")
async def stats(request: Request) -> dict[str, object]:
    """Counters: processed, retried and dead-lettered messages."""
    produce: Callable[[], dict[str, object]] = request.app.state.stats
    return produce()


internal = APIRouter(prefix="/internal", tags=["internal"])


@internal.get("/citizens/{citizen_id}/export")
async def export_citizen(
    citizen_id: uuid.UUID, request: Request, x_internal_token: Annotated[str | None, Header()] = None
) -> JSONResponse:
    """Everything the notifier holds about one citizen (right of access); internal token required."""
    if not request.app.state.common.internal_token_matches(x_internal_token):
        return JSONResponse(status_code=401, content={"error": "unauthorized", "message": "internal token required"})
    export: Callable[[uuid.UUID], Awaitable[dict[str, object]]] = request.app.state.export
    return JSONResponse(content=await export(citizen_id))


def include_routers(app: FastAPI) -> None:
    app.include_router(health)
    app.include_router(internal)
