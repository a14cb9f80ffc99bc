"""Error answers that name the field and the problem, and a limit on request bodies (size, JSON only)."""

from __future__ import annotations

import email.message
import json
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.intake.adapters.publisher import BrokerUnavailable
from services.intake.adapters.tokens import KeysUnavailable, Unauthenticated
from services.intake.domain.access import Forbidden
from services.intake.domain.privacy import PersonalNumberFound
from services.intake.handlers import IdempotencyConflict, NotFound
from services.intake.privacy import ExportIncomplete
from shared.crypto import CitizenErased

log = logging.getLogger(__name__)


class Problem(BaseModel):
    field: str = Field(description="Dotted path of the field, e.g. `danish.level`.")
    problem: str
    type: str | None = None


class ErrorBody(BaseModel):
    """Every error answer: a stable `error` code, a sentence, and for invalid input the fields."""

    error: str = Field(examples=["invalid_input"])
    message: str
    problems: list[Problem] | None = None


def _error(status: int, description: str) -> dict[str, object]:
    return {"model": ErrorBody, "description": description}


# Documented on every operation (app-wide), so clients and the schema fuzzer know every answer.
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    400: _error(400, "The body is not valid UTF-8 or JSON nested too deeply."),
    401: _error(401, "No bearer token, or one that is expired, wrongly signed or meant for another audience."),
    403: _error(403, "The token's role may never use this operation."),
    404: _error(404, "Not found, or outside the caller's scope (the two look the same)."),
    409: _error(
        409,
        "The Idempotency-Key was used with a different body, or a lifecycle step is not possible from the "
        "proposal's current state (`error: illegal_transition`, with `state`).",
    ),
    410: _error(410, "The citizen was erased (right to erasure): nothing about them is written again."),
    413: _error(413, "The body is larger than the limit."),
    415: _error(415, "The body is not JSON."),
    422: _error(422, "Invalid input; `problems` names each field."),
    429: _error(429, "Too many writes for this token; see Retry-After."),
    503: _error(
        503,
        "The broker or Redis did not answer in time. The event may still have gone out; a retry with the same "
        "Idempotency-Key is safe (it republishes the same event id, which every consumer applies once).",
    ),
}


def unauthenticated_response(exc: Unauthenticated) -> JSONResponse:
    # RFC 6750: the scheme, the error class and a description; never the token itself.
    challenge = 'Bearer realm="brobygger"'
    if exc.code != "missing_token":
        description = exc.message.replace('"', "'").replace("`", "'").encode("ascii", "replace").decode()
        challenge += f', error="invalid_token", error_description="{description}"'
    return JSONResponse(
        status_code=401,
        headers={"WWW-Authenticate": challenge},
        content={"error": exc.code, "message": exc.message},
    )


