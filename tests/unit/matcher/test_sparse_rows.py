"""`rows_sum` is `matrix[rows].T @ weights`, bit for bit, for the shapes and types ranking uses."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from services.matcher.domain.sparse_rows import rows_sum


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


def test_with_the_locked_scipy_the_fast_loops_are_in_use() -> None:
    from services.matcher.domain import sparse_rows

    # The probe at import fell back to the public expression only if scipy's loops changed.
    assert sparse_rows.csc_matvec is not None and sparse_rows.csr_row_index is not None
