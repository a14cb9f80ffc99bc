"""Link free text (Danish or English, often misspelt) to ESCO occupations and skills.

Every ESCO label (English preferred, alternative and hidden; Danish occupation labels and STAR's
Danish job titles; the Danish skill labels; the reviewed glossary) is a row of character n-gram
TF-IDF over Danish-analysed words (`text.DanishAnalyser`: job-ad phrasing out, compounds split,
Snowball stems); a text links to the concepts of its nearest labels by cosine similarity, which is
its confidence. A text whose best match is below `MIN_CONFIDENCE` stays unlinked and is kept as
raw text. A skill link says whether the skill is transversal (an attitude or personal quality such
as "selvstændig" or "fleksibel"), so ranking can weigh it lightly and reasons can name it.
"""

from __future__ import annotations

import itertools
import re
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from services.matcher.domain.esco import EscoIndex
from services.matcher.domain.sparse_rows import group_sums
from services.matcher.domain.text import (
    LABEL_WORD_ZIPF,
    DanishAnalyser,
    TextEncoder,
    normalise,
    words_of,
)

ConceptKind = Literal["occupation", "skill"]
#: Part of the disk cache key, beside a hash of this module's and `text`'s source: bump it for a
#: change in what the linker fits that lives elsewhere.
LINKER_VERSION = 3
MIN_CONFIDENCE = 0.5
MAX_LABEL_SHARE = 0.03
#: Links this close to the best one are readings too: an ambiguous text spreads over them.
NEAR_BEST = 0.05
#: At most this many readings of one text (a STAR title can be shared by 80 occupations).
MAX_READINGS = 32
DEFAULT_CACHE_SIZE = 50_000
_SAME_LABEL = 1e-3
_BATCH = 256
#: Texts of one kind whose n-gram postings are copied out together (a few MB at most).
_CHUNK = 16
#: Weight of a label by where it comes from; hidden labels and crosswalk titles are a bit looser.
_PREFERRED, _ALTERNATIVE, _LOOSE = 1.0, 0.97, 0.93
#: English acronyms that are Danish words once lower-cased, so they are not labels: "smed" is a
#: smith, not the SMED changeover method; "led" is what "ledelse" and "lede" (lead) stem to, not
#: LEDs. Reviewed by hand (`test_danish_linking.py`).
NOT_LABELS = frozenset({"SMED", "LED", "LEDs"})
_ASCII_WORD = re.compile(r"\b[a-z]+\b")


@dataclass(frozen=True)
class Link:
    kind: ConceptKind
    index: int
    confidence: float
    #: A transversal skill: an attitude or personal quality, weighed lightly in ranking.
    transversal: bool = False


@dataclass(frozen=True)
class LinkedText:
    """A text and its links, best first; no links means nothing matched well (raw text kept)."""

    text: str
    links: tuple[Link, ...]
    n_readings: int = 0  # the first n links are what the text most likely means

    @property
    def best(self) -> Link | None:
        return self.links[0] if self.links else None

    @property
    def readings(self) -> tuple[Link, ...]:
        return self.links[: self.n_readings]

    @property
    def attitude(self) -> bool:
        """The text names an attitude or personal quality ("godt humør"), not a trade skill: its best
        reading is one, and so are at least half of its readings ("ældrepleje" reads as "assist
        clients with special needs", transversal, but also as "tend to elderly people" and
        "geriatrics": it is a trade)."""
        readings = self.readings
        if not readings or not readings[0].transversal:
            return False
        return 2 * sum(lk.transversal for lk in readings) >= len(readings)


