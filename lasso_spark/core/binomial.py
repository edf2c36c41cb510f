"""The binomial (logistic) objective, stated once, and the arithmetic of one data pass that
evaluates many logistic models at once ("models in flight").

numpy only: this module runs inside ``mapInArrow`` on the executors and
in the numpy reference pass of the tests; it never imports numba or pyspark.

Objective of a model trained on rows ``i`` with weights ``w``, ``W = Σ w``, labels ``y ∈ {0, 1}``
and linear predictor ``η = b0 + x̃ᵀβ``::

    f(b0, β) = (1/W) Σ_i w_i ℓ(y_i, η_i),      ℓ(y, η) = log(1 + e^η) − y η

(the mean log-loss; the binomial deviance is ``2 W f``). Its gradient is
``(1/W) Σ w (p − y) (1, x̃)`` and its Hessian ``(1/W) Σ w p(1 − p) (1, x̃)(1, x̃)ᵀ`` with
``p = 1/(1 + e^−η)``.

One pass (:func:`accumulate_chunk` over every chunk of rows, summed over partitions) computes
for ``T`` points ``t`` — each a model ``(b_t, β_t)`` in the *pass coordinates*
``z = (x − center) / scale`` and the fold ``k_t`` it holds out (−1: trained on every row) —
over its training rows (fold ≠ k_t)::

    dev_t  = Σ w ℓ(y, η_t)             g0_t = Σ w (p_t − y)          g_t = Σ w (p_t − y) z
    wsum_t = Σ w

and the curvature sums ``W_s = Σ w``, ``S0 = Σ u``, ``s1 = Σ u z``, ``S2 = Σ u z zᵀ`` with
``u = w max(p(1 − p), CURVATURE_FLOOR)`` (glmnet's floor on the IRLS weights): over every
``hessian_stride``-th training row of a chunk for the points flagged ``hessian`` (a fixed
subsample: the quadratic models only need an approximate Hessian, the gradients are exact),
over every training row for the points flagged ``hessian_full`` (the ``S2`` products in float32
when the request's ``curvature_float32`` asks, as the path does). Over the held-out rows
(fold = k_t) it computes the clipped deviance ``Σ w ℓ_c`` (``p`` clipped to
``[CV_PROB_MIN, 1 − CV_PROB_MIN]`` as cv.glmnet does), ``Σ w``, the misclassified weight at
the decision threshold and, when asked, weighted histograms of ``η`` per class for the AUC.
Per fold it also sums the row count, ``Σ w`` and ``Σ w²``. Every quantity is a sum of
well-scaled terms (``z`` is centered and scaled by the full data's moments), so
partitions add.

Certificate (on the true logistic objective, computed from a pass's exact gradient): the
Fenchel duality gap at the dual point ``θ = κ[(1 − τ)(p − y) + τ(c − y)]``: ``τ`` mixes in a
constant prediction ``c`` so that ``Σ w θ = 0`` (the unpenalized intercept's constraint) and
``κ ∈ (0, 1]`` makes it feasible for the L1 part. Its conjugate is bounded with the concavity of
the binary entropy ``H`` and Fenchel–Young's ``(1/W) Σ w H(p) = f − b0 g0 − βᵀg``, so no extra
per-row work is needed::

    gap = f + h(β) − max_κ [ κ((1 − τ)(f − b0 g0 − βᵀg) + τ H(c)) − h*(−κ u) ],
    u = (1 − τ) g + τ g_c,     g_c = −X̃ᵀW(y − ȳ)/W

which is 0 exactly at the optimum. ``regParam = 0`` has no dual bound; there the certificate is
the KKT residual ``max |∇F| ≤ tol``. The KKT residual (largest distance of
``−∇f`` from the penalty's subdifferential, over ALL features, and the intercept's gradient) is
reported at every regParam.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from lasso_spark.core.objective import elastic_net_penalty

logger = logging.getLogger(__name__)

__all__ = [
    "CURVATURE_FLOOR",
    "CV_PROB_MIN",
    "PassLayout",
    "PassRequest",
    "PassResult",
    "accumulate_chunk",
    "auc_from_histograms",
    "bin_index",
    "binary_entropy",
    "binomial_duality_gap",
    "conjugate_penalty",
    "dual_bound",
    "enet_kkt_residual",
    "clipped_log_loss",
    "log_loss",
    "numpy_pass",
    "observed_probability",
    "sigmoid",
]

#: floor on ``p(1 − p)`` in the curvature (IRLS) weights: glmnet's ``pmin`` (1e-9)
CURVATURE_FLOOR = 1e-9
#: held-out probabilities are clipped to ``[CV_PROB_MIN, 1 − CV_PROB_MIN]`` for the CV deviance,
#: as ``cv.glmnet`` does, so that one confident mistake cannot dominate a fold
CV_PROB_MIN = 1e-5
#: half-width of the AUC histograms' ``η`` range in standard deviations of the point's scores
#: (``PassRequest.auc_spread``); beyond it scores fall in the end bins
AUC_RANGE_SDS = 8.0
#: below this ``η``, :func:`sigmoid` uses ``e^η / (1 + e^η)`` (``e^−η`` overflows past 709.78)
SIGMOID_DIRECT_MIN = -700.0
#: per-point scalar slots of a pass result
_SCALARS = ("dev", "g0", "wsum", "heldout_dev", "heldout_wsum", "heldout_miss")
#: ``η`` is computed on the columns where some point's coefficient is non-zero when they are at
#: most this fraction of the features (else on all of them: the column copy would cost more)
SPARSE_ETA_FRACTION = 0.75


def sigmoid(eta: np.ndarray) -> np.ndarray:
    """``p = 1 / (1 + e^−η)``, without overflow: that formula (numpy's vectorized ``exp``: about
    three times as fast as scipy's ``expit`` on a pass's blocks, the same values to an ulp) for
    ``η ≥ SIGMOID_DIRECT_MIN``, ``e^η / (1 + e^η)`` below (where ``e^−η`` would overflow)."""
    e = np.asarray(eta, dtype=np.float64)
    with np.errstate(over="ignore"):
        p = np.asarray(1.0 / (1.0 + np.exp(-e)))
    low = e < SIGMOID_DIRECT_MIN  # (NaN compares false: it stays NaN, as expit's)
    if low.any():
        t = np.exp(e[low])
        p[low] = t / (1.0 + t)
    return p


def log_loss(y: np.ndarray, eta: np.ndarray) -> np.ndarray:
    """``ℓ(y, η) = log(1 + e^η) − y η = −log Q`` (:func:`observed_probability`): the binomial
    negative log-likelihood of each row (``y`` in {0, 1})."""
    return -np.log(observed_probability(y, eta))


def observed_probability(y: np.ndarray, eta: np.ndarray) -> np.ndarray:
    """``Q = P(observed label) = 1 / (1 + e^{−(2y − 1) η})``: ``ℓ = −log Q``,
    ``p − y = −(2y − 1)(1 − Q)`` and ``p(1 − p) = Q(1 − Q)``, each without cancellation."""
    return sigmoid(eta * (2.0 * y - 1.0))


#: the range of the clipped loss ``−log clip(Q, CV_PROB_MIN, 1 − CV_PROB_MIN)`` (``−log`` is
#: monotone, so clipping ``−log Q`` to it is the same)
_CLIPPED_LOSS = (-np.log1p(-CV_PROB_MIN), -np.log(CV_PROB_MIN))


def clipped_log_loss(Q: np.ndarray) -> np.ndarray:
    """``−log clip(Q, CV_PROB_MIN, 1 − CV_PROB_MIN)``: the held-out loss of cv.glmnet's binomial
    deviance (it clips ``p`` to that range), from the observed-class probability ``Q``."""
    return np.clip(-np.log(Q), *_CLIPPED_LOSS)


def binary_entropy(q: np.ndarray | float) -> np.ndarray | float:
    """``H(q) = −q log q − (1 − q) log(1 − q)`` (0 at q ∈ {0, 1}); the mean log-loss of the
    best constant model is ``H(ȳ)``."""
    q = np.asarray(q, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -(np.where(q > 0, q * np.log(q), 0.0) + np.where(q < 1, (1 - q) * np.log1p(-q), 0.0))
    return h if h.ndim else float(h)


# ============================================================ the certificate (duality gap)
def conjugate_penalty(u: np.ndarray, lam: float, l1_ratio: float) -> float:
    """``h*(u)`` for ``h(β) = λ(α‖β‖₁ + (1 − α)/2 ‖β‖²)`` (``inf`` outside its domain)."""
    l1, l2 = lam * l1_ratio, lam * (1.0 - l1_ratio)
    excess = np.maximum(np.abs(u) - l1, 0.0)
    if l2 > 0.0:
        return float(np.vdot(excess, excess)) / (2.0 * l2)
    return 0.0 if not np.any(excess > 0.0) else math.inf


def dual_bound(A: float, u: np.ndarray, lam: float, l1_ratio: float) -> float:
    """``max_{κ ∈ [0, 1]} κA − h*(κu)`` (concave in κ; ``u`` of any shape): the dual value of
    the scaled dual point of either family's certificate."""
    au = np.abs(np.ravel(u))
    top = float(au.max(initial=0.0))
    l1, l2 = lam * l1_ratio, lam * (1.0 - l1_ratio)
    if l2 <= 0.0:  # pure L1: the largest feasible κ (the objective increases with κ if A ≥ 0)
        k = 1.0 if top <= l1 else l1 / top
        return k * A
    # D'(κ) = A − Σ |u|(κ|u| − l1)₊ / l2 is decreasing: bisection on its sign
    def slope(k: float) -> float:
        return A - float(au @ np.maximum(k * au - l1, 0.0)) / l2

    lo, hi = 0.0, 1.0
    if slope(1.0) >= 0.0:
        lo = 1.0
    else:
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if slope(mid) >= 0.0:
                lo = mid
            else:
                hi = mid
    return lo * A - conjugate_penalty(lo * u, lam, l1_ratio)


