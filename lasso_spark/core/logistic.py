"""Logistic (binomial) elastic-net paths by proximal Newton, many models in flight per pass.

Objective of one model (MLlib ``LogisticRegression``'s, which is also glmnet's ``binomial``)::

    F(b0, β) = (1/W) Σ_i w_i ℓ(y_i, b0 + x̃_iᵀβ)  +  λ ( α ‖β‖₁ + (1 − α)/2 ‖β‖² )

``ℓ`` the log-loss of :mod:`lasso_spark.core.binomial`, ``λ = regParam``, ``α = elasticNetParam``.
``x̃_j = (x_j − μ_j) / a_j`` with the training rows' weighted mean ``μ`` (0 without intercept) and
``a_j`` their weighted **sample** standard deviation when ``standardize`` — Spark MLlib's choice:
``a² = Σ w (x − μ)² / (W − Σ w² / W)`` (``n − 1`` in the denominator for unit weights) — else
``a = 1`` (the penalty then applies to the original-scale coefficients, as MLlib's
``standardization=false`` does). glmnet standardizes with the *population* std
(``Σ w (x − μ)² / W``): with unit weights its ``λ`` for the lasso equals MLlib's
``λ · √(n / (n − 1))``. Features constant on the training rows get coefficient 0.

Algorithm. Every outer iteration is one data pass (:class:`lasso_spark.core.binomial.PassRequest`)
that evaluates every point in flight — for each model (the full data's and each CV fold's), the
current iterates of up to ``in_flight`` consecutive regParams — giving at each point the exact
log-loss and gradient, and its curvature ``(1/W) Σ w p(1 − p) (1, x̃)(1, x̃)ᵀ`` from a fixed row
subsample (its ``x̃x̃ᵀ`` products in float32: the curvature only shapes the step); for one
point per model the curvature is also summed over every row, and each
point's curvature is taken as that exact one plus the subsample's difference between the two
points (a control variate: the subsample's noise cancels to first order). A candidate whose
Newton step predicted a decrease of at most its tolerance (``CURVATURE_REUSE_FRACTION``) gets
no curvature of its own: it moved too little for its curvature to change, and if the pass does
not certify it, its next step reuses its step's base curvature (its objective, gradient and
certificate are still exact). On the driver, each regParam's next iterate minimizes its
quadratic model::

    min  gᵀδ + ½ δᵀ H δ + λ(α‖β + δ_β‖₁ + (1 − α)/2 ‖β + δ_β‖²),   δ = (δ_0, δ_β)

with the intercept eliminated by centering and the rest solved by the core's Gram coordinate
descent (:func:`lasso_spark.core.enet_path`, its strong rules and KKT checks on the quadratic),
to which the quadratic is handed as a least-squares problem ``½yy − cᵀb + ½bᵀGb`` with
``yy = cᵀG⁻¹c`` (one Cholesky factor of the q × q curvature; ``G`` carries a 1e-10 relative
ridge so that it is positive definite), so that the solver's duality gap is valid. The step is
accepted when it satisfies Armijo's condition on the true objective at the next pass, else
halved (a failed step costs that regParam one pass; the others proceed). RegParams enter the
window warm-started from the previous regParam's latest iterate by one Newton step at the new
value (several entering together share one warm-started path solve).

Certificate (on the true logistic objective, computed from a pass's exact gradient): the
duality gap of :func:`lasso_spark.core.binomial.binomial_duality_gap` (stated there). A regParam
is done when ``gap ≤ tol · H(ȳ)`` (``H(ȳ)`` the null model's objective; ``log 2`` without
intercept); ``regParam = 0`` has no dual bound, there the certificate is the KKT residual
``max |∇F| ≤ tol``. The KKT residual is reported at every regParam.

Path end: with the automatic grid, the full model's path stops where glmnet's does (after at
least 5 values: deviance ratio > 0.999, or its gain over the previous value < 1e-5), which also
ends the path on separable data; the CV models are solved on the same, truncated, grid. An
explicit grid is solved to its end.

The null model (``β = 0``, ``b0 = logit ȳ``) and its curvature ``ȳ(1 − ȳ) Cxx`` are exact from the
training rows' sufficient statistics, so every regParam at or above a model's ``λ_max`` is certified
without a pass, and the first Newton steps need none either.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from lasso_spark.core.binomial import (
    CV_PROB_MIN,
    PassRequest,
    PassResult,
    auc_from_histograms,
    bin_index,
    binary_entropy,
    binomial_duality_gap,
)
from lasso_spark.core.errors import DataError
from lasso_spark.core.grid import decreasing_alphas, default_grid
from lasso_spark.core.grid import warm_grid as positive_warm_grid
from lasso_spark.core.objective import elastic_net_penalty
from lasso_spark.core.stats import SuffStats

logger = logging.getLogger(__name__)

__all__ = [
    "BinomialTraining",
    "Curvature",
    "PathOptions",
    "PathTrack",
    "PointEval",
    "block_newton_steps",
    "check_path_arguments",
    "curvature_from_sums",
    "pass_coordinates",
    "path_grid",
    "path_tracks",
    "solve_quadratic",
    "track_options",
    "LogisticFit",
    "LogisticPath",
    "logistic_path",
    "mllib_sample_std",
    "reg_param_max",
    "trainings_from_arrays",
    "warm_grid",
]

#: glmnet's path end: minimum number of path points, maximum deviance ratio, minimum gain
PATH_MIN_POINTS = 5
DEV_RATIO_MAX = 0.999
DEV_RATIO_MIN_GAIN = 1e-5
#: Armijo constant and the maximum number of step halvings per regParam
ARMIJO = 1e-4
MAX_HALVINGS = 30
#: the quadratic sub-problems are solved to this fraction of the outer tolerance
SUB_TOL_FRACTION = 1e-4
#: relative ridge added to each curvature model (keeps it positive definite)
RIDGE_DAMPING = 1e-10
#: a candidate whose full Newton step predicted a decrease of at most this fraction of its
#: tolerance gets no curvature of its own in the next pass: if it is not certified there, its
#: next step reuses its step's base curvature (the point moved too little for the curvature to
#: change; the gradient, objective and certificate are still exact)
CURVATURE_REUSE_FRACTION = 1.0
#: glmnet's floor on elasticNetParam when computing regParam_max of a (near-)ridge path
MIN_L1_FOR_GRID = 1e-3
#: the warm path to regParam = 0 stops at this fraction of regParam_max before the last step
WARM_ZERO_RATIO = 1e-4


# ================================================================================ training data
@dataclass(frozen=True)
class BinomialTraining:
    """One model's training rows as the statistics pass summarizes them.

    ``stats`` the training rows' :class:`SuffStats` (label in {0, 1}), ``weight_sq_sum`` their
    ``Σ w²`` (for MLlib's sample standard deviation), ``heldout`` the held-out fold's
    statistics (CV models) and ``fold`` its id (−1: the model of all rows).
    """

    stats: SuffStats
    weight_sq_sum: float
    heldout: SuffStats | None = None
    fold: int = -1


def mllib_sample_std(stats: SuffStats, weight_sq_sum: float) -> np.ndarray:
    """MLlib's feature std: ``√(Σ w (x − μ)² / (W − Σ w² / W))`` (0 if the denominator is not
    positive or the feature is constant)."""
    W = stats.weight_sum
    denom = W - weight_sq_sum / W if W > 0 else 0.0
    if not denom > 0.0:
        return np.zeros(stats.n_features)
    return np.sqrt(stats.var_x * (W / denom))


def trainings_from_arrays(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray | None = None,
    fold: np.ndarray | None = None,
    num_folds: int = 0,
) -> list[BinomialTraining]:
    """``[full, fold 0, …, fold K−1]`` trainings from numpy arrays (tests, small data)."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    w = np.ones(X.shape[0]) if w is None else np.asarray(w, dtype=np.float64)
    out = [BinomialTraining(SuffStats.from_arrays(X, y, w), float(w @ w))]
    for k in range(num_folds):
        tr = fold != k
        out.append(
            BinomialTraining(
                SuffStats.from_arrays(X[tr], y[tr], w[tr]),
                float(w[tr] @ w[tr]),
                SuffStats.from_arrays(X[~tr], y[~tr], w[~tr]),
                k,
            )
        )
    return out