@dataclass(frozen=True)
class LabelTable:
    """Labels of one concept kind: their distinct encoded rows (transposed) and their owners.

    Labels that encode the same (an English alternative equal to a hidden one, a STAR title many
    occupations carry) share one column of `matrix_t` (features × distinct rows), a fifth fewer
    columns to multiply: column c stands for the labels `labels[label_ptr[c]:label_ptr[c + 1]]`,
    highest label first. `concept` and `weight` are per label.
    """

    matrix_t: sp.csr_matrix
    concept: npt.NDArray[np.int32]
    weight: npt.NDArray[np.float32]
    label_ptr: npt.NDArray[np.int32]
    labels: npt.NDArray[np.int32]

    @staticmethod
    def of(rows: list[tuple[str, int, float]], encoded: sp.csr_matrix) -> LabelTable:
        """The table of `rows` (label, concept, weight), `encoded` one canonical row per label."""
        groups: dict[tuple[bytes, bytes], list[int]] = {}
        for i in range(encoded.shape[0]):
            lo, hi = encoded.indptr[i], encoded.indptr[i + 1]
            key = (encoded.indices[lo:hi].tobytes(), encoded.data[lo:hi].tobytes())
            groups.setdefault(key, []).append(i)
        members = list(groups.values())  # in order of each group's first label
        return LabelTable(
            matrix_t=sp.csr_matrix(encoded[[g[0] for g in members]].T),
            concept=np.array([r[1] for r in rows], dtype=np.int32),
            weight=np.array([r[2] for r in rows], dtype=np.float32),
            label_ptr=np.cumsum([0, *map(len, members)], dtype=np.int32),
            labels=np.array([i for g in members for i in reversed(g)], dtype=np.int32),
        )

    def labels_of(self, columns: npt.NDArray[np.intp]) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
        """The labels of each column, one column after the other, and how many each has."""
        start, stop = self.label_ptr[columns], self.label_ptr[columns + 1]
        count = stop - start
        return self.labels[np.repeat(stop - np.cumsum(count), count) + np.arange(int(count.sum()))], count


@dataclass(frozen=True)
class LinkerState:
    """Everything the linker fits; cached on disk by the adapter so the build runs once."""

    idf: npt.NDArray[np.float32]
    occupations: LabelTable
    skills: LabelTable
    #: Known Danish words and their Zipf frequency, for splitting compounds.
    words: Mapping[str, float]


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
    return [r for r in rows if r[0] not in NOT_LABELS]


def _skill_labels(index: EscoIndex) -> list[tuple[str, int, float]]:
    rows: list[tuple[str, int, float]] = []
    for i, s in enumerate(index.skills):
        rows.append((s.label_en, i, _PREFERRED))
        rows += [(label, i, _ALTERNATIVE) for label in s.labels_en]
        if s.label_da:
            rows.append((s.label_da, i, _PREFERRED))
        # The Danish alternatives are the words caseworkers and job ads use ("truckkørsel"), as
        # good as the preferred label: an exact one must beat a preferred label with extra words.
        rows += [(label, i, _PREFERRED) for label in s.labels_da]
    for entry in index.glossary:
        rows += [(term, i, _PREFERRED) for term in entry.terms_da for i in entry.skills]
    return [r for r in rows if r[0] not in NOT_LABELS]


def compound_words(index: EscoIndex, words: Mapping[str, float]) -> dict[str, float]:
    """The word table plus every word of the Danish labels (so "truck" and "pluk" are known)."""
    known = dict(words)
    labels = [t for e in index.glossary for t in e.terms_da]
    for o in index.occupations:
        labels += [o.label_da, *o.labels_da]
    for s in index.skills:
        labels += [s.label_da, *s.labels_da]
    for label in labels:
        for w in words_of(label):
            if len(w) >= 3 and w.isalpha():
                known.setdefault(w, LABEL_WORD_ZIPF)
    return known


