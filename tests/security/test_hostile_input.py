"""Bodies built to hurt: each gets a clear 4xx naming the problem, and intake goes on serving."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.e2e.stack import Stack
from tests.helpers import bearer
from tests.samples import profile_payload

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

JSON = {"content-type": "application/json"}
DEPTH = 10_000


async def _chunks(total: int) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        yield b"x" * 65_536
        sent += 65_536


HOSTILE: list[tuple[str, dict[str, object], int, str]] = [
    ("declared oversized body", {"content": b"{" + b" " * 300_000 + b"}", "headers": JSON}, 413, "body_too_large"),
    (
        "streamed oversized body without a length",
        {"content": _chunks(1_000_000), "headers": JSON},
        413,
        "body_too_large",
    ),
    ("arrays nested 10,000 deep", {"content": b"[" * DEPTH + b"]" * DEPTH, "headers": JSON}, 400, "too_deeply_nested"),
    (
        "objects nested 10,000 deep",
        {"content": b'{"a":' * DEPTH + b"1" + b"}" * DEPTH, "headers": JSON},
        400,
        "too_deeply_nested",
    ),
    ("invalid UTF-8", {"content": b'{"home_town": "Holb\xe6k \xff\xfe"}', "headers": JSON}, 400, "invalid_utf8"),
    ("plain text", {"content": b"name=x", "headers": {"content-type": "text/plain"}}, 415, "unsupported_media_type"),
    ("XML", {"content": b"<citizen/>", "headers": {"content-type": "application/xml"}}, 415, "unsupported_media_type"),
    (
        "a form",
        {"content": b"--b\r\n\r\nx\r\n--b--", "headers": {"content-type": "multipart/form-data; boundary=b"}},
        415,
        "unsupported_media_type",
    ),
    ("no content type", {"content": b"{}"}, 415, "unsupported_media_type"),
    ("broken JSON", {"content": b'{"personal": ', "headers": JSON}, 422, "invalid_input"),
    ("a JSON string instead of an object", {"content": b'"hello"', "headers": JSON}, 422, "invalid_input"),
]


@pytest.mark.parametrize(("label", "request_kw", "status", "code"), HOSTILE, ids=[h[0] for h in HOSTILE])
async def test_a_hostile_body_gets_a_clear_4xx_and_the_service_keeps_serving(
    intake: Stack, label: str, request_kw: dict[str, object], status: int, code: str
) -> None:
    async with httpx.AsyncClient(base_url=intake.api, timeout=30, headers=bearer()) as client:
        kw = dict(request_kw)
        if label.startswith("streamed"):
            kw["content"] = _chunks(1_000_000)  # a generator is used up by one request
        r = await client.post("/v1/citizens", **kw)  # type: ignore[arg-type]
        assert r.status_code == status, f"{label}: {r.status_code} {r.text[:300]}"
        assert r.json()["error"] == code and r.json()["message"], label
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.post("/v1/citizens", json=profile_payload())).status_code == 202


async def test_a_header_flood_is_refused_or_cut_off_and_the_service_keeps_serving(intake: Stack) -> None:
    floods = [
        {"Authorization": "Bearer " + "a" * 200_000},
        {f"x-junk-{i}": "y" * 100 for i in range(500)},
    ]
    async with httpx.AsyncClient(base_url=intake.api, timeout=30) as client:
        for headers in floods:
            try:
                r = await client.get("/v1/audit", headers=headers)
            except httpx.TransportError:
                pass  # the HTTP server may hang up on a request it will not parse; that is a refusal too
            else:
                assert 400 <= r.status_code < 500, r.status_code
            assert (await client.get("/healthz")).status_code == 200
        r = await client.post("/v1/citizens", json=profile_payload(), headers=bearer())
        assert r.status_code == 202


async def test_a_profile_with_a_cpr_number_in_free_text_is_refused_naming_the_field(intake: Stack) -> None:
    profile = profile_payload(previous_jobs=[{"title": "lagerarbejder, cpr 010190-1234", "years": 2}])
    async with httpx.AsyncClient(base_url=intake.api, timeout=10, headers=bearer()) as client:
        r = await client.post("/v1/citizens", json=profile)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["problems"][0]["field"] == "previous_jobs.0.title" and "CPR" in body["message"]
    assert "010190" not in r.text  # the number itself is not echoed