# ================================================================================ one model's space
@dataclass
class Curvature:
    """The quadratic part at one point, model coordinates, usable features: ``s0 = Σu/W``,
    ``xbar`` the ``u``-weighted mean of ``x̃``, ``G`` the centered (no intercept: raw)
    ``Σ u x̃x̃ᵀ / W``."""

    s0: float
    xbar: np.ndarray
    G: np.ndarray


@dataclass
class PointEval:
    """A point (model coordinates, usable features) with the exact quantities of one pass."""

    b: float
    beta: np.ndarray
    f: float
    g0: float
    g: np.ndarray
    curv: Curvature
    heldout: tuple[float, float, float, np.ndarray | None] | None  # dev, Σw, miss, hist
    n_pass: int
    extra: tuple[float, ...] | None = None  # a family's further certificate sums


def curvature_from_sums(Ws: float, S0: float, s1: np.ndarray, S2: np.ndarray,
                        idx: np.ndarray, D: np.ndarray, e: np.ndarray, fit_intercept: bool
                        ) -> Curvature:
    """A :class:`Curvature` in model coordinates ``x̃ = D z + e`` (usable features ``idx``)
    from the pass sums ``Ws = Σw, S0 = Σu, s1 = Σuz, S2 = Σuzzᵀ`` over a row subsample
    (normalized by its weight ``Ws``); with an intercept ``G`` is centered (shift-invariant:
    centered in z, then scaled), without it is the raw second moment."""
    s1 = s1[idx]
    S2 = S2[np.ix_(idx, idx)]
    S2 = 0.5 * (S2 + S2.T)
    if fit_intercept:
        C = S2 - np.outer(s1, s1) / S0
        return Curvature(S0 / Ws, D * (s1 / S0) + e, (D[:, None] * C * D[None, :]) / Ws)
    Ds1 = D * s1
    M = D[:, None] * S2 * D[None, :] + np.outer(Ds1, e) + np.outer(e, Ds1)
    M += S0 * np.outer(e, e)
    return Curvature(S0 / Ws, (Ds1 + S0 * e) / S0, M / Ws)


def block_newton_steps(
    b: float, beta: np.ndarray, g0: float, g: np.ndarray, curv: Curvature, lams: np.ndarray,
    l1_ratio: float, tol_abs: float, fit_intercept: bool,
) -> list[tuple[float, np.ndarray, float]]:
    """The proximal Newton steps of one coefficient block ``(b, β)`` (a binomial model, one
    class of a multinomial one) on its quadratic model ``g0 δb + gᵀδβ + ½ (δb, δβ)ᵀ H (δb,
    δβ)``: the intercept eliminated by centering, the rest by :func:`solve_quadratic` at each
    ``λ`` of the decreasing ``lams``. Each step is ``(δb, δβ, D)`` with ``D = g0 δb + gᵀδβ +
    h(β + δβ) − h(β)`` (Armijo's predicted decrease)."""
    gt = g - curv.xbar * g0 if fit_intercept else g
    G, yy, c = least_squares_form(curv.G, beta, gt)
    B = solve_quadratic(G, c, yy, lams, l1_ratio, tol_abs)
    out = []
    for lam, beta_new in zip(lams, B):
        dbeta = beta_new - beta
        db = -g0 / curv.s0 - float(curv.xbar @ dbeta) if fit_intercept else 0.0
        h0 = elastic_net_penalty(beta, float(lam), l1_ratio)
        decrease = (g0 * db + float(g @ dbeta) + elastic_net_penalty(beta_new, float(lam), l1_ratio)
                    - h0)
        out.append((db, dbeta, decrease))
    return out


