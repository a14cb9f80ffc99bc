"""Citizens and opportunities as weighted vectors over ESCO occupations and skills.

A previous job implies its occupation's essential (and, weaker, optional) skills; a vacancy's
occupation implies what it needs. Dimensions are weighted by an IDF fitted (scikit-learn) on
ESCO's occupation profiles, so a skill shared by hundreds of occupations counts for little and an
occupation itself counts most. Only work-related fields are read: never the audit fields, the
caseworker's note or a social-control concern.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfTransformer

from services.matcher.domain.esco import EscoIndex
from services.matcher.domain.linking import ConceptKind, LinkedText, Linker
from services.matcher.domain.reasons import certificate_name
from services.matcher.domain.text import normalise
from shared.contracts import Certificate, CitizenProfile, Opportunity

OCCUPATION_WEIGHT = 1.0
ESSENTIAL_WEIGHT = 0.5
OPTIONAL_WEIGHT = 0.15
#: An occupation's optional skills count fully up to the median length of an optional list in ESCO
#: (17 in v1.1.1); a longer list is scaled by sqrt(median / length), so its weight in the vector is
#: that of a median list. One of 316 optional skills ("mechanical engineer") says little about the
#: occupation, and unscaled such a list outweighed the occupation itself: a citizen whose title also
#: read as "mechanical engineer" was nearest to every vacancy with that reading, not to the vacancy
#: of the occupation the title named first.
SKILL_WEIGHT = 0.8
#: The weight of each other occupation of an occupation's line of work (a reviewed list: trades a
#: Danish jobcentre counts as one, which ESCO splits into occupations whose skills share little:
#: "social- og sundhedshjælper" and "plejecentermedarbejder"), for a citizen's previous job and
#: an opportunity alike. Only the occupation: its skills are not implied.
LINE_WEIGHT = 0.5
#: An attitude or personal quality (an ESCO transversal skill: "selvstændig", "godt humør") counts
#: this share of a trade skill: it is shown, never decisive.
ATTITUDE_SHARE = 0.25
#: How much an ambiguous title's relevance is discounted per e-fold of readings it has.
AMBIGUITY_DISCOUNT = 0.1
#: Coverage, added to the cosine: the share of the citizen's stated skills (each weighted by its
#: link confidence and its IDF, so a skill few occupations carry counts most) that the
#: opportunity's occupation needs; a skill that is only optional there counts `OPTIONAL_COVERAGE`.
#: The cosine alone divides by the opportunity's length, so a small sibling occupation sharing two
#: of five stated skills could beat the one needing all five.
COVERAGE = 0.1
OPTIONAL_COVERAGE = 0.3
#: A stated skill whose words have k readings (likely ESCO skills) gives each k^-READING_SPLIT of
#: its weight: one phrase is not counted k times against an opportunity asking for those skills.
READING_SPLIT = 0.5
#: A stated skill is named as a match only when its words linked this surely to the ESCO skill the
#: opportunity needs ("tømrerarbejde" reaching "pick orders for dispatching" at 0.52 is not named);
#: likewise a course teaches only the skills its words link to this surely.
CITE_CONFIDENCE = 0.6
#: The weight of a skill an opportunity names itself (its occupation's skills weigh as above): as an
#: essential one, so an English vacancy listing three skills is not ahead of a Danish one that
#: names only its occupation.
OPP_SKILL_WEIGHT = 0.5
#: What a certificate shows the citizen can do (ESCO skills by English preferred label): it counts
#: as a skill they stated, in the certificate's Danish name, so a forklift certificate is never a
#: missing "operate forklift" and brings forklift jobs forward. A driver qualification (the EU
#: CPC) adds to a licence no one ESCO skill; it is not listed.
CERTIFICATE_SKILLS: Mapping[Certificate, tuple[str, ...]] = {
    Certificate.FORKLIFT: ("operate forklift",),
    Certificate.HYGIENE: ("comply with food safety and hygiene",),
    Certificate.FIRST_AID: ("provide first aid",),
    Certificate.CRANE: ("operate cranes",),
    Certificate.WORK_AT_HEIGHT: ("follow safety procedures when working at heights",),
    Certificate.SAFETY_CARD: ("follow health and safety procedures in construction",),
    Certificate.ADR: ("transport dangerous goods",),
    Certificate.CLEANING: ("perform cleaning duties",),
    Certificate.CARE_ASSISTANT: ("tend to elderly people",),
}

#: What any road driving licence shows the citizen knows (ESCO skills by English preferred label):
#: the theory and driving tests cover them. They are never named missing for a licence holder (a
#: taxi driver was told a delivery job needs "obey traffic rules"), but unlike a certificate they
#: are not counted as stated: a nurse who can drive is not brought nearer to driving jobs.
LICENCE_SKILLS: tuple[str, ...] = (
    "obey traffic rules",
    "interpret traffic signals",
    "traffic signs",
    "road traffic laws",
    "drive vehicles",
    "drive in urban areas",
    "park vehicles",
    "parallel park vehicles",
)

Row = tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]
#: A reading's row and its coverage values (same indices): how surely each skill is needed, 0..1.
Reading = tuple[npt.NDArray[np.int32], npt.NDArray[np.float32], npt.NDArray[np.float32]]


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
    stated: dict[int, float] = field(default_factory=dict)  # skill feature -> link confidence
    cover: dict[int, float] = field(default_factory=dict)  # skill feature -> its weight in coverage
    #: Skill positions something the citizen stated or did covers: every link of a stated skill
    #: (not only the best), every essential and optional skill of a previous occupation.
    covers: set[int] = field(default_factory=set)
    unlinked: list[str] = field(default_factory=list)
    attitudes: list[str] = field(default_factory=list)  # own words naming a personal quality
    readings: list[Encoded] = field(default_factory=list)  # one per reading of an ambiguous title
    wanted: bool = False  # the opportunity's side: its skills are asked for, not stated
    #: One entry per skill the citizen stated: the skill positions it most likely means.
    claims: list[tuple[int, ...]] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)  # the previous job titles

    def add(self, feature: int, weight: float) -> None:
        self.weights[feature] = max(self.weights.get(feature, 0.0), weight)


class FeatureSpace:
    """Feature j < n_occ is occupation j; feature n_occ + k is skill k."""

    def __init__(
        self,
        linker: Linker,
        titles: Mapping[str, int] | None = None,
        lines: Mapping[int, tuple[int, ...]] | None = None,
    ) -> None:
        self.linker = linker
        #: Reviewed Danish job titles (normalised) -> their occupation, ahead of the linker.
        self.titles: Mapping[str, int] = titles or {}
        #: Reviewed lines of work: occupation -> the other occupations of its line (`LINE_WEIGHT`).
        self.lines: Mapping[int, tuple[int, ...]] = lines or {}
        self.index: EscoIndex = linker.index
        self.n_occ = len(self.index.occupations)
        self.size = self.n_occ + len(self.index.skills)
        self.idf = self._fit_idf()
        lengths = [len(o.optional) for o in self.index.occupations]
        self.optional_median = float(np.median(lengths)) if lengths else 0.0
        by_label = {s.label_en: i for i, s in enumerate(self.index.skills)}
        self.certificate_skills: dict[Certificate, tuple[int, ...]] = {
            c: tuple(by_label[label] for label in labels if label in by_label)
            for c, labels in CERTIFICATE_SKILLS.items()
        }
        self.licence_skills = tuple(by_label[label] for label in LICENCE_SKILLS if label in by_label)

    def optional_weight(self, n_optional: int) -> float:
        """The weight of each optional skill of an occupation with `n_optional` of them."""
        if n_optional <= self.optional_median:
            return OPTIONAL_WEIGHT
        return OPTIONAL_WEIGHT * float(np.sqrt(self.optional_median / n_optional))

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

    def reviewed_title(self, title: str) -> int | None:
        """The reviewed occupation of a title, also typed without æ, ø and å ("lastbilchauffoer")."""
        if not self.titles:
            return None
        found = self.titles.get(normalise(title))
        return self.titles.get(self.linker.analyser.respelt(title)) if found is None else found

    def skill_feature(self, skill: int) -> int:
        return self.n_occ + skill

    def add_occupation(self, enc: Encoded, occ: int, confidence: float, text: str) -> None:
        enc.occupations.append(occ)
        enc.add(occ, OCCUPATION_WEIGHT * confidence)
        enc.own_words.setdefault(occ, text)
        for other in self.lines.get(occ, ()):  # a little of the rest of its line of work, not their skills
            enc.add(other, LINE_WEIGHT * confidence)
            enc.own_words.setdefault(other, text)
        o = self.index.occupations[occ]
        for s in o.essential:
            enc.add(self.n_occ + s, ESSENTIAL_WEIGHT * confidence)
            enc.skills.add(s)
            enc.essential.add(s)
        optional = self.optional_weight(len(o.optional)) * confidence
        for s in o.optional:
            enc.add(self.n_occ + s, optional)
        enc.covers.update(o.essential)
        enc.covers.update(o.optional)

    def add_skill(self, enc: Encoded, skill: int, confidence: float, text: str, share: float = 1.0) -> None:
        if self.index.skills[skill].transversal:
            share *= ATTITUDE_SHARE
        f = self.n_occ + skill
        enc.add(f, (OPP_SKILL_WEIGHT if enc.wanted else SKILL_WEIGHT) * confidence * share)
        enc.stated[f] = max(enc.stated.get(f, 0.0), confidence)
        enc.cover[f] = max(enc.cover.get(f, 0.0), confidence * share)
        enc.skills.add(skill)
        enc.covers.add(skill)
        enc.own_words.setdefault(self.n_occ + skill, text)

    def surely_named(self, enc: Encoded) -> frozenset[int]:
        """The skills an opportunity's own words and URIs name surely (the confidence reasons cite)."""
        return frozenset(int(f) - self.n_occ for f, c in enc.stated.items() if c >= CITE_CONFIDENCE)

    def _course_trade(self, title: LinkedText, teaches: frozenset[int]) -> LinkedText:
        """A course's title read as a trade only where what the course teaches belongs to that trade.

        A course title names a subject, not a job: "Køkkenets grundlæggende arbejde" read as a kitchen
        unit installer (so a plumber was told a kitchen course builds on his work), "FVU-matematik" as
        a mathematician, "Lager og logistik" as a logistics analyst. A reading is kept when the
        occupation has one of the skills the course surely teaches; a course that names nothing it
        teaches keeps its readings, as there is nothing to weigh them by.
        """
        if not teaches or not title.readings:
            return title
        occs = self.index.occupations
        kept = tuple(
            lk for lk in title.readings if teaches.intersection(occs[lk.index].essential + occs[lk.index].optional)
        )
        return LinkedText(title.text, kept, len(kept))

    def _add_linked(self, enc: Encoded, kind: ConceptKind, linked: LinkedText) -> None:
        if not linked.readings:
            enc.unlinked.append(linked.text)
        elif kind == "skill" and linked.attitude:
            enc.attitudes.append(linked.text)
        share = len(linked.readings) ** -READING_SPLIT if linked.readings else 1.0
        for lk in linked.readings:
            if kind == "occupation":
                self.add_occupation(enc, lk.index, lk.confidence, linked.text)
            else:
                self.add_skill(enc, lk.index, lk.confidence, linked.text, share)
        if kind == "skill":
            enc.covers.update(lk.index for lk in linked.links)
            if linked.readings and not enc.wanted:
                enc.claims.append(tuple(lk.index for lk in linked.readings))

    def _texts(self, enc: Encoded, requests: list[tuple[ConceptKind, str]]) -> None:
        """Link all of one side's free texts in one call to the linker."""
        for (kind, _), linked in zip(requests, self.linker.link(requests), strict=True):
            self._add_linked(enc, kind, linked)

    def profile(self, p: CitizenProfile) -> Encoded:
        enc = Encoded()
        by_uri, skill_by_uri = self.index.occupation_by_uri, self.index.skill_by_uri
        requests: list[tuple[ConceptKind, str]] = []
        for job in p.previous_jobs:
            enc.titles.append(job.title)
            if job.esco_occupation in by_uri:
                self.add_occupation(enc, by_uri[job.esco_occupation], 1.0, job.title)
            elif (reviewed := self.reviewed_title(job.title)) is not None:
                self.add_occupation(enc, reviewed, 1.0, job.title)
            else:
                requests.append(("occupation", job.title))
        for claim in p.skills:
            if claim.esco_skill in skill_by_uri:
                self.add_skill(enc, skill_by_uri[claim.esco_skill], 1.0, claim.text or "")
                enc.claims.append((skill_by_uri[claim.esco_skill],))
            elif claim.text:
                requests.append(("skill", claim.text))
        for cert in dict.fromkeys(p.certificates):
            shown = self.certificate_skills.get(cert, ())
            for s in shown:
                self.add_skill(enc, s, 1.0, certificate_name(cert, "da"))
            if shown:
                enc.claims.append(shown)
        if p.transport.driving_licences:
            enc.covers.update(self.licence_skills)
        self._texts(enc, requests)
        return enc

    def opportunity(self, o: Opportunity) -> Encoded:
        """The opportunity over all its readings, and (when its title is ambiguous) each reading.

        A title several occupations carry ("Grossist", "Procesoperatør") is not spread into one
        vague vector for relevance: each reading becomes its own vector (that occupation and the
        opportunity's own skills), and relevance takes the best of them, discounted for the
        ambiguity (`AMBIGUITY_DISCOUNT`). The union is kept for reasons and skill gaps.
        """
        enc = Encoded(wanted=True)
        requests: list[tuple[ConceptKind, str]] = []
        occ = self.index.occupation_by_uri.get(o.esco_occupation or "")
        if occ is None:
            occ = self.reviewed_title(o.occupation_text or o.title)
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
        title = None if precise else linked[0]
        named = linked[1:] if title is not None else linked
        for lt in named:
            self._add_linked(enc, "skill", lt)
        for s in skills:
            self.add_skill(enc, s, 1.0, "")
        if title is not None and o.education is not None:
            title = self._course_trade(title, self.surely_named(enc))
        if title is not None:
            self._add_linked(enc, "occupation", title)
        if title is not None and len(title.readings) > 1:
            for lk in title.readings:
                reading = Encoded(wanted=True)
                self.add_occupation(reading, lk.index, lk.confidence, title.text)
                for lt in named:
                    self._add_linked(reading, "skill", lt)
                for s in skills:
                    self.add_skill(reading, s, 1.0, "")
                enc.readings.append(reading)
        return enc

    def reading_rows(self, enc: Encoded) -> list[Reading]:
        """The rows relevance is the best of: one per reading, discounted, or just the one.

        An ambiguous title's readings share one coverage: how surely the opportunity needs each
        skill, the mean over its readings (a skill only one of twelve readings needs is needed with
        probability 1/12, not for sure: "Lektor" does not need what only an archaeology lecturer does).
        """
        if not enc.readings:
            return [self.reading(enc)]
        k = len(enc.readings)
        need: dict[int, float] = {}
        for r in enc.readings:
            for f, v in self.needs(r).items():
                need[f] = need.get(f, 0.0) + v / k
        discount = np.float32(ambiguity_discount(k))
        rows = [self.reading(r, need) for r in enc.readings]
        return [(idx, val * discount, cover * discount) for idx, val, cover in rows]

    def reading(self, enc: Encoded, need: Mapping[int, float] | None = None) -> Reading:
        """One opportunity reading's unit row and, on the same indices, its coverage values.

        A skill's coverage is how surely the opportunity needs it (`needs`), or for an ambiguous
        title the mean over its readings (`reading_rows`).
        """
        idx, val = self.row(enc)
        if need is None:
            need = self.needs(enc)
        cover = np.fromiter((need.get(int(f), 0.0) for f in idx), dtype=np.float32, count=idx.size)
        return idx, val, cover

    def needs(self, enc: Encoded) -> dict[int, float]:
        """Skill feature -> 1 when the reading's occupation lists it as essential or the opportunity
        names it, else (an optional skill) `OPTIONAL_COVERAGE`.

        Read from ESCO's lists, not from the weights: a cut at full weight made every essential
        skill of an occupation linked through an alternative label (confidence 0.97) or a STAR
        title (0.93) count as optional, so a title that is ESCO's preferred label won by 0.04.
        """
        return {
            f: 1.0 if (f - self.n_occ) in enc.essential or f in enc.stated else OPTIONAL_COVERAGE
            for f in enc.weights
            if f >= self.n_occ
        }

    def stated_row(self, enc: Encoded) -> Row:
        """The citizen's stated skills, weighted by confidence × IDF, summing to `COVERAGE`."""
        if not enc.cover:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        idx = np.fromiter(sorted(enc.cover), dtype=np.int32, count=len(enc.cover))
        val = np.fromiter((enc.cover[int(f)] for f in idx), dtype=np.float32, count=idx.size)
        val *= self.idf[idx]
        return idx, val * np.float32(COVERAGE / float(val.sum()))

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
