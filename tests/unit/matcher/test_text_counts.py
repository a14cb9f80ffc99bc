"""The encoder's n-gram counts are HashingVectorizer's, bit for bit, without its per-call checks."""

from __future__ import annotations

import scipy.sparse as sp

from services.matcher.domain import text
from services.matcher.domain.ranking import Ranker


def test_the_counts_are_hashing_vectorizers_for_danish_english_misspelt_and_empty_texts(ranker: Ranker) -> None:
    encoder = ranker.linker.encoder
    texts = [
        "kørsel med truck",
        "Rengøringsassistent (deltid)",
        "i worked with sheeps",
        "lagererfaring, pluk og pak",
        "",
        "aa aa aa aa",  # the same n-grams several times in one text
        "ÆØÅ æøå – Straße",
        "a ab abc  abcd\tkørsel",  # words shorter than an n-gram; any white space between words
        "kørsel med truck",  # the same words again: their n-grams are remembered
    ]
    expected = sp.csr_matrix(text._HASHER.transform([encoder.analyser(t) for t in texts]))
    got = encoder.counts(texts)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    assert (got != expected).nnz == 0
    assert got.has_sorted_indices


def test_with_the_locked_scikit_learn_the_fast_loop_is_in_use() -> None:
    # The probe at import fell back to HashingVectorizer only if scikit-learn's loop changed.
    assert text._hash_ngrams is not None
