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
   with the rows of the changed coefficients);
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

from lasso_spark.core.jit import cached_jit
from lasso_spark.core.objective import gap_from_moments
from lasso_spark.core.penalties import (
    Blocks,
    StructuredPenalty,
    blocks_of,
    bounded_step,
    box_conjugate,
    group_shift,
    singleton_dual,
    singleton_score,
    structured_alpha_max,
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


def structured_path(
    d: Design,
    sp: StructuredPenalty,
    grid: np.ndarray,
    l1_ratio: float,
    tol_abs: float,
    max_iter: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """``(coefs (m, q), gaps, n_iter, alpha_max)`` on the design's features (module
    docstring)."""
    blk = blocks_of(d, sp)
    beta = _unpenalized_start(d, blk, tol_abs, max_iter)
    a_max = structured_alpha_max(d, blk, l1_ratio, beta)
    m, q = grid.shape[0], d.index.shape[0]
    coefs = np.zeros((m, q))
    gaps = np.zeros(m)
    n_iter = np.zeros(m, dtype=np.int64)
    if m and q:
        _bcd_path(*_kernel_args(d, blk), np.ascontiguousarray(grid, dtype=np.float64),
                  float(l1_ratio), a_max if a_max > 0.0 else math.inf, float(tol_abs),
                  int(max_iter), beta, coefs, gaps, n_iter)
    return coefs, gaps, n_iter, a_max
