"""Reverse matching: which of one instance's citizens fit a new or changed opportunity best.

Each matcher instance keeps the feature rows of the citizens of the partitions it owns as one
sparse matrix (citizens × [features | stated skills]). An opportunity's readings become one
column block ([features; coverage]), so the relevance of every citizen is ONE sparse product,
exactly the sums `Ranker.relevance` computes for one citizen against the catalogue, followed by
the best reading per citizen. Masks (consent for the kind, not busy in a started job or
placement, not declined this opportunity, not already proposed it) and the relevance floor
leave a shortlist; the shortlist then goes through the citizen-side ranking itself (hard rules,
strategy, score) on a catalogue of that one opportunity, so both directions share one rule set.

An association activity is found by interests, as the citizen-side ranking lists associations: every
citizen's interests are kept as rows of the same character n-grams (`associations.interest_match`),
so one sparse product with the activity's title and description columns gives each citizen's best
interest similarity. Only citizens with an interest that matches (`associations.MATCH`, the interests
the reason names), consent for associations (and not hiding them) and, for a women-only activity, a
wish for women-only activities are shortlisted; the exact ranking then decides, as for a job.

An education step is also relevant to a citizen through the jobs it opens, as `gaps.plan_gaps` scores
it in the citizen-side ranking: 0.1 + 0.9 × the relevance of a near-miss job that needs a certificate
or the driving licence the step grants, all times the share of the papers the citizen lacks for it
that the step gives. The jobs of the matcher's catalogue that need what the step
grants (`Opens`, at most `MAX_OPENS` of them, taken from the index the citizen-side ranking keeps
of that catalogue) become one more column block, so that part is one more sparse product; a
citizen counts a job only when they lack what it needs and the step grants and may be offered its kind.
The exact check then ranks the citizen against a catalogue of the step and those jobs, so the
near misses are there for `plan_gaps` to see. (Steps opening a job by teaching its essential skills
are not shortlisted by that route: only by their direct relevance.)
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from services.matcher.domain.associations import MATCH, AssociationIndex, InterestEncoder, build_association_index
from services.matcher.domain.catalogue import Catalogue
from services.matcher.domain.catalogue_index import (
    KINDS,
    LICENCES,
    CatalogueIndex,
    CatalogueIndexer,
    OppRow,
    cert_bits,
    licence_code,
)
from services.matcher.domain.features import FeatureSpace
from services.matcher.domain.gaps import MIN_RELEVANCE
from services.matcher.domain.model import RankedOpportunity
from services.matcher.domain.ranking import Ranker
from services.matcher.domain.rules import may_offer
from shared.contracts import CitizenProfile, Opportunity, OpportunityKind

#: How many shortlisted citizens per open slot go through the exact ranking (the rest of the
#: citizens cannot win: the exact score is bounded by relevance-driven strategy).
SHORTLIST_PER_SLOT = 4
#: At most this many catalogue jobs count as ones an education step could open; when more need what
#: it grants, those whose ESCO vector is closest to the step's own (then the first in the catalogue).
MAX_OPENS = 50


_ASSOCIATION = KINDS.index(OpportunityKind.ASSOCIATION_ACTIVITY)
_JOBS = (KINDS.index(OpportunityKind.ORDINARY_JOB), KINDS.index(OpportunityKind.LANGUAGE_PLACEMENT))
_NO_INTERESTS = sp.csr_matrix((0, 1), dtype=np.float32)
_NONE_HELD = np.zeros(0, dtype=np.int32)


@dataclass(frozen=True)
class CitizenRow:
    """One citizen's sparse row ([features | stated skills]), the kinds they may be offered, their
    encoded interests (one row each) and whether they asked for women-only activities."""

    idx: npt.NDArray[np.int32]
    val: npt.NDArray[np.float32]
    consent: tuple[bool, ...]
    interests: sp.csr_matrix = field(default_factory=lambda: _NO_INTERESTS)
    women_only: bool = False
    certificates: int = 0  # `catalogue_index.cert_bits` of what they hold
    licences: int = 0  # bit i: holds `LICENCES[i]`


def citizen_row(space: FeatureSpace, profile: CitizenProfile, interests: InterestEncoder | None = None) -> CitizenRow:
    """The row `Ranker.relevance` would read for this profile, in the combined layout.

    The kinds it may be offered are `rules.may_offer`'s, as `screen` masks them (associations not hidden).
    """
    enc = space.profile(profile)
    idx, val = space.row(enc)
    sidx, sval = space.stated_row(enc)
    consent = [may_offer(profile, k) for k in KINDS]
    encoded = interests.encode(profile.interests) if interests is not None and profile.interests else None
    return CitizenRow(
        idx=np.concatenate([idx, sidx + space.size]).astype(np.int32),
        val=np.concatenate([val, sval]).astype(np.float32),
        consent=tuple(consent),
        interests=sp.csr_matrix(encoded, dtype=np.float32) if encoded is not None else _NO_INTERESTS,
        women_only=profile.wants_women_only_activities,
        certificates=cert_bits(profile.certificates),
        licences=sum(1 << LICENCES.index(lic) for lic in set(profile.transport.driving_licences)),
    )


def opportunity_block(ci: CatalogueIndex, position: int | npt.NDArray[np.intp]) -> sp.csr_matrix:
    """The [features; coverage] columns of the readings of the opportunity (or opportunities) at
    `position`: (2 × size) × readings, in column order of `ci`."""
    cols = np.flatnonzero(np.isin(ci.owner, position))
    return sp.vstack([ci.features_t[:, cols], ci.cover_t[:, cols]], format="csr")


@dataclass(frozen=True)
class Opens:
    """The catalogue jobs an education step could open (what `gaps.plan_gaps` counts it for), citizen-independent.

    `block` holds their readings' [features; coverage] columns; `job` names each column's job (0..n-1).
    Per job: the certificates it needs that the step grants, whether it needs the licence the step
    grants, all the certificates it needs and the licence it needs (position in `LICENCES`, -1 for
    none: a step that gives one of two papers a citizen lacks counts for half), and its kind
    (position in `KINDS`).
    """

    ids: list[uuid.UUID]
    opportunities: list[Opportunity]
    block: sp.csr_matrix
    job: npt.NDArray[np.intp]
    certs: npt.NDArray[np.int32]
    licence: npt.NDArray[np.bool_]
    needs_certs: npt.NDArray[np.int32]
    needs_licence: npt.NDArray[np.int32]
    kind: npt.NDArray[np.int8]
    grants_licence: int  # the licence the step grants (position in `LICENCES`), -1 for none

    def __len__(self) -> int:
        return len(self.ids)


def openable(full: CatalogueIndex, step: Opportunity, row: OppRow) -> Opens | None:
    """The jobs of `full` that need a certificate or the driving licence `step` (indexed as `row`) grants,
    at most `MAX_OPENS` (the closest to the step), or None when no job there needs what it grants."""
    edu = step.education
    if step.kind is not OpportunityKind.EDUCATION_STEP or edu is None or len(full) == 0:
        return None
    certs = full.certs & np.int32(cert_bits(edu.grants_certificates))
    licence = licence_code(edu.grants_driving_licence)
    needs_licence = (full.licence == licence) if licence >= 0 else np.zeros(len(full), dtype=np.bool_)
    hit = np.flatnonzero(np.isin(full.kind, _JOBS) & ((certs != 0) | needs_licence))
    if hit.size == 0:
        return None
    if hit.size > MAX_OPENS:  # the first reading's cosine with the step's own vector
        closeness = np.asarray(full.features_t[row.indices][:, hit].T @ row.values).ravel()
        hit = np.sort(hit[np.argsort(-closeness, kind="stable")[:MAX_OPENS]])
    cols = np.flatnonzero(np.isin(full.owner, hit))
    return Opens(
        ids=[full.ids[p] for p in hit.tolist()],
        opportunities=[full.opportunities[p] for p in hit.tolist()],
        block=opportunity_block(full, hit),
        job=np.searchsorted(hit, full.owner[cols]),
        certs=certs[hit],
        licence=needs_licence[hit],
        needs_certs=full.certs[hit].astype(np.int32),
        needs_licence=full.licence[hit].astype(np.int32),
        kind=full.kind[hit],
        grants_licence=licence,
    )


class CitizenMatrix:
    """The citizens one instance scores, kept as rows; the matrix is rebuilt only after a change."""

    def __init__(self, width: int) -> None:
        self.width = width
        self._rows: dict[uuid.UUID, CitizenRow] = {}
        self._busy: set[uuid.UUID] = set()
        self._built: tuple[list[uuid.UUID], sp.csr_matrix, npt.NDArray[np.bool_]] | None = None
        self._interests: tuple[sp.csr_matrix, npt.NDArray[np.intp], npt.NDArray[np.bool_]] | None = None
        self._position: dict[uuid.UUID, int] = {}
        self._held: tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]] = (_NONE_HELD, _NONE_HELD)

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, citizen_id: object) -> bool:
        return citizen_id in self._rows

    def put(self, citizen_id: uuid.UUID, row: CitizenRow) -> None:
        self._rows[citizen_id] = row
        self._built = self._interests = None

    def drop(self, citizen_id: uuid.UUID) -> None:
        if self._rows.pop(citizen_id, None) is not None:
            self._built = self._interests = None

    def keep_only(self, citizen_ids: Iterable[uuid.UUID]) -> None:
        wanted = set(citizen_ids)
        for gone in [c for c in self._rows if c not in wanted]:
            self.drop(gone)

    def set_busy(self, citizen_ids: Iterable[uuid.UUID]) -> None:
        """Citizens in a started job or placement: not offered anything new until it ends."""
        self._busy = set(citizen_ids)

    def matrix(self) -> tuple[list[uuid.UUID], sp.csr_matrix, npt.NDArray[np.bool_]]:
        """(ids, citizens × width matrix, citizens × kinds consent), built from the rows at once."""
        if self._built is None:
            ids = list(self._rows)
            rows = [self._rows[c] for c in ids]
            indptr = np.zeros(len(rows) + 1, dtype=np.int64)
            np.cumsum([r.idx.size for r in rows], out=indptr[1:])
            idx = np.concatenate([r.idx for r in rows]) if rows else np.zeros(0, dtype=np.int32)
            val = np.concatenate([r.val for r in rows]) if rows else np.zeros(0, dtype=np.float32)
            m = sp.csr_matrix((val, idx, indptr), shape=(len(rows), self.width))
            consent = np.array([r.consent for r in rows], dtype=np.bool_).reshape(len(rows), len(KINDS))
            self._held = (
                np.array([r.certificates for r in rows], dtype=np.int32),
                np.array([r.licences for r in rows], dtype=np.int32),
            )
            self._built = (ids, m, consent)
            self._position = {c: i for i, c in enumerate(ids)}
        return self._built

    def shortlist(
        self, ci: CatalogueIndex, position: int, exclude: set[uuid.UUID], k: int, opens: Opens | None = None
    ) -> list[tuple[uuid.UUID, float]]:
        """The `k` most relevant eligible citizens for the opportunity at `position` of `ci`.

        For an education step with `opens` (the jobs it could open), a citizen's relevance is the best of
        its own and what `gaps.plan_gaps` scores it for a near-miss job it opens ((0.1 + 0.9 × that job's)
        times the share of the job's missing papers it gives).
        """
        ids, m, consent = self.matrix()
        if not ids or k <= 0:
            return []
        per_reading = m @ opportunity_block(ci, position)  # the one sparse product
        if per_reading.shape[1] == 1:
            relevance = per_reading.toarray().ravel()
        else:  # an ambiguous title: the best of its readings, as the citizen-side ranking counts it
            relevance = np.asarray(per_reading.max(axis=1).todense()).ravel()
        if opens is not None:
            relevance = np.maximum(relevance, self._through_jobs(m, consent, opens))
        eligible = consent[:, int(ci.kind[position])] & (relevance >= MIN_RELEVANCE)
        return self._best(ids, relevance, eligible, exclude, k)

    def _through_jobs(self, m: sp.csr_matrix, consent: npt.NDArray[np.bool_], opens: Opens) -> npt.NDArray[np.float64]:
        """Per citizen, (0.1 + 0.9 × the relevance) of the best job of `opens` that is a near miss the step
        helps to open for them (they lack something it needs that the step grants, may be offered its
        kind, and it is relevant enough to count as a near miss), times the share of the papers they
        lack for it that the step gives, else 0: one sparse product with all the jobs' readings."""
        per = (m @ opens.block).tocoo()  # citizens × the jobs' readings
        citizen, job, value = per.row, opens.job[per.col], per.data
        certs, licences = self._held
        missing = opens.needs_certs[job] & ~certs[citizen]
        need = opens.needs_licence[job]
        lacks_licence = (need >= 0) & (((licences[citizen] >> np.maximum(need, 0)) & 1) == 0)
        gives = np.bitwise_count(opens.certs[job] & missing) + (opens.licence[job] & lacks_licence)
        lacks = np.bitwise_count(missing) + lacks_licence
        counts = (gives > 0) & consent[citizen, opens.kind[job]] & (value >= MIN_RELEVANCE)
        share = gives[counts] / lacks[counts]
        out = np.zeros(m.shape[0])
        np.maximum.at(out, citizen[counts], (0.1 + 0.9 * value[counts].astype(np.float64)) * share)
        return out

    def _best(
        self,
        ids: list[uuid.UUID],
        score: npt.NDArray[np.float64],
        eligible: npt.NDArray[np.bool_],
        exclude: set[uuid.UUID],
        k: int,
    ) -> list[tuple[uuid.UUID, float]]:
        """The `k` best-scored eligible citizens, best first, leaving out the excluded and the busy."""
        gone = [self._position[c] for c in exclude | self._busy if c in self._position]
        eligible[gone] = False
        found = np.flatnonzero(eligible)
        if found.size > k:
            found = found[np.argpartition(-score[found], k - 1)[:k]]
        found = found[np.argsort(-score[found], kind="stable")]
        return [(ids[i], float(score[i])) for i in found.tolist()]

    def interest_rows(self) -> tuple[sp.csr_matrix, npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
        """(every citizen's interest rows stacked and transposed — n-grams × interests, so an activity's
        few n-grams are a row slice —, the citizen (position) of each interest, who wants women-only)."""
        ids, _, _ = self.matrix()
        if self._interests is None:
            rows = [self._rows[c] for c in ids]
            counts = np.array([r.interests.shape[0] for r in rows], dtype=np.intp)
            starts = np.zeros(len(rows) + 1, dtype=np.intp)
            np.cumsum(counts, out=starts[1:])
            with_rows = [r.interests for r in rows if r.interests.shape[0]]
            if with_rows:
                indptr = np.zeros(int(starts[-1]) + 1, dtype=np.int64)
                np.cumsum(np.concatenate([np.diff(m.indptr) for m in with_rows]), out=indptr[1:])
                idx = np.concatenate([m.indices for m in with_rows])
                val = np.concatenate([m.data for m in with_rows])
                # The stacked rows' arrays read as columns are the transpose, without a copy.
                mt = sp.csc_matrix((val, idx, indptr), shape=(with_rows[0].shape[1], int(starts[-1]))).tocsr()
            else:
                mt = _NO_INTERESTS
            owner = np.repeat(np.arange(len(rows), dtype=np.intp), counts)
            self._interests = (mt, owner, np.array([r.women_only for r in rows], dtype=np.bool_))
        return self._interests

    def by_interest(
        self, ai: AssociationIndex, column: int, women_only: bool, exclude: set[uuid.UUID], k: int
    ) -> list[tuple[uuid.UUID, float]]:
        """The `k` eligible citizens whose interests match association `column` of `ai` best.

        Each citizen's similarity is `associations.interest_match`'s: the best of their interests
        against the title (or 0.7 × the description); one sparse product over all interest rows
        (`ai` best with csc columns, as `ReverseRanker.associations` gives it).
        """
        ids, _, consent = self.matrix()
        if not ids or k <= 0:
            return []
        mt, owner, wants_women_only = self.interest_rows()
        if mt.shape[1] == 0:
            return []
        per_interest = np.maximum(_times(mt, ai.titles, column), 0.7 * _times(mt, ai.descriptions, column))
        # Only a matching interest counts, and few match: each citizen's best of those.
        hits = np.flatnonzero(per_interest >= MATCH)
        similarity = np.zeros(len(ids))
        np.maximum.at(similarity, owner[hits], per_interest[hits])
        eligible = consent[:, _ASSOCIATION] & (similarity >= MATCH)
        if women_only:  # only for those who asked for women-only activities (never read from gender)
            eligible &= wants_women_only
        return self._best(ids, similarity, eligible, exclude, k)


def _times(mt: sp.csr_matrix, columns: sp.spmatrix, j: int) -> npt.NDArray[np.float64]:
    """Every interest's similarity with column j: the rows of its few n-grams, times its weights."""
    col = sp.csc_matrix(columns)  # no copy when it is csc already
    idx, val = col.indices[col.indptr[j] : col.indptr[j + 1]], col.data[col.indptr[j] : col.indptr[j + 1]]
    if idx.size == 0:
        return np.zeros(mt.shape[1])
    return np.asarray(mt[idx].T @ val, dtype=np.float64).ravel()


class ReverseRanker:
    """The citizen-side ranking on one-opportunity catalogues, with its own index cache.

    A shallow copy of the service's `Ranker` (same linker, feature space, rules and weights) whose
    catalogue indexer is its own, so scoring one opportunity never evicts the full catalogue's index.
    """

    def __init__(self, ranker: Ranker, catalogue: Catalogue | None = None) -> None:
        self.space = ranker.space
        self._ranker = copy.copy(ranker)
        self._ranker.indexer = CatalogueIndexer(ranker.space)
        self.indexer = CatalogueIndexer(ranker.space)
        self.interests = InterestEncoder(ranker.linker.encoder)
        #: The matcher's catalogue, indexed by the service ranker's own indexer (the index citizen-side
        #: rankings keep current anyway): where the jobs an education step could open are found.
        self.catalogue = catalogue
        self._full = ranker.indexer
        self._opens: tuple[tuple[object, ...], Opens | None] | None = None
        self._one: tuple[uuid.UUID, Opportunity, Opens | None, Catalogue] | None = None

    def width(self) -> int:
        return 2 * self.space.size

    def row(self, profile: CitizenProfile) -> CitizenRow:
        return citizen_row(self.space, profile, self.interests)

    def index(self, opportunities: Mapping[uuid.UUID, Opportunity]) -> CatalogueIndex:
        batch = Catalogue()
        for oid, opp in opportunities.items():
            batch.upsert(oid, opp)
        return self.indexer.index(batch)

    def associations(self, ci: CatalogueIndex) -> AssociationIndex:
        """The title and description columns of the batch's association activities (csc: a column is a slice)."""
        ai = build_association_index(self.interests.encoder, ci)
        return replace(ai, titles=ai.titles.tocsc(), descriptions=ai.descriptions.tocsc())

    def opens(self, opportunity_id: uuid.UUID, opportunity: Opportunity) -> Opens | None:
        """The jobs of the matcher's catalogue an education step could open (`openable`), kept for the
        catalogue's current version; None for anything else, or without a catalogue."""
        if self.catalogue is None or opportunity.kind is not OpportunityKind.EDUCATION_STEP:
            return None
        key = (opportunity_id, id(opportunity), self.catalogue.instance, self.catalogue.version)
        if self._opens is None or self._opens[0] != key:
            self._opens = (key, openable(self.catalogue_index(), opportunity, self.indexer.row(opportunity)))
        return self._opens[1]

    def catalogue_index(self) -> CatalogueIndex:
        """The index of the matcher's catalogue the citizen-side ranking keeps (rebuilt only after a change)."""
        assert self.catalogue is not None
        return self._full.index(self.catalogue)

    def fit(
        self,
        profile: CitizenProfile,
        opportunity_id: uuid.UUID,
        opportunity: Opportunity,
        opens: Opens | None = None,
    ) -> RankedOpportunity | None:
        """The opportunity as the citizen's own ranking would propose (or list, for an association) it,
        or None when it does not fit.

        An education step is ranked together with the jobs it could open (`opens`, found here when not
        given), so a near-miss job it closes the gap for scores it as `gaps.plan_gaps` does.
        """
        if opens is None:
            opens = self.opens(opportunity_id, opportunity)
        kept = self._one
        if kept is None or kept[0] != opportunity_id or kept[1] is not opportunity or kept[2] is not opens:
            one = Catalogue()  # kept while the shortlist of one opportunity is checked: indexed once
            one.upsert(opportunity_id, opportunity)
            for oid, job in zip(opens.ids, opens.opportunities, strict=True) if opens is not None else ():
                one.upsert(oid, job)
            kept = self._one = (opportunity_id, opportunity, opens, one)
        catalogue = kept[3]
        result = self._ranker.rank(profile, catalogue, top_n=len(catalogue))
        if opportunity.kind is OpportunityKind.ASSOCIATION_ACTIVITY:
            listed = result.associations
        else:  # the jobs ranked alongside a step are not what is asked about
            listed = [r for r in result.proposals if r.opportunity_id == opportunity_id]
        return listed[0] if listed else None


def reaches(ranked: RankedOpportunity) -> bool:
    """May reverse matching offer this fit to a citizen who did not ask? A job or step that passed the
    ranking, yes; an association only when one of the citizen's interests matches it (the reason names it)."""
    if ranked.opportunity.kind is not OpportunityKind.ASSOCIATION_ACTIVITY:
        return True
    return bool(ranked.reasons.matched_skills)
