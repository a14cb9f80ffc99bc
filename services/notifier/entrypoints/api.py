"""The notifier's HTTP surface: liveness, readiness and counters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Request
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


def include_routers(app: FastAPI) -> None:
    app.include_router(health)
