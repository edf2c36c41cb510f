"""numba kernels: elastic-net coordinate descent on a Gram matrix (covariance updates).

The kernels solve, for each alpha of a decreasing grid, the quadratic form

    min_β  ½ yy − cᵀβ + ½ βᵀGβ  +  Σ_j v_j (l1 |β_j| + ½ l2 β_j²),   l1 = αρ,  l2 = α(1−ρ)

where ``G = X̃ᵀWX̃ / W``, ``c = X̃ᵀWy / W`` and ``yy = yᵀWy / W`` (so ``½ yy − cᵀβ + ½ βᵀGβ`` is
``1/(2W) Σ w (y − X̃β)²``). Every feature handed to the kernels has ``G_jj > 0`` and a finite
``v_j``; the Python layer removes the others.

State kept along the path: ``beta`` and the gradient of the smooth part with the sign flipped,
``g = c − Gβ`` (= ``X̃ᵀW r / W`` for the residual ``r``). A coordinate step is

    z = g_j + G_jj β_j,   β_j ← S(z, l1 v_j) / (G_jj + l2 v_j),   g ← g − G[j, :] Δβ_j

Each strong set S is solved on a compact copy of ``G[S][:, S]`` (from a float32 copy of G
when p is large: the passes are memory bound), with ``g`` kept exactly on S; ``g`` over all
features is rebuilt in float64 (``g = c − Gβ``: BLAS dsymv, which reads one triangle of the
symmetric G, when scipy is installed; rows of the non-zeros when β is sparse; this also clears
accumulated rounding) before every KKT check over all features. The compact copy is kept
across alphas: features joining S are appended (rows and columns copied), and it is rebuilt
only when more than a quarter of it has left S; passes still visit features in index order.

Per alpha (warm start from the previous solution, or its linear extrapolation in alpha when
that lowers the objective — exact for the lasso while no sign changes; its gradient is the same
extrapolation of the last two exact gradients, so it needs no product with G):

1. sequential strong rule: S = support ∪ unpenalized ∪ {j : |g_j| ≥ ρ v_j (2α_k − α_{k−1})};
2. a pass over the KKT violators of S (|g_j| > l1 v_j, β_j = 0) lets them in;
3. cycling over the active set A = support ∪ unpenalized until A's sub-problem reaches the gap
   tolerance, accelerated by Anderson extrapolation of the last iterates (accepted only when it
   lowers the objective; Bertrand & Massias, 2021); back to 2 while S has violators. A pass
   over A is block coordinate descent: consecutive blocks of 64 features of A are swept up to
   4 times on a cache-resident copy of their Gram block (stopping early once a sweep moves
   less than a quarter of the first), then ``g`` of all of S is updated with the rows of the
   block's changed coefficients (one memory pass over G, like a plain cyclic pass, but about
   half as many passes: the features most coupled are mostly within a block);
4. certification in float64: ``g`` rebuilt, unpenalized coefficients set to their exact
   least-squares value given the rest (so the dual point is feasible), KKT checked over ALL
   features (violators join S → 2) and the duality gap over all features compared with
   ``tol_abs``. If float32 passes cannot reach ``tol_abs``, the rest of the path uses float64.

The duality gap is :func:`lasso_spark.core.objective.gap_from_moments` (stated once there),
compiled here and fed with sums over the features of a set.

These kernels run ``enet_path(solver="cd")``; the default solver is the
active-set Newton solver of :mod:`lasso_spark.core.newton`, whose fallback uses
:mod:`lasso_spark.core.kernels` instead of these kernels.
"""

from __future__ import annotations

import logging

import numpy as np
from numba import objmode

from lasso_spark.core.jit import cached_jit
from lasso_spark.core.kernels import coordinate_minimizer
from lasso_spark.core.objective import gap_from_moments

try:  # BLAS dsymv reads one triangle of G, half the memory traffic of a gemv
    from scipy.linalg.blas import dsymv as _dsymv
except ImportError:  # pragma: no cover - scipy is a dependency (numba's np.dot needs it too)
    _dsymv = None

logger = logging.getLogger(__name__)

