"""What an opportunity's owner may learn about the citizens proposed for it: a pseudonym and the fit, no more."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts import CefrLevel, MatchProposed, Proposal


class Candidate(BaseModel):
    """One citizen proposed for one opportunity, without anything that names or reaches the person."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pseudonym: str = Field(
        description="Stable for this citizen and this opportunity only; it cannot be linked across opportunities.",
        examples=["c-3f9a1c0e5b7d2a48"],
    )
    rank: int = Field(ge=1, description="The opportunity's place in the citizen's latest ranking.")
    danish_level: CefrLevel | None = None
    matched_skills: list[str] = Field(default_factory=list)
    commute_minutes: float | None = Field(default=None, ge=0)
    proposed_at: datetime


def pseudonym(opportunity_id: uuid.UUID, citizen_id: uuid.UUID) -> str:
    """A one-way label per (opportunity, citizen): a company holding two labels cannot tell they are one person."""
    digest = hashlib.sha256(f"brobygger-candidate\x00{opportunity_id}\x00{citizen_id}".encode()).hexdigest()
    return f"c-{digest[:16]}"


def candidate(event: MatchProposed, proposal: Proposal) -> Candidate:
    return Candidate(
        pseudonym=pseudonym(proposal.opportunity_id, event.citizen_id),
        rank=proposal.rank,
        danish_level=proposal.reasons.danish_level,
        matched_skills=list(proposal.reasons.matched_skills),
        commute_minutes=proposal.reasons.commute_minutes,
        proposed_at=event.occurred_at,
    )


def candidates_in(event: MatchProposed) -> dict[uuid.UUID, Candidate]:
    """The candidate entry per opportunity this ranking names.

    Association activities are left out on purpose: an association hears of a newcomer only after the
    citizen has said yes, and that answer is not in a ranking.
    """
    return {p.opportunity_id: candidate(event, p) for p in event.proposals}
