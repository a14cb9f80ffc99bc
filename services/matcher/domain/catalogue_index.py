"""The catalogue as arrays and one sparse matrix, rebuilt only when `Catalogue.version` changes.

Encoding an opportunity (linking its texts to ESCO) is the costly part, so encodings are kept per
opportunity and reused while the opportunity is unchanged; identical texts share one encoding.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from services.matcher.domain.catalogue import Catalogue
from services.matcher.domain.features import FeatureSpace, Reading
from services.matcher.domain.rules import level_rank
from shared.contracts import Certificate, DrivingLicence, Opportunity, OpportunityKind

KINDS: tuple[OpportunityKind, ...] = tuple(OpportunityKind)
CERTIFICATES: tuple[Certificate, ...] = tuple(Certificate)
LICENCES: tuple[DrivingLicence, ...] = tuple(DrivingLicence)

_OppKey = tuple[object, ...]


@dataclass(frozen=True)
class OppRow:
    """An opportunity's unit vector over ESCO features and the occupations it linked to."""

    indices: npt.NDArray[np.int32]
    values: npt.NDArray[np.float32]
    occupations: tuple[int, ...]
    #: What relevance takes the best of: one (indices, values, coverage) per reading of an
    #: ambiguous title (`features.FeatureSpace.reading`).
    readings: tuple[Reading, ...]
    #: For an education step, the skills (positions) it names itself (its skills, ESCO skills and what
    #: it teaches), not those of its occupation; empty for every other kind (only gap planning reads it).
    named: frozenset[int] = frozenset()


def cert_bits(certs: list[Certificate]) -> int:
    return sum(1 << CERTIFICATES.index(c) for c in set(certs))


def licence_code(code: DrivingLicence | None) -> int:
    return -1 if code is None else LICENCES.index(code)


def _key(o: Opportunity) -> _OppKey:
    edu = o.education
    return (
        o.title,
        o.occupation_text,
        o.esco_occupation,
        tuple(o.skills),
        tuple(o.esco_skills),
        tuple(edu.teaches_skills) if edu else (),
        tuple(edu.teaches_skill_texts) if edu else (),
    )


