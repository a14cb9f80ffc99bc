"""Associations, a list of their own: by interests, place, schedule and language-friendliness.

Interests and activities are matched with the same character n-grams as the ESCO linking, so
"fodbold" finds "Fodboldhold for alle" and typos still match.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

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
MATCH = 0.3
LANGUAGE_FRIENDLY_BONUS = 0.15
_ASSOCIATION = KINDS.index(OpportunityKind.ASSOCIATION_ACTIVITY)


@dataclass(frozen=True)
class AssociationIndex:
    positions: npt.NDArray[np.intp]
    titles: sp.csr_matrix  # title and activity type, one row per association
    descriptions: sp.csr_matrix
    language_friendly: npt.NDArray[np.bool_]


def build_association_index(encoder: TextEncoder, ci: CatalogueIndex) -> AssociationIndex:
    pos = np.flatnonzero(ci.kind == _ASSOCIATION)
    opps: list[Opportunity] = [ci.opportunities[i] for i in pos]
    titles = [f"{o.title} {_ACTIVITY_WORDS[o.association.activity_type] if o.association else ''}" for o in opps]
    return AssociationIndex(
        positions=pos,
        titles=sp.csr_matrix(encoder.encode(titles).T),
        descriptions=sp.csr_matrix(encoder.encode([o.description for o in opps]).T),
        language_friendly=np.array(
            [bool(o.association and o.association.language_friendly) for o in opps], dtype=np.bool_
        ),
    )


class InterestEncoder:
    """Encodes a citizen's interests, remembering recent lists (the same few recur a lot)."""

    def __init__(self, encoder: TextEncoder, cache_size: int = 10_000) -> None:
        self.encoder = encoder
        self._cache: OrderedDict[tuple[str, ...], sp.csr_matrix] = OrderedDict()
        self._size = cache_size

    def encode(self, interests: Sequence[str]) -> sp.csr_matrix:
        key = tuple(normalise(t) for t in interests)
        rows = self._cache.get(key)
        if rows is None:
            rows = self.encoder.encode(list(interests))
            self._cache[key] = rows
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return rows


def interest_match(
    encoder: TextEncoder | InterestEncoder, profile: CitizenProfile, ai: AssociationIndex
) -> tuple[npt.NDArray[np.float64], list[list[str]]]:
    """Best interest similarity per association, and which of the citizen's interests matched."""
    n = len(ai.positions)
    if not profile.interests or n == 0:
        return np.zeros(n), [[] for _ in range(n)]
    q = encoder.encode(profile.interests)
    sims = np.maximum((q @ ai.titles).toarray(), 0.7 * (q @ ai.descriptions).toarray())
    matched = [[profile.interests[i] for i in np.flatnonzero(sims[:, a] >= MATCH)] for a in range(n)]
    return sims.max(axis=0), matched