_ANDERSON_K = 5
# block coordinate descent on the active set: blocks of _BLOCK features (a 64×64 float64 block
# is 32 KiB: L1/L2 resident), each swept up to _BLOCK_SWEEPS times before the gradient of every
# other feature is updated (measured on bench_solver: 32–96 and 3–6 are all within 10%)
_BLOCK = 64
_BLOCK_SWEEPS = 4
_BLOCK_STOP = 0.25


# the duality-gap formula, stated once in lasso_spark.core.objective, compiled here
_gap_from_moments = cached_jit(inline="always")(gap_from_moments)


# the coordinate step, stated once in lasso_spark.core.kernels
_prox = cached_jit(inline="always")(coordinate_minimizer)


@cached_jit()
def _sweep(T, nT, G, diag, g, beta, v, l1, l2):
    """One cyclic pass over features ``T[:nT]``; ``g`` is updated on every feature with
    contiguous rows of G. Returns the number of coefficients changed."""
    changed = 0
    p = g.shape[0]
    for t in range(nT):
        j = T[t]
        bj = beta[j]
        z = g[j] + diag[j] * bj
        thr = l1 * v[j]
        new = _prox(z, thr, diag[j] + l2 * v[j])
        d = new - bj
        if d != 0.0:
            beta[j] = new
            changed += 1
            row = G[j]
            for i in range(p):
                g[i] -= row[i] * d
    return changed


@cached_jit()
def _gap(T, nT, c, g, beta, v, yy, l1, l2):
    """Duality gap of the problem restricted to features ``T[:nT]`` (exact when T ⊇ support
    and ``g`` is exact on T); see the module docstring."""
    cb = 0.0
    gb = 0.0
    l1n = 0.0
    l2n = 0.0
    dual = 0.0
    for t in range(nT):
        j = T[t]
        b = beta[j]
        if b != 0.0:
            cb += c[j] * b
            gb += g[j] * b
            l1n += v[j] * abs(b)
            l2n += v[j] * b * b
        if v[j] > 0.0:
            x = abs(g[j] - l2 * v[j] * b) / v[j]
            if x > dual:
                dual = x
    return _gap_from_moments(yy, cb, gb, l1, l2, l1n, l2n, dual)