@dataclass(frozen=True)
class CatalogueIndex:
    ids: list[uuid.UUID]
    opportunities: list[Opportunity]
    rows: list[OppRow]
    kind: npt.NDArray[np.int8]
    min_danish: npt.NDArray[np.int8]
    mentor: npt.NDArray[np.bool_]
    lat: npt.NDArray[np.float64]  # radians
    lon: npt.NDArray[np.float64]
    certs: npt.NDArray[np.int32]
    licence: npt.NDArray[np.int8]
    grants_certs: npt.NDArray[np.int32]
    grants_licence: npt.NDArray[np.int8]
    hours: npt.NDArray[np.float32]
    #: The opportunity's home as a unit vector (x, y, z): commute needs no trigonometry per row.
    xyz: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]
    #: features × readings, for one citizen's product (one reading per opportunity unless its
    #: title is ambiguous). Columns come in layers so that the best reading of each opportunity
    #: is a few contiguous maxima: layer 0 (columns 0..n-1) is every opportunity's first reading in
    #: catalogue order; layer j ≥ 1 holds the (j+1)-th reading of ambiguous[:layers[j]] and starts
    #: at column layer_starts[j] (`ambiguous`: opportunities with several readings, most first).
    features_t: sp.csr_matrix
    #: The coverage values (`features.COVERAGE`) on exactly the sparsity of `features_t`.
    cover_t: sp.csr_matrix
    ambiguous: npt.NDArray[np.intp]
    layers: npt.NDArray[np.intp]
    layer_starts: npt.NDArray[np.intp]
    #: Column -> the opportunity (catalogue position) it is a reading of.
    owner: npt.NDArray[np.intp]
    #: Arrays derived per catalogue by the policy modules (strategy masks etc.), built on first use.
    derived: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    def best_reading(self, per_reading: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        """The best of each opportunity's readings (one value per column), in catalogue order."""
        n = len(self.ids)
        out = np.asarray(per_reading[:n], dtype=np.float64)
        if self.layers.size > 1:
            m = int(self.layers[1])
            s = int(self.layer_starts[1])
            best = np.maximum(per_reading[s : s + m], per_reading[self.ambiguous])
            for m, s in zip(self.layers[2:].tolist(), self.layer_starts[2:].tolist(), strict=True):
                np.maximum(best[:m], per_reading[s : s + m], out=best[:m])
            out[self.ambiguous] = best
        return out


class CatalogueIndexer:
    """Keeps the index of one catalogue current; cheap to call on every ranking."""

    def __init__(self, space: FeatureSpace) -> None:
        self.space = space
        self._rows: dict[uuid.UUID, tuple[Opportunity, OppRow]] = {}
        self._by_key: dict[_OppKey, OppRow] = {}
        self._built: tuple[int, int] | None = None
        self._index: CatalogueIndex | None = None

    def index(self, catalogue: Catalogue) -> CatalogueIndex:
        stamp = (catalogue.instance, catalogue.version)
        if self._index is None or self._built != stamp:
            self._index = self._build(catalogue)
            self._built = stamp
        return self._index

    def row(self, opportunity: Opportunity) -> OppRow:
        key = _key(opportunity)
        row = self._by_key.get(key)
        if row is None:
            enc = self.space.opportunity(opportunity)
            idx, val = self.space.row(enc)
            readings = tuple(self.space.reading_rows(enc))
            # What a course teaches: the skills its words link to surely ("omsorg for de mindste" also
            # read, at 0.57, as "older adults' needs": a childcare course taught a care home's skills).
            named = self.space.surely_named(enc) if opportunity.education else frozenset()
            row = OppRow(idx, val, tuple(dict.fromkeys(enc.occupations)), readings, named)
            if len(self._by_key) > 500_000:
                self._by_key.clear()
            self._by_key[key] = row
        return row

    def _build(self, catalogue: Catalogue) -> CatalogueIndex:
        ids: list[uuid.UUID] = []
        opps: list[Opportunity] = []
        rows: list[OppRow] = []
        fresh: dict[uuid.UUID, tuple[Opportunity, OppRow]] = {}
        for oid, opp in catalogue.items():
            cached = self._rows.get(oid)
            row = cached[1] if cached is not None and cached[0] is opp else self.row(opp)
            fresh[oid] = (opp, row)
            ids.append(oid)
            opps.append(opp)
            rows.append(row)
        self._rows = fresh  # withdrawn opportunities drop out here
        n = len(ids)
        per_opp = np.array([len(r.readings) for r in rows], dtype=np.intp)
        ambiguous = np.flatnonzero(per_opp > 1)
        ambiguous = ambiguous[np.argsort(-per_opp[ambiguous], kind="stable")]
        most = int(per_opp.max()) if n else 0
        layers = np.array([int(np.count_nonzero(per_opp > j)) for j in range(most)], dtype=np.intp)
        layer_starts = np.zeros(most, dtype=np.intp)
        layer_starts[1:] = np.cumsum(layers)[:-1]
        flat = [r.readings[0] for r in rows]
        flat += [rows[i].readings[j] for j, m in enumerate(layers[1:].tolist(), 1) for i in ambiguous[:m]]
        owner = np.concatenate([np.arange(n, dtype=np.intp), *(ambiguous[:m] for m in layers[1:].tolist())])
        indptr = np.zeros(len(flat) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(idx) for idx, _, _ in flat])
        data = np.concatenate([val for _, val, _ in flat]) if n else np.zeros(0, np.float32)
        cover = np.concatenate([c for _, _, c in flat]) if n else np.zeros(0, np.float32)
        cols = np.concatenate([idx for idx, _, _ in flat]) if n else np.zeros(0, np.int32)
        shape = (len(flat), self.space.size)
        features_t = sp.csr_matrix(sp.csr_matrix((data, cols, indptr), shape=shape).T)
        # The transpose is a stable counting sort: the same pattern lands in the same order.
        cover_t = sp.csr_matrix(sp.csr_matrix((cover, cols, indptr), shape=shape).T)
        cover_t = sp.csr_matrix((cover_t.data, features_t.indices, features_t.indptr), shape=cover_t.shape)
        lat = np.radians(np.array([o.location.point.lat for o in opps], dtype=np.float64))
        lon = np.radians(np.array([o.location.point.lon for o in opps], dtype=np.float64))

        def arr(values: list[float] | list[int] | list[bool], dtype: type) -> npt.NDArray[np.generic]:
            return np.array(values, dtype=dtype)

        return CatalogueIndex(
            ids=ids,
            opportunities=opps,
            rows=rows,
            kind=np.array([KINDS.index(o.kind) for o in opps], dtype=np.int8),
            min_danish=np.array([level_rank(o.min_danish_level) for o in opps], dtype=np.int8),
            mentor=np.array([o.danish_mentor for o in opps], dtype=np.bool_),
            lat=lat,
            lon=lon,
            certs=np.array([cert_bits(o.required_certificates) for o in opps], dtype=np.int32),
            licence=np.array([licence_code(o.required_driving_licence) for o in opps], dtype=np.int8),
            grants_certs=np.array(
                [cert_bits(o.education.grants_certificates) if o.education else 0 for o in opps],
                dtype=np.int32,
            ),
            grants_licence=np.array(
                [licence_code(o.education.grants_driving_licence if o.education else None) for o in opps],
                dtype=np.int8,
            ),
            hours=np.array([o.schedule.hours_per_week for o in opps], dtype=np.float32),
            xyz=(np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)),
            features_t=features_t,
            cover_t=cover_t,
            ambiguous=ambiguous,
            layers=layers,
            layer_starts=layer_starts,
            owner=owner.astype(np.intp),
        )