def enet_kkt_residual(g: np.ndarray, beta: np.ndarray, lam: float, l1_ratio: float) -> float:
    """Largest distance of ``−g`` (the loss gradient, any shape) from the subdifferential of
    ``λ(α‖β‖₁ + (1 − α)/2 ‖β‖²)`` at ``β``."""
    l1, l2 = lam * l1_ratio, lam * (1.0 - l1_ratio)
    sub = g + l2 * beta
    r = np.where(beta != 0.0, np.abs(sub + l1 * np.sign(beta)), np.maximum(np.abs(sub) - l1, 0))
    return float(r.max(initial=0.0))


def binomial_duality_gap(
    f: float,
    g0: float,
    g: np.ndarray,
    b0: float,
    beta: np.ndarray,
    lam: float,
    l1_ratio: float,
    ybar: float,
    g_const: np.ndarray | None,
) -> tuple[float, float]:
    """``(duality gap, KKT residual)`` of a point from its exact mean log-loss ``f`` and gradient
    ``(g0, g)`` (module docstring). ``g_const`` is the gradient ``−X̃ᵀW(y − ȳ)/W`` of a constant
    prediction (``None`` without intercept: then ``g0`` is not a constraint)."""
    h = elastic_net_penalty(beta, lam, l1_ratio)
    kkt = enet_kkt_residual(g, beta, lam, l1_ratio)
    if g_const is not None:
        kkt = max(kkt, abs(g0))
    if lam <= 0.0:
        return math.inf, kkt
    E = f - b0 * g0 - float(beta @ g)  # (1/W) Σ w H(p), Fenchel–Young
    A, u = E, g
    if g_const is not None and g0 != 0.0:
        d = 0.5 * min(ybar, 1.0 - ybar)
        c = ybar - math.copysign(d, g0)
        tau = abs(g0) / (abs(g0) + d)
        A = (1.0 - tau) * E + tau * float(binary_entropy(c))
        u = (1.0 - tau) * g + tau * g_const
    dual = dual_bound(A, u, lam, l1_ratio)
    return max(f + h - dual, 0.0), kkt



