"""Data-protection use cases: right of access (export), right to erasure, overrides, the audit trail.

Every one of them is recorded in the audit trail before its answer leaves intake.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from services.intake.adapters.audit import AuditLog
from services.intake.adapters.privacy_store import PrivacyStore
from services.intake.adapters.publisher import EventPublisher
from services.intake.adapters.store import IntakeStore
from services.intake.domain import access
from services.intake.domain.access import Principal
from shared.contracts import AuditRecorded, CitizenErased, Sealed
from shared.crypto import CitizenErased as CitizenGone
from shared.crypto import KeyStore
from shared.topics import Topics

log = logging.getLogger(__name__)

Role = Literal["caseworker", "company", "association", "citizen", "admin", "system"]
STAFF: frozenset[str] = frozenset({"caseworker", "admin"})
AUDIT_REASON = "audit-reason"


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
    #: Runs before the erasure is published and the key destroyed (the lifecycle retracts the proposals).
    before_erasure: Callable[[uuid.UUID, str], Awaitable[object]] | None = None


async def _audit(
    deps: PrivacyDeps,
    actor: Actor,
    action: str,
    citizen_id: uuid.UUID | None,
    resource: str,
    correlation: str,
    reason: str = "",
) -> None:
    entry = AuditRecorded(
        correlation_id=correlation,
        actor_role=actor.role,
        actor_id=actor.subject,
        action=action,
        citizen_id=citizen_id,
        resource=resource,
        reason=reason,
    )
    await deps.audit.record(await with_sealed_reason(deps.keys, entry))


async def with_sealed_reason(keys: KeyStore, entry: AuditRecorded) -> AuditRecorded:
    """Free text about a person: sealed with their key, so their erasure makes it unreadable too."""
    if not entry.reason or entry.citizen_id is None:
        return entry
    sealed = await keys.seal_text(entry.citizen_id, entry.event_id, AUDIT_REASON, entry.reason)
    return entry.model_copy(update={"reason": "", "sealed_reason": sealed})


@dataclass(frozen=True)
class SealingAudit:
    """The audit trail for other use cases (the lifecycle): every reason about a citizen sealed."""

    deps: PrivacyDeps

    async def record(self, entry: AuditRecorded) -> None:
        await self.deps.audit.record(await with_sealed_reason(self.deps.keys, entry))


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
    if deps.before_erasure is not None:
        await deps.before_erasure(citizen_id, correlation)
    # Published first: if the broker is down the answer is 503 and nothing has been destroyed yet.
    await deps.publisher.publish(deps.topics.citizens, str(citizen_id), event)
    await _audit(deps, actor, "erase", citizen_id, "citizen", correlation)
    await deps.keys.shred(citizen_id)
    await deps.privacy.forget(citizen_id, municipality)
    await deps.store.forget_candidates(citizen_id)
    if actor.role == "citizen":
        # A citizen may erase their data here at once (this is the matching service, not the case record);
        # their caseworker is told, so the case can go on without it.
        notice = {"citizen_id": str(citizen_id), "event": "erased_by_citizen", "at": event.occurred_at.isoformat()}
        await deps.privacy.tell_caseworkers(municipality, notice)
    # The deleted key must not survive in Redis's append-only file either.
    await deps.keys.rewrite_files()
    log.info("citizen %s erased (event %s)", citizen_id, event.event_id)
    return {"citizen_id": str(citizen_id), "event_id": str(event.event_id)}


async def notices_for(
    deps: PrivacyDeps, caller: Principal, municipality: str | None, limit: int
) -> list[dict[str, Any]]:
    """What the municipality's caseworkers are told: erasures citizens made themselves."""
    return await deps.privacy.notices(access.staff_municipality(caller, municipality), limit)


async def read_audit(
    deps: PrivacyDeps, *, citizen_id: uuid.UUID | None, actor_id: str | None, limit: int
) -> list[dict[str, Any]]:
    """Newest first; a sealed reason is opened, or shown as erased once its citizen is."""
    entries = await deps.audit.read(citizen_id=citizen_id, actor_id=actor_id, limit=limit)
    for entry in entries:
        sealed = entry.pop("sealed_reason", None)
        if sealed is None or entry.get("citizen_id") is None:
            continue
        try:
            citizen, event_id = uuid.UUID(entry["citizen_id"]), uuid.UUID(entry["event_id"])
            entry["reason"] = await deps.keys.open_text(citizen, event_id, AUDIT_REASON, Sealed.model_validate(sealed))
        except CitizenGone:
            entry["reason"] = "(erased with the citizen)"
    return entries
