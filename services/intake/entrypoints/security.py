"""The gate in front of every route: a verified bearer token, then the rate limit (writes and reads apart).

It runs before routing, so a route that forgets to ask for the caller is still closed, and an
unauthenticated client learns nothing from validation errors or from which paths exist.
Only the paths in `public` pass without a token.
"""

from __future__ import annotations

import logging

from fastapi.responses import JSONResponse, RedirectResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from starlette.types import ASGIApp, Receive, Scope, Send

from services.intake.adapters.ratelimit import RedisRateLimiter
from services.intake.adapters.tokens import KeysUnavailable, TokenVerifier, Unauthenticated
from services.intake.entrypoints.errors import unauthenticated_response
from services.intake.entrypoints.pages.auth import PageAuth

log = logging.getLogger(__name__)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def bearer_token(scope: Scope) -> str:
    """The token from `Authorization: Bearer …`, or `Unauthenticated`."""
    values = [v for k, v in scope.get("headers", []) if k == b"authorization"]
    if not values:
        raise Unauthenticated("missing_token", "this endpoint needs `Authorization: Bearer <token>`")
    if len(values) > 1:
        raise Unauthenticated("malformed_token", "send exactly one Authorization header")
    header: bytes = values[0]
    scheme, _, token = header.decode("latin-1").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("missing_token", "the Authorization header must be `Bearer <token>`")
    return token.strip()


class Gate:
    def __init__(
        self,
        app: ASGIApp,
        verifier: TokenVerifier,
        limiter: RedisRateLimiter,
        public: frozenset[str],
        public_prefixes: tuple[str, ...] = (),
        pages: PageAuth | None = None,
        read_limiter: RedisRateLimiter | None = None,
    ) -> None:
        self.app = app
        self.verifier = verifier
        self.limiter = limiter
        self.read_limiter = read_limiter
        self.public = public
        self.public_prefixes = public_prefixes
        self.pages = pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path in self.public or path.startswith(self.public_prefixes):
            await self.app(scope, receive, send)
            return
        # Page routes take the session cookie and nothing else; the API takes a bearer token and nothing else.
        pages = self.pages if self.pages is not None and self.pages.covers(path) else None
        try:
            principal = await self.verifier.verify(pages.cookie_token(scope) if pages else bearer_token(scope))
        except Unauthenticated as exc:
            if pages is not None:
                await RedirectResponse(pages.sign_in_url(scope), status_code=303)(scope, receive, send)
                return
            await unauthenticated_response(exc)(scope, receive, send)
            return
        except KeysUnavailable as exc:
            log.warning("identity provider keys unavailable: %s", type(exc.__cause__).__name__)
            await _json(503, "keys_unavailable", f"{exc}; try again shortly", {"Retry-After": "5"})(
                scope, receive, send
            )
            return
        # Reads are limited too: every staff read writes an audit entry, so unlimited reads flood the trail.
        limiter = self.limiter if scope["method"] in WRITE_METHODS else self.read_limiter
        if limiter is not None:
            try:
                wait_s = await limiter.hit(principal.tenant)
            except (RedisConnectionError, RedisTimeoutError) as exc:
                log.warning("rate limit not checked, redis unavailable: %s", type(exc).__name__)
                message = "the state store did not answer; retry shortly"
                await _json(503, "store_unavailable", message, {"Retry-After": "5"})(scope, receive, send)
                return
            if wait_s is not None:
                message = (
                    f"more than {limiter.per_minute} {limiter.kind} requests per minute with this token; "
                    f"retry after {wait_s} s"
                )
                await _json(429, "rate_limited", message, {"Retry-After": str(wait_s)})(scope, receive, send)
                return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


def _json(status: int, code: str, message: str, headers: dict[str, str]) -> JSONResponse:
    return JSONResponse(status_code=status, headers=headers, content={"error": code, "message": message})
