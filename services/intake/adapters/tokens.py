"""Verifying bearer tokens with PyJWT: HS256 with a shared secret locally, a JWKS from the IdP in production."""

from __future__ import annotations

import asyncio
from typing import Any

import jwt

from services.intake.config import IntakeSettings
from services.intake.domain.access import InvalidClaims, Principal, principal_from_claims

MAX_TOKEN_CHARS = 8192
REQUIRED_CLAIMS = ["exp", "iss", "aud", "sub", "role"]


class Unauthenticated(Exception):
    """No usable bearer token. `code` is stable for clients; the message never contains the token."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


class KeysUnavailable(Exception):
    """The identity provider's key set could not be fetched."""


class TokenVerifier:
    def __init__(self, settings: IntakeSettings) -> None:
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._leeway = settings.jwt_leeway_s
        self._jwks = (
            jwt.PyJWKClient(settings.jwt_jwks_url, cache_keys=True, lifespan=300, timeout=5)
            if settings.jwt_jwks_url
            else None
        )
        self._secret = settings.jwt_secret.get_secret_value()
        self._algorithms = list(settings.jwt_algorithms) if self._jwks else ["HS256"]

    @property
    def algorithms(self) -> list[str]:
        return list(self._algorithms)

    async def verify(self, token: str) -> Principal:
        """The caller the token describes, or `Unauthenticated` saying what is wrong with it."""
        if self._jwks is None:
            return self._verify(token, self._secret)
        # PyJWKClient fetches over blocking HTTP when its cache is cold or a new key id appears.
        return await asyncio.to_thread(self._verify_with_jwks, token)

    def _verify_with_jwks(self, token: str) -> Principal:
        assert self._jwks is not None
        self._check_shape(token)
        try:
            key = self._jwks.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientConnectionError as exc:
            raise KeysUnavailable("the identity provider's signing keys could not be fetched") from exc
        except jwt.PyJWKClientError as exc:
            raise Unauthenticated("unknown_key", "the token is signed with a key this service does not know") from exc
        except jwt.DecodeError as exc:
            raise Unauthenticated("malformed_token", "the bearer token is not a well-formed JWT") from exc
        return self._verify(token, key)

    def _check_shape(self, token: str) -> None:
        if len(token) > MAX_TOKEN_CHARS:
            raise Unauthenticated("malformed_token", f"the bearer token is longer than {MAX_TOKEN_CHARS} characters")

    def _verify(self, token: str, key: Any) -> Principal:
        self._check_shape(token)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=self._algorithms,
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("token_expired", "the token has expired; get a new one") from exc
        except jwt.InvalidAudienceError as exc:
            raise Unauthenticated("wrong_audience", f"the token is not meant for `{self._audience}`") from exc
        except jwt.InvalidIssuerError as exc:
            raise Unauthenticated("wrong_issuer", "the token was not issued by the trusted issuer") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthenticated("missing_claim", f"the token has no `{exc.claim}` claim") from exc
        except jwt.ImmatureSignatureError as exc:
            raise Unauthenticated("token_not_yet_valid", "the token is not valid yet (`nbf` or `iat`)") from exc
        except jwt.InvalidSignatureError as exc:
            raise Unauthenticated(
                "invalid_signature", "the token's signature does not verify with this service's key"
            ) from exc
        except jwt.InvalidAlgorithmError as exc:
            raise Unauthenticated(
                "wrong_algorithm", f"the token's algorithm is not accepted (accepted: {', '.join(self._algorithms)})"
            ) from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated("malformed_token", "the bearer token is not a well-formed, valid JWT") from exc
        try:
            return principal_from_claims(claims)
        except InvalidClaims as exc:
            raise Unauthenticated("invalid_claims", str(exc)) from exc
