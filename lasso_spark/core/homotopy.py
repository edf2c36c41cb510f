"""Exact lasso path of a small Gram problem by homotopy (LARS with the lasso modification),
certified by the duality gap at every alpha of the grid.

Problem: :mod:`lasso_spark.core.newton`'s with ``l2 = 0``. Between two events the solution
is linear in ``l1``: with the active set ``A`` and the signs ``s``, ``β_A(l1) = u − l1 w``,
``u = G_AA⁻¹ c_A``, ``w = G_AA⁻¹ (v s)_A``, and the gradient of a feature outside ``A`` is
``g_j(l1) = a_j + l1 b_j`` (``a = c − G_{:A} u``, ``b = G_{:A} w``). Going down from ``l1₀``
the next event is the largest ``l1 < l1₀`` where a feature outside reaches ``|g_j| = l1 v_j``
(it joins with the sign of ``g_j``) or a coefficient inside reaches 0 (it leaves) (Efron,
Hastie, Johnstone & Tibshirani 2004; Osborne, Presnell & Turlach 2000). Every alpha of the
grid between two events is filled from those two vectors. ``G_AA⁻¹`` lives in a swept copy of
``G`` (Beaton's sweep operator, as Goodnight 1979 states it): a feature joins by one sweep and
leaves by the reverse sweep, each one rank-one update of a ``p × p`` array, and one product of
that array with two vectors gives ``u, w, a, b`` — a handful of numpy calls per event, which
is what a small problem needs (at p = 50 the feature-sign search of
:mod:`lasso_spark.core.newton` spends its time on per-call overhead, not flops).

A joining feature whose pivot (its variance left after projecting on ``A``'s columns) is
below ``DEPENDENT_PIVOT`` of its own is refused and stays at 0. Nothing is trusted from the swept
array in the end: the gradient ``c − Gβ`` of every alpha's answer is formed from ``G`` itself
in one product and the duality gap is computed from it; the path is returned up to the first
alpha whose gap exceeds the tolerance (rounding in the sweeps, a refused feature, ties), from
where the caller's solver carries on.
"""

from __future__ import annotations

import logging

import numpy as np

from lasso_spark.core.objective import gap_from_moments

logger = logging.getLogger(__name__)

__all__ = ["DEPENDENT_PIVOT", "homotopy_lasso_path"]

#: a joining feature is refused when the variance of its column left after projecting on the
#: active columns is below this fraction of its own (a condition number of G_AA ~ 1e10); the
#: Newton solver's factor uses the same bound
DEPENDENT_PIVOT = 1e-10
#: breakpoints up to this relative amount above the current l1 count as ties (rounding)
_TIE = 1e-9


def _sweep(T: np.ndarray, k: int, reverse: bool) -> None:
    """Sweep (or reverse-sweep) the symmetric array ``T`` on ``k``, in place."""
    d = T[k, k]
    col = T[:, k] / d
    row = T[k].copy()
    T -= np.multiply.outer(col, row)
    if reverse:
        col = -col
    T[k] = col
    T[:, k] = col
    T[k, k] = -1.0 / d