class _Space:
    """Coordinates of one model: training statistics, scaling, null model, pass conversion."""

    def __init__(
        self,
        tr: BinomialTraining,
        center: np.ndarray,
        scale: np.ndarray,
        standardize: bool,
        fit_intercept: bool,
    ) -> None:
        s = tr.stats
        self.training = tr
        self.fold = int(tr.fold)
        self.fit_intercept = bool(fit_intercept)
        self.W = float(s.weight_sum)
        self.ybar = float(s.mean_y + s.mean_y_lo)
        p = s.n_features
        std = mllib_sample_std(s, tr.weight_sq_sum)
        self.usable = np.flatnonzero((s.var_x > 0.0) & (std > 0.0))
        self.threshold_margin = 0.0  # logit(threshold), set by logistic_path
        self.auc_bins = 0
        idx = self.usable
        a = np.ones(p)
        if standardize:
            a[idx] = std[idx]
        self.a = a  # x̃ = (x − μ)/a
        mean = s.mean_x + s.mean_x_lo
        self.mu = mean if fit_intercept else np.zeros(p)
        self.D = scale[idx] / a[idx]  # x̃ = D z + e on the usable features
        self.e = (center[idx] - self.mu[idx]) / a[idx]
        cxy = s.cxy[idx] / (self.W * a[idx])  # X̃ᵀW(y − ȳ)/W
        cxx = s.cxx[np.ix_(idx, idx)] / (self.W * np.outer(a[idx], a[idx]))
        if fit_intercept:
            self.f_null = float(binary_entropy(self.ybar))
            v = self.ybar * (1.0 - self.ybar)
            self.b_null = math.log(self.ybar / (1.0 - self.ybar))
            self.g_null = -cxy
            self.g_const: np.ndarray | None = -cxy
            self.curv_null = Curvature(v, np.zeros(idx.size), v * cxx)
        else:
            m = mean[idx] / a[idx]
            self.f_null = math.log(2.0)
            self.b_null = 0.0
            self.g_null = 0.5 * m - (cxy + m * self.ybar)
            self.g_const = None
            self.curv_null = Curvature(0.25, m, 0.25 * (cxx + np.outer(m, m)))

    @property
    def q(self) -> int:
        return int(self.usable.size)

    def null_eval(self) -> PointEval:
        """The null model with its exact pass quantities (no pass needed)."""
        held = None
        h = self.training.heldout
        if h is not None and h.weight_sum > 0.0:
            p0 = 1.0 / (1.0 + math.exp(-self.b_null))
            yh = float(h.mean_y + h.mean_y_lo)
            pc = min(max(p0, CV_PROB_MIN), 1.0 - CV_PROB_MIN)
            dev = -h.weight_sum * (yh * math.log(pc) + (1.0 - yh) * math.log(1.0 - pc))
            pos = self.b_null > self.threshold_margin  # the constant prediction
            miss = h.weight_sum * ((1.0 - yh) if pos else yh)
            hist = None
            if self.auc_bins > 0:  # one constant score: all the weight in one bin
                hist = np.zeros((2, self.auc_bins + 2))
                j = int(bin_index(np.array([self.b_null]), self.auc_bins, self.b_null)[0])
                hist[0, j], hist[1, j] = h.weight_sum * (1.0 - yh), h.weight_sum * yh
            held = (dev, h.weight_sum, miss, hist)
        g0 = 0.0 if self.fit_intercept else 0.5 - self.ybar
        return PointEval(self.b_null, np.zeros(self.q), self.f_null, g0, self.g_null.copy(),
                     self.curv_null, held, 0)

    def lambda_max(self, l1_ratio: float) -> float:
        """Smallest regParam at which β = 0 is optimal (glmnet floors α at 1e-3 for the grid)."""
        return float(np.abs(self.g_null).max(initial=0.0)) / max(l1_ratio, MIN_L1_FOR_GRID)

    # ---------------------------------------------------------------- conversions
    def to_pass(self, b: float, beta: np.ndarray) -> tuple[float, np.ndarray]:
        """Pass coordinates ``(b_z, β_z)`` of a point (all p features)."""
        coef = np.zeros(self.a.shape[0])
        coef[self.usable] = self.D * beta
        return b + float(self.e @ beta), coef

    def original(self, b: float, beta: np.ndarray) -> tuple[float, np.ndarray]:
        """``(intercept, coefficients)`` on the original feature scale."""
        coef = np.zeros(self.a.shape[0])
        coef[self.usable] = beta / self.a[self.usable]
        return b - float(self.mu @ coef), coef

    def standardized(self, beta: np.ndarray) -> np.ndarray:
        out = np.zeros(self.a.shape[0])
        out[self.usable] = beta
        return out

    def curvature(self, res: PassResult, slot: int) -> Curvature:
        """The curvature of Hessian block ``slot`` of a pass (its row subsample, normalized by
        the subsample's weight), in model coordinates."""
        return curvature_from_sums(float(res.hess_wsum[slot]), float(res.hess_s0[slot]),
                                   res.hess_s1[slot], res.hess_s2[slot], self.usable, self.D,
                                   self.e, self.fit_intercept)

    def certificate(self, E: PointEval, lam: float, l1_ratio: float) -> tuple[float, float]:
        """``(duality gap, KKT residual)`` of ``E`` at ``lam``."""
        return binomial_duality_gap(E.f, E.g0, E.g, E.b, E.beta, lam, l1_ratio, self.ybar,
                                    self.g_const)

    @staticmethod
    def penalty(beta: np.ndarray, lam: float, l1_ratio: float) -> float:
        """The penalty of ``beta`` at ``lam`` (the elastic net's)."""
        return elastic_net_penalty(beta, lam, l1_ratio)

    def newton_steps(self, E: PointEval, lams: np.ndarray, l1_ratio: float, tol_abs: float
                     ) -> list[tuple[float, np.ndarray, float]]:
        """``(δb, δβ, predicted decrease)`` of the proximal Newton step from ``E`` at each of
        the decreasing ``lams`` (:func:`block_newton_steps`)."""
        return block_newton_steps(E.b, E.beta, E.g0, E.g, E.curv, lams, l1_ratio, tol_abs,
                                  self.fit_intercept)

    def evaluation(self, res: PassResult, t: int, b: float, beta: np.ndarray,
                   curv: Curvature, n_pass: int) -> PointEval:
        """Point ``t`` of a pass, in model coordinates."""
        sc, W = res.scalars, self.W
        wsum = float(sc["wsum"][t])
        if not math.isclose(wsum, W, rel_tol=1e-9, abs_tol=1e-12):
            raise RuntimeError(
                f"a pass summed weight {wsum!r} over the training rows of fold {self.fold}, the "
                f"statistics pass {W!r}: the input changed between passes (cache it or make "
                "it deterministic)"
            )
        g0 = float(sc["g0"][t])
        g = (self.D * res.grad[t][self.usable] + self.e * g0) / W
        held = None
        if self.fold >= 0:
            hist = None if res.hist is None else res.hist[t].copy()
            held = (float(sc["heldout_dev"][t]), float(sc["heldout_wsum"][t]),
                    float(sc["heldout_miss"][t]), hist)
        return PointEval(b, beta, float(sc["dev"][t]) / W, g0 / W, g, curv, held, n_pass)