@dataclass(frozen=True)
class PassRequest:
    """``T`` points to evaluate in one pass (see the module docstring).

    ``coef`` is ``(T, p)`` and ``intercept`` ``(T,)`` in pass coordinates
    ``z = (x − center) / scale``; ``fold`` ``(T,)`` the held-out fold of each point (−1: none);
    ``hessian`` ``(T,)`` which points also get ``W_s, S0, s1, S2`` over every
    ``hessian_stride``-th row, ``hessian_full`` (``None``: none) which get them over every
    row; ``num_folds`` ``K`` of the data's fold ids (0: none);
    ``threshold_margin`` the decision threshold on ``η`` (``logit(threshold)``);
    ``auc_bins`` the histogram bins per class (0: no histograms), centered on ``intercept``
    with ``auc_spread`` ``(T,)`` (the standard deviation of each point's scores; default 2);
    ``curvature_float32`` whether the curvature's ``Σu zzᵀ`` products (subsampled and exact) run
    in float32 (about twice as fast; about 1e-6 relative, far below the row subsample's error;
    ``W_s, S0, s1``, the losses and the gradients stay float64; the curvature only shapes the
    Newton steps, the certificate never uses it).
    """

    center: np.ndarray
    scale: np.ndarray
    fold: np.ndarray
    intercept: np.ndarray
    coef: np.ndarray
    hessian: np.ndarray
    hessian_stride: int = 1
    hessian_full: np.ndarray | None = None
    num_folds: int = 0
    threshold_margin: float = 0.0
    auc_bins: int = 0
    auc_spread: np.ndarray | None = None
    curvature_float32: bool = False

    @property
    def n_points(self) -> int:
        return int(self.fold.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.center.shape[0])

    @property
    def n_full_hessians(self) -> int:
        return 0 if self.hessian_full is None else int(np.count_nonzero(self.hessian_full))

    def hessian_slots(self) -> tuple[np.ndarray, np.ndarray]:
        """``(subsample block, full block)`` of each point (−1: none); the subsample blocks
        come first in the layout, then the full ones."""
        sub = np.where(self.hessian, np.cumsum(self.hessian) - 1, -1)
        n_sub = int(np.count_nonzero(self.hessian))
        if self.hessian_full is None:
            return sub, np.full(self.n_points, -1)
        full = np.where(self.hessian_full, n_sub + np.cumsum(self.hessian_full) - 1, -1)
        return sub, full

    def accumulate(self, X: np.ndarray, y: np.ndarray, w: np.ndarray | None,
                   fold: np.ndarray | None, out: np.ndarray) -> None:
        """:func:`accumulate_chunk` of this request (what a pass runs on every chunk)."""
        accumulate_chunk(X, y, w, fold, self, out)

    def result(self, vec: np.ndarray) -> PassResult:
        """A pass's summed vector split into its quantities."""
        return PassResult.from_vector(vec, self.layout())

    def layout(self) -> PassLayout:
        return PassLayout(
            n_points=self.n_points,
            n_features=self.n_features,
            n_hessians=int(np.count_nonzero(self.hessian)) + self.n_full_hessians,
            n_folds=max(int(self.num_folds), 1),
            auc_bins=int(self.auc_bins),
        )


