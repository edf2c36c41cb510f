"""Path solvers on the Gram for the structured penalties of :mod:`lasso_spark.core.penalties`
(coefficient bounds, groups), certified by their duality gap.

:func:`structured_path` solves ``P(β)`` of :mod:`lasso_spark.core.penalties` along a decreasing
alpha grid with warm starts.

**Active-set Newton over blocks** (groups without bounds; :class:`_GroupNewton`). On the
active blocks ``A`` (non-zero blocks; signs ``s`` of the single features fixed) ``P`` is
smooth, with gradient ``F = G_AA β − c_A + l2 w∘β + l1 (w_j s_j ; w_g β_g/‖β_g‖)`` and Hessian
``J = G_AA + l2 diag(w) + blockdiag_g (l1 w_g/‖β_g‖)(I − u_g u_gᵀ)``, ``u_g = β_g/‖β_g‖``.
Per alpha, from the previous solution extrapolated linearly in alpha: Newton steps
``−J⁻¹F`` (backtracked until ``P`` decreases; a single feature that reaches 0 on the way
stops the step there and leaves, as in the feature-sign search of
:mod:`lasso_spark.core.newton`; a group whose exact block minimizer is 0 leaves) until the
Newton decrement is small; then ``g = c − Gβ`` over all features: blocks violating KKT
(``‖g_b‖ > l1 w_b``) join, each from its exact block step (below), and Newton resumes; without
violators the duality gap certifies the alpha (else a tighter Newton round). The Newton
systems are solved by conjugate gradients preconditioned with one upper Cholesky factor ``R``
kept along the path: extended by a Schur-complement append when blocks join
(``Rᵀ X = J_A,new`` by BLAS-3 ``dtrsm``), downdated by Givens rotations when a few
coordinates leave (:mod:`lasso_spark.core.blas`), rebuilt only when conjugate gradients need
more than ``_PCG_REFRESH`` iterations (the group curvature it holds has gone stale) — the
factor is reused across Newton steps and alphas as the plain lasso's is. ``G_AA`` times the
step comes from the conjugate-gradient products (``J x`` accumulated), so a step costs no
product with ``G_AA`` beyond them. The sparse group lasso (``τ = group_l1_ratio > 0``) is the
same smooth problem on a smaller set: a group's active coordinates are its non-zero features,
each with its sign fixed (``l1 τ v_j s_j`` in ``F``; the group norm weighs ``(1−τ) w_g``);
an inactive group joins when its sparse-group dual norm exceeds ``l1`` (from its block step),
a zero feature of an active group when ``|g_j| > l1 τ v_j`` (from the minimizer of its
coordinate's quadratic majorizer, so ``P`` never increases), and a feature that reaches 0
leaves on its own. An alpha it does not certify falls back to block coordinate descent:

**Block coordinate descent** (bounds, ``solver="cd"``; the fallback). Per alpha:

1. sequential strong rule over blocks: the strong set is the blocks with a non-zero
   coefficient, the unpenalized ones and those with ``score_b ≥ ρ w_b (2α_k − α_{k−1})``, where
   ``score_b = ‖g_b‖`` for a group and, for one feature, ``g_j`` (if ``u_j > 0``) or ``−g_j``
   (if ``l_j < 0``), whichever is larger (0 if neither);
2. cyclic passes over the strong set with the exact block steps of
   :mod:`lasso_spark.core.penalties` (``g = c − Gβ`` kept on every feature: a step updates it
   with the rows of the changed coefficients); every ``K + 1 = 6`` passes, Anderson
   extrapolation of the last iterates on the support (Bertrand & Massias, 2021; clipped to
   the box), taken only when it lowers the objective;
3. after each pass, the KKT conditions of the blocks outside the strong set
   (``score_b > l1 w_b``: violators join it) and the duality gap over all features; when the gap
   is at most ``tol_abs``, ``g`` is recomputed from scratch (``c − Gβ``, clearing the rounding
   of the updates) and the gap confirmed.

The eigenbasis of every group's block of ``G`` is computed once per path (``O(|g|³)``); a group
step then costs ``O(|g|²)`` for the basis change plus ``O(p |g|)`` for the gradient update, the
same as ``|g|`` coordinate steps. Everything runs in one numba kernel, compiled (or loaded from
the disk cache) on its first call.
"""

from __future__ import annotations

import logging
import math

import numpy as np
from scipy.linalg import cho_factor, cho_solve

from lasso_spark.core.blas import (
    cholesky_delete,
    cholesky_upper,
    compact_square,
    trmv_upper,
    trsm_upper_t,
    trsv_upper,
)
from lasso_spark.core.jit import cached_jit
from lasso_spark.core.newton import NewtonDiagnostics
from lasso_spark.core.objective import gap_from_moments
from lasso_spark.core.penalties import (
    Blocks,
    StructuredPenalty,
    block_norms,
    blocks_of,
    bounded_step,
    box_conjugate,
    group_shift,
    singleton_dual,
    singleton_score,
    sparse_group_dual,
    structured_alpha_max,
    structured_objective,
)
from lasso_spark.core.quadratic import Design

logger = logging.getLogger(__name__)

__all__ = ["structured_alpha_max_of", "structured_gap", "structured_path"]

_gap_from_moments = cached_jit(inline="always")(gap_from_moments)
_bounded_step = cached_jit(inline="always")(bounded_step)
_box_conjugate = cached_jit(inline="always")(box_conjugate)
_singleton_dual = cached_jit(inline="always")(singleton_dual)
_group_shift = cached_jit()(group_shift)
_sparse_group_dual = cached_jit()(sparse_group_dual)

#: a feature outside the strong set violates KKT when its score exceeds l1 w (1 + _KKT_SLACK)
_KKT_SLACK = 1e-12
#: block coordinate descent passes at one alpha before Newton steps on the active blocks
_NEWTON_AFTER = 12
#: Anderson extrapolation over this many differences of consecutive passes
_ANDERSON_K = 5
#: proximal gradient steps of one sparse group lasso block step, at most
_SGL_STEPS = 500
#: ... stopping when no coefficient of the block moved by more than this part of the largest
_SGL_MOVED = 1e-13
#: eigenvalues of a group's block below this fraction of its largest are its null space
_NULL = 1e-12


# ------------------------------------------------------------------------------- kernels
_singleton_score = cached_jit(inline="always")(singleton_score)


@cached_jit(inline="always")
def _score(bk, g, order, starts, is_group, w_block, lower, upper, w_l1, tau):
    """:func:`lasso_spark.core.penalties.block_score`, compiled (``w_block[bk] > 0``)."""
    a, e = starts[bk], starts[bk + 1]
    if is_group[bk]:
        if tau > 0.0:
            idx = order[a:e]
            return _sparse_group_dual(g[idx], w_l1[idx], tau, w_block[bk])
        s2 = 0.0
        for t in range(a, e):
            s2 += g[order[t]] * g[order[t]]
        return math.sqrt(s2) / w_block[bk]
    j = order[a]
    return _singleton_score(g[j], lower[j], upper[j]) / w_block[bk]


