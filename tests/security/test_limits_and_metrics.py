"""Writes and reads are rate-limited per token subject; metrics are served on an internal port, not the API's."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import httpx
import pytest

from shared.settings import CommonSettings
from tests.conftest import InfraHandle
from tests.e2e.stack import running_stack, smtp_server
from tests.helpers import bearer
from tests.samples import opportunity_payload

pytestmark = pytest.mark.e2e

LIMIT = 3


async def _until_limited(send: Callable[[], Awaitable[httpx.Response]]) -> list[httpx.Response]:
    """Send until the first 429; a minute boundary may reset the window once, so allow two windows' worth."""
    answers = []
    for _ in range(2 * LIMIT + 1):
        answers.append(r := await send())
        if r.status_code == 429:
            break
    return answers


async def test_a_token_over_its_write_or_read_limit_gets_429_with_retry_after_while_others_go_on(
    infra: InfraHandle, common: CommonSettings
) -> None:
    noisy, quiet = bearer("company", "12345678"), bearer("company", "87654321")
    reader, other_reader = bearer("admin", "reader-1"), bearer("admin", "reader-2")
    intake = {"rate_limit_per_minute": LIMIT, "read_rate_limit_per_minute": LIMIT}
    async with (
        smtp_server() as (_, smtp_port),
        running_stack(infra, common, smtp_port, services=("intake",), intake=intake) as stack,
    ):
        async with httpx.AsyncClient(base_url=stack.api, timeout=10) as client:
            answers = await _until_limited(
                lambda: client.post("/v1/opportunities", json=opportunity_payload(), headers=noisy)
            )
            limited = answers[-1]
            assert limited.status_code == 429, [a.status_code for a in answers]
            assert all(a.status_code == 202 for a in answers[:-1]) and len(answers) > LIMIT
            assert 1 <= int(limited.headers["Retry-After"]) <= 60
            assert limited.json()["error"] == "rate_limited"

            other = opportunity_payload(owner={"type": "company", "cvr": "87654321", "name": "Andet firma"})
            assert (await client.post("/v1/opportunities", json=other, headers=quiet)).status_code == 202
            # Reads have a budget of their own: a token over its write limit can still read.
            own = answers[0].json()["opportunity_id"]
            read = await client.get(f"/v1/opportunities/{own}/candidates", headers=noisy)
            assert read.status_code == 200, read.text

            # Reads are limited too, so one token cannot flood the audit trail with staff reads.
            reads = await _until_limited(lambda: client.get("/v1/audit", headers=reader))
            assert reads[-1].status_code == 429 and len(reads) > LIMIT, [a.status_code for a in reads]
            assert "read requests" in reads[-1].json()["message"]
            assert (await client.get("/v1/audit", headers=other_reader)).status_code == 200


async def test_metrics_count_requests_by_route_and_published_events_on_the_internal_port_only(
    infra: InfraHandle, common: CommonSettings
) -> None:
    async with smtp_server() as (_, smtp_port), running_stack(infra, common, smtp_port, services=("intake",)) as stack:
        async with httpx.AsyncClient(timeout=10) as client:
            r = await client.post(f"{stack.api}/v1/opportunities", json=opportunity_payload(), headers=bearer())
            assert r.status_code == 202
            await client.get(f"{stack.api}/v1/citizens/{r.json()['opportunity_id']}/proposals")  # a 401
            metrics = (await client.get(f"{stack.metrics}/metrics")).text
            on_the_api = await client.get(f"{stack.api}/metrics", headers=bearer())

    assert _value(metrics, "brobygger_intake_http_requests_total", route="/v1/opportunities", status="202") == 1
    assert (
        _value(
            metrics, "brobygger_intake_http_requests_total", route="/v1/citizens/{citizen_id}/proposals", status="401"
        )
        == 1
    )
    assert _value(metrics, "brobygger_intake_events_published_total", event_type="OpportunityRegistered") == 1
    assert "brobygger_intake_publish_failures" in metrics
    assert on_the_api.status_code == 404


async def test_a_broker_that_does_not_answer_shows_as_a_publish_failure(
    infra: InfraHandle, common: CommonSettings
) -> None:
    if infra.local is None:
        pytest.skip("needs the local broker process to pause")
    async with (
        smtp_server() as (_, smtp_port),
        running_stack(infra, common, smtp_port, services=("intake",), publish_timeout_s=1.0) as stack,
    ):
        async with httpx.AsyncClient(timeout=10) as client:
            infra.local.pause_broker()
            try:
                r = await client.post(f"{stack.api}/v1/opportunities", json=opportunity_payload(), headers=bearer())
            finally:
                infra.local.resume_broker()
            assert r.status_code == 503
            metrics = (await client.get(f"{stack.metrics}/metrics")).text
    assert _value(metrics, "brobygger_intake_publish_failures_total", event_type="OpportunityRegistered") == 1
    assert _value(metrics, "brobygger_intake_http_requests_total", route="/v1/opportunities", status="503") == 1


def _value(exposition: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in exposition.splitlines():
        match = re.match(rf"^{re.escape(name)}\{{(.*)\}} (\S+)$", line)
        if match and all(f'{k}="{v}"' in match.group(1) for k, v in labels.items()):
            total += float(match.group(2))
    return total
