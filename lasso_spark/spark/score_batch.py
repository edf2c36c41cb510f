"""Executor side of path scoring: Arrow record batches → per-regParam error sums of a partition.

Runs inside ``mapInArrow``; numpy, scipy.sparse and pyarrow only (no numba). Rows are read by
:class:`lasso_spark.spark.chunks.ChunkReader` (valid rows as CSR chunks — dense rows for numeric
columns —, invalid rows counted per ``(column, kind)`` exactly as the statistics pass counts them),
so scoring drops the same rows a fit would. For a path of ``m`` fits with coefficients ``B``
``(m, p)`` (original feature scale) and intercepts ``b0`` ``(m,)``, each slice of valid rows gives
the residual matrix::

    R = y 1ᵀ − 1 b0ᵀ − X_A B_Aᵀ      (n × m; A = the features non-zero somewhere on the path)

by one BLAS product on the densified columns ``A`` (or, for sparse slices, a CSR kernel), and
the partition accumulates per fit ``SSE_t = Σ w_i R_it²`` and ``SAE_t = Σ w_i |R_it|``, plus the
label's weighted mean and centered sum of squares (Chan's pairwise merge), which give R².
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from lasso_spark.spark.arrow_values import binary_array
from lasso_spark.spark.batch import BatchLayout
from lasso_spark.spark.chunks import Chunk, ChunkReader

logger = logging.getLogger(__name__)

__all__ = ["SCORE_DDL", "PathErrorSums", "ScoreAccumulator", "partition_scores"]

#: Schema of the one record a partition emits (Spark DDL).
SCORE_DDL = "sums BINARY, counts BINARY"
_SCORE_SCHEMA = pa.schema([("sums", pa.binary()), ("counts", pa.binary())])

#: Cells (rows × max(m, |A|)) of the residual / dense feature block of one slice.
SLICE_CELLS = 1 << 20
#: A slice is densified for BLAS when at least this fraction of its active cells is non-zero.
DENSE_MIN_FILL = 0.125


@dataclass
class PathErrorSums:
    """Weighted error sums of ``m`` fits over a set of rows, mergeable across partitions.

    ``m2_y = Σ w (y − mean_y)²``; ``sse[t] = Σ w r_t²``; ``sae[t] = Σ w |r_t|``.
    """

    n_rows: int
    weight_sum: float
    mean_y: float
    m2_y: float
    sse: np.ndarray
    sae: np.ndarray

    @classmethod
    def empty(cls, m: int) -> PathErrorSums:
        return cls(0, 0.0, 0.0, 0.0, np.zeros(m), np.zeros(m))

    def merge(self, other: PathErrorSums) -> PathErrorSums:
        """Chan's pairwise merge of the label moments; the error sums add."""
        W = self.weight_sum + other.weight_sum
        if W > 0.0:
            delta = other.mean_y - self.mean_y
            mean = self.mean_y + delta * (other.weight_sum / W)
            m2 = self.m2_y + other.m2_y + delta * delta * (self.weight_sum * other.weight_sum / W)
        else:
            mean, m2 = 0.0, 0.0
        return PathErrorSums(
            self.n_rows + other.n_rows, W, mean, m2, self.sse + other.sse, self.sae + other.sae
        )

    def pack(self) -> np.ndarray:
        head = np.array([self.n_rows, self.weight_sum, self.mean_y, self.m2_y], dtype=np.float64)
        return np.concatenate([head, self.sse, self.sae])

    @classmethod
    def unpack(cls, v: np.ndarray) -> PathErrorSums:
        m = (v.shape[0] - 4) // 2
        return cls(int(v[0]), float(v[1]), float(v[2]), float(v[3]), v[4 : 4 + m].copy(),
                   v[4 + m :].copy())


