"""Reverse matching: which of one instance's citizens fit a new or changed opportunity best.

Each matcher instance keeps the feature rows of the citizens of the partitions it owns as one
sparse matrix (citizens × [features | stated skills]). An opportunity's readings become one
column block ([features; coverage]), so the relevance of every citizen is ONE sparse product,
exactly the sums `Ranker.relevance` computes for one citizen against the catalogue, followed by
the best reading per citizen. Masks (consent for the kind, not busy in a started job or
placement, not declined this opportunity, not already proposed it) and the relevance floor
leave a shortlist; the shortlist then goes through the citizen-side ranking itself (hard rules,
strategy, score) on a catalogue of that one opportunity, so both directions share one rule set.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from services.matcher.domain.catalogue import Catalogue
from services.matcher.domain.catalogue_index import KINDS, CatalogueIndex, CatalogueIndexer
from services.matcher.domain.features import FeatureSpace
from services.matcher.domain.model import RankedOpportunity
from services.matcher.domain.ranking import MIN_RELEVANCE, Ranker
from shared.contracts import CitizenProfile, Opportunity, OpportunityKind

#: How many shortlisted citizens per open slot go through the exact ranking (the rest of the
#: citizens cannot win: the exact score is bounded by relevance-driven strategy).
SHORTLIST_PER_SLOT = 4


@dataclass(frozen=True)
class CitizenRow:
    """One citizen's sparse row ([features | stated skills]) and the kinds they consented to."""

    idx: npt.NDArray[np.int32]
    val: npt.NDArray[np.float32]
    consent: tuple[bool, ...]


def citizen_row(space: FeatureSpace, profile: CitizenProfile) -> CitizenRow:
    """The row `Ranker.relevance` would read for this profile, in the combined layout."""
    enc = space.profile(profile)
    idx, val = space.row(enc)
    sidx, sval = space.stated_row(enc)
    return CitizenRow(
        idx=np.concatenate([idx, sidx + space.size]).astype(np.int32),
        val=np.concatenate([val, sval]).astype(np.float32),
        consent=tuple(profile.consent.allows(k) for k in KINDS),
    )


def opportunity_block(ci: CatalogueIndex, position: int) -> sp.csr_matrix:
    """The [features; coverage] columns of one opportunity's readings: (2 × size) × readings."""
    cols = np.flatnonzero(ci.owner == position)
    return sp.vstack([ci.features_t[:, cols], ci.cover_t[:, cols]], format="csr")


class CitizenMatrix:
    """The citizens one instance scores, kept as rows; the matrix is rebuilt only after a change."""

    def __init__(self, width: int) -> None:
        self.width = width
        self._rows: dict[uuid.UUID, CitizenRow] = {}
        self._busy: set[uuid.UUID] = set()
        self._built: tuple[list[uuid.UUID], sp.csr_matrix, npt.NDArray[np.bool_]] | None = None
        self._position: dict[uuid.UUID, int] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, citizen_id: object) -> bool:
        return citizen_id in self._rows

    def put(self, citizen_id: uuid.UUID, row: CitizenRow) -> None:
        self._rows[citizen_id] = row
        self._built = None

    def drop(self, citizen_id: uuid.UUID) -> None:
        if self._rows.pop(citizen_id, None) is not None:
            self._built = None

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
            self._built = (ids, m, consent)
            self._position = {c: i for i, c in enumerate(ids)}
        return self._built

    def shortlist(
        self, ci: CatalogueIndex, position: int, exclude: set[uuid.UUID], k: int
    ) -> list[tuple[uuid.UUID, float]]:
        """The `k` most relevant eligible citizens for the opportunity at `position` of `ci`."""
        ids, m, consent = self.matrix()
        if not ids or k <= 0:
            return []
        per_reading = m @ opportunity_block(ci, position)  # the one sparse product
        if per_reading.shape[1] == 1:
            relevance = per_reading.toarray().ravel()
        else:  # an ambiguous title: the best of its readings, as the citizen-side ranking counts it
            relevance = np.asarray(per_reading.max(axis=1).todense()).ravel()
        eligible = consent[:, int(ci.kind[position])] & (relevance >= MIN_RELEVANCE)
        gone = [self._position[c] for c in exclude | self._busy if c in self._position]
        eligible[gone] = False
        found = np.flatnonzero(eligible)
        if found.size > k:
            found = found[np.argpartition(-relevance[found], k - 1)[:k]]
        found = found[np.argsort(-relevance[found], kind="stable")]
        return [(ids[i], float(relevance[i])) for i in found.tolist()]


class ReverseRanker:
    """The citizen-side ranking on one-opportunity catalogues, with its own index cache.

    A shallow copy of the service's `Ranker` (same linker, feature space, rules and weights) whose
    catalogue indexer is its own, so scoring one opportunity never evicts the full catalogue's index.
    """

    def __init__(self, ranker: Ranker) -> None:
        self.space = ranker.space
        self._ranker = copy.copy(ranker)
        self._ranker.indexer = CatalogueIndexer(ranker.space)
        self.indexer = CatalogueIndexer(ranker.space)
        self._one: tuple[uuid.UUID, Opportunity, Catalogue] | None = None

    def width(self) -> int:
        return 2 * self.space.size

    def row(self, profile: CitizenProfile) -> CitizenRow:
        return citizen_row(self.space, profile)

    def index(self, opportunities: Mapping[uuid.UUID, Opportunity]) -> CatalogueIndex:
        batch = Catalogue()
        for oid, opp in opportunities.items():
            batch.upsert(oid, opp)
        return self.indexer.index(batch)

    def fit(
        self, profile: CitizenProfile, opportunity_id: uuid.UUID, opportunity: Opportunity
    ) -> RankedOpportunity | None:
        """The opportunity as the citizen's own ranking would propose it, or None when it does not fit."""
        if self._one is None or self._one[0] != opportunity_id or self._one[1] is not opportunity:
            one = Catalogue()  # kept while the shortlist of one opportunity is checked: indexed once
            one.upsert(opportunity_id, opportunity)
            self._one = (opportunity_id, opportunity, one)
        result = self._ranker.rank(profile, self._one[2], top_n=1)
        return result.proposals[0] if result.proposals else None


def reverse_kinds() -> tuple[OpportunityKind, ...]:
    """Kinds offered to citizens by reverse matching: those that take capacity (not associations)."""
    return tuple(k for k in KINDS if k is not OpportunityKind.ASSOCIATION_ACTIVITY)
