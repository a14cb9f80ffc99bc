"""KPI use cases: the report per municipality and period, and a caseworker's employment follow-up."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Literal

from services.intake.adapters.lifecycle_store import LifecycleStore
from services.intake.adapters.publisher import EventPublisher
from services.intake.domain import kpi
from services.intake.domain.access import Forbidden, NotFound, Principal, Role, check_citizen
from services.intake.domain.lifecycle import Outcome, State
from services.intake.privacy import PrivacyDeps
from services.intake.reads import ReadDeps
from shared.contracts import AuditRecorded, EmploymentFollowUpRecorded, OpportunityKind
from shared.topics import Topics

STAFF = frozenset({Role.CASEWORKER, Role.ADMIN})


class NotStarted(ValueError):
    """A follow-up needs a proposal whose job has started."""


class NotAJob(ValueError):
    """Employment follow-ups are for jobs: a language placement, education step or association is not one."""


#: One step of a proposal's history as far as a job start goes: (to_state, date, outcome).
Step = tuple[str, dt.date | None, str | None]


def job_started_on(kind: OpportunityKind, history: Iterable[Step]) -> dt.date | None:
    """When the job this proposal led to started, as the report counts a job (`kpi._in_work_after_3_years`):
    an ordinary job's start, or the end of a placement or step with the outcome `hired`. None: no job."""
    if kind is OpportunityKind.ORDINARY_JOB:
        starts = [on_date for to_state, on_date, _ in history if on_date and to_state == State.STARTED]
    else:
        starts = [on_date for to_state, on_date, outcome in history if on_date and outcome == Outcome.HIRED]
    return starts[-1] if starts else None


def municipality_for(caller: Principal, asked: str | None) -> str:
    """Staff only; a caseworker always gets their own municipality, an admin names one."""
    if caller.role not in STAFF:
        raise Forbidden(f"the role `{caller.role.value}` may not read the KPI report")
    if caller.role is Role.CASEWORKER:
        assert caller.municipality is not None
        return caller.municipality
    return asked or "316"


async def report(
    deps: ReadDeps, caller: Principal, municipality: str | None, period: kpi.Period, targets: kpi.Targets
) -> kpi.Report:
    """The report: counts of people, small cells suppressed; a read of aggregates, so no per-citizen audit."""
    where = municipality_for(caller, municipality)
    return kpi.build(await deps.kpi.facts(where), where, period, targets)


async def record_follow_up(
    store: LifecycleStore,
    publisher: EventPublisher,
    privacy: PrivacyDeps,
    topics: Topics,
    caller: Principal,
    proposal_id: uuid.UUID,
    months: Literal[3, 6, 12],
    employed: bool,
    correlation: str,
) -> EmploymentFollowUpRecorded:
    """Is the citizen still in work `months` after the job this proposal led to started?"""
    if caller.role not in STAFF:
        raise Forbidden(f"the role `{caller.role.value}` may not record follow-ups")
    record = await store.get(proposal_id)
    if record is None:
        raise NotFound(f"proposal {proposal_id}")
    check_citizen(caller, record.citizen_id, record.municipality or None, allow_citizen_self=False)
    transitions = await store.history(proposal_id)
    history = [(t.target.value, t.on_date, t.outcome.value if t.outcome else None) for t in transitions]
    started_on = job_started_on(record.kind, history)
    if started_on is None and record.kind is not OpportunityKind.ORDINARY_JOB:
        raise NotAJob(
            f"proposal {proposal_id} is a {record.kind.value} (kind), not a job: employment follow-ups are for "
            "ordinary jobs, and for a placement or step only once it ended with the outcome `hired`"
        )
    if started_on is None:
        raise NotStarted(f"proposal {proposal_id} has no recorded start; record the start first")
    event = EmploymentFollowUpRecorded(
        event_id=uuid.uuid5(proposal_id, f"follow-up:{months}:{employed}:{dt.date.today().isoformat()}"),
        correlation_id=correlation,
        citizen_id=record.citizen_id,
        proposal_id=proposal_id,
        started_on=started_on,
        months=months,
        employed=employed,
        recorded_by=caller.subject[:100],
    )
    await publisher.publish(topics.citizens, str(record.citizen_id), event)
    await privacy.audit.record(
        AuditRecorded(
            correlation_id=correlation,
            actor_role=caller.role.value,
            actor_id=caller.subject[:100],
            action="update",
            citizen_id=record.citizen_id,
            resource=f"follow-up:{proposal_id}:{months}",
        )
    )
    return event
