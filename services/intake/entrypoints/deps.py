"""Dependency aliases for the routers."""

from __future__ import annotations

import re
import uuid
from typing import Annotated

from fastapi import Depends, Header, Request

from services.intake import handlers
from services.intake.handlers import IntakeDeps

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,100}$")


def get_deps(request: Request) -> IntakeDeps:
    deps: IntakeDeps = request.app.state.deps
    return deps


def get_request(
    request: Request,
    idempotency_key: Annotated[
        str | None, Header(max_length=200, description="Makes a retried POST publish once.")
    ] = None,
    x_correlation_id: Annotated[str | None, Header(max_length=100)] = None,
) -> handlers.Request:
    correlation = x_correlation_id if x_correlation_id and _SAFE_ID.match(x_correlation_id) else None
    correlation = correlation or f"req-{uuid.uuid4().hex[:16]}"
    request.state.correlation_id = correlation
    return handlers.Request(correlation_id=correlation, idempotency_key=idempotency_key)


Deps = Annotated[IntakeDeps, Depends(get_deps)]
Req = Annotated[handlers.Request, Depends(get_request)]