# ================================================================================ one regParam
@dataclass
class _Step:
    base: PointEval
    db: float
    dbeta: np.ndarray
    decrease: float  # predicted decrease D < 0 of the full step (Armijo)
    t: float = 1.0
    halvings: int = 0


@dataclass
class _Lambda:
    lam: float
    tol_abs: float
    anchor: PointEval | None = None
    step: _Step | None = None
    cand: tuple[float, np.ndarray] | None = None
    n_iter: int = 0
    done: bool = False
    converged: bool = False
    gap: float = math.inf
    kkt: float = math.inf


def positive_definite(G: np.ndarray) -> bool:
    """Whether ``G`` (plus the solver's damping) has a Cholesky factor."""
    if G.shape[0] == 0:
        return True
    scale = float(np.mean(np.diag(G)))
    if not scale > 0.0:
        return False
    try:
        np.linalg.cholesky(G + RIDGE_DAMPING * scale * np.eye(G.shape[0]))
    except np.linalg.LinAlgError:
        return False
    return True


def least_squares_form(
    H: np.ndarray, beta: np.ndarray, grad: np.ndarray
) -> tuple[np.ndarray, float, np.ndarray]:
    """``(G, yy, c)`` with ``½yy − cᵀb + ½bᵀGb = ½(b − β)ᵀG(b − β) + gradᵀ(b − β) + const``
    and ``yy = cᵀG⁻¹c``: the quadratic model as a least-squares problem whose residual can
    vanish, which is what the Gram solver's duality gap needs. ``G`` is ``H`` with a tiny ridge
    (a valid, positive definite curvature model) so that the Cholesky factor exists."""
    q = H.shape[0]
    if q == 0:
        return H, 0.0, np.zeros(0)
    scale = float(np.mean(np.diag(H)))
    damp = RIDGE_DAMPING * (scale if scale > 0.0 else 1.0)
    for _ in range(8):
        G = H + damp * np.eye(q)
        try:
            L = np.linalg.cholesky(G)
            break
        except np.linalg.LinAlgError:
            damp *= 1e3
    else:  # pragma: no cover - H is a Gram matrix: some damping always works
        raise np.linalg.LinAlgError("curvature matrix is not positive semi-definite")
    c = G @ beta - grad
    v = np.linalg.solve(L, c)  # ‖L⁻¹c‖² = cᵀG⁻¹c
    return G, float(v @ v) * (1.0 + 1e-12), c


def solve_quadratic(
    G: np.ndarray, c: np.ndarray, yy: float, lams: np.ndarray, l1_ratio: float, tol_abs: float,
    class_groups: int = 0, coef_init: np.ndarray | None = None,
) -> np.ndarray:
    """``argmin ½yy − cᵀb + ½bᵀGb + λ(α‖b‖₁ + (1−α)/2‖b‖²)`` for each λ of the decreasing
    ``lams``: ``(len(lams), q)``. Lasso / elastic net by the core's Gram solver; ridge and
    λ = 0 by a linear solve. With ``class_groups = K > 0`` the coefficients are ``K`` class
    blocks of ``q/K`` features (class-major) and the penalty is the grouped multinomial one,
    ``λ Σ_j (α‖b_j‖₂ + (1−α)/2‖b_j‖²)`` over each feature's ``K`` coefficients ``b_j``: the
    core's group lasso (:mod:`lasso_spark.core.penalties`, solved in :mod:`lasso_spark.core.bcd`;
    its group weight is ``√K``, so it runs at ``λ/√K``). ``coef_init`` (lasso / elastic net
    only, ignored with ``class_groups``): a warm start for the first λ (the current iterate of
    a Newton step, whose support is usually the step's), instead of the path from ``b = 0``;
    the same certificate."""
    q = c.shape[0]
    out = np.zeros((lams.shape[0], q))
    if q == 0:
        return out
    pos = lams > 0.0
    if l1_ratio > 0.0 and pos.any():
        from lasso_spark.core.path import ConvergenceWarning, enet_path

        structure, unit = None, 1.0
        if class_groups > 0:
            from lasso_spark.core.penalties import StructuredPenalty

            K = int(class_groups)
            nf = q // K
            structure = StructuredPenalty.make(
                q, groups=[[k * nf + j for k in range(K)] for j in range(nf)])
            unit = math.sqrt(K)
        st = SuffStats(n_rows=q + 2, weight_sum=1.0, mean_x=np.zeros(q), mean_y=0.0, cxx=G,
                       cxy=c, cyy=max(yy, 1e-300))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = enet_path(st, alphas=lams[pos] / unit, l1_ratio=l1_ratio, fit_intercept=True,
                            standardize=False, tol=max(tol_abs / max(yy, 1e-300), 1e-16),
                            max_iter=20_000, structure=structure,
                            coef_init=coef_init if structure is None else None)
        out[pos] = res.coef_std
    for i in np.flatnonzero(~pos | (l1_ratio <= 0.0)):
        lam = float(lams[i])
        if lam > 0.0:
            out[i] = np.linalg.solve(G + lam * np.eye(q), c)
        else:
            out[i] = np.linalg.lstsq(G, c, rcond=None)[0]
    return out


