"""The multinomial (softmax) objective, stated once, its certificate, and the arithmetic of one
data pass that evaluates many multinomial models at once ("models in flight").

numpy only: this module runs inside ``mapInArrow`` on the executors and in the numpy reference
pass of the tests; it never imports numba or pyspark.

Objective of a model trained on rows ``i`` with weights ``w``, ``W = Σ w``, labels
``y ∈ {0, …, K−1}``, intercepts ``b ∈ ℝ^K``, coefficients ``B ∈ ℝ^{K×p}`` (the over-parameterized
form, one row per class, no pivot class — Spark MLlib's ``LogisticRegression(family=
"multinomial")`` and glmnet's ``family="multinomial"``) and linear predictors
``η_ik = b_k + x̃_iᵀβ_k``::

    f(b, B) = (1/W) Σ_i w_i ℓ(y_i, η_i),      ℓ(y, η) = log Σ_k e^{η_k} − η_y

(the mean softmax cross-entropy; the multinomial deviance is ``2 W f``), penalized by
``λ (α ‖B‖₁ + (1 − α)/2 ‖B‖²_F)`` with the intercepts unpenalized. Its gradient is
``(1/W) Σ w (p_k − [y = k]) (1, x̃)`` per class, ``p = softmax(η)``; its Hessian block of
classes ``(k, l)`` is ``(1/W) Σ w (p_k [k = l] − p_k p_l) (1, x̃)(1, x̃)ᵀ``.

One pass (:meth:`MultinomialPassRequest.accumulate` over every chunk of rows, summed over
partitions) computes per fold ``[n, Σw, Σw², Σ_{y=k} w]`` (and, with ``class_sums``,
``Σ_{y=k} w z``: the class means of the null models) and, for ``T`` points ``t`` — each a model
``(b_t, B_t)`` in pass coordinates ``z = (x − center) / scale`` and the fold ``k_t`` it holds out
(−1: none) — over its training rows::

    dev_t = Σ w ℓ(y, η_t)     g0_tk = Σ w (p_tk − [y = k])     g_tk = Σ w (p_tk − [y = k]) z
    wsum_t = Σ w

and, for the points flagged ``hessian``, the curvature sums of every pair of classes
``k ≤ l``: ``W_s, S0_kl = Σ u_kl, s1_kl = Σ u_kl z, S2_kl = Σ u_kl z zᵀ`` with
``u_kl = w (p_k [k = l] − p_k p_l)`` (on the diagonal floored at ``w · CURVATURE_FLOOR``) over
every ``hessian_stride``-th training row of a chunk (the quadratic models only need an
approximate curvature; the gradients are exact). Over the held-out rows: the clipped deviance
``Σ w (−log clip(p_y))`` (cv.glmnet's ``type.measure="deviance"``, ``p`` clipped to
``[CV_PROB_MIN, 1 − CV_PROB_MIN]``), ``Σ w`` and the misclassified weight (prediction: the
first class of largest ``η``, MLlib's).

Certificate (on the true multinomial objective, from a pass's exact gradient): the Fenchel
duality gap at the dual point ``θ_i = κ[(1 − τ)(p_i − e_{y_i}) + τ(c − e_{y_i})]``. The conjugate of
``ℓ(y, ·)`` is the negative entropy of ``θ + e_y`` on the simplex; ``κ ∈ (0, 1]`` keeps ``θ + e_y``
in it and makes ``θ`` feasible for the L1 part, the constant prediction ``c = π − d g0/‖g0‖_∞``
(``π`` the class proportions, ``d = ½ min π``) mixed in with ``τ = ‖g0‖_∞/(‖g0‖_∞ + d)`` makes
``Σ w θ = 0`` (the unpenalized intercepts' constraints). With the concavity of the entropy ``H``
and Fenchel–Young's ``(1/W) Σ w H(p) = f − bᵀg0 − ⟨B, G⟩`` no per-row work is needed::

    gap = f + h(B) − max_κ [ κ((1 − τ)(f − bᵀg0 − ⟨B, G⟩) + τ H(c)) − h*(−κ U) ],
    U = (1 − τ) G + τ G_c,     G_c = −X̃ᵀW(Y − π)/W

exactly the binomial family's certificate (:func:`lasso_spark.core.binomial.binomial_duality_gap`)
with vectors for scalars; its dual value is :func:`lasso_spark.core.binomial.dual_bound`.

**Grouped** (glmnet's ``type.multinomial="grouped"``): the penalty is
``λ Σ_j (α ‖β_j‖₂ + (1 − α)/2 ‖β_j‖²)`` with ``β_j = B[:, j]`` feature ``j``'s ``K`` coefficients.
It is the elastic-net penalty of the vector of feature norms ``(‖β_j‖₂)_j``, and its conjugate is
the elastic-net conjugate of the feature norms ``(‖u_j‖₂)_j`` (the conjugate of
``b ↦ φ(‖b‖)`` is ``u ↦ φ*(‖u‖)``): the certificate above holds with ``U`` replaced by its feature
norms (:func:`feature_norms`), and the KKT residual is the group one
(:meth:`lasso_spark.core.penalties.GroupPenalty.subdiff_distance`, each feature's K
coefficients one group).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from lasso_spark.core.binomial import (
    CURVATURE_FLOOR,
    clipped_log_loss,
    conjugate_penalty,
    dual_bound,
    enet_kkt_residual,
)
from lasso_spark.core.objective import elastic_net_penalty
from lasso_spark.core.penalties import GroupPenalty

logger = logging.getLogger(__name__)

__all__ = [
    "MAX_CLASSES",
    "MultinomialLayout",
    "MultinomialPassRequest",
    "MultinomialPassResult",
    "entropy",
    "feature_norms",
    "grouped_kkt_residual",
    "multinomial_penalty",
    "multinomial_duality_gap",
    "softmax",
    "softmax_loss",
]

#: labels must be integers in ``[0, MAX_CLASSES)`` (the first pass counts every class)
MAX_CLASSES = 256
#: per-point scalar slots of a pass result
_SCALARS = ("dev", "wsum", "heldout_dev", "heldout_wsum", "heldout_miss", "off_mass",
            "off_curv")


def softmax(eta: np.ndarray, axis: int = -1, overwrite: bool = False
            ) -> tuple[np.ndarray, np.ndarray]:
    """``(p, lse)`` over the classes (axis ``axis``, the last by default): ``p = softmax(η)``,
    ``lse = log Σ_k e^{η_k}``, without overflow; ``overwrite`` computes ``p`` in ``eta``'s
    memory (then ``p`` is ``eta``)."""
    mx = eta.max(axis=axis, keepdims=True)
    e = np.subtract(eta, mx, out=eta if overwrite else None)
    np.exp(e, out=e)
    s = e.sum(axis=axis, keepdims=True)
    e /= s
    return e, np.squeeze(mx + np.log(s), axis=axis)


def softmax_loss(y: np.ndarray, eta: np.ndarray) -> np.ndarray:
    """``ℓ(y, η) = log Σ_k e^{η_k} − η_y`` of each row (``η`` ``(n, K)``, ``y`` integer labels)."""
    _, lse = softmax(eta)
    return lse - np.take_along_axis(eta, np.asarray(y, dtype=np.int64)[:, None], axis=1)[:, 0]


def entropy(q: np.ndarray) -> float:
    """``H(q) = −Σ q log q`` (``0 log 0 = 0``): the mean loss of the constant prediction ``q``
    on rows with class proportions ``q``."""
    q = np.asarray(q, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(-np.sum(np.where(q > 0.0, q * np.log(q), 0.0)))


def feature_norms(B: np.ndarray) -> np.ndarray:
    """``(‖B[:, j]‖₂)_j``: each feature's norm over the classes (``B`` ``(K, q)``)."""
    return np.sqrt(np.einsum("kj,kj->j", B, B))


