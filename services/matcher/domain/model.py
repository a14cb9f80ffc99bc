"""What the ranking produces, before it becomes a `MatchProposed` event."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from shared.contracts import Opportunity, Reasons


@dataclass(frozen=True)
class RankedOpportunity:
    opportunity_id: uuid.UUID
    opportunity: Opportunity
    score: float
    reasons: Reasons


@dataclass(frozen=True)
class RankingResult:
    """Proposals (jobs, placements, education steps) best first; associations on their own."""

    proposals: list[RankedOpportunity] = field(default_factory=list)
    associations: list[RankedOpportunity] = field(default_factory=list)
