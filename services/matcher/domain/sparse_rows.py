"""A weighted sum of a few rows of a large sparse matrix, dense: the hot product of ranking.

Linking a text sums the label postings of its ~30 n-grams; ranking a citizen sums the catalogue
rows of their ~20 features. Written as `matrix[rows].T @ weights`, scipy runs two C loops (copy
the rows out, then a column-wise mat-vec) behind a Python layer whose checks cost more than the
arithmetic for rows this few. `rows_sum` calls the same two loops directly, so its sums are the
same, bit for bit, added in the same order (a test holds it to the expression).
"""

from __future__ import annotations

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
    dtype = np.result_type(matrix.dtype, weights.dtype)
    if csc_matvec is None or csr_row_index is None:  # pragma: no cover
        return np.asarray(matrix[rows].T @ weights, dtype=dtype).ravel()
    index = matrix.indptr.dtype
    rows = np.asarray(rows, dtype=index)
    starts = matrix.indptr[rows]
    ptr = np.zeros(rows.size + 1, dtype=index)
    np.cumsum(matrix.indptr[rows + 1] - starts, out=ptr[1:])
    columns = np.empty(int(ptr[-1]), dtype=matrix.indices.dtype)
    values = np.empty(int(ptr[-1]), dtype=matrix.data.dtype)
    csr_row_index(rows.size, rows, matrix.indptr, matrix.indices, matrix.data, columns, values)
    out = np.zeros(matrix.shape[1], dtype=dtype)
    csc_matvec(
        matrix.shape[1], rows.size, ptr, columns, values.astype(dtype, copy=False),
        np.asarray(weights, dtype=dtype), out,
    )
    return out


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
