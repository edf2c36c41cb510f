"""The one decoder of ``pyspark.ml.linalg`` vector columns in Arrow batches.

Spark hands a ``VectorUDT`` column to Python as the struct ``<type: int8, size: int32, indices:
list<int32>, values: list<double>>``: ``type`` 1 is dense (``values`` holds every element),
0 sparse (``size`` elements, ``values[k]`` at ``indices[k]``). :func:`vector_entries` reads the
buffers of a whole batch at once, without a Python loop over rows, and applies the one rule of
what a valid vector of ``p`` features is (:func:`vector_wrong_size`, plus indices in ``[0, p)``
and strictly increasing, as MLlib's ``SparseVector`` requires). The statistics pass densifies
the entries, wide mode and scoring keep them sparse; both read them here.

numpy + pyarrow only: runs on the executors.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from lasso_spark.spark.arrow_values import is_valid, numbers

logger = logging.getLogger(__name__)

__all__ = ["MAX_ABS_VALUE", "VectorEntries", "unusable", "vector_entries", "vector_wrong_size"]


def vector_wrong_size(
    is_null: np.ndarray,
    vtype: np.ndarray,
    lens: np.ndarray,
    size: np.ndarray,
    ilens: np.ndarray,
    p: int,
) -> np.ndarray:
    """Rows of a VectorUDT struct array that are not a vector of size ``p``.

    ``vtype`` is the struct's type (1 dense, 0 sparse, −1 for null), ``lens`` the number of
    stored values, ``size`` the sparse size and ``ilens`` the number of sparse indices per row.
    A dense vector must store ``p`` values; a sparse one must have size ``p`` and one index per
    value.
    """
    is_dense = vtype == 1
    is_sparse = vtype == 0
    return ~is_null & (
        (is_dense & (lens != p))
        | (is_sparse & ((size != p) | (ilens != lens)))
        | ~(is_dense | is_sparse)
    )


#: largest usable magnitude: the square of a larger value overflows float64, so it is invalid
#: input, counted with null/NaN/inf (the statistics hold squares and products)
MAX_ABS_VALUE = float(np.sqrt(np.finfo(np.float64).max))


def unusable(values: np.ndarray) -> np.ndarray:
    """Mask of null (NaN here), NaN, ±inf and overflowing (``|x| > MAX_ABS_VALUE``) values."""
    return ~(np.abs(values) <= MAX_ABS_VALUE)


@dataclass
class VectorEntries:
    """Every stored entry of a batch's vectors: entry ``e`` is ``vals[e]`` at column
    ``cols[e]`` of row ``row[e]``; ``lens`` counts the entries per row. Rows that are null
    (``is_null``) or not a valid vector of ``p`` features (``wrong``: wrong size, an index out
    of range, unsorted or repeated indices) keep their entries here, with ``cols`` meaningless
    for wrong sparse rows: readers drop both kinds of rows."""

    lens: np.ndarray
    row: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    is_null: np.ndarray
    wrong: np.ndarray

    @property
    def bad(self) -> np.ndarray:
        return self.is_null | self.wrong

    def nonfinite_rows(self) -> np.ndarray:
        """Valid rows with a NaN, infinite or overflowing stored value."""
        out = np.zeros(self.lens.shape[0], dtype=bool)
        hit = unusable(self.vals)
        if hit.any():
            out[np.unique(self.row[hit])] = True
        return out & ~self.bad


def vector_entries(arr: pa.Array, p: int) -> VectorEntries:
    """Decode the VectorUDT struct array ``arr`` of a batch (module docstring)."""
    n = len(arr)
    is_null = ~is_valid(arr)
    vtype = numbers(arr.field("type"), np.int64, null=-1)
    values = arr.field("values")
    offs = numbers(values.offsets, np.int64)
    lens = np.diff(offs)
    vals = numbers(values.values)
    vals = vals[offs[0] : offs[-1]]
    row = np.repeat(np.arange(n), lens)
    pos_in_row = np.arange(vals.shape[0]) - np.repeat(offs[:-1] - offs[0], lens)
    if not is_null.any() and (vtype == 1).all():  # all dense: no index buffers to read
        wrong = lens != p
        return VectorEntries(lens, row, pos_in_row, vals, is_null, wrong)
    size = numbers(arr.field("size"), np.int64, null=-1)
    indices = arr.field("indices")
    ioffs = numbers(indices.offsets, np.int64)
    wrong = vector_wrong_size(is_null, vtype, lens, size, np.diff(ioffs), p)
    cols = pos_in_row.copy()
    sparse_entry = np.repeat((vtype == 0) & ~is_null & ~wrong, lens)
    if sparse_entry.any():
        flat_idx = numbers(indices.values, np.int64, null=-1)
        idx_pos = np.repeat(ioffs[:-1], lens)[sparse_entry] + pos_in_row[sparse_entry]
        cols[sparse_entry] = flat_idx[idx_pos]
        bad_entry = sparse_entry & ((cols < 0) | (cols >= p))
        # indices must increase strictly within a row (MLlib rejects unsorted or repeated ones)
        follows = np.zeros(cols.shape[0], dtype=bool)
        follows[1:] = sparse_entry[1:] & (row[1:] == row[:-1])
        follows[1:] &= cols[1:] <= cols[:-1]
        bad_entry |= follows
        if bad_entry.any():
            wrong[np.unique(row[bad_entry])] = True
    return VectorEntries(lens, row, cols, vals, is_null, wrong)