def _field(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "(body)"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": _field(tuple(e.get("loc", ()))), "problem": e.get("msg", "invalid"), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        summary = "; ".join(f"field `{p['field']}`: {p['problem']}" for p in problems[:5])
        return JSONResponse(
            status_code=422, content={"error": "invalid_input", "message": summary, "problems": problems}
        )

    @app.exception_handler(PersonalNumberFound)
    async def personal_number(_: Request, exc: PersonalNumberFound) -> JSONResponse:
        problem = "looks like a Danish CPR number; CPR numbers must not be entered"
        return JSONResponse(
            status_code=422,
            content={
                "error": "invalid_input",
                "message": str(exc),
                "problems": [{"field": exc.field, "problem": problem, "type": "cpr_number"}],
            },
        )

    @app.exception_handler(Unauthenticated)
    async def unauthenticated(_: Request, exc: Unauthenticated) -> JSONResponse:
        return unauthenticated_response(exc)

    @app.exception_handler(Forbidden)
    async def forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        return JSONResponse(status_code=403, content={"error": "forbidden", "message": str(exc)})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}
        return JSONResponse(
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
            content={"error": codes.get(exc.status_code, "http_error"), "message": str(exc.detail)},
        )

    @app.exception_handler(KeysUnavailable)
    async def keys_unavailable(_: Request, exc: KeysUnavailable) -> JSONResponse:
        log.warning("identity provider keys unavailable: %s", type(exc.__cause__).__name__)
        return JSONResponse(
            status_code=503,
            headers={"Retry-After": "5"},
            content={"error": "keys_unavailable", "message": f"{exc}; try again shortly"},
        )

    @app.exception_handler(RedisConnectionError)
    @app.exception_handler(RedisTimeoutError)
    async def redis_unavailable(_: Request, exc: Exception) -> JSONResponse:
        log.warning("redis unavailable: %s", type(exc).__name__)
        return JSONResponse(
            status_code=503,
            headers={"Retry-After": "5"},
            content={
                "error": "store_unavailable",
                "message": "the state store did not answer; the request may be partly done. "
                "Retry with the same Idempotency-Key: it is safe and completes it.",
            },
        )

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content={"error": "not_found", "message": f"{exc} was not found"})

    @app.exception_handler(CitizenErased)
    async def erased(_: Request, exc: CitizenErased) -> JSONResponse:
        # Reached only past the access checks: the caller may know the citizen existed.
        message = "the citizen was erased; nothing about them can be written or read again"
        return JSONResponse(status_code=410, content={"error": "citizen_erased", "message": message})

    @app.exception_handler(IdempotencyConflict)
    async def conflict(_: Request, exc: IdempotencyConflict) -> JSONResponse:
        return JSONResponse(status_code=409, content={"error": "idempotency_conflict", "message": str(exc)})

    @app.exception_handler(ExportIncomplete)
    async def export_incomplete(_: Request, exc: ExportIncomplete) -> JSONResponse:
        return JSONResponse(
            status_code=503,
            headers={"Retry-After": "5"},
            content={"error": "export_incomplete", "message": f"{exc}; no partial export is given, try again shortly"},
        )

    @app.exception_handler(BrokerUnavailable)
    async def unavailable(_: Request, exc: BrokerUnavailable) -> JSONResponse:
        return JSONResponse(
            status_code=503,
            headers={"Retry-After": "5"},
            content={
                "error": "broker_unavailable",
                "message": f"{exc}. The event may still have gone out; retry with the same Idempotency-Key: "
                "it is safe, it republishes the same event id, which is applied once.",
            },
        )


class BodyLimit:
    """Answers 413 naming the limit before a large body is read into memory, and refuses bodies that are
    not JSON (415), not UTF-8 or nested too deeply (400) with a message saying which."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        form_paths: frozenset[str] = frozenset(),
        form_prefixes: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.form_paths = form_paths  # HTML form posts (the answer links): a form body instead of JSON
        self.form_prefixes = form_prefixes  # the web pages post plain HTML forms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _send_error(send, 413, "body_too_large", self._too_large_message())
            return
        # Read the whole (bounded) body first, then hand it on: FastAPI would turn an error raised
        # mid-read into a vague 400.
        chunks: list[bytes] = []
        received = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, receive, send)
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                await _send_error(send, 413, "body_too_large", self._too_large_message())
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        link_form = scope["path"] in self.form_paths and headers.get(b"content-type", b"").startswith(
            b"application/x-www-form-urlencoded"
        )
        page_form = bool(self.form_prefixes) and scope["path"].startswith(self.form_prefixes)
        if body and not (link_form or page_form):
            refusal = _refuse_body(headers.get(b"content-type"), body)
            if refusal is not None:
                await _send_error(send, *refusal)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _too_large_message(self) -> str:
        return f"the request body is larger than the limit of {self.max_bytes} bytes"


def _refuse_body(content_type: bytes | None, body: bytes) -> tuple[int, str, str] | None:
    """Why a non-empty body cannot be JSON for this API, or None to let the route validate it."""
    if content_type is None:
        return 415, "unsupported_media_type", "send the body as JSON with `Content-Type: application/json`"
    parsed = email.message.Message()
    parsed["content-type"] = content_type.decode("latin-1")
    subtype = parsed.get_content_subtype()
    if parsed.get_content_maintype() != "application" or not (subtype == "json" or subtype.endswith("+json")):
        return (
            415,
            "unsupported_media_type",
            f"`Content-Type: {parsed.get_content_type()}` is not accepted; send JSON (`application/json`)",
        )
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return 400, "invalid_utf8", f"the body is not valid UTF-8 (byte {exc.start})"
    try:
        json.loads(body)
    except RecursionError:
        return 400, "too_deeply_nested", "the JSON body is nested too deeply"
    except ValueError:
        return None  # a syntax error: the route answers 422 with the position
    return None


async def _send_error(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": code, "message": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
