"""Production mode refuses the local defaults; RS256 through a JWKS works; secrets never reach a log line."""

from __future__ import annotations

import base64
import http.server
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from services.intake.adapters.tokens import KeysUnavailable, TokenVerifier, Unauthenticated
from services.intake.bootstrap import bootstrap
from services.intake.config import IntakeSettings, UnsafeSettings
from services.intake.domain.access import Role
from shared.crypto import LOCAL_KEK, KeySettings
from shared.settings import CommonSettings, KafkaSettings, RedisSettings

# Nothing connects until the app starts, so unreachable addresses are fine here.
KAFKA = KafkaSettings(bootstrap_servers="127.0.0.1:1")
REDIS = RedisSettings(url="redis://127.0.0.1:1/0")
ISSUER = "https://idp.holbaek.example"
PRODUCTION = CommonSettings(
    mode="production",
    internal_token="an-internal-token-of-our-own-0123456789",
    link_secret="a-link-secret-of-our-own-0123456789abcdef",
)


def test_production_mode_refuses_the_local_jwt_secret_and_public_docs_naming_each_setting() -> None:
    with pytest.raises(UnsafeSettings) as refused:
        bootstrap(PRODUCTION, KAFKA, REDIS, IntakeSettings(public_docs=True))
    message = str(refused.value)
    assert "BROBYGGER_MODE=production" in message
    for setting in ("INTAKE_JWT_SECRET", "INTAKE_JWT_ISSUER", "INTAKE_PUBLIC_DOCS"):
        assert setting in message
    assert "brobygger-local-development" not in message  # names the setting, never the value


def test_production_mode_refuses_the_local_internal_token_too() -> None:
    settings = IntakeSettings(jwt_jwks_url="https://idp.example/jwks", jwt_issuer=ISSUER)
    with pytest.raises(UnsafeSettings, match="BROBYGGER_INTERNAL_TOKEN"):
        bootstrap(CommonSettings(mode="production"), KAFKA, REDIS, settings)


def test_production_mode_with_a_jwks_url_starts_without_public_docs() -> None:
    settings = IntakeSettings(jwt_jwks_url="https://idp.example/jwks", jwt_issuer=ISSUER)
    app = bootstrap(PRODUCTION, KAFKA, REDIS, settings, KeySettings(kek=base64.b64encode(os.urandom(32)).decode()))
    assert app.docs_url is None and app.openapi_url is None and app.redoc_url is None


def test_production_mode_refuses_to_start_without_a_key_encryption_key_of_its_own() -> None:
    settings = IntakeSettings(jwt_jwks_url="https://idp.example/jwks", jwt_issuer=ISSUER)
    with pytest.raises(UnsafeSettings, match="BROBYGGER_KEK"):
        bootstrap(PRODUCTION, KAFKA, REDIS, settings, KeySettings(kek=None, kek_file=None))
    with pytest.raises(UnsafeSettings, match="BROBYGGER_KEK is the local default"):
        bootstrap(PRODUCTION, KAFKA, REDIS, settings, KeySettings(kek=LOCAL_KEK))


def test_production_mode_refuses_a_jwks_url_without_tls() -> None:
    settings = IntakeSettings(jwt_jwks_url="http://idp.example/jwks", jwt_issuer=ISSUER)
    with pytest.raises(UnsafeSettings, match="https"):
        bootstrap(PRODUCTION, KAFKA, REDIS, settings)


def test_credentials_are_never_in_a_settings_repr_or_a_start_up_log_line(caplog: pytest.LogCaptureFixture) -> None:
    kafka = KafkaSettings(
        bootstrap_servers="127.0.0.1:1",
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="intake",
        sasl_password="kafka-password-Zq81",
    )
    redis = RedisSettings(url="rediss://intake:redis-password-Wx42@127.0.0.1:1/0")
    settings = IntakeSettings(jwt_secret="jwt-secret-Pv73-long-enough-for-hs256!!")
    caplog.set_level(logging.DEBUG)
    bootstrap(CommonSettings(), kafka, redis, settings)
    seen = caplog.text + repr(kafka) + repr(redis) + repr(settings) + str(kafka) + str(redis) + str(settings)
    for secret in ("kafka-password-Zq81", "redis-password-Wx42", "jwt-secret-Pv73"):
        assert secret not in seen


class _Jwks:
    """A real HTTP server on loopback that serves one RSA public key as a JWKS."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        body = json.dumps({"keys": [{**jwk, "kid": "key-1", "use": "sig", "alg": "RS256"}]}).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/jwks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def sign(self, kid: str = "key-1", **claims: Any) -> str:
        now = int(time.time())
        base = {"iss": ISSUER, "aud": "brobygger-intake", "sub": "cw-9", "role": "caseworker", "municipality": "316"}
        return jwt.encode({**base, "exp": now + 300, **claims}, self.key, algorithm="RS256", headers={"kid": kid})

    def stop(self) -> None:
        if self.thread.is_alive():
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(timeout=5)


@pytest.fixture
def jwks() -> Iterator[_Jwks]:
    server = _Jwks()
    try:
        yield server
    finally:
        server.stop()


async def test_an_rs256_token_from_the_identity_providers_jwks_is_accepted(jwks: _Jwks) -> None:
    verifier = TokenVerifier(IntakeSettings(jwt_jwks_url=jwks.url, jwt_issuer=ISSUER))
    principal = await verifier.verify(jwks.sign())
    assert (principal.role, principal.subject, principal.municipality) == (Role.CASEWORKER, "cw-9", "316")


async def test_with_a_jwks_a_token_with_an_unknown_key_or_a_shared_secret_is_refused(jwks: _Jwks) -> None:
    verifier = TokenVerifier(IntakeSettings(jwt_jwks_url=jwks.url, jwt_issuer=ISSUER))
    with pytest.raises(Unauthenticated) as unknown:
        await verifier.verify(jwks.sign(kid="key-2"))
    assert unknown.value.code == "unknown_key"
    public_pem = jwks.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = {"iss": ISSUER, "aud": "brobygger-intake", "sub": "x", "role": "admin", "exp": int(time.time()) + 60}
    # The classic algorithm confusion: HS256 "signed" with the public key. PyJWT refuses to even make one,
    # so build it by hand.
    confused = _hs256_by_hand(claims, public_pem, kid="key-1")
    with pytest.raises(Unauthenticated) as refused:
        await verifier.verify(confused)
    assert refused.value.code in ("wrong_algorithm", "invalid_signature")


async def test_an_unreachable_jwks_is_reported_as_unavailable_keys_not_as_a_bad_token(jwks: _Jwks) -> None:
    url = jwks.url
    jwks.stop()
    verifier = TokenVerifier(IntakeSettings(jwt_jwks_url=url, jwt_issuer=ISSUER))
    with pytest.raises(KeysUnavailable):
        await verifier.verify(jwks.sign())


def _hs256_by_hand(claims: dict[str, Any], key: bytes, kid: str) -> str:
    import base64
    import hashlib
    import hmac

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    payload = b64(json.dumps(claims).encode())
    signature = hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


def test_the_retired_webhook_key_setting_is_ignored_with_a_warning_naming_it(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    retired = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
    monkeypatch.setenv("BROBYGGER_WEBHOOK_KEY", retired)
    with caplog.at_level(logging.WARNING):
        CommonSettings(mode="production", internal_token="i" * 40, link_secret="l" * 40).refuse_local_defaults()
    assert "BROBYGGER_WEBHOOK_KEY is retired and ignored" in caplog.text and retired not in caplog.text
