"""A weighted sum of a few rows of a large sparse matrix, dense: the hot product of ranking.

Linking a text sums the label postings of its ~30 n-grams; ranking a citizen sums the catalogue
rows of their ~20 features. Written as `matrix[rows].T @ weights`, scipy runs two C loops (copy
the rows out, then a column-wise mat-vec) behind a Python layer whose checks cost more than the
arithmetic for rows this few. `rows_sum` calls the same two loops directly, so its sums are the
same, bit for bit, added in the same order (a test holds it to the expression). `group_sums` does
the same for several groups of rows (a citizen's texts) with one copy and one output vector.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

try:
    from scipy.sparse._sparsetools import csc_matvec, csr_row_index
except ImportError:  # pragma: no cover - a scipy that moved them: the public expression instead
    csc_matvec = csr_row_index = None


def rows_sum(
    matrix: sp.csr_matrix, rows: npt.NDArray[np.integer], weights: npt.NDArray[np.floating]
) -> npt.NDArray[np.floating]:
    """`matrix[rows].T @ weights` as a dense vector of `matrix.shape[1]` values."""
    # One group: the generator is never resumed, so the vector it yields stays the caller's.
    return next(group_sums(matrix, np.array([0, len(rows)]), rows, weights))


def group_sums(
    matrix: sp.csr_matrix,
    groups: npt.NDArray[np.integer],
    rows: npt.NDArray[np.integer],
    weights: npt.NDArray[np.floating],
) -> Iterator[npt.NDArray[np.floating]]:
    """`rows_sum` of each group of rows, `rows[groups[g]:groups[g + 1]]` (likewise `weights`).

    The rows of every group are copied out at once, and each sum is made in one reused vector,
    still in cache when the caller reads it (a fresh vector per sum costs more than the sum).
    So each yielded vector is valid only until the next is asked for: read it, or copy it.
    """
    dtype = np.result_type(matrix.dtype, weights.dtype)
    starts = np.asarray(groups).tolist()
    if csc_matvec is None or csr_row_index is None:  # pragma: no cover
        for lo, hi in itertools.pairwise(starts):
            yield np.asarray(matrix[rows[lo:hi]].T @ weights[lo:hi], dtype=dtype).ravel()
        return
    ptr, columns, values = _copy_rows(matrix, rows, dtype)
    weights = np.asarray(weights, dtype=dtype)
    out = np.zeros(matrix.shape[1], dtype=dtype)
    for lo, hi in itertools.pairwise(starts):
        if lo < hi:  # ptr[lo:hi + 1] holds absolute offsets into the copied rows: no re-basing
            csc_matvec(matrix.shape[1], hi - lo, ptr[lo : hi + 1], columns, values, weights[lo:hi], out)
        yield out
        if lo < hi:
            out.fill(0)


def _copy_rows(
    matrix: sp.csr_matrix, rows: npt.NDArray[np.integer], dtype: np.dtype[Any]
) -> tuple[npt.NDArray[np.integer], npt.NDArray[np.integer], npt.NDArray[np.floating]]:
    """The rows' postings one after the other (`csr_row_index`), with their start offsets."""
    index = matrix.indptr.dtype
    rows = np.asarray(rows, dtype=index)
    starts = matrix.indptr[rows]
    ptr = np.zeros(rows.size + 1, dtype=index)
    np.cumsum(matrix.indptr[rows + 1] - starts, out=ptr[1:])
    columns = np.empty(int(ptr[-1]), dtype=matrix.indices.dtype)
    values = np.empty(int(ptr[-1]), dtype=matrix.data.dtype)
    csr_row_index(rows.size, rows, matrix.indptr, matrix.indices, matrix.data, columns, values)
    return ptr, columns, values.astype(dtype, copy=False)


def _probe() -> None:
    """Fall back to the public expression if scipy's loops no longer take these arguments."""
    global csc_matvec, csr_row_index
    if csc_matvec is None:  # pragma: no cover
        return
    matrix = sp.csr_matrix(np.array([[1.0, 0.0], [2.0, 3.0]], dtype=np.float32))
    rows, weights = np.array([1, 0], dtype=np.int32), np.array([1.0, 2.0], dtype=np.float32)
    try:
        ok = np.array_equal(rows_sum(matrix, rows, weights), np.asarray(matrix[rows].T @ weights).ravel())
    except (TypeError, ValueError):  # pragma: no cover
        ok = False
    if not ok:  # pragma: no cover
        csc_matvec = csr_row_index = None


_probe()
