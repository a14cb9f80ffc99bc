"""Owners register the webhook their candidate notices are posted to: URL and secret, the secret shown once.

The URL is checked now (HTTPS in production; never a loopback, private or link-local address) and again
by the notifier at every delivery. The secret is stored sealed (under a key derived from the KEK), here
and on the owners topic; this replaces the opportunity contract's deprecated `owner.webhook_url`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Path, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from redis.asyncio import Redis

from services.intake.adapters.publisher import EventPublisher
from services.intake.domain.access import Forbidden, NotFound, Principal, Role
from services.intake.entrypoints.deps import Caller, Req
from shared.contracts import OwnerWebhookRegistered
from shared.crypto import KeyRing
from shared.topics import Topics
from shared.webhooks import (
    DELIVERY_HEADER,
    REPLAY_WINDOW_S,
    SIGNATURE_HEADER,
    Resolver,
    UnsafeTarget,
    check_target,
    new_secret,
    seal_secret,
)


@dataclass
class WebhookDeps:
    redis: Redis
    prefix: str
    publisher: EventPublisher
    topics: Topics
    ring: KeyRing  # the secret is sealed under a key derived from the current KEK
    production: bool
    resolver: Resolver


def get_webhooks(request: Request) -> WebhookDeps:
    deps: WebhookDeps = request.app.state.webhooks
    return deps


Webhooks = Annotated[WebhookDeps, Depends(get_webhooks)]
Cvr = Annotated[str, Path(pattern=r"^[0-9]{8}$", description="The company's CVR number.")]
AssociationId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9\-]{1,63}$", description="The association's id.")]


class WebhookRegistration(BaseModel):
    url: str = Field(max_length=2000, description="Where candidate notices are posted (https:// in production).")


class WebhookInfo(BaseModel):
    url: str
    registration_id: uuid.UUID
    registered_at: dt.datetime
    signature_header: str = Field(default=SIGNATURE_HEADER, description="`t=<unix seconds>,v1=<hex HMAC-SHA256>`.")
    idempotency_header: str = Field(default=DELIVERY_HEADER, description="The same on every retry of one delivery.")
    replay_window_s: int = REPLAY_WINDOW_S


class WebhookCreated(WebhookInfo):
    secret: str = Field(description="The signing secret. Shown this once: store it now.")


class InvalidWebhook(ValueError):
    """Answered 422 naming the field."""


router = APIRouter(tags=["webhooks"])


def _owner(caller: Principal, role: Role, subject: str) -> str:
    if caller.role not in (role, Role.ADMIN):
        raise Forbidden(f"the role `{caller.role.value}` may not manage a {role.value}'s webhook")
    if caller.role is role and caller.subject != subject:
        raise NotFound(f"{role.value} {subject}")
    return f"{role.value}:{subject}"


async def _register(deps: WebhookDeps, owner: str, url: str, correlation: str) -> WebhookCreated:
    try:
        await asyncio.to_thread(check_target, url, production=deps.production, resolver=deps.resolver)
    except UnsafeTarget as exc:
        raise InvalidWebhook(str(exc)) from exc
    registration_id, secret = uuid.uuid4(), new_secret()
    sealed = seal_secret(secret, deps.ring, owner, str(registration_id))
    event = OwnerWebhookRegistered(
        correlation_id=correlation, owner=owner, registration_id=registration_id, url=url, secret=sealed
    )
    record = {
        "url": url,
        "registration_id": str(registration_id),
        "secret": sealed.model_dump(),
        "registered_at": event.occurred_at.isoformat(),
    }
    await deps.redis.set(f"{deps.prefix}intake:webhook:{owner}", json.dumps(record))
    await deps.publisher.publish(deps.topics.owners, owner, event)
    return WebhookCreated(url=url, registration_id=registration_id, registered_at=event.occurred_at, secret=secret)


async def _read(deps: WebhookDeps, owner: str) -> WebhookInfo:
    raw = await deps.redis.get(f"{deps.prefix}intake:webhook:{owner}")
    if not raw:
        raise NotFound(f"webhook of {owner}")
    r = json.loads(raw)
    return WebhookInfo(url=r["url"], registration_id=r["registration_id"], registered_at=r["registered_at"])


async def _remove(deps: WebhookDeps, owner: str, correlation: str) -> None:
    event = OwnerWebhookRegistered(correlation_id=correlation, owner=owner, registration_id=uuid.uuid4())
    await deps.redis.delete(f"{deps.prefix}intake:webhook:{owner}")
    await deps.publisher.publish(deps.topics.owners, owner, event)


@router.put("/v1/companies/{cvr}/webhook", response_model=WebhookCreated)
async def register_company_webhook(
    cvr: Cvr, body: WebhookRegistration, caller: Caller, deps: Webhooks, req: Req
) -> WebhookCreated:
    """Register or replace the company's webhook; the answer holds the new secret, shown only this once."""
    return await _register(deps, _owner(caller, Role.COMPANY, cvr), body.url, req.correlation_id)


@router.get("/v1/companies/{cvr}/webhook", response_model=WebhookInfo)
async def read_company_webhook(cvr: Cvr, caller: Caller, deps: Webhooks) -> WebhookInfo:
    """The company's webhook, without its secret."""
    return await _read(deps, _owner(caller, Role.COMPANY, cvr))


@router.delete("/v1/companies/{cvr}/webhook", status_code=204)
async def remove_company_webhook(cvr: Cvr, caller: Caller, deps: Webhooks, req: Req) -> Response:
    """Stop posting to the company's webhook (e-mail still goes to the opportunity's contact address)."""
    await _remove(deps, _owner(caller, Role.COMPANY, cvr), req.correlation_id)
    return Response(status_code=204)


@router.put("/v1/associations/{association_id}/webhook", response_model=WebhookCreated)
async def register_association_webhook(
    association_id: AssociationId, body: WebhookRegistration, caller: Caller, deps: Webhooks, req: Req
) -> WebhookCreated:
    """Register or replace the association's webhook; the answer holds the new secret, shown only this once."""
    return await _register(deps, _owner(caller, Role.ASSOCIATION, association_id), body.url, req.correlation_id)


@router.get("/v1/associations/{association_id}/webhook", response_model=WebhookInfo)
async def read_association_webhook(association_id: AssociationId, caller: Caller, deps: Webhooks) -> WebhookInfo:
    """The association's webhook, without its secret."""
    return await _read(deps, _owner(caller, Role.ASSOCIATION, association_id))


@router.delete("/v1/associations/{association_id}/webhook", status_code=204)
async def remove_association_webhook(
    association_id: AssociationId, caller: Caller, deps: Webhooks, req: Req
) -> Response:
    """Stop posting to the association's webhook."""
    await _remove(deps, _owner(caller, Role.ASSOCIATION, association_id), req.correlation_id)
    return Response(status_code=204)


def install_webhooks(app: FastAPI, deps: WebhookDeps) -> None:
    """The router, its dependencies, and the 422 for an unsafe or malformed URL."""
    app.state.webhooks = deps
    app.include_router(router)

    @app.exception_handler(InvalidWebhook)
    async def invalid(_: Request, exc: InvalidWebhook) -> JSONResponse:
        problem = str(exc).removeprefix("field `url`: ")
        body = {"error": "invalid_input", "message": str(exc), "problems": [{"field": "url", "problem": problem}]}
        return JSONResponse(status_code=422, content=body)
