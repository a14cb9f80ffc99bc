"""The catalogue as intake reads it back: list, filter and page opportunities. Pure."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from services.intake.domain.access import Principal, Role
from services.intake.domain.caseload import fold
from shared.contracts import Opportunity, OpportunityKind


class CatalogueEntry(BaseModel):
    """An opportunity as the catalogue read model holds it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    opportunity_id: uuid.UUID
    status: Literal["open", "withdrawn"] = "open"
    registered_at: dt.datetime
    updated_at: dt.datetime
    opportunity: Opportunity

    def is_open(self, today: dt.date) -> bool:
        until = self.opportunity.valid_until
        return self.status == "open" and (until is None or until >= today)

    @property
    def owner_key(self) -> str:
        owner = self.opportunity.owner
        return owner.cvr or owner.association_id or owner.name


@dataclass(frozen=True)
class CatalogueQuery:
    kind: OpportunityKind | None = None
    town: str = ""
    owner: str = ""
    open_only: bool = True
    q: str = ""
    page: int = 1
    per_page: int = 25


def visible_to(caller: Principal, entry: CatalogueEntry) -> bool:
    """A company or association sees its own; a caseworker their municipality's; an admin all."""
    owner = entry.opportunity.owner
    if caller.role is Role.ADMIN:
        return True
    if caller.role is Role.CASEWORKER:
        return entry.opportunity.municipality_code == caller.municipality
    if caller.role is Role.COMPANY:
        return owner.cvr == caller.subject
    if caller.role is Role.ASSOCIATION:
        return owner.association_id == caller.subject
    return False


def _text_of(o: Opportunity) -> str:
    return fold(" ".join([o.title, o.description, o.occupation_text or "", o.owner.name, *o.skills]))


def select(
    entries: Sequence[CatalogueEntry], query: CatalogueQuery, today: dt.date
) -> tuple[list[CatalogueEntry], int]:
    """The page the query asks for (newest first) and how many matched in all."""
    words = fold(query.q).split()
    found = [
        e
        for e in entries
        if (query.kind is None or e.opportunity.kind == query.kind)
        and (not query.town or fold(e.opportunity.location.town) == fold(query.town))
        and (not query.owner or query.owner in (e.owner_key, e.opportunity.owner.name))
        and (not query.open_only or e.is_open(today))
        and all(w in _text_of(e.opportunity) for w in words)
    ]
    found.sort(key=lambda e: (e.registered_at, str(e.opportunity_id)), reverse=True)
    start = (query.page - 1) * query.per_page
    return found[start : start + query.per_page], len(found)
