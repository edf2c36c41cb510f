"""The two numba kernels of the active-set Newton solver (:mod:`lasso_spark.core.newton`):
tight loops that have no BLAS/LAPACK equivalent. Everything else of that solver is numpy and
scipy's BLAS/LAPACK, called from Python: nothing to compile.

Each kernel has one explicit signature and is compiled (or loaded from the disk cache, see
:mod:`lasso_spark.core.jit`) on its first call, so a fit that never needs one never compiles
it.
"""

from __future__ import annotations

import logging

import numpy as np

from lasso_spark.core.jit import kernel

logger = logging.getLogger(__name__)

__all__ = ["cd_sweep", "cholesky_delete"]


@kernel(
    "float64(float64[:, ::1], float64[::1], float64[::1], float64[::1], float64[::1], "
    "float64, float64, int64[::1], int64, int64)",
    nogil=True,
)
def cd_sweep(Gw, diag, g, beta, v, l1, l2, order, n, repeat):
    """``repeat`` cyclic coordinate-descent passes over the features ``order[:n]`` of a compact
    problem (``Gw`` its Gram, ``g = c − Gw β`` kept exact on every feature of it)::

        z = g_j + G_jj β_j,   β_j ← S(z, l1 v_j) / (G_jj + l2 v_j),   g ← g − G[j, :] Δβ_j

    Returns the largest ``|Δβ_j| √G_jj`` of the last pass (0: nothing moved)."""
    w = g.shape[0]
    big = 0.0
    for _ in range(repeat):
        big = 0.0
        for t in range(n):
            j = order[t]
            bj = beta[j]
            z = g[j] + diag[j] * bj
            thr = l1 * v[j]
            if z > thr:
                new = (z - thr) / (diag[j] + l2 * v[j])
            elif z < -thr:
                new = (z + thr) / (diag[j] + l2 * v[j])
            else:
                new = 0.0
            d = new - bj
            if d != 0.0:
                beta[j] = new
                row = Gw[j]
                for i in range(w):
                    g[i] -= row[i] * d
                ad = abs(d) * np.sqrt(diag[j])
                if ad > big:
                    big = ad
    return big


@kernel("int64(float64[::1, :], int64[::1])", nogil=True)
def cholesky_delete(R, keep):
    """Cholesky factor with some columns removed, in place: ``R[:m, :m]`` (upper, in a
    Fortran-ordered buffer; ``m = keep[-1] + 1`` or more) has ``RᵀR = M``; afterwards
    ``R[:k, :k]`` is an upper factor of ``M[keep][:, keep]`` (``keep`` sorted, k of them).
    Returns k.

    ``R[:, keep]`` is upper triangular but for a staircase below the diagonal; Givens rotations
    of neighbouring rows, generated column by column from the bottom up and applied to every
    later column, restore the triangle (``O(d m²)`` for d removed columns; orthogonal, so
    ``RᵀR`` is unchanged). Column ``keep[w] ≥ w`` is read before column w is written, so the
    update is in place. Diagonal entries may come out negative: ``RᵀR`` does not care."""
    k = keep.shape[0]
    if k == 0:
        return 0
    m = keep[k - 1] + 1
    cap = (m - k + 1) * m + 1
    rot_r = np.empty(cap, np.int64)
    rot_c = np.empty(cap)
    rot_s = np.empty(cap)
    nrot = 0
    col = np.empty(m)
    for w in range(k):
        j = keep[w]
        for i in range(j + 1):
            col[i] = R[i, j]
        for t in range(nrot):
            r = rot_r[t]
            a = col[r]
            b = col[r + 1]
            c = rot_c[t]
            s = rot_s[t]
            col[r] = c * a + s * b
            col[r + 1] = c * b - s * a
        for r in range(j - 1, w - 1, -1):
            b = col[r + 1]
            if b == 0.0:
                continue
            a = col[r]
            h = np.hypot(a, b)
            c = a / h
            s = b / h
            col[r] = h
            col[r + 1] = 0.0
            rot_r[nrot] = r
            rot_c[nrot] = c
            rot_s[nrot] = s
            nrot += 1
        for i in range(w + 1):
            R[i, w] = col[i]
        for i in range(w + 1, m):
            R[i, w] = 0.0
    return k
