"""Executor side of the one-pass statistics: Arrow record batches → per-fold :class:`SuffStats`.

This module runs inside ``mapInArrow`` on the executors; it needs numpy and pyarrow only (no
pyspark), so it is unit-tested without a JVM.

Input batches carry the projected columns in a fixed order (see :class:`BatchLayout`): for
numeric inputs either the features and the label packed into one ``array<double>`` column
``[x_0, …, x_{p-1}, y]`` (``BatchLayout.packed``: its values buffer is the row-major matrix
``[X | y]`` as it is; Spark converts one list column faster than ``p + 1`` double columns while
``p`` is small) or, above :data:`PACKED_MAX_FEATURES` features, the same values
as the ``p + 1`` double fields of one struct column (read as one Fortran-ordered matrix by
``RecordBatch.to_tensor``: for wide rows Spark's list writer costs more than the column
writers; one struct column rather than ``p + 1`` top-level columns because pyspark's
``mapInArrow`` resolves every top-level column by a py4j call, minutes at p = 4000); for
vectors one ``VectorUDT`` column whose Arrow form is the struct ``<type: int8, size: int32,
indices: list<int32>, values: list<double>>`` followed by the float64 label; then the
optional float64 weight and the optional integer fold column.
Without a fold column, fold ids are a hash of each row's values computed here
(:mod:`lasso_spark.spark.fold_hash`). Per chunk of rows the kernel holds one float64 matrix
``Z = [X | y]`` (the Arrow values as they are when they are a writeable matrix, else ONE copy:
the rows gathered in cell order so that each cell's rows are contiguous), checks each cell's
block (its column sums' finiteness doubles as the NaN/inf test) and hands it to that cell's
:class:`~lasso_spark.spark.moments.RunningMoments`: centering in place and one BLAS ``syrk``
into the running co-moment per block, Chan's merge term included (see that module), so
``Cxx``, ``cxy`` and ``cyy`` are the blocks of one ``(p+1) × (p+1)`` matrix. A partition emits
one record per non-empty fold plus one record (``fold = -1``) with its counters. With
stability-selection buckets (``BatchLayout.num_buckets``) the records are per *cell* (bucket,
or fold × bucket) and the driver merges cells into folds and buckets.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from lasso_spark.core.stats import SuffStats
from lasso_spark.spark.arrow_values import binary_array, int_array, numbers
from lasso_spark.spark.fold_hash import fold_ids
from lasso_spark.spark.moments import RunningMoments
from lasso_spark.spark.vectors import MAX_ABS_VALUE, unusable, vector_entries

logger = logging.getLogger(__name__)

__all__ = [
    "BatchHead",
    "BatchLayout",
    "packed_rows",
    "read_head",
    "PartitionAccumulator",
    "OUTPUT_DDL",
    "partition_stats",
    "KIND_NONFINITE",
    "KIND_NEGATIVE",
    "KIND_SIZE",
    "KIND_RANGE",
    "KIND_BINARY",
    "KIND_CLASS",
    "OUTPUT_SCHEMA",
    "COLUMNS_MAX_FEATURES",
    "PACKED_MAX_FEATURES",
    "column_matrix",
    "packed_projection",
    "current_rss_bytes",
]

KIND_NONFINITE = "nonfinite"  # null, NaN or ±inf
KIND_NEGATIVE = "negative"  # negative weight
KIND_SIZE = "size"  # vector of the wrong size (or a malformed sparse vector)
KIND_RANGE = "range"  # fold id null or outside [0, K)
KIND_BINARY = "binary"  # a finite label other than 0 or 1 (classifiers: BatchLayout.binary_label)
KIND_CLASS = "class"  # a finite label not an integer in [0, C) (BatchLayout.class_labels)

#: Schema of the records a partition emits (Spark DDL).
OUTPUT_DDL = "fold INT, stats BINARY, counts BINARY, peak_rss_bytes BIGINT"

#: Counter slots before the per-(column, kind) invalid counts.
N_HEAD_COUNTERS = 2  # rows read, rows skipped

#: Numeric inputs of at most this many features travel packed in one ``array<double>`` column,
#: wider ones (up to :data:`COLUMNS_MAX_FEATURES`) as one struct of ``p + 1`` double fields.
#: On Spark 4.0 the packed column won at every width measured, so the struct's range is empty
#: by default: scan floors at p = 500 (Spark-written files, 0.95 s vs 1.26 s), 1500
#: (pyarrow-written, 1.9–3.1 s vs 3.5–5.9 s) and 4000 (7.23 s vs 12.63 s); LassoCV's pass
#: 1.60 → 1.00 s (p = 500), 7.41 → 5.85 s (1500) and 42.2 → 31.0 s (4000, 16,000 rows)
#: (benchmarks/README.md, 2026-12-06). 200 was the crossover on an earlier Spark; the struct
#: layout stays, tested (tests/spark/test_stats_wide.py lowers this constant), for a Spark
#: where it measures faster again.
PACKED_MAX_FEATURES = 4096
#: the widest rows the struct would carry; beyond, the packed column always
COLUMNS_MAX_FEATURES = 4096


def packed_projection(n_features: int) -> bool:
    """Whether ``n_features`` numeric features travel packed with the label in one
    ``array<double>`` column (else as one struct of ``p + 1`` double fields):
    :class:`BatchLayout.packed`."""
    return not PACKED_MAX_FEATURES < n_features <= COLUMNS_MAX_FEATURES



OUTPUT_SCHEMA = pa.schema(
    [
        ("fold", pa.int32()),
        ("stats", pa.binary()),
        ("counts", pa.binary()),
        ("peak_rss_bytes", pa.int64()),
    ]
)


@dataclass(frozen=True)
class BatchLayout:
    """What the columns of an input batch are (positions are fixed by this layout).

    ``feature_columns`` are the user's column names: the ``p`` numeric columns (read from the
    packed ``[x…, y]`` array column, or with ``packed=False`` from the struct column of
    ``p + 1`` double fields ``x…, y``), or the one vector column when ``vector`` is true.
    ``fold_column`` is the user's fold column, or ``None`` when fold ids are hashed from the
    row's values with ``seed`` (they can then never be invalid) or when there are no folds.
    ``chunk_rows`` bounds the rows densified at once, so executor memory is
    ``O(chunk_rows · p + cells · p²)`` whatever the number of rows.

    ``num_buckets = B > 0`` also hashes every row into one of ``B`` buckets (stability
    selection): the fold hash of the row's values with ``seed`` taken modulo ``B``. A partition
    then accumulates one statistics per *cell* (:meth:`cell_ids`): with hashed folds (``K``
    dividing ``B``) the cell is the bucket and fold ``k`` is the union of the buckets
    ``b ≡ k (mod K)`` — the very folds of a pass without buckets, since ``h mod K =
    (h mod B) mod K``; with a fold column the cell is ``fold · B + bucket``.
    ``binary_label`` (classifiers) makes a finite label other than 0 or 1 an invalid row of
    its own kind; ``class_labels = C > 0`` (multinomial) one that is not an integer in
    ``[0, C)``.
    """

    n_features: int
    feature_columns: tuple[str, ...]
    label_column: str
    vector: bool = False
    weight_column: str | None = None
    num_folds: int = 0
    fold_column: str | None = None
    chunk_rows: int = 8192
    seed: int = 0
    binary_label: bool = False
    class_labels: int = 0
    num_buckets: int = 0
    packed: bool = True

    def __post_init__(self) -> None:
        if self.num_buckets and self.hash_folds and self.num_buckets % self.num_folds:
            raise ValueError(
                f"num_buckets ({self.num_buckets}) must be a multiple of num_folds "
                f"({self.num_folds}) so that each hashed fold is a union of buckets"
            )

    @property
    def n_stats(self) -> int:
        """Number of statistics (cells) a partition accumulates: ``K`` (1 without folds), or
        with buckets ``B`` (hashed or no folds) or ``K · B`` (a fold column)."""
        if self.num_buckets:
            return self.num_buckets * (self.num_folds if self.fold_column is not None else 1)
        return max(self.num_folds, 1)

    @property
    def hash_folds(self) -> bool:
        """Fold ids are computed from the rows' values (no fold column)."""
        return self.num_folds > 0 and self.fold_column is None

    def fold_cells(self, k: int) -> list[int]:
        """The cells whose union is fold ``k``."""
        B = self.num_buckets
        if not B:
            return [k]
        if self.fold_column is not None:
            return list(range(k * B, (k + 1) * B))
        return list(range(k, B, self.num_folds))

    def bucket_cells(self, b: int) -> list[int]:
        """The cells whose union is bucket ``b`` (requires ``num_buckets > 0``)."""
        if self.fold_column is not None:
            return [k * self.num_buckets + b for k in range(self.num_folds)]
        return [b]

    @property
    def head_width(self) -> int:
        """Columns of a batch holding the features and the label."""
        if self.vector:
            return 2
        return 1

    @property
    def weight_pos(self) -> int | None:
        return self.head_width if self.weight_column is not None else None

    @property
    def fold_pos(self) -> int | None:
        if self.fold_column is None:
            return None
        return self.head_width + (self.weight_column is not None)

    @property
    def counter_keys(self) -> list[tuple[str, str]]:
        """``(column, kind)`` of each invalid-row counter, in counter order."""
        keys = [(c, KIND_NONFINITE) for c in self.feature_columns]
        if self.vector:
            keys.append((self.feature_columns[0], KIND_SIZE))
        keys.append((self.label_column, KIND_NONFINITE))
        if self.binary_label:
            keys.append((self.label_column, KIND_BINARY))
        if self.class_labels:
            keys.append((self.label_column, KIND_CLASS))
        if self.weight_column is not None:
            keys += [(self.weight_column, KIND_NONFINITE), (self.weight_column, KIND_NEGATIVE)]
        if self.fold_column is not None:
            keys.append((self.fold_column, KIND_RANGE))
        return keys

    @property
    def n_counters(self) -> int:
        return N_HEAD_COUNTERS + len(self.counter_keys)