def multinomial_penalty(B: np.ndarray, lam: float, l1_ratio: float, grouped: bool) -> float:
    """The penalty of ``B`` ``(K, q)``: the elastic net of its entries, or (``grouped``) of its
    feature norms (module docstring)."""
    return elastic_net_penalty(feature_norms(B) if grouped else B, lam, l1_ratio)


def grouped_kkt_residual(G: np.ndarray, B: np.ndarray, lam: float, l1_ratio: float) -> float:
    """Largest distance over the features ``j`` of ``−G[:, j]`` (the loss gradient) from the
    subdifferential of ``λ(α‖β_j‖₂ + (1 − α)/2 ‖β_j‖²)`` at ``β_j = B[:, j]``: for a zero
    feature ``(‖G_j + …‖₂ − λα)₊``, the group KKT check."""
    K, q = B.shape
    if q == 0:
        return 0.0
    s = -(G + lam * (1.0 - l1_ratio) * B)
    groups = tuple(np.arange(K) * q + j for j in range(q))
    pen = GroupPenalty(groups, np.ones(q))
    return float(pen.subdiff_distance(B.ravel(), s.ravel(), lam * l1_ratio).max(initial=0.0))


def multinomial_duality_gap(
    f: float,
    g0: np.ndarray,
    G: np.ndarray,
    b: np.ndarray,
    B: np.ndarray,
    lam: float,
    l1_ratio: float,
    prior: np.ndarray,
    g_const: np.ndarray | None,
    off_mass: float = math.inf,
    off_curv: float = math.inf,
    grouped: bool = False,
) -> tuple[float, float]:
    """``(duality gap, KKT residual)`` of a point from its exact mean loss ``f`` and gradient
    ``(g0 (K,), G (K, q))`` (module docstring). ``prior`` the training class proportions,
    ``g_const`` the gradient ``−X̃ᵀW(Y − π)/W`` of the constant prediction (``None`` without
    intercept: then ``g0`` is not a constraint); ``grouped`` the grouped penalty."""
    h = multinomial_penalty(B, lam, l1_ratio, grouped)
    kkt = (grouped_kkt_residual if grouped else enet_kkt_residual)(G, B, lam, l1_ratio)
    top = float(np.abs(g0).max(initial=0.0))
    if g_const is not None:
        kkt = max(kkt, top)
    if lam <= 0.0:
        return math.inf, kkt
    E = f - float(b @ g0) - float(np.vdot(B, G))  # (1/W) Σ w H(p), Fenchel–Young
    A, U = E, G
    if g_const is not None and top > 0.0:
        d = 0.5 * float(prior.min())
        c = prior - d * g0 / top
        tau = top / (top + d)
        A = (1.0 - tau) * E + tau * entropy(c)
        U = (1.0 - tau) * G + tau * g_const
    else:
        tau, c = 0.0, prior
    if grouped:  # the conjugate of the grouped penalty: the elastic net's of the norms
        U = feature_norms(U)
    dual = dual_bound(A, U, lam, l1_ratio)
    if math.isfinite(off_mass) and math.isfinite(off_curv):
        dual = max(dual, _second_order_dual(f, E, off_mass, off_curv, tau,
                                            tau * entropy(c), U, lam, l1_ratio))
    return max(f + h - dual, 0.0), kkt


