"""Dependency aliases for the routers."""

from __future__ import annotations

import re
import uuid
from typing import Annotated

from fastapi import Depends, Header, Query, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.intake import handlers
from services.intake.adapters.tokens import Unauthenticated
from services.intake.domain.access import Principal
from services.intake.handlers import IntakeDeps

_SAFE_ID = re.compile(r"[A-Za-z0-9._:\-]{1,100}")

# Only documents the scheme in OpenAPI (and gives /docs its Authorize button); the gate verifies.
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    bearerFormat="JWT",
    description="A JWT from the municipality's identity provider (locally: `brobygger token --role ...`).",
)


def get_deps(request: Request) -> IntakeDeps:
    deps: IntakeDeps = request.app.state.deps
    return deps


def authenticate(
    request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None
) -> Principal:
    """The caller whose token the gate verified; 401 if there is none (a route on a public path)."""
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        raise Unauthenticated("missing_token", "this endpoint needs `Authorization: Bearer <token>`")
    return principal


Caller = Annotated[Principal, Depends(authenticate)]


def get_request(
    request: Request,
    caller: Caller,
    idempotency_key: Annotated[
        str | None, Header(max_length=200, description="Makes a retried POST publish once.")
    ] = None,
    x_correlation_id: Annotated[str | None, Header(max_length=100)] = None,
) -> handlers.Request:
    correlation = x_correlation_id if x_correlation_id and _SAFE_ID.fullmatch(x_correlation_id) else None
    correlation = correlation or f"req-{uuid.uuid4().hex[:16]}"
    request.state.correlation_id = correlation
    return handlers.Request(correlation_id=correlation, caller=caller, idempotency_key=idempotency_key)


Deps = Annotated[IntakeDeps, Depends(get_deps)]
#: A caseworker's own municipality is used whatever this says; an admin may narrow to one.
StaffMunicipality = Annotated[
    str | None, Query(pattern=r"^[0-9]{3}$", description="For an admin: only this municipality.")
]
Req = Annotated[handlers.Request, Depends(get_request)]
