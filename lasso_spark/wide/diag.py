"""Per-feature (diagonal) sufficient statistics: what the first wide-mode pass returns.

For rows ``(x_i, y_i, w_i)`` with ``W = Σ w`` a :class:`DiagStats` holds ``O(p)`` numbers::

    n_rows, W, μx = Σ w x / W (p,), μy,
    cxx_diag = Σ w (x − μx)² (p,),  cxy = Σ w (x − μx)(y − μy) (p,),  cyy = Σ w (y − μy)²

i.e. the diagonal of :class:`lasso_spark.core.SuffStats`' ``Cxx`` and all of its other fields. Two
sets merge with Chan's pairwise formula restricted to the diagonal (``δ = μ_b − μ_a``)::

    C_jj = C_a,jj + C_b,jj + (W_a W_b / W) δ_j²,   cxy_j = ... + (W_a W_b / W) δ_j δ_y

Means are double-doubles as in :class:`~lasso_spark.core.SuffStats` (``mean_x_lo`` is the
residual ``Σ w (x − mean_x) / W``), so that ``δ`` between nearly equal large means is exact to
the rounding of ``δ`` itself (features with mean 1e6 and standard deviation 1e-2).

numpy only (no pyspark): it runs on executors and on the driver.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from lasso_spark.core.stats import feature_variance, merge_pair, merge_tree

logger = logging.getLogger(__name__)

__all__ = ["DiagStats", "merge_diag"]


@dataclass(frozen=True)
class DiagStats:
    """Weighted means, per-feature centered second moments and ``Xᵀy``; see the module doc."""

    n_rows: int
    weight_sum: float
    mean_x: np.ndarray
    mean_y: float
    cxx_diag: np.ndarray
    cxy: np.ndarray
    cyy: float
    mean_x_lo: np.ndarray | None = None
    mean_y_lo: float = 0.0

    def __post_init__(self) -> None:
        if self.mean_x_lo is None:
            object.__setattr__(self, "mean_x_lo", np.zeros_like(self.mean_x))

    @classmethod
    def empty(cls, n_features: int) -> DiagStats:
        z = np.zeros(int(n_features))
        return cls(0, 0.0, z, 0.0, z.copy(), z.copy(), 0.0)

    @classmethod
    def from_arrays(cls, X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> DiagStats:
        """Exact statistics of dense arrays (two passes: means, then centered moments)."""
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        w = np.ones(X.shape[0]) if w is None else np.asarray(w, dtype=np.float64)
        W = float(w.sum())
        if W == 0.0:
            return dataclasses.replace(cls.empty(X.shape[1]), n_rows=X.shape[0])
        mx = (w @ X) / W
        my = float(w @ y) / W
        Xc = X - mx
        yc = y - my
        lo_x = (w @ Xc) / W
        lo_y = float(w @ yc) / W
        return cls(
            X.shape[0], W, mx, my,
            w @ (Xc * Xc) - W * lo_x * lo_x,
            (w * yc) @ Xc - W * lo_x * lo_y,
            float(w @ (yc * yc)) - W * lo_y * lo_y,
            lo_x, lo_y,
        )

    @property
    def n_features(self) -> int:
        return int(self.mean_x.shape[0])

    def merge(self, other: DiagStats) -> DiagStats:
        """Statistics of the union of both row sets (Chan's pairwise update, on the diagonal)."""
        return merge_pair(self, other, np.multiply)

    @property
    def var_y(self) -> float:
        """Weighted population variance of the label (0 without weight)."""
        return float(max(self.cyy / self.weight_sum, 0.0)) if self.weight_sum > 0.0 else 0.0

    @property
    def std_y(self) -> float:
        return float(np.sqrt(self.var_y))

    @property
    def var_x(self) -> np.ndarray:
        """Population variance per feature (:func:`lasso_spark.core.stats.feature_variance`)."""
        return feature_variance(self.cxx_diag, self.weight_sum, self.mean_x)

    @property
    def mean_x_full(self) -> np.ndarray:
        return self.mean_x + self.mean_x_lo

    # ------------------------------------------------------------------ transport
    def pack(self) -> np.ndarray:
        """``[n, W, μy, μy_lo, cyy, μx, μx_lo, cxx_diag, cxy]`` (each ``(p,)``), one vector."""
        head = np.array(
            [self.n_rows, self.weight_sum, self.mean_y, self.mean_y_lo, self.cyy],
            dtype=np.float64,
        )
        return np.concatenate([head, self.mean_x, self.mean_x_lo, self.cxx_diag, self.cxy])

    @classmethod
    def unpack(cls, vec: np.ndarray) -> DiagStats:
        vec = np.asarray(vec, dtype=np.float64)
        if vec.ndim != 1 or (vec.shape[0] - 5) % 4:
            raise ValueError(f"not a packed DiagStats vector (length {vec.shape[0]})")
        p = (vec.shape[0] - 5) // 4
        part = [vec[5 + i * p : 5 + (i + 1) * p].copy() for i in range(4)]
        return cls(int(vec[0]), float(vec[1]), part[0], float(vec[2]), part[2], part[3],
                   float(vec[4]), part[1], float(vec[3]))


def merge_diag(items: Iterable[DiagStats], n_features: int) -> DiagStats:
    """Balanced pairwise merge of many statistics."""
    return merge_tree(items, lambda: DiagStats.empty(n_features))