@cached_jit()
def _sparse_group_block(bk, G, order, starts, w_block, lam, w_l1, tau, l1, l2, z, new, prev,
                        mom):
    """The minimizer over a sparse group lasso block, ``½ bᵀAb − zᵀb + l1 Ω(b)``
    (``A = G_bb + l2 w I``), into ``new`` (holding the current coefficients on entry): 0 when
    ``‖S(z, l1 τ v)‖ ≤ l1 (1−τ) w``, else accelerated proximal gradient steps ``1/λ_max(A)``
    with the exact prox (soft-threshold, group shrink), restarted when the step turns back,
    until the iterates move less than ``_SGL_MOVED`` of their size or ``_SGL_STEPS`` steps (the
    outer passes and the duality gap decide convergence)."""
    a, e = starts[bk], starts[bk + 1]
    k = e - a
    w = w_block[bk]
    t2 = l1 * (1.0 - tau) * w
    n2 = 0.0
    for r in range(k):
        x = abs(z[r]) - l1 * tau * w_l1[order[a + r]]
        if x > 0.0:
            n2 += x * x
    if math.sqrt(n2) <= t2:
        for r in range(k):
            new[r] = 0.0
        return
    lmax = 0.0
    for r in range(k):
        if lam[a + r] > lmax:
            lmax = lam[a + r]
    step = 1.0 / (lmax + l2 * w)
    for r in range(k):
        prev[r] = new[r]
        mom[r] = new[r]
    theta = 1.0
    for _ in range(_SGL_STEPS):
        # gradient step from the momentum point, then the prox
        n2 = 0.0
        for r in range(k):
            acc = l2 * w * mom[r] - z[r]
            jr = order[a + r]
            for t in range(k):
                acc += G[jr, order[a + t]] * mom[t]
            x = mom[r] - step * acc
            thr = step * l1 * tau * w_l1[jr]
            x = x - thr if x > thr else (x + thr if x < -thr else 0.0)
            new[r] = x
            n2 += x * x
        nrm = math.sqrt(n2)
        shrink = 1.0 - step * t2 / nrm if nrm > step * t2 else 0.0
        moved = 0.0
        size = 0.0
        for r in range(k):
            new[r] *= shrink
            moved = max(moved, abs(new[r] - prev[r]))
            size = max(size, abs(new[r]))
        if moved <= _SGL_MOVED * size or size == 0.0:
            return
        theta_next = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * theta * theta))
        # restart (plain step next) when the step went against the last one
        dot = 0.0
        for r in range(k):
            dot += (mom[r] - new[r]) * (new[r] - prev[r])
        if dot > 0.0:
            theta_next = 1.0
        for r in range(k):
            mom[r] = new[r] + (theta - 1.0) / theta_next * (new[r] - prev[r])
            prev[r] = new[r]
        theta = theta_next


@cached_jit()
def _block_step(bk, G, g, beta, order, starts, is_group, w_block, lower, upper, qbuf, qoff,
                lam, w_l1, tau, l1, l2, z, zh, new):
    """The exact minimizer over block ``bk`` (for a sparse group lasso block, its iterative
    minimizer :func:`_sparse_group_block`); updates ``beta`` and ``g``. Returns the largest
    ``|Δβ_j| √G_jj`` of the block."""
    a, e = starts[bk], starts[bk + 1]
    w = w_block[bk]
    q = g.shape[0]
    if not is_group[bk]:
        j = order[a]
        bj = beta[j]
        nb = _bounded_step(g[j] + G[j, j] * bj, l1 * w, G[j, j] + l2 * w, lower[j], upper[j])
        d = nb - bj
        if d == 0.0:
            return 0.0
        beta[j] = nb
        for i in range(q):
            g[i] -= G[j, i] * d
        return abs(d) * math.sqrt(G[j, j])
    k = e - a
    zn2 = 0.0
    for r in range(k):
        jr = order[a + r]
        acc = g[jr]
        for t in range(k):
            acc += G[jr, order[a + t]] * beta[order[a + t]]
        z[r] = acc
        zn2 += acc * acc
    thr = l1 * w
    zn = math.sqrt(zn2)
    if tau > 0.0:
        for r in range(k):
            new[r] = beta[order[a + r]]
        _sparse_group_block(bk, G, order, starts, w_block, lam, w_l1, tau, l1, l2, z, new,
                            zh, np.empty(k))
    elif zn <= thr:
        for r in range(k):
            new[r] = 0.0
    else:
        off = qoff[bk]
        lmax = 0.0
        for r in range(k):
            if lam[a + r] + l2 * w > lmax:
                lmax = lam[a + r] + l2 * w
        for r in range(k):  # ẑ = Qᵀ z, null space projected out
            acc = 0.0
            for t in range(k):
                acc += qbuf[off + t * k + r] * z[t]
            lr = lam[a + r] + l2 * w
            zh[r] = acc if lr > _NULL * lmax else 0.0
        lw = lam[a:e] + l2 * w
        mu = _group_shift(zh[:k], lw, thr, zn) if thr > 0.0 else 0.0
        for r in range(k):
            den = lw[r] + mu
            zh[r] = zh[r] / den if den > 0.0 and zh[r] != 0.0 else 0.0
        for r in range(k):
            acc = 0.0
            for t in range(k):
                acc += qbuf[off + r * k + t] * zh[t]
            new[r] = acc
    big = 0.0
    for r in range(k):
        jr = order[a + r]
        d = new[r] - beta[jr]
        if d != 0.0:
            beta[jr] = new[r]
            for i in range(q):
                g[i] -= G[jr, i] * d
            ad = abs(d) * math.sqrt(G[jr, jr])
            if ad > big:
                big = ad
    return big


@cached_jit()
def _structured_gap(c, g, beta, yy, order, starts, is_group, w_block, w_coef, lower, upper,
                    w_l1, tau, l1, l2):
    """The duality gap of :mod:`lasso_spark.core.penalties` over all features."""
    cb = 0.0
    gb = 0.0
    l2n = 0.0
    for j in range(beta.shape[0]):
        b = beta[j]
        if b != 0.0:
            cb += c[j] * b
            gb += g[j] * b
            l2n += w_coef[j] * b * b
    l1n = 0.0
    dual = 0.0
    nb = starts.shape[0] - 1
    for bk in range(nb):
        w = w_block[bk]
        a, e = starts[bk], starts[bk + 1]
        if is_group[bk]:
            bn = 0.0
            sn = 0.0
            an = 0.0
            for t in range(a, e):
                j = order[t]
                bn += beta[j] * beta[j]
                an += w_l1[j] * abs(beta[j])
                s = g[j] - l2 * w * beta[j]
                sn += s * s
            l1n += (1.0 - tau) * w * math.sqrt(bn) + tau * an
            if w > 0.0:
                if tau > 0.0:
                    sv = np.empty(e - a)
                    for t in range(a, e):
                        sv[t - a] = g[order[t]] - l2 * w * beta[order[t]]
                    dg = _sparse_group_dual(sv, w_l1[order[a:e]], tau, w)
                else:
                    dg = math.sqrt(sn) / w
                if dg > dual:
                    dual = dg
        else:
            j = order[a]
            l1n += w * abs(beta[j])
            if w > 0.0:
                dj = _singleton_dual(g[j] - l2 * w * beta[j], w, lower[j], upper[j],
                                     beta[j])
                if dj > dual:
                    dual = dj
    kappa = 1.0 if dual <= l1 else l1 / dual
    conj = 0.0
    for bk in range(nb):
        if not is_group[bk]:
            j = order[starts[bk]]
            w = w_block[bk]
            conj += _box_conjugate(kappa * (g[j] - l2 * w * beta[j]), l1 * w, lower[j],
                                   upper[j])
    return _gap_from_moments(yy, cb, gb, l1, l2, l1n, l2n, dual) + conj


