"""The numba kernel of the active-set Newton solver (:mod:`lasso_spark.core.newton`): the
coordinate-descent sweep of its fallback, a tight loop with no BLAS/LAPACK equivalent.
Everything else of that solver is numpy and scipy's BLAS/LAPACK called from Python: nothing
to compile.

The kernel has one explicit signature and is compiled (or loaded from the disk cache, see
:mod:`lasso_spark.core.jit`) on its first call, so a fit that never falls back never
compiles it.
"""

from __future__ import annotations

import logging

import numpy as np

from lasso_spark.core.jit import cached_jit, kernel

logger = logging.getLogger(__name__)

__all__ = ["cd_sweep", "coordinate_minimizer"]


def coordinate_minimizer(z: float, thr: float, denom: float) -> float:
    """Minimizer of ``½·denom·b² − z·b + thr·|b|`` (soft-thresholding of ``z``): the coordinate
    step of every coordinate-descent kernel of the package. Plain Python on floats, so that
    numba compiles it unchanged (inlined) where it is used."""
    if z > thr:
        return (z - thr) / denom
    if z < -thr:
        return (z + thr) / denom
    return 0.0


_prox = cached_jit(inline="always")(coordinate_minimizer)


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
            new = _prox(z, l1 * v[j], diag[j] + l2 * v[j])
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