def _second_order_dual(f: float, E: float, a: float, s: float, tau: float, tH: float,
                       U: np.ndarray, lam: float, l1_ratio: float) -> float:
    """``max_κ (1 − τ) LB(κ) + κ τ H(c) − h*(κU)`` with the second-order lower bound of the
    mean entropy of ``κ p + (1 − κ) e_y`` (module docstring):
    ``LB(κ) = E + (1 − κ)(f − E) − ½(1 − κ)² (a/κ + s)``, ``a = (1/W) Σ w (1 − p_y)``,
    ``s = (1/W) Σ w (1 − p_y)²/p_y``; searched on a grid of ``κ`` below the largest feasible."""
    top = float(np.abs(U).max(initial=0.0))
    l1 = lam * l1_ratio
    k_max = 1.0 if top <= l1 or l1_ratio < 1.0 else l1 / top
    grid = k_max * (1.0 - np.concatenate([[0.0], np.logspace(-12, -0.3, 48)]))
    best = -math.inf
    for k in grid:
        r = 1.0 - k
        lb = E + r * (f - E) - 0.5 * r * r * (a / k + s)
        best = max(best, (1.0 - tau) * lb + k * tH - conjugate_penalty(k * U, lam, l1_ratio))
    return best


# ================================================================================ one pass
@dataclass(frozen=True)
class MultinomialLayout:
    """Offsets in the flat float64 vector a multinomial pass sums over partitions: per fold
    ``[n, Σw, Σw², Σ_{y=k} w (K)]`` and with ``class_sums`` ``Σ_{y=k} w z (K·p)``; per point the
    scalars ``dev, wsum, heldout_dev, heldout_wsum, heldout_miss``; per point ``g0`` (K) and
    ``G`` (K·p); per Hessian point and pair of classes ``k ≤ l`` (:meth:`pair`, row-major)
    ``[W_s, S0, s1 (p), S2 (p·p)]``."""

    n_points: int
    n_features: int
    n_classes: int
    n_hessians: int
    n_folds: int
    class_sums: bool

    @property
    def fold_size(self) -> int:
        K, p = self.n_classes, self.n_features
        return 3 + K + (K * p if self.class_sums else 0)

    @property
    def scalars_at(self) -> int:
        return self.n_folds * self.fold_size

    @property
    def g0_at(self) -> int:
        return self.scalars_at + len(_SCALARS) * self.n_points

    @property
    def grad_at(self) -> int:
        return self.g0_at + self.n_points * self.n_classes

    @property
    def hess_at(self) -> int:
        return self.grad_at + self.n_points * self.n_classes * self.n_features

    @property
    def block_size(self) -> int:
        p = self.n_features
        return 2 + p + p * p

    @property
    def n_pairs(self) -> int:
        return self.n_classes * (self.n_classes + 1) // 2

    def pair(self, k: int, l: int) -> int:
        """Index of the class pair ``(min(k, l), max(k, l))`` among the ``n_pairs`` blocks."""
        k, l = min(k, l), max(k, l)
        return k * self.n_classes - k * (k - 1) // 2 + (l - k)

    @property
    def size(self) -> int:
        return self.hess_at + self.n_hessians * self.n_pairs * self.block_size


