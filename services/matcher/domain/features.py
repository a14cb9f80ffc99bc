"""Citizens and opportunities as weighted vectors over ESCO occupations and skills.

A previous job implies its occupation's essential (and, weaker, optional) skills; a vacancy's
occupation implies what it needs. Dimensions are weighted by an IDF fitted (scikit-learn) on
ESCO's occupation profiles, so a skill shared by hundreds of occupations counts for little and an
occupation itself counts most. Only work-related fields are read: never the audit fields, the
caseworker's note or a social-control concern.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfTransformer

from services.matcher.domain.esco import EscoIndex
from services.matcher.domain.linking import ConceptKind, LinkedText, Linker
from shared.contracts import CitizenProfile, Opportunity

OCCUPATION_WEIGHT = 1.0
ESSENTIAL_WEIGHT = 0.5
OPTIONAL_WEIGHT = 0.15
SKILL_WEIGHT = 0.8
#: How much an ambiguous title's relevance is discounted per e-fold of readings it has.
AMBIGUITY_DISCOUNT = 0.1


def ambiguity_discount(readings: int) -> float:
    """1 for a precise title, ~0.93 for two readings, ~0.65 for 32."""
    return 1.0 - AMBIGUITY_DISCOUNT * float(np.log(max(readings, 1)))


@dataclass
class Encoded:
    """One side of a match: feature weights, and what they came from (for reasons and gaps)."""

    weights: dict[int, float] = field(default_factory=dict)
    occupations: list[int] = field(default_factory=list)
    skills: set[int] = field(default_factory=set)  # skill positions, explicit or implied
    essential: set[int] = field(default_factory=set)  # what the opportunity's occupation needs
    own_words: dict[int, str] = field(default_factory=dict)  # feature -> the text it came from
    unlinked: list[str] = field(default_factory=list)
    readings: list[Encoded] = field(default_factory=list)  # one per reading of an ambiguous title

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
        profiles = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(self.n_occ, self.size))
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

    def _add_linked(self, enc: Encoded, kind: ConceptKind, linked: LinkedText) -> None:
        if not linked.readings:
            enc.unlinked.append(linked.text)
        for lk in linked.readings:
            if kind == "occupation":
                self.add_occupation(enc, lk.index, lk.confidence, linked.text)
            else:
                self.add_skill(enc, lk.index, lk.confidence, linked.text)

    def _texts(self, enc: Encoded, requests: list[tuple[ConceptKind, str]]) -> None:
        """Link all of one side's free texts in one call to the linker."""
        for (kind, _), linked in zip(requests, self.linker.link(requests), strict=True):
            self._add_linked(enc, kind, linked)

    def profile(self, p: CitizenProfile) -> Encoded:
        enc = Encoded()
        by_uri, skill_by_uri = self.index.occupation_by_uri, self.index.skill_by_uri
        requests: list[tuple[ConceptKind, str]] = []
        for job in p.previous_jobs:
            if job.esco_occupation in by_uri:
                self.add_occupation(enc, by_uri[job.esco_occupation], 1.0, job.title)
            else:
                requests.append(("occupation", job.title))
        for claim in p.skills:
            if claim.esco_skill in skill_by_uri:
                self.add_skill(enc, skill_by_uri[claim.esco_skill], 1.0, claim.text or "")
            elif claim.text:
                requests.append(("skill", claim.text))
        self._texts(enc, requests)
        return enc

    def opportunity(self, o: Opportunity) -> Encoded:
        """The opportunity over all its readings, and (when its title is ambiguous) each reading.

        A title several occupations carry ("Grossist", "Procesoperatør") is not spread into one
        vague vector for relevance: each reading becomes its own vector (that occupation and the
        opportunity's own skills), and relevance takes the best of them, discounted for the
        ambiguity (`AMBIGUITY_DISCOUNT`). The union is kept for reasons and skill gaps.
        """
        enc = Encoded()
        requests: list[tuple[ConceptKind, str]] = []
        occ = self.index.occupation_by_uri.get(o.esco_occupation or "")
        precise = occ is not None
        if occ is not None:
            self.add_occupation(enc, occ, 1.0, o.title)
        else:
            requests.append(("occupation", o.occupation_text or o.title))
        uris = list(o.esco_skills)
        texts = list(o.skills)
        if o.education:
            uris += o.education.teaches_skills
            texts += o.education.teaches_skill_texts
        skills = [self.index.skill_by_uri[u] for u in uris if u in self.index.skill_by_uri]
        requests += [("skill", t) for t in texts]
        linked = self.linker.link(requests)
        for (kind, _), lt in zip(requests, linked, strict=True):
            self._add_linked(enc, kind, lt)
        for s in skills:
            self.add_skill(enc, s, 1.0, "")
        title = None if precise else linked[0]
        if title is not None and len(title.readings) > 1:
            for lk in title.readings:
                reading = Encoded()
                self.add_occupation(reading, lk.index, lk.confidence, title.text)
                for (kind, _), lt in zip(requests[1:], linked[1:], strict=True):
                    self._add_linked(reading, kind, lt)
                for s in skills:
                    self.add_skill(reading, s, 1.0, "")
                enc.readings.append(reading)
        return enc

    def reading_rows(self, enc: Encoded) -> list[tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]]:
        """The rows relevance is the best of: one per reading, discounted, or just the one."""
        if not enc.readings:
            return [self.row(enc)]
        discount = np.float32(ambiguity_discount(len(enc.readings)))
        rows = [self.row(r) for r in enc.readings]
        return [(idx, val * discount) for idx, val in rows]

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
