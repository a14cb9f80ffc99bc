"""What the ranking produces, before it becomes a `MatchProposed` event."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from shared.contracts import Opportunity, OpportunityKind, Reasons


@dataclass(frozen=True, eq=False)
class RankedOpportunity:
    """One ranked opportunity. Its reasons may be given as a function, built on first access:
    the service ranks several candidates per proposal it sends, and explains only those it sends.
    """

    opportunity_id: uuid.UUID
    opportunity: Opportunity
    score: float
    explain: Reasons | Callable[[], Reasons] = field(repr=False)

    @property
    def reasons(self) -> Reasons:
        if not isinstance(self.explain, Reasons):
            object.__setattr__(self, "explain", self.explain())
        assert isinstance(self.explain, Reasons)
        return self.explain


@dataclass(frozen=True)
class NearMissItem:
    """A relevant opportunity a hard rule excluded, and what would open it (caseworker only)."""

    opportunity_id: uuid.UUID
    opportunity: Opportunity
    score: float
    rule: str
    text_da: str
    text_en: str
    rules: tuple[str, ...] = ()  # every hard rule it breaks, `rule` first


@dataclass(frozen=True)
class Opener:
    """The education step that would open the most near-miss jobs for this citizen."""

    opportunity_id: uuid.UUID
    opportunity: Opportunity
    opens: int


@dataclass(frozen=True)
class RankingResult:
    """Proposals (jobs, placements, education steps) best first; associations on their own.

    `consented` are the kinds the citizen agreed to be proposed (a kind with none gets a note).
    """

    proposals: list[RankedOpportunity] = field(default_factory=list)
    associations: list[RankedOpportunity] = field(default_factory=list)
    near_misses: list[NearMissItem] = field(default_factory=list)
    opener: Opener | None = None
    consented: tuple[OpportunityKind, ...] = ()
