"""numba kernels of the wide-mode executor passes, on CSR chunks (see :mod:`.chunks`).

All kernels accumulate into caller-owned arrays, per fold (``fold[i]`` of row ``i``).
"""

from __future__ import annotations

import logging

from lasso_spark.core.jit import cached_jit

logger = logging.getLogger(__name__)


@cached_jit()
def sparse_gram(indptr, loc, vals, is_sparse, Dc, dense_index, w, fold, C, s):
    """Working-set Gram products that involve a sparse column.

    ``loc[e]`` is the working-set position of entry ``e`` (−1: not in the set). For every row
    ``i`` (fold ``f``) and sparse entries ``a, b`` of that row::

        C[f, a, b]         += w_i x_a x_b           (raw products; centered by the caller)
        C[f, a, D[d]]      += w_i x_a Dc[i, d]      (Dc: the row's centered dense columns)
        s[f, a]            += w_i x_a
    """
    m = indptr.shape[0] - 1
    nD = dense_index.shape[0]
    for i in range(m):
        f = fold[i]
        wi = w[i]
        for e in range(indptr[i], indptr[i + 1]):
            a = loc[e]
            if a < 0 or not is_sparse[a]:
                continue
            xa = wi * vals[e]
            s[f, a] += xa
            for e2 in range(indptr[i], indptr[i + 1]):
                b = loc[e2]
                if b >= 0 and is_sparse[b]:
                    C[f, a, b] += xa * vals[e2]
            for d in range(nD):
                C[f, a, dense_index[d]] += xa * Dc[i, d]


@cached_jit()
def residuals(indptr, loc, vals, y, B, b0, out):
    """``out[i, t] = y_i − b0_t − Σ_e x_e B[loc_e, t]`` over the row's working-set entries."""
    m = indptr.shape[0] - 1
    T = B.shape[1]
    for i in range(m):
        for t in range(T):
            out[i, t] = y[i] - b0[t]
        for e in range(indptr[i], indptr[i + 1]):
            a = loc[e]
            if a >= 0:
                x = vals[e]
                for t in range(T):
                    out[i, t] -= x * B[a, t]


@cached_jit()
def xt_r(indptr, cols, vals, WR, acc):
    """``acc[j, t] += Σ_i x_ij WR[i, t]`` (``WR``: weighted residuals, 0 on held-out rows)."""
    m = indptr.shape[0] - 1
    T = WR.shape[1]
    for i in range(m):
        for e in range(indptr[i], indptr[i + 1]):
            j = cols[e]
            x = vals[e]
            for t in range(T):
                acc[j, t] += x * WR[i, t]
