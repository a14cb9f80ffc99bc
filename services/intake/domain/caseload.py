"""A caseworker's caseload: the municipality's citizens, searched, filtered, sorted and paged. Pure.

Names stay sealed at rest; the caller opens the names of the municipality's citizens in memory
(municipal scale is thousands) and hands them in here, so nothing here ever stores a name.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CitizenStatus = Literal["awaiting_ranking", "proposals_waiting", "no_proposals", "erased"]
SortKey = Literal["name", "-name", "registered", "-registered", "waiting", "-waiting"]
STATUSES: tuple[CitizenStatus, ...] = ("awaiting_ranking", "proposals_waiting", "no_proposals")


class CaseEntry(BaseModel):
    """What the caseload keeps per citizen besides the sealed profile: nothing that names the person."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    citizen_id: uuid.UUID
    municipality: str
    registered_at: dt.datetime
    updated_at: dt.datetime
    ranked_at: dt.datetime | None = None
    proposals_waiting: int = Field(default=0, ge=0, description="Proposals of the latest ranking not yet decided.")

    @property
    def status(self) -> CitizenStatus:
        if self.ranked_at is None:
            return "awaiting_ranking"
        return "proposals_waiting" if self.proposals_waiting else "no_proposals"


@dataclass(frozen=True)
class CaseQuery:
    q: str = ""
    status: CitizenStatus | None = None
    waiting: bool | None = None
    sort: SortKey = "-registered"
    page: int = 1
    per_page: int = 25


@dataclass(frozen=True)
class CasePage:
    rows: list[tuple[CaseEntry, str]]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def fold(text: str) -> str:
    """Case- and accent-insensitive form for searching names (Æ, Ø and Å kept as letters)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def name_matches(name: str, q: str) -> bool:
    """Every word of the query starts a word of the name ("am has" finds "Amina Hassan")."""
    words = fold(name).split()
    return all(any(w.startswith(part) for w in words) for part in fold(q).split())


def select(entries: Sequence[CaseEntry], names: Mapping[uuid.UUID, str], query: CaseQuery) -> CasePage:
    """The page of the caseload the query asks for; `names` are the opened names by citizen."""
    found = [
        (e, names.get(e.citizen_id, ""))
        for e in entries
        if (query.status is None or e.status == query.status)
        and (query.waiting is None or (e.proposals_waiting > 0) == query.waiting)
        and (not query.q.strip() or name_matches(names.get(e.citizen_id, ""), query.q))
    ]
    key = query.sort.lstrip("-")
    descending = query.sort.startswith("-")
    if key == "name":
        found.sort(key=lambda row: (fold(row[1]), str(row[0].citizen_id)), reverse=descending)
    elif key == "waiting":
        found.sort(key=lambda row: (row[0].proposals_waiting, row[0].registered_at), reverse=descending)
    else:
        found.sort(key=lambda row: (row[0].registered_at, str(row[0].citizen_id)), reverse=descending)
    start = (query.page - 1) * query.per_page
    return CasePage(found[start : start + query.per_page], len(found), query.page, query.per_page)
