"""Citizens and opportunities as weighted vectors over ESCO occupations and skills.

A previous job implies its occupation's essential (and, weaker, optional) skills; a vacancy's
occupation implies what it needs. Dimensions are weighted by an IDF fitted (scikit-learn) on
ESCO's occupation profiles, so a skill shared by hundreds of occupations counts for little and an
occupation itself counts most. Only work-related fields are read: never the audit fields, the
caseworker's note or a social-control concern.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfTransformer

from services.matcher.domain.esco import EscoIndex
from services.matcher.domain.linking import Link, LinkedText, Linker
from shared.contracts import CitizenProfile, Opportunity

OCCUPATION_WEIGHT = 1.0
ESSENTIAL_WEIGHT = 0.5
OPTIONAL_WEIGHT = 0.15
SKILL_WEIGHT = 0.8
#: Links this close to the best one are kept too: an ambiguous title spreads over its readings.
_NEAR_BEST = 0.05


@dataclass
class Encoded:
    """One side of a match: feature weights, and what they came from (for reasons and gaps)."""

    weights: dict[int, float] = field(default_factory=dict)
    occupations: list[int] = field(default_factory=list)
    skills: set[int] = field(default_factory=set)  # skill positions, explicit or implied
    essential: set[int] = field(default_factory=set)  # what the opportunity's occupation needs
    own_words: dict[int, str] = field(default_factory=dict)  # feature -> the text it came from
    unlinked: list[str] = field(default_factory=list)

    def add(self, feature: int, weight: float) -> None:
        self.weights[feature] = max(self.weights.get(feature, 0.0), weight)


class FeatureSpace:
    """Feature j < n_occ is occupation j; feature n_occ + k is skill k."""

    def __init__(self, linker: Linker) -> None:
        self.linker = linker
        self.index: EscoIndex = linker.index
        self.n_occ = len(self.index.occupations)
        self.size = self.n_occ + len(self.index.skills)
        self.idf = self._fit_idf()

    def _fit_idf(self) -> npt.NDArray[np.float32]:
        rows, cols = [], []
        for i, occ in enumerate(self.index.occupations):
            feats = [i, *(self.n_occ + s for s in occ.essential + occ.optional)]
            rows += [i] * len(feats)
            cols += feats
        profiles = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(self.n_occ, self.size)
        )
        tfidf = TfidfTransformer(smooth_idf=True).fit(profiles)
        return np.asarray(tfidf.idf_, dtype=np.float32)

    def skill_feature(self, skill: int) -> int:
        return self.n_occ + skill

    def add_occupation(self, enc: Encoded, occ: int, confidence: float, text: str) -> None:
        enc.occupations.append(occ)
        enc.add(occ, OCCUPATION_WEIGHT * confidence)
        enc.own_words.setdefault(occ, text)
        o = self.index.occupations[occ]
        for s in o.essential:
            enc.add(self.n_occ + s, ESSENTIAL_WEIGHT * confidence)
            enc.skills.add(s)
            enc.essential.add(s)
        for s in o.optional:
            enc.add(self.n_occ + s, OPTIONAL_WEIGHT * confidence)

    def add_skill(self, enc: Encoded, skill: int, confidence: float, text: str) -> None:
        enc.add(self.n_occ + skill, SKILL_WEIGHT * confidence)
        enc.skills.add(skill)
        enc.own_words.setdefault(self.n_occ + skill, text)

    def _links(self, linked: LinkedText) -> list[Link]:
        best = linked.best
        return (
            []
            if best is None
            else [lk for lk in linked.links if lk.confidence >= best.confidence - _NEAR_BEST]
        )

    def _occupation_texts(self, enc: Encoded, texts: Iterable[str]) -> None:
        for linked in self.linker.occupations(list(texts)):
            links = self._links(linked)
            if not links:
                enc.unlinked.append(linked.text)
            for lk in links:
                self.add_occupation(enc, lk.index, lk.confidence, linked.text)

    def _skill_texts(self, enc: Encoded, texts: Iterable[str]) -> None:
        for linked in self.linker.skills(list(texts)):
            links = self._links(linked)
            if not links:
                enc.unlinked.append(linked.text)
            for lk in links:
                self.add_skill(enc, lk.index, lk.confidence, linked.text)

    def profile(self, p: CitizenProfile) -> Encoded:
        enc = Encoded()
        by_uri = self.index.occupation_by_uri
        for job in p.previous_jobs:
            if job.esco_occupation in by_uri:
                self.add_occupation(enc, by_uri[job.esco_occupation], 1.0, job.title)
        self._occupation_texts(
            enc, [j.title for j in p.previous_jobs if j.esco_occupation not in by_uri]
        )
        for claim in p.skills:
            if claim.esco_skill in self.index.skill_by_uri:
                self.add_skill(
                    enc, self.index.skill_by_uri[claim.esco_skill], 1.0, claim.text or ""
                )
        self._skill_texts(
            enc,
            [c.text for c in p.skills if c.text and c.esco_skill not in self.index.skill_by_uri],
        )
        return enc

    def opportunity(self, o: Opportunity) -> Encoded:
        enc = Encoded()
        if o.esco_occupation in self.index.occupation_by_uri:
            self.add_occupation(enc, self.index.occupation_by_uri[o.esco_occupation], 1.0, o.title)
        else:
            self._occupation_texts(enc, [o.occupation_text or o.title])
        uris = list(o.esco_skills)
        texts = list(o.skills)
        if o.education:
            uris += o.education.teaches_skills
            texts += o.education.teaches_skill_texts
        for uri in uris:
            if uri in self.index.skill_by_uri:
                self.add_skill(enc, self.index.skill_by_uri[uri], 1.0, "")
        self._skill_texts(enc, texts)
        return enc

    def row(self, enc: Encoded) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
        """IDF-weighted, unit-length (indices, values) of one encoded side."""
        if not enc.weights:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        idx = np.fromiter(enc.weights.keys(), dtype=np.int32, count=len(enc.weights))
        val = np.fromiter(enc.weights.values(), dtype=np.float32, count=len(enc.weights))
        val *= self.idf[idx]
        order = np.argsort(idx)
        idx, val = idx[order], val[order]
        return idx, val / np.float32(np.linalg.norm(val))

    def vector(self, enc: Encoded) -> sp.csr_matrix:
        idx, val = self.row(enc)
        return sp.csr_matrix((val, idx, np.array([0, len(idx)])), shape=(1, self.size))