@dataclass(frozen=True)
class MultinomialPassResult:
    """One pass's sums (shapes as in :class:`MultinomialLayout`; ``class_sum_z`` is None
    without ``class_sums``)."""

    fold_rows: np.ndarray  # (F,)
    fold_weight: np.ndarray  # (F,)
    fold_weight_sq: np.ndarray  # (F,)
    fold_class_weight: np.ndarray  # (F, K)
    class_sum_z: np.ndarray | None  # (F, K, p)
    scalars: dict[str, np.ndarray]  # name -> (T,)
    g0: np.ndarray  # (T, K)
    grad: np.ndarray  # (T, K, p)
    hess: np.ndarray  # (H, pairs, 2 + p + p²): [W_s, S0, s1, S2]

    @classmethod
    def from_vector(cls, vec: np.ndarray, lay: MultinomialLayout) -> MultinomialPassResult:
        vec = np.asarray(vec, dtype=np.float64)
        if vec.shape != (lay.size,):
            raise ValueError(f"pass result has {vec.shape[0]} values, expected {lay.size}")
        F, T, K, p = lay.n_folds, lay.n_points, lay.n_classes, lay.n_features
        folds = vec[: lay.scalars_at].reshape(F, lay.fold_size)
        sc = vec[lay.scalars_at : lay.g0_at].reshape(len(_SCALARS), T)
        return cls(
            fold_rows=folds[:, 0].copy(),
            fold_weight=folds[:, 1].copy(),
            fold_weight_sq=folds[:, 2].copy(),
            fold_class_weight=folds[:, 3 : 3 + K].copy(),
            class_sum_z=folds[:, 3 + K :].reshape(F, K, p).copy() if lay.class_sums else None,
            scalars={name: sc[i].copy() for i, name in enumerate(_SCALARS)},
            g0=vec[lay.g0_at : lay.grad_at].reshape(T, K).copy(),
            grad=vec[lay.grad_at : lay.hess_at].reshape(T, K, p).copy(),
            hess=vec[lay.hess_at :].reshape(lay.n_hessians, lay.n_pairs, lay.block_size).copy(),
        )

    def curvature_sums(self, slot: int, pair: int, p: int
                       ) -> tuple[float, float, np.ndarray, np.ndarray]:
        """``(W_s, S0, s1, S2)`` of class pair ``pair`` (:meth:`MultinomialLayout.pair`) in
        Hessian block ``slot``."""
        blk = self.hess[slot, pair]
        return float(blk[0]), float(blk[1]), blk[2 : 2 + p], blk[2 + p :].reshape(p, p)


