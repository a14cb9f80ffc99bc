"""Every request gets a correlation id before anything else runs, so every log line it causes carries it."""

from __future__ import annotations

import re
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.logging import correlation

_SAFE_ID = re.compile(r"[A-Za-z0-9._:\-]{1,100}")  # always fullmatch: `$` lets a trailing newline through


def correlation_of(scope: Scope) -> str:
    """The caller's `X-Correlation-Id` when it is a safe id (letters, digits, `._:-`, ≤100), else a new one."""
    values = [v for k, v in scope.get("headers", []) if k == b"x-correlation-id"]
    given = values[0].decode("latin-1") if len(values) == 1 else ""
    return given if _SAFE_ID.fullmatch(given) else f"req-{uuid.uuid4().hex[:16]}"


class CorrelationId:
    """Outermost middleware: sets the log context and `request.state.correlation_id`, and echoes it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cid = correlation_of(scope)
        scope.setdefault("state", {})["correlation_id"] = cid

        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-correlation-id", cid.encode())]
            await send(message)

        with correlation(cid):
            await self.app(scope, receive, tagged)
