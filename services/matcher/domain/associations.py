"""Associations, a list of their own: by interests, place, schedule and language-friendliness.

Interests and activities are matched with the same character n-grams as the ESCO linking, so
"fodbold" finds "Fodboldhold for alle" and typos still match. N-grams alone miss a pastime named by
another word ("kor" and "Fællessang", "syning" and "Syklub") and would find false ones through a
shared compound part ("løbeklub" and "Fotoklub"), so an interest that is a word of a reviewed group
of everyday words for one pastime (`data/interests_da.json`) also matches, at `GROUP_MATCH`, every
activity whose title (or description) has a word of that group as a whole word. Both are columns of
one sparse product: the group part is appended to the n-gram rows on both sides.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from services.matcher.domain.catalogue_index import KINDS, CatalogueIndex
from services.matcher.domain.text import TextEncoder, normalise
from shared.contracts import CitizenProfile, Opportunity, OpportunityKind

_ACTIVITY_WORDS = {
    "sports": "sport idræt motion",
    "culture": "kultur culture",
    "volunteering": "frivillig volunteering",
    "parents_network": "forældre netværk parents",
    "womens_network": "kvinder netværk women",
    "other": "",
}
#: An interest matches an activity at this similarity or more. N-grams of short compound words are
#: noisy ("løbeklub" and "Fotoklub" 0.46, "fodbold" and "Håndbold" 0.38), and a match is a claim in
#: the reason text ("it matches your interest in …"), so the bar is high; a typo ("fodbol" 0.58)
#: still passes, and a pastime named by another word is the reviewed groups' job.
MATCH = 0.5
#: An interest of a reviewed group against an activity with a word of that group in its title (the
#: description counts 0.7 of it, as for n-grams): a match, added to the n-gram similarity.
GROUP_MATCH = 0.75
LANGUAGE_FRIENDLY_BONUS = 0.15
INTERESTS_FILE = "interests_da.json"
_ASSOCIATION = KINDS.index(OpportunityKind.ASSOCIATION_ACTIVITY)


@dataclass(frozen=True)
class AssociationIndex:
    positions: npt.NDArray[np.intp]
    titles: sp.csr_matrix  # title and activity type, one row per association
    descriptions: sp.csr_matrix
    language_friendly: npt.NDArray[np.bool_]


@dataclass(frozen=True)
class InterestGroups:
    """The reviewed groups: every word (normalised) and the groups it belongs to."""

    words: dict[str, tuple[int, ...]]
    size: int

    def of_interest(self, interest: str) -> set[int]:
        """The groups of an interest: of the whole text ("lave mad") or of any of its words."""
        key = normalise(interest)
        found = set(self.words.get(key, ()))
        for w in key.split():
            found.update(self.words.get(w, ()))
        return found

    def in_text(self, text: str) -> set[int]:
        """The groups with a word (or phrase) that is a whole word (or words) of the text."""
        padded = f" {normalise(text)} "
        return {g for w, gs in self.words.items() if f" {w} " in padded for g in gs}

    def rows(self, sets: Sequence[set[int]], value: float = 1.0) -> sp.csr_matrix:
        """One row per set, `value` in the columns of its groups."""
        indptr = np.zeros(len(sets) + 1, dtype=np.int64)
        np.cumsum([len(g) for g in sets], out=indptr[1:])
        idx = np.array([g for gs in sets for g in sorted(gs)], dtype=np.int32)
        return sp.csr_matrix((np.full(idx.size, value, dtype=np.float32), idx, indptr), shape=(len(sets), self.size))


@cache
def interest_groups() -> InterestGroups:
    raw = json.loads(resources.files("services.matcher.data").joinpath(INTERESTS_FILE).read_text("utf-8"))
    words: dict[str, tuple[int, ...]] = {}
    for g, group in enumerate(raw["groups"]):
        for w in dict.fromkeys(normalise(w) for w in group):
            words[w] = (*words.get(w, ()), g)
    return InterestGroups(words, len(raw["groups"]))


def encode_interests(encoder: TextEncoder, interests: Sequence[str]) -> sp.csr_matrix:
    """One row per interest: its n-grams, then its reviewed groups (`InterestGroups`)."""
    groups = interest_groups()
    return sp.hstack(
        [encoder.encode(list(interests)), groups.rows([groups.of_interest(t) for t in interests])], format="csr"
    )


def build_association_index(encoder: TextEncoder, ci: CatalogueIndex) -> AssociationIndex:
    pos = np.flatnonzero(ci.kind == _ASSOCIATION)
    opps: list[Opportunity] = [ci.opportunities[i] for i in pos]
    titles = [f"{o.title} {_ACTIVITY_WORDS[o.association.activity_type] if o.association else ''}" for o in opps]
    groups = interest_groups()
    title_groups = groups.rows([groups.in_text(o.title) for o in opps], GROUP_MATCH)
    description_groups = groups.rows([groups.in_text(o.description) for o in opps], GROUP_MATCH)
    return AssociationIndex(
        positions=pos,
        titles=sp.csr_matrix(sp.hstack([encoder.encode(titles), title_groups]).T),
        descriptions=sp.csr_matrix(sp.hstack([encoder.encode([o.description for o in opps]), description_groups]).T),
        language_friendly=np.array(
            [bool(o.association and o.association.language_friendly) for o in opps], dtype=np.bool_
        ),
    )


class InterestEncoder:
    """Encodes a citizen's interests (`encode_interests`), remembering recent lists (the same few recur a lot)."""

    def __init__(self, encoder: TextEncoder, cache_size: int = 10_000) -> None:
        self.encoder = encoder
        self._cache: OrderedDict[tuple[str, ...], sp.csr_matrix] = OrderedDict()
        self._size = cache_size

    def encode(self, interests: Sequence[str]) -> sp.csr_matrix:
        key = tuple(normalise(t) for t in interests)
        rows = self._cache.get(key)
        if rows is None:
            rows = encode_interests(self.encoder, interests)
            self._cache[key] = rows
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return rows


def interest_match(
    encoder: InterestEncoder, profile: CitizenProfile, ai: AssociationIndex
) -> tuple[npt.NDArray[np.float64], list[list[str]]]:
    """Best interest similarity per association, and which of the citizen's interests matched."""
    n = len(ai.positions)
    if not profile.interests or n == 0:
        return np.zeros(n), [[] for _ in range(n)]
    q = encoder.encode(profile.interests)
    sims = np.maximum((q @ ai.titles).toarray(), 0.7 * (q @ ai.descriptions).toarray())
    matched = [[profile.interests[i] for i in np.flatnonzero(sims[:, a] >= MATCH)] for a in range(n)]
    return sims.max(axis=0), matched
