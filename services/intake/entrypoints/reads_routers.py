"""The read routers, in one place for the bootstrap."""

from __future__ import annotations

from fastapi import FastAPI

from services.intake.entrypoints import esco_api, kpi_api, read_api


def include_read_routers(app: FastAPI) -> None:
    for router in (read_api.citizens, read_api.opportunities, esco_api.router, kpi_api.router):
        app.include_router(router)
