"""Read routes: the caseload and a citizen's profile (staff), the catalogue (staff and owners)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from services.intake import reads
from services.intake.domain.caseload import CaseEntry, CaseQuery, CitizenStatus, SortKey
from services.intake.domain.catalogue import CatalogueEntry, CatalogueQuery
from services.intake.entrypoints.deps import Caller, Req
from services.intake.handlers import NotFound
from services.intake.reads import ReadDeps
from shared.contracts import CitizenProfileInput, OpportunityKind


def get_reads(request: Request) -> ReadDeps:
    deps: ReadDeps = request.app.state.reads
    return deps


Reads = Annotated[ReadDeps, Depends(get_reads)]


class CaseRow(BaseModel):
    citizen_id: uuid.UUID
    name: str = Field(description="Opened for this answer only; stored sealed.")
    status: CitizenStatus
    registered_at: dt.datetime
    updated_at: dt.datetime
    ranked_at: dt.datetime | None
    proposals_waiting: int

    @classmethod
    def of(cls, entry: CaseEntry, name: str) -> CaseRow:
        return cls(name=name, status=entry.status, **entry.model_dump(exclude={"municipality"}))


class CaseloadView(BaseModel):
    total: int
    page: int
    per_page: int
    pages: int
    citizens: list[CaseRow]


class ProfileView(BaseModel):
    citizen_id: uuid.UUID
    status: CitizenStatus
    registered_at: dt.datetime
    updated_at: dt.datetime
    ranked_at: dt.datetime | None
    proposals_waiting: int
    profile: CitizenProfileInput = Field(description="The profile with its personal part opened.")


class CatalogueView(BaseModel):
    total: int
    page: int
    per_page: int
    opportunities: list[CatalogueEntry]


citizens = APIRouter(prefix="/v1/citizens", tags=["citizens"])


@citizens.get("", response_model=CaseloadView)
async def list_caseload(
    caller: Caller,
    deps: Reads,
    req: Req,
    q: Annotated[str, Query(max_length=100, description="Name search: each word starts a word of the name.")] = "",
    status: Annotated[CitizenStatus | None, Query(description="Only citizens in this status.")] = None,
    waiting: Annotated[
        bool | None, Query(description="Only citizens with (true) or without proposals waiting.")
    ] = None,
    sort: Annotated[SortKey, Query(description="Sort key; a leading `-` sorts descending.")] = "-registered",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 25,
    municipality: Annotated[
        str | None, Query(pattern=r"^[0-9]{3}$", description="Admins only; a caseworker always gets their own.")
    ] = None,
) -> CaseloadView:
    """The caseload of the caller's municipality: searched, filtered, sorted and paged (a staff read, audited)."""
    query = CaseQuery(q=q, status=status, waiting=waiting, sort=sort, page=page, per_page=per_page)
    found = await reads.caseload_page(deps, caller, query, municipality, req.correlation_id)
    rows = [CaseRow.of(e, name) for e, name in found.rows]
    return CaseloadView(total=found.total, page=found.page, per_page=found.per_page, pages=found.pages, citizens=rows)


@citizens.get("/{citizen_id}", response_model=ProfileView)
async def read_citizen(citizen_id: uuid.UUID, caller: Caller, deps: Reads, req: Req) -> ProfileView:
    """A citizen's profile read back with the personal part opened (staff only; audited)."""
    found = await reads.citizen_profile(deps, caller, citizen_id, req.correlation_id)
    if found is None:
        raise NotFound(f"citizen {citizen_id}")
    entry, profile = found
    return ProfileView(
        status=entry.status,
        profile=CitizenProfileInput.model_validate(profile.model_dump()),
        **entry.model_dump(exclude={"municipality"}),
    )


opportunities = APIRouter(prefix="/v1/opportunities", tags=["opportunities"])


@opportunities.get("", response_model=CatalogueView)
async def list_opportunities(
    caller: Caller,
    deps: Reads,
    kind: OpportunityKind | None = None,
    town: Annotated[str, Query(max_length=100)] = "",
    owner: Annotated[str, Query(max_length=100, description="CVR, association id or owner name.")] = "",
    open_only: Annotated[bool, Query(alias="open", description="Only open ones (not withdrawn or expired).")] = True,
    q: Annotated[str, Query(max_length=100, description="Words in title, description, owner or skills.")] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 25,
) -> CatalogueView:
    """The catalogue the caller may see, filtered: a company or association gets its own opportunities."""
    query = CatalogueQuery(kind=kind, town=town, owner=owner, open_only=open_only, q=q, page=page, per_page=per_page)
    found, total = await reads.catalogue_page(deps, caller, query)
    return CatalogueView(total=total, page=page, per_page=per_page, opportunities=found)


@opportunities.get("/{opportunity_id}", response_model=CatalogueEntry)
async def read_opportunity(opportunity_id: uuid.UUID, caller: Caller, deps: Reads) -> CatalogueEntry:
    """One opportunity, for its owner, a caseworker of its municipality or an admin."""
    return await reads.opportunity(deps, caller, opportunity_id)
