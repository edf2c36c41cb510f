"""Running weighted co-moments of ``Z = [X | y]`` updated in place, one BLAS ``syrk`` per block.

The executor side of the statistics pass (:mod:`lasso_spark.spark.batch`) keeps one
:class:`RunningMoments` per cell (fold, bucket) of a partition. A block of ``m`` rows arrives as
the columns of a writeable ``q × m`` matrix (``q = p + 1``; either memory order). With ``w`` the
block's weights, ``W_b`` their sum and ``(μ_a, W_a, C_a)`` the running mean (a double-double,
:func:`lasso_spark.core.stats.merge_means`), weight and co-moment, the block is turned in place
into::

    Zc = √w ∘ (Z − μ_b − lo_b)      μ_b = fl(wᵀZ / W_b), lo_b = wᵀ(Z − μ_b) / W_b

and ``C ← C + Zc Zcᵀ`` is ONE ``syrk`` with ``β = 1`` into the running ``q × q`` co-moment: the
block's own centered co-moment (``Σ w (z − μ_b − lo_b)(…)ᵀ = Σ w (z − μ_b)(…)ᵀ − W_b lo_b
lo_bᵀ``), with no ``q × q`` temporary and only the upper triangle touched (read as it is
into the packed transport form, :meth:`RunningMoments.packed`). Chan's merge term
``(W_a W_b / W) δ δᵀ`` (``δ = (μ_b + lo_b) − μ_a``, ``W = W_a + W_b``) is a sum over blocks
too: each block's ``√(W_a W_b / W) δ`` is kept and :data:`PENDING_MERGES` of them go into
``C`` as one more ``syrk`` — the statistics of :meth:`lasso_spark.core.SuffStats.merge`
applied block by block, without a ``q × q`` rank-one update per block.

From :data:`STAGE_MIN_WIDTH` columns on, blocks of fewer than :data:`STAGE_ROWS` rows are first
copied into a per-cell staging buffer (``q × STAGE_ROWS``) and go into the co-moment as one
block when it is full (or when the result is read): with ``K`` folds a 524-row Arrow batch at
p = 4000 gives each fold ~105 rows, a ``syrk`` of rank 105 runs at about half the rate of one
of rank 512 there (``benchmarks/README.md``, issue 13), while at p = 1500 the rate does not
grow with the rank. The buffer is ``O(STAGE_ROWS · q)`` per cell, whatever the rows.

``q ≥`` :data:`BLAS_MIN_WIDTH` uses ``scipy.linalg.blas.dsyrk`` in place on a Fortran-ordered
``C`` (imported on first use: a narrow pass never loads ``scipy.linalg``); narrower blocks use
numpy's ``A Aᵀ`` added to ``C`` (symmetric in full).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import numpy as np

from lasso_spark.core.stats import PackedStats, SuffStats, merge_means, pack_upper

logger = logging.getLogger(__name__)

__all__ = ["BLAS_MIN_WIDTH", "PENDING_MERGES", "RunningMoments", "STAGE_MIN_WIDTH", "STAGE_ROWS"]

#: from this many columns of ``[X | y]`` on, blocks go to BLAS ``dsyrk`` in place
BLAS_MIN_WIDTH = 96
#: Chan merge terms gathered before they go into the co-moment as one ``syrk``
PENDING_MERGES = 32
#: from this many columns of ``[X | y]`` on, small blocks are staged into ``syrk``s of
#: :data:`STAGE_ROWS` rows
STAGE_MIN_WIDTH = 2048
#: rows of the staging buffer of a wide cell (blocks of at least this many go in directly)
STAGE_ROWS = 512

_DSYRK: Any = None


def _dsyrk() -> Any:
    global _DSYRK
    if _DSYRK is None:
        from scipy.linalg import blas

        _DSYRK = blas.dsyrk
    return _DSYRK


class RunningMoments:
    """Rows seen, weight, double-double mean and upper-triangular co-moment of ``[X | y]``."""

    def __init__(self, width: int) -> None:
        self.width = int(width)
        self._rows = 0  # rows added to the moments (the staged ones not yet)
        self._stage: np.ndarray | None = None  # q × STAGE_ROWS, Fortran order: a row a column
        self._stage_w: np.ndarray | None = None  # their weights (None: unweighted so far)
        self._staged = 0
        self.weight_sum = 0.0
        self.mean = np.zeros(self.width)
        self.mean_lo = np.zeros(self.width)
        self._comoment: np.ndarray | None = None  # allocated with the first weighted block
        self._pending: list[np.ndarray] = []  # √f δ of the Chan merges not yet in the co-moment

    @property
    def n_rows(self) -> int:
        """Rows seen (staged ones included)."""
        return self._rows + self._staged

    # ------------------------------------------------------------------ blocks
    def add(self, A: np.ndarray, w: np.ndarray | None, col_sum: np.ndarray | None = None
            ) -> None:
        """A block: its rows are the columns of ``A`` (``q × m``, writeable, overwritten);
        ``w`` its weights (``None``: all 1); ``col_sum`` is ``A w`` when the caller has it.
        A wide cell's small blocks are staged (:data:`STAGE_ROWS`) and added as one."""
        m = A.shape[1]
        if self.width < STAGE_MIN_WIDTH or m == 0:
            self._add(A, w, col_sum)
            return
        if self._staged + m > STAGE_ROWS:
            self._flush_stage()
        if m >= STAGE_ROWS:
            self._add(A, w, col_sum)
            return
        if self._stage is None:
            self._stage = np.empty((self.width, STAGE_ROWS), order="F")
        a = self._staged
        self._stage[:, a : a + m] = A
        if w is not None or self._stage_w is not None:
            if self._stage_w is None:
                self._stage_w = np.ones(STAGE_ROWS)
            self._stage_w[a : a + m] = 1.0 if w is None else w
        self._staged = a + m

    def _flush_stage(self) -> None:
        """The staged rows into the moments, as one block."""
        n = self._staged
        if n == 0:
            return
        w = None if self._stage_w is None else self._stage_w[:n]
        self._staged = 0
        self._stage_w = None
        self._add(self._stage[:, :n], w, None)

    def _add(self, A: np.ndarray, w: np.ndarray | None, col_sum: np.ndarray | None) -> None:
        m = A.shape[1]
        W_b = float(m) if w is None else float(w.sum())
        self._rows += m
        if m == 0 or W_b == 0.0:  # rows of zero weight count, nothing else changes
            return
        if col_sum is None:
            col_sum = A.sum(axis=1) if w is None else A @ w
        mu = col_sum / W_b
        A -= mu[:, None]
        lo = (A.sum(axis=1) if w is None else A @ w) / W_b
        A -= lo[:, None]
        if w is not None:
            A *= np.sqrt(w)[None, :]
        W_a = self.weight_sum
        W = W_a + W_b
        if W_a == 0.0:
            self.mean, self.mean_lo = mu, lo
        else:
            delta, self.mean, self.mean_lo = merge_means(self.mean, self.mean_lo, mu, lo, W_b / W)
            self._pending.append(delta * np.sqrt(W_a * W_b / W))
            if len(self._pending) >= PENDING_MERGES:
                self._flush()
        self.weight_sum = W
        self._syrk(A)

    def _flush(self) -> None:
        if self._pending:
            D = np.stack(self._pending, axis=1)
            self._pending = []
            self._syrk(D)

    def _syrk(self, A: np.ndarray) -> None:
        """``C ← C + A Aᵀ`` (upper triangle at least)."""
        q = self.width
        if self._comoment is None:
            self._comoment = np.zeros((q, q), order="F")
        C = self._comoment
        if q < BLAS_MIN_WIDTH:
            C += A @ A.T
            return
        dsyrk = _dsyrk()
        if A.flags.f_contiguous:
            out = dsyrk(1.0, A, beta=1.0, c=C, trans=0, overwrite_c=1)
        else:  # C-contiguous (q, m+1), or a strided view (then f2py copies it)
            out = dsyrk(1.0, np.ascontiguousarray(A).T, beta=1.0, c=C, trans=1, overwrite_c=1)
        if out is not C:  # f2py returned a copy: keep it
            self._comoment = out

    # ------------------------------------------------------------------ result
    def packed(self) -> PackedStats:
        """These moments as :class:`PackedStats` (features ``[0, q-1)``, label ``q-1``), read
        from the running upper triangle: no mirroring, no ``q × q`` copy. Its arrays may be
        views of this object's: write them out (``vector()``) before more blocks come in."""
        p = self.width - 1
        self._flush_stage()
        self._flush()
        if self.weight_sum == 0.0 or self._comoment is None:
            return dataclasses.replace(PackedStats.empty(p), n_rows=self.n_rows)
        C = self._comoment
        return PackedStats(
            n_rows=self.n_rows,
            weight_sum=self.weight_sum,
            mean_x=self.mean[:p],
            mean_y=float(self.mean[p]),
            cxx_upper=pack_upper(C[:p, :p]),
            cxy=C[:p, p],
            cyy=float(C[p, p]),
            mean_x_lo=self.mean_lo[:p],
            mean_y_lo=float(self.mean_lo[p]),
        )

    def suff_stats(self) -> SuffStats:
        """These moments as :class:`SuffStats` (``Cxx`` in full)."""
        return self.packed().suff_stats()

    def release(self) -> None:
        """Drop the co-moment (the cell is done: its statistics were packed)."""
        self._flush_stage()
        self._flush()
        self._comoment = None
        self._stage = None
        self.weight_sum = 0.0
