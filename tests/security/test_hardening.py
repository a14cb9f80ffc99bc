"""The smaller findings: Redis calls that do not tell unknown from out-of-scope, an indexed audit trail,
security headers, and a citizen's own erasure that their caseworker hears of."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import redis

from tests.conftest import InfraHandle
from tests.e2e.stack import Stack
from tests.helpers import bearer
from tests.security.world import World

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


async def _redis_calls(infra: InfraHandle, namespace: str, act: Callable[[], Awaitable[Any]]) -> list[str]:
    """The Redis commands (ids replaced by <id>) that touch this namespace while `act` runs, via MONITOR."""
    client = redis.Redis.from_url(infra.redis_url)
    started, lines = threading.Event(), []
    sentinel = f"end-{uuid.uuid4().hex}"

    def listen() -> None:
        with client.monitor() as monitor:
            started.set()
            for command in monitor.listen():
                if sentinel in command["command"]:
                    return
                lines.append(command["command"])

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    assert started.wait(5)
    await act()
    other = redis.Redis.from_url(infra.redis_url)
    other.echo(sentinel)
    other.close()
    thread.join(10)
    client.close()
    calls = [line for line in lines if namespace in line]
    # A rate-limit window may turn between two requests: its number is not what is compared.
    return [re.sub(r"ratelimit(-\w+)?:(\w+):\d+", r"ratelimit\1:\2:<w>", _UUID.sub("<id>", c)) for c in calls]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/citizens/{id}/export", None),
        ("DELETE", "/v1/citizens/{id}", None),
        ("POST", "/v1/citizens/{id}/proposals/" + str(uuid.uuid4()) + "/decision", {"decision": "approve"}),
    ],
    ids=["export", "erase", "decision"],
)
async def test_an_unknown_citizen_and_one_outside_the_callers_scope_make_the_same_redis_calls(
    infra: InfraHandle, intake: Stack, world: World, method: str, path: str, body: dict[str, str] | None
) -> None:
    caseworker = world.headers("caseworker_home")
    answers: list[httpx.Response] = []

    async def call(citizen: str) -> None:
        async with httpx.AsyncClient(base_url=intake.api, timeout=10) as client:
            answers.append(await client.request(method, path.format(id=citizen), json=body, headers=caseworker))

    outside = await _redis_calls(infra, intake.namespace, lambda: call(world.other_citizen))
    unknown = await _redis_calls(infra, intake.namespace, lambda: call(str(uuid.uuid4())))
    assert [a.status_code for a in answers] == [404, 404]
    assert outside and outside == unknown


async def test_a_filtered_audit_read_reads_the_citizens_own_entries_not_the_whole_trail(
    infra: InfraHandle, intake: Stack, world: World
) -> None:
    async with httpx.AsyncClient(base_url=intake.api, timeout=10) as client:
        for _ in range(3):
            await client.get(f"/v1/citizens/{world.citizen}/proposals", headers=world.headers("caseworker_home"))

        async def read() -> None:
            r = await client.get("/v1/audit", params={"citizen_id": world.citizen}, headers=world.admin)
            assert r.status_code == 200 and len(r.json()["entries"]) >= 3
            assert {e["citizen_id"] for e in r.json()["entries"]} == {world.citizen}

        calls = await _redis_calls(infra, intake.namespace, read)
    reads = [c for c in calls if c.upper().startswith("XREVRANGE")]
    assert reads and all("audit:citizen:<id>" in c for c in reads), reads
    by_actor = await _redis_calls(infra, intake.namespace, lambda: _audit(intake, world, actor_id="cw-home"))
    assert all("audit:actor:" in c for c in by_actor if c.upper().startswith("XREVRANGE"))


async def _audit(intake: Stack, world: World, **params: str) -> None:
    async with httpx.AsyncClient(base_url=intake.api, timeout=10) as client:
        r = await client.get("/v1/audit", params=params, headers=world.admin)
        assert r.status_code == 200 and all(e["actor_id"] == params["actor_id"] for e in r.json()["entries"])


async def test_every_answer_carries_security_headers_and_none_may_be_cached(intake: Stack, world: World) -> None:
    async with httpx.AsyncClient(base_url=intake.api, timeout=10) as client:
        answers = [
            await client.get(f"/v1/citizens/{world.citizen}/proposals", headers=world.headers("caseworker_home")),
            await client.get(f"/v1/citizens/{world.citizen}/proposals"),  # 401
            await client.get("/healthz"),
        ]
        docs = await client.get("/docs")
        page = await client.get("/app/login")
    for r in answers:
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Cache-Control"] == "no-store"
        assert r.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    # The docs and the pages load only from intake itself (no CDN); the pages run no inline code.
    assert (
        "script-src 'self'" in docs.headers["Content-Security-Policy"]
        and "http" not in docs.headers["Content-Security-Policy"]
    )
    page_csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in page_csp and "unsafe-inline" not in page_csp and "form-action 'self'" in page_csp


async def test_a_citizen_erases_their_own_data_at_once_and_their_caseworker_is_told(
    intake: Stack, world: World
) -> None:
    async with httpx.AsyncClient(base_url=intake.api, timeout=10) as client:
        citizen = await world.new_citizen(client)
        r = await client.delete(f"/v1/citizens/{citizen}", headers=bearer("citizen", citizen))
        assert r.status_code == 202 and r.json()["status"] == "erased", r.text
        home = (await client.get("/v1/notices", headers=world.headers("caseworker_home"))).json()
        away = (await client.get("/v1/notices", headers=world.headers("caseworker_away"))).json()
    assert {"citizen_id": citizen, "event": "erased_by_citizen"}.items() <= home["notices"][0].items()
    assert citizen not in str(away)
