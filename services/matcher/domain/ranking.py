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

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from services.matcher.domain import likelihood
from services.matcher.domain import reasons as text
from services.matcher.domain.associations import (
    LANGUAGE_FRIENDLY_BONUS,
    MATCH,
    AssociationIndex,
    InterestEncoder,
    build_association_index,
    interest_match,
)
from services.matcher.domain.catalogue import Catalogue
from services.matcher.domain.catalogue_index import KINDS, CatalogueIndex, CatalogueIndexer, cert_bits, licence_code
from services.matcher.domain.features import CITE_CONFIDENCE, Encoded, FeatureSpace
from services.matcher.domain.gaps import MIN_RELEVANCE, GapPlan, plan_gaps
from services.matcher.domain.linking import Linker
from services.matcher.domain.model import NearMissItem, Opener, RankedOpportunity, RankingResult
from services.matcher.domain.rules import (
    NO_POSTCODES,
    Commute,
    Verdict,
    broken_rules,
    check,
    home_of,
    may_offer,
    more_hours,
    overlap_hours,
)
from services.matcher.domain.screening import Screen, screen
from services.matcher.domain.sparse_rows import rows_sum
from services.matcher.domain.strategy import (
    PER_COMMUTE_MINUTE,
    RULES,
    apply_strategy,
    low_danish,
)
from shared.contracts import (
    Certificate,
    CitizenProfile,
    DrivingLicence,
    GeoPoint,
    Opportunity,
    OpportunityKind,
    Reasons,
    SkillReason,
)
from shared.contracts.common import WeeklySlot
from shared.contracts.events import FlagCode

_ASSOCIATION = KINDS.index(OpportunityKind.ASSOCIATION_ACTIVITY)
_EDUCATION = KINDS.index(OpportunityKind.EDUCATION_STEP)
_MAX_NAMED = 5
#: ... and no proposal with a score at or below this.
MIN_SCORE = 0.05
#: What a visible flag (a small overlap with other commitments) costs in the ranking.
FLAG_PENALTY = 0.05
#: At most this many associations are proposed only because they welcome beginners in Danish (no
#: interest of the citizen's matches): a few good places to practise, not a list padded to ten.
PRACTISE_ONLY = 3
#: How many "why not" near misses are kept, and how many of the best excluded are checked for them.
NEAR_MISSES = 5
_NEAR_MISS_POOL = 60
#: A needed skill counts as covered when its label is this close (character n-gram cosine) to one
#: the citizen has: "obey traffic rules" is covered by "road traffic laws" (0.31), while
#: "operate forklift" is not covered by "operate crane" (0.04).
SIMILAR_LABEL = 0.28


#: The rules about papers (certificates, a driving licence): one need names them all.
PAPERS = frozenset({"missing_certificate", "missing_driving_licence"})


def _clash(opp: Opportunity, busy: list[WeeklySlot]) -> tuple[str, str]:
    """When the opportunity's hours meet `busy`, in Danish and English ('tir 08–12')."""
    clash = _overlapping(opp.schedule.slots, busy)
    return text.slots_text(clash, "da"), text.slots_text(clash, "en")


def _lacking(profile: CitizenProfile, opp: Opportunity) -> tuple[list[Certificate], DrivingLicence | None]:
    """The certificates and licence `opp` asks for that the citizen lacks."""
    certs = [c for c in opp.required_certificates if c not in set(profile.certificates)]
    wanted = opp.required_driving_licence
    return certs, wanted if wanted and wanted not in profile.transport.driving_licences else None


def _gives(
    step: Opportunity, certs: Sequence[Certificate], licence: DrivingLicence | None
) -> tuple[list[Certificate], DrivingLicence | None]:
    """What education step `step` gives of the certificates and licence lacking."""
    edu = step.education
    if edu is None:
        return [], None
    gives_licence = licence if licence == edu.grants_driving_licence else None
    return [c for c in certs if c in edu.grants_certificates], gives_licence


#: Paper-giving education steps of the catalogue looked at per near miss beyond the gap plan's own.
_GIVERS_POOL = 8
#: A step and the papers it gives of those a near miss lacks.
_Giver = tuple[Opportunity, list[Certificate], DrivingLicence | None]


