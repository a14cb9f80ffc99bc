"""The matcher's and notifier's internal ports: nothing but health without the internal token, never a 500."""

from __future__ import annotations

import httpx
import pytest

from shared.settings import CommonSettings
from tests.conftest import InfraHandle
from tests.e2e.stack import running_stack, smtp_server

pytestmark = pytest.mark.e2e


async def test_internal_ports_serve_stats_docs_and_exports_to_the_internal_token_only(
    infra: InfraHandle, common: CommonSettings
) -> None:
    services = ("matcher", "notifier")
    async with smtp_server() as (_, smtp_port), running_stack(infra, common, smtp_port, services=services) as stack:
        async with httpx.AsyncClient(timeout=10) as client:
            for base in (stack.matcher, stack.notifier):
                export = f"{base}/internal/citizens/00000000-0000-4000-8000-000000000000/export"
                for path in ("/stats", "/docs", "/openapi.json", export.removeprefix(base)):
                    bare = await client.get(f"{base}{path}")
                    assert bare.status_code == 401, f"{base}{path}: {bare.status_code}"
                    # The probe's non-ASCII token answered 500; latin-1 bytes are what a header can carry.
                    odd = await client.get(f"{base}{path}", headers={"X-Internal-Token": "nøgle".encode("latin-1")})
                    assert odd.status_code == 401, f"{base}{path}: {odd.status_code}"
                    assert (await client.get(f"{base}{path}", headers=stack.internal)).status_code == 200
                health = await client.get(f"{base}/healthz")
                assert health.status_code == 200
                assert health.headers["X-Content-Type-Options"] == "nosniff"
                assert health.headers["Cache-Control"] == "no-store"