@dataclass(frozen=True)
class MultinomialPassRequest:
    """``T`` points to evaluate in one pass (module docstring): ``intercept`` ``(T, K)`` and
    ``coef`` ``(T, K, p)`` in pass coordinates ``z = (x − center) / scale``, ``fold`` ``(T,)`` the
    held-out fold of each point (−1: none), ``hessian`` ``(T,)`` which points get class
    curvature sums over every ``hessian_stride``-th training row, ``num_folds`` the data's
    fold count (0: none), ``class_sums`` whether the per-fold class sums of ``z`` are wanted,
    ``curvature_float32`` whether the curvature's ``Σu zzᵀ`` products run in float32 (twice as
    fast; about 1e-6 relative, far below the row subsample's error; the sums, gradients and
    losses stay float64).
    Labels are the integers ``0 … n_classes − 1``."""

    center: np.ndarray
    scale: np.ndarray
    n_classes: int
    fold: np.ndarray
    intercept: np.ndarray
    coef: np.ndarray
    hessian: np.ndarray
    hessian_stride: int = 1
    num_folds: int = 0
    class_sums: bool = False
    curvature_float32: bool = False

    @property
    def n_points(self) -> int:
        return int(self.fold.shape[0])

    def hessian_slots(self) -> np.ndarray:
        """Hessian block of each point (−1: none)."""
        return np.where(self.hessian, np.cumsum(self.hessian) - 1, -1)

    def layout(self) -> MultinomialLayout:
        return MultinomialLayout(
            n_points=self.n_points, n_features=int(self.center.shape[0]),
            n_classes=int(self.n_classes), n_hessians=int(np.count_nonzero(self.hessian)),
            n_folds=max(int(self.num_folds), 1), class_sums=bool(self.class_sums),
        )

    def result(self, vec: np.ndarray) -> MultinomialPassResult:
        """A pass's summed vector split into its quantities."""
        return MultinomialPassResult.from_vector(vec, self.layout())

    def accumulate(self, X: np.ndarray, y: np.ndarray, w: np.ndarray | None,
                   fold: np.ndarray | None, out: np.ndarray) -> None:
        """Add the sums of one chunk of valid rows to ``out`` (a :class:`MultinomialLayout`
        vector): ``X`` ``(m, p)`` raw features, ``y`` labels in ``0 … K−1`` (as floats), ``w``
        weights (``None``: all 1), ``fold`` fold ids in ``[0, F)`` (``None`` without folds)."""
        m = X.shape[0]
        if m == 0:
            return
        lay = self.layout()
        w = np.ones(m) if w is None else np.asarray(w, dtype=np.float64)
        F = lay.n_folds
        yi = np.asarray(y).astype(np.int64)
        if fold is None or self.num_folds == 0:
            fold = np.zeros(m, dtype=np.int64)
            order = None
        else:
            order = np.argsort(fold.astype(np.int8 if F < 127 else np.int32), kind="stable")
        Z = (X - self.center) / self.scale
        if order is not None:
            Z, yi, w, fold = Z[order], yi[order], w[order], fold[order]
        bounds = np.searchsorted(fold, np.arange(F + 1), side="left")
        for f in range(F):
            a, b = int(bounds[f]), int(bounds[f + 1])
            if b > a:
                self._block(Z[a:b], yi[a:b], w[a:b], f, lay, out)

    def _block(self, Z: np.ndarray, y: np.ndarray, w: np.ndarray, f: int,
               lay: MultinomialLayout, out: np.ndarray) -> None:
        """The rows of fold ``f``: training rows of every point that does not hold it out,
        held-out rows of the others. The arrays are class-major ``(K, T, m)``: the softmax's
        reductions over the classes are then ``K`` elementwise operations on contiguous rows,
        and the gradients one product ``(K·T, m) @ (m, p)``."""
        T, K, p = lay.n_points, lay.n_classes, lay.n_features
        m = Z.shape[0]
        at = f * lay.fold_size
        out[at] += m
        out[at + 1] += w.sum()
        out[at + 2] += w @ w
        Yw = np.zeros((K, m))
        rows = np.arange(m)
        Yw[y, rows] = w
        out[at + 3 : at + 3 + K] += Yw.sum(axis=1)
        if lay.class_sums:
            out[at + 3 + K : at + lay.fold_size] += (Yw @ Z).ravel()
        if T == 0:
            return
        E = (self.coef.transpose(1, 0, 2).reshape(K * T, p) @ Z.T).reshape(K, T, m)
        E += self.intercept.T[:, :, None]
        eta_y = E[y, :, rows].T  # (T, m)
        held = np.flatnonzero(self.fold == f)
        if held.size:  # the prediction: the first class of largest η (MLlib's)
            miss = E[:, held, :].argmax(axis=0) != y[None, :]
        E, lse = softmax(E, axis=0, overwrite=True)  # P, (K, T, m)
        loss = lse - eta_y  # (T, m)
        Py = E[y, :, rows].T  # (T, m)
        sc = lay.scalars_at
        train = np.flatnonzero(self.fold != f)
        if train.size:
            Pt = E if train.size == T else E[:, train, :]
            R = Pt * w
            R -= Yw[:, None, :]  # w (p − [y = k]), (K, Tt, m)
            out[sc + train] += loss[train] @ w
            out[sc + T + train] += w.sum()
            off = 1.0 - Py[train]
            out[sc + 5 * T + train] += off @ w
            with np.errstate(divide="ignore", over="ignore"):
                out[sc + 6 * T + train] += (off * off / Py[train]) @ w
            g0_at = lay.g0_at + train[None, :] * K + np.arange(K)[:, None]  # (K, Tt)
            out[g0_at] += R.sum(axis=2)
            G = (R.reshape(-1, m) @ Z).reshape(K, train.size, p)
            g_at = (lay.grad_at + (train[None, :, None] * K + np.arange(K)[:, None, None]) * p
                    + np.arange(p)[None, None, :])
            out[g_at] += G
            slots = self.hessian_slots()
            hpts = train[slots[train] >= 0]
            if hpts.size:
                step = max(int(self.hessian_stride), 1)
                self._curvature(Z[::step], w[::step], E[:, hpts, ::step], slots[hpts], lay,
                                out, self.curvature_float32)
        if held.size:
            out[sc + 2 * T + held] += clipped_log_loss(Py[held]) @ w
            out[sc + 3 * T + held] += w.sum()
            out[sc + 4 * T + held] += miss @ w

    @staticmethod
    def _curvature(Z: np.ndarray, w: np.ndarray, P: np.ndarray, slots: np.ndarray,
                   lay: MultinomialLayout, out: np.ndarray, float32: bool) -> None:
        """``[Σw, Σu_kl, Σu_kl z, Σu_kl zzᵀ]`` of rows ``Z`` per point (axis 1 of ``P``, which
        is ``(K, points, rows)``) and pair of classes ``k ≤ l``. The off-diagonal ``Σu_kl zzᵀ =
        −AᵀA`` with ``A = √(w p_k p_l) z`` (a symmetric rank-``m`` update, half a product's
        flops), and since ``Σ_l u_kl = 0`` before the floor, each diagonal block is minus its
        row's off-diagonal blocks plus the floor's correction on the few rows where ``p_k(1 −
        p_k)`` is below it: ``K(K − 1)/2`` such updates per point instead of ``K(K + 1)/2``
        products (in float32 with ``float32``)."""
        K, p = lay.n_classes, lay.n_features
        m = Z.shape[0]
        blocks = out[lay.hess_at:].reshape(lay.n_hessians, lay.n_pairs, lay.block_size)
        kk, ll = np.triu_indices(K, 1)  # the off-diagonal pairs k < l
        off = np.array([lay.pair(k, l) for k, l in zip(kk, ll)], dtype=np.int64)
        diag = np.array([lay.pair(k, k) for k in range(K)], dtype=np.int64)
        # member[k, i]: off-diagonal pair i involves class k
        member = (kk[None, :] == np.arange(K)[:, None]) | (ll[None, :] == np.arange(K)[:, None])
        wsum = w.sum()
        sw = np.sqrt(w)
        dt = np.float32 if float32 else np.float64
        Z32 = Z.astype(dt, copy=False)
        for j, slot in enumerate(slots):
            Pj = P[:, j, :]
            U = np.empty((lay.n_pairs, m))
            S2 = np.empty((lay.n_pairs, p, p))
            sp = np.sqrt(Pj)
            R = sp[kk] * sp[ll] * sw  # √(w p_k p_l), (pairs, m)
            U[off] = -(R * R)
            So = np.empty((off.size, p, p))
            R32 = R.astype(dt, copy=False)
            for i in range(off.size):
                A = Z32 * R32[i][:, None]
                So[i] = A.T @ A
            S2[off] = -So
            S2[diag] = np.tensordot(member.astype(np.float64), So, axes=1)
            c = Pj * (1.0 - Pj)  # (K, m)
            U[diag] = w * np.maximum(c, CURVATURE_FLOOR)
            for k in np.flatnonzero((c < CURVATURE_FLOOR).any(axis=1)):
                low = np.flatnonzero(c[k] < CURVATURE_FLOOR)
                A = Z[low] * np.sqrt(w[low] * (CURVATURE_FLOOR - c[k, low]))[:, None]
                S2[diag[k]] += A.T @ A
            blk = blocks[int(slot)]
            blk[:, 0] += wsum
            blk[:, 1] += U.sum(axis=1)
            blk[:, 2 : 2 + p] += U @ Z
            blk[:, 2 + p :] += S2.reshape(lay.n_pairs, p * p)
