"""Link free text (Danish or English, often misspelt) to ESCO occupations and skills.

Every ESCO label (English preferred, alternative and hidden; Danish preferred and alternative;
STAR's Danish job titles; the reviewed glossary) is a row of character n-gram TF-IDF; a text links
to the concepts of its nearest labels by cosine similarity, which is its confidence. A text whose
best match is below `MIN_CONFIDENCE` stays unlinked and is kept as raw text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from services.matcher.domain.esco import EscoIndex
from services.matcher.domain.text import TextEncoder

ConceptKind = Literal["occupation", "skill"]
MIN_CONFIDENCE = 0.5
MAX_LABEL_SHARE = 0.03
#: Weight of a label by where it comes from; hidden labels and crosswalk titles are a bit looser.
_PREFERRED, _ALTERNATIVE, _LOOSE = 1.0, 0.97, 0.93


@dataclass(frozen=True)
class Link:
    kind: ConceptKind
    index: int
    confidence: float


@dataclass(frozen=True)
class LinkedText:
    """A text and its links, best first; no links means nothing matched well (raw text kept)."""

    text: str
    links: tuple[Link, ...]

    @property
    def best(self) -> Link | None:
        return self.links[0] if self.links else None


@dataclass(frozen=True)
class LabelTable:
    """Labels of one concept kind: encoded rows (transposed, features × labels) and their owners."""

    matrix_t: sp.csr_matrix
    concept: npt.NDArray[np.int32]
    weight: npt.NDArray[np.float32]


@dataclass(frozen=True)
class LinkerState:
    """Everything the linker fits; cached on disk by the adapter so the build runs once."""

    idf: npt.NDArray[np.float32]
    occupations: LabelTable
    skills: LabelTable


def _occupation_labels(index: EscoIndex) -> list[tuple[str, int, float]]:
    rows: list[tuple[str, int, float]] = []
    for i, o in enumerate(index.occupations):
        rows.append((o.label_en, i, _PREFERRED))
        rows += [(label, i, _ALTERNATIVE) for label in o.labels_en]
        if o.label_da:
            rows.append((o.label_da, i, _PREFERRED))
        rows += [(label, i, _LOOSE) for label in o.labels_da]
    for entry in index.glossary:
        rows += [(term, i, _PREFERRED) for term in entry.terms_da for i in entry.occupations]
    return rows


def _skill_labels(index: EscoIndex) -> list[tuple[str, int, float]]:
    rows: list[tuple[str, int, float]] = []
    for i, s in enumerate(index.skills):
        rows.append((s.label_en, i, _PREFERRED))
        rows += [(label, i, _ALTERNATIVE) for label in s.labels_en]
    for entry in index.glossary:
        rows += [(term, i, _PREFERRED) for term in entry.terms_da for i in entry.skills]
    return rows


def build_linker_state(index: EscoIndex) -> LinkerState:
    """Fit the n-gram IDF on all labels and encode them (a few seconds; cache the result)."""
    occ_rows, skill_rows = _occupation_labels(index), _skill_labels(index)
    encoder, encoded = TextEncoder.fit(
        [r[0] for r in occ_rows + skill_rows], max_df=MAX_LABEL_SHARE
    )
    split = len(occ_rows)

    def table(rows: list[tuple[str, int, float]], matrix: sp.csr_matrix) -> LabelTable:
        matrix_t = sp.csr_matrix(matrix.T)
        return LabelTable(
            matrix_t=matrix_t,
            concept=np.array([r[1] for r in rows], dtype=np.int32),
            weight=np.array([r[2] for r in rows], dtype=np.float32),
        )

    return LinkerState(
        idf=encoder.idf,
        occupations=table(occ_rows, encoded[:split]),
        skills=table(skill_rows, encoded[split:]),
    )


class Linker:
    """Links texts to ESCO concepts; remembers each distinct text it has seen."""

    def __init__(self, index: EscoIndex, state: LinkerState, *, max_links: int = 3) -> None:
        self.index = index
        self.state = state
        self.encoder = TextEncoder(state.idf)
        self._max_links = max_links
        self._memo: dict[tuple[ConceptKind, str], LinkedText] = {}

    def forget(self) -> None:
        """Drop remembered links (benchmarks use it to time texts never seen before)."""
        self._memo.clear()

    def occupations(self, texts: Sequence[str]) -> list[LinkedText]:
        return self._link("occupation", texts)

    def skills(self, texts: Sequence[str]) -> list[LinkedText]:
        return self._link("skill", texts)

    def _link(self, kind: ConceptKind, texts: Sequence[str]) -> list[LinkedText]:
        todo = sorted({t for t in texts if (kind, t) not in self._memo})
        table = self.state.occupations if kind == "occupation" else self.state.skills
        for start in range(0, len(todo), 256):  # bounded batches keep the product's memory small
            batch = todo[start : start + 256]
            sims = sp.csr_matrix(self.encoder.encode(batch) @ table.matrix_t)
            for row, text in enumerate(batch):
                lo, hi = sims.indptr[row], sims.indptr[row + 1]
                links = self._best(kind, table, sims.indices[lo:hi], sims.data[lo:hi])
                self._memo[(kind, text)] = LinkedText(text, links)
        if len(self._memo) > 200_000:  # a bounded memo; a flood of unique texts must not grow it
            self._memo.clear()
        return [self._memo.get((kind, t)) or self._link(kind, [t])[0] for t in texts]

    def _best(
        self,
        kind: ConceptKind,
        table: LabelTable,
        labels: npt.NDArray[np.int32],
        sims: npt.NDArray[np.float32],
    ) -> tuple[Link, ...]:
        if sims.size == 0:
            return ()
        scored = sims * table.weight[labels]
        top = np.argsort(-scored)[: 8 * self._max_links]
        best: dict[int, float] = {}
        for j in top:
            score = float(scored[j])
            if score < MIN_CONFIDENCE:
                break
            best.setdefault(int(table.concept[labels[j]]), score)
            if len(best) == self._max_links:
                break
        return tuple(Link(kind, c, round(min(s, 1.0), 3)) for c, s in best.items())
