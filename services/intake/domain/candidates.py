"""What an opportunity's owner may learn about the citizens proposed for it: a pseudonym and the fit, no more."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import uuid
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts import CefrLevel, MatchProposed, Proposal

#: Commute times are shown to the nearest 5 minutes: exact minutes would help narrow down a home.
COMMUTE_STEP_MIN = 5


class Candidate(BaseModel):
    """One citizen proposed for one opportunity, without anything that names, reaches or links the person."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pseudonym: str = Field(
        description="The same for this citizen across one owner's postings; another owner's label for the same "
        "person is unrelated (a keyed hash per owner).",
        examples=["c-3f9a1c0e5b7d2a48"],
    )
    rank: int = Field(ge=1, description="The opportunity's place in the citizen's latest ranking.")
    danish_level: CefrLevel | None = None
    matched_skills: list[str] = Field(default_factory=list, description="Stated skills it asks for (own words).")
    matched_previous_jobs: list[str] = Field(
        default_factory=list, description="Earlier jobs like this one (own words): work done before, not skills."
    )
    commute_minutes: int | None = Field(default=None, ge=0, description="Rounded up to 5 minutes.")
    proposed_week_of: dt.date = Field(
        description="Monday of the week the ranking named the candidate; no finer time is shown, because one "
        "ranking's exact time would be the same in every owner's list and link them."
    )


def pseudonym(secret: bytes, owner: str, citizen_id: uuid.UUID) -> str:
    """A keyed one-way label per (owner, citizen): two owners' labels for one person cannot be matched, and
    without the secret (derived from the KEK, never in Redis) nobody can compute one from a guessed id."""
    digest = hmac.new(secret, f"brobygger-candidate\x00{owner}\x00{citizen_id}".encode(), hashlib.sha256)
    return f"c-{digest.hexdigest()[:16]}"


def week_of(moment: dt.datetime) -> dt.date:
    day = moment.astimezone(dt.UTC).date()
    return day - dt.timedelta(days=day.weekday())


def _rounded(minutes: float | None) -> int | None:
    return None if minutes is None else int(math.ceil(minutes / COMMUTE_STEP_MIN) * COMMUTE_STEP_MIN)


def candidate(event: MatchProposed, proposal: Proposal, owner: str, secret: bytes) -> Candidate:
    return Candidate(
        pseudonym=pseudonym(secret, owner, event.citizen_id),
        rank=proposal.rank,
        danish_level=proposal.reasons.danish_level,
        matched_skills=list(proposal.reasons.matched_skills),
        matched_previous_jobs=list(proposal.reasons.matched_previous_jobs),
        commute_minutes=_rounded(proposal.reasons.commute_minutes),
        proposed_week_of=week_of(event.occurred_at),
    )


def candidates_in(event: MatchProposed, owners: Mapping[uuid.UUID, str], secret: bytes) -> dict[uuid.UUID, Candidate]:
    """The candidate entry per opportunity this ranking names; `owners` says whose each opportunity is.

    Association activities are left out on purpose: an association hears of a newcomer only after the
    citizen has said yes, and that answer is not in a ranking.
    """
    return {
        p.opportunity_id: candidate(event, p, owners.get(p.opportunity_id, f"opportunity:{p.opportunity_id}"), secret)
        for p in event.proposals
    }