class Ranker:
    """Built once per process around the ESCO linker; caches catalogue matrices by version."""

    def __init__(
        self,
        linker: Linker,
        postcodes: Mapping[str, GeoPoint] = NO_POSTCODES,
        titles: Mapping[str, int] | None = None,
        lines: Mapping[int, tuple[int, ...]] | None = None,
    ) -> None:
        self.linker = linker
        self.postcodes = postcodes
        self.space = FeatureSpace(linker, titles, lines)
        self.indexer = CatalogueIndexer(self.space)
        self._assoc: tuple[CatalogueIndex, AssociationIndex] | None = None
        self._interests = InterestEncoder(linker.encoder)
        self._skill_rows: dict[int, sp.csr_matrix] = {}
        self.likelihood = likelihood.Likelihood(linker.index, lines)

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
        per_reading = rows_sum(ci.features_t, idx, val)
        sidx, sval = self.space.stated_row(citizen)
        if sidx.size:
            per_reading += rows_sum(ci.cover_t, sidx, sval)
        return ci.best_reading(per_reading)

    def rank(self, profile: CitizenProfile, catalogue: Catalogue, *, top_n: int = 10) -> RankingResult:
        ci = self.indexer.index(catalogue)
        consented = tuple(k for k in KINDS if may_offer(profile, k))
        if len(ci) == 0:
            return RankingResult(consented=consented)
        citizen = self.space.profile(profile)
        home = home_of(profile, self.postcodes)
        relevance = self.relevance(citizen, ci)
        sc = screen(profile, ci, home, _screened(ci, relevance))
        scored = apply_strategy(profile, ci, relevance, sc)
        gaps = plan_gaps(self.space, ci, relevance, sc, citizen.skills)
        for e, s in gaps.score.items():
            if s > scored.score[e]:
                scored.score[e] = s - PER_COMMUTE_MINUTE * np.nan_to_num(sc.minutes[e])
                scored.rule[e] = RULES.index("closes_skill_gap")
        # The floor, as positions: relevant enough (an education step that closes a near-miss job's
        # gap counts with that job, always above it), scored above MIN_SCORE, not an association.
        cand = np.flatnonzero(relevance >= MIN_RELEVANCE)
        if gaps.score:
            cand = np.union1d(cand, np.fromiter(gaps.score, dtype=np.intp, count=len(gaps.score)))
        cand = cand[(ci.kind[cand] != _ASSOCIATION) & (scored.score[cand] > MIN_SCORE)]
        may = sc.allowed[cand]
        # The second look tells apart occupations the citizen could work as: jobs and placements. A
        # step's score is its own relevance or that of the job it opens, not its title's occupation.
        self._second_look(citizen, ci, scored.score, cand[may & (ci.kind[cand] != _EDUCATION)], top_n)
        refused: list[tuple[int, Verdict]] = []
        picked = self._pick(profile, ci, scored.score, cand[may], top_n, refused)
        ranked = [
            (float(scored.score[i]) - FLAG_PENALTY * bool(_busy(profile, ci.opportunities[i])), i, v)
            for i, v in picked
        ]
        ranked = [t for t in ranked if t[0] > MIN_SCORE]
        ranked.sort(key=lambda t: -t[0])  # stable: a flag moves a proposal down
        proposals = [
            self._ranked(profile, citizen, ci, i, v, score, RULES[scored.rule[i]], gaps, relevance)
            for score, i, v in ranked
        ]
        near = self._near_misses(profile, ci, scored.score, cand[~may], refused, gaps)
        return RankingResult(
            proposals=proposals,
            associations=self._associations(profile, ci, sc, top_n),
            near_misses=near,
            opener=self._opener(profile, ci, gaps),
            consented=consented,
        )

    def _second_look(
        self,
        citizen: Encoded,
        ci: CatalogueIndex,
        score: npt.NDArray[np.float64],
        cand: npt.NDArray[np.intp],
        top_n: int,
    ) -> None:
        """Among the best few candidates, add how likely each one's occupation makes the stated skills."""
        w = likelihood.weight(len(citizen.claims), len(citizen.titles))
        if w == 0 or cand.size == 0:
            return
        pool = _best(cand, score, _first_slice(top_n))
        by_occ: dict[int, float] = {}  # opportunities share occupations: each is scored once
        found: dict[int, float] = {}
        for i in pool.tolist():
            occs = ci.rows[i].occupations
            for o in occs:
                if o not in by_occ:
                    by_occ[o] = self.likelihood.mean_log(o, citizen.claims)
            if occs:
                found[i] = max(by_occ[o] for o in occs)
        if found:
            best = max(found.values())
            for i, ll in found.items():
                score[i] += w * (ll - best)

    def _near_misses(
        self,
        profile: CitizenProfile,
        ci: CatalogueIndex,
        score: npt.NDArray[np.float64],
        screened_out: npt.NDArray[np.intp],
        refused: list[tuple[int, Verdict]],
        gaps: GapPlan,
    ) -> list[NearMissItem]:
        """The best few that a hard rule excluded (scored above the floor), each with what would
        open it, and an education step with what it gives; the best step excluded takes the last
        place when jobs would fill the list.

        Two sources: what the exact rules refused while picking (already checked), and the best
        of what screening refused (checked here, for the rule's name).
        """
        consent = np.array([profile.consent.allows(k) for k in KINDS], dtype=np.bool_)
        screened_out = screened_out[consent[ci.kind[screened_out]] & (score[screened_out] > MIN_SCORE)]
        refused = [(i, v) for i, v in refused if v.rule in text.NEAR_MISS_RULES and score[i] > MIN_SCORE]

        def excluded(pool: npt.NDArray[np.intp], found: list[tuple[int, Verdict]], k: int) -> None:
            """Adds to found what a near-miss rule excludes in pool (best first), until k are found
            and nothing further in pool can be among the best k."""
            for p in pool.tolist():
                if len(found) >= k and score[p] < sorted(score[[i for i, _ in found]])[-k]:
                    break
                v = check(profile, ci.opportunities[p], self.postcodes)
                if not v.allowed and v.rule in text.NEAR_MISS_RULES:
                    found.append((p, v))

        found = list(refused)
        excluded(_best(screened_out, score, _NEAR_MISS_POOL), found, NEAR_MISSES)
        found.sort(key=lambda t: (-score[t[0]], t[0]))
        best = found[:NEAR_MISSES]
        if best and not any(ci.kind[i] == _EDUCATION for i, _ in best):
            # A course kept out (most often by the Danish class) is a different lever from a job
            # kept out: the best one takes the last place when the jobs fill the list.
            steps = [(i, v) for i, v in refused if ci.kind[i] == _EDUCATION]
            excluded(_best(screened_out[ci.kind[screened_out] == _EDUCATION], score, _NEAR_MISS_POOL), steps, 1)
            if steps:
                best = [*best[: NEAR_MISSES - 1], min(steps, key=lambda t: (-score[t[0]], t[0]))]
        near = [i for i, _ in best]
        out: list[NearMissItem] = []
        for i, v in best:
            opp = ci.opportunities[i]
            rules = [r for r in broken_rules(profile, opp, self.postcodes) if r in text.NEAR_MISS_RULES]
            da, en = text.why_not(opp, rules, *self._what_opens(profile, ci, i, v, gaps, rules, score))
            gives_da, gives_en = self._what_it_gives(profile, ci, i, gaps, near)
            if gives_da:
                da, en = f"{da} {gives_da}", f"{en} {gives_en}"
            out.append(NearMissItem(ci.ids[i], opp, round(float(score[i]), 4), v.rule, da, en, tuple(rules)))
        return out

    def _what_it_gives(
        self, profile: CitizenProfile, ci: CatalogueIndex, e: int, gaps: GapPlan, near: Sequence[int]
    ) -> tuple[str, str]:
        """For an education step kept out: the papers it gives that the citizen lacks and the best job
        that asks for them (one it would open, else one among the near misses `near`), or the best
        job it teaches some missing skills for ('' for neither)."""
        opp = ci.opportunities[e]
        if opp.education is None:
            return "", ""
        jobs = gaps.by_papers.get(e) or gaps.opens.get(e)  # each best first
        job = ci.opportunities[jobs[0]].title if jobs else ""
        certs = [c for c in opp.education.grants_certificates if c not in profile.certificates]
        licence = opp.education.grants_driving_licence
        if licence in profile.transport.driving_licences:
            licence = None
        if certs or licence is not None:
            da, en = f"Det giver {text.papers(certs, licence, 'da')}", f"It gives {text.papers(certs, licence, 'en')}"
            if e not in gaps.by_papers:
                asks = [j for j in near if any(_gives(opp, *_lacking(profile, ci.opportunities[j])))]
                job = ci.opportunities[asks[0]].title if asks else ""
            if job:
                return f"{da}, som jobbet {job} kræver.", f"{en}, which the job {job} needs."
            return f"{da}.", f"{en}."
        if job:
            return f"Det lærer dig noget af det, jobbet {job} kræver.", f"It teaches some of what the job {job} needs."
        return "", ""

    def _givers(
        self, profile: CitizenProfile, ci: CatalogueIndex, i: int, gaps: GapPlan, score: npt.NDArray[np.float64]
    ) -> tuple[list[_Giver], list[Certificate], DrivingLicence | None]:
        """Who gives the papers opportunity i asks for and the citizen lacks: education steps, each
        with what it gives of them (the gap plan's steps for i first, then the catalogue's steps the
        citizen may take, best scored first; a step is named only for what it gives), and what no
        step gives."""
        certs, licence = _lacking(profile, ci.opportunities[i])
        if not certs and licence is None:
            return [], [], None
        planned = sorted((e for e, jobs in gaps.opens.items() if i in jobs), key=lambda e: (-gaps.score[e], e))
        planned = planned[:_GIVERS_POOL]
        steps = ci.derived.get("ranking.givers")  # the education steps that give any papers
        if steps is None:
            steps = np.flatnonzero((ci.kind == _EDUCATION) & ((ci.grants_certs != 0) | (ci.grants_licence >= 0)))
            ci.derived["ranking.givers"] = steps
        assert isinstance(steps, np.ndarray)
        gives_any = ((ci.grants_certs[steps] & np.int32(cert_bits(certs))) != 0) | (
            (ci.grants_licence[steps] == licence_code(licence)) & (licence is not None)
        )
        pool = _best(np.setdiff1d(steps[gives_any], planned), score, _GIVERS_POOL).tolist()
        out: list[_Giver] = []

        def gives(e: int) -> _Giver:
            """Step e with what it gives of what is still lacking."""
            return (ci.opportunities[e], *_gives(ci.opportunities[e], certs, licence))

        def take(giver: _Giver) -> None:
            nonlocal certs, licence
            out.append(giver)
            certs = [c for c in certs if c not in giver[1]]
            licence = None if giver[2] is not None else licence

        # A step the citizen may take first; one they may not (it clashes with the Danish class, say;
        # its own near miss says so) only for what no such step gives.
        kept_out: list[int] = []
        for e in [*planned, *pool]:
            step, some, lic = gives(e)
            if not some and lic is None:
                continue
            if check(profile, step, self.postcodes).allowed:
                take((step, some, lic))
            elif e in planned:
                kept_out.append(e)
        for e in kept_out:
            step, some, lic = gives(e)
            if some or lic is not None:
                take((step, some, lic))
        return out, certs, licence

    def _what_opens(
        self,
        profile: CitizenProfile,
        ci: CatalogueIndex,
        i: int,
        v: Verdict,
        gaps: GapPlan,
        rules: Sequence[str],
        score: npt.NDArray[np.float64],
    ) -> tuple[str, str]:
        """What would open opportunity i: the courses that give the papers when papers are all that
        keep it out, else everything each broken rule needs (more Danish alone does not open a job
        that also clashes with the Danish class)."""
        steps, certs, licence = self._givers(profile, ci, i, gaps, score) if PAPERS & set(rules) else ([], [], None)
        if steps and set(rules) <= PAPERS:
            da, en = text.givers(steps)
            if certs or licence is not None:
                # A course for the certificate does not open a lorry job without a lorry licence.
                da += f", og du skal også have {text.papers(certs, licence, 'da')}"
                en += f", and you also need {text.papers(certs, licence, 'en')}"
            return da, en
        needs = [self._need(profile, ci, i, r, v, rules, steps) for r in rules]
        return text.needs([n for n in needs if n is not None])

    def _need(
        self,
        profile: CitizenProfile,
        ci: CatalogueIndex,
        i: int,
        rule: str,
        v: Verdict,
        rules: Sequence[str],
        givers: Sequence[_Giver],
    ) -> tuple[str, str] | None:
        """What one broken rule needs, as a noun phrase ('dansk på niveau A2'); None when the rule's
        own words say it already (the IGU) or the licence is named with the certificates. `givers`:
        the steps that give the papers it lacks (`_givers`)."""
        opp = ci.opportunities[i]
        if rule == "danish_level" and opp.min_danish_level:
            return f"dansk på niveau {opp.min_danish_level}", f"Danish at level {opp.min_danish_level}"
        if rule == "commute" and v.commute is not None:
            limit = profile.transport.max_commute_minutes
            return (
                f"en tur på cirka {v.commute.minutes:.0f} minutter (du vil højst bruge {limit})",
                f"a trip of about {v.commute.minutes:.0f} minutes (your limit is {limit})",
            )
        if rule == "collides_with_danish_class":
            da, en = _clash(opp, profile.danish.class_times)
            return f"et dansk-hold på et andet tidspunkt end {da}", f"a Danish class at another time than {en}"
        if rule == "collides_with_commitments":
            da, en = _clash(opp, profile.availability.unavailable)
            return f"fri tid {da}", f"free time {en}"
        if rule in PAPERS and not (rule == "missing_driving_licence" and "missing_certificate" in rules):
            certs, licence = _lacking(profile, opp)
            da, en = text.papers(certs, licence, "da"), text.papers(certs, licence, "en")
            if givers:
                gives_da, gives_en = text.givers(givers)
                da, en = f"{da} ({gives_da})", f"{en} ({gives_en})"
            return da, en
        return None

    def _opener(self, profile: CitizenProfile, ci: CatalogueIndex, gaps: GapPlan) -> Opener | None:
        """The allowed education step that opens the most near-miss jobs (then the best of them)."""
        best = sorted(gaps.opens, key=lambda e: (-len(gaps.opens[e]), -gaps.score[e], e))
        for e in best:
            if check(profile, ci.opportunities[e], self.postcodes).allowed:
                return Opener(ci.ids[e], ci.opportunities[e], len(gaps.opens[e]))
        return None

    def _pick(
        self,
        profile: CitizenProfile,
        ci: CatalogueIndex,
        score: npt.NDArray[np.float64],
        cand: npt.NDArray[np.intp],
        top_n: int,
        refused: list[tuple[int, Verdict]] | None = None,
    ) -> list[tuple[int, Verdict]]:
        """Best first (ties by position) among the candidates (positions) the exact rules allow.

        Candidates are taken in slices of falling score, the first holding at least
        max(4 * top_n, 32) of them, each next one four times as many; only those are sorted and
        checked, until top_n pass. What the exact rules refuse is added to `refused`.
        """
        picked: list[tuple[int, Verdict]] = []
        if top_n <= 0 or cand.size == 0:
            return picked
        sub = score[cand]
        k = _first_slice(top_n)
        above = np.inf  # scores at or above this were checked in an earlier slice
        while True:
            cut = _kth_bound(sub, k)
            if cut is None:
                part = cand[sub < above]
            elif above == np.inf:
                part = cand[sub >= cut]
            else:
                part = cand[(sub >= cut) & (sub < above)]
            for i in part[np.lexsort((part, -score[part]))]:
                verdict = check(profile, ci.opportunities[i], self.postcodes)
                if verdict.allowed:
                    picked.append((int(i), verdict))
                    if len(picked) == top_n:
                        return picked
                elif refused is not None:
                    refused.append((int(i), verdict))
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
        skills = self._skills(citizen, ci, i, rule)
        stated = [s for s in skills if s.provenance == "stated"]
        inferred = [s for s in skills if s.provenance == "inferred"]
        missing = [s for s in skills if s.provenance == "missing"]
        space = self.space
        # The citizen's previous jobs this one is like: said as work done before, never as a skill.
        occ_words = list(
            dict.fromkeys(
                citizen.own_words[int(f)]
                for f in ci.rows[i].indices
                if int(f) < space.n_occ and int(f) in citizen.weights
            )
        )
        words = [w for w in dict.fromkeys(s.words for s in stated) if w not in occ_words]
        # A certificate the citizen holds is said as one ("du har truckcertifikat"), not as a skill.
        has = {text.certificate_name(c, "da"): c for c in profile.certificates}
        held = [has[w] for w in words if w in has]
        words = [w for w in words if w not in has]
        esco = self.linker.index
        gap_da: list[str] = []
        gap_en: list[str] = []
        learn_da: list[str] = []
        learn_en: list[str] = []
        opens_job = ""
        also_da = also_en = ""
        opens_ids: list[Any] = []
        if rule == "closes_skill_gap":
            jobs = sorted(gaps.opens.get(i, []), key=lambda j: -relevance[j])
            by_papers = gaps.by_papers.get(i, [])  # best first
            if by_papers:
                # The papers named are those the job named lacks and the step gives; what else that
                # job asks for is said too (a driving course alone does not open a home-care job that
                # also asks for the SOSU certificate).
                job = ci.opportunities[by_papers[0]]
                opens_job = job.title
                lacks, lacks_licence = _lacking(profile, job)
                gives, gives_licence = _gives(opp, lacks, lacks_licence)
                gap_da = [text.papers(gives, gives_licence, "da")]
                gap_en = [text.papers(gives, gives_licence, "en")]
                also = [c for c in lacks if c not in gives]
                also_licence = lacks_licence if gives_licence is None else None
                also_da, also_en = text.papers(also, also_licence, "da"), text.papers(also, also_licence, "en")
            elif jobs:
                opens_job = ci.opportunities[jobs[0]].title
            closes = sorted(gaps.closes_skills.get(i, set()))[:_MAX_NAMED]
            # Danish sentences name a skill only by its Danish label; one without is phrased around.
            learn_da = [esco.skills[s].label_da for s in closes if esco.skills[s].label_da]
            learn_en = [esco.skills[s].label_en for s in closes]
            opens_ids = [ci.ids[j] for j in jobs]
        commute = v.commute
        busy = _busy(profile, opp)
        sched_da, sched_en = text.schedule_lines(opp, busy, profile.availability.hours_per_week)
        inferred_from = inferred[0].from_occupation if inferred else ""
        # Those with a Danish label first, so both sentences name the same skills where they can.
        likely = sorted((s for s in inferred if s.from_occupation == inferred_from), key=lambda s: not s.label_da)
        da, en = text.sentences(
            opp,
            rule,
            matched=words,
            worked_as=occ_words[0] if occ_words else "",
            minutes=commute.minutes if commute else None,
            mode=commute.mode if commute else None,
            gap_da=gap_da,
            gap_en=gap_en,
            learn_da=learn_da,
            learn_en=learn_en,
            opens_job=opens_job,
            also_da=also_da,
            also_en=also_en,
            from_postcode=bool(commute and commute.from_postcode),
            inferred_from=inferred_from,
            inferred_da=[s.label_da for s in likely if s.label_da],
            inferred_en=[s.label_en for s in likely],
            held=held,
        )
        if sched_da:
            da, en = f"{da[:-1]}; {sched_da}.", f"{en[:-1]}; {sched_en}."
        flags = _flags(profile, opp, commute, busy)
        return Reasons(
            matched_skills=words[:_MAX_NAMED],
            matched_previous_jobs=occ_words[:_MAX_NAMED],
            attitudes=list(dict.fromkeys(citizen.attitudes))[:_MAX_NAMED],
            missing_skills=[s.label_en for s in missing],
            matched_skill_uris=[s.uri for s in stated if s.uri][:_MAX_NAMED],
            missing_skill_uris=[s.uri for s in missing if s.uri],
            rule=rule,
            closes_gap_for=opens_ids,
            **_fit(profile, opp, commute),
            text_da=da,
            text_en=en,
            skills=skills,
            flags=flags,
            schedule_da=sched_da,
            schedule_en=sched_en,
        )

    def _skills(self, citizen: Encoded, ci: CatalogueIndex, i: int, rule: str) -> list[SkillReason]:
        """Each skill once: stated (own words), inferred (from which previous job), or missing.

        Missing are the essential skills of the opportunity's occupation (its best reading) that
        nothing the citizen stated or did covers, most specific first (IDF). A course has none: it
        teaches, it does not ask ("Kørekort til bil" read as a delivery driver's job listed
        "analyse travel alternatives" as missing for the licence course).
        """
        space, esco = self.space, self.linker.index
        row = ci.rows[i]
        out: list[SkillReason] = []
        seen: set[int] = set()
        said: set[str] = set()
        shared = [int(f) for f in row.indices if int(f) >= space.n_occ and int(f) in citizen.weights]
        shared.sort(key=lambda f: (f not in citizen.stated, -citizen.weights[f] * float(space.idf[f])))
        n_inferred = 0
        for f in shared:
            s = f - space.n_occ
            skill = esco.skills[s]
            if f in citizen.stated:
                if citizen.stated[f] < CITE_CONFIDENCE:
                    continue
                words = citizen.own_words.get(f) or skill.label_en
                if words not in said:  # one entry per thing the citizen said, its best link
                    said.add(words)
                    out.append(
                        SkillReason(
                            provenance="stated",
                            words=words,
                            label_en=skill.label_en,
                            label_da=skill.label_da or "",
                            uri=skill.uri,
                        )
                    )
            else:
                if n_inferred >= _MAX_NAMED:
                    continue
                occs = esco.occupations
                source = next((o for o in citizen.occupations if s in occs[o].essential + occs[o].optional), None)
                if source is None:
                    continue
                n_inferred += 1
                out.append(
                    SkillReason(
                        provenance="inferred",
                        label_en=skill.label_en,
                        label_da=skill.label_da or "",
                        uri=skill.uri,
                        from_occupation=citizen.own_words.get(source, esco.occupation_label(source, "da")),
                    )
                )
            seen.add(s)
        course = ci.opportunities[i].kind is OpportunityKind.EDUCATION_STEP
        if rule != "closes_skill_gap" and not course and row.occupations:
            need = set(esco.occupations[row.occupations[0]].essential) - citizen.covers - seen
            need -= self._similar(need, citizen.covers)
            for s in sorted(need, key=lambda s: (-float(space.idf[space.skill_feature(s)]), s))[:_MAX_NAMED]:
                out.append(
                    SkillReason(
                        provenance="missing",
                        label_en=esco.skills[s].label_en,
                        label_da=esco.skills[s].label_da or "",
                        uri=esco.skills[s].uri,
                    )
                )
        return out

    def _similar(self, need: set[int], has: set[int]) -> set[int]:
        """The needed skills whose label is close to the label of a skill the citizen has."""
        if not need or not has:
            return set()
        wanted, held = sorted(need), sorted(has)
        sims = self._rows(wanted) @ self._rows(held).T
        best = np.asarray(sims.max(axis=1).todense()).ravel()
        return {s for s, b in zip(wanted, best, strict=True) if b >= SIMILAR_LABEL}

    def _rows(self, skills: list[int]) -> sp.csr_matrix:
        todo = [s for s in skills if s not in self._skill_rows]
        if todo:
            encoded = self.linker.encoder.encode([self.linker.index.skills[s].label_en for s in todo])
            for k, s in enumerate(todo):
                self._skill_rows[s] = encoded[k]
        return sp.vstack([self._skill_rows[s] for s in skills], format="csr")

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
        low = low_danish(profile)
        bonus = np.where(ai.language_friendly, LANGUAGE_FRIENDLY_BONUS if low else 0.05, 0)
        minutes = np.nan_to_num(sc.minutes[ai.positions])
        score = np.full(len(ci), -np.inf)
        score[ai.positions] = interest + bonus - PER_COMMUTE_MINUTE * minutes
        # An association is proposed for a reason the citizen can read: it matches one of their
        # interests, or it welcomes beginners in Danish and their Danish is low. Never as filler.
        practise = ai.language_friendly & low
        reason = (interest >= MATCH) | practise
        by_pos = {int(p): (m, bool(f)) for p, m, f in zip(ai.positions, matched, practise, strict=True)}
        out: list[RankedOpportunity] = []
        mask = np.zeros(len(ci), dtype=np.bool_)
        mask[ai.positions] = allowed[ai.positions] & reason & (score[ai.positions] > MIN_SCORE)
        practise_only = 0
        for i, v in self._pick(profile, ci, score, np.flatnonzero(mask), top_n):
            opp = ci.opportunities[i]
            words, practise_here = by_pos[i]
            if not words:
                practise_only += 1
                if practise_only > PRACTISE_ONLY:
                    continue
            c = v.commute
            da, en = text.sentences(
                opp,
                "association_interest",
                matched=words,
                minutes=c.minutes if c else None,
                mode=c.mode if c else None,
                from_postcode=bool(c and c.from_postcode),
                practise_danish=practise_here,
            )
            busy = _busy(profile, opp)
            sched_da = sched_en = ""
            if busy:  # an association's times are said only when they touch the citizen's commitments
                sched_da, sched_en = text.schedule_lines(opp, busy, profile.availability.hours_per_week)
                da, en = f"{da[:-1]}; {sched_da}.", f"{en[:-1]}; {sched_en}."
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
                        flags=_flags(profile, opp, c, busy),
                        schedule_da=sched_da,
                        schedule_en=sched_en,
                    ),
                )
            )
        return out


