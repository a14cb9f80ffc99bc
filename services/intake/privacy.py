"""Data-protection use cases: right of access (export), right to erasure, overrides, the audit trail.

Every one of them is recorded in the audit trail before its answer leaves intake.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from services.intake.adapters.audit import AuditLog
from services.intake.adapters.privacy_store import PrivacyStore
from services.intake.adapters.publisher import EventPublisher
from services.intake.adapters.store import IntakeStore
from shared.contracts import AuditRecorded, CitizenErased
from shared.crypto import KeyStore
from shared.topics import Topics

log = logging.getLogger(__name__)

Role = Literal["caseworker", "company", "association", "citizen", "admin", "system"]
STAFF: frozenset[str] = frozenset({"caseworker", "admin"})


@dataclass(frozen=True)
class Actor:
    role: Role
    subject: str


class ExportIncomplete(Exception):
    """A service that holds data about the citizen did not answer; a partial export is never given."""


@dataclass
class PrivacyDeps:
    publisher: EventPublisher
    store: IntakeStore
    privacy: PrivacyStore
    keys: KeyStore
    audit: AuditLog
    topics: Topics
    export_sources: dict[str, str]
    internal_token: str
    http_timeout_s: float = 5.0


async def _audit(
    deps: PrivacyDeps,
    actor: Actor,
    action: str,
    citizen_id: uuid.UUID | None,
    resource: str,
    correlation: str,
    reason: str = "",
) -> None:
    await deps.audit.record(
        AuditRecorded(
            correlation_id=correlation,
            actor_role=actor.role,
            actor_id=actor.subject,
            action=action,
            citizen_id=citizen_id,
            resource=resource,
            reason=reason,
        )
    )


async def record_staff_read(
    deps: PrivacyDeps, actor: Actor, citizen_id: uuid.UUID, resource: str, correlation: str
) -> None:
    """Every read of a citizen's data by staff leaves a trace."""
    if actor.role in STAFF:
        await _audit(deps, actor, "read", citizen_id, resource, correlation)


async def export_citizen(deps: PrivacyDeps, actor: Actor, citizen_id: uuid.UUID, correlation: str) -> dict[str, Any]:
    """Everything every service holds about the citizen, as JSON (right of access)."""
    await _audit(deps, actor, "export", citizen_id, "export", correlation)
    intake: dict[str, Any] = {}
    municipality = await deps.store.citizen_municipality(citizen_id)
    if municipality is not None:
        latest = await deps.store.proposals(citizen_id)
        intake = {
            "citizen": {"citizen_id": str(citizen_id), "municipality": municipality},
            "proposals": latest.model_dump(mode="json") if latest else None,
            "overrides": await deps.privacy.overrides(citizen_id),
        }
    services: dict[str, Any] = {"intake": intake}
    async with httpx.AsyncClient(timeout=deps.http_timeout_s) as client:
        for name, base in deps.export_sources.items():
            try:
                response = await client.get(
                    f"{base.rstrip('/')}/internal/citizens/{citizen_id}/export",
                    headers={"X-Internal-Token": deps.internal_token},
                )
                response.raise_for_status()
            except httpx.HTTPError as exc:
                raise ExportIncomplete(f"the {name} service did not answer ({type(exc).__name__})") from exc
            services[name] = response.json()
    return {
        "citizen_id": str(citizen_id),
        "erased": await deps.keys.is_erased(citizen_id),
        "exported_at": dt.datetime.now(dt.UTC).isoformat(),
        "services": services,
    }


async def erase_citizen(
    deps: PrivacyDeps, actor: Actor, citizen_id: uuid.UUID, municipality: str, correlation: str
) -> dict[str, Any]:
    """Right to erasure: tell every service, shred the key, forget everything intake holds."""
    event = CitizenErased(correlation_id=correlation, citizen_id=citizen_id)
    # Published first: if the broker is down the answer is 503 and nothing has been destroyed yet.
    await deps.publisher.publish(deps.topics.citizens, str(citizen_id), event)
    await _audit(deps, actor, "erase", citizen_id, "citizen", correlation)
    await deps.keys.shred(citizen_id)
    await deps.privacy.forget(citizen_id, municipality)
    await deps.store.forget_candidates(citizen_id)
    log.info("citizen %s erased (event %s)", citizen_id, event.event_id)
    return {"citizen_id": str(citizen_id), "event_id": str(event.event_id)}


async def read_audit(
    deps: PrivacyDeps, *, citizen_id: uuid.UUID | None, actor_id: str | None, limit: int
) -> list[dict[str, Any]]:
    return await deps.audit.read(citizen_id=citizen_id, actor_id=actor_id, limit=limit)
