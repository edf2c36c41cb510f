"""The fits that share wide mode's passes: the full data and each fold's training set.

A :class:`WideModel` is one fit's view of the pass-1 statistics: its standardization, which
features it can use, how to turn a distributed ``Xᵀ(w r)`` into its gradient, and its label
moment. :func:`training_design` turns the Gram-pass blocks (about the pass-1 means, one per
fold) straight into one fit's standardized problem on the working set, and
:func:`heldout_mse_of_block` gives a fold's held-out error from its own block; both without the
per-fold and training :class:`~lasso_spark.core.SuffStats` (and their Chan merges) that
:func:`fold_suffstats` builds. :func:`full_gap` certifies a working-set solution over ALL
features with the core's duality gap (:func:`lasso_spark.core.objective.duality_gap`), whose
dual norm then also runs over the features outside the working set.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from lasso_spark.core.objective import duality_gap
from lasso_spark.core.quadratic import Design
from lasso_spark.core.stats import SuffStats
from lasso_spark.wide import kernels
from lasso_spark.wide.diag import DiagStats

logger = logging.getLogger(__name__)

__all__ = ["WideModel", "fold_suffstats", "full_gap", "heldout_mse_of_block", "make_model",
           "training_design"]


@dataclass
class WideModel:
    """One fit sharing the passes: the full data (``fold = -1``) or fold k's training set."""

    fold: int
    diag: DiagStats
    scale: np.ndarray  # σ (or 1) per feature
    usable: np.ndarray  # features the solver can use
    center: np.ndarray  # centering of Xᵀr: μ (intercept) or 0
    yy: float

    def gradient(self, xtwr: np.ndarray, s: float) -> np.ndarray:
        """``g = X̃ᵀW r / W`` from the pass sums ``Xᵀ(w r)`` and ``Σ w r`` (0 where unusable)."""
        g = (xtwr - self.center * s) / (self.diag.weight_sum * self.scale)
        return np.where(self.usable, g, 0.0)

    def initial_gradient(self, fit_intercept: bool) -> np.ndarray:
        """The gradient at β = 0, from pass 1 alone."""
        d = self.diag
        mxy = d.cxy if fit_intercept else d.cxy + d.weight_sum * d.mean_x * d.mean_y
        return np.where(self.usable, mxy / (d.weight_sum * self.scale), 0.0)


def make_model(fold: int, d: DiagStats, v: np.ndarray, fit_intercept: bool,
               standardize: bool) -> WideModel:
    """The fit on the rows summarized by ``d`` (the rules of :func:`lasso_spark.core.quadratic`)."""
    var = d.var_x
    W = d.weight_sum
    if standardize:
        scale = np.sqrt(var)
        usable = var > 0.0
    else:
        scale = np.ones(d.n_features)
        usable = var > 0.0 if fit_intercept else (d.cxx_diag + W * d.mean_x**2) > 0.0
    usable &= np.isfinite(v)
    yy = d.cyy / W if fit_intercept else (d.cyy + W * d.mean_y**2) / W
    center = d.mean_x if fit_intercept else np.zeros(d.n_features)
    return WideModel(fold, d, np.where(usable, scale, 1.0), usable, center, float(yy))


def fold_suffstats(
    C: np.ndarray, index: np.ndarray, center: np.ndarray, folds: list[DiagStats]
) -> list[SuffStats]:
    """Per-fold :class:`SuffStats` on ``index`` from Gram-pass products about ``center``:
    ``C_own = C − W_f δ δᵀ`` with ``δ`` = fold mean − center (Chan's shift, small δ)."""
    q = index.shape[0]
    out = []
    for f, d in enumerate(folds):
        if d.weight_sum == 0.0:
            e = SuffStats.empty(q)
            out.append(SuffStats(d.n_rows, 0.0, e.mean_x, 0.0, e.cxx, e.cxy, 0.0))
            continue
        mean = np.append(d.mean_x[index], d.mean_y)
        lo = np.append(d.mean_x_lo[index], d.mean_y_lo)
        delta = (mean - center) + lo
        Cf = C[f] - d.weight_sum * np.outer(delta, delta)
        out.append(
            SuffStats(
                n_rows=d.n_rows,
                weight_sum=d.weight_sum,
                mean_x=mean[:q].copy(),
                mean_y=float(mean[q]),
                cxx=np.ascontiguousarray(Cf[:q, :q]),
                cxy=Cf[:q, q].copy(),
                cyy=float(d.cyy),
                mean_x_lo=lo[:q].copy(),
                mean_y_lo=float(lo[q]),
            )
        )
    return out