def current_rss_bytes() -> int:
    """Resident set size of this process now (Linux ``/proc``; 0 where unavailable)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _float_column(arr: pa.Array) -> np.ndarray:
    """A float64 Arrow array as numpy; nulls become NaN (zero-copy when there are none)."""
    return numbers(arr)


def packed_rows(arr: pa.Array, width: int) -> np.ndarray:
    """The ``(n, width)`` row-major matrix of an Arrow list column of ``width`` doubles per row
    (as ``F.array`` builds it); null elements become NaN. Read-only when zero-copy."""
    n = len(arr)
    flat = _float_column(arr.flatten())
    if flat.shape[0] != n * width:
        raise ValueError(f"packed column holds {flat.shape[0]} values for {n} rows of {width}")
    return flat.reshape(n, width)


def column_matrix(arr: pa.Array, width: int) -> np.ndarray:
    """The ``(n, width)`` matrix of a struct column of ``width`` float64 fields, in Fortran
    order (each field contiguous; one copy, made by Arrow); nulls become NaN."""
    fields = arr.flatten()
    if len(fields) != width:
        raise ValueError(f"struct column holds {len(fields)} fields, not {width}")
    if len(arr) == 0:
        return np.zeros((0, width), order="F")
    head = pa.RecordBatch.from_arrays(fields, names=[f"f{i}" for i in range(width)])
    return np.asarray(head.to_tensor(null_to_nan=True, row_major=False))


@dataclass
class BatchHead:
    """The columns of a batch other than the features, checked.

    ``src`` is the ``[X | y]`` matrix of numeric input (``None`` for a vector column): a
    read-only row-major view of the packed column's values, or a writeable Fortran-ordered
    copy of the struct's ``p + 1`` fields (``BatchLayout.packed`` false);
    ``y`` the label, ``w`` the weights (``None`` without a weight column) and ``bad`` the rows
    whose label or weight is invalid. ``fold`` holds the user's fold ids (``None`` without a
    fold column; null → −1) and ``out_of_range`` the rows whose fold id is outside ``[0, K)``.
    """

    src: np.ndarray | None
    y: np.ndarray
    w: np.ndarray | None
    bad: np.ndarray
    fold: np.ndarray | None
    out_of_range: np.ndarray | None


def read_head(
    batch: pa.RecordBatch, layout: BatchLayout, count: Callable[[str, str, np.ndarray], None]
) -> BatchHead:
    """Label, weight and fold column of a batch, with their invalid rows passed to ``count``
    per ``(column, kind)``: the one reading for the statistics pass, wide mode and scoring."""
    n = batch.num_rows
    p = layout.n_features
    src = None
    if layout.vector:
        y = _float_column(batch.column(1))
    elif layout.packed:
        src = packed_rows(batch.column(0), p + 1)  # [X | y], read-only when zero-copy
        y = src[:, p]
    else:
        src = column_matrix(batch.column(0), p + 1)  # [X | y], Fortran order, writeable
        y = src[:, p]
    bad = unusable(y)
    count(layout.label_column, KIND_NONFINITE, bad)
    if layout.binary_label:
        not_binary = ~bad & (y != 0.0) & (y != 1.0)
        count(layout.label_column, KIND_BINARY, not_binary)
        bad |= not_binary
    if layout.class_labels:
        with np.errstate(invalid="ignore"):
            not_class = ~bad & ((y != np.floor(y)) | (y < 0.0) | (y >= layout.class_labels))
        count(layout.label_column, KIND_CLASS, not_class)
        bad |= not_class
    w = None
    if layout.weight_pos is not None:
        w = _float_column(batch.column(layout.weight_pos))
        nonfinite = unusable(w)
        negative = np.less(w, 0.0, where=~nonfinite, out=np.zeros(n, dtype=bool))
        count(layout.weight_column, KIND_NONFINITE, nonfinite)
        count(layout.weight_column, KIND_NEGATIVE, negative)
        bad |= nonfinite | negative
    fold = out_of_range = None
    if layout.fold_pos is not None:
        fold = numbers(batch.column(layout.fold_pos), np.int64, null=-1)
        out_of_range = (fold < 0) | (fold >= layout.num_folds)
        count(layout.fold_column, KIND_RANGE, out_of_range)
    return BatchHead(src, y, w, bad, fold, out_of_range)


class PartitionAccumulator:
    """Running per-cell statistics (folds, buckets: :class:`BatchLayout`) and invalid-row
    counters of one partition."""

    def __init__(self, layout: BatchLayout) -> None:
        self.layout = layout
        p = layout.n_features
        self.cells = [RunningMoments(p + 1) for _ in range(layout.n_stats)]
        self.counts = np.zeros(layout.n_counters, dtype=np.int64)
        self.peak_rss_bytes = current_rss_bytes()
        keys = layout.counter_keys
        self._slot = {key: N_HEAD_COUNTERS + i for i, key in enumerate(keys)}

    # ------------------------------------------------------------------ public
    @property
    def stats(self) -> list[SuffStats]:
        """The statistics of every cell so far."""
        return [c.suff_stats() for c in self.cells]

    def add_batch(self, batch: pa.RecordBatch) -> None:
        """Fold one Arrow record batch into the running statistics."""
        step = max(1, int(self.layout.chunk_rows))
        for start in range(0, batch.num_rows, step):
            self._add_chunk(batch.slice(start, step))

    def records(self, release: bool = False) -> pa.RecordBatch:
        """This partition's output: one record per non-empty cell (its id in ``fold``) plus the
        counters record. The packed statistics are written into one buffer that the Arrow
        binary column uses as it is; ``release`` drops each cell's co-moment once packed (the
        partition is done), so memory holds that buffer and one cell's packed triangle."""
        cells = [k for k, cell in enumerate(self.cells) if cell.n_rows > 0]
        size = SuffStats.packed_size(self.layout.n_features)
        data = np.empty(size * len(cells))
        for i, k in enumerate(cells):
            self.cells[k].packed().vector(out=data[i * size : (i + 1) * size])
            self.peak_rss_bytes = max(self.peak_rss_bytes, current_rss_bytes())
            if release:
                self.cells[k].release()
        if data.nbytes < 2**31:  # int32 offsets of an Arrow binary column
            ends = np.arange(len(cells) + 1, dtype=np.int64) * (8 * size)
            offsets = np.append(ends, ends[-1]).astype(np.int32)  # the counters row: empty
            stats = pa.Array.from_buffers(pa.binary(), len(cells) + 1,
                                          [None, pa.py_buffer(offsets), pa.py_buffer(data)])
        else:
            stats = pa.array([data[i * size : (i + 1) * size].tobytes()
                              for i in range(len(cells))] + [b""], pa.binary())
        n = len(cells)
        return pa.RecordBatch.from_arrays(
            [
                int_array([*cells, -1], pa.int32()),
                stats,
                binary_array([b""] * n + [self.counts.tobytes()]),
                int_array([0] * n + [int(self.peak_rss_bytes)]),
            ],
            schema=OUTPUT_SCHEMA,
        )

    # ------------------------------------------------------------------ one chunk
    def _count(self, column: str, kind: str, mask: np.ndarray) -> None:
        self.counts[self._slot[(column, kind)]] += int(np.count_nonzero(mask))

    def _add_chunk(self, batch: pa.RecordBatch) -> None:
        lay = self.layout
        n = batch.num_rows
        if n == 0:
            return
        self.counts[0] += n
        head = read_head(batch, lay, self._count)
        src, y, w, pre_bad = head.src, head.y, head.w, head.bad
        if w is not None and pre_bad.any():
            w = np.where(pre_bad, 0.0, w)  # bad rows are dropped; keep their weight finite
        if lay.vector:
            src, vec_bad = self._dense_from_vectors(batch.column(0), y)
            pre_bad |= vec_bad

        cell = self._cell_ids(head, src, w)
        # the rows as the columns of a (p+1) × m matrix: the Fortran-ordered copy of p + 1
        # columns is one already, packed rows are gathered in cell order (one copy)
        by_columns = not (lay.vector or lay.packed)
        if cell is None:
            Z = src if (by_columns or src.flags.writeable) else src.copy()
            self._add_block(0, Z.T, w, pre_bad)
        else:
            C = lay.n_stats
            # small integer keys take numpy's linear-time radix sort
            order = np.argsort(cell.astype(np.int8 if C < 127 else np.int32), kind="stable")
            bounds = np.searchsorted(cell[order], np.arange(C + 1), side="left")
            rows = None if by_columns else src[order]
            blocks = [(k, bounds[k], bounds[k + 1]) for k in range(C)]
            if bounds[C] < n:  # rows with an invalid fold id: counted, never accumulated
                blocks.append((-1, bounds[C], n))
            for k, start, stop in blocks:
                if stop == start:
                    continue
                idx = order[start:stop]
                A = np.take(src.T, idx, axis=1) if rows is None else rows[start:stop].T
                self._add_block(k, A, None if w is None else w[idx], pre_bad[idx])
        self.peak_rss_bytes = max(self.peak_rss_bytes, current_rss_bytes())

    def _cell_ids(self, head: BatchHead, src: np.ndarray, w: np.ndarray | None
                  ) -> np.ndarray | None:
        """The cell of each row of a chunk (``None``: one cell); rows with an invalid fold id
        get ``n_stats`` (sorted after every cell, never accumulated)."""
        lay = self.layout
        K, B = lay.num_folds, lay.num_buckets
        if head.fold is None:  # hashed folds and/or buckets: one hash of the row's values
            modulus = B or K
            return fold_ids(src, modulus, lay.seed, w) if modulus else None
        fold = head.fold
        if B:
            fold = fold * B + fold_ids(src, B, lay.seed, w)
        return np.where(head.out_of_range, lay.n_stats, fold)

    def _add_block(
        self, k: int, A: np.ndarray, w: np.ndarray | None, pre_bad: np.ndarray
    ) -> None:
        """One cell's rows of a chunk, the columns of ``A`` (``(p+1) × m``, writeable,
        overwritten), checked and accumulated into cell ``k`` (``k < 0``: only counted)."""
        lay = self.layout
        p = lay.n_features
        m = A.shape[1]
        Z = A.T  # (m, p + 1): row i is a row of the input
        dirty = k < 0 or bool(pre_bad.any())
        col_sum = None
        if not dirty:  # bounded values (NaN fails both tests) cannot overflow a column sum
            dirty = not (Z.max(initial=0.0) <= MAX_ABS_VALUE
                         and Z.min(initial=0.0) >= -MAX_ABS_VALUE)
            if not dirty:
                col_sum = Z.sum(axis=0) if w is None else w @ Z
        if dirty:
            nonfinite = unusable(Z)
            if lay.vector:
                self._count(lay.feature_columns[0], KIND_NONFINITE, nonfinite[:, :p].any(axis=1))
            else:
                counts = np.count_nonzero(nonfinite[:, :p], axis=0)
                for j, name in enumerate(lay.feature_columns):
                    self.counts[self._slot[(name, KIND_NONFINITE)]] += int(counts[j])
            bad = nonfinite.any(axis=1) | pre_bad
            if k < 0:
                self.counts[1] += m
                return
            n_bad = int(np.count_nonzero(bad))
            self.counts[1] += n_bad
            if n_bad == m:
                return
            if n_bad:
                keep = ~bad
                A = Z[keep].T
                w = None if w is None else w[keep]
        self.cells[k].add(A, w, col_sum)

    # ------------------------------------------------------------------ vectors
    def _dense_from_vectors(self, arr: pa.Array, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``[X | y]`` from a VectorUDT struct array (:mod:`lasso_spark.spark.vectors`); and the
        bad-row mask. Null vectors count as null/NaN/inf, invalid ones as wrong size; bad rows
        are left as zeros (and dropped later). NaN/inf values are counted with the matrix."""
        lay = self.layout
        p = lay.n_features
        n = len(arr)
        name = lay.feature_columns[0]
        e = vector_entries(arr, p)
        self._count(name, KIND_NONFINITE, e.is_null)
        self._count(name, KIND_SIZE, e.wrong)
        bad = e.bad
        Z = np.zeros((n, p + 1))
        if not bad.any() and e.vals.shape[0] == n * p:
            # p strictly increasing columns in [0, p) per row: every row stored in order
            Z[:, :p] = e.vals.reshape(n, p)
        else:
            keep = np.repeat(~bad, e.lens)
            Z[e.row[keep], e.cols[keep]] = e.vals[keep]
        Z[:, p] = y
        return Z, bad


def partition_stats(
    batches: Iterator[pa.RecordBatch], layout: BatchLayout
) -> Iterator[pa.RecordBatch]:
    """``mapInArrow`` body: all batches of a partition → its per-fold records."""
    acc = PartitionAccumulator(layout)
    for batch in batches:
        acc.add_batch(batch)
    yield acc.records(release=True)


def count_rows(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The scan floor: the same ``mapInArrow`` doing nothing but counting rows."""
    n = 0
    for batch in batches:
        n += batch.num_rows
    yield pa.RecordBatch.from_arrays([int_array([n])], names=["n"])
