"""Every endpoint, enumerated from the OpenAPI document, turns away a request without a valid token: 401."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

import httpx
import jwt
import pytest

from tests.e2e.stack import Stack
from tests.helpers import token

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

WRONG_SECRET = "somebody-elses-secret-that-is-long-enough"


def _unsigned() -> str:
    now = int(time.time())
    claims = {"iss": "brobygger-local", "aud": "brobygger-intake", "sub": "x", "role": "admin", "exp": now + 600}
    return jwt.encode(claims, None, algorithm="none")


def _without_expiry() -> str:
    claims = {"iss": "brobygger-local", "aud": "brobygger-intake", "sub": "x", "role": "admin"}
    from services.intake.config import LOCAL_JWT_SECRET

    return jwt.encode(claims, LOCAL_JWT_SECRET, algorithm="HS256")


# (label, Authorization header value or None, the `error` code the answer must carry)
BAD_CREDENTIALS: list[tuple[str, Callable[[], str | None], str]] = [
    ("no token", lambda: None, "missing_token"),
    ("not a bearer scheme", lambda: "Basic dXNlcjpwYXNz", "missing_token"),
    ("not a JWT", lambda: "Bearer not.a.jwt", "malformed_token"),
    ("expired", lambda: f"Bearer {token(expires_in_s=-3600)}", "token_expired"),
    ("signed with another key", lambda: f"Bearer {token(secret=WRONG_SECRET)}", "invalid_signature"),
    ("another audience", lambda: f"Bearer {token(audience='some-other-api')}", "wrong_audience"),
    ("another issuer", lambda: f"Bearer {token(issuer='https://evil.example')}", "wrong_issuer"),
    ("unsigned (alg none)", lambda: f"Bearer {_unsigned()}", "wrong_algorithm"),
    ("no expiry", lambda: f"Bearer {_without_expiry()}", "missing_claim"),
    ("unknown role", lambda: f"Bearer {token(role='superuser')}", "invalid_claims"),
    ("caseworker without municipality", lambda: f"Bearer {token(role='caseworker')}", "invalid_claims"),
    ("absurdly long", lambda: f"Bearer {'a' * 9000}", "malformed_token"),
]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)


@pytest.mark.parametrize(("label", "credential", "code"), BAD_CREDENTIALS, ids=[c[0] for c in BAD_CREDENTIALS])
async def test_every_endpoint_answers_401_with_a_bearer_challenge_and_never_echoes_the_token(
    intake: Stack, operations: list[tuple[str, str]], label: str, credential: Callable[[], str | None], code: str
) -> None:
    value = credential()
    headers = {"Authorization": value} if value is not None else {}
    async with httpx.AsyncClient(base_url=intake.api, timeout=10) as client:
        for method, path in operations:
            body = b"{}" if method in ("POST", "PUT", "PATCH") else None
            r = await client.request(
                method, _concrete(path), content=body, headers={**headers, "content-type": "application/json"}
            )
            where = f"{label}: {method} {path}"
            assert r.status_code == 401, f"{where}: {r.status_code} {r.text}"
            assert r.headers["www-authenticate"].startswith("Bearer"), where
            assert r.json()["error"] == code, f"{where}: {r.json()}"
            if value is not None:
                secret_part = value.split(" ", 1)[-1]
                assert secret_part not in r.text and secret_part not in str(r.headers), where


async def test_health_checks_and_local_docs_need_no_token(intake: Stack) -> None:
    async with httpx.AsyncClient(base_url=intake.api, timeout=10) as client:
        for path in ("/healthz", "/readyz", "/docs", "/openapi.json", "/redoc"):
            assert (await client.get(path)).status_code == 200, path


async def test_an_unknown_path_answers_401_to_a_stranger_so_the_api_cannot_be_mapped(intake: Stack) -> None:
    async with httpx.AsyncClient(base_url=intake.api, timeout=10) as client:
        assert (await client.get("/v1/admin/secrets")).status_code == 401
        assert (await client.get("/metrics")).status_code == 401


async def test_the_openapi_document_declares_the_bearer_scheme_on_protected_endpoints(intake: Stack) -> None:
    async with httpx.AsyncClient(base_url=intake.api, timeout=10) as client:
        document = (await client.get("/openapi.json")).json()
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert {"bearer": []} in document["paths"]["/v1/citizens/{citizen_id}/proposals"]["get"]["security"]