class ScoreAccumulator:
    """Error sums of a coefficient path over the valid rows of one partition."""

    def __init__(self, layout: BatchLayout, coef: np.ndarray, intercepts: np.ndarray) -> None:
        B = np.atleast_2d(np.asarray(coef, dtype=np.float64))
        b0 = np.asarray(intercepts, dtype=np.float64).reshape(-1)
        if B.shape != (b0.shape[0], layout.n_features):
            raise ValueError(
                f"coef must be (m, {layout.n_features}) and intercepts (m,); got {B.shape} and "
                f"{b0.shape}"
            )
        self.layout = layout
        self.reader = ChunkReader(layout, dense=True)
        self.m = int(B.shape[0])
        self.b0 = b0
        self.active = np.flatnonzero(np.any(B != 0.0, axis=0))
        # position of each feature among the active ones (−1: zero on the whole path)
        self.loc = np.full(layout.n_features, -1, dtype=np.int64)
        self.loc[self.active] = np.arange(self.active.size)
        self.B_active = np.ascontiguousarray(B[:, self.active].T)  # (|A|, m)
        self.sums = PathErrorSums.empty(self.m)

    @property
    def counts(self) -> np.ndarray:
        return self.reader.counts

    def add_batches(self, batches: Iterator[pa.RecordBatch]) -> None:
        for chunk in self.reader.chunks(batches):
            step = max(1, SLICE_CELLS // max(self.m, self.active.size, 1))
            for start in range(0, chunk.n_rows, step):
                self._add_slice(chunk, start, min(start + step, chunk.n_rows))

    def residuals(self, chunk: Chunk, start: int, stop: int) -> np.ndarray:
        """``R[i, t] = y_i − b0_t − x_iᵀβ_t`` for rows ``start:stop`` of ``chunk``."""
        n = stop - start
        if chunk.X is not None:  # numeric columns: dense rows
            y = chunk.y[start:stop]
            if self.active.size == 0:
                return np.subtract.outer(y, self.b0)
            X = chunk.X[start:stop]
            R = (X if self.active.size == X.shape[1] else X[:, self.active]) @ self.B_active
            np.subtract(y[:, None], R, out=R)
            R -= self.b0
            return R
        e0, e1 = int(chunk.indptr[start]), int(chunk.indptr[stop])
        loc = self.loc[chunk.cols[e0:e1]]
        vals = chunk.vals[e0:e1]
        y = chunk.y[start:stop]
        a = self.active.size
        n_active = int(np.count_nonzero(loc >= 0))
        if a == 0 or n_active == 0:
            return np.subtract.outer(y, self.b0)
        if n_active >= DENSE_MIN_FILL * n * a:
            p = self.layout.n_features
            if e1 - e0 == n * p:  # every entry stored: the CSR values are X row by row
                Xa = vals.reshape(n, p)
                Xa = Xa if a == p else Xa[:, self.active]
            else:
                lens = np.diff(chunk.indptr[start : stop + 1])
                row = np.repeat(np.arange(n), lens)
                keep = loc >= 0
                Xa = np.zeros((n, a))
                Xa[row[keep], loc[keep]] = vals[keep]
            R = Xa @ self.B_active
            np.subtract(y[:, None], R, out=R)
            R -= self.b0
            return R
        from scipy.sparse import csr_matrix

        lens = np.diff(chunk.indptr[start : stop + 1])
        keep = loc >= 0
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(np.repeat(np.arange(n), lens)[keep], minlength=n), out=indptr[1:])
        Xa = csr_matrix((vals[keep], loc[keep], indptr), shape=(n, a))
        R = np.asarray(Xa @ self.B_active)
        np.subtract(y[:, None], R, out=R)
        R -= self.b0
        return R

    def _add_slice(self, chunk: Chunk, start: int, stop: int) -> None:
        R = self.residuals(chunk, start, stop)
        w = chunk.w[start:stop]
        y = chunk.y[start:stop]
        W = float(w.sum())
        if W > 0.0:
            mean = float(w @ y) / W
            d = y - mean
            m2 = float(w @ (d * d))
        else:
            mean, m2 = 0.0, 0.0
        sae = w @ np.abs(R)
        np.square(R, out=R)
        sse = w @ R
        self.sums = self.sums.merge(PathErrorSums(stop - start, W, mean, m2, sse, sae))

    def records(self) -> pa.RecordBatch:
        return pa.RecordBatch.from_arrays(
            [
                binary_array([self.sums.pack().tobytes()]),
                binary_array([self.counts.tobytes()]),
            ],
            schema=_SCORE_SCHEMA,
        )


def partition_scores(
    batches: Iterator[pa.RecordBatch],
    layout: BatchLayout,
    coef: np.ndarray,
    intercepts: np.ndarray,
) -> Iterator[pa.RecordBatch]:
    """``mapInArrow`` body: all batches of a partition → one record (error sums, counters)."""
    acc = ScoreAccumulator(layout, coef, intercepts)
    acc.add_batches(batches)
    yield acc.records()
