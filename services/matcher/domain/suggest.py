"""ESCO autocomplete: Danish and English labels by what a caseworker has typed so far, typos forgiven.

Every label (Danish and English, preferred and alternative; the reviewed Danish glossary) is a set of
character bi- and trigrams. A query scores each label by the Dice overlap of those sets, so a
misspelt word still finds its label; a label that starts with the query, or has a word that does, is
lifted, so "kok" puts "kok" before "kokkeelev" before "blomsterbinder". One concept is named once,
by its best label, and one label text names one concept: a form fills in the URI of the label the
caseworker picks, so five options all reading "rengøringsassistent" (an alternative label of five
occupations) would give one of them whichever she picked. A title several occupations carry names
the one the ranking would read it as: the reviewed Danish titles first ("lastbilchauffør" is a cargo
vehicle driver), then the linker's best reading of the text, and without a linker the occupation
whose preferred label it is ("building cleaner" for "rengøringsassistent", not "drapery and carpet
cleaner", which carries it as a crosswalk title). A reviewed title is a label of its occupation. A
Danish skill label two skills share ("kundeservice") likewise names the linker's best reading.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer

from services.matcher.domain.esco import EscoIndex
from services.matcher.domain.linking import Linker
from services.matcher.domain.text import normalise

SuggestKind = Literal["occupation", "skill"]
Language = Literal["da", "en"]
_WORD = re.compile(r"[^\w]+")
_CANDIDATES = 200
_STARTS_LABEL, _STARTS_WORD = 0.5, 0.25
#: Lifts a concept's preferred label over the same text as another's alternative label, and the
#: occupation a shared title names over both; smaller than any Dice difference that matters.
_PREFERRED, _OWNER = 0.01, 0.02
MIN_SCORE = 0.3


def fold(text: str) -> str:
    """Lower case, NFKC, punctuation to spaces; keeps æ, ø and å."""
    return " ".join(_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).replace("_", " ").split())


@dataclass(frozen=True)
class Suggestion:
    uri: str
    kind: SuggestKind
    label: str
    language: Language
    label_da: str
    label_en: str
    score: float


@dataclass(frozen=True)
class _Label:
    text: str
    folded: str
    concept: int
    language: Language
    preferred: bool


class _Table:
    def __init__(
        self, labels: list[_Label], vectorizer: HashingVectorizer, owners: Mapping[str, int] | None = None
    ) -> None:
        self.labels = labels
        owners = owners or {}
        self.lift = [
            _OWNER if owners.get(lab.folded) == lab.concept else _PREFERRED if lab.preferred else 0.0
            for lab in labels
        ]
        grams = sp.csr_matrix(vectorizer.transform([lab.folded for lab in labels]))
        self.sizes: npt.NDArray[np.float32] = np.asarray(grams.getnnz(axis=1), dtype=np.float32)
        self.by_gram = sp.csr_matrix(grams.T)  # grams × labels: a query touches only its grams' rows


class Suggester:
    """Built once from the ESCO index (a second or two; the owners of shared titles, with a linker,
    about one more); answers in about a millisecond."""

    def __init__(
        self, index: EscoIndex, *, linker: Linker | None = None, titles: Mapping[str, int] | None = None
    ) -> None:
        self.index = index
        self._vectorizer = HashingVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 3),
            n_features=2**20,
            alternate_sign=False,
            norm=None,
            binary=True,
            lowercase=False,
            dtype=np.float32,
        )
        occupations, skills = _occupation_labels(index, titles or {}), _skill_labels(index)
        self._tables: dict[SuggestKind, _Table] = {
            "occupation": _Table(occupations, self._vectorizer, owners(occupations, "occupation", linker, titles)),
            "skill": _Table(skills, self._vectorizer, owners(skills, "skill", linker)),
        }

    def suggest(self, q: str, kind: SuggestKind, limit: int = 10) -> list[Suggestion]:
        """The best concepts for `q`, best first; empty for a query under two letters."""
        folded = fold(q)
        if len(folded) < 2:
            return []
        table = self._tables[kind]
        query = sp.csr_matrix(self._vectorizer.transform([folded]))
        if query.nnz == 0:
            return []
        shared = sp.csr_matrix(query @ table.by_gram)
        labels, overlap = shared.indices, shared.data
        dice = 2 * overlap / (query.nnz + table.sizes[labels])
        top = np.argsort(-dice, kind="stable")[:_CANDIDATES]
        last_word = folded.split()[-1]
        scored: list[tuple[float, int]] = []
        for j in top:
            label = table.labels[int(labels[j])]
            score = float(dice[j])
            if label.folded.startswith(folded):
                score += _STARTS_LABEL
            elif any(w.startswith(last_word) for w in label.folded.split()):
                score += _STARTS_WORD
            if score >= MIN_SCORE:
                score += table.lift[int(labels[j])]
                scored.append((score - 0.001 * len(label.folded) / 100, int(labels[j])))
        scored.sort(key=lambda s: -s[0])
        out: list[Suggestion] = []
        seen: set[int] = set()
        shown: set[str] = set()
        for score, i in scored:
            label = table.labels[i]
            if label.concept in seen or label.folded in shown:
                continue
            seen.add(label.concept)
            shown.add(label.folded)
            out.append(self._suggestion(kind, label, score))
            if len(out) == limit:
                break
        return out

    def _suggestion(self, kind: SuggestKind, label: _Label, score: float) -> Suggestion:
        if kind == "occupation":
            occ = self.index.occupations[label.concept]
            uri, label_en, label_da = occ.uri, occ.label_en, occ.label_da
        else:
            skill = self.index.skills[label.concept]
            uri, label_en, label_da = skill.uri, skill.label_en, str(getattr(skill, "label_da", "") or "")
        return Suggestion(uri, kind, label.text, label.language, label_da, label_en, round(min(score, 1.5), 3))


def _labels(rows: list[tuple[str, int, Language, bool]]) -> list[_Label]:
    seen: set[tuple[str, int]] = set()
    out: list[_Label] = []
    for text, concept, language, preferred in rows:
        folded = fold(text)
        if folded and (folded, concept) not in seen:
            seen.add((folded, concept))
            out.append(_Label(text, folded, concept, language, preferred))
    return out


def _occupation_labels(index: EscoIndex, titles: Mapping[str, int]) -> list[_Label]:
    rows: list[tuple[str, int, Language, bool]] = []
    for i, o in enumerate(index.occupations):
        rows += [(t, i, "da", t == o.label_da) for t in (o.label_da, *o.labels_da) if t]
        rows += [(t, i, "en", t == o.label_en) for t in (o.label_en, *o.labels_en) if t]
    rows += [(t, i, "da", False) for e in index.glossary for t in e.terms_da for i in e.occupations]
    rows += [(t, i, "da", True) for t, i in titles.items()]
    return _labels(rows)


def owners(
    labels: Sequence[_Label], kind: SuggestKind, linker: Linker | None, titles: Mapping[str, int] | None = None
) -> dict[str, int]:
    """For each label text more than one concept carries, the concept it names: a reviewed title's
    occupation, else the linker's best reading among them (none without a linker, or when the linker
    reads the text as none of them)."""
    titles = titles or {}
    carriers: dict[str, set[int]] = {}
    text: dict[str, str] = {}
    for lab in labels:
        carriers.setdefault(lab.folded, set()).add(lab.concept)
        text.setdefault(lab.folded, lab.text)
    shared = [f for f, c in carriers.items() if len(c) > 1]
    named: dict[str, int] = {}
    todo: list[str] = []
    for f in shared:
        reviewed = titles.get(normalise(text[f]))
        if reviewed is not None and reviewed in carriers[f]:
            named[f] = reviewed
        else:
            todo.append(f)
    if linker is not None:
        for f, linked in zip(todo, linker.link_uncached([(kind, text[f]) for f in todo]), strict=True):
            owner = next((lk.index for lk in linked.links if lk.index in carriers[f]), None)
            if owner is not None:
                named[f] = owner
    return named


def _skill_labels(index: EscoIndex) -> list[_Label]:
    rows: list[tuple[str, int, Language, bool]] = []
    for i, s in enumerate(index.skills):
        # Preferred labels only: alternative skill labels would triple the table for little gain.
        danish = str(getattr(s, "label_da", "") or "")  # Danish skill labels, where the artifact has them
        if danish:
            rows.append((danish, i, "da", True))
        rows.append((s.label_en, i, "en", True))
    rows += [(t, i, "da", False) for e in index.glossary for t in e.terms_da for i in e.skills]
    return _labels(rows)
