"""Wide-data mode: the elastic-net path and its K-fold CV without ever forming the full Gram.

Same problem (:mod:`lasso_spark.core.objective`), grid and results as
:func:`lasso_spark.core.enet_path` / ``cv_path``.

Algorithm (every pass is one Spark job over the input; CV folds share every pass):

1. Pass 1 (:func:`.passes.diag_pass`): per fold, weighted means, population variances, ``Xᵀy``
   (centered) and ``yᵀy``: ``O(K·p)``. Standardization of every model (the full data and each
   fold's training set) and ``alpha_max`` follow from these.
2. Down the alpha grid in segments of up to ``block_size`` values starting at ``α_s``: the
   working set ``A`` is the ever-active and unpenalized features, the pending KKT violators and
   the sequential strong set of ``α_s`` (``|g_j| ≥ ρ v_j (2α_s − α_prev)`` for the gradient
   ``g = X̃ᵀW r / W`` at the last certified solution, any model), topped up with the next
   highest-ranked features (``growth``) so that one Gram block serves many alphas.
3. Pass 2 (:func:`.passes.gram_pass`), skipped when the Gram of a superset of ``A`` is at hand,
   and over only the rows of the features new to the block at hand when they are at most half
   of ``A`` (:func:`.passes.assemble_block`; the working set is capped by the driver's block
   budget, :func:`block_cap`):
   per fold, ``C_AA``, ``c_Ay`` about the pass-1 means → each model's standardized problem
   straight from the blocks (training rows = all folds' blocks minus the held-out one, shifted to
   the training means: :func:`.models.training_design`) → the core solver on it
   (:func:`lasso_spark.core.path.design_path`), warm-started along the block; the same design
   gives the certificate of step 4.
4. Pass 3 (:func:`.passes.kkt_pass`): ``Xᵀr`` for ALL features at every model's solutions of the
   block. With it the duality gap over all ``p`` features is exact (the dual norm takes the
   max over features outside ``A`` too). A solution whose full gap exceeds ``tol · yy`` has
   KKT violators ``|g_j| > α ρ v_j`` outside ``A``: those of the first failing alpha join ``A``
   and the block is re-solved (passes 2 and 3 again). Alphas of the segment before the first
   violation are certified and kept; the next segment starts at that alpha.

Held-out MSE of fold ``k`` comes from fold ``k``'s block on ``A`` (exact, no pass:
:func:`.models.heldout_mse_of_block`).
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

from lasso_spark.core import CVResult, Design, PathResult
from lasso_spark.core.cv import select_alphas
from lasso_spark.core.errors import DataError
from lasso_spark.core.grid import (
    alpha_max_from_gradient,
    decreasing_alphas,
    default_grid,
)
from lasso_spark.core.path import design_path
from lasso_spark.core.penalty import check_l1_ratio, check_penalty_factor
from lasso_spark.spark.inputs import resolve_input
from lasso_spark.spark.stats import check_counts
from lasso_spark.wide.diag import DiagStats, merge_diag
from lasso_spark.wide.models import (
    WideModel,
    full_gap,
    heldout_mse_of_block,
    make_model,
    training_design,
)
from lasso_spark.wide.passes import (
    PassLog,
    assemble_block,
    diag_pass,
    gram_pass,
    kkt_pass,
    timed_pass,
)

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
    block_budget_bytes: int = 0
    block_cap: int = 0

    @property
    def pass_counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in self.passes:
            out[p.kind] = out.get(p.kind, 0) + 1
        return out


@dataclass(frozen=True)
class _Limits:
    """How segments are cut and working sets grown (see :func:`wide_enet_path`)."""

    block_size: int
    max_rounds: int
    max_working_set: int
    growth: float
    max_kkt_values: int
    block_cap: int  # features of the largest block the driver memory budget allows


def block_copies(n_folds: int, n_models: int) -> int:
    """Block-sized ``(q+1)²`` float64 arrays the driver may hold while it solves one segment:
    ``2F + 2T`` for ``F`` fold blocks and ``T`` models. What it holds since the fits are
    designed straight from the blocks (:func:`~.models.training_design`) is at most
    ``max(2F, F + 1 + T)``: the previous and the new block while a block is assembled
    (``2F``), then the fold blocks, their sum and each model's standardized design (kept
    for its certificate); the budget keeps the earlier, larger count (a safe bound)."""
    return 2 * max(n_folds, 1) + 2 * n_models


def block_cap(budget_bytes: int, n_folds: int, n_models: int) -> int:
    """Most working-set features whose blocks fit ``budget_bytes`` (:func:`block_copies`)."""
    return max(int(np.sqrt(budget_bytes / (8.0 * block_copies(n_folds, n_models)))) - 1, 1)


@dataclass(frozen=True)
class _Block:
    """The Gram-pass blocks on a working set ``index``: ``C (F, q+1, q+1)`` per fold about
    ``center`` (the pass-1 means on ``index`` and the label) and their sum ``total`` over the
    folds (``None`` without folds: ``C[0]`` is the full data's)."""

    index: np.ndarray
    C: np.ndarray
    center: np.ndarray
    total: np.ndarray | None


@dataclass
class _Run:
    """The state one wide fit shares across its passes: the projected input, pass 1's
    statistics, the fits (the full data first, then one per fold), the penalty factors, the
    solver settings, the pass log and the last Gram block (reused when it covers a working
    set)."""

    proj: DataFrame
    layout: object
    tag: str
    folds: list[DiagStats]
    total: DiagStats
    models: list[WideModel]
    v: np.ndarray
    center: np.ndarray
    dense: np.ndarray
    solver: dict
    log: list[PassLog] = field(default_factory=list)
    gram_index: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    gram_block: np.ndarray | None = None
    n_partitions: int = 0  # of the input, counted by pass 1

    @property
    def p(self) -> int:
        return int(self.v.shape[0])

    @property
    def K(self) -> int:
        return len(self.models) - 1

    @property
    def model_fold(self) -> np.ndarray:
        return np.array([m.fold for m in self.models], dtype=np.int64)

    def block_for(self, index: np.ndarray) -> _Block:
        """The per-fold blocks on ``index``: a subset of the block at hand, or a Gram pass
        over only the rows (and, by symmetry, columns) of the features new to it when they are
        at most half of ``index``, else over the whole block (packed upper triangle)."""
        c = np.append(self.center[index], self.center[self.p])
        held, q = self.gram_block, index.shape[0]
        new_pos = np.flatnonzero(~np.isin(index, self.gram_index)) if held is not None \
            else np.arange(q)
        if held is not None and new_pos.size == 0:
            if np.array_equal(index, self.gram_index):
                return self._block(index, held, c)
            sel = np.append(np.searchsorted(self.gram_index, index), self.gram_index.shape[0])
            return self._block(index, held[:, sel[:, None], sel[None, :]], c)
        rows_only = held is not None and 2 * new_pos.size <= q
        what = f"{new_pos.size} new of {q}" if rows_only else f"{q}"
        with timed_pass(self.log, "gram", int(new_pos.size) if rows_only else q,
                        max(self.K, 1), q):
            out = gram_pass(self.proj, self.layout, index, c, self.dense[index],
                            f"lasso_spark wide: Gram block, {what} features, {self.tag}"
                            f"pass {len(self.log) + 1}", targets=new_pos if rows_only else None,
                            n_partitions=self.n_partitions)
        if rows_only:
            out = assemble_block(held, self.gram_index, index, new_pos, out)
        self.gram_index, self.gram_block = index, out
        return self._block(index, out, c)

    def _block(self, index: np.ndarray, C: np.ndarray, center: np.ndarray) -> _Block:
        return _Block(index, C, center, C.sum(axis=0) if self.K else None)

    def design(self, blk: _Block, m: WideModel) -> tuple[Design, np.ndarray | None]:
        """Model ``m``'s standardized problem on the block's working set and its training
        means (:func:`~.models.training_design`)."""
        return training_design(blk.C, blk.total, blk.index, blk.center, m, self.v[blk.index],
                               bool(self.solver["fit_intercept"]))

    def solve(self, d: Design, mean_x: np.ndarray | None, m: WideModel, alphas: np.ndarray,
              rho: float, v_a: np.ndarray, init: np.ndarray | None = None) -> PathResult:
        """The core path on model ``m``'s design ``d``; ``init``: standardized warm start of
        the first alpha."""
        fit_intercept = bool(self.solver["fit_intercept"])
        mean_y = m.diag.mean_y + m.diag.mean_y_lo if fit_intercept else 0.0
        return design_path(d, mean_x=mean_x, mean_y=float(mean_y), n_rows=m.diag.n_rows,
                           alphas=alphas, l1_ratio=rho, penalty_factor=v_a, coef_init=init,
                           **self.solver)

    def heldout_mse(self, blk: _Block, m: WideModel, coef: np.ndarray,
                    intercept: np.ndarray) -> np.ndarray:
        """Held-out MSE on fold ``m.fold`` of solutions on the block's working set."""
        return heldout_mse_of_block(blk.C[m.fold], blk.index, blk.center, self.folds[m.fold],
                                    coef, intercept)

    def gradients(self, index: np.ndarray, coefs: np.ndarray, b0s: np.ndarray,
                  fold_of: np.ndarray, n_per_model: int, what: str) -> np.ndarray:
        """``g (p, T)`` of the ``T`` solutions ``(coefs[:, t] on index, b0s[t])`` (one pass);
        solution ``t`` belongs to model ``t // n_per_model``."""
        with timed_pass(self.log, "kkt", self.p, coefs.shape[1]):
            xtwr, s = kkt_pass(self.proj, self.layout, index, coefs, b0s, fold_of,
                               f"lasso_spark wide: X'r for {coefs.shape[1]} fits ({what}), "
                               f"{self.tag}pass {len(self.log) + 1}", self.n_partitions)
        g = np.empty((self.p, coefs.shape[1]))
        for c in range(coefs.shape[1]):
            g[:, c] = self.models[c // n_per_model].gradient(xtwr[:, c], s[c])
        return g


@dataclass
class _Path:
    """The outputs, filled segment by segment down the grid."""

    grid: np.ndarray
    coef: np.ndarray
    coef_std: np.ndarray
    intercept: np.ndarray
    gaps: np.ndarray  # (models, alphas)
    n_iter: np.ndarray
    mse: np.ndarray  # (folds, alphas)
    ever: np.ndarray  # features non-zero in some accepted solution
    warm: np.ndarray  # (models, p): each model's standardized solution at the last accepted alpha
    ws_sizes: list[int] = field(default_factory=list)

    @classmethod
    def empty(cls, grid: np.ndarray, n_models: int, K: int, p: int) -> _Path:
        m = grid.shape[0]
        return cls(grid, np.zeros((m, p)), np.zeros((m, p)), np.zeros(m),
                   np.zeros((n_models, m)), np.zeros(m, dtype=np.int64), np.zeros((K, m)),
                   np.zeros(p, dtype=bool), np.zeros((n_models, p)))


@dataclass
class _Segment:
    """One accepted segment: ``acc`` alphas certified on working set ``A``."""

    acc: int
    A: np.ndarray
    blk: _Block
    results: list[PathResult]
    g: np.ndarray  # (p, models · alphas of the block)
    gaps: np.ndarray  # (models, alphas of the block)
    violators: np.ndarray


# -------------------------------------------------------------------------- pass 1
def _start(df: DataFrame, input_kw: dict, penalty_factor: object, solver: dict) -> tuple:
    """Pass 1 and the fits: ``(run, feature names, (rows read, skipped, invalid counts),
    peak worker memory, fold rows)``."""
    resolved = resolve_input(df, **input_kw)
    layout = resolved.layout
    p, K = layout.n_features, input_kw["num_folds"]
    proj = df.select(*resolved.columns)
    tag = f"{K} folds, " if K else ""
    log: list[PassLog] = []
    with timed_pass(log, "diag", p, max(K, 1)):
        diag = diag_pass(proj, layout, f"lasso_spark wide: pass 1 statistics, {tag}{p} features")
    folds = diag.folds
    total = merge_diag(folds, p)
    counts = check_counts(diag.counts, layout, input_kw["handle_invalid"], total.n_rows,
                          total.weight_sum, input_kw["weight_col"])
    empty = [k for k, f in enumerate(folds) if not f.weight_sum > 0.0] if K else []
    if empty:
        raise DataError(f"folds {empty} of {K} have no rows (or zero total weight) among the "
                        f"{total.n_rows} valid rows; use fewer folds")
    if callable(penalty_factor):
        penalty_factor = penalty_factor(list(resolved.feature_names))
    v = check_penalty_factor(penalty_factor, p)
    fit_intercept, standardize = solver["fit_intercept"], solver["standardize"]
    models = [make_model(-1, total, v, fit_intercept, standardize)]
    for k in range(K):
        train = merge_diag([f for j, f in enumerate(folds) if j != k], p)
        models.append(make_model(k, train, v, fit_intercept, standardize))
    run = _Run(proj, layout, tag, folds, total, models, v,
               np.append(total.mean_x, total.mean_y), diag.nnz > 0.5 * total.n_rows, solver, log,
               n_partitions=diag.n_partitions)
    fold_rows = [f.n_rows for f in folds] if K else []
    return run, list(resolved.feature_names), counts, diag.peak_worker_rss_bytes, fold_rows


def _initial_gradients(run: _Run) -> np.ndarray:
    """``g (p, models)`` at the start of the path: at β = 0, or, with unpenalized features, at
    their least-squares fit (one Gram pass and one ``Xᵀr`` pass)."""
    unpen = run.models[0].usable & (run.v == 0.0)
    U = np.flatnonzero(unpen)
    if not U.size:
        return np.stack([m.initial_gradient(run.solver["fit_intercept"]) for m in run.models],
                        axis=1)
    blk = run.block_for(U)
    coefs = np.zeros((U.size, len(run.models)))
    b0s = np.zeros(len(run.models))
    for t, m in enumerate(run.models):
        d, mean_x = run.design(blk, m)
        r = run.solve(d, mean_x, m, np.array([1.0]), 1.0, np.zeros(U.size))
        coefs[:, t], b0s[t] = r.coef[0], r.intercept[0]
    return run.gradients(U, coefs, b0s, run.model_fold, 1, "unpenalized fit")


def _grid(run: _Run, g0: np.ndarray, plan: GridPlan | None, alphas: object, n_alphas: int,
          alpha_min_ratio: float | None, l1_ratio: float) -> tuple[np.ndarray, float, float]:
    """``(grid, ρ, alpha_max)`` from the plan, explicit alphas or the automatic grid."""
    edge = alpha_max_from_gradient(g0[:, 0], run.v, 1.0)  # alpha_max at ρ = 1
    rho = l1_ratio
    if plan is not None:
        grid, rho = plan(run.total, lambda r: edge / float(r))
        rho = check_l1_ratio(rho)
        grid = np.asarray(grid, dtype=np.float64).ravel()
        if grid.size == 0 and run.K:
            raise ValueError("cross-validation needs at least one alpha")
        grid = decreasing_alphas(grid) if grid.size else grid
    elif alphas is None:
        grid = default_grid(edge / rho, n_alphas, alpha_min_ratio, run.total.n_rows, run.p)
    else:
        grid = decreasing_alphas(alphas)
    return grid, rho, edge / rho


# -------------------------------------------------------------------------- the path
def _certify(run: _Run, designs: list[Design], results: list[PathResult], g: np.ndarray,
             need: np.ndarray, block: np.ndarray, rho: float
             ) -> tuple[np.ndarray, np.ndarray, int]:
    """Full duality gaps of every model's block solutions (``designs``: each model's
    standardized problem on the working set, the one it was solved on), the first alpha with
    violations (``len(block)`` when none) and the KKT violators outside it at that alpha."""
    L = block.shape[0]
    tol = run.solver["tol"]
    outside = ~need
    viol_at = np.zeros((L, run.p), dtype=bool)  # violators of each alpha, any model
    gaps = np.zeros((len(run.models), L))
    first_bad = L
    for t, m in enumerate(run.models):
        d = designs[t]
        out_m = outside & m.usable
        for i in range(L):
            gc = g[:, t * L + i]
            gaps[t, i] = full_gap(d, results[t].coef_std[i], gc, out_m, run.v, float(block[i]),
                                  rho)
            if gaps[t, i] > tol * m.yy:
                viol = out_m & (np.abs(gc) > rho * block[i] * run.v)
                if viol.any():
                    viol_at[i] |= viol
                    first_bad = min(first_bad, i)
    # only the first failing alpha's violators are needed next; those of the alphas further
    # down (solved on a working set already known to be short) rank by their scores instead
    violators = viol_at[first_bad] if first_bad < L else np.zeros(run.p, dtype=bool)
    return gaps, violators, first_bad


def _solve_segment(run: _Run, block: np.ndarray, need: np.ndarray, rho: float,
                   max_rounds: int, where: str, cap: int, warm: np.ndarray) -> _Segment:
    """Solve every model on the block's working set, certify with one ``Xᵀr`` pass, and grow
    the working set by the KKT violators until the block's first alpha is certified. Model
    ``t``'s path starts from ``warm[t]`` (its solution at the last accepted alpha, standardized,
    over all ``p`` features) restricted to the working set."""
    L = block.shape[0]
    for rnd in range(int(max_rounds) + 1):
        A = np.flatnonzero(need)
        blk = run.block_for(A)
        designs, results = [], []
        for t, m in enumerate(run.models):
            d, mean_x = run.design(blk, m)
            designs.append(d)
            results.append(run.solve(d, mean_x, m, block, rho, run.v[A], warm[t, A]))
        coefs = np.concatenate([r.coef.T for r in results], axis=1)  # (|A|, T·L)
        b0s = np.concatenate([r.intercept for r in results])
        g = run.gradients(A, coefs, b0s, np.repeat(run.model_fold, L), L, where)
        gaps, violators, first_bad = _certify(run, designs, results, g, need, block, rho)
        del designs
        if first_bad > 0:  # alphas before the first violation are certified
            return _Segment(first_bad, A, blk, results, g, gaps, violators)
        if rnd == max_rounds:
            raise RuntimeError(f"wide mode: KKT violations remain at {where} after "
                               f"{max_rounds} re-solves; raise max_rounds")
        logger.info("%s: %d KKT violators join the working set of %d", where,
                    int(violators.sum()), A.size)
        need = need | violators
        if int(need.sum()) > cap:
            logger.warning("%s: the solutions need %d working-set features, more than the %d "
                           "of the driver's block budget", where, int(need.sum()), cap)
    raise AssertionError("unreachable")


def _accept(run: _Run, out: _Path, seg: _Segment, s0: int) -> None:
    """Copy the segment's certified alphas into the outputs (and the folds' held-out MSE)."""
    acc, A, e0 = seg.acc, seg.A, s0 + seg.acc
    out.ws_sizes.append(int(A.size))
    r0 = seg.results[0]
    out.coef[s0:e0, A] = r0.coef[:acc]
    out.coef_std[s0:e0, A] = r0.coef_std[:acc]
    out.intercept[s0:e0] = r0.intercept[:acc]
    out.n_iter[s0:e0] = r0.n_iter[:acc]
    out.gaps[:, s0:e0] = seg.gaps[:, :acc]
    for t, m in enumerate(run.models):
        out.ever[A] |= np.any(seg.results[t].coef[:acc] != 0.0, axis=0)
        out.warm[t] = 0.0
        out.warm[t, A] = seg.results[t].coef_std[acc - 1]
        if m.fold >= 0:
            out.mse[m.fold, s0:e0] = run.heldout_mse(seg.blk, m, seg.results[t].coef[:acc],
                                                     seg.results[t].intercept[:acc])


def _solve_path(run: _Run, out: _Path, g_prev: np.ndarray, rho: float, a_max: float,
                lim: _Limits) -> None:
    """Down the grid in segments (module docstring, steps 2–4)."""
    grid, p, T0 = out.grid, run.p, len(run.models)
    n_a = grid.shape[0]
    unpen = run.models[0].usable & (run.v == 0.0)
    penalized = np.stack([m.usable for m in run.models]) & (run.v > 0.0)
    seg_cap = max(1, int(lim.max_kkt_values // (T0 * p)))
    a_prev = max(a_max, float(grid[0])) if n_a else a_max
    pending = np.zeros(p, dtype=bool)
    s0 = 0
    while s0 < n_a:
        # strong-rule score of every feature: max over models of |g_j| / (ρ v_j)
        with np.errstate(divide="ignore", invalid="ignore"):
            score = np.where(penalized.T, np.abs(g_prev) / (rho * run.v[:, None]), -np.inf)
        e0 = min(n_a, s0 + int(lim.block_size), s0 + seg_cap)
        kept = unpen | out.ever | pending
        budget = min(int(lim.max_working_set), max(lim.block_cap - int(kept.sum()), 0))
        need = _working_set(score.max(1), float(grid[s0]), a_prev, kept, float(lim.growth),
                            budget)
        seg = _solve_segment(run, grid[s0:e0], need, rho, lim.max_rounds,
                             f"alphas {s0 + 1}-{e0} of {n_a}", lim.block_cap, out.warm)
        _accept(run, out, seg, s0)
        g_prev = seg.g[:, seg.acc - 1 :: e0 - s0]
        a_prev = float(grid[s0 + seg.acc - 1])
        pending = seg.violators
        logger.info("wide mode: alphas %d-%d of %d certified on a working set of %d (%d "
                    "passes so far)", s0 + 1, s0 + seg.acc, n_a, seg.A.size, len(run.log))
        s0 += seg.acc


def _results(run: _Run, out: _Path, rho: float, a_max: float) -> tuple[PathResult,
                                                                      CVResult | None]:
    """The core result types of the filled outputs."""
    tol = run.solver["tol"]
    tol_abs = np.array([tol * m.yy for m in run.models])
    converged = out.gaps <= tol_abs[:, None]
    m0 = run.models[0]
    full_scale = np.where(m0.usable, m0.scale,
                          np.sqrt(run.total.var_x) if run.solver["standardize"] else 1.0)
    fit_intercept = bool(run.solver["fit_intercept"])
    path = PathResult(
        alphas=out.grid, coef=out.coef,
        intercept=out.intercept if fit_intercept else np.zeros(out.grid.shape[0]),
        dual_gap=out.gaps[0], n_iter=out.n_iter, n_nonzero=np.count_nonzero(out.coef, axis=1),
        converged=converged[0], coef_std=out.coef_std, alpha_max=a_max, l1_ratio=rho,
        tol=float(tol), tol_abs=float(tol_abs[0]), penalty_factor=run.v,
        feature_scale=full_scale, fit_intercept=fit_intercept,
        standardize=bool(run.solver["standardize"]),
    )
    if not run.K:
        return path, None
    mean, se, i_min, i_1se = select_alphas(out.mse)
    grid = out.grid
    cv = CVResult(alphas=grid, mse_path=out.mse, mean_mse=mean, se_mse=se, index_min=i_min,
                  index_1se=i_1se, alpha_min=float(grid[i_min]), alpha_1se=float(grid[i_1se]),
                  fold_converged=converged[1:], path=path)
    return path, cv


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
    max_block_bytes: int = 2 << 30,
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
    segment starts there, with the violators of that alpha added (those of later alphas rank by
    their scores). ``max_block_bytes``: the driver memory budget of the Gram blocks; it caps the
    working set at :func:`block_cap` features (the ever-active features, and violators a
    solution needs, may still exceed it: a warning says so).

    ``penalty_factor`` may be a callable of the feature names (resolved from the input before
    any pass). ``plan`` (:data:`GridPlan`), when given, replaces ``alphas`` / ``n_alphas`` /
    ``alpha_min_ratio`` / ``l1_ratio``: grids that depend on the data (MLlib's regParam scale,
    which needs the label's standard deviation) are decided after pass 1 without another pass.
    """
    started = time.perf_counter()
    rho = check_l1_ratio(l1_ratio)
    if not (np.isfinite(tol) and tol > 0.0):
        raise ValueError(f"tol must be a positive number, got {tol}")
    if int(block_size) < 1:
        raise ValueError(f"block_size must be >= 1, got {block_size}")
    input_kw = {"features_col": features_col, "input_cols": input_cols, "label_col": label_col,
                "weight_col": weight_col, "num_folds": num_folds, "fold_col": fold_col,
                "seed": seed, "handle_invalid": handle_invalid, "num_features": num_features}
    solver = {"fit_intercept": fit_intercept, "standardize": standardize, "tol": tol,
              "max_iter": max_iter}
    run, names, (n_read, n_skipped, invalid), peak_rss, fold_rows = _start(
        df, input_kw, penalty_factor, solver)
    g0 = _initial_gradients(run)
    grid, rho, a_max = _grid(run, g0, plan, alphas, n_alphas, alpha_min_ratio, rho)
    out = _Path.empty(grid, len(run.models), run.K, run.p)
    cap = block_cap(int(max_block_bytes), run.K, len(run.models))
    limits = _Limits(block_size, max_rounds, max_working_set, growth, max_kkt_values, cap)
    _solve_path(run, out, g0, rho, a_max, limits)
    path, cv = _results(run, out, rho, a_max)
    elapsed = time.perf_counter() - started
    logger.info("wide mode: %d alphas x %d fits in %d data passes (%s), %.2fs", grid.shape[0],
                len(run.models), len(run.log),
                ", ".join(f"{k}={c}" for k, c in _kinds(run.log).items()), elapsed)
    return WidePathResult(
        path=path, cv=cv, feature_names=names, n_passes=len(run.log), passes=run.log,
        working_set_sizes=out.ws_sizes, n_rows_read=n_read, n_rows_skipped=n_skipped,
        invalid_counts=invalid, peak_worker_rss_bytes=peak_rss, elapsed_seconds=elapsed,
        fold_rows=fold_rows, total=run.total, driver_peak_bytes=_driver_peak_bytes(),
        block_budget_bytes=int(max_block_bytes), block_cap=cap,
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