@cached_jit()
def _objective(c, G, yy, beta, sup, ns, starts, order, is_group, w_block, w_l1, tau, l1, l2):
    """``P(β)`` for ``β`` zero outside ``sup[:ns]`` (:mod:`lasso_spark.core.penalties`)."""
    lin = 0.0
    quad = 0.0
    for a in range(ns):
        i = sup[a]
        acc = 0.0
        for b in range(ns):
            acc += G[i, sup[b]] * beta[sup[b]]
        lin += c[i] * beta[i]
        quad += beta[i] * acc
    pen = 0.0
    for bk in range(starts.shape[0] - 1):
        s2 = 0.0
        ab = 0.0
        for t in range(starts[bk], starts[bk + 1]):
            s2 += beta[order[t]] * beta[order[t]]
            ab += w_l1[order[t]] * abs(beta[order[t]])
        if s2 > 0.0:
            mix = tau if is_group[bk] else 0.0
            pen += w_block[bk] * (l1 * (1.0 - mix) * math.sqrt(s2) + 0.5 * l2 * s2)
            pen += l1 * mix * ab
    return 0.5 * yy - lin + 0.5 * quad + pen


@cached_jit()
def _anderson(hist, beta, g, G, c, yy, starts, order, is_group, w_block, w_l1, tau, lower,
              upper, l1, l2, sup, cand):
    """Anderson extrapolation of the last ``K + 1`` iterates ``hist`` on the support of
    ``beta`` (Bertrand & Massias, 2021), clipped to the box; taken (``beta``, ``g`` updated)
    only when it lowers ``P``. Returns whether it was taken."""
    K = hist.shape[0] - 1
    q = beta.shape[0]
    ns = 0
    for i in range(q):
        if beta[i] != 0.0:
            sup[ns] = i
            ns += 1
    if ns == 0:
        return False
    U = np.zeros((K, ns))
    for k in range(K):
        for a in range(ns):
            U[k, a] = hist[k + 1, sup[a]] - hist[k, sup[a]]
    M = U @ U.T
    tr = 0.0
    for k in range(K):
        tr += M[k, k]
    if not tr > 0.0:
        return False
    for k in range(K):
        M[k, k] += 1e-10 * tr
    z = np.linalg.solve(M, np.ones(K))
    zs = z.sum()
    if not (np.isfinite(zs) and zs != 0.0):
        return False
    for i in range(q):
        cand[i] = 0.0
    for a in range(ns):
        i = sup[a]
        acc = 0.0
        for k in range(K):
            acc += z[k] / zs * hist[k + 1, i]
        cand[i] = min(max(acc, lower[i]), upper[i])
    if _objective(c, G, yy, cand, sup, ns, starts, order, is_group, w_block, w_l1, tau, l1,
                  l2) >= _objective(c, G, yy, beta, sup, ns, starts, order, is_group, w_block,
                                    w_l1, tau, l1, l2):
        return False
    for i in range(q):
        acc = c[i]
        for a in range(ns):
            acc -= G[i, sup[a]] * cand[sup[a]]
        g[i] = acc
    for a in range(ns):
        beta[sup[a]] = cand[sup[a]]
    return True


@cached_jit()
def _bcd_path(G, c, yy, order, starts, is_group, w_block, w_coef, lower, upper, qbuf, qoff,
              lam, w_l1, tau, alphas, rho, alpha_zero, tol_abs, max_iter, beta, coefs, gaps,
              n_iter):
    """The path of :func:`structured_path` (module docstring); ``beta`` is the warm start."""
    q = G.shape[0]
    nb = starts.shape[0] - 1
    kmax = 1
    for bk in range(nb):
        if starts[bk + 1] - starts[bk] > kmax:
            kmax = starts[bk + 1] - starts[bk]
    z = np.zeros(kmax)
    zh = np.zeros(kmax)
    new = np.zeros(kmax)
    g = c - G @ beta
    strong = np.zeros(nb, dtype=np.bool_)
    work = np.zeros(nb, dtype=np.int64)
    hist = np.zeros((_ANDERSON_K + 1, q))
    sup = np.zeros(q, dtype=np.int64)
    cand = np.zeros(q)
    prev = alpha_zero
    for k in range(alphas.shape[0]):
        alpha = alphas[k]
        l1 = alpha * rho
        l2 = alpha * (1.0 - rho)
        cut = rho * (2.0 * alpha - min(prev, 2.0 * alpha))
        for bk in range(nb):
            if strong[bk] or w_block[bk] == 0.0:
                strong[bk] = True
                continue
            nz = False
            for t in range(starts[bk], starts[bk + 1]):
                if beta[order[t]] != 0.0:
                    nz = True
            strong[bk] = nz or _score(bk, g, order, starts, is_group, w_block, lower, upper,
                                      w_l1, tau) >= cut
        it = 0
        pos = 0
        gap = math.inf
        while it < max_iter:
            nw = 0
            for bk in range(nb):
                if strong[bk]:
                    work[nw] = bk
                    nw += 1
            for t in range(nw):
                _block_step(work[t], G, g, beta, order, starts, is_group, w_block, lower,
                            upper, qbuf, qoff, lam, w_l1, tau, l1, l2, z, zh, new)
            it += 1
            hist[pos, :] = beta
            pos += 1
            if pos == _ANDERSON_K + 1:
                pos = 0
                _anderson(hist, beta, g, G, c, yy, starts, order, is_group, w_block, w_l1,
                          tau, lower, upper, l1, l2, sup, cand)
            added = 0
            for bk in range(nb):
                if not strong[bk] and _score(bk, g, order, starts, is_group, w_block, lower,
                                             upper, w_l1, tau) > l1 * (1.0 + _KKT_SLACK):
                    strong[bk] = True
                    added += 1
            if added:
                continue
            gap = _structured_gap(c, g, beta, yy, order, starts, is_group, w_block, w_coef,
                                  lower, upper, w_l1, tau, l1, l2)
            if gap <= tol_abs:
                g[:] = c - G @ beta
                gap = _structured_gap(c, g, beta, yy, order, starts, is_group, w_block,
                                      w_coef, lower, upper, w_l1, tau, l1, l2)
                if gap <= tol_abs:
                    break
        coefs[k, :] = beta
        gaps[k] = gap
        n_iter[k] = it
        prev = alpha
        for bk in range(nb):  # the next alpha's strong set starts from the support
            strong[bk] = False
    return q


def _kernel_args(d: Design, blk: Blocks) -> tuple:
    return (d.G, d.c, float(d.yy), blk.order, blk.starts, blk.is_group, blk.w_block,
            blk.w_coef, blk.lower, blk.upper, blk.qbuf, blk.qoff, blk.lam, blk.w_l1, blk.tau)


def _unpenalized_start(d: Design, blk: Blocks, tol_abs: float, max_iter: int) -> np.ndarray:
    """``β`` with the penalized blocks at 0 and the unpenalized ones at their (bounded)
    least-squares fit: the path's start."""
    beta = np.zeros(d.index.shape[0])
    if not (blk.w_block == 0.0).any():
        return beta
    coefs = np.zeros((1, beta.shape[0]))
    _bcd_path(*_kernel_args(d, blk), np.array([1e300]), 1.0, math.inf, tol_abs, max_iter,
              beta, coefs, np.zeros(1), np.zeros(1, dtype=np.int64))
    return coefs[0].copy()


def structured_gap(d: Design, sp: StructuredPenalty, beta: np.ndarray, alpha: float,
                   l1_ratio: float) -> float:
    """The duality gap of ``beta`` (design's features, standardized scale) for the structured
    problem at ``alpha`` (:mod:`lasso_spark.core.penalties`), by the kernel's own function."""
    blk = blocks_of(d, sp)
    b = np.ascontiguousarray(beta, dtype=np.float64)
    g = d.c - d.G @ b
    return float(_structured_gap(d.c, g, b, float(d.yy), blk.order, blk.starts, blk.is_group,
                                 blk.w_block, blk.w_coef, blk.lower, blk.upper, blk.w_l1,
                                 blk.tau, alpha * l1_ratio, alpha * (1.0 - l1_ratio)))