@dataclass(frozen=True)
class PassLayout:
    """Offsets of the quantities in the flat float64 vector a pass sums over partitions:
    per fold ``[n, Σw, Σw²]``; per point the scalars ``dev, g0, wsum, A, heldout_dev,
    heldout_wsum, heldout_miss``; per point ``g`` (p); per Hessian point ``W_s, S0, s1 (p),
    S2 (p·p)``; per point, when ``auc_bins = B > 0``, the class-0 and class-1 histograms of
    ``B + 2`` bins each over ``center ± AUC_RANGE_SDS · spread`` (the end bins catch the
    scores beyond)."""

    n_points: int
    n_features: int
    n_hessians: int
    n_folds: int
    auc_bins: int

    @property
    def folds_at(self) -> int:
        return 0

    @property
    def scalars_at(self) -> int:
        return 3 * self.n_folds

    @property
    def grad_at(self) -> int:
        return self.scalars_at + len(_SCALARS) * self.n_points

    @property
    def hess_at(self) -> int:
        return self.grad_at + self.n_points * self.n_features

    @property
    def hess_size(self) -> int:
        p = self.n_features
        return 2 + p + p * p

    @property
    def hist_at(self) -> int:
        return self.hess_at + self.n_hessians * self.hess_size

    @property
    def hist_size(self) -> int:
        return 2 * (self.auc_bins + 2) if self.auc_bins > 0 else 0

    @property
    def size(self) -> int:
        return self.hist_at + self.n_points * self.hist_size


