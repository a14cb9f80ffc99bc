"""HTTP hardening every service's port shares: security headers, and the internal-token gate.

Intake's public API and the matcher's and notifier's internal ports all send the same headers. The
internal ports serve nothing but their health checks without `X-Internal-Token`.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: For every JSON answer: nothing may load, frame or submit anything from it.
STRICT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
#: For intake's /docs and /redoc pages: Swagger UI and ReDoc from the service itself (no CDN), plus the
#: one inline script FastAPI writes to start them.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)
#: For intake's web pages (/app): their own stylesheet and script only, no inline code, forms to themselves.
PAGES_CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PAGES_PREFIX = "/app"
DOCS_PAGES = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})
#: For the citizen's answer-link pages: no script at all, their own inline style, and a form posted to themselves.
LINKS_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"


class SecurityHeaders:
    """`nosniff`, no framing, no referrer, a strict CSP, and `Cache-Control: no-store` on every answer:
    almost every answer is about a person, and none is worth caching in a shared proxy or browser."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        is_page = path == PAGES_PREFIX or path.startswith(PAGES_PREFIX + "/")
        csp = (
            DOCS_CSP
            if path in DOCS_PAGES
            else PAGES_CSP
            if is_page
            else LINKS_CSP
            if path.startswith("/links/")
            else STRICT_CSP
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Cache-Control"] = "no-store"
                headers["Content-Security-Policy"] = csp
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "no-referrer"
                headers["Cross-Origin-Resource-Policy"] = "same-origin"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class InternalGate:
    """On an internal port: everything but the health checks needs `X-Internal-Token` (stats and docs too)."""

    def __init__(self, app: ASGIApp, token_matches: Callable[[str | None], bool], public: frozenset[str]) -> None:
        self.app = app
        self.token_matches = token_matches
        self.public = public

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.public:
            await self.app(scope, receive, send)
            return
        presented = [v for k, v in scope.get("headers", []) if k == b"x-internal-token"]
        # Headers are bytes on the wire: decode as latin-1 (never fails), compare as bytes.
        token = presented[0].decode("latin-1") if len(presented) == 1 else None
        if not self.token_matches(token):
            answer = JSONResponse(
                status_code=401,
                content={"error": "unauthorized", "message": "this internal endpoint needs X-Internal-Token"},
            )
            await answer(scope, receive, send)
            return
        await self.app(scope, receive, send)
