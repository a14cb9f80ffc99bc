"""One intake over the session's real broker and Redis for a whole module, with a seeded world."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from tests.conftest import InfraHandle
from tests.e2e.stack import Stack, running_stack, smtp_server
from tests.security.world import World, fresh_common


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def intake(infra: InfraHandle) -> AsyncIterator[Stack]:
    common = fresh_common(infra)
    async with smtp_server() as (_, smtp_port), running_stack(infra, common, smtp_port, services=("intake",)) as stack:
        yield stack


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(intake: Stack) -> World:
    seeded = World(api=intake.api)
    async with httpx.AsyncClient(timeout=10) as client:
        await seeded.seed(client)
    return seeded


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def operations(intake: Stack) -> list[tuple[str, str]]:
    """Every (method, path template) in intake's OpenAPI document but the public health checks."""
    async with httpx.AsyncClient(timeout=10) as client:
        document = (await client.get(f"{intake.api}/openapi.json")).json()
    public = {"/healthz", "/readyz"}
    found = [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if path not in public and method in ("get", "post", "put", "patch", "delete")
    ]
    assert found, "the OpenAPI document lists no endpoints"
    return sorted(found)
