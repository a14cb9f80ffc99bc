"""`rows_sum` is `matrix[rows].T @ weights`, bit for bit, for the shapes and types ranking uses."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from services.matcher.domain.sparse_rows import group_sums, rows_sum


@pytest.mark.parametrize(
    ("data", "weights"), [(np.float32, np.float32), (np.float32, np.float64), (np.float64, np.float32)]
)
def test_the_sum_of_a_few_rows_is_the_expressions_bit_for_bit(data: type, weights: type) -> None:
    rng = np.random.default_rng(5)
    matrix = sp.random(2000, 5000, density=0.01, format="csr", random_state=6, dtype=data)
    for size in (0, 1, 7, 40):
        rows = np.sort(rng.choice(2000, size=size, replace=False)).astype(np.int32)
        w = rng.random(size).astype(weights)
        expected = np.asarray(matrix[rows].T @ w).ravel()
        got = rows_sum(matrix, rows, w)
        assert got.dtype == expected.dtype
        assert got.shape == (5000,)
        assert np.array_equal(got, expected)  # the same sums, added in the same order


def test_a_row_listed_twice_counts_twice_and_an_empty_row_adds_nothing() -> None:
    matrix = sp.csr_matrix(np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 0.0], [0.5, 3.0, 0.0]], dtype=np.float32))
    got = rows_sum(matrix, np.array([0, 1, 0, 2], dtype=np.int32), np.array([1, 5, 2, 2], dtype=np.float32))
    assert got.tolist() == [4.0, 6.0, 6.0]


def test_each_group_sums_its_own_rows_bit_for_bit_empty_groups_to_zero() -> None:
    rng = np.random.default_rng(7)
    matrix = sp.random(3000, 4000, density=0.01, format="csr", random_state=8, dtype=np.float32)
    sizes = [3, 0, 40, 1, 0, 17]  # rows of each group; a text may reach no n-gram
    groups = np.cumsum([0, *sizes]).astype(np.int32)
    rows = rng.choice(3000, size=int(groups[-1])).astype(np.int32)
    weights = rng.random(rows.size).astype(np.float32)
    got = [total.copy() for total in group_sums(matrix, groups, rows, weights)]  # each is reused
    assert len(got) == len(sizes)
    for g, total in enumerate(got):
        lo, hi = groups[g], groups[g + 1]
        expected = np.asarray(matrix[rows[lo:hi]].T @ weights[lo:hi]).ravel()
        assert total.dtype == expected.dtype and np.array_equal(total, expected), g
    assert not got[1].any() and not got[4].any()


def test_with_the_locked_scipy_the_fast_loops_are_in_use() -> None:
    from services.matcher.domain import sparse_rows

    # The probe at import fell back to the public expression only if scipy's loops changed.
    assert sparse_rows.csc_matvec is not None and sparse_rows.csr_row_index is not None
