"""Block coordinate descent on the Gram for the structured penalties of
:mod:`lasso_spark.core.penalties` (coefficient bounds, groups), certified by their duality gap.

:func:`structured_path` solves ``P(β)`` of :mod:`lasso_spark.core.penalties` along a decreasing
alpha grid with warm starts. Per alpha:

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

from lasso_spark.core.jit import cached_jit
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

#: a feature outside the strong set violates KKT when its score exceeds l1 w (1 + _KKT_SLACK)
_KKT_SLACK = 1e-12
#: block coordinate descent passes at one alpha before Newton steps on the active blocks
_NEWTON_AFTER = 12
#: Anderson extrapolation over this many differences of consecutive passes
_ANDERSON_K = 5
#: eigenvalues of a group's block below this fraction of its largest are its null space
_NULL = 1e-12


# ------------------------------------------------------------------------------- kernels
_singleton_score = cached_jit(inline="always")(singleton_score)


@cached_jit(inline="always")
def _score(bk, g, order, starts, is_group, lower, upper):
    """:func:`lasso_spark.core.penalties.block_score`, compiled."""
    a, e = starts[bk], starts[bk + 1]
    if is_group[bk]:
        s2 = 0.0
        for t in range(a, e):
            s2 += g[order[t]] * g[order[t]]
        return math.sqrt(s2)
    j = order[a]
    return _singleton_score(g[j], lower[j], upper[j])


@cached_jit()
def _block_step(bk, G, g, beta, order, starts, is_group, w_block, lower, upper, qbuf, qoff,
                lam, l1, l2, z, zh, new):
    """The exact minimizer over block ``bk``; updates ``beta`` and ``g``. Returns the largest
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
    if zn <= thr:
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
                    l1, l2):
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
            for t in range(a, e):
                j = order[t]
                bn += beta[j] * beta[j]
                s = g[j] - l2 * w * beta[j]
                sn += s * s
            l1n += w * math.sqrt(bn)
            if w > 0.0 and math.sqrt(sn) / w > dual:
                dual = math.sqrt(sn) / w
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
def _objective(c, G, yy, beta, sup, ns, starts, order, w_block, l1, l2):
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
        for t in range(starts[bk], starts[bk + 1]):
            s2 += beta[order[t]] * beta[order[t]]
        if s2 > 0.0:
            pen += w_block[bk] * (l1 * math.sqrt(s2) + 0.5 * l2 * s2)
    return 0.5 * yy - lin + 0.5 * quad + pen


@cached_jit()
def _anderson(hist, beta, g, G, c, yy, starts, order, w_block, lower, upper, l1, l2, sup,
              cand):
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
    if _objective(c, G, yy, cand, sup, ns, starts, order, w_block, l1, l2) >= _objective(
            c, G, yy, beta, sup, ns, starts, order, w_block, l1, l2):
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
              lam, alphas, rho, alpha_zero, tol_abs, max_iter, beta, coefs, gaps, n_iter):
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
            strong[bk] = nz or _score(bk, g, order, starts, is_group, lower,
                                      upper) >= cut * w_block[bk]
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
                            upper, qbuf, qoff, lam, l1, l2, z, zh, new)
            it += 1
            hist[pos, :] = beta
            pos += 1
            if pos == _ANDERSON_K + 1:
                pos = 0
                _anderson(hist, beta, g, G, c, yy, starts, order, w_block, lower, upper, l1,
                          l2, sup, cand)
            added = 0
            for bk in range(nb):
                if not strong[bk] and _score(bk, g, order, starts, is_group, lower, upper) > (
                        l1 * w_block[bk] * (1.0 + _KKT_SLACK)):
                    strong[bk] = True
                    added += 1
            if added:
                continue
            gap = _structured_gap(c, g, beta, yy, order, starts, is_group, w_block, w_coef,
                                  lower, upper, l1, l2)
            if gap <= tol_abs:
                g[:] = c - G @ beta
                gap = _structured_gap(c, g, beta, yy, order, starts, is_group, w_block,
                                      w_coef, lower, upper, l1, l2)
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
            blk.w_coef, blk.lower, blk.upper, blk.qbuf, blk.qoff, blk.lam)


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
                                 blk.w_block, blk.w_coef, blk.lower, blk.upper,
                                 alpha * l1_ratio, alpha * (1.0 - l1_ratio)))


def structured_alpha_max_of(d: Design, sp: StructuredPenalty, l1_ratio: float,
                            tol_abs: float, max_iter: int) -> float:
    """``alpha_max`` of the structured problem of ``d`` (the all-zero edge of the path)."""
    blk = blocks_of(d, sp)
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


def structured_path(
    d: Design,
    sp: StructuredPenalty,
    grid: np.ndarray,
    l1_ratio: float,
    tol_abs: float,
    max_iter: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """``(coefs (m, q), gaps, n_iter, alpha_max)`` on the design's features (module
    docstring). Per alpha, block coordinate descent for up to ``_NEWTON_AFTER`` passes; when
    that does not certify the gap, Newton steps on the active blocks' smooth system
    (:func:`_newton_refine`), then block coordinate descent again (KKT over all blocks and
    the duality gap certify the result, whatever the Newton steps did)."""
    blk = blocks_of(d, sp)
    beta = _unpenalized_start(d, blk, tol_abs, max_iter)
    a_max = structured_alpha_max(d, blk, l1_ratio, beta)
    m, q = grid.shape[0], d.index.shape[0]
    coefs = np.zeros((m, q))
    gaps = np.zeros(m)
    n_iter = np.zeros(m, dtype=np.int64)
    if not (m and q):
        return coefs, gaps, n_iter, a_max
    args = _kernel_args(d, blk)
    grid = np.ascontiguousarray(grid, dtype=np.float64)
    prev = a_max if a_max > 0.0 else math.inf
    one_c, one_gap, one_it = np.zeros((1, q)), np.zeros(1), np.zeros(1, dtype=np.int64)
    for k in range(m):
        a = grid[k:k + 1]
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
        coefs[k], gaps[k], n_iter[k] = one_c[0], one_gap[0], used
        beta = one_c[0].copy()
        prev = float(a[0])
    return coefs, gaps, n_iter, a_max
