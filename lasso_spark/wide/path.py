"""Wide-data mode: the elastic-net path and its K-fold CV without ever forming the full Gram.

Same objective, grid and results as :func:`lasso_spark.core.enet_path` / ``cv_path`` (see
:mod:`lasso_spark.core.path`): with weights ``w``, ``W = Σw`` and standardized features ``x̃``::

    min_{b0, β}  1/(2W) Σ_i w_i (y_i − b0 − x̃_iᵀβ)²  +  α Σ_j v_j ( ρ|β_j| + (1−ρ)/2 β_j² )

Algorithm (every pass is one Spark job over the input; CV folds share every pass):

1. Pass 1 (:func:`.passes.diag_pass`): per fold, weighted means, population variances, ``Xᵀy``
   (centered) and ``yᵀy``: ``O(K·p)``. Standardization of every model (the full data and each
   fold's training set) and ``alpha_max`` follow from these.
2. Down the alpha grid in segments of up to ``block_size`` values starting at ``α_s``: the
   working set ``A`` is the ever-active and unpenalized features, the pending KKT violators and
   the sequential strong set of ``α_s`` (``|g_j| ≥ ρ v_j (2α_s − α_prev)`` for the gradient
   ``g = X̃ᵀW r / W`` at the last certified solution, any model), topped up with the next
   highest-ranked features (``growth``) so that one Gram block serves many alphas.
3. Pass 2 (:func:`.passes.gram_pass`), skipped when the Gram of a superset of ``A`` is at hand:
   per fold, the centered ``C_AA``, ``c_Ay`` → per-fold :class:`~lasso_spark.core.SuffStats`
   on ``A`` → merged training statistics → the core solver on each model, warm-started along the
   block.
4. Pass 3 (:func:`.passes.kkt_pass`): ``Xᵀr`` for ALL features at every model's solutions of the
   block. With it the duality gap over all ``p`` features is exact (the dual norm takes the
   max over features outside ``A`` too). A solution whose full gap exceeds ``tol · yy`` has
   KKT violators ``|g_j| > α ρ v_j`` outside ``A``: they join ``A`` and the block is re-solved
   (passes 2 and 3 again). Alphas of the segment before the first violation are certified
   and kept; the next segment starts at that alpha.

Held-out MSE of fold ``k`` comes from fold ``k``'s statistics on ``A`` (exact, no pass).
"""

from __future__ import annotations

import logging
import resource
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from pyspark.sql import DataFrame

from lasso_spark.core import (
    CVResult,
    PathResult,
    SuffStats,
    design,
    enet_path,
    heldout_mse,
    merge_all,
    select_alphas,
)
from lasso_spark.core.errors import DataError
from lasso_spark.spark.inputs import resolve_input
from lasso_spark.spark.stats import check_counts
from lasso_spark.wide.diag import DiagStats, merge_diag
from lasso_spark.wide.passes import PassLog, diag_pass, gram_pass, kkt_pass, timed_pass

logger = logging.getLogger(__name__)

__all__ = ["GridPlan", "WidePathResult", "wide_enet_path"]

#: ``plan(total, alpha_max_of) -> (alphas, l1_ratio)``: called once after pass 1 with the full
#: data's :class:`DiagStats` and ``alpha_max_of(l1_ratio)`` (the exact edge of the all-zero
#: region for that ρ); returns the decreasing alpha grid (may be empty: no path is solved) and ρ.
GridPlan = Callable[[DiagStats, Callable[[float], float]], tuple[np.ndarray, float]]


@dataclass(frozen=True)
class WidePathResult:
    """Wide-mode output: the full-data ``path`` (a core :class:`PathResult`), the ``cv`` result
    (a core :class:`CVResult` whose ``path`` is the same object; ``None`` without folds), and the
    cost: ``n_passes`` data passes (``passes`` logs each), the working-set size of every block.
    """

    path: PathResult
    cv: CVResult | None
    feature_names: list[str]
    n_passes: int
    passes: list[PassLog]
    working_set_sizes: list[int]
    n_rows_read: int
    n_rows_skipped: int
    invalid_counts: dict[str, int]
    peak_worker_rss_bytes: int
    elapsed_seconds: float
    fold_rows: list[int] = field(default_factory=list)
    total: DiagStats | None = None
    driver_peak_bytes: int = 0

    @property
    def pass_counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in self.passes:
            out[p.kind] = out.get(p.kind, 0) + 1
        return out