# ================================================================================ results
@dataclass(frozen=True)
class LogisticPath:
    """One model's path. Arrays are indexed by regParam (decreasing), then feature.

    ``coef``/``intercept`` on the original feature scale, ``coef_std`` on the scale the penalty
    applies to; ``log_loss`` the mean training log-loss ``f`` (deviance ``2Wf``),
    ``objective`` ``F``, ``dev_ratio = 1 − f / f_null``; ``duality_gap`` and ``kkt_residual``
    as certified at that regParam's solution, ``n_iter`` its outer iterations (passes),
    ``converged``. Held-out metrics (CV models; NaN otherwise): ``heldout_deviance`` the mean
    clipped deviance per unit of held-out weight (cv.glmnet's), ``heldout_misclassification``,
    ``heldout_auc`` (from score histograms) and ``heldout_auc_bound`` (bound on the histogram's
    error). ``feature_scale`` is ``a`` (the model's standardization; 1 without).
    """

    fold: int
    reg_params: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    coef_std: np.ndarray
    log_loss: np.ndarray
    objective: np.ndarray
    dev_ratio: np.ndarray
    duality_gap: np.ndarray
    kkt_residual: np.ndarray
    n_iter: np.ndarray
    converged: np.ndarray
    heldout_deviance: np.ndarray
    heldout_misclassification: np.ndarray
    heldout_auc: np.ndarray
    heldout_auc_bound: np.ndarray
    feature_scale: np.ndarray
    null_log_loss: float
    reg_param_max: float

    @property
    def n_reg_params(self) -> int:
        return int(self.reg_params.shape[0])


@dataclass(frozen=True)
class LogisticFit:
    """Paths of every model (``paths[0]`` the model of all rows, then the CV folds'), the
    number of data passes they took, and per pass the number of points and Hessians."""

    paths: list[LogisticPath]
    n_passes: int
    pass_points: list[int] = field(default_factory=list)
    pass_hessians: list[int] = field(default_factory=list)
    path_ended_early: bool = False


# ================================================================================ the driver
@dataclass(frozen=True)
class PathOptions:
    l1_ratio: float
    max_iter: int
    in_flight: int
    threshold_margin: float
    auc_bins: int
    early_stop: bool
    hessian_stride: int = 1


class PathTrack:
    """One model's regParams: a window of at most ``in_flight`` of them in flight at a time."""

    def __init__(self, space: _Space, grid: np.ndarray, tols: np.ndarray, opts: PathOptions):
        self.space = space
        self.opts = opts
        self.lams = [_Lambda(float(lam), float(t)) for lam, t in zip(grid, tols)]
        self.entered = 0
        self.end = len(self.lams)
        self.checked = -1
        self.null = space.null_eval()

    # ---------------------------------------------------------------- window
    def active(self) -> list[int]:
        return [k for k in range(min(self.entered, self.end)) if not self.lams[k].done]

    def _base(self, k: int) -> PointEval:
        """The latest evaluated iterate of the nearest regParam before ``k`` (or the null)."""
        for j in range(k - 1, -1, -1):
            if self.lams[j].anchor is not None:
                return self.lams[j].anchor
        return self.null

    def fill(self) -> None:
        """Let regParams enter the window: each is first certified at its base (no pass when the
        base is already optimal, e.g. the null model above λ_max), else given one Newton step."""
        while self.entered < self.end and len(self.active()) < self.opts.in_flight:
            k = self.entered
            base = self._base(k)
            self.entered += 1
            lam = self.lams[k]
            if self._certify(lam, base, only_if_certified=True):
                continue
            # every regParam entering with the same base shares one warm-started path solve
            ks = [k]
            while (self.entered < self.end and len(self.active()) < self.opts.in_flight
                   and self._base(self.entered) is base):
                ks.append(self.entered)
                self.entered += 1
            self._newton(ks, base)

    def needs_curvature(self, k: int) -> bool:
        """Whether regParam ``k``'s candidate needs a curvature from the next pass: not when
        it is a full step whose predicted decrease is at most ``CURVATURE_REUSE_FRACTION`` of
        its tolerance (its step's base curvature is then reused, see :meth:`reused_curvature`).
        """
        lam = self.lams[k]
        st = lam.step
        return st is None or st.t < 1.0 or -st.decrease > CURVATURE_REUSE_FRACTION * lam.tol_abs

    def reused_curvature(self, k: int) -> Curvature:
        """The curvature a candidate without one of its own carries: its step's base's."""
        return self.lams[k].step.base.curv

    # ---------------------------------------------------------------- one evaluation
    def _certify(self, lam: _Lambda, E: PointEval, only_if_certified: bool = False) -> bool:
        """Record ``E`` as ``lam``'s iterate if it is accepted; True when ``lam`` is done."""
        gap, kkt = self.space.certificate(E, lam.lam, self.opts.l1_ratio)
        ok = (gap <= lam.tol_abs) if lam.lam > 0.0 else (kkt <= lam.tol_abs)
        if only_if_certified and not ok:
            return False
        lam.anchor, lam.gap, lam.kkt = E, gap, kkt
        if ok:
            lam.done, lam.converged, lam.step, lam.cand = True, True, None, None
        return ok

    def receive(self, k: int, E: PointEval) -> None:
        """The pass's evaluation of regParam ``k``'s candidate."""
        lam = self.lams[k]
        lam.n_iter += 1
        st = lam.step
        l1r = self.opts.l1_ratio
        accept = lam.anchor is None or st is None
        if not accept:
            F_new = E.f + self.space.penalty(E.beta, lam.lam, l1r)
            F_old = st.base.f + self.space.penalty(st.base.beta, lam.lam, l1r)
            slack = 1e-14 * max(abs(F_old), 1.0)
            accept = F_new <= F_old + ARMIJO * st.t * st.decrease + slack
        if accept:
            if self._certify(lam, E):
                return
        elif self._certify(lam, E, only_if_certified=True):  # a rejected step may still be optimal
            return
        if lam.n_iter >= self.opts.max_iter:
            lam.done, lam.cand = True, None
            return
        if accept:
            self._newton([k], lam.anchor)
            frac = getattr(self.space, "newton_decrement_stop", 0.0)
            if frac > 0.0 and -lam.step.decrease <= frac * lam.tol_abs:
                # the Newton decrement certifies it (where the space's duality bound is loose)
                lam.done, lam.converged, lam.step, lam.cand = True, True, None, None
        else:
            st.t *= 0.5
            st.halvings += 1
            if st.halvings > MAX_HALVINGS:
                lam.done, lam.cand = True, None
                return
            lam.cand = (st.base.b + st.t * st.db, st.base.beta + st.t * st.dbeta)

    def _newton(self, ks: list[int], E: PointEval) -> None:
        """Proximal Newton step from ``E`` (its gradient and curvature) for each ``k``
        (the space's :meth:`newton_steps`)."""
        lams = np.array([self.lams[k].lam for k in ks])
        tol_abs = SUB_TOL_FRACTION * min(self.lams[k].tol_abs for k in ks)
        steps = self.space.newton_steps(E, lams, self.opts.l1_ratio, tol_abs)
        for k, (db, dbeta, decrease) in zip(ks, steps):
            self.lams[k].step = _Step(E, db, dbeta, min(decrease, 0.0))
            self.lams[k].cand = (E.b + db, E.beta + dbeta)

    # ---------------------------------------------------------------- path end (glmnet)
    def check_end(self) -> bool:
        """Truncate the grid where glmnet's path ends; True if it just did."""
        if not self.opts.early_stop:
            return False
        f0 = self.space.f_null
        while self.checked + 1 < self.end and self.lams[self.checked + 1].done:
            k = self.checked = self.checked + 1
            if k < PATH_MIN_POINTS - 1:
                continue
            dr = 1.0 - self.lams[k].anchor.f / f0
            prev = 1.0 - self.lams[k - 1].anchor.f / f0
            if dr > DEV_RATIO_MAX or dr - prev < DEV_RATIO_MIN_GAIN:
                self.end = k + 1
                return True
        return False