def structured_alpha_max_of(d: Design, sp: StructuredPenalty, l1_ratio: float,
                            tol_abs: float, max_iter: int, blk: Blocks | None = None) -> float:
    """``alpha_max`` of the structured problem of ``d`` (the all-zero edge of the path);
    ``blk``: ``blocks_of(d, sp)`` when the caller already has it."""
    blk = blocks_of(d, sp) if blk is None else blk
    return structured_alpha_max(d, blk, l1_ratio, _unpenalized_start(d, blk, tol_abs,
                                                                     max_iter))


def _newton_system(d: Design, blk: Blocks, beta: np.ndarray, l1: float, l2: float
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """``(free, F, H, single)``: the coordinates of the non-zero blocks not held at a bound, the
    gradient of ``P`` there and its Hessian (the block's ``w (I − u uᵀ)/‖β_b‖`` for groups)."""
    nrm = block_norms(blk, beta)
    heads = blk.order[blk.starts[:-1]]
    free: list[int] = []
    single: list[bool] = []
    curv: list[tuple[np.ndarray, float, float]] = []
    sub = np.zeros(beta.shape[0])
    for bk in np.flatnonzero(blk.is_group & (nrm > 0.0)):
        idx = blk.order[blk.starts[bk]:blk.starts[bk + 1]]
        w = float(blk.w_block[bk])
        sub[idx] = w * beta[idx] / nrm[bk]
        curv.append((np.arange(len(free), len(free) + idx.shape[0]), w, float(nrm[bk])))
        free.extend(idx.tolist())
        single.extend([False] * idx.shape[0])
    js = heads[~blk.is_group & (nrm > 0.0)]
    js = js[(beta[js] != blk.lower[js]) & (beta[js] != blk.upper[js])]
    w_js = blk.w_coef[js]
    sub[js] = w_js * np.sign(beta[js])
    free.extend(js.tolist())
    single.extend([True] * js.shape[0])
    if not free:
        return None
    f = np.asarray(free, dtype=np.int64)
    F = d.G[f] @ beta - d.c[f] + l2 * blk.w_coef[f] * beta[f] + l1 * sub[f]
    H = d.G[np.ix_(f, f)]
    H[np.diag_indices_from(H)] += l2 * blk.w_coef[f]
    for pos, w, nrm in curv:
        u = beta[f[pos]] / nrm
        H[np.ix_(pos, pos)] += l1 * w / nrm * (np.eye(pos.shape[0]) - np.outer(u, u))
    return f, F, H, np.asarray(single, dtype=bool)


def _newton_refine(d: Design, blk: Blocks, beta: np.ndarray, alpha: float, rho: float,
                   steps: int = 8) -> int:
    """Newton steps on the smooth system of ``beta``'s active blocks (signs of single
    features and the box kept; each step halved until it lowers ``P``). ``beta`` is updated
    in place; returns the steps taken."""
    l1, l2 = alpha * rho, alpha * (1.0 - rho)
    taken = 0
    if blk.tau > 0.0:  # the system below has no l1 part within groups
        return taken
    obj = structured_objective(d, blk, beta, alpha, rho)
    for _ in range(steps):
        system = _newton_system(d, blk, beta, l1, l2)
        if system is None:
            break
        f, F, H, single = system
        try:
            step = -cho_solve(cho_factor(H, check_finite=False), F, check_finite=False)
        except np.linalg.LinAlgError:
            break
        t = 1.0
        for _ in range(6):
            trial = beta.copy()
            trial[f] = beta[f] + t * step
            signs_kept = np.all(np.sign(trial[f][single]) == np.sign(beta[f][single]))
            new = structured_objective(d, blk, trial, alpha, rho) if signs_kept else math.inf
            if new < obj:
                break
            t *= 0.5
        else:
            break
        beta[:] = trial
        taken += 1
        if obj - new <= 1e-15 * max(abs(obj), 1e-300):
            obj = new
            break
        obj = new
    return taken


# ------------------------------------------------------------ active-set Newton (groups)
#: Newton steps at one alpha before block coordinate descent takes over
_GN_BUDGET = 40
#: preconditioned CG iterations on one Newton system before the factor is rebuilt
_PCG_MAX = 12
#: a Newton system is solved until its preconditioned residual norm² falls by this factor
_PCG_RTOL = 1e-6
#: a Newton solve that needed more CG iterations than this rebuilds the factor for the next
_PCG_REFRESH = 4
#: after a full Newton step from a decrement below this multiple of the target, the next
#: decrement is presumed below the target (quadratic convergence); KKT and the gap decide
_QUADRATIC = 1e5
#: removing more than this fraction of the factor's coordinates at once drops the factor
_GN_REBUILD_FRACTION = 0.125
#: :meth:`_GroupNewton.solve`'s status before its first Newton call (truthy: blocks may join)
_NOT_STARTED = 3
#: before the first Newton step at an alpha, a block joins only when it violates KKT at the
#: warm start by this fraction of the step's change of l1 at least (as the plain lasso's
#: predicted entrants do): a spurious entrant costs a Newton step to leave again
_JOIN_MARGIN = 0.25


class _GroupNewton:
    """Active-set Newton on the blocks of a problem without bounds (:func:`structured_path`).
    Holds the active blocks, their coordinates in joining order, ``G`` on them and the upper
    Cholesky factor ``R`` of a Newton matrix (the preconditioner of :meth:`_solve`): exact
    when rebuilt, extended when blocks join (a Schur-complement append), Givens-downdated when
    a few coordinates leave; the group curvature it holds is that of its last rebuild. ``G``
    on the active coordinates and the factor live in the leading ``m × m`` blocks of buffers
    with spare capacity (C-ordered), so that joining and leaving copy no more than they
    must."""

    def __init__(self, d: Design, blk: Blocks, beta: np.ndarray) -> None:
        self.d, self.blk = d, blk
        self.beta = beta
        self.block_of = np.repeat(np.arange(blk.starts.shape[0] - 1), np.diff(blk.starts))[
            np.argsort(blk.order)]
        self.active = np.zeros(blk.w_block.shape[0], dtype=bool)
        self.member = np.zeros(blk.order.shape[0], dtype=bool)
        #: single features that joined in :meth:`solve`'s first KKT round (at the warm start)
        #: and have not been through a Newton step since
        self.provisional = np.zeros(blk.order.shape[0], dtype=bool)
        self.coords = np.zeros(0, dtype=np.int64)
        self.gbuf = np.zeros((0, 0))
        self.rbuf = np.zeros((0, 0))
        self.has_factor = False
        #: what the factor holds beyond ``G_AA`` (groups without a within-group l1 part): per
        #: coordinate the diagonal shift (``l2 w``, plus ``μ_g`` on a group's coordinates)
        #: and per group ``bk`` the rank-1 term ``(μ_g, u_g)`` it subtracts, as of the
        #: rebuild or append that put them there (:meth:`_solve_split`)
        self.fdiag = np.zeros(0)
        self.fheld: dict[int, tuple[float, np.ndarray]] = {}
        self.refactorizations = 0
        self.steps = 0
        self.pcg = 0
        self._layout()
        nrm = block_norms(blk, beta)
        self.add(np.flatnonzero((nrm > 0.0) | (blk.w_block == 0.0)), 0.0, 0.0)

    def _coords_of(self, bks: list[int]) -> np.ndarray:
        """The coordinates that join with blocks ``bks``: all of a block's, but only the
        non-zero ones of a sparse group lasso group (its zeros join one by one)."""
        blk = self.blk
        parts = []
        for b in bks:
            idx = blk.order[blk.starts[b]:blk.starts[b + 1]]
            if blk.tau > 0.0 and blk.is_group[b] and blk.w_block[b] > 0.0:
                idx = idx[self.beta[idx] != 0.0]
            parts.append(idx)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    @property
    def m(self) -> int:
        return int(self.coords.shape[0])

    @property
    def GAA(self) -> np.ndarray:
        m = self.m
        return self.gbuf[:m, :m]

    def _reserve(self, n: int) -> None:
        cap = self.gbuf.shape[0]
        if n <= cap:
            return
        cap = min(self.d.index.shape[0], max(n, 2 * cap, 64))
        m = self.m
        for name in ("gbuf", "rbuf"):
            grown = np.zeros((cap, cap))
            grown[:m, :m] = getattr(self, name)[:m, :m]
            setattr(self, name, grown)

    def _layout(self) -> None:
        """Per active coordinate its ridge weight ``wv`` and l1 weight ``lw`` (a single
        feature's ``w``, a sparse group lasso feature's ``τ v_j``; those with ``lw > 0`` keep
        their sign while active); per active group ``(bk, sl, pos)``: its positions as a slice
        (contiguous) or an index array, and as an index array."""
        blk = self.blk
        c = self.coords
        self.wv = blk.w_coef[c]
        bks = self.block_of[c]
        grp = blk.is_group[bks]
        self.lw = np.where(grp, blk.tau * blk.w_l1[c], self.wv)
        self.signed = self.lw > 0.0
        self.segs: list[tuple[int, slice | np.ndarray, np.ndarray]] = []
        gpos = np.flatnonzero(grp & (blk.w_block[bks] > 0.0))
        if gpos.size:
            gb = bks[gpos]
            o = np.argsort(gb, kind="stable")
            gpos, gb = gpos[o], gb[o]
            for piece in np.split(gpos, np.flatnonzero(np.diff(gb)) + 1):
                a, e = int(piece[0]), int(piece[-1]) + 1
                sl = slice(a, e) if e - a == piece.shape[0] else piece
                self.segs.append((int(bks[a]), sl, piece))

    def add(self, bks: np.ndarray, l1: float, l2: float) -> None:
        """Blocks ``bks`` join (their coefficients already set); the factor, if any, is
        extended by the Schur complement of their Newton rows."""
        bks = [int(b) for b in bks if not self.active[b]]
        if bks:
            self.add_coords(self._coords_of(bks), l1, l2)

    def add_coords(self, new: np.ndarray, l1: float, l2: float) -> None:
        """Coordinates ``new`` (not members; their coefficients already set) join."""
        if new.shape[0] == 0:
            return
        self.active[self.block_of[new]] = True
        self.member[new] = True
        m, k = self.m, new.shape[0]
        self._reserve(m + k)
        G = self.d.G
        B = G[new[:, None], self.coords[None, :]]  # (k, m) rows of G: G[new, A]
        gb = self.gbuf
        gb[m:m + k, :m] = B
        gb[:m, m:m + k] = B.T
        gb[m:m + k, m:m + k] = G[np.ix_(new, new)]
        self.coords = np.concatenate([self.coords, new])
        self._layout()
        if not self.has_factor:
            return
        # the new rows of the Newton matrix at the current point
        C = gb[m:m + k, m:m + k].copy()
        C[np.diag_indices_from(C)] += l2 * self.wv[m:]
        gw = 1.0 - self.blk.tau
        fd = l2 * self.wv[m:]
        held = {}
        for bk, _, pos in self.segs:
            if pos[-1] >= m:
                bg = self.beta[self.coords[pos]]
                nrm = float(np.linalg.norm(bg))
                mu = gw * l1 * self.blk.w_block[bk] / nrm
                fresh = pos >= m
                loc, u = pos[fresh] - m, bg[fresh] / nrm
                C[np.ix_(loc, loc)] -= mu * np.outer(u, u)
                C[loc, loc] += mu
                fd[loc] += mu
                if fresh.all():
                    held[bk] = (mu, u)
                else:  # a group grown in place: its factor term is no longer one rank-1
                    self.fheld.pop(bk, None)
        X = np.asfortranarray(B.T)
        trsm_upper_t(self.rbuf, m, X)
        S = C - X.T @ X
        try:
            L = np.linalg.cholesky(S)
        except np.linalg.LinAlgError:
            self.has_factor = False
            return
        R = self.rbuf
        R[:m, m:m + k] = X
        R[m:m + k, :m] = 0.0
        R[m:m + k, m:m + k] = L.T
        self.fdiag = np.concatenate([self.fdiag, fd])
        self.fheld.update(held)

    def remove(self, bks: list[int]) -> None:
        """Blocks ``bks`` leave (their coefficients already 0)."""
        gone = np.zeros(self.blk.w_block.shape[0], dtype=bool)
        gone[bks] = True
        self.remove_at(np.flatnonzero(gone[self.block_of[self.coords]]))

    def remove_at(self, gone: np.ndarray) -> None:
        """The coordinates at positions ``gone`` (ascending) leave (coefficients 0)."""
        keep = np.ones(self.m, dtype=bool)
        keep[gone] = False
        self.member[self.coords[gone]] = False
        self.active[self.block_of[self.coords[gone]]] = False
        self.active[self.block_of[self.coords[keep]]] = True
        m = self.m
        if self.has_factor and gone.size <= _GN_REBUILD_FRACTION * m:
            for i in gone[::-1]:
                cholesky_delete(self.rbuf, m, int(i))
                m -= 1
            self.fdiag = self.fdiag[keep]
        else:
            self.has_factor = False
        compact_square(self.gbuf, self.m, gone)
        self.coords = self.coords[keep]
        self._layout()
        if self.fheld:  # a group's held term goes with it (and is void if only part left)
            segs = {bk: pos.shape[0] for bk, _, pos in self.segs}
            self.fheld = {bk: h for bk, h in self.fheld.items()
                          if segs.get(bk) == h[1].shape[0]}

    def _pieces(self, b: np.ndarray, r: np.ndarray, l1: float, l2: float
                ) -> tuple[np.ndarray, list[tuple[float, np.ndarray]]]:
        """``(F, curv)``: the gradient ``F`` of ``P`` on the active coordinates (``r = c_A −
        G_AA b``) and per active group ``(l1 w/‖b_g‖, u_g)``."""
        F = l2 * self.wv * b - r
        F += l1 * self.lw * np.sign(b)
        curv = []
        gw = 1.0 - self.blk.tau
        for bk, sl, _ in self.segs:
            n = float(np.linalg.norm(b[sl]))
            u = b[sl] / n
            F[sl] += gw * l1 * self.blk.w_block[bk] * u
            curv.append((gw * l1 * self.blk.w_block[bk] / n, u))
        return F, curv

    def _curv(self, x: np.ndarray, out: np.ndarray, curv: list, sign: float) -> None:
        """``out += sign · Σ_g μ_g (I − u_g u_gᵀ) x`` on the groups' coordinates."""
        for (mu, u), (_, sl, _) in zip(curv, self.segs, strict=True):
            out[sl] += sign * mu * (x[sl] - u * float(u @ x[sl]))

    def _jv(self, x: np.ndarray, diag: np.ndarray, rank1: list) -> np.ndarray:
        """``J x``: ``G_AA x + diag ∘ x − Σ_g μ_g u_g (u_gᵀ x_g)``, with ``diag = l2 w + μ_g``
        on each group's coordinates and ``rank1`` the pairs ``(μ_g u_g, u_g)`` of
        :meth:`_split`."""
        out = self.GAA @ x
        out += diag * x
        for (mu_u, u), (_, sl, _) in zip(rank1, self.segs, strict=True):
            out[sl] -= float(u @ x[sl]) * mu_u
        return out

    def _split(self, l2: float, curv: list) -> tuple[np.ndarray, list]:
        """``J − G_AA`` as a diagonal and one rank-1 term per group (for :meth:`_jv`)."""
        diag = l2 * self.wv
        rank1 = []
        for (mu, u), (_, sl, _) in zip(curv, self.segs, strict=True):
            diag[sl] += mu
            rank1.append((mu * u, u))
        return diag, rank1

    def _refactor(self, l2: float, curv: list) -> bool:
        """The factor rebuilt at the current Newton matrix: ``J`` written into the factor's
        buffer, then factored there in place."""
        self.has_factor = False
        m = self.m
        J = self.rbuf[:m, :m]
        J[...] = self.GAA
        fd = l2 * self.wv
        held = {}
        for (mu, u), (bk, sl, pos) in zip(curv, self.segs, strict=True):
            if isinstance(sl, slice):
                J[sl, sl] -= mu * np.outer(u, u)
            else:
                J[np.ix_(pos, pos)] -= mu * np.outer(u, u)
            fd[pos] += mu
            held[bk] = (mu, u)
        J[np.diag_indices(m)] += fd
        if not cholesky_upper(self.rbuf, m):
            return False
        self.fdiag, self.fheld = fd, held
        self.has_factor = True
        self.refactorizations += 1
        return True

    def _half(self, res: np.ndarray) -> np.ndarray:
        """``R⁻ᵀ res``: half the preconditioner; ``‖R⁻ᵀ res‖²`` is the residual's
        preconditioned norm², known before the second triangular solve."""
        z = res.copy()
        trsv_upper(self.rbuf, z.shape[0], z, True)
        return z

    def _solve(self, F: np.ndarray, l2: float, curv: list
               ) -> tuple[np.ndarray, np.ndarray] | None:
        """``(x, Jx)`` with ``x ≈ J⁻¹ F`` by conjugate gradients preconditioned with the kept
        factor (rebuilt when missing or when CG needs more than ``_PCG_MAX`` iterations);
        ``Jx`` accumulated from the iterations' products. The stopping test (the residual's
        preconditioned norm², ``‖R⁻ᵀ res‖²``) comes after the first of the preconditioner's two
        triangular solves, so the converged iteration skips the second."""
        for attempt in range(2):
            if not self.has_factor and not self._refactor(l2, curv):
                return None
            m = F.shape[0]
            x = np.zeros_like(F)
            jx = np.zeros_like(F)
            res = F.copy()
            z = self._half(res)
            rz = float(z @ z)  # resᵀ M⁻¹ res, M = RᵀR
            if rz <= 0.0:
                return x, jx
            trsv_upper(self.rbuf, m, z, False)
            pdir = z
            target = _PCG_RTOL * rz
            diag, rank1 = self._split(l2, curv)
            for it in range(_PCG_MAX):
                Ap = self._jv(pdir, diag, rank1)
                den = float(pdir @ Ap)
                if not den > 0.0:
                    break
                t = rz / den
                x += t * pdir
                jx += t * Ap
                res -= t * Ap
                z = self._half(res)
                rz_new = float(z @ z)
                if rz_new <= target:  # converged: the second triangular solve is not needed
                    self.pcg += it + 1
                    if it + 1 > _PCG_REFRESH:  # the factor has gone stale: rebuild it next
                        self.has_factor = False
                    return x, jx
                trsv_upper(self.rbuf, m, z, False)
                pdir = z + (rz_new / rz) * pdir
                rz = rz_new
            if attempt == 0:
                self.has_factor = False
        return x, jx

    def _solve_split(self, F: np.ndarray, l2: float, curv: list
                     ) -> tuple[np.ndarray, np.ndarray] | None:
        """:meth:`_solve` for groups without a within-group l1 part, by conjugate gradients
        on the split-preconditioned system ``R⁻ᵀ J R⁻¹ y = R⁻ᵀ F`` (``x = R⁻¹ y``; the same
        iterates as :meth:`_solve`'s): the factor ``RᵀR`` holds ``G_AA`` plus what
        :attr:`fdiag` and :attr:`fheld` record, so ``J = RᵀR + E`` with ``E`` a diagonal and
        two rank-1 terms per group (the current curvature less the held one), and an
        iteration costs two triangular solves and ``E``'s ``O(m)`` product, no product with
        ``G_AA``; ``J x = F − Rᵀ res`` at the end (``res`` the transformed residual). A factor
        just rebuilt at this point is exact: ``x = R⁻¹R⁻ᵀ F``, ``J x = F``."""
        for attempt in range(2):
            if self.has_factor and any(bk not in self.fheld for bk, _, _ in self.segs):
                self.has_factor = False  # a group's held term is unknown: rebuild
            fresh = not self.has_factor
            if fresh and not self._refactor(l2, curv):
                return None
            m = F.shape[0]
            R = self.rbuf
            res = F.copy()
            trsv_upper(R, m, res, True)
            rz = float(res @ res)
            if fresh:  # exact: one solve, the CG iteration it would take
                trsv_upper(R, m, res, False)
                self.pcg += 1
                return res, F.copy()
            x = np.zeros_like(F)
            if rz <= 0.0:
                return x, np.zeros_like(F)
            delta = l2 * self.wv - self.fdiag
            ng = len(self.segs)
            U = np.zeros((2 * ng, m))
            cf = np.zeros(2 * ng)
            for i, ((mu, u), (bk, sl, _)) in enumerate(zip(curv, self.segs, strict=True)):
                delta[sl] += mu
                hm, hu = self.fheld[bk]
                U[2 * i, sl] = u
                U[2 * i + 1, sl] = hu
                cf[2 * i], cf[2 * i + 1] = -mu, hm
            target = _PCG_RTOL * rz
            pdir = res.copy()
            converged = False
            for it in range(_PCG_MAX):
                v = pdir.copy()
                trsv_upper(R, m, v, False)
                w = delta * v
                if ng:
                    w += (cf * (U @ v)) @ U
                trsv_upper(R, m, w, True)
                w += pdir  # R⁻ᵀ J R⁻¹ pdir
                den = float(pdir @ w)
                if not den > 0.0:
                    break
                t = rz / den
                x += t * v
                res -= t * w
                rz_new = float(res @ res)
                if rz_new <= target:
                    self.pcg += it + 1
                    if it + 1 > _PCG_REFRESH:  # the factor has gone stale: rebuild it next
                        self.has_factor = False
                    converged = True
                    break
                pdir *= rz_new / rz
                pdir += res
                rz = rz_new
            if converged or attempt == 1:
                trmv_upper(R, m, res, True)
                return x, F - res
            self.has_factor = False
        return None

    def _penalty(self, b: np.ndarray, l1: float, l2: float) -> float:
        """The penalty of ``P`` on the active coordinates."""
        pen = float(self.lw @ np.abs(b)) * l1
        pen += 0.5 * l2 * float(self.wv @ (b * b))
        gw = 1.0 - self.blk.tau
        for bk, sl, _ in self.segs:
            pen += gw * l1 * self.blk.w_block[bk] * float(np.linalg.norm(b[sl]))
        return pen

    def newton(self, l1: float, l2: float, dec_tol: float, g: np.ndarray | None = None
               ) -> int:
        """Newton steps on the active blocks (signs of single features kept, a feature that
        reaches 0 leaves, a group whose KKT at 0 holds leaves) until one full step is taken
        (returns 1; once the decrement is below ``_QUADRATIC·dec_tol`` when groups
        are active) or the Newton decrement is at most ``dec_tol`` (its step taken when no
        sign changes; returns 2); 0 when the budget ran out or the system could not be
        solved. ``g``: ``c − Gβ`` at the current point over all features, when the caller
        has it (its active part is the first step's residual)."""
        r = None if g is None else g[self.coords]
        for _ in range(_GN_BUDGET):
            if self.m == 0:
                return 2
            b = self.beta[self.coords]
            if r is None:
                r = self.d.c[self.coords] - self.GAA @ b
            dropped = []
            tau = self.blk.tau
            for bk, sl, pos in self.segs:  # a group whose block minimizer is 0 leaves
                Gs = self.GAA[sl, sl] if isinstance(sl, slice) else self.GAA[np.ix_(pos, pos)]
                z = r[sl] + Gs @ b[sl]
                if tau > 0.0:  # soft-thresholded by the within-group l1 part
                    z = np.maximum(np.abs(z) - l1 * self.lw[sl], 0.0)
                if float(np.linalg.norm(z)) <= (1.0 - tau) * l1 * self.blk.w_block[bk]:
                    self.beta[self.coords[sl]] = 0.0
                    dropped.append(bk)
            if dropped:
                self.remove(dropped)
                r = None
                continue
            F, curv = self._pieces(b, r, l1, l2)
            solved = (self._solve(F, l2, curv) if self.blk.tau > 0.0
                      else self._solve_split(F, l2, curv))
            if solved is None or not np.all(np.isfinite(solved[0])):
                return 0
            self.steps += 1
            step, gs = solved
            step = -step
            # G_AA step from J step: J = G_AA + l2 diag(w) + group curvature
            gs = -gs - l2 * self.wv * step
            self._curv(step, gs, curv, -1.0)
            dec = -0.5 * float(F @ step)  # the Newton decrement (half its square)
            s = self.signed
            if dec <= dec_tol:  # converged: the (tiny) step is taken when it keeps the signs
                trial = b + step
                if np.all(trial[s] * b[s] > 0.0):
                    self.beta[self.coords] = trial
                return 2
            # P along b + t·step (up to ½yy): −½ bᵀ(c + r) − t rᵀstep + ½ t² stepᵀG step + pen
            quad0 = -0.5 * float(b @ (self.d.c[self.coords] + r))
            r_step = float(r @ step)
            step_g_step = float(step @ gs)
            obj = quad0 + self._penalty(b, l1, l2)
            # first zero crossing of a single feature
            cross = s & (b * (b + step) < 0.0)
            t_cross = 1.0
            if cross.any():
                t_cross = float(np.min(-b[cross] / step[cross]))
            prov = cross & self.provisional[self.coords]
            self.provisional[:] = False
            if prov.any():  # entrants of the warm start's KKT round that cross 0 leave
                self.beta[self.coords[prov]] = 0.0
                r = (r + self.GAA[:, prov] @ b[prov])[~prov]
                self.remove_at(np.flatnonzero(prov))
                continue
            t = t_cross
            trial = self._projected_step(b, step, gs, r, cross, quad0, obj, l1, l2)
            if trial is not None:
                t = 1.0
            else:
                for _ in range(30):
                    trial = b + t * step
                    if t == t_cross and cross.any():  # the features that reach 0 leave
                        ratio = -b[cross] / step[cross]
                        trial[np.flatnonzero(cross)[ratio <= t_cross * (1.0 + 1e-12)]] = 0.0
                    new = quad0 - t * r_step + 0.5 * t * t * step_g_step + self._penalty(
                        trial, l1, l2)
                    if new <= obj:
                        break
                    t *= 0.5
                else:
                    return 0
            self.beta[self.coords] = trial
            zero_single = s & (trial == 0.0)
            if zero_single.any():  # r at the trial point, kept exact: r − G_AA (trial − b)
                off = (trial - b - t * step)[zero_single]
                r = (r - t * gs - self.GAA[:, zero_single] @ off)[~zero_single]
                self.remove_at(np.flatnonzero(zero_single))
                continue
            if t == 1.0 and (not self.segs or dec <= _QUADRATIC * dec_tol):
                return 1  # a full step, exact on a quadratic or close: KKT and the gap next
            r = r - t * gs
        return 0

    def _projected_step(self, b: np.ndarray, step: np.ndarray, gs: np.ndarray, r: np.ndarray,
                        cross: np.ndarray, quad0: float, obj: float, l1: float, l2: float
                        ) -> np.ndarray | None:
        """The full step with every single feature that changes sign set to 0 (``cross``),
        when it does not increase ``P`` (``obj`` at ``b``; ``gs = G_AA step``): all of them
        leave at once, where the step to the first crossing removes one feature per Newton
        step (a joint exit of spurious entrants, e.g. one of a near-duplicate pair). ``None``
        when no feature crosses or ``P`` would increase."""
        if not cross.any():
            return None
        trial = b + step
        trial[cross] = 0.0
        delta = trial - b
        g_delta = gs + self.GAA[:, cross] @ (delta[cross] - step[cross])
        new = quad0 - float(r @ delta) + 0.5 * float(delta @ g_delta) + self._penalty(
            trial, l1, l2)
        return trial if new <= obj else None

    def _inner_violators(self, g: np.ndarray, l1: float, slack: float = _KKT_SLACK
                         ) -> np.ndarray:
        """Sparse group lasso: the features at 0 in active groups whose KKT condition
        ``|g_j| ≤ l1 τ v_j`` fails (the group norm's subgradient there is 0) by more than
        the relative ``slack``."""
        blk = self.blk
        b = self.block_of
        cand = (~self.member) & self.active[b] & blk.is_group[b] & (blk.w_block[b] > 0.0)
        return np.flatnonzero(cand & (np.abs(g) > l1 * blk.tau * blk.w_l1 * (1.0 + slack)))

    def _join_inner(self, js: np.ndarray, g: np.ndarray, l1: float, l2: float) -> None:
        """Features ``js`` (inner violators, largest violation first) join, each from the
        minimizer of its coordinate's majorizer (the group norm bounded by its quadratic at
        the current point: ``P`` does not increase); ``g`` is updated in place."""
        blk, G = self.blk, self.d.G
        thr = l1 * blk.tau * blk.w_l1
        joined = []
        for j in js[np.argsort(-(np.abs(g[js]) - thr[js]))]:
            x = abs(g[j]) - thr[j]
            if x <= 0.0:
                continue
            bk = int(self.block_of[j])
            idx = blk.order[blk.starts[bk]:blk.starts[bk + 1]]
            n = float(np.linalg.norm(self.beta[idx]))
            mu = (1.0 - blk.tau) * l1 * blk.w_block[bk] / n if n > 0.0 else 0.0
            x = math.copysign(x / (G[j, j] + l2 * blk.w_coef[j] + mu), g[j])
            self.beta[j] = x
            g -= G[j] * x
            joined.append(int(j))
        self.add_coords(np.asarray(joined, dtype=np.int64), l1, l2)

    def extrapolate(self, older: np.ndarray, ratio: float) -> None:
        """Move the warm start linearly in alpha, ``β + ratio (β − older)``, on the active
        coordinates when no single feature changes sign (then the active set is kept)."""
        b = self.beta[self.coords]
        cand = b + ratio * (b - older[self.coords])
        s = self.signed
        if np.all(cand[s] * b[s] > 0.0) and np.all(np.isfinite(cand)):
            self.beta[self.coords] = cand

    def solve(self, l1: float, l2: float, tol_abs: float, work: tuple,
              step_ratio: float = 1.0) -> float:
        """One alpha: KKT over all blocks at the current point (the warm start; violators
        by the margin of ``_JOIN_MARGIN (step_ratio − 1)``, ``step_ratio`` = previous alpha /
        this one, join, each by its exact block step; without violators the duality gap may
        already certify it), then Newton on the active blocks until a full step; after each,
        KKT again (every violator joins) and the duality gap, until the gap is at most
        ``tol_abs`` or Newton fails (the returned gap then exceeds ``tol_abs``)."""
        d, blk = self.d, self.blk
        gap = math.inf
        dec_tol = 1e-3 * tol_abs
        # KKT and the gap first, at the warm start: violators join before the first Newton
        # step (the gradient there is the previous gradients extrapolated linearly in
        # alpha), and a warm start the gap already certifies takes no step
        status = _NOT_STARTED
        for _ in range(_GN_BUDGET):
            g = d.c - d.G @ self.beta
            score = np.sqrt(np.add.reduceat(g[blk.order] ** 2, blk.starts[:-1]))
            if blk.tau > 0.0:  # an inactive group's score is its sparse group dual norm
                for bk in np.flatnonzero(~self.active & blk.is_group & (blk.w_block > 0.0)):
                    score[bk] = blk.w_block[bk] * _score(
                        int(bk), g, blk.order, blk.starts, blk.is_group, blk.w_block,
                        blk.lower, blk.upper, blk.w_l1, blk.tau)
            slack = _KKT_SLACK
            if status == _NOT_STARTED:
                slack += _JOIN_MARGIN * max(step_ratio - 1.0, 0.0)
            viol = (~self.active) & (score > l1 * blk.w_block * (1.0 + slack))
            inner = self._inner_violators(g, l1, slack) if blk.tau > 0.0 else None
            if inner is not None and inner.size and status:
                self._join_inner(inner, g, l1, l2)
                if not viol.any():
                    status = self.newton(l1, l2, dec_tol, g)
                    continue
            if viol.any() and status:
                z, zh, new = work
                joined = []
                for bk in np.flatnonzero(viol)[np.argsort(-score[viol])]:
                    _block_step(int(bk), d.G, g, self.beta, blk.order, blk.starts,
                                blk.is_group, blk.w_block, blk.lower, blk.upper, blk.qbuf,
                                blk.qoff, blk.lam, blk.w_l1, blk.tau, l1, l2, z, zh, new)
                    idx = blk.order[blk.starts[bk]:blk.starts[bk + 1]]
                    if np.any(self.beta[idx] != 0.0):
                        joined.append(int(bk))
                        if status == _NOT_STARTED and not blk.is_group[bk]:
                            self.provisional[idx] = True
                self.add(np.asarray(joined, dtype=np.int64), l1, l2)
                status = self.newton(l1, l2, dec_tol, g)
                continue
            gap = float(_structured_gap(d.c, g, self.beta, float(d.yy), blk.order, blk.starts,
                                        blk.is_group, blk.w_block, blk.w_coef, blk.lower,
                                        blk.upper, blk.w_l1, blk.tau, l1, l2))
            if gap <= tol_abs or not status:
                return gap
            if status == 2:  # Newton converged but not certified: a tighter Newton solve
                if dec_tol < 1e-12 * tol_abs:
                    return gap
                dec_tol *= 1e-3
            status = self.newton(l1, l2, dec_tol, g)
        return gap


def structured_path(
    d: Design,
    sp: StructuredPenalty,
    grid: np.ndarray,
    l1_ratio: float,
    tol_abs: float,
    max_iter: int,
    newton: bool = True,
    blk: Blocks | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, NewtonDiagnostics]:
    """``(coefs (m, q), gaps, n_iter, alpha_max, diagnostics)`` on the design's features.

    Without bounds (groups, any ``l1_ratio`` and ``group_l1_ratio``) and with ``newton``, per
    alpha: the active-set Newton of
    :class:`_GroupNewton` from the previous alpha's solution extrapolated linearly in alpha,
    certified by KKT over all blocks and the duality gap (``n_iter``: its Newton steps). At an
    alpha it does not certify, and at every alpha with bounds or without ``newton``: block
    coordinate descent
    (module docstring) for up to ``_NEWTON_AFTER`` passes, then rounds of Newton steps with a
    fresh factor (:func:`_newton_refine`) and block coordinate descent until the gap is
    certified or ``max_iter`` passes are spent (``n_iter``: passes + steps); the active-set
    Newton resumes at the next alpha from that point. ``blk``: ``blocks_of(d, sp)`` when the
    caller already has it (each group's eigenbasis is then computed once per path)."""
    blk = blocks_of(d, sp) if blk is None else blk
    beta = _unpenalized_start(d, blk, tol_abs, max_iter)
    a_max = structured_alpha_max(d, blk, l1_ratio, beta)
    m, q = grid.shape[0], d.index.shape[0]
    coefs = np.zeros((m, q))
    gaps = np.zeros(m)
    n_iter = np.zeros(m, dtype=np.int64)
    diag = NewtonDiagnostics()
    if not (m and q):
        return coefs, gaps, n_iter, a_max, diag
    args = _kernel_args(d, blk)
    grid = np.ascontiguousarray(grid, dtype=np.float64)
    prev = a_max if a_max > 0.0 else math.inf
    one_c, one_gap, one_it = np.zeros((1, q)), np.zeros(1), np.zeros(1, dtype=np.int64)
    kmax = int(np.diff(blk.starts).max())
    work = (np.zeros(kmax), np.zeros(kmax), np.zeros(kmax))
    gn = None if sp.has_bounds or not newton else _GroupNewton(d, blk, beta.copy())
    for k in range(m):
        a = grid[k:k + 1]
        if gn is not None:
            if k >= 2 and grid[k - 2] > grid[k - 1]:
                gn.extrapolate(coefs[k - 2], (grid[k] - grid[k - 1]) / (grid[k - 1] - grid[k - 2]))
            steps0 = gn.steps
            gap = gn.solve(float(a[0]) * l1_ratio, float(a[0]) * (1.0 - l1_ratio), tol_abs,
                           work, prev / float(a[0]) if math.isfinite(prev) else 1.0)
            n_iter[k] = gn.steps - steps0
            diag.newton_steps += int(n_iter[k])
            beta = gn.beta.copy()
            if gap <= tol_abs:
                coefs[k], gaps[k] = beta, gap
                diag.newton_alphas += 1
                prev = float(a[0])
                continue
        diag.fallback_alphas += 1
        _bcd_path(*args, a, float(l1_ratio), prev, float(tol_abs),
                  min(_NEWTON_AFTER, int(max_iter)), beta, one_c, one_gap, one_it)
        used = int(one_it[0])
        while one_gap[0] > tol_abs and used < max_iter:  # rounds: Newton, then certify
            beta = one_c[0].copy()
            newton = _newton_refine(d, blk, beta, float(a[0]), float(l1_ratio))
            budget = _NEWTON_AFTER if newton else 4 * _NEWTON_AFTER
            _bcd_path(*args, a, float(l1_ratio), prev, float(tol_abs),
                      max(1, min(budget, int(max_iter) - used)), beta, one_c, one_gap, one_it)
            used += int(one_it[0]) + newton
        diag.cd_passes += used
        coefs[k], gaps[k], n_iter[k] = one_c[0], one_gap[0], n_iter[k] + used
        beta = one_c[0].copy()
        prev = float(a[0])
        if gn is not None:  # the active-set Newton resumes from this point
            diag.refactorizations += gn.refactorizations
            gn = _GroupNewton(d, blk, beta.copy())
    if gn is not None:
        diag.refactorizations += gn.refactorizations
    return coefs, gaps, n_iter, a_max, diag