def build_linker_state(index: EscoIndex, words: Mapping[str, float]) -> LinkerState:
    """Fit the n-gram IDF on all labels and encode them (a few seconds; cache the result)."""
    known = compound_words(index, words)
    occ_rows, skill_rows = _occupation_labels(index), _skill_labels(index)
    encoder, encoded = TextEncoder.fit(
        [r[0] for r in occ_rows + skill_rows],
        max_df=MAX_LABEL_SHARE,
        analyser=DanishAnalyser(known),
    )
    split = len(occ_rows)
    encoded.sort_indices()
    return LinkerState(
        idf=encoder.idf,
        occupations=LabelTable.of(occ_rows, encoded[:split]),
        skills=LabelTable.of(skill_rows, encoded[split:]),
        words=known,
    )


class Linker:
    """Links texts to ESCO concepts; remembers recent texts in a bounded LRU cache.

    The cache is keyed on the normalised text (case, punctuation and filler words do not make a
    new entry), so the same words typed by another citizen are linked once. All texts a caller
    hands over at once are encoded together; each is then one dense mat-vec over the label
    postings of its n-grams.
    """

    def __init__(
        self,
        index: EscoIndex,
        state: LinkerState,
        *,
        max_links: int = 3,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        self.index = index
        self.state = state
        self._english: frozenset[str] | None = None
        self.analyser = DanishAnalyser(state.words, self.english_words)
        self.encoder = TextEncoder(state.idf, self.analyser)
        self._transversal: dict[ConceptKind, list[bool]] = {
            "occupation": [False] * len(index.occupations),
            "skill": [s.transversal for s in index.skills],
        }
        self._max_links = max_links
        self._cache_size = cache_size
        self._cache: OrderedDict[tuple[ConceptKind, str], tuple[Link, ...]] = OrderedDict()
        self._readings: dict[tuple[ConceptKind, str], int] = {}
        self._exact: dict[ConceptKind, dict[str, npt.NDArray[np.int32]]] = {}
        self.hits = 0
        self.misses = 0

    def english_words(self) -> frozenset[str]:
        """Every word of ESCO's English labels, never respelt as Danish ("mode" is not "møde");
        gathered the first time a word might be respelt (a third of a second)."""
        if self._english is None:
            labels = [label for o in self.index.occupations for label in (o.label_en, *o.labels_en)]
            labels += [label for s in self.index.skills for label in (s.label_en, *s.labels_en)]
            self._english = frozenset(_ASCII_WORD.findall("\n".join(labels).lower()))  # only those are respelt
        return self._english

    def forget(self) -> None:
        """Drop remembered links (benchmarks use it to time texts never seen before)."""
        self._cache.clear()
        self._readings.clear()

    def __len__(self) -> int:
        return len(self._cache)

    def occupations(self, texts: Sequence[str]) -> list[LinkedText]:
        return self.link([("occupation", t) for t in texts])

    def skills(self, texts: Sequence[str]) -> list[LinkedText]:
        return self.link([("skill", t) for t in texts])

    def link(self, requests: Sequence[tuple[ConceptKind, str]]) -> list[LinkedText]:
        """Link every (kind, text) at once: cached ones from the cache, the rest in one batch."""
        keys = [(kind, normalise(text)) for kind, text in requests]
        found: dict[tuple[ConceptKind, str], tuple[tuple[Link, ...], int]] = {}
        todo: list[tuple[ConceptKind, str]] = []
        for key in keys:
            if key in found:
                continue
            links = self._cache.get(key)
            if links is None:
                todo.append(key)
                found[key] = ((), 0)
            else:
                self._cache.move_to_end(key)
                found[key] = (links, self._readings[key])
                self.hits += 1
        for key, linked in self._link_all(todo):
            found[key] = linked
            self._remember(key, *linked)
        self.misses += len(todo)
        return [
            LinkedText(text, found[key][0], found[key][1])
            for (_, text), key in zip(requests, keys, strict=True)
        ]

    def link_uncached(self, requests: Sequence[tuple[ConceptKind, str]]) -> list[LinkedText]:
        """Link like `link`, neither reading nor filling the cache: for bulk work (the autocomplete's
        label owners, thousands of texts) that would push the citizens' texts out of it."""
        keys = [(kind, normalise(text)) for kind, text in requests]
        found = dict(self._link_all(list(dict.fromkeys(keys))))
        return [LinkedText(text, *found[key]) for (_, text), key in zip(requests, keys, strict=True)]

    def _link_all(
        self, todo: list[tuple[ConceptKind, str]]
    ) -> Iterator[tuple[tuple[ConceptKind, str], tuple[tuple[Link, ...], int]]]:
        for start in range(0, len(todo), _BATCH):  # bounded batches keep the encoded matrix small
            yield from self._link_batch(todo[start : start + _BATCH])

    def _remember(self, key: tuple[ConceptKind, str], links: tuple[Link, ...], readings: int) -> None:
        self._cache[key] = links
        self._readings[key] = readings
        while len(self._cache) > self._cache_size:
            old, _ = self._cache.popitem(last=False)
            del self._readings[old]

    def _exact_labels(self, kind: ConceptKind, table: LabelTable) -> dict[str, npt.NDArray[np.int32]]:
        """Normalised label -> its rows in the kind's table, for the labels n-grams cannot reach.

        A label made only of very common n-grams ("operations manager", "store manager": every
        n-gram is in more than `MAX_LABEL_SHARE` of all labels) encodes to an empty row, so
        similarity alone can never find it; typed exactly, it still links to every concept that
        carries it. Any other label typed exactly already has similarity 1 with itself, so only the
        empty rows are kept (9 of them), built the first time a text encodes to nothing.
        """
        exact = self._exact.get(kind)
        if exact is None:
            columns = table.label_ptr.size - 1
            empty = np.flatnonzero(np.bincount(table.matrix_t.indices, minlength=columns) == 0)
            rows = _occupation_labels(self.index) if kind == "occupation" else _skill_labels(self.index)
            found: dict[str, list[int]] = {}
            for n in sorted(table.labels_of(empty)[0].tolist()):
                found.setdefault(normalise(rows[n][0]), []).append(n)
            exact = self._exact[kind] = {k: np.array(v, dtype=np.int32) for k, v in found.items()}
        return exact

    def _link_batch(
        self, keys: list[tuple[ConceptKind, str]]
    ) -> list[tuple[tuple[ConceptKind, str], tuple[tuple[Link, ...], int]]]:
        order = sorted(range(len(keys)), key=lambda i: keys[i][0] != "occupation")  # a block per kind
        encoded = self.encoder.encode([keys[i][1] for i in order])
        linked: list[tuple[tuple[Link, ...], int]] = [((), 0)] * len(keys)
        row = 0  # of `encoded`
        for kind in ("occupation", "skill"):
            block = [i for i in order if keys[i][0] == kind]
            for start in range(0, len(block), _CHUNK):
                chunk = block[start : start + _CHUNK]
                ptr = encoded.indptr[row : row + len(chunk) + 1]
                lo, hi = ptr[0], ptr[-1]
                texts = [keys[i][1] for i in chunk]
                near = self._near(kind, ptr - lo, encoded.indices[lo:hi], encoded.data[lo:hi], texts)
                for i, found in zip(chunk, near, strict=True):
                    linked[i] = self._best(kind, *found)
                row += len(chunk)
        return list(zip(keys, linked, strict=True))

    def _near(
        self,
        kind: ConceptKind,
        ptr: npt.NDArray[np.int32],
        features: npt.NDArray[np.int32],
        weights: npt.NDArray[np.float32],
        texts: list[str],
    ) -> list[tuple[list[int], list[float], list[float]]]:
        """For each text, the concepts of the labels within reach, best label first.

        Text n is encoded as `features[ptr[n]:ptr[n + 1]]` with those `weights`. Each text is one
        dense mat-vec over the label postings of its n-grams (a sparse product would also build
        the thousands of labels sharing an n-gram or two, of which a few dozen pass); the texts
        share one copy of those postings, and their labels are weighed and ordered together.
        Returned per text: each passing label's concept, score (similarity times the label's
        weight) and similarity, by score, equal scores in the table's order.
        """
        table = self.state.occupations if kind == "occupation" else self.state.skills
        labels: list[npt.NDArray[np.int32]] = []
        sims: list[npt.NDArray[np.float32]] = []
        text_of: list[npt.NDArray[np.intp]] = []
        columns: list[npt.NDArray[np.intp]] = []  # the labels' shared columns, expanded below
        column_sims: list[npt.NDArray[np.float32]] = []
        column_of: list[npt.NDArray[np.intp]] = []
        sums = group_sums(table.matrix_t, ptr, features, weights)
        for n, (text, total) in enumerate(zip(texts, sums, strict=True)):
            if ptr[n] < ptr[n + 1]:
                c = np.flatnonzero(total >= MIN_CONFIDENCE)  # no label weighs more than 1
                columns.append(c)
                column_sims.append(total[c])
                column_of.append(np.full(c.size, n))
            elif (exact := self._exact_labels(kind, table).get(text)) is not None:
                labels.append(exact)  # a label made of common n-grams only, typed exactly
                sims.append(np.ones(exact.size, dtype=np.float32))
                text_of.append(np.full(exact.size, n))
        if columns:
            expanded, count = table.labels_of(np.concatenate(columns))
            labels.append(expanded)
            sims.append(np.repeat(np.concatenate(column_sims), count))
            text_of.append(np.repeat(np.concatenate(column_of), count))
        if not labels:
            return [([], [], [])] * len(texts)
        label, sim, of = np.concatenate(labels), np.concatenate(sims), np.concatenate(text_of)
        scored = sim * table.weight[label]
        keep = np.flatnonzero(scored >= MIN_CONFIDENCE)
        keep = keep[np.lexsort((-scored[keep], of[keep]))]  # stable: ties keep the table's order
        cut = np.searchsorted(of[keep], np.arange(len(texts) + 1)).tolist()
        concept, score, similarity = table.concept[label[keep]].tolist(), scored[keep].tolist(), sim[keep].tolist()
        return [(concept[lo:hi], score[lo:hi], similarity[lo:hi]) for lo, hi in itertools.pairwise(cut)]

    def _best(
        self, kind: ConceptKind, concepts: list[int], scored: list[float], sims: list[float]
    ) -> tuple[tuple[Link, ...], int]:
        """The concepts of the nearest labels, best first, and how many of them are readings.

        The labels come from `_near`, best first. Readings are the concepts the text most likely
        means: those scoring near the best, and every concept that carries the best-matching label
        itself (a title several occupations share, such as a STAR job title, is ambiguous: it
        links to all of them, up to a cap). A text has a few dozen labels here, so plain lists
        beat numpy's per-call cost.
        """
        if not concepts:
            return (), 0
        seen: set[int] = set()
        best: list[tuple[int, float, float]] = []  # each concept once, by its best label, best first
        for c, score, sim in zip(concepts, scored, sims, strict=True):
            if c not in seen:
                seen.add(c)
                best.append((c, score, sim))
        # Thresholds in float32, as the scores are.
        near = float(np.float32(best[0][1]) - np.float32(NEAR_BEST))
        same = float(np.float32(max(m for _, _, m in best) - _SAME_LABEL))
        reading = [n < MAX_READINGS and (s >= near or m >= same) for n, (_, s, m) in enumerate(best)]
        chosen = [b for b, r in zip(best, reading, strict=True) if r]
        others = [b for b, r in zip(best, reading, strict=True) if not r][: max(0, self._max_links - len(chosen))]
        transversal = self._transversal[kind]
        links = tuple(Link(kind, c, round(min(s, 1.0), 3), transversal[c]) for c, s, _ in chosen + others)
        return links, len(chosen)