def reg_param_max(
    training: BinomialTraining, l1_ratio: float = 1.0, *, standardize: bool = True,
    fit_intercept: bool = True,
) -> float:
    """Smallest regParam at which the model of ``training`` has every coefficient 0 (with
    ``l1_ratio`` floored at 1e-3, glmnet's convention for near-ridge paths)."""
    st = training.stats
    center = st.mean_x + st.mean_x_lo
    scale = np.where(st.std_x > 0.0, st.std_x, 1.0)
    return _Space(training, center, scale, standardize, fit_intercept).lambda_max(l1_ratio)


def warm_grid(lam_max: float, lam: float) -> np.ndarray:
    """The warm-start grid of :func:`lasso_spark.core.grid.warm_grid` from ``lam_max`` to
    ``lam``; for ``lam = 0`` (MLlib's default regParam, which has no log grid) it goes down to
    ``WARM_ZERO_RATIO · lam_max`` and then to 0."""
    lam = float(lam)
    if lam > 0.0 or not (np.isfinite(lam_max) and lam_max > 0.0):
        return positive_warm_grid(lam_max, lam)
    return np.append(positive_warm_grid(lam_max, lam_max * WARM_ZERO_RATIO), 0.0)


def path_grid(
    full: _Space, trainings: Sequence[BinomialTraining], reg_params: Sequence[float] | None,
    n_reg_params: int, ratio: float | None, l1_ratio: float,
) -> tuple[np.ndarray, float]:
    """The decreasing regParam grid (explicit, or glmnet's from the full model's λ_max,
    :func:`lasso_spark.core.grid.default_grid`). An explicit grid may end at 0 (the warm path
    of a fit at regParam 0)."""
    lam_max = full.lambda_max(l1_ratio)
    if reg_params is not None:
        values = np.asarray(reg_params, dtype=np.float64).ravel()
        zero = values.size > 0 and bool(np.all(values[np.isfinite(values)] >= 0.0)
                                        and np.any(values == 0.0))
        try:
            grid = decreasing_alphas(values[values != 0.0] if zero else values)
        except ValueError as exc:
            raise ValueError(f"reg_params (regParams): {exc}") from None
        return (np.append(grid, 0.0) if zero else grid), lam_max
    st = trainings[0].stats
    return default_grid(lam_max, int(n_reg_params), ratio, st.n_rows, st.n_features), lam_max


def _check_classes(trainings: Sequence[BinomialTraining]) -> None:
    for tr in trainings:
        s = tr.stats
        ybar = float(s.mean_y + s.mean_y_lo)
        if not s.weight_sum > 0.0:
            raise DataError(f"the training rows of fold {tr.fold} have zero total weight")
        if not 0.0 < ybar < 1.0:
            what = "all rows" if tr.fold < 0 else f"the training rows without fold {tr.fold}"
            raise DataError(
                f"the label has one class only in {what} (weighted mean {ybar:g}): a logistic "
                "model needs both 0 and 1"
            )


