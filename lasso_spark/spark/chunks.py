"""Arrow record batches → compressed sparse row (CSR) chunks, without densifying rows.

Reads the projection built by :func:`lasso_spark.spark.inputs.resolve_input` (layout
:class:`lasso_spark.spark.batch.BatchLayout`): the numeric features packed with the label into one
``array<double>`` column, or one ``VectorUDT`` column (Arrow form ``<type, size, indices:
list<int32>, values: list<double>>``) and the label; then the optional weight and the optional fold
column. Without a fold column, fold ids are hashed from the row's stored entries
(:func:`lasso_spark.spark.fold_hash.fold_ids_csr`), the same folds the Gram-mode pass computes. A
chunk keeps only the valid rows; invalid rows are counted per ``(column, kind)`` exactly as the
Gram-mode pass counts them, so every wide pass drops the same rows. Sparse vectors are read straight
from their ``indices``/``values`` buffers; dense vectors and numeric columns keep their non-zero
entries.

numpy + pyarrow only: runs on the executors and is unit-tested without a JVM.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from lasso_spark.spark.arrow_values import numbers
from lasso_spark.spark.batch import (
    KIND_NONFINITE,
    KIND_SIZE,
    N_HEAD_COUNTERS,
    BatchLayout,
    read_head,
)
from lasso_spark.spark.fold_hash import fold_ids, fold_ids_csr
from lasso_spark.spark.vectors import unusable, vector_entries

logger = logging.getLogger(__name__)

__all__ = ["Chunk", "ChunkReader", "MAX_CHUNK_ENTRIES"]

#: Stored entries per chunk: bounds executor memory whatever the row width.
MAX_CHUNK_ENTRIES = 2_000_000


@dataclass
class Chunk:
    """Valid rows of a batch slice in CSR form: row ``i``'s entries are
    ``cols[indptr[i]:indptr[i+1]]`` / ``vals[...]``; ``fold`` is 0 without folds; ``rows`` are
    the positions of the valid rows in the slice. A reader made with ``dense=True`` gives
    numeric-column input as the dense ``X`` (valid rows × p) instead, and empty CSR arrays."""

    indptr: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    y: np.ndarray
    w: np.ndarray
    fold: np.ndarray
    rows: np.ndarray
    X: np.ndarray | None = None

    @property
    def n_rows(self) -> int:
        return int(self.y.shape[0])


def _floats(arr: pa.Array) -> np.ndarray:
    return numbers(arr)


class ChunkReader:
    """Turns batches into valid-row CSR chunks and keeps the invalid-row counters.

    ``dense=True`` keeps numeric-column input dense (``Chunk.X``), for readers that densify
    anyway (scoring); vector input is always read as CSR.
    """

    def __init__(self, layout: BatchLayout, dense: bool = False) -> None:
        self.layout = layout
        self.dense = dense and not layout.vector
        self.counts = np.zeros(layout.n_counters, dtype=np.int64)
        self._slot = {key: N_HEAD_COUNTERS + i for i, key in enumerate(layout.counter_keys)}

    def _count(self, column: str, kind: str, mask: np.ndarray) -> None:
        self.counts[self._slot[(column, kind)]] += int(np.count_nonzero(mask))

    def chunks(self, batches: Iterator[pa.RecordBatch]) -> Iterator[Chunk]:
        lay = self.layout
        for batch in batches:
            n = batch.num_rows
            if n == 0:
                continue
            if lay.vector:
                vals = batch.column(0).field("values")
                entries = len(vals.values) if len(vals) else 0
            else:
                entries = n * lay.n_features
            step = max(1, int(n * MAX_CHUNK_ENTRIES // max(entries, 1)))
            for start in range(0, n, step):
                chunk = self.read(batch.slice(start, step))
                if chunk is not None and chunk.n_rows:
                    yield chunk

    # ------------------------------------------------------------------ one slice
    def read(self, batch: pa.RecordBatch) -> Chunk:
        """One batch (or slice) → its valid rows as CSR; invalid rows are counted."""
        lay = self.layout
        n = batch.num_rows
        p = lay.n_features
        self.counts[0] += n
        head = read_head(batch, lay, self._count)
        src, y, bad = head.src, head.y, head.bad
        w = np.ones(n) if head.w is None else head.w
        fold = np.zeros(n, dtype=np.int64)
        if head.fold is not None:
            fold = head.fold
            bad |= head.out_of_range
        if self.dense:
            X = src[:, :p]
            bad |= self._nonfinite_rows(X)
            rows = np.arange(n)
            if bad.any():
                rows = np.flatnonzero(~bad)
                self.counts[1] += n - rows.size
                X, y, w, fold = X[rows], y[rows], w[rows], fold[rows]
            if lay.hash_folds:
                weight = w if lay.weight_column is not None else None
                fold = fold_ids(np.column_stack([X, y]), lay.num_folds, lay.seed, weight)
            empty = np.zeros(0, dtype=np.int64)
            return Chunk(empty, empty, np.zeros(0), y, w, fold, rows, X)
        if lay.vector:
            lens, cols, vals, feat_bad = self._vector_entries(batch.column(0))
        else:
            lens, cols, vals, feat_bad = self._column_entries(src[:, :p])
        bad |= feat_bad
        rows = np.arange(n)
        if bad.any():
            rows = np.flatnonzero(~bad)
            self.counts[1] += int(np.count_nonzero(bad))
            keep_entry = np.repeat(~bad, lens)
            cols, vals, lens = cols[keep_entry], vals[keep_entry], lens[~bad]
            y, w, fold = y[~bad], w[~bad], fold[~bad]
        indptr = np.zeros(lens.shape[0] + 1, dtype=np.int64)
        np.cumsum(lens, out=indptr[1:])
        cols = cols.astype(np.int64, copy=False)
        if lay.hash_folds:  # the same fold as the Gram-mode pass gives the dense row
            weight = w if lay.weight_column is not None else None
            fold = fold_ids_csr(indptr, cols, vals, y, p, lay.num_folds, lay.seed, weight)
        return Chunk(indptr, cols, vals, y, w, fold, rows)

    def _nonfinite_rows(self, X: np.ndarray) -> np.ndarray:
        """Rows of ``X`` with a null/NaN/inf feature, counted per feature column."""
        nonfinite = unusable(X)
        if not nonfinite.any():
            return np.zeros(X.shape[0], dtype=bool)
        per_col = np.count_nonzero(nonfinite, axis=0)
        for j, name in enumerate(self.layout.feature_columns):
            self.counts[self._slot[(name, KIND_NONFINITE)]] += int(per_col[j])
        return nonfinite.any(axis=1)

    def _column_entries(
        self, X: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Non-zero entries of the numeric features ``X`` (``n × p``, not modified)."""
        n = X.shape[0]
        bad = self._nonfinite_rows(X)
        if bad.any():
            X = np.where(unusable(X), 0.0, X)
        rows, cols = np.nonzero(X)
        lens = np.bincount(rows, minlength=n).astype(np.int64)
        return lens, cols.astype(np.int64), X[rows, cols], bad

    def _vector_entries(
        self, arr: pa.Array
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Entries of a VectorUDT struct array (:func:`~lasso_spark.spark.vectors.vector_entries`):
        per-row lengths, columns, values (explicit zeros dropped), bad rows."""
        n = len(arr)
        name = self.layout.feature_columns[0]
        e = vector_entries(arr, self.layout.n_features)
        nonfinite = e.is_null | e.nonfinite_rows()
        self._count(name, KIND_NONFINITE, nonfinite)
        self._count(name, KIND_SIZE, e.wrong)
        # explicit zeros carry nothing; dropping them keeps dense rows sparse where they are
        lens, cols, vals = e.lens, e.cols, e.vals
        keep = vals != 0.0
        if not keep.all():
            lens = np.bincount(e.row[keep], minlength=n).astype(np.int64)
            cols, vals = cols[keep], vals[keep]
        return lens, cols, vals, nonfinite | e.wrong