_BLOCK = 256


def _screened(ci: CatalogueIndex, relevance: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
    """The positions a ranking can use, so only they are screened: the relevant enough (for the
    floor and for gap planning's near-miss jobs), every education step and every association."""
    always = ci.derived.get("ranking.always")
    if always is None:
        always = np.flatnonzero((ci.kind == _EDUCATION) | (ci.kind == _ASSOCIATION))
        ci.derived["ranking.always"] = always
    assert isinstance(always, np.ndarray)
    relevant = np.flatnonzero(relevance >= MIN_RELEVANCE)
    return np.union1d(relevant, always) if always.size else relevant


def _first_slice(top_n: int) -> int:
    return max(4 * top_n, 32)


def _best(cand: npt.NDArray[np.intp], score: npt.NDArray[np.float64], k: int) -> npt.NDArray[np.intp]:
    """The k best-scored of the candidate positions, best first (ties by position)."""
    if cand.size > k:
        cand = cand[np.argpartition(-score[cand], k - 1)[:k]]
    return cand[np.lexsort((cand, -score[cand]))]


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
    if more_hours(opp.schedule.hours_per_week, profile.availability.hours_per_week):
        return False
    return not _busy(profile, opp)


def _overlapping(slots: list[WeeklySlot], busy: list[WeeklySlot]) -> list[WeeklySlot]:
    """The citizen's slots in `busy` that the opportunity's `slots` touch."""
    return [b for b in busy if any(s.overlaps(b) for s in slots)]


def _flags(
    profile: CitizenProfile, opp: Opportunity, commute: Commute | None, busy: Sequence[WeeklySlot]
) -> list[FlagCode]:
    """The visible doubts a proposal carries: a small overlap, too many hours, a guessed commute."""
    flags: list[FlagCode] = ["hours_overlap"] if busy else []
    if more_hours(opp.schedule.hours_per_week, profile.availability.hours_per_week):
        flags.append("hours_exceed")
    if commute and commute.from_postcode:
        flags.append("commute_from_postcode")
    return flags


def _busy(profile: CitizenProfile, opp: Opportunity) -> list[WeeklySlot]:
    """The citizen's other commitments this opportunity overlaps (a small overlap: a flag)."""
    if overlap_hours(opp.schedule.slots, profile.availability.unavailable) <= 0:
        return []
    return _overlapping(opp.schedule.slots, profile.availability.unavailable)


__all__ = ["Ranker"]