def logistic_path(
    trainings: Sequence[BinomialTraining],
    evaluate: Callable[[PassRequest], PassResult],
    *,
    center: np.ndarray | None = None,
    scale: np.ndarray | None = None,
    num_folds: int = 0,
    reg_params: Sequence[float] | None = None,
    n_reg_params: int = 100,
    reg_param_min_ratio: float | None = None,
    l1_ratio: float = 1.0,
    standardize: bool = True,
    fit_intercept: bool = True,
    tol: float = 1e-8,
    path_tol: float | None = None,
    max_iter: int = 100,
    in_flight: int = 8,
    threshold: float = 0.5,
    auc_bins: int = 0,
    early_stop: bool | None = None,
    hessian_rows: int = 25_000,
    warm_only: Sequence[bool] | None = None,
) -> LogisticFit:
    """Logistic elastic-net paths of every model in ``trainings`` (``[0]`` the model of all rows,
    the others CV models holding out their ``fold``), one data pass per outer iteration.

    ``evaluate(request)`` runs one pass (:func:`lasso_spark.core.binomial.numpy_pass`, or the
    Spark pass). ``center``/``scale`` set the pass coordinates (default: the full data's mean
    and population std). Grid: ``reg_params`` (solved to the end), else ``n_reg_params``
    values from the full model's ``λ_max`` down to ``λ_max · ratio`` (glmnet's default ratio;
    the path may end early, see the module docstring; ``early_stop`` overrides). ``tol``:
    duality gap ≤ ``tol · H(ȳ)`` (module docstring); ``path_tol`` the tolerance of the
    regParams marked ``warm_only`` (only warm starts for the others; default: all but the
    last when ``path_tol`` is given). ``max_iter``: outer iterations per
    regParam. ``in_flight``: regParams per model advanced in the same pass. ``threshold``:
    probability above which the prediction is 1 (held-out misclassification). ``auc_bins``:
    histogram bins for the held-out AUC (0: none).
    """
    if not trainings:
        raise ValueError("logistic_path needs at least one training set")
    _check_classes(trainings)
    l1_ratio = check_path_arguments(l1_ratio, tol, max_iter, in_flight)
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [0, 1], got {threshold}")
    full = trainings[0].stats
    center, scale = pass_coordinates(full, center, scale)
    spaces = [_Space(tr, center, scale, standardize, fit_intercept) for tr in trainings]
    grid, lam_max = path_grid(spaces[0], trainings, reg_params, n_reg_params,
                              reg_param_min_ratio, l1_ratio)
    margin = (math.inf if threshold >= 1.0 else -math.inf if threshold <= 0.0
              else math.log(threshold / (1.0 - threshold)))
    opts = PathOptions(l1_ratio, int(max_iter), int(in_flight), margin, int(auc_bins),
                       reg_params is None if early_stop is None else bool(early_stop),
                       max(1, int(full.n_rows) // max(int(hessian_rows), 1)))
    for sp in spaces:
        sp.threshold_margin, sp.auc_bins = margin, int(auc_bins)
    tracks = path_tracks(spaces, grid, tol, path_tol, warm_only, opts)
    fit = _run(tracks, evaluate, center, scale, int(num_folds), opts)
    paths = [_path_of(t, lam_max) for t in tracks]
    return LogisticFit(paths, fit[0], fit[1], fit[2], tracks[0].end < grid.shape[0])


def check_path_arguments(l1_ratio: float, tol: float, max_iter: int, in_flight: int) -> float:
    """Check a path's common arguments (either family); returns ``l1_ratio`` as a float."""
    l1_ratio = float(l1_ratio)
    if not 0.0 <= l1_ratio <= 1.0:
        raise ValueError(f"l1_ratio (elasticNetParam) must be in [0, 1], got {l1_ratio}")
    if not (np.isfinite(tol) and tol > 0.0):
        raise ValueError(f"tol must be a positive number, got {tol}")
    if int(max_iter) < 1 or int(in_flight) < 1:
        raise ValueError("max_iter and in_flight must be >= 1")
    return l1_ratio


def pass_coordinates(full: SuffStats, center: np.ndarray | None, scale: np.ndarray | None
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The pass coordinates ``z = (x − center)/scale`` (default: the full data's mean and
    population std, 1 for constant features)."""
    if center is None:
        center = full.mean_x + full.mean_x_lo
    if scale is None:
        sd = full.std_x
        scale = np.where(sd > 0.0, sd, 1.0)
    return np.asarray(center, dtype=np.float64), np.asarray(scale, dtype=np.float64)


def path_tracks(spaces: Sequence, grid: np.ndarray, tol: float, path_tol: float | None,
                warm_only: Sequence[bool] | None, opts: PathOptions) -> list[PathTrack]:
    """One :class:`PathTrack` per model space on ``grid``: tolerance ``tol`` relative to the
    model's null objective (absolute at regParam 0), ``path_tol`` for the regParams marked
    ``warm_only`` (default: all but the last when ``path_tol`` is given)."""
    tracks = []
    for i, sp in enumerate(spaces):
        rel = np.full(grid.shape[0], float(tol))
        if path_tol is not None:
            loose = np.arange(grid.shape[0]) < grid.shape[0] - 1
            if warm_only is not None:
                loose = np.asarray(warm_only, dtype=bool)
                if loose.shape != grid.shape:
                    raise ValueError(f"warm_only has {loose.size} flags for {grid.size} values")
            rel[loose] = float(path_tol)
        tols = np.where(grid > 0.0, rel * sp.f_null, rel)
        tracks.append(PathTrack(sp, grid, tols, track_options(opts, i)))
    return tracks


def track_options(opts: PathOptions, model_index: int) -> PathOptions:
    """Options of one track: only the full model (index 0) ends the path early."""
    if model_index == 0 or not opts.early_stop:
        return opts
    return PathOptions(opts.l1_ratio, opts.max_iter, opts.in_flight, opts.threshold_margin,
                    opts.auc_bins, False, opts.hessian_stride)


def _run(
    tracks: list[PathTrack],
    evaluate: Callable[[PassRequest], PassResult],
    center: np.ndarray,
    scale: np.ndarray,
    num_folds: int,
    opts: PathOptions,
) -> tuple[int, list[int], list[int]]:
    """The pass loop: fill windows, evaluate every candidate in one pass, update, repeat."""
    n_pass = 0
    points_log: list[int] = []
    hess_log: list[int] = []
    p = center.shape[0]
    st = tracks[0].space.training.stats
    cov_z = st.cxx / (st.weight_sum * np.outer(scale, scale))  # covariance of z on all rows
    for t in tracks:
        t.fill()
    while True:
        if tracks[0].check_end():
            for t in tracks[1:]:
                t.end = min(t.end, tracks[0].end)
        owners: list[tuple[int, int]] = []
        for i, t in enumerate(tracks):
            owners += [(i, k) for k in t.active()]
        if not owners:
            break
        T = len(owners)
        fold = np.empty(T, dtype=np.int64)
        b = np.empty(T)
        coef = np.empty((T, p))
        for j, (i, k) in enumerate(owners):
            fold[j] = tracks[i].space.fold
            b[j], coef[j] = tracks[i].space.to_pass(*tracks[i].lams[k].cand)
        # every point that may need one gets its own (subsampled) curvature, and one of them
        # per model the exact one
        hessian = np.array([tracks[i].needs_curvature(k) for i, k in owners], dtype=bool)
        full = np.zeros(T, dtype=bool)
        seen: set[int] = set()
        for j, (i, _k) in enumerate(owners):
            if hessian[j] and i not in seen:
                seen.add(i)
                full[j] = opts.hessian_stride > 1
        spread = None
        if opts.auc_bins:  # histogram range: each point's score spread on the full data
            spread = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", coef, cov_z, coef), 0.0))
        req = PassRequest(center, scale, fold, b, coef, hessian, opts.hessian_stride,
                          full if full.any() else None, num_folds, opts.threshold_margin,
                          opts.auc_bins, spread, curvature_float32=True)
        res = evaluate(req)
        n_pass += 1
        points_log.append(T)
        hess_log.append(int(full.sum()))
        sub_slot, full_slot = req.hessian_slots()
        anchor: dict[int, tuple[Curvature, Curvature]] = {}
        for j in np.flatnonzero(full):
            sp = tracks[owners[j][0]].space
            anchor[owners[j][0]] = (sp.curvature(res, int(full_slot[j])),
                                    sp.curvature(res, int(sub_slot[j])))
        for j, (i, k) in enumerate(owners):
            t = tracks[i]
            cb, cbeta = t.lams[k].cand
            if not hessian[j]:
                t.receive(k, t.space.evaluation(res, j, cb, cbeta, t.reused_curvature(k),
                                                n_pass))
                continue
            curv = t.space.curvature(res, int(sub_slot[j]))
            if i in anchor:  # control variate: exact at the anchor, subsampled differences
                exact, approx = anchor[i]
                cv = Curvature(exact.s0 + curv.s0 - approx.s0,
                                exact.xbar + curv.xbar - approx.xbar,
                                exact.G + curv.G - approx.G)
                if cv.s0 > 0.0 and positive_definite(cv.G):
                    curv = cv
            t.receive(k, t.space.evaluation(res, j, cb, cbeta, curv, n_pass))
        for t in tracks:
            t.fill()
    logger.info("logistic path: %d passes, %d points evaluated", n_pass, sum(points_log))
    return n_pass, points_log, hess_log


def _heldout_metrics(sp: _Space, E: PointEval) -> tuple[float, float, float, float]:
    """``(mean deviance, misclassification rate, AUC, AUC bound)`` of ``E`` on the held-out
    fold (NaN for the model of all rows)."""
    if E.heldout is None:
        return (math.nan,) * 4
    dev, wsum, miss, hist = E.heldout
    if not wsum > 0.0:
        return (math.nan,) * 4
    if hist is None:  # the null model: one constant score, every pair tied
        auc, bound = 0.5, 0.5
    else:
        a, bd = auc_from_histograms(hist)
        auc, bound = float(a), float(bd)
    return 2.0 * dev / wsum, miss / wsum, auc, bound


def _path_of(t: PathTrack, lam_max: float) -> LogisticPath:
    sp = t.space
    lams = t.lams[: t.end]
    m, p = len(lams), sp.a.shape[0]
    arrays = {k: np.full(m, np.nan) for k in ("b", "f", "F", "gap", "kkt", "hd", "hm", "ha",
                                              "hb")}
    coef, coef_std = np.zeros((m, p)), np.zeros((m, p))
    n_iter = np.zeros(m, dtype=np.int64)
    conv = np.zeros(m, dtype=bool)
    for i, lam in enumerate(lams):
        E = lam.anchor if lam.anchor is not None else t.null
        arrays["b"][i], coef[i] = sp.original(E.b, E.beta)
        coef_std[i] = sp.standardized(E.beta)
        arrays["f"][i] = E.f
        arrays["F"][i] = E.f + elastic_net_penalty(E.beta, lam.lam, t.opts.l1_ratio)
        arrays["gap"][i], arrays["kkt"][i] = lam.gap, lam.kkt
        hd, hm, ha, hb = _heldout_metrics(sp, E)
        arrays["hd"][i], arrays["hm"][i], arrays["ha"][i], arrays["hb"][i] = hd, hm, ha, hb
        n_iter[i], conv[i] = lam.n_iter, lam.converged
    bad = np.flatnonzero(~conv)
    if bad.size:
        lam = lams[int(bad[0])]
        what = "all rows" if sp.fold < 0 else f"fold {sp.fold} held out"
        warnings.warn(
            f"logistic path ({what}) did not converge at {bad.size} of {m} regParams, first "
            f"at regParam={lam.lam:.6g}: duality gap {lam.gap:.3e} > {lam.tol_abs:.3e} after "
            f"{lam.n_iter} outer iterations; raise maxIter or tol",
            RuntimeWarning,
            stacklevel=3,
        )
    return LogisticPath(
        fold=sp.fold,
        reg_params=np.array([lam.lam for lam in lams]),
        coef=coef,
        intercept=arrays["b"],
        coef_std=coef_std,
        log_loss=arrays["f"],
        objective=arrays["F"],
        dev_ratio=1.0 - arrays["f"] / sp.f_null,
        duality_gap=arrays["gap"],
        kkt_residual=arrays["kkt"],
        n_iter=n_iter,
        converged=conv,
        heldout_deviance=arrays["hd"],
        heldout_misclassification=arrays["hm"],
        heldout_auc=arrays["ha"],
        heldout_auc_bound=arrays["hb"],
        feature_scale=sp.a.copy(),
        null_log_loss=sp.f_null,
        reg_param_max=lam_max,
    )