@dataclass(frozen=True)
class PassResult:
    """One pass's sums, split by :meth:`from_vector` (shapes as in :class:`PassLayout`)."""

    fold_rows: np.ndarray  # (K',)
    fold_weight: np.ndarray  # (K',)
    fold_weight_sq: np.ndarray  # (K',)
    scalars: dict[str, np.ndarray]  # name -> (T,)
    grad: np.ndarray  # (T, p)
    hess_wsum: np.ndarray  # (H,)
    hess_s0: np.ndarray  # (H,)
    hess_s1: np.ndarray  # (H, p)
    hess_s2: np.ndarray  # (H, p, p)
    hist: np.ndarray | None  # (T, 2, B + 2)

    @classmethod
    def from_vector(cls, vec: np.ndarray, layout: PassLayout) -> PassResult:
        vec = np.asarray(vec, dtype=np.float64)
        if vec.shape != (layout.size,):
            raise ValueError(f"pass result has {vec.shape[0]} values, expected {layout.size}")
        K, T, p, H = layout.n_folds, layout.n_points, layout.n_features, layout.n_hessians
        folds = vec[: 3 * K].reshape(K, 3)
        sc = vec[layout.scalars_at : layout.grad_at].reshape(len(_SCALARS), T)
        grad = vec[layout.grad_at : layout.hess_at].reshape(T, p)
        hess = vec[layout.hess_at : layout.hist_at].reshape(H, layout.hess_size)
        hist = None
        if layout.hist_size:
            hist = vec[layout.hist_at :].reshape(T, 2, layout.auc_bins + 2)
        return cls(
            fold_rows=folds[:, 0].copy(),
            fold_weight=folds[:, 1].copy(),
            fold_weight_sq=folds[:, 2].copy(),
            scalars={name: sc[i].copy() for i, name in enumerate(_SCALARS)},
            grad=grad.copy(),
            hess_wsum=hess[:, 0].copy(),
            hess_s0=hess[:, 1].copy(),
            hess_s1=hess[:, 2 : 2 + p].copy(),
            hess_s2=hess[:, 2 + p :].reshape(H, p, p).copy(),
            hist=None if hist is None else hist.copy(),
        )


def bin_index(eta: np.ndarray, bins: int, center: np.ndarray | float = 0.0,
              spread: np.ndarray | float = 2.0) -> np.ndarray:
    """Histogram bin of each score (columns of ``eta`` may have their own ``center`` and
    ``spread``): ``bins`` equal bins over ``center ± AUC_RANGE_SDS · spread``, 0 below,
    ``bins + 1`` above."""
    half = AUC_RANGE_SDS * np.maximum(spread, 1e-12)
    idx = np.floor((eta - (center - half)) * (bins / (2.0 * half)))
    return (np.clip(idx, -1, bins) + 1).astype(np.int64)


