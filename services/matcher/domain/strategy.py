"""Policy on top of relevance: ordinary employment first, Danish at work for those with little.

Relevance (0..1, cosine over ESCO features) is multiplied by a factor per kind of opportunity, so
the order between kinds changes only where relevance is comparable; commute and hours that do not
fit cost a little. The rule that placed each opportunity is kept for its reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt

from services.matcher.domain.catalogue_index import KINDS, CatalogueIndex
from services.matcher.domain.rules import HOURS_SLACK, level_rank
from services.matcher.domain.screening import Screen
from shared.contracts import CitizenProfile, OpportunityKind

LOW_DANISH = 2  # A2 or below: steered to language-at-work placements with a mentor
PER_COMMUTE_MINUTE = 0.002
HOURS_PENALTY = 0.05
#: An education step counts this share of its relevance: a job the citizen can take comes first.
EDUCATION_FACTOR = 0.6
RULES = (
    "skills_match",
    "ordinary_employment_first",
    "danish_at_work_first",
    "closes_skill_gap",
    "association_interest",
)

_JOB = KINDS.index(OpportunityKind.ORDINARY_JOB)
_PLACEMENT = KINDS.index(OpportunityKind.LANGUAGE_PLACEMENT)
_EDUCATION = KINDS.index(OpportunityKind.EDUCATION_STEP)


@dataclass(frozen=True)
class Scored:
    score: npt.NDArray[np.float64]
    rule: npt.NDArray[np.int8]  # index into RULES


def low_danish(profile: CitizenProfile) -> bool:
    return level_rank(profile.danish.level) <= LOW_DANISH


_ByKind = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64] | None, npt.NDArray[np.int8]]


def _by_kind(ci: CatalogueIndex, low: bool) -> _ByKind:
    """Factor, bonus (None when there is none) and rule per opportunity; kept per catalogue index."""
    key = "strategy.low" if low else "strategy"
    cached = ci.derived.get(key)
    if cached is None:
        factor = np.ones(len(ci))
        bonus = np.zeros(len(ci))
        rule = np.zeros(len(ci), dtype=np.int8)
        job = ci.kind == _JOB
        rule[job] = RULES.index("ordinary_employment_first")
        placement = ci.kind == _PLACEMENT
        if low:
            steer = placement & ci.mentor
            factor[steer] = 1.25
            bonus[steer] = 0.1  # even without a skills match, Danish at work comes first
            rule[steer] = RULES.index("danish_at_work_first")
            factor[placement & ~ci.mentor] = 0.9
        else:
            factor[placement] = 0.85  # ordinary employment first when the citizen qualifies
        factor[ci.kind == _EDUCATION] = EDUCATION_FACTOR
        cached = (factor, bonus if bonus.any() else None, rule)
        ci.derived[key] = cached
    return cast(_ByKind, cached)


def apply_strategy(
    profile: CitizenProfile, ci: CatalogueIndex, relevance: npt.NDArray[np.float64], sc: Screen
) -> Scored:
    factor, bonus, rule = _by_kind(ci, low_danish(profile))
    # relevance * factor + bonus - PER_COMMUTE_MINUTE * minutes - hours, term by term in place
    score = relevance * factor
    if bonus is not None:
        score += bonus
    if not np.isnan(sc.minutes[:1]).any():  # NaN everywhere when the home is not known
        score -= PER_COMMUTE_MINUTE * sc.minutes
    np.subtract(score, HOURS_PENALTY, out=score, where=ci.hours > profile.availability.hours_per_week + HOURS_SLACK)
    return Scored(score, rule.copy())
