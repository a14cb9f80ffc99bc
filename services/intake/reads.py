"""Read use cases: the caseload, a citizen's profile read back, the catalogue; and the events that feed them.

Staff reads of a citizen's data are audited like every other. Names are opened in memory with each
citizen's key for the page or search at hand and never stored in clear.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from dataclasses import dataclass

from services.intake import privacy
from services.intake.adapters.kpi_store import KpiStore
from services.intake.adapters.read_models import CaseloadStore, CatalogueStore
from services.intake.adapters.store import IntakeStore
from services.intake.domain import caseload, catalogue
from services.intake.domain.access import Forbidden, NotFound, OpportunityScope, Principal, Role, check_opportunity
from services.intake.domain.caseload import CaseEntry, CasePage, CaseQuery
from services.intake.domain.catalogue import CatalogueEntry, CatalogueQuery
from services.intake.domain.kpi import KpiFollowUp, KpiStep, KpiTest
from services.intake.handlers import authorize_citizen
from services.intake.privacy import Actor, PrivacyDeps
from shared.contracts import (
    CitizenErased,
    CitizenEvent,
    CitizenProfile,
    CitizenProfileSubmitted,
    CitizenProfileUpdated,
    EmploymentFollowUpRecorded,
    Event,
    MatchProposed,
    OpportunityEvent,
    OpportunityRegistered,
    OpportunityUpdated,
    OpportunityWithdrawn,
    ProposalEvent,
    ProposalTransitioned,
    SealedCitizenEvent,
)
from shared.crypto import CitizenErased as KeyErased
from shared.crypto import KeyMissing

log = logging.getLogger(__name__)
UNREADABLE_NAME = "—"


@dataclass
class ReadDeps:
    caseload: CaseloadStore
    catalogue: CatalogueStore
    kpi: KpiStore
    store: IntakeStore
    privacy: PrivacyDeps


# Feeding the read models ------------------------------------------------------------------------


async def _opened(deps: ReadDeps, event: Event) -> Event | None:
    """A sealed event opened with the citizen's key; None when the citizen was erased meanwhile."""
    if not isinstance(event, SealedCitizenEvent):
        return event
    try:
        return await deps.privacy.keys.open_event(event)
    except KeyErased:
        return None


def kpi_step(event: ProposalTransitioned) -> KpiStep:
    """What the KPI report keeps of a lifecycle step."""
    return KpiStep(
        proposal_id=event.proposal_id,
        kind=event.kind.value,
        to_state=event.to_state,
        at=event.occurred_at,
        on_date=event.on_date,
        outcome=event.outcome,
    )


def kpi_follow_up(event: EmploymentFollowUpRecorded) -> KpiFollowUp:
    """What the KPI report keeps of an employment follow-up."""
    return KpiFollowUp(months=event.months, employed=event.employed, started_on=event.started_on, at=event.occurred_at)


async def on_citizen_event(deps: ReadDeps, received: CitizenEvent) -> None:
    """Keep the caseload (profiles with their personal part still sealed) and the KPI facts; erasures
    remove the citizen. Sealed events are opened in memory with the citizen's key."""
    event = await _opened(deps, received)
    if isinstance(event, CitizenProfileSubmitted | CitizenProfileUpdated):
        profile = event.profile
        await deps.caseload.save_profile(event.citizen_id, profile, event.occurred_at)
        tests = [KpiTest(test=t.test, date=t.date, passed=t.passed) for t in profile.danish_tests]
        await deps.kpi.save_profile(
            event.citizen_id,
            profile.municipality_code,
            profile.audit.gender,
            profile.audit.origin_group,
            profile.programme_start,
            tests,
            event.occurred_at,
        )
    elif isinstance(event, ProposalTransitioned):
        await deps.kpi.add_step(event.citizen_id, kpi_step(event))
    elif isinstance(event, EmploymentFollowUpRecorded):
        await deps.kpi.add_follow_up(event.citizen_id, kpi_follow_up(event))
    elif isinstance(event, CitizenErased):
        await asyncio.gather(deps.caseload.forget(event.citizen_id), deps.kpi.forget(event.citizen_id))


async def on_ranking(deps: ReadDeps, received: ProposalEvent) -> None:
    """The latest ranking's proposals are waiting for the caseworker."""
    event = await _opened(deps, received)
    if not isinstance(event, MatchProposed):
        return
    waiting = len(event.proposals) + len(event.associations)
    if await deps.store.citizen_exists(event.citizen_id):
        ids = [p.proposal_id for p in (*event.proposals, *event.associations)]
        await deps.kpi.add_proposals(event.citizen_id, ids, event.occurred_at)
    if not await deps.caseload.save_ranking(event.citizen_id, event.occurred_at, waiting):
        log.info("ranking %s for citizen %s not in the caseload (yet)", event.event_id, event.citizen_id)