def _symmetric_times(G: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``G x`` for a symmetric C-ordered float64 ``G``: BLAS dsymv on ``Gᵀ`` (Fortran order,
    the same matrix) when scipy is installed — it reads one triangle, so about twice as fast as
    a gemv on a memory-bound G — else a gemv."""
    if _dsymv is not None:
        return _dsymv(1.0, G.T, x)
    return G @ x


@cached_jit()
def _refresh_gradient(G, c, g, beta):
    """Rebuild ``g = c − Gβ`` over all features (G symmetric): BLAS symv/gemv when β has many
    non-zeros, else from the rows of the non-zeros."""
    p = c.shape[0]
    nnz = 0
    for k in range(p):
        if beta[k] != 0.0:
            nnz += 1
    if 4 * nnz > p:
        with objmode(Gb="float64[:]"):
            Gb = _symmetric_times(G, beta)
        for i in range(p):
            g[i] = c[i] - Gb[i]
        return
    for i in range(p):
        g[i] = c[i]
    for k in range(p):
        b = beta[k]
        if b != 0.0:
            row = G[k]
            for i in range(p):
                g[i] -= row[i] * b


@cached_jit()
def _anderson_weights(hist, K, nA, out):
    """Anderson mixing weights from K+1 stored iterates: ``out`` sums to 1. False if singular."""
    M = np.zeros((K, K))
    for a in range(K):
        for b in range(a, K):
            s = 0.0
            for t in range(nA):
                s += (hist[a + 1, t] - hist[a, t]) * (hist[b + 1, t] - hist[b, t])
            M[a, b] = s
            M[b, a] = s
    tr = 0.0
    for a in range(K):
        tr += M[a, a]
    if not tr > 0.0:
        return False
    for a in range(K):
        M[a, a] += 1e-10 * tr
    # Cholesky M = L Lᵀ, then solve M z = 1
    L = np.zeros((K, K))
    for a in range(K):
        for b in range(a + 1):
            s = M[a, b]
            for t in range(b):
                s -= L[a, t] * L[b, t]
            if a == b:
                if s <= 0.0:
                    return False
                L[a, a] = np.sqrt(s)
            else:
                L[a, b] = s / L[b, b]
    z = np.ones(K)
    for a in range(K):
        s = z[a]
        for t in range(a):
            s -= L[a, t] * z[t]
        z[a] = s / L[a, a]
    for a in range(K - 1, -1, -1):
        s = z[a]
        for t in range(a + 1, K):
            s -= L[t, a] * z[t]
        z[a] = s / L[a, a]
    tot = 0.0
    for a in range(K):
        tot += z[a]
    if tot == 0.0 or not np.isfinite(tot):
        return False
    for a in range(K):
        out[a] = z[a] / tot
    return True


@cached_jit()
def _block_sweep(A, nA, G, diag, g, beta, v, l1, l2, B, R, blocks, copied, gl, old, rows):
    """Block coordinate descent pass over ``A[:nA]``: consecutive blocks of ``B`` features are
    swept up to ``R`` times on a dense copy of their ``B×B`` Gram block (cache resident) with
    their own gradient, then ``g`` is updated on every feature with one row per changed
    coefficient, as in :func:`_sweep`. ``blocks[k]`` holds block k's copy, made on the first
    pass (``copied`` False) and reused while A is unchanged. Returns the number of coefficients
    changed."""
    p = g.shape[0]
    changed = 0
    for k0 in range(0, nA, B):
        nb = min(nA, k0 + B) - k0
        blk = blocks[k0 // B]
        if not copied:
            for a in range(nb):
                row = G[A[k0 + a]]
                for b in range(nb):
                    blk[a, b] = row[A[k0 + b]]
        for a in range(nb):
            gl[a] = g[A[k0 + a]]
            old[a] = beta[A[k0 + a]]
        first = 0.0
        for rep in range(R):
            big = 0.0
            for a in range(nb):
                j = A[k0 + a]
                bj = beta[j]
                z = gl[a] + diag[j] * bj
                thr = l1 * v[j]
                new = _prox(z, thr, diag[j] + l2 * v[j])
                d = new - bj
                if d != 0.0:
                    beta[j] = new
                    r = blk[a]
                    for b in range(nb):
                        gl[b] -= r[b] * d
                    ad = abs(d) * np.sqrt(diag[j])
                    if ad > big:
                        big = ad
            if rep == 0:
                first = big
            elif big <= _BLOCK_STOP * first:
                break
        # g −= G[K, :]ᵀ δ_K, four rows per sweep over g
        nd = 0
        for a in range(nb):
            j = A[k0 + a]
            d = beta[j] - old[a]
            if d != 0.0:
                gl[nd] = d
                rows[nd] = j
                nd += 1
        changed += nd
        t = 0
        while t + 4 <= nd:
            r0 = G[rows[t]]
            r1 = G[rows[t + 1]]
            r2 = G[rows[t + 2]]
            r3 = G[rows[t + 3]]
            d0 = gl[t]
            d1 = gl[t + 1]
            d2 = gl[t + 2]
            d3 = gl[t + 3]
            for i in range(p):
                g[i] -= (r0[i] * d0 + r1[i] * d1) + (r2[i] * d2 + r3[i] * d3)
            t += 4
        while t < nd:
            r0 = G[rows[t]]
            d0 = gl[t]
            for i in range(p):
                g[i] -= r0[i] * d0
            t += 1
    return changed


@cached_jit()
def _active_phase(A, nA, G, diag, c, yy, g, beta, v, l1, l2, tol_abs, it, max_iter, anderson,
                  counters, B, R):
    """Cycle over ``A[:nA]`` until its sub-problem's gap ≤ tol_abs (or max_iter); ``g`` is kept
    exact on every feature of the (compact) problem. Returns the new pass count.

    Every ``K+1`` passes the last iterates are Anderson-extrapolated; the extrapolation replaces
    the iterate when it lowers the objective."""
    p = g.shape[0]
    K = _ANDERSON_K
    hist = np.empty((K + 1, nA))
    wts = np.empty(K)
    extr = np.empty(nA)
    g_ext = np.empty(p)
    nb = min(B, nA) if B > 0 else 1
    # copies of the Gram blocks of A (exact copies of G's entries), made on the first pass
    blocks = np.empty(((nA + nb - 1) // nb, nb, nb), G.dtype)
    copied = False
    gl = np.empty(nb)
    old = np.empty(nb)
    rows = np.empty(nb, dtype=np.int64)
    n_hist = 0
    while it < max_iter:
        if _gap(A, nA, c, g, beta, v, yy, l1, l2) <= tol_abs:
            break
        if B > 0:
            _block_sweep(A, nA, G, diag, g, beta, v, l1, l2, B, R, blocks, copied, gl, old,
                         rows)
            copied = True
        else:
            _sweep(A, nA, G, diag, g, beta, v, l1, l2)
        it += 1
        counters[1] += 1
        if not anderson:
            continue
        for a in range(nA):
            hist[n_hist, a] = beta[A[a]]
        n_hist += 1
        if n_hist < K + 1:
            continue
        n_hist = 0
        counters[2] += 1
        if not _anderson_weights(hist, K, nA, wts):
            continue
        for a in range(nA):
            s = 0.0
            for t in range(K):
                s += wts[t] * hist[t + 1, a]
            extr[a] = s
        p_cur = _primal_on(A, nA, c, g, beta, v, yy, l1, l2)
        # g_ext = c − G β_ext, from contiguous rows
        for i in range(p):
            g_ext[i] = c[i]
        for a in range(nA):
            b = extr[a]
            if b != 0.0:
                row = G[A[a]]
                for i in range(p):
                    g_ext[i] -= row[i] * b
        p_ext = 0.5 * yy
        for a in range(nA):
            b = extr[a]
            j = A[a]
            p_ext += -0.5 * (c[j] + g_ext[j]) * b + v[j] * (l1 * abs(b) + 0.5 * l2 * b * b)
        if p_ext < p_cur:
            counters[3] += 1
            for a in range(nA):
                beta[A[a]] = extr[a]
            for i in range(p):
                g[i] = g_ext[i]
    return it


@cached_jit()
def _compact_update(Gsrc, Gc, order, pos, nC, S, nS, rebuild):
    """Make the compact Gram ``Gc[:nC, :nC] = Gsrc[order][:, order]`` cover the features
    ``S[:nS]``: missing ones are appended (their rows and columns copied); with ``rebuild`` the
    compact set is first emptied, so it becomes exactly S. Grows ``Gc`` geometrically (capacity
    at most p). Returns the (possibly new) buffer and the new size."""
    if rebuild:
        for a in range(nC):
            pos[order[a]] = -1
        nC = 0
    n = nC
    for t in range(nS):
        j = S[t]
        if pos[j] < 0:
            pos[j] = n
            order[n] = j
            n += 1
    if n == nC:
        return Gc, nC
    if n > Gc.shape[0]:
        cap = min(Gsrc.shape[0], max(2 * n, 64))
        grown = np.empty((cap, cap), Gsrc.dtype)
        for a in range(nC):
            for b in range(nC):
                grown[a, b] = Gc[a, b]
        Gc = grown
    for a in range(nC, n):
        row = Gsrc[order[a]]
        for b in range(n):
            Gc[a, b] = row[order[b]]
    for a in range(nC):
        for b in range(nC, n):
            Gc[a, b] = Gc[b, a]
    return Gc, n


@cached_jit()
def _solve_restricted(
    C, pos, nC, Gc, diag, c, yy, g, beta, v, l1, l2, tol_abs, it, max_iter, anderson, counters,
    B, R
):
    """Solve the problem restricted to the compact features ``C[:nC]`` (``Gc[:nC, :nC]`` their
    Gram, from G or its float32 copy; ``pos`` the inverse map, −1 outside): passes over the
    KKT violators alternate with active-set cycling until A's gap ≤ ``tol_abs`` and the
    compact set has no violator. Writes β on it back; ``g`` is left stale (the caller rebuilds
    it). Returns the pass count."""
    nS = nC
    gS = np.empty(nS)
    bS = np.empty(nS)
    cS = np.empty(nS)
    vS = np.empty(nS)
    dS = np.empty(nS)
    for a in range(nS):
        j = C[a]
        gS[a] = g[j]
        bS[a] = beta[j]
        cS[a] = c[j]
        vS[a] = v[j]
        dS[a] = diag[j]
    A = np.empty(nS, dtype=np.int64)
    V = np.empty(nS, dtype=np.int64)
    # sweep in feature order whatever the storage order (cyclic CD on chain-like designs
    # converges several times faster along the chain than in arrival order)
    by_feature = np.empty(nS, dtype=np.int64)
    k = 0
    for j in range(pos.shape[0]):
        if pos[j] >= 0:
            by_feature[k] = pos[j]
            k += 1
    while it < max_iter:
        nA = 0
        nV = 0
        for a in by_feature:
            if bS[a] != 0.0 or vS[a] == 0.0:
                A[nA] = a
                nA += 1
            elif abs(gS[a]) > l1 * vS[a]:
                V[nV] = a
                nV += 1
        if nV > 0:
            # a pass over the violators lets them in; then rebuild A
            _sweep(V, nV, Gc, dS, gS, bS, vS, l1, l2)
            it += 1
            counters[0] += 1
            continue
        if nA == 0:
            break
        it0 = it
        it = _active_phase(A, nA, Gc, dS, cS, yy, gS, bS, vS, l1, l2, tol_abs, it, max_iter,
                           anderson, counters, B, R)
        if it == it0:
            break  # A already at tolerance and no violators: restricted problem solved
    for a in range(nS):
        beta[C[a]] = bS[a]
    return it


@cached_jit()
def _primal_on(T, nT, c, g, beta, v, yy, l1, l2):
    """Primal objective when β is supported on ``T[:nT]`` and ``g`` exact there."""
    val = 0.5 * yy
    for t in range(nT):
        j = T[t]
        b = beta[j]
        if b != 0.0:
            val += -0.5 * (c[j] + g[j]) * b + v[j] * (l1 * abs(b) + 0.5 * l2 * b * b)
    return val


@cached_jit()
def _fit_unpenalized(G, U, Ginv, g, beta):
    """Set the unpenalized coefficients to their exact least-squares value given the others
    (``β_U ← G_UU⁺ (g_U + G_UU β_U)``) and update ``g`` (exact on entry) on every feature.

    Afterwards ``g_U = 0``, so the scaled residual is a feasible dual point (``X_Uᵀθ = 0``) and
    the duality gap is a true certificate even with unpenalized features."""
    nU = U.shape[0]
    if nU == 0:
        return
    z = np.empty(nU)
    for a in range(nU):
        s = g[U[a]]
        row = G[U[a]]
        for b in range(nU):
            s += row[U[b]] * beta[U[b]]
        z[a] = s
    p = g.shape[0]
    for a in range(nU):
        s = 0.0
        for b in range(nU):
            s += Ginv[a, b] * z[b]
        d = s - beta[U[a]]
        if d != 0.0:
            beta[U[a]] = s
            row = G[U[a]]
            for i in range(p):
                g[i] -= row[i] * d


@cached_jit()
def _primal_from_gradient(c, g, beta, v, yy, l1, l2):
    """Primal objective from β and the exact ``g = c − Gβ``: ½yy − ½cᵀβ − ½gᵀβ + penalty."""
    val = 0.5 * yy
    for j in range(beta.shape[0]):
        b = beta[j]
        if b != 0.0:
            val += -0.5 * (c[j] + g[j]) * b + v[j] * (l1 * abs(b) + 0.5 * l2 * b * b)
    return val


@cached_jit()
def _predict_warm_start(G, c, yy, v, l1, l2, a0, a1, a2, b1, b2, g1, g2, beta, g, pred, g_alt,
                        counters):
    """Warm start extrapolated linearly in alpha from the last two solutions (exact for the
    lasso while the signs do not change); kept only if it lowers the objective at ``a0``
    (returns True then).

    ``g1``, ``g2`` are the exact gradients ``c − G b1``, ``c − G b2``: the prediction's gradient
    is their extrapolation (``g`` is affine in β), corrected by a row of G for every coefficient
    that is not extrapolated (kept at 0 instead of crossing zero), so no product with all of G
    is needed."""
    f = (a0 - a1) / (a1 - a2)
    p = beta.shape[0]
    n_fix = 0
    for j in range(p):
        lin = b1[j] + f * (b1[j] - b2[j])
        pred[j] = lin
        g_alt[j] = g1[j] + f * (g1[j] - g2[j])
        if b1[j] == 0.0 and b2[j] == 0.0:
            pred[j] = 0.0
        elif v[j] > 0.0 and b1[j] != 0.0 and (lin > 0.0) != (b1[j] > 0.0):
            pred[j] = 0.0  # do not push a coefficient through zero
            n_fix += 1
    if 8 * n_fix > p:
        counters[4] += 1
        _refresh_gradient(G, c, g_alt, pred)
    elif n_fix > 0:
        for j in range(p):
            if b1[j] != 0.0 and pred[j] == 0.0 and v[j] > 0.0:
                lin = b1[j] + f * (b1[j] - b2[j])
                if lin != 0.0:
                    # g_alt was computed for β_j = lin; the prediction has β_j = 0
                    row = G[j]
                    for i in range(p):
                        g_alt[i] += row[i] * lin
    if _primal_from_gradient(c, g_alt, pred, v, yy, l1, l2) < _primal_from_gradient(
        c, g, beta, v, yy, l1, l2
    ):
        counters[5] += 1
        for j in range(p):
            beta[j] = pred[j]
            g[j] = g_alt[j]
        return True
    return False


@cached_jit()
def cd_path(
    G, G32, c, yy, v, alphas, rho, alpha_zero, tol_abs, max_iter, beta0, U, Ginv, coefs, gaps,
    n_iter, flags, counters,
):
    """Elastic-net path by Gram coordinate descent; fills ``coefs (m, p)``, ``gaps``, ``n_iter``.
    ``G`` (C-ordered float64) must be exactly symmetric
    (:func:`lasso_spark.core.gram.scaled_gram` makes it so).

    ``alphas`` decreasing; for ``alpha ≥ alpha_zero`` every penalized coefficient is 0 (KKT holds
    there by construction of ``alpha_zero``) and only unpenalized features (``v_j = 0``) are
    fitted. ``beta0`` is the starting point (0, or the least-squares fit of the unpenalized
    features). ``U`` lists the unpenalized features and ``Ginv`` is the pseudo-inverse of
    ``G[U][:, U]``. An iteration is one pass over the KKT violators or over the active set.
    ``G32`` is a float32 copy of G (or empty): active-set passes then read it, halving memory
    traffic; gradient rebuilds and the certification stay in float64, and
    once a float64 certification fails where float32 passes had converged, the rest of the path
    runs in float64. ``flags``: bit 0 disables Anderson extrapolation, bit 1 the extrapolated
    warm start, bit 2 the float32 passes, bit 3 the block passes (plain cyclic passes instead;
    for ablation). ``counters`` (int64, 10) accumulates: S
    passes, A passes, Anderson attempts, Anderson accepted, gradient rebuilds, warm-start
    predictions accepted, certifications, switches from float32 to float64, compact Gram
    (re)builds, features copied into the compact Gram.

    Why one long function: it is the compiled loop over alphas; its per-path state (the
    gradient, the compact Gram, Anderson's history, the float32 switch) lives in the kernel's
    locals, and the phases that can stand alone are already kernels of their own
    (``_block_sweep``, ``_active_phase``, ``_gap``).
    """
    anderson = (flags & 1) == 0
    B = _BLOCK if (flags & 8) == 0 else 0
    R = _BLOCK_SWEEPS
    predict = (flags & 2) == 0
    low = (flags & 4) == 0 and G32.shape[0] == G.shape[0] and G.shape[0] > 0
    p = c.shape[0]
    m = alphas.shape[0]
    beta = beta0.copy()
    g = np.empty(p)
    _refresh_gradient(G, c, g, beta)
    diag = np.empty(p)
    for j in range(p):
        diag[j] = G[j, j]
    all_idx = np.arange(p)
    S = np.empty(p, dtype=np.int64)
    # compact Gram of the working set, kept across alphas: features are appended as they join
    # and the set is rebuilt (sorted) when too many of its members have left the strong set
    order = np.empty(p, dtype=np.int64)
    pos = np.full(p, -1, dtype=np.int64)
    nC = 0
    Gc32 = np.empty((0, 0), np.float32)
    Gc64 = np.empty((0, 0), np.float64)
    g_alt = np.empty(p)
    pred = np.empty(p)
    # exact gradients at the last two solutions (for the extrapolated warm start)
    g1 = np.empty(p)
    g2 = np.empty(p)
    alpha_prev = alphas[0] if m > 0 else 0.0
    for ia in range(m):
        alpha = alphas[ia]
        l1 = alpha * rho
        l2 = alpha * (1.0 - rho)
        frozen = alpha >= alpha_zero  # penalized coefficients are exactly 0
        # g exact (freshly rebuilt) unless the extrapolated warm start replaced it
        g_exact = True
        if predict and not frozen and ia >= 2 and alphas[ia - 2] > alpha_prev:
            g_exact = not _predict_warm_start(
                G, c, yy, v, l1, l2, alpha, alpha_prev, alphas[ia - 2], coefs[ia - 1],
                coefs[ia - 2], g1, g2, beta, g, pred, g_alt, counters)
        thresh = rho * (2.0 * alpha - alpha_prev)
        nS = 0
        n_in = 0
        for j in range(p):
            keep = v[j] == 0.0
            if not frozen:
                keep = keep or beta[j] != 0.0 or abs(g[j]) >= thresh * v[j]
            if keep:
                S[nS] = j
                nS += 1
                if pos[j] >= 0:
                    n_in += 1
        rebuild = nC + (nS - n_in) > nS + nS // 4 + 32
        it = 0
        gap = np.inf
        while True:
            it_before = it
            nC_before = 0 if rebuild else nC
            if rebuild:
                counters[8] += 1
            if low:
                Gc32, nC = _compact_update(G32, Gc32, order, pos, nC, S, nS, rebuild)
                it = _solve_restricted(order, pos, nC, Gc32, diag, c, yy, g, beta, v, l1, l2,
                                       tol_abs, it, max_iter, anderson, counters, B, R)
            else:
                Gc64, nC = _compact_update(G, Gc64, order, pos, nC, S, nS, rebuild)
                it = _solve_restricted(order, pos, nC, Gc64, diag, c, yy, g, beta, v, l1, l2,
                                       tol_abs, it, max_iter, anderson, counters, B, R)
            counters[9] += nC - nC_before
            rebuild = False
            # certify in float64 over all features: exact gradient, exact unpenalized part,
            # KKT outside the working set, full duality gap
            counters[6] += 1
            counters[4] += 1
            _refresh_gradient(G, c, g, beta)
            _fit_unpenalized(G, U, Ginv, g, beta)
            gap = _gap(all_idx, p, c, g, beta, v, yy, l1, l2)
            nS = 0  # from here on S lists the violators to append
            if not frozen:
                for j in range(p):
                    if pos[j] < 0 and abs(g[j]) > l1 * v[j]:
                        S[nS] = j
                        nS += 1
            n_viol = nS
            if (n_viol == 0 and gap <= tol_abs) or it >= max_iter:
                break
            if n_viol == 0 and it == it_before and not low and g_exact:
                break  # no pass possible: the gap is at the rounding floor of tol_abs
            g_exact = True
            if n_viol == 0 and low:
                low = False  # float32 passes cannot reach this tolerance: float64 from now on
                counters[7] += 1
                Gc32 = np.empty((0, 0), np.float32)
                # the float64 compact Gram starts from the current working set
                for a in range(nC):
                    S[a] = order[a]
                nS = nC
                rebuild = True
        for j in range(p):
            coefs[ia, j] = beta[j]
            g2[j] = g1[j]
            g1[j] = g[j]
        gaps[ia] = gap
        n_iter[ia] = it
        alpha_prev = alpha