def accumulate_chunk(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray | None,
    fold: np.ndarray | None,
    req: PassRequest,
    out: np.ndarray,
) -> None:
    """Add the sums of one chunk of valid rows to ``out`` (a :class:`PassLayout` vector).

    ``X`` ``(m, p)`` raw features (not modified), ``y`` ``(m,)`` labels in {0, 1}, ``w`` weights
    (``None``: all 1), ``fold`` fold ids in ``[0, K)`` (``None`` without folds). Rows are
    grouped by fold so that each point's training and held-out rows are contiguous blocks.
    """
    lay = req.layout()
    m = X.shape[0]
    if m == 0:
        return
    w = np.ones(m) if w is None else np.asarray(w, dtype=np.float64)
    K = max(int(req.num_folds), 1)
    if fold is None or req.num_folds == 0:
        fold = np.zeros(m, dtype=np.int64)
        order = None
    else:
        order = np.argsort(fold.astype(np.int8 if K < 127 else np.int32), kind="stable")
    Z = X - req.center
    Z /= req.scale
    if order is not None:
        Z, y, w, fold = Z[order], y[order], w[order], fold[order]
    bounds = np.searchsorted(fold, np.arange(K + 1), side="left")
    hess_slot = req.hessian_slots()
    # η only needs the columns where some point's coefficient is non-zero (most of them early
    # on a lasso path): the same sums, a smaller product
    nz = np.flatnonzero(np.any(req.coef != 0.0, axis=0))
    sparse = nz.size <= SPARSE_ETA_FRACTION * lay.n_features
    Ze, coef = (Z[:, nz], req.coef[:, nz]) if sparse else (Z, req.coef)
    for f in range(K):
        a, b = int(bounds[f]), int(bounds[f + 1])
        if b > a:
            eta = Ze[a:b] @ coef.T
            _accumulate_block(Z[a:b], y[a:b], w[a:b], f, eta, req, lay, hess_slot, out)


def _accumulate_block(
    Z: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    f: int,
    eta: np.ndarray,
    req: PassRequest,
    lay: PassLayout,
    hess_slot: tuple[np.ndarray, np.ndarray],
    out: np.ndarray,
) -> None:
    """The rows of fold ``f`` (``Z`` in pass coordinates, ``eta`` their ``Z β_t`` without the
    intercepts): training rows of every point that does not hold out ``f``, held-out rows of
    the others."""
    T, p = lay.n_points, lay.n_features
    out[3 * f] += Z.shape[0]
    out[3 * f + 1] += w.sum()
    out[3 * f + 2] += w @ w
    eta += req.intercept
    sign = 2.0 * y - 1.0
    Q = observed_probability(y[:, None], eta)  # ℓ = −log Q, p − y = −sign (1 − Q)
    loss = -np.log(Q)  # every column at once: no copies of column subsets
    sc = lay.scalars_at
    train = np.flatnonzero(req.fold != f)
    if train.size:
        wR = (Q - 1.0) * (w * sign)[:, None]  # w (p − y)
        out[sc + 0 * T + train] += (w @ loss)[train]
        out[sc + 1 * T + train] += wR.sum(axis=0)[train]
        out[sc + 2 * T + train] += w.sum()
        G = Z.T @ wR  # (p, T); the held-out columns are not used
        g_at = lay.grad_at + train[:, None] * p + np.arange(p)[None, :]
        out[g_at] += G.T[train]
        sub_slot, full_slot = hess_slot
        hpts = train[sub_slot[train] >= 0]
        if hpts.size:
            step = max(int(req.hessian_stride), 1)
            _add_curvature(Z[::step], w[::step], Q[::step][:, hpts], sub_slot[hpts], lay, out,
                           req.curvature_float32)
        fpts = train[full_slot[train] >= 0]
        if fpts.size:
            _add_curvature(Z, w, Q[:, fpts], full_slot[fpts], lay, out, req.curvature_float32)
    held = np.flatnonzero(req.fold == f)
    if held.size:
        out[sc + 3 * T + held] += w @ np.clip(loss[:, held], *_CLIPPED_LOSS)
        out[sc + 4 * T + held] += w.sum()
        wrong = (eta[:, held] > req.threshold_margin) != (y[:, None] > 0.5)
        out[sc + 5 * T + held] += w @ wrong
        if lay.hist_size:
            nb = lay.auc_bins + 2
            spread = 2.0 if req.auc_spread is None else req.auc_spread[held]
            idx = bin_index(eta[:, held], lay.auc_bins, req.intercept[held], spread)
            cls = (y > 0.5).astype(np.int64)
            for j, t in enumerate(held):
                key = cls * nb + idx[:, j]
                at = lay.hist_at + int(t) * lay.hist_size
                out[at : at + 2 * nb] += np.bincount(key, weights=w, minlength=2 * nb)