@dataclass
class _Model:
    """One fit sharing the passes: the full data (``fold = -1``) or fold k's training set."""

    fold: int
    diag: DiagStats
    scale: np.ndarray  # σ (or 1) per feature
    usable: np.ndarray  # features the solver can use
    center: np.ndarray  # centering of Xᵀr: μ (intercept) or 0
    yy: float


def _check_v(penalty_factor, p: int) -> np.ndarray:
    if penalty_factor is None:
        return np.ones(p)
    v = np.asarray(penalty_factor, dtype=np.float64)
    if v.shape != (p,):
        raise ValueError(f"penalty_factor must have shape ({p},), got {v.shape}")
    bad = np.isnan(v) | (v < 0)
    if bad.any():
        raise ValueError(f"penalty_factor must be >= 0 (inf allowed); {int(bad.sum())} are not")
    return v


def _model(fold: int, d: DiagStats, v: np.ndarray, fit_intercept: bool, standardize: bool):
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
    return _Model(fold, d, np.where(usable, scale, 1.0), usable, center, float(yy))


def _gradient(m: _Model, xtwr: np.ndarray, s: float) -> np.ndarray:
    """``g = X̃ᵀW r / W`` from the pass sums ``Xᵀ(w r)`` and ``Σ w r`` (0 where unusable)."""
    g = (xtwr - m.center * s) / (m.diag.weight_sum * m.scale)
    return np.where(m.usable, g, 0.0)


def _initial_gradient(m: _Model, fit_intercept: bool) -> np.ndarray:
    d = m.diag
    mxy = d.cxy if fit_intercept else d.cxy + d.weight_sum * d.mean_x * d.mean_y
    return np.where(m.usable, mxy / (d.weight_sum * m.scale), 0.0)


