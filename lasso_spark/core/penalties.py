"""Structured penalties on the Gram: coefficient bounds and groups, stated once.

The problem is :mod:`lasso_spark.core.objective`'s with the l1 part taken over *blocks*
``b`` (a block is one feature, or a group of features) and optional box constraints on the
coefficients of single-feature blocks::

    P(β) = ½ yy − cᵀβ + ½ βᵀGβ + Σ_b w_b ( l1 ‖β_b‖₂ + ½ l2 ‖β_b‖₂² ),   l_j ≤ β_j ≤ u_j

with ``l1 = αρ``, ``l2 = α(1−ρ)``. A single feature ``j`` has ``w = v_j`` (so without groups and
bounds this is the elastic net); a group ``g`` has ``w_g = v_g √|g|`` (the group lasso, and with
``ρ < 1`` adelie's group elastic net).

**Sparse group lasso** (``group_l1_ratio = τ ∈ [0, 1)``; skglm's ``WeightedL1GroupL2``,
sparsegl's ``asparse``): a group's l1 part becomes ``l1 Ω_g(β_g)`` with
``Ω_g(b) = τ Σ_{j∈g} v_j |b_j| + (1−τ) w_g ‖b‖₂`` (the ridge part is unchanged; single features
are unchanged, ``τ v_j + (1−τ) v_j = v_j``; ``τ = 0`` is the group lasso). Its prox is exact:
soft-threshold by ``τ t v``, then shrink the group by ``(1−τ) t w``
(:meth:`SparseGroupPenalty.prox`). A group's block minimizer is 0 iff
``‖S(z, l1 τ v)‖ ≤ l1 (1−τ) w``, and the dual norm of ``Ω_g`` at ``s`` is the root ``t`` of
``‖S(s, t τ v)‖ = t (1−τ) w`` (:func:`sparse_group_dual`), which replaces ``‖s_g‖ / w_g`` in
the gap and in ``alpha_max``. Bounds are glmnet's: ``l_j ≤ 0 ≤ u_j`` (β = 0 is
feasible, the path starts there), given on the original feature scale and multiplied by σ_j on
the standardized one (``β̃_j = σ_j β_j``). Bounds apply to single-feature blocks only.

**Steps** (the exact minimizer of ``P`` over one block, the others fixed; ``z = g_b + G_bb β_b``
with ``g = c − Gβ``):

* one feature: ``β_j = clip(S(z, l1 w) / (G_jj + l2 w), l_j, u_j)`` — the clip of the
  unconstrained 1-D minimizer is the constrained one (a convex function of one variable);
* a group: ``β_b = 0`` when ``‖z‖ ≤ l1 w``; else ``β_b = (A + μ I)⁻¹ z`` with
  ``A = G_bb + l2 w I = Q diag(λ) Qᵀ`` and ``μ = l1 w / ‖β_b‖ > 0`` the root of the secular
  equation ``ψ(μ) = 1/‖(A + μI)⁻¹ z‖ − μ/(l1 w)`` (convex, nearly linear: Newton from the left
  of the root, safeguarded by the bracket ``μ ∈ [λ_min, λ_max] · l1 w / (‖z‖ − l1 w)``). The
  features of a group are not orthonormal after standardization; the eigenbasis of its block
  handles that exactly.

**Duality gap.** Fold the ridge part into the data fit (the augmented problem of scikit-learn's
elastic-net gap) and let ``s = g − l2 w∘β`` be its residual correlation. The dual point is
``κ r`` with ``κ = min(1, l1 / dual)``, where ``dual`` is the largest ``‖s_b‖ / w_b`` over
penalized blocks: groups; single features on each side except where ``β_j`` sits at a finite
bound of that side (``s_j / v_j`` unless ``β_j = u_j < ∞``, ``−s_j / v_j`` unless
``β_j = l_j > −∞``). Any ``κ ∈ [0, 1]`` gives a valid dual point; this one keeps the
conjugate of sides far from their bound at 0, so a loose bound (even a huge one) does not
inflate the gap. The gap is :func:`~lasso_spark.core.objective.gap_from_moments` (with
``l1_norm = Σ w_b ‖β_b‖``, ``l2_norm = Σ w_j β_j²``, that ``dual``) plus the conjugate of the
box part, ``Σ_j u_j (κ s_j − l1 v_j)₊ + (−l_j)(−κ s_j − l1 v_j)₊`` over the finite bounds
(:func:`box_conjugate`; 0 without bounds). With neither groups nor bounds it is the elastic-net
gap exactly. Unpenalized features (``w = 0``) are left out of ``dual``, as in
:mod:`lasso_spark.core.objective`, and their KKT residual ``|s_j|`` is checked by the solver.

The scalar functions here are plain Python on floats, so that the numba kernels of
:mod:`lasso_spark.core.bcd` compile them unchanged; :class:`BoxPenalty` and
:class:`GroupPenalty` apply the same functions to numpy arrays (a prox and the distance of
``−∇`` to the subdifferential, skglm style) for tests and callers outside the kernels.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lasso_spark.core.quadratic import Design

logger = logging.getLogger(__name__)

__all__ = [
    "Blocks",
    "BoxPenalty",
    "GroupPenalty",
    "StructuredPenalty",
    "SparseGroupPenalty",
    "block_norms",
    "block_score",
    "blocks_of",
    "box_conjugate",
    "bounded_step",
    "group_shift",
    "singleton_dual",
    "singleton_score",
    "sparse_group_dual",
    "structured_alpha_max",
    "structured_objective",
]


# ------------------------------------------------------------------ scalar formulas (numba)
def bounded_step(z: float, thr: float, denom: float, lo: float, hi: float) -> float:
    """Minimizer of ``½·denom·b² − z·b + thr·|b|`` over ``lo ≤ b ≤ hi`` (``lo ≤ 0 ≤ hi``)."""
    if z > thr:
        b = (z - thr) / denom
    elif z < -thr:
        b = (z + thr) / denom
    else:
        return 0.0
    if b > hi:
        return hi
    if b < lo:
        return lo
    return b


def singleton_dual(s: float, v: float, lo: float, hi: float, b: float) -> float:
    """A single feature's contribution to the dual norm: ``s/v`` on the upper side unless
    ``β_j`` sits at a finite upper bound, ``−s/v`` on the lower side unless it sits at a finite
    lower bound (those sides are left to the box conjugate), else 0."""
    if s > 0.0 and (hi == math.inf or b < hi):
        return s / v
    if s < 0.0 and (lo == -math.inf or b > lo):
        return -s / v
    return 0.0


def singleton_score(g: float, lo: float, hi: float) -> float:
    """How strongly a zero single feature wants to move: ``g`` if it may grow (``hi > 0``),
    ``−g`` if it may shrink (``lo < 0``), the larger of the two, or 0."""
    out = 0.0
    if hi > 0.0 and g > out:
        out = g
    if lo < 0.0 and -g > out:
        out = -g
    return out


def box_conjugate(ks: float, thr: float, lo: float, hi: float) -> float:
    """``sup_{lo ≤ b ≤ hi} ks·b − thr·|b|`` over the finite sides of the box (``lo ≤ 0 ≤ hi``);
    the unbounded sides are kept finite by the dual scaling κ."""
    out = 0.0
    if hi < math.inf and ks > thr:
        out += hi * (ks - thr)
    if lo > -math.inf and ks < -thr:
        out += (-lo) * (-ks - thr)
    return out


def group_shift(zhat: np.ndarray, lam: np.ndarray, thr: float, znorm: float) -> float:
    """The root ``μ > 0`` of ``1/‖ẑ/(λ+μ)‖ = μ/thr`` (module docstring), for ``‖ẑ‖ = znorm >
    thr``; ``λ`` the eigenvalues (ridge included) of the group's block, ``ẑ`` in its eigenbasis.
    Newton steps from the left of the root, kept inside the bracket (bisection otherwise)."""
    lmin = lam[0]
    lmax = lam[0]
    for i in range(lam.shape[0]):
        if lam[i] < lmin:
            lmin = lam[i]
        if lam[i] > lmax:
            lmax = lam[i]
    scale = thr / (znorm - thr)
    lo = max(lmin, 0.0) * scale
    hi = max(lmax, 1e-300) * scale
    mu = lo
    for _ in range(100):
        s2 = 0.0
        s3 = 0.0
        for i in range(lam.shape[0]):
            d = lam[i] + mu
            if d <= 0.0:
                continue
            q = zhat[i] * zhat[i] / (d * d)
            s2 += q
            s3 += q / d
        if s2 <= 0.0:
            mu = 0.5 * (lo + hi) if hi > lo else hi
            lo = mu
            continue
        nb = math.sqrt(s2)
        psi = 1.0 / nb - mu / thr
        if psi > 0.0:
            lo = mu
        else:
            hi = mu
        dpsi = s3 / (nb * s2) - 1.0 / thr
        step = mu - psi / dpsi if dpsi < 0.0 else hi + 1.0
        if not (lo < step < hi):
            step = 0.5 * (lo + hi)
        if abs(step - mu) <= 1e-15 * max(mu, 1e-300) or hi - lo <= 1e-15 * hi:
            return step
        mu = step
    return mu


def sparse_group_dual(s: np.ndarray, v: np.ndarray, tau: float, w: float) -> float:
    """The dual norm of ``Ω(b) = τ Σ v_j |b_j| + (1−τ) w ‖b‖`` at ``s``: the root ``t ≥ 0`` of
    ``φ(t) = ‖S(s, t τ v)‖ − t (1−τ) w`` (convex, decreasing: Newton from ``t = 0`` climbs to
    the root from the left). ``τ = 0`` gives ``‖s‖ / w``."""
    t = 0.0
    for _ in range(200):
        n2 = 0.0
        dn = 0.0
        for i in range(s.shape[0]):
            r = abs(s[i]) - t * tau * v[i]
            if r > 0.0:
                n2 += r * r
                dn += r * tau * v[i]
        n = math.sqrt(n2)
        phi = n - t * (1.0 - tau) * w
        if phi <= 0.0:
            return t
        dphi = -(dn / n if n > 0.0 else 0.0) - (1.0 - tau) * w
        step = -phi / dphi
        if step <= 1e-16 * max(t, 1e-300):
            return t + step
        t += step
    return t


def block_score(bk: int, g: np.ndarray, blk: Blocks) -> float:
    """``score_b`` of block ``bk`` over its weight ``w_b`` (:mod:`lasso_spark.core.bcd`
    compiles the same): the dual norm :func:`sparse_group_dual` of ``g_b`` for a group,
    :func:`singleton_score` ``/ v_j`` for one feature: the block is 0 at ``l1 ≥`` this."""
    idx = blk.order[blk.starts[bk]:blk.starts[bk + 1]]
    if blk.is_group[bk]:
        return sparse_group_dual(g[idx], blk.w_l1[idx], blk.tau, float(blk.w_block[bk]))
    j = int(idx[0])
    return singleton_score(float(g[j]), float(blk.lower[j]), float(blk.upper[j])) / float(
        blk.w_block[bk])


# ------------------------------------------------------------------ penalty objects (numpy)
@dataclass(frozen=True)
class BoxPenalty:
    """``thr Σ v_j |β_j| + ι(l ≤ β ≤ u)`` per feature: prox, subdifferential distance."""

    v: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    def prox(self, z: np.ndarray, thr: float, denom: np.ndarray) -> np.ndarray:
        """Coordinate-wise minimizer of ``½ denom b² − z b + thr v |b|`` on the box."""
        return np.array([bounded_step(float(z[j]), thr * float(self.v[j]), float(denom[j]),
                                      float(self.lower[j]), float(self.upper[j]))
                         for j in range(z.shape[0])])

    def subdiff_distance(self, beta: np.ndarray, s: np.ndarray, thr: float) -> np.ndarray:
        """Distance of ``s`` (minus the smooth gradient) to ``∂(thr v|·| + ι_box)(β)``, per j."""
        out = np.zeros(beta.shape[0])
        for j in range(beta.shape[0]):
            t, b = thr * float(self.v[j]), float(beta[j])
            a, c = (t, t) if b > 0.0 else (-t, -t) if b < 0.0 else (-t, t)
            if b == self.lower[j]:  # normal cone of the box: (−∞, 0] at the lower bound
                a = -np.inf
            if b == self.upper[j]:  # [0, ∞) at the upper bound
                c = np.inf
            out[j] = max(a - float(s[j]), float(s[j]) - c, 0.0)
        return out


@dataclass(frozen=True)
class GroupPenalty:
    """``thr Σ_g w_g ‖β_g‖₂`` over disjoint groups: prox, subdifferential distance."""

    groups: tuple[np.ndarray, ...]
    weights: np.ndarray

    def prox(self, z: np.ndarray, thr: float) -> np.ndarray:
        """Block soft-thresholding ``argmin ½‖b − z‖² + thr Σ w_g ‖b_g‖`` (identity Hessian)."""
        out = z.copy()
        for g, w in zip(self.groups, self.weights, strict=True):
            n = float(np.linalg.norm(z[g]))
            out[g] = 0.0 if n <= thr * w else z[g] * (1.0 - thr * w / n)
        return out

    def subdiff_distance(self, beta: np.ndarray, s: np.ndarray, thr: float) -> np.ndarray:
        """Per group: ``‖s_g − thr w β_g/‖β_g‖‖`` if ``β_g ≠ 0``, else ``(‖s_g‖ − thr w)₊``."""
        out = np.zeros(len(self.groups))
        for i, (g, w) in enumerate(zip(self.groups, self.weights, strict=True)):
            n = float(np.linalg.norm(beta[g]))
            if n > 0.0:
                out[i] = float(np.linalg.norm(s[g] - thr * w * beta[g] / n))
            else:
                out[i] = max(float(np.linalg.norm(s[g])) - thr * w, 0.0)
        return out


@dataclass(frozen=True)
class SparseGroupPenalty:
    """``thr Σ_g Ω_g(β_g)``, ``Ω_g(b) = τ Σ v_j |b_j| + (1−τ) w_g ‖b‖`` (module docstring), over
    disjoint groups: the exact prox, the subdifferential distance, the dual norm."""

    groups: tuple[np.ndarray, ...]
    weights: np.ndarray
    v: np.ndarray
    tau: float

    def prox(self, z: np.ndarray, thr: float) -> np.ndarray:
        """``argmin ½‖b − z‖² + thr Σ Ω_g(b_g)``: soft-threshold, then group shrink."""
        st = np.sign(z) * np.maximum(np.abs(z) - thr * self.tau * self.v, 0.0)
        return GroupPenalty(self.groups, (1.0 - self.tau) * self.weights).prox(st, thr)

    def subdiff_distance(self, beta: np.ndarray, s: np.ndarray, thr: float) -> np.ndarray:
        """Per group, the distance of ``s`` to ``thr ∂Ω_g(β_g)``: with ``β_g ≠ 0`` the l1 part
        is fixed on the support and free in ``[−thr τ v_j, thr τ v_j]`` off it; with
        ``β_g = 0``, ``(‖S(s_g, thr τ v)‖ − thr (1−τ) w)₊``."""
        out = np.zeros(len(self.groups))
        for i, (g, w) in enumerate(zip(self.groups, self.weights, strict=True)):
            b, sg, t1 = beta[g], s[g], thr * self.tau * self.v[g]
            n = float(np.linalg.norm(b))
            t2 = thr * (1.0 - self.tau) * float(w)
            if n > 0.0:
                res = sg - t2 * b / n
                on = b != 0.0
                res[on] -= t1[on] * np.sign(b[on])
                res[~on] = np.sign(res[~on]) * np.maximum(np.abs(res[~on]) - t1[~on], 0.0)
                out[i] = float(np.linalg.norm(res))
            else:
                st = np.maximum(np.abs(sg) - t1, 0.0)
                out[i] = max(float(np.linalg.norm(st)) - t2, 0.0)
        return out

    def dual_norm(self, s: np.ndarray) -> float:
        """``max_g Ω_g*(s_g)`` (:func:`sparse_group_dual`)."""
        return max(sparse_group_dual(s[g], self.v[g], self.tau, float(w))
                   for g, w in zip(self.groups, self.weights, strict=True))


# ------------------------------------------------------------------ the user-facing spec
@dataclass(frozen=True)
class StructuredPenalty:
    """Bounds (original scale, ``(p,)`` each, ``±inf`` = none) and groups (tuples of feature
    indices, disjoint; features in no group are their own block) of a problem with ``p``
    features. Build it with :meth:`make`, which checks everything."""

    n_features: int
    lower: np.ndarray
    upper: np.ndarray
    groups: tuple[tuple[int, ...], ...] = ()
    group_l1_ratio: float = 0.0

    @property
    def has_bounds(self) -> bool:
        return bool(np.isfinite(self.lower).any() or np.isfinite(self.upper).any())

    @classmethod
    def make(
        cls,
        n_features: int,
        *,
        lower_bounds: float | Sequence[float] | np.ndarray | None = None,
        upper_bounds: float | Sequence[float] | np.ndarray | None = None,
        positive: bool = False,
        groups: Sequence[Sequence[int]] | None = None,
        group_l1_ratio: float = 0.0,
    ) -> StructuredPenalty:
        p = int(n_features)
        tau = float(group_l1_ratio)
        if not 0.0 <= tau < 1.0:
            raise ValueError(f"group_l1_ratio must be in [0, 1) (1 is the plain lasso: leave "
                             f"the groups out), got {group_l1_ratio}")
        lo = _bound_vector("lower_bounds", lower_bounds, p, -np.inf)
        hi = _bound_vector("upper_bounds", upper_bounds, p, np.inf)
        if positive:
            lo = np.maximum(lo, 0.0)
        bad = np.flatnonzero(lo > 0.0)
        if bad.size:
            raise ValueError(f"lower_bounds must be <= 0 (glmnet's lower.limits; 0 must be "
                             f"feasible); {bad.size} are > 0, first at index {int(bad[0])}")
        bad = np.flatnonzero(hi < 0.0)
        if bad.size:
            raise ValueError(f"upper_bounds must be >= 0 (glmnet's upper.limits; 0 must be "
                             f"feasible); {bad.size} are < 0, first at index {int(bad[0])}")
        gs = _check_groups(groups, p)
        if gs:
            grouped = np.array([j for g in gs if len(g) > 1 for j in g], dtype=np.int64)
            boxed = np.isfinite(lo[grouped]) | np.isfinite(hi[grouped])
            if boxed.any():
                raise ValueError(
                    f"bounds apply to features outside groups only; {int(boxed.sum())} "
                    f"bounded features are in groups of size > 1, first feature index "
                    f"{int(grouped[np.flatnonzero(boxed)[0]])}")
        if tau > 0.0 and not any(len(g) > 1 for g in gs):
            raise ValueError(f"group_l1_ratio={tau} mixes the l1 norm into groups; give groups "
                             f"of 2 or more features")
        return cls(p, lo, hi, gs, tau)


def _bound_vector(name: str, value: float | Sequence[float] | np.ndarray | None, p: int,
                  default: float) -> np.ndarray:
    if value is None:
        return np.full(p, default)
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(p, float(arr))
    if arr.shape != (p,):
        raise ValueError(f"{name} must be one value or {p} values, got shape {arr.shape}")
    if np.isnan(arr).any():
        raise ValueError(f"{name}: {int(np.isnan(arr).sum())} values are NaN")
    return arr.copy()


def _check_groups(groups: Sequence[Sequence[int]] | None, p: int
                  ) -> tuple[tuple[int, ...], ...]:
    if groups is None:
        return ()
    seen = np.full(p, -1, dtype=np.int64)
    out = []
    for i, g in enumerate(groups):
        idx = [int(j) for j in g]
        if not idx:
            raise ValueError(f"groups[{i}] is empty")
        for j in idx:
            if not 0 <= j < p:
                raise ValueError(f"groups[{i}] has feature index {j} outside [0, {p})")
            if seen[j] >= 0:
                raise ValueError(f"feature index {j} is in groups[{int(seen[j])}] and "
                                 f"groups[{i}]; groups must be disjoint")
            seen[j] = i
        out.append(tuple(idx))
    return tuple(out)


@dataclass(frozen=True)
class Blocks:
    """The blocks of a design (reduced feature positions): ``order[starts[b]:starts[b+1]]`` are
    block ``b``'s features; ``is_group[b]``; ``w_block`` the l1 weight ``w_b``; ``w_coef`` each
    feature's block weight (the ridge part's); ``lower``/``upper`` standardized bounds; for
    groups, the eigenvectors ``qbuf[qoff[b]:]`` (row-major ``k × k``) and eigenvalues
    ``lam[starts[b]:starts[b+1]]`` of ``G_bb``; ``tau`` the sparse group lasso's
    ``group_l1_ratio`` and ``w_l1`` each grouped feature's l1 weight ``v_j`` (0 for single
    features, whose l1 weight is ``w_block``)."""

    order: np.ndarray
    starts: np.ndarray
    is_group: np.ndarray
    w_block: np.ndarray
    w_coef: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    qbuf: np.ndarray
    qoff: np.ndarray
    lam: np.ndarray
    w_l1: np.ndarray
    tau: float


def blocks_of(d: Design, sp: StructuredPenalty) -> Blocks:
    """The blocks of ``d`` under ``sp``: groups restricted to the design's features (a group's
    weight is ``v_g √|g|`` with its declared size; its members must share one penalty factor),
    every other feature its own block; bounds scaled by σ."""
    q = d.index.shape[0]
    pos = np.full(d.n_features, -1, dtype=np.int64)
    pos[d.index] = np.arange(q)
    in_group = np.zeros(q, dtype=bool)
    order, starts, is_group, w_block = [], [0], [], []
    for i, g in enumerate(sp.groups):
        if len(g) < 2:
            continue
        members = pos[np.asarray(g, dtype=np.int64)]
        members = members[members >= 0]
        if members.size == 0:
            continue
        vg = d.v[members]
        if np.ptp(vg) > 0.0:
            raise ValueError(f"group {i}: its features have different penalty factors "
                             f"({float(vg.min())} .. {float(vg.max())}); give one per group")
        order.extend(members.tolist())
        starts.append(len(order))
        is_group.append(True)
        w_block.append(float(vg[0]) * math.sqrt(len(g)))
        in_group[members] = True
    for j in np.flatnonzero(~in_group):
        order.append(int(j))
        starts.append(len(order))
        is_group.append(False)
        w_block.append(float(d.v[j]))
    order_a = np.asarray(order, dtype=np.int64)
    starts_a = np.asarray(starts, dtype=np.int64)
    w_block_a = np.asarray(w_block, dtype=np.float64)
    w_coef = np.zeros(q)
    qoff = np.zeros(len(is_group), dtype=np.int64)
    lam = np.zeros(q)
    qparts: list[np.ndarray] = []
    size = 0
    for b, grp in enumerate(is_group):
        idx = order_a[starts_a[b]:starts_a[b + 1]]
        w_coef[idx] = w_block_a[b]
        if grp:
            ev, Q = np.linalg.eigh(d.G[np.ix_(idx, idx)])
            lam[starts_a[b]:starts_a[b + 1]] = ev
            qoff[b] = size
            qparts.append(np.ascontiguousarray(Q).reshape(-1))
            size += Q.size
    s = d.scale[d.index]
    w_l1 = np.where(in_group, d.v, 0.0)
    return Blocks(order_a, starts_a, np.asarray(is_group, dtype=np.bool_), w_block_a, w_coef,
                  np.ascontiguousarray(sp.lower[d.index] * s),
                  np.ascontiguousarray(sp.upper[d.index] * s),
                  np.concatenate(qparts) if qparts else np.zeros(0), qoff, lam, w_l1,
                  float(sp.group_l1_ratio))


def structured_alpha_max(d: Design, blk: Blocks, l1_ratio: float, beta0: np.ndarray) -> float:
    """The smallest alpha at which every penalized block is 0: ``max_b score_b / (ρ w_b)`` at
    the unpenalized fit ``beta0``."""
    g = d.c - d.G @ beta0
    out = 0.0
    for bk in range(blk.w_block.shape[0]):
        if blk.w_block[bk] > 0.0:
            out = max(out, block_score(bk, g, blk))
    return out / l1_ratio


def structured_objective(d: Design, blk: Blocks, beta: np.ndarray, alpha: float,
                         l1_ratio: float) -> float:
    """``P(β)`` of the module docstring on the design's features (``inf`` outside the box)."""
    l1, l2 = alpha * l1_ratio, alpha * (1.0 - l1_ratio)
    if np.any(beta < blk.lower) or np.any(beta > blk.upper):
        return math.inf
    smooth = 0.5 * d.yy - float(d.c @ beta) + 0.5 * float(beta @ (d.G @ beta))
    nrm = block_norms(blk, beta)
    tau = np.where(blk.is_group, blk.tau, 0.0)
    pen = float(blk.w_block @ (l1 * (1.0 - tau) * nrm + 0.5 * l2 * nrm * nrm))
    return smooth + pen + l1 * blk.tau * float(blk.w_l1 @ np.abs(beta))


def block_norms(blk: Blocks, beta: np.ndarray) -> np.ndarray:
    """``‖β_b‖₂`` of every block."""
    return np.sqrt(np.add.reduceat(beta[blk.order] ** 2, blk.starts[:-1]))
