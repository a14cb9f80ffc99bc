"""Rank a catalogue for one citizen: ESCO relevance, then hard rules, strategy and skill gaps.

    ranker = Ranker(linker)          # once; see adapters.esco_store.load_ranker()
    result = ranker.rank(profile, catalogue, top_n=10)

Relevance is the cosine between the citizen's and each opportunity's IDF-weighted ESCO vector
(one sparse product over the whole catalogue; an opportunity whose title several occupations share
has one vector per reading, discounted, and counts with its best); hard rules are applied as numpy masks and then
exactly (`rules.check`) on the few that make the list. Protected fields (gender, origin group, age
band, social-control concern, caseworker's note) are never read here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from services.matcher.domain import reasons as text
from services.matcher.domain.associations import (
    LANGUAGE_FRIENDLY_BONUS,
    AssociationIndex,
    InterestEncoder,
    build_association_index,
    interest_match,
)
from services.matcher.domain.catalogue import Catalogue
from services.matcher.domain.catalogue_index import KINDS, CatalogueIndex, CatalogueIndexer
from services.matcher.domain.features import Encoded, FeatureSpace
from services.matcher.domain.gaps import GapPlan, missing_essentials, plan_gaps
from services.matcher.domain.linking import Linker
from services.matcher.domain.model import RankedOpportunity, RankingResult
from services.matcher.domain.rules import Commute, Verdict, check
from services.matcher.domain.screening import Screen, screen
from services.matcher.domain.strategy import (
    PER_COMMUTE_MINUTE,
    RULES,
    apply_strategy,
    low_danish,
)
from shared.contracts import CitizenProfile, Opportunity, OpportunityKind, Reasons

_ASSOCIATION = KINDS.index(OpportunityKind.ASSOCIATION_ACTIVITY)
_MAX_NAMED = 5


class Ranker:
    """Built once per process around the ESCO linker; caches catalogue matrices by version."""

    def __init__(self, linker: Linker) -> None:
        self.linker = linker
        self.space = FeatureSpace(linker)
        self.indexer = CatalogueIndexer(self.space)
        self._assoc: tuple[CatalogueIndex, AssociationIndex] | None = None
        self._interests = InterestEncoder(linker.encoder)

    @property
    def attribution(self) -> str:
        return self.linker.index.attribution

    def relevance(self, citizen: Encoded, ci: CatalogueIndex) -> npt.NDArray[np.float64]:
        """Cosine with every reading, then the best reading of each opportunity.

        Only the matrix rows of the citizen's own features are read (a row slice and one
        mat-vec), which gives exactly the sparse product's sums in the same order.
        """
        idx, val = self.space.row(citizen)
        if idx.size == 0:
            return np.zeros(len(ci))
        per_reading = np.asarray(ci.features_t[idx].T @ val).ravel()
        sidx, sval = self.space.stated_row(citizen)
        if sidx.size:
            per_reading += np.asarray(ci.cover_t[sidx].T @ sval).ravel()
        return ci.best_reading(per_reading)

    def rank(self, profile: CitizenProfile, catalogue: Catalogue, *, top_n: int = 10) -> RankingResult:
        ci = self.indexer.index(catalogue)
        if len(ci) == 0:
            return RankingResult()
        citizen = self.space.profile(profile)
        relevance = self.relevance(citizen, ci)
        sc = screen(profile, ci)
        scored = apply_strategy(profile, ci, relevance, sc)
        gaps = plan_gaps(self.space, ci, relevance, sc, citizen.skills)
        for e, s in gaps.score.items():
            if s > scored.score[e]:
                scored.score[e] = s - PER_COMMUTE_MINUTE * np.nan_to_num(sc.minutes[e])
                scored.rule[e] = RULES.index("closes_skill_gap")
        picked = self._pick(profile, ci, scored.score, sc.allowed & (ci.kind != _ASSOCIATION), top_n)
        proposals = [
            self._ranked(
                profile,
                citizen,
                ci,
                i,
                v,
                float(scored.score[i]),
                RULES[scored.rule[i]],
                gaps,
                relevance,
            )
            for i, v in picked
        ]
        return RankingResult(proposals=proposals, associations=self._associations(profile, ci, sc, top_n))

    def _pick(
        self,
        profile: CitizenProfile,
        ci: CatalogueIndex,
        score: npt.NDArray[np.float64],
        mask: npt.NDArray[np.bool_],
        top_n: int,
    ) -> list[tuple[int, Verdict]]:
        """Best first (ties by position) among those the exact hard rules allow.

        Candidates are taken in slices of falling score, the first holding at least
        max(4 * top_n, 32) of them, each next one four times as many; only those are sorted and
        checked, until top_n pass.
        """
        picked: list[tuple[int, Verdict]] = []
        if top_n <= 0:
            return picked
        masked = np.where(mask, score, -np.inf)
        k = max(4 * top_n, 32)
        above = np.inf  # scores at or above this were checked in an earlier slice
        while True:
            cut = _kth_bound(masked, k)
            if cut is None:
                cand = np.flatnonzero(mask & (score < above))
            elif above == np.inf:
                cand = np.flatnonzero(masked >= cut)
            else:
                cand = np.flatnonzero((masked >= cut) & (masked < above))
            for i in cand[np.lexsort((cand, -score[cand]))]:
                verdict = check(profile, ci.opportunities[i])
                if verdict.allowed:
                    picked.append((int(i), verdict))
                    if len(picked) == top_n:
                        return picked
            if cut is None:
                return picked
            above = cut
            k *= 4

    def _ranked(
        self,
        profile: CitizenProfile,
        citizen: Encoded,
        ci: CatalogueIndex,
        i: int,
        v: Verdict,
        score: float,
        rule: str,
        gaps: GapPlan,
        relevance: npt.NDArray[np.float64],
    ) -> RankedOpportunity:
        return RankedOpportunity(
            ci.ids[i],
            ci.opportunities[i],
            round(score, 4),
            lambda: self._reasons(profile, citizen, ci, i, v, rule, gaps, relevance),
        )

    def _reasons(
        self,
        profile: CitizenProfile,
        citizen: Encoded,
        ci: CatalogueIndex,
        i: int,
        v: Verdict,
        rule: str,
        gaps: GapPlan,
        relevance: npt.NDArray[np.float64],
    ) -> Reasons:
        opp = ci.opportunities[i]
        row = ci.rows[i]
        space, esco = self.space, self.linker.index
        shared = [int(f) for f in row.indices if int(f) in citizen.weights]
        shared.sort(key=lambda f: -citizen.weights[f] * float(space.idf[f]))
        words = list(
            dict.fromkeys(citizen.own_words.get(f) or self._label(f, profile.preferred_language) for f in shared)
        )
        matched_skills = [f - space.n_occ for f in shared if f >= space.n_occ]
        gap_da: list[str] = []
        gap_en: list[str] = []
        opens_job = ""
        if rule == "closes_skill_gap":
            certs = gaps.closes_certs.get(i, [])
            gap_da = [text.certificate_name(c, "da") for c in certs]
            gap_en = [text.certificate_name(c, "en") for c in certs]
            if i in gaps.closes_licence and opp.education and opp.education.grants_driving_licence:
                gap_da.append(text.licence_name(opp.education.grants_driving_licence, "da"))
                gap_en.append(text.licence_name(opp.education.grants_driving_licence, "en"))
            skills = sorted(gaps.closes_skills.get(i, set()))[:_MAX_NAMED]
            gap_da += [esco.skills[s].label_en for s in skills]
            gap_en += [esco.skills[s].label_en for s in skills]
            jobs = sorted(gaps.opens.get(i, []), key=lambda j: -relevance[j])
            opens_job = ci.opportunities[jobs[0]].title if jobs else ""
            missing = gap_en
            missing_uris = [esco.skills[s].uri for s in skills]
            opens_ids = [ci.ids[j] for j in jobs]
        else:
            gap_skills = sorted(
                missing_essentials(space, row.occupations, citizen.skills),
                key=lambda s: -float(space.idf[space.skill_feature(s)]),
            )[:_MAX_NAMED]
            missing = [esco.skills[s].label_en for s in gap_skills]
            missing_uris = [esco.skills[s].uri for s in gap_skills]
            opens_ids = []
        commute = v.commute
        da, en = text.sentences(
            opp,
            rule,
            matched=words,
            minutes=commute.minutes if commute else None,
            mode=commute.mode if commute else None,
            gap_da=gap_da,
            gap_en=gap_en,
            opens_job=opens_job,
        )
        return Reasons(
            matched_skills=words[:_MAX_NAMED],
            missing_skills=missing,
            matched_skill_uris=[esco.skills[s].uri for s in matched_skills[:_MAX_NAMED]],
            missing_skill_uris=missing_uris,
            rule=rule,
            closes_gap_for=opens_ids,
            **_fit(profile, opp, commute),
            text_da=da,
            text_en=en,
        )

    def _label(self, feature: int, language: str) -> str:
        if feature < self.space.n_occ:
            return self.linker.index.occupation_label(feature, language)
        return self.linker.index.skills[feature - self.space.n_occ].label_en

    def _associations(
        self,
        profile: CitizenProfile,
        ci: CatalogueIndex,
        sc: Screen,
        top_n: int,
    ) -> list[RankedOpportunity]:
        allowed = sc.allowed
        if self._assoc is None or self._assoc[0] is not ci:
            self._assoc = (ci, build_association_index(self.linker.encoder, ci))
        ai = self._assoc[1]
        if ai.positions.size == 0 or not allowed[ai.positions].any():
            return []
        interest, matched = interest_match(self._interests, profile, ai)
        bonus = np.where(ai.language_friendly, LANGUAGE_FRIENDLY_BONUS if low_danish(profile) else 0.05, 0)
        minutes = np.nan_to_num(sc.minutes[ai.positions])
        score = np.full(len(ci), -np.inf)
        score[ai.positions] = interest + bonus - PER_COMMUTE_MINUTE * minutes
        by_pos = {int(p): m for p, m in zip(ai.positions, matched, strict=True)}
        out: list[RankedOpportunity] = []
        mask = np.zeros(len(ci), dtype=np.bool_)
        mask[ai.positions] = allowed[ai.positions]
        for i, v in self._pick(profile, ci, score, mask, top_n):
            opp = ci.opportunities[i]
            words = by_pos[i]
            c = v.commute
            da, en = text.sentences(
                opp,
                "association_interest",
                matched=words,
                minutes=c.minutes if c else None,
                mode=c.mode if c else None,
            )
            out.append(
                RankedOpportunity(
                    ci.ids[i],
                    opp,
                    round(float(score[i]), 4),
                    Reasons(
                        matched_skills=words,
                        rule="association_interest",
                        **_fit(profile, opp, c),
                        text_da=da,
                        text_en=en,
                    ),
                )
            )
        return out


_BLOCK = 256


def _kth_bound(values: npt.NDArray[np.float64], k: int) -> float | None:
    """A finite value with at least k of `values` at or above it, not far below the k-th largest.

    The k-th largest of the block maxima is such a bound (k blocks each hold one at least that
    high), and costs one pass; None when fewer than k blocks hold a finite value.
    """
    n = values.size
    if n <= k:
        return None
    whole = n - n % _BLOCK
    maxima = values[:whole].reshape(-1, _BLOCK).max(axis=1)
    if whole < n:
        maxima = np.append(maxima, values[whole:].max())
    if maxima.size <= k:
        finite = values[values > -np.inf]
        if finite.size <= k:
            return None
        return float(np.partition(finite, finite.size - k)[finite.size - k])
    cut = float(np.partition(maxima, maxima.size - k)[maxima.size - k])
    return None if cut == -np.inf else cut


def _fit(profile: CitizenProfile, opp: Opportunity, commute: Commute | None) -> dict[str, Any]:
    """The reasons every proposal carries: commute, Danish level against the requirement, hours."""
    return {
        "commute_km": commute.km if commute else None,
        "commute_minutes": commute.minutes if commute else None,
        "commute_mode": commute.mode if commute else None,
        "danish_level": profile.danish.level,
        "required_danish_level": opp.min_danish_level,
        "danish_mentor": opp.danish_mentor,
        "hours_fit": _hours_fit(profile, opp),
    }


def _hours_fit(profile: CitizenProfile, opp: Opportunity) -> bool:
    if opp.schedule.hours_per_week > profile.availability.hours_per_week:
        return False
    busy = profile.availability.unavailable
    return not any(s.overlaps(b) for s in opp.schedule.slots for b in busy)


__all__ = ["Ranker"]