def _fold_suffstats(
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


def _full_gap(
    stats: SuffStats,
    coef_std_a: np.ndarray,
    g_all: np.ndarray,
    outside: np.ndarray,
    v: np.ndarray,
    v_a: np.ndarray,
    alpha: float,
    rho: float,
    fit_intercept: bool,
    standardize: bool,
) -> float:
    """Duality gap over ALL features (the core's formula, module :mod:`lasso_spark.core._cd`):
    the working set's terms from its statistics, the dual norm's max also over ``outside``
    (features not in the working set, β = 0) from the distributed ``g_all``."""
    d = design(stats, penalty_factor=v_a, fit_intercept=fit_intercept, standardize=standardize)
    beta = coef_std_a[d.index]
    g = d.c - d.G @ beta
    l1, l2 = alpha * rho, alpha * (1.0 - rho)
    pen = d.v > 0.0
    dual = float(np.max(np.abs(g - l2 * d.v * beta)[pen] / d.v[pen], initial=0.0))
    out_pen = outside & (v > 0.0)
    if out_pen.any():
        dual = max(dual, float(np.max(np.abs(g_all[out_pen]) / v[out_pen])))
    kappa = min(1.0, l1 / dual) if dual > 0.0 else 1.0
    cb = float(d.c @ beta)
    gb = float(g @ beta)
    return (
        0.5 * (1.0 - kappa) ** 2 * (d.yy - cb)
        - 0.5 * (1.0 + kappa**2) * gb
        + l1 * float(np.sum(d.v * np.abs(beta)))
        + 0.5 * l2 * (1.0 + kappa**2) * float(np.sum(d.v * beta * beta))
    )


def wide_enet_path(
    df: DataFrame,
    *,
    features_col: str | None = None,
    input_cols: Sequence[str] | None = None,
    label_col: str = "label",
    weight_col: str | None = None,
    num_folds: int = 0,
    fold_col: str | None = None,
    seed: int = 0,
    handle_invalid: str = "error",
    num_features: int | None = None,
    alphas: Sequence[float] | np.ndarray | None = None,
    n_alphas: int = 100,
    alpha_min_ratio: float | None = None,
    l1_ratio: float = 1.0,
    penalty_factor: Sequence[float] | np.ndarray | Callable[[list[str]], np.ndarray | None]
    | None = None,
    fit_intercept: bool = True,
    standardize: bool = True,
    tol: float = 1e-7,
    max_iter: int = 100_000,
    block_size: int = 25,
    max_rounds: int = 25,
    max_working_set: int = 3000,
    growth: float = 2.0,
    max_kkt_values: int = 25_000_000,
    plan: GridPlan | None = None,
) -> WidePathResult:
    """Elastic-net path (and K-fold CV when ``num_folds ≥ 2`` or ``fold_col``) of ``df`` in
    wide mode (module docstring): driver memory ``O(K·|A|² + T·p)``, never ``O(p²)``.

    Input arguments as :func:`lasso_spark.compute_stats`; solver arguments as
    :func:`lasso_spark.core.enet_path` (``alphas`` explicit, or ``n_alphas`` from the full
    data's ``alpha_max`` down by ``alpha_min_ratio``). ``block_size``: alphas per block (each
    block costs at least one ``Xᵀr`` pass, plus a Gram pass when its working set grew);
    ``max_rounds``: re-solves allowed per segment before giving up with an error.
    Working sets: see :func:`_working_set` (``growth``, ``max_working_set``); a segment holds at
    most ``block_size`` alphas and ``max_kkt_values // (models · p)`` (the size of one ``Xᵀr``
    result); the alphas before the first one with KKT violations are accepted and the next
    segment starts there, with the violators added.

    ``penalty_factor`` may be a callable of the feature names (resolved from the input before
    any pass). ``plan`` (:data:`GridPlan`), when given, replaces ``alphas`` / ``n_alphas`` /
    ``alpha_min_ratio`` / ``l1_ratio``: grids that depend on the data (MLlib's regParam scale,
    which needs the label's standard deviation) are decided after pass 1 without another pass.
    """
    started = time.perf_counter()
    rho = float(l1_ratio)
    if not 0.0 < rho <= 1.0:
        raise ValueError(f"l1_ratio must be in (0, 1], got {l1_ratio}")
    if not (np.isfinite(tol) and tol > 0.0):
        raise ValueError(f"tol must be a positive number, got {tol}")
    if int(block_size) < 1:
        raise ValueError(f"block_size must be >= 1, got {block_size}")
    resolved = resolve_input(
        df, features_col=features_col, input_cols=input_cols, label_col=label_col,
        weight_col=weight_col, num_folds=num_folds, fold_col=fold_col, seed=seed,
        handle_invalid=handle_invalid, num_features=num_features,
    )
    layout = resolved.layout
    p = layout.n_features
    proj = df.select(*resolved.columns)
    log: list[PassLog] = []
    K = num_folds
    tag = f"{K} folds, " if K else ""

    # ---------------------------------------------------------------- pass 1
    with timed_pass(log, "diag", p, max(K, 1)):
        diag = diag_pass(proj, layout, f"lasso_spark wide: pass 1 statistics, {tag}{p} features")
    folds = diag.folds
    total = merge_diag(folds, p)
    n_read, n_skipped, invalid = check_counts(
        diag.counts, layout, handle_invalid, total.n_rows, total.weight_sum, weight_col
    )
    empty = [k for k, f in enumerate(folds) if not f.weight_sum > 0.0] if K else []
    if empty:
        raise DataError(f"folds {empty} of {K} have no rows (or zero total weight) among the "
                        f"{total.n_rows} valid rows; use fewer folds")

    if callable(penalty_factor):
        penalty_factor = penalty_factor(list(resolved.feature_names))
    v = _check_v(penalty_factor, p)
    models = [_model(-1, total, v, fit_intercept, standardize)]
    for k in range(K):
        train = merge_diag([f for j, f in enumerate(folds) if j != k], p)
        models.append(_model(k, train, v, fit_intercept, standardize))
    T0 = len(models)
    model_fold = np.array([m.fold for m in models], dtype=np.int64)
    center = np.append(total.mean_x, total.mean_y)
    dense = diag.nnz > 0.5 * total.n_rows
    F = max(K, 1)

    gram_cache: dict[str, object] = {"index": np.zeros(0, dtype=np.int64), "stats": None}

    def fold_stats_for(index: np.ndarray) -> list[SuffStats]:
        """Per-fold statistics on ``index``: a subset of the cached Gram, or a Gram pass."""
        cached = gram_cache["index"]
        if gram_cache["stats"] is not None and np.isin(index, cached).all():
            pos = np.searchsorted(cached, index)
            return [s.subset(pos) for s in gram_cache["stats"]]
        with timed_pass(log, "gram", index.shape[0], F):
            C = gram_pass(proj, layout, index, np.append(center[index], center[p]),
                          dense[index],
                          f"lasso_spark wide: Gram block, {index.shape[0]} features, {tag}"
                          f"pass {len(log) + 1}")
        st = _fold_suffstats(C, index, np.append(center[index], center[p]), folds)
        gram_cache["index"], gram_cache["stats"] = index, st
        return st

    def training(fs: list[SuffStats], m: _Model) -> SuffStats:
        if m.fold < 0:
            return merge_all(fs) if K else fs[0]
        return merge_all([s for j, s in enumerate(fs) if j != m.fold])

    def gradients(index, coefs, b0s, fold_of, n_per_model, what) -> np.ndarray:
        with timed_pass(log, "kkt", p, coefs.shape[1]):
            xtwr, s = kkt_pass(proj, layout, index, coefs, b0s, fold_of,
                               f"lasso_spark wide: X'r for {coefs.shape[1]} fits ({what}), "
                               f"{tag}pass {len(log) + 1}")
        g = np.empty((p, coefs.shape[1]))
        for c in range(coefs.shape[1]):
            g[:, c] = _gradient(models[c // n_per_model], xtwr[:, c], s[c])
        return g

    # ---------------------------------------------------------------- initial state
    unpen = models[0].usable & (v == 0.0)
    U = np.flatnonzero(unpen)
    if U.size:
        fs = fold_stats_for(U)
        coefs = np.zeros((U.size, T0))
        b0s = np.zeros(T0)
        for t, m in enumerate(models):
            r = enet_path(training(fs, m), alphas=[1.0], l1_ratio=rho,
                          penalty_factor=np.zeros(U.size), fit_intercept=fit_intercept,
                          standardize=standardize, tol=tol, max_iter=max_iter)
            coefs[:, t], b0s[t] = r.coef[0], r.intercept[0]
        g_prev = gradients(U, coefs, b0s, model_fold, 1, "unpenalized fit")
    else:
        g_prev = np.stack([_initial_gradient(m, fit_intercept) for m in models], axis=1)

    pen_full = models[0].usable & (v > 0.0)
    edge = float(np.max(np.abs(g_prev[pen_full, 0]) / v[pen_full])) if pen_full.any() else 0.0
    if plan is not None:
        grid, rho = plan(total, lambda r: edge / float(r))
        rho = float(rho)
        if not 0.0 < rho <= 1.0:
            raise ValueError(f"l1_ratio must be in (0, 1], got {rho}")
        grid = np.asarray(grid, dtype=np.float64).ravel()
        if grid.size and (~np.isfinite(grid) | (grid <= 0.0)).any():
            raise ValueError("alphas must be finite and > 0")
        if grid.size == 0 and K:
            raise ValueError("cross-validation needs at least one alpha")
        grid = np.sort(grid)[::-1].copy()
    a_max = edge / rho
    if plan is None and alphas is None:
        ratio = (1e-4 if total.n_rows > p else 1e-2) if alpha_min_ratio is None \
            else float(alpha_min_ratio)
        if not 0.0 < ratio < 1.0:
            raise ValueError(f"alpha_min_ratio must be in (0, 1), got {ratio}")
        if a_max > 0.0 and np.isfinite(a_max):
            grid = a_max * np.logspace(0.0, np.log10(ratio), int(n_alphas))
        else:
            grid = np.full(int(n_alphas), np.finfo(np.float64).resolution)
    elif plan is None:
        grid = np.asarray(alphas, dtype=np.float64).ravel()
        if (~np.isfinite(grid) | (grid <= 0.0)).any():
            raise ValueError("alphas must be finite and > 0")
        grid = np.sort(grid)[::-1].copy()
    n_a = grid.shape[0]

    # ---------------------------------------------------------------- outputs
    coef = np.zeros((n_a, p))
    coef_std = np.zeros((n_a, p))
    intercept = np.zeros(n_a)
    gaps = np.zeros((T0, n_a))
    n_iter = np.zeros(n_a, dtype=np.int64)
    mse = np.zeros((K, n_a))
    ever = np.zeros(p, dtype=bool)
    ws_sizes: list[int] = []
    tol_abs = np.array([tol * m.yy for m in models])

    a_prev = max(a_max, float(grid[0])) if n_a else a_max
    penalized = np.stack([m.usable for m in models]) & (v > 0.0)
    seg_cap = max(1, int(max_kkt_values // (T0 * p)))
    pending = np.zeros(p, dtype=bool)
    s0 = 0
    while s0 < n_a:
        # strong-rule score of every feature: max over models of |g_j| / (ρ v_j)
        with np.errstate(divide="ignore", invalid="ignore"):
            score = np.where(penalized.T, np.abs(g_prev) / (rho * v[:, None]), -np.inf).max(1)
        e0 = min(n_a, s0 + int(block_size), s0 + seg_cap)
        need = _working_set(score, float(grid[s0]), a_prev, unpen | ever | pending,
                            float(growth), int(max_working_set))
        for rnd in range(int(max_rounds) + 1):
            block = grid[s0:e0]
            L = block.shape[0]
            A = np.flatnonzero(need)
            fs = fold_stats_for(A)
            results = []
            for m in models:
                results.append(enet_path(
                    training(fs, m), alphas=block, l1_ratio=rho, penalty_factor=v[A],
                    fit_intercept=fit_intercept, standardize=standardize, tol=tol,
                    max_iter=max_iter,
                ))
            coefs = np.concatenate([r.coef.T for r in results], axis=1)  # (|A|, T0·L)
            b0s = np.concatenate([r.intercept for r in results])
            fold_of = np.repeat(model_fold, L)
            g = gradients(A, coefs, b0s, fold_of, L, f"alphas {s0 + 1}-{e0} of {n_a}")
            outside = ~need
            violators = np.zeros(p, dtype=bool)
            block_gaps = np.zeros((T0, L))
            first_bad = L
            for t, m in enumerate(models):
                st = training(fs, m)
                for i in range(L):
                    gc = g[:, t * L + i]
                    gap = _full_gap(st, results[t].coef_std[i], gc, outside & m.usable, v,
                                    v[A], float(block[i]), rho, fit_intercept, standardize)
                    block_gaps[t, i] = gap
                    if gap > tol_abs[t]:
                        viol = outside & m.usable & (np.abs(gc) > rho * block[i] * v)
                        if viol.any():
                            violators |= viol
                            first_bad = min(first_bad, i)
            if first_bad > 0:
                break  # alphas before the first violation are certified
            if rnd == max_rounds:
                raise RuntimeError(
                    f"wide mode: KKT violations remain at alpha {s0 + 1} after "
                    f"{max_rounds} re-solves; raise max_rounds"
                )
            logger.info("alpha %d: %d KKT violators join the working set of %d", s0 + 1,
                        int(violators.sum()), A.size)
            need |= violators
        acc = first_bad
        e0 = s0 + acc
        pending = violators
        ws_sizes.append(int(A.size))
        r0 = results[0]
        coef[s0:e0, A] = r0.coef[:acc]
        coef_std[s0:e0, A] = r0.coef_std[:acc]
        intercept[s0:e0] = r0.intercept[:acc]
        n_iter[s0:e0] = r0.n_iter[:acc]
        gaps[:, s0:e0] = block_gaps[:, :acc]
        for t, m in enumerate(models):
            ever[A] |= np.any(results[t].coef[:acc] != 0.0, axis=0)
            if m.fold >= 0:
                mse[m.fold, s0:e0] = heldout_mse(fs[m.fold], results[t].coef[:acc],
                                                 results[t].intercept[:acc])
        g_prev = g[:, acc - 1 :: L]
        a_prev = float(grid[e0 - 1])
        logger.info("wide mode: alphas %d-%d of %d certified on a working set of %d (%d "
                    "passes so far)", s0 + 1, e0, n_a, A.size, len(log))
        s0 = e0

    converged = gaps <= tol_abs[:, None]
    full_scale = np.where(models[0].usable, models[0].scale,
                          np.sqrt(total.var_x) if standardize else 1.0)
    path = PathResult(
        alphas=grid,
        coef=coef,
        intercept=intercept if fit_intercept else np.zeros(n_a),
        dual_gap=gaps[0],
        n_iter=n_iter,
        n_nonzero=np.count_nonzero(coef, axis=1),
        converged=converged[0],
        coef_std=coef_std,
        alpha_max=a_max,
        l1_ratio=rho,
        tol=float(tol),
        tol_abs=float(tol_abs[0]),
        penalty_factor=v,
        feature_scale=full_scale,
        fit_intercept=bool(fit_intercept),
        standardize=bool(standardize),
    )
    cv = None
    if K:
        mean, se, i_min, i_1se = select_alphas(mse)
        cv = CVResult(
            alphas=grid, mse_path=mse, mean_mse=mean, se_mse=se, index_min=i_min,
            index_1se=i_1se, alpha_min=float(grid[i_min]), alpha_1se=float(grid[i_1se]),
            fold_converged=converged[1:], path=path,
        )
    elapsed = time.perf_counter() - started
    logger.info("wide mode: %d alphas x %d fits in %d data passes (%s), %.2fs", n_a, T0,
                len(log), ", ".join(f"{k}={c}" for k, c in _kinds(log).items()), elapsed)
    return WidePathResult(
        path=path, cv=cv, feature_names=list(resolved.feature_names), n_passes=len(log),
        passes=log, working_set_sizes=ws_sizes, n_rows_read=n_read, n_rows_skipped=n_skipped,
        invalid_counts=invalid, peak_worker_rss_bytes=diag.peak_worker_rss_bytes,
        elapsed_seconds=elapsed, fold_rows=[f.n_rows for f in folds] if K else [], total=total,
        driver_peak_bytes=_driver_peak_bytes(),
    )


def _driver_peak_bytes() -> int:
    """Peak resident memory of this (driver) Python process so far, in bytes."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(rss if sys.platform == "darwin" else rss * 1024)


def _working_set(
    score: np.ndarray,
    alpha: float,
    a_prev: float,
    kept: np.ndarray,
    growth: float,
    budget: int,
) -> np.ndarray:
    """Working set of a segment starting at ``alpha``: ``kept`` (ever-active, unpenalized,
    pending violators) ∪ the sequential strong set of ``alpha`` (``score ≥ 2α − α_prev``),
    topped up with the next highest-scoring features to ``growth ×`` that size (+100) so that
    the same Gram block serves the alphas further down the segment; at most ``budget``
    features beyond ``kept``: a larger strong set keeps its ``budget`` highest scores (the KKT
    pass adds whatever the solutions need)."""
    strong = np.isfinite(score) & (score >= 2.0 * alpha - a_prev) & ~kept
    n_strong = int(strong.sum())
    if n_strong > budget:
        # cap: the ``budget`` highest-scoring strong features; the rest join as KKT violators
        # if (and only when) the solutions need them, which bounds the Gram block on the driver
        cand = np.flatnonzero(strong)
        top = cand[np.argpartition(-score[cand], budget - 1)[:budget]]
        strong = np.zeros_like(strong)
        strong[top] = True
        logger.info("strong set of %d features capped at the %d highest-scoring", n_strong,
                    budget)
    core = kept | strong
    n_core = int(core.sum())
    n_kept = int(kept.sum())
    target = min(max(int(growth * n_core) + 100, n_core), n_kept + budget)
    extra = target - n_core
    if extra > 0:
        cand = np.flatnonzero(~core & np.isfinite(score) & (score > 0.0))
        if cand.size > extra:
            cand = cand[np.argpartition(-score[cand], extra - 1)[:extra]]
        core = core.copy()
        core[cand] = True
    return core


def _kinds(log: list[PassLog]) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in log:
        out[p.kind] = out.get(p.kind, 0) + 1
    return out