def _add_curvature(
    Z: np.ndarray, w: np.ndarray, Q: np.ndarray, slots: np.ndarray, lay: PassLayout,
    out: np.ndarray, float32: bool = False,
) -> None:
    """``[Σw, Σu, Σuz, Σuzzᵀ]`` of rows ``Z`` for each column of ``Q`` into its block (the
    ``Σuzzᵀ`` products in float32 with ``float32``)."""
    p = lay.n_features
    U = w[:, None] * np.maximum(Q * (1.0 - Q), CURVATURE_FLOOR)
    S1 = Z.T @ U
    wsum = w.sum()
    dt = np.float32 if float32 else np.float64
    Zd = Z.astype(dt, copy=False)
    R = np.sqrt(U).astype(dt, copy=False)
    for j, slot in enumerate(slots):
        at = lay.hess_at + int(slot) * lay.hess_size
        out[at] += wsum
        out[at + 1] += U[:, j].sum()
        out[at + 2 : at + 2 + p] += S1[:, j]
        Zu = Zd * R[:, j][:, None]
        out[at + 2 + p : at + lay.hess_size] += (Zu.T @ Zu).ravel()


def auc_from_histograms(hist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(auc, tie_bound)`` from ``(..., 2, B)`` weighted score histograms (class 0, class 1).

    Pairs in the same bin count one half, so the exact AUC of the binned scores' pairs lies
    within ``tie_bound = ½ Σ_b n⁺_b n⁻_b / (N⁺ N⁻)`` of the value returned. NaN where one class
    has no weight.
    """
    neg = hist[..., 0, :]
    pos = hist[..., 1, :]
    n_neg = neg.sum(axis=-1)
    n_pos = pos.sum(axis=-1)
    below = np.cumsum(neg, axis=-1) - neg  # negative weight in lower bins
    pairs = n_neg * n_pos
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = ((pos * (below + 0.5 * neg)).sum(axis=-1)) / pairs
        ties = 0.5 * (pos * neg).sum(axis=-1) / pairs
    bad = ~(pairs > 0)
    return np.where(bad, np.nan, auc), np.where(bad, np.nan, ties)


def numpy_pass(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray | None = None,
    fold: np.ndarray | None = None,
    chunk_rows: int = 4096,
):  # noqa: ANN201 - returns a callable with a call counter
    """The pass of a request's ``accumulate`` (:func:`accumulate_chunk`, or the multinomial
    family's) over in-memory arrays, chunk by chunk: a callable ``evaluate(request) -> result``
    with an ``n_passes`` attribute counting its calls.
    For tests and small data; the Spark pass runs the same function on every chunk."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    w = None if w is None else np.asarray(w, dtype=np.float64)
    fold = None if fold is None else np.asarray(fold, dtype=np.int64)

    def evaluate(req: PassRequest) -> PassResult:
        out = np.zeros(req.layout().size)
        for a in range(0, X.shape[0], chunk_rows):
            s = slice(a, a + chunk_rows)
            req.accumulate(X[s], y[s], None if w is None else w[s],
                           None if fold is None else fold[s], out)
        evaluate.n_passes += 1
        return req.result(out)

    evaluate.n_passes = 0
    return evaluate