def full_gap(d: Design, coef_std_a: np.ndarray, g_all: np.ndarray, outside: np.ndarray,
             v: np.ndarray, alpha: float, rho: float) -> float:
    """Duality gap over ALL features of a solution on the working set ``A``.

    ``d`` is the design of the model's training statistics on ``A``, ``coef_std_a`` the
    solution's standardized coefficients on ``A``, ``g_all`` the distributed gradient over all
    ``p`` features and ``outside`` the usable features not in ``A`` (their β is 0): the dual
    norm's max runs over them too.
    """
    out_pen = outside & (v > 0.0)
    norm = float(np.max(np.abs(g_all[out_pen]) / v[out_pen])) if out_pen.any() else 0.0
    return duality_gap(d.G, d.c, d.yy, coef_std_a[d.index], d.v, alpha, rho, norm)


def _shift(d: DiagStats, index: np.ndarray, center: np.ndarray) -> np.ndarray:
    """``δ`` (q+1,): the double-double mean of ``d`` on ``(x[index], y)`` minus ``center``."""
    mean = np.append(d.mean_x[index], d.mean_y)
    lo = np.append(d.mean_x_lo[index], d.mean_y_lo)
    return (mean - center) + lo


def training_design(C: np.ndarray, total: np.ndarray | None, index: np.ndarray,
                    center: np.ndarray, m: WideModel, v: np.ndarray, fit_intercept: bool
                    ) -> tuple[Design, np.ndarray | None]:
    """Model ``m``'s standardized problem on the working set ``index`` and its training means
    (``None`` without intercept), from the Gram-pass blocks ``C (F, q+1, q+1)`` about
    ``center`` (one per fold, label last) and their sum ``total`` (``None``: ``C[0]``, no folds).

    A block about a common center sums over row sets, so the training rows' block is ``total``
    (the full data) or ``total − C[fold]``; shifted to the training mean (``− W δ δᵀ``, Chan's
    shift with ``δ`` = training mean − center, from pass 1) it is the training ``Cxx, cxy``
    (plus ``W μ μᵀ`` without intercept), scaled by the model's pass-1 ``σ`` (its ``usable``
    features only): what :func:`lasso_spark.core.design` gives on the merged training
    statistics, to rounding, in one pass over the block (:func:`.kernels.training_gram`).
    ``yy`` is the model's pass-1 label moment; ``v``: penalty factors of ``index``."""
    q = index.shape[0]
    d = m.diag
    W = float(d.weight_sum)
    T = C[0] if total is None else total
    subtract = total is not None and m.fold >= 0
    H = C[m.fold] if subtract else T
    usable = m.usable[index]
    idx = np.flatnonzero(usable).astype(np.int64)
    delta = _shift(d, index, center)
    if fit_intercept:
        mu = np.zeros(q + 1)
    else:
        mu = np.append(d.mean_x[index], d.mean_y)
    sub = np.append(idx, q)
    scale = m.scale[index]
    s = scale[idx]
    u = 1.0 / (np.sqrt(W) * s)
    n = idx.shape[0]
    G = np.empty((n, n))
    m_xy = np.empty(n)
    kernels.training_gram(T, H, bool(subtract), idx, np.ascontiguousarray(delta[sub]),
                          np.ascontiguousarray(mu[sub]), W, u, G, m_xy)
    c = m_xy / (W * s)
    des = Design(G, c, float(m.yy), idx, scale,
                 np.ascontiguousarray(np.asarray(v, dtype=np.float64)[idx]), q)
    mean_x = (d.mean_x[index] + d.mean_x_lo[index]) if fit_intercept else None
    return des, mean_x


def heldout_mse_of_block(Ck: np.ndarray, index: np.ndarray, center: np.ndarray, d: DiagStats,
                         coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    """Weighted held-out MSE of the rows summarized by ``d`` (pass 1) and ``Ck`` (their Gram
    block about ``center`` on ``(x[index], y)``) for each row of ``coef (m, q)`` (original
    scale, on ``index``) and ``intercept (m,)``: :func:`lasso_spark.core.cv.heldout_sse`'s
    formula with ``Cxx = S − W δ δᵀ``, ``cxy = s − W δ δ_y`` applied to the coefficients
    (``δ``: the fold's mean minus the center), over the features some row uses."""
    q = index.shape[0]
    W = float(d.weight_sum)
    if not W > 0.0:
        raise ValueError(f"held-out fold has total weight {W} over {d.n_rows} rows; cannot "
                         "compute a mean squared error")
    B = np.atleast_2d(np.asarray(coef, dtype=np.float64))
    b0 = np.atleast_1d(np.asarray(intercept, dtype=np.float64))
    nz = np.flatnonzero(np.any(B != 0.0, axis=0))
    Bn = B[:, nz]
    delta = _shift(d, index, center)
    S = Ck[np.ix_(nz, nz)]
    bd = Bn @ delta[nz]
    quad = np.einsum("ij,ij->i", Bn @ S, Bn) - W * bd * bd
    bxy = Bn @ Ck[nz, q] - W * bd * delta[q]
    mx, lo = d.mean_x[index][nz], d.mean_x_lo[index][nz]
    shift = (d.mean_y - b0 - Bn @ mx) + (d.mean_y_lo - Bn @ lo)
    sse = d.cyy - 2.0 * bxy + quad + W * shift * shift
    return np.maximum(sse, 0.0) / W
