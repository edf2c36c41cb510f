"""numba kernels of the wide-mode executor passes, on CSR chunks (see :mod:`.chunks`).

All kernels accumulate into caller-owned arrays, per fold (``fold[i]`` of row ``i``).
"""

from __future__ import annotations

import logging

from lasso_spark.core.jit import cached_jit

logger = logging.getLogger(__name__)


@cached_jit()
def gram_rows(eptr, epos, evals, w, fold, tptr, trow, tent, rowoff, cstart, out):
    """Rows of a working-set Gram block, target by target (column-major over the targets).

    Row ``i``'s entries are ``epos[eptr[i]:eptr[i+1]]`` (block positions) with values ``evals``;
    target ``a``'s entries are ``tent[tptr[a]:tptr[a+1]]`` (indices into ``evals``) in rows
    ``trow``. For every such row ``i`` (fold ``f``) and every entry ``b`` of it with
    ``pos(b) ≥ cstart[a]``::

        out[f, rowoff[a] + pos(b) − cstart[a]] += w_i v_a v_b

    One target's output row stays in cache while its rows are visited; ``cstart[a] = pos(a)``
    gives the packed upper triangle, ``cstart = 0`` full rows.
    """
    nt = tptr.shape[0] - 1
    for a in range(nt):
        ro = rowoff[a]
        c0 = cstart[a]
        for k in range(tptr[a], tptr[a + 1]):
            i = trow[k]
            f = fold[i]
            va = w[i] * evals[tent[k]]
            for e in range(eptr[i], eptr[i + 1]):
                b = epos[e]
                if b >= c0:
                    out[f, ro + b - c0] += va * evals[e]


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


@cached_jit()
def training_gram(T, H, subtract, idx, delta, mu, W, u, G, m_xy):
    """The standardized Gram of one fit from Gram-pass blocks about a common center, in one
    pass over the block (no intermediate statistics)::

        G[a, b] = (((T − H)[i, j] − W (δ_a δ_b)) + W (μ_a μ_b)) · (u_a u_b),  i = idx[a], j = idx[b]

    ``T − H`` (``H`` only with ``subtract``) is the block of the fit's rows about the center,
    ``δ`` its mean minus the center (the shift to its own mean), ``μ`` its mean (0 with an
    intercept, else the uncentered moments). Symmetric inputs give an exactly symmetric ``G``
    (every factor is symmetric in ``a, b``). ``m_xy[a]``: the same for the label column ``q``
    (``δ``/``μ`` of the label last), unscaled."""
    n = idx.shape[0]
    q = T.shape[0] - 1
    dy = delta[n]
    my = mu[n]
    for a in range(n):
        i = idx[a]
        da = delta[a]
        ma = mu[a]
        ua = u[a]
        for b in range(n):
            j = idx[b]
            x = T[i, j] - H[i, j] if subtract else T[i, j]
            x = (x - W * (da * delta[b])) + W * (ma * mu[b])
            G[a, b] = x * (ua * u[b])
        x = T[i, q] - H[i, q] if subtract else T[i, q]
        m_xy[a] = (x - W * (da * dy)) + W * (ma * my)