def homotopy_lasso_path(
    G: np.ndarray,
    c: np.ndarray,
    yy: float,
    v: np.ndarray,
    alphas: np.ndarray,
    alpha_zero: float,
    tol_abs: float,
    max_events: int,
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """The lasso path (module docstring) of ``(G, c, yy)`` with penalty factors ``v`` at the
    decreasing ``alphas`` (``l1 = alpha``); at and above ``alpha_zero`` every penalized
    coefficient is 0. Returns ``(coefs (r, p), gaps (r,), events, refused)`` for the first ``r``
    alphas, each certified (gap ≤ ``tol_abs``; ``r < len(alphas)`` when an alpha's gap was not,
    or after ``max_events`` events), with ``refused`` the features refused as dependent."""
    p, m = c.shape[0], alphas.shape[0]
    T = np.array(G, dtype=np.float64, order="C")
    gdiag = np.diag(G).copy()
    pen = v > 0.0
    inA = np.zeros(p, dtype=bool)
    refused = np.zeros(p, dtype=bool)
    s = np.zeros(p)
    for j in np.flatnonzero(~pen):  # unpenalized features: in from the start
        if T[j, j] > DEPENDENT_PIVOT * gdiag[j]:
            _sweep(T, int(j), False)
            inA[j] = True
        else:
            refused[j] = True
    coefs = np.zeros((m, p))
    cz = np.zeros((p, 2))  # c and v·s on A, 0 elsewhere
    cz[inA, 0] = c[inA]
    closed = inA | refused | ~pen  # features that cannot join
    n_frozen = int(np.count_nonzero(alphas >= alpha_zero))
    lam0 = np.inf
    moved = -1
    ia = 0
    events = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        while ia < m:
            Y = T @ cz  # on A: −u, −w; outside: G_jA u and b = G_jA w
            y0, b = Y[:, 0], Y[:, 1]
            a = c - y0
            top = lam0 * (1.0 + _TIE)
            rp = a / (v - b)
            rm = a / (-v - b)
            r_join = np.maximum(np.where((rp > 0.0) & (rp < top), rp, 0.0),
                                np.where((rm > 0.0) & (rm < top), rm, 0.0))
            r_join[closed] = 0.0
            r_leave = y0 / b  # u_j / w_j: where β_j(l1) = u_j − l1 w_j reaches 0
            r_leave[~(inA & pen & (r_leave > 0.0) & (r_leave < top))] = 0.0
            if moved >= 0:
                r_join[moved] = 0.0
                r_leave[moved] = 0.0
            j_join = int(np.argmax(r_join))
            j_leave = int(np.argmax(r_leave))
            lam = min(max(float(r_join[j_join]), float(r_leave[j_leave])), lam0)
            k = ia + int(np.count_nonzero(alphas[ia:] > lam)) if lam > 0.0 else m
            if ia == 0:  # the all-zero region: penalized coefficients 0 down to alpha_zero
                lam = min(lam, alpha_zero)
                k = max(k, n_frozen)
            if k > ia:
                u = np.where(inA, -y0, 0.0)
                w = np.where(inA, -b, 0.0)
                coefs[ia:k] = u[None, :] - alphas[ia:k, None] * w[None, :]
                ia = k
            if ia >= m or events >= max_events:
                break
            events += 1
            if r_leave[j_leave] >= r_join[j_join]:
                j = j_leave
                _sweep(T, j, True)
                inA[j] = closed[j] = False
                s[j] = cz[j, 0] = cz[j, 1] = 0.0
                moved = j
            elif T[j_join, j_join] > DEPENDENT_PIVOT * gdiag[j_join]:
                j = j_join
                _sweep(T, j, False)
                inA[j] = closed[j] = True
                s[j] = 1.0 if a[j] + lam * b[j] > 0.0 else -1.0
                cz[j, 0] = c[j]
                cz[j, 1] = v[j] * s[j]
                moved = j
            else:
                refused[j_join] = closed[j_join] = True
                moved = -1
            lam0 = lam
    r = ia
    B = coefs[:r]
    g = c[None, :] - B @ G
    cb = B @ c
    gb = np.einsum("ij,ij->i", g, B)
    l1n = np.abs(B) @ v
    if pen.any():
        dual = (np.abs(g[:, pen]) / v[pen][None, :]).max(axis=1)
    else:
        dual = np.zeros(r)
    gaps = np.empty(r)
    for k in range(r):
        gaps[k] = gap_from_moments(float(yy), float(cb[k]), float(gb[k]), float(alphas[k]), 0.0,
                                   float(l1n[k]), 0.0, float(dual[k]))
    bad = np.flatnonzero(gaps > tol_abs)
    if bad.size:
        r = int(bad[0])
    return B[:r], gaps[:r], events, int(np.count_nonzero(refused))