async def on_opportunity_event(deps: ReadDeps, event: OpportunityEvent) -> None:
    if isinstance(event, OpportunityRegistered | OpportunityUpdated):
        await deps.catalogue.save(event.opportunity_id, event.opportunity, event.occurred_at)
    elif isinstance(event, OpportunityWithdrawn):
        await deps.catalogue.withdraw(event.opportunity_id, event.occurred_at)


# Reading -----------------------------------------------------------------------------------------


def _actor(caller: Principal) -> Actor:
    return Actor(role=caller.role.value, subject=caller.subject)


async def _open(deps: ReadDeps, citizen_id: uuid.UUID, sealed: CitizenProfile) -> CitizenProfile | None:
    try:
        return await deps.privacy.keys.open_profile(citizen_id, sealed)
    except (KeyErased, KeyMissing):
        return None


async def open_names(deps: ReadDeps, citizen_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The names of these citizens, opened in memory with each one's key (— when it cannot be opened)."""
    sealed = await deps.caseload.sealed_profiles(citizen_ids)
    opened = await asyncio.gather(*(_open(deps, i, p) for i, p in sealed.items()))
    return {
        i: (p.personal_data().name if p is not None else UNREADABLE_NAME)
        for i, p in zip(sealed, opened, strict=True)
    }


async def caseload_page(
    deps: ReadDeps, caller: Principal, query: CaseQuery, municipality: str | None, correlation: str
) -> CasePage:
    """A page of the caseload of the caller's municipality (an admin names one); audited as a staff read."""
    if caller.role is Role.CASEWORKER:
        municipality = caller.municipality
    elif caller.role is not Role.ADMIN:
        raise Forbidden(f"the role `{caller.role.value}` may not read a caseload")
    if municipality is None:  # an admin without a municipality: all of them
        entries = [e for m in await deps.caseload.municipalities() for e in await deps.caseload.municipality(m)]
    else:
        entries = await deps.caseload.municipality(municipality)
    # Searching by name needs every name; listing needs only the page's.
    if query.q.strip() or query.sort.lstrip("-") == "name":
        names = await open_names(deps, [e.citizen_id for e in entries])
        page = caseload.select(entries, names, query)
    else:
        page = caseload.select(entries, {}, query)
        names = await open_names(deps, [e.citizen_id for e, _ in page.rows])
        page = CasePage([(e, names.get(e.citizen_id, "")) for e, _ in page.rows], page.total, page.page, page.per_page)
    actor = _actor(caller)
    await asyncio.gather(
        *(privacy.record_staff_read(deps.privacy, actor, e.citizen_id, "caseload", correlation) for e, _ in page.rows)
    )
    return page


async def citizen_profile(
    deps: ReadDeps, caller: Principal, citizen_id: uuid.UUID, correlation: str
) -> tuple[CaseEntry, CitizenProfile] | None:
    """The profile with its personal part opened; None while the read model has not caught up."""
    await authorize_citizen(caller, citizen_id, deps.store, allow_citizen_self=False)
    entry = await deps.caseload.entry(citizen_id)
    sealed = await deps.caseload.sealed_profile(citizen_id)
    if entry is None or sealed is None:
        return None
    opened = await _open(deps, citizen_id, sealed)
    if opened is None:
        raise NotFound(f"citizen {citizen_id}")
    await privacy.record_staff_read(deps.privacy, _actor(caller), citizen_id, "profile", correlation)
    return entry, opened


CATALOGUE_READERS = frozenset({Role.CASEWORKER, Role.COMPANY, Role.ASSOCIATION, Role.ADMIN})


async def catalogue_page(
    deps: ReadDeps, caller: Principal, query: CatalogueQuery, today: dt.date | None = None
) -> tuple[list[CatalogueEntry], int]:
    """The opportunities the caller may see, filtered: a company or association sees its own."""
    if caller.role not in CATALOGUE_READERS:
        raise Forbidden(f"the role `{caller.role.value}` may not list opportunities")
    visible = [e for e in await deps.catalogue.all() if catalogue.visible_to(caller, e)]
    return catalogue.select(visible, query, today or dt.date.today())


async def opportunity(deps: ReadDeps, caller: Principal, opportunity_id: uuid.UUID) -> CatalogueEntry:
    """One opportunity, for its owner, a caseworker of its municipality or an admin."""
    entry = await deps.catalogue.get(opportunity_id)
    scope = None
    if entry is not None:
        owner = entry.opportunity.owner
        scope = OpportunityScope(owner.cvr, owner.association_id, entry.opportunity.municipality_code, True)
    check_opportunity(caller, opportunity_id, scope)
    assert entry is not None
    return entry
