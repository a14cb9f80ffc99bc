"""How likely an occupation makes what the citizen stated: the second look at the best few.

Cosine relevance cannot tell siblings apart that share most essential skills, and it divides by
the opportunity's length, so a small occupation sharing two stated skills can beat the one that
needs all five. Among the best few candidates, each stated skill is scored by how probable that
occupation makes it: an essential skill of an occupation with n essential skills has probability
(1 - `OPTIONAL_SHARE` - `ELSEWHERE`) / n (a skill few occupations need, in a short list, says
most); an optional one `OPTIONAL_SHARE` / (number of optional skills); any other skill a small
`ELSEWHERE` spread over all skills. The mean log-probability per stated skill, relative to the
best candidate, is added to the score times `WEIGHT`. A skill of another occupation of the same
line of work (`features.FeatureSpace.lines`) counts as an optional one: a SOSU helper's "tend to
elderly people" is not a stranger's skill in a care home, though ESCO's care-home worker lacks it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from services.matcher.domain.esco import EscoIndex

OPTIONAL_SHARE = 0.1
ELSEWHERE = 0.01
WEIGHT = 0.1
#: A previous job title says as much as this many stated skills: the second look weighs
#: WEIGHT × claims / (claims + TITLE_CLAIMS × titles), so it cannot outvote a job title.
TITLE_CLAIMS = 5.0


def weight(claims: int, titles: int) -> float:
    return WEIGHT * claims / (claims + TITLE_CLAIMS * titles) if claims else 0.0


@dataclass(frozen=True)
class _Profile:
    essential: frozenset[int]
    optional: frozenset[int]
    log_essential: float
    log_optional: float


class Likelihood:
    """Per-occupation skill probabilities, built lazily and kept."""

    def __init__(self, index: EscoIndex, lines: Mapping[int, tuple[int, ...]] | None = None) -> None:
        self.index = index
        self.lines: Mapping[int, tuple[int, ...]] = lines or {}
        self._profiles: dict[int, _Profile] = {}
        self._log_elsewhere = math.log(ELSEWHERE / max(len(index.skills), 1))

    def _profile(self, occ: int) -> _Profile:
        p = self._profiles.get(occ)
        if p is None:
            o = self.index.occupations[occ]
            ess, opt = frozenset(o.essential), frozenset(o.optional)
            occs = self.index.occupations
            line = {s for other in self.lines.get(occ, ()) for s in (*occs[other].essential, *occs[other].optional)}
            opt |= line - ess
            p = _Profile(
                ess,
                opt,
                math.log((1 - OPTIONAL_SHARE - ELSEWHERE) / max(len(ess), 1)),
                math.log(OPTIONAL_SHARE / max(len(opt), 1)),
            )
            self._profiles[occ] = p
        return p

    def mean_log(self, occ: int, claims: list[tuple[int, ...]]) -> float:
        """Mean over the stated skills of log P(skill | occupation), each at its likeliest reading."""
        p = self._profile(occ)
        total = 0.0
        for readings in claims:
            best = self._log_elsewhere
            for s in readings:
                if s in p.essential:
                    best = max(best, p.log_essential)
                elif s in p.optional:
                    best = max(best, p.log_optional)
            total += best
        return total / len(claims)
