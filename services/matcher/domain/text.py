"""Character n-gram TF-IDF over short texts: robust to typos, inflections and Danish compounds."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.preprocessing import normalize

_NON_WORD = re.compile(r"[^\w]+")
#: Filler words in how people describe their work ("i worked with sheeps", "jeg har arbejdet med").
_FILLER = frozenset(
    {
        "i",
        "a",
        "an",
        "the",
        "and",
        "of",
        "with",
        "as",
        "at",
        "in",
        "on",
        "for",
        "to",
        "my",
        "have",
        "has",
        "had",
        "worked",
        "working",
        "years",
        "year",
        "experience",
        "jeg",
        "har",
        "haft",
        "arbejdet",
        "arbejde",
        "arbejdede",
        "med",
        "som",
        "og",
        "på",
        "til",
        "en",
        "et",
        "af",
        "år",
        "års",
        "erfaring",
        "inden",
    }
)
N_FEATURES = 2**20


def normalise(text: str) -> str:
    """Lower case, NFKC, punctuation to spaces, filler words out; keeps æ, ø and å."""
    text = unicodedata.normalize("NFKC", text).casefold()
    words = _NON_WORD.sub(" ", text).replace("_", " ").split()
    kept = [w for w in words if w not in _FILLER]
    return " ".join(kept or words)


class TextEncoder:
    """Hashed character n-grams (2–4, within words) weighted by an IDF fitted on ESCO labels.

    Hashing keeps the fitted state to one IDF vector, so the on-disk cache stays small and the
    encoder needs no vocabulary.
    """

    def __init__(self, idf: npt.NDArray[np.float32]) -> None:
        self.idf = idf
        self._hasher = _hasher()

    @classmethod
    def fit(cls, texts: Sequence[str], max_df: float = 1.0) -> tuple[TextEncoder, sp.csr_matrix]:
        """Fit the IDF on `texts`; return the encoder and the texts' encoded rows.

        N-grams in more than `max_df` of the texts get weight 0: they say little, and dropping them
        keeps every similarity product sparse (several times faster linking).
        """
        counts = _hasher().transform([normalise(t) for t in texts])
        counts.data = np.log1p(counts.data)  # sublinear term frequency
        df = np.bincount(counts.indices, minlength=N_FEATURES).astype(np.float64)
        idf = (np.log((1 + len(texts)) / (1 + df)) + 1).astype(np.float32)
        idf[df > max_df * len(texts)] = 0.0
        encoder = cls(idf)
        return encoder, encoder._weigh(counts)

    def encode(self, texts: Sequence[str]) -> sp.csr_matrix:
        if not texts:
            return sp.csr_matrix((0, N_FEATURES), dtype=np.float32)
        counts = self._hasher.transform([normalise(t) for t in texts])
        counts.data = np.log1p(counts.data)
        return self._weigh(counts)

    def _weigh(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        weighted = sp.csr_matrix(counts.multiply(self.idf[None, :]), dtype=np.float32)
        weighted.eliminate_zeros()
        return sp.csr_matrix(normalize(weighted, norm="l2", copy=False))


def _hasher() -> HashingVectorizer:
    return HashingVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 4),
        n_features=N_FEATURES,
        alternate_sign=False,
        norm=None,
        dtype=np.float32,
        lowercase=False,
    )
