"""The active-set Newton solver (the default of enet_path): exactness on the hard designs of
issue 12 against scikit-learn and the coordinate-descent solver, rank-deficient problems, the
CD fallback, the Cholesky factor's up/downdates, and the public duality gap."""

from __future__ import annotations

import numpy as np
import pytest

import lasso_spark.core.newton as newton_mod
from lasso_spark.core import SuffStats, enet_path
from lasso_spark.core.blas import (
    cholesky_delete,
    cholesky_upper,
    compact_square,
    trsm_upper_t,
    trsv_upper,
)
from lasso_spark.core.newton import CholeskyFactor, NewtonDiagnostics
from lasso_spark.core.objective import duality_gap
from tests.unit.enet_reference import duality_gap as rows_gap
from tests.unit.enet_reference import objective, sk_enet, standardize


def _factors(rng, n, p, k=3):
    """A few strong common factors + noise (75% of each column's variance common)."""
    F = rng.standard_normal((n, k))
    L = rng.standard_normal((p, k))
    L *= np.sqrt(3.0 / (L * L).sum(axis=1, keepdims=True))
    return F @ L.T + rng.standard_normal((n, p))


def _response(rng, X, k):
    beta = np.zeros(X.shape[1])
    idx = rng.choice(X.shape[1], k, replace=False)
    beta[idx] = rng.uniform(0.5, 2, k) * rng.choice([-1, 1], k)
    return X @ beta + rng.standard_normal(X.shape[0]) * 0.5


def _check(X, y, w, res, idx, rho=1.0, v=None, unique=True, fit_intercept=True):
    Xt, _, _ = standardize(X, w, center=fit_intercept)
    ybar = (w @ y) / w.sum() if fit_intercept else 0.0
    yc = y - ybar
    scale_y = (w @ yc**2) / w.sum()
    for i in idx:
        a = res.alphas[i]
        beta = res.coef_std[i]
        gap = rows_gap(Xt, yc, w, beta, a, rho, v)
        assert abs(gap - res.dual_gap[i]) <= 1e-10 * scale_y + 1e-6 * abs(gap)
        assert gap <= res.tol * scale_y * (1 + 1e-6)
        if v is not None:
            continue  # scikit-learn has no penalty factors: compared with solver="cd" instead
        b0_sk, beta_sk = sk_enet(Xt, y, w, a, rho, fit_intercept=fit_intercept)
        obj = objective(Xt, y, w, ybar, beta, a, rho, v)
        obj_sk = objective(Xt, y, w, b0_sk, beta_sk, a, rho, v)
        assert abs(obj - obj_sk) <= 1e-9 * obj_sk, (i, obj, obj_sk)
        if unique:
            scale = np.max(np.abs(beta_sk))
            np.testing.assert_allclose(beta, beta_sk, rtol=1e-6, atol=1e-6 * scale)


def test_few_common_factors_at_n_over_p_2_5_matches_sklearn_and_cd():
    """Issue 12's design: a few strong common factors + noise, n/p = 2.5, 100 alphas to 1e-4
    alpha_max (the dense end is ill-conditioned); every alpha certified by Newton steps."""
    rng = np.random.default_rng(31)
    n, p = 400, 160
    X = _factors(rng, n, p)
    y = _response(rng, X, 12)
    w = np.ones(n)
    s = SuffStats.from_arrays(X, y)
    res = enet_path(s, tol=1e-10, homotopy_max_p=0)  # the feature-sign search throughout
    assert res.converged.all() and res.n_alphas == 100
    assert res.n_nonzero[-1] > 0.9 * p  # the dense end is reached
    d = res.diagnostics
    assert d.solver == "newton" and d.newton_steps > 0 and d.features_added >= res.n_nonzero[-1]
    ref = enet_path(s, alphas=res.alphas, tol=1e-12, solver="cd")
    scale = np.abs(ref.coef_std).max()
    np.testing.assert_allclose(res.coef_std, ref.coef_std, rtol=1e-5, atol=1e-7 * scale)
    _check(X, y, w, res, [10, 40, 70, 99])


def _equicorrelated_weighted(rng, n, p, k):
    """Equicorrelated columns, a label with an offset, row weights and penalty factors."""
    X = 0.8 * rng.standard_normal((n, 1)) + 0.6 * rng.standard_normal((n, p))
    y = _response(rng, X, k) + 3.0
    w = rng.uniform(0.3, 2.0, n)
    v = rng.uniform(0.5, 2.0, p)
    return X, y, w, v


def test_equicorrelated_elastic_net_with_weights_penalty_factors_no_intercept():
    rng = np.random.default_rng(32)
    n, p = 250, 100
    X, y, w, v = _equicorrelated_weighted(rng, n, p, 10)
    v[[2, 50]] = 0.0
    s = SuffStats.from_arrays(X, y, w)
    res = enet_path(s, n_alphas=30, l1_ratio=0.7, penalty_factor=v, fit_intercept=False,
                    tol=1e-12)
    assert res.converged.all()
    assert np.all(res.coef[:, [2, 50]] != 0.0)
    assert res.diagnostics.refactorizations >= 30  # l2 > 0: the factor changes with alpha
    ref = enet_path(s, alphas=res.alphas, l1_ratio=0.7, penalty_factor=v, fit_intercept=False,
                    tol=1e-12, solver="cd")
    np.testing.assert_allclose(res.coef_std, ref.coef_std, rtol=1e-5,
                               atol=1e-7 * np.abs(ref.coef_std).max())
    _check(X, y, w, res, [5, 29], rho=0.7, v=v, fit_intercept=False)


def test_exact_duplicate_columns_are_refused_not_broken():
    """Duplicated columns make G_AA singular: the second copy is refused by the pivoted
    factor and stays at 0; the objective equals scikit-learn's."""
    rng = np.random.default_rng(33)
    n = 200
    Z = _factors(rng, n, 40)
    X = np.hstack([Z, Z[:, :10]])  # columns 40..49 duplicate 0..9
    y = _response(rng, Z, 8)
    w = np.ones(n)
    res = enet_path(SuffStats.from_arrays(X, y), n_alphas=40, tol=1e-10, homotopy_max_p=0)
    assert res.converged.all()
    assert res.diagnostics.dependent_refused > 0
    _check(X, y, w, res, [20, 39], unique=False)


def test_p_greater_than_n():
    rng = np.random.default_rng(34)
    n, p = 80, 200
    X = _factors(rng, n, p)
    y = _response(rng, X, 6)
    w = np.ones(n)
    res = enet_path(SuffStats.from_arrays(X, y), n_alphas=30, tol=1e-10)
    assert res.converged.all()
    assert res.n_nonzero[-1] < n
    _check(X, y, w, res, [15, 29], unique=False)


def test_coordinate_descent_fallback(monkeypatch):
    """With a step budget too small for the feature-sign search, alphas fall back to
    coordinate descent (then Newton again): same certified answers."""
    rng = np.random.default_rng(35)
    X = _factors(rng, 300, 120)
    y = _response(rng, X, 10)
    s = SuffStats.from_arrays(X, y)
    ref = enet_path(s, n_alphas=25, tol=1e-11, homotopy_max_p=0)
    monkeypatch.setattr(newton_mod, "_BUDGET", 1)
    res = enet_path(s, alphas=ref.alphas, tol=1e-11, homotopy_max_p=0)
    assert res.converged.all()
    assert res.diagnostics.fallback_alphas > 0 and res.diagnostics.cd_passes > 0
    np.testing.assert_allclose(res.coef_std, ref.coef_std, rtol=1e-5,
                               atol=1e-7 * np.abs(ref.coef_std).max())


def test_cholesky_factor_add_remove_and_refuse():
    rng = np.random.default_rng(36)
    A = rng.standard_normal((60, 30))
    A[:, 29] = A[:, 3] - 2 * A[:, 7]  # dependent column
    G = np.ascontiguousarray(A.T @ A / 60)
    v = np.ones(30)
    f = CholeskyFactor(G, v, NewtonDiagnostics())
    assert f.add(np.arange(10)).size == 0
    assert list(f.add(np.array([29, 12, 20]))) == [29]  # 29 is in the span of 3 and 7
    f.remove(np.array([4, 12, 0]))
    f.add(np.array([25, 26]))
    idx = f.idx
    R = f.buf[: f.m, : f.m]
    np.testing.assert_allclose(R.T @ R, G[np.ix_(idx, idx)], atol=1e-12)
    assert np.allclose(np.tril(R, -1), 0.0)
    b = rng.standard_normal(f.m)
    np.testing.assert_allclose(G[np.ix_(idx, idx)] @ f.solve(b), b, atol=1e-10)


def test_triangular_blas_on_a_buffer_block():
    rng = np.random.default_rng(37)
    m, cap = 40, 64
    B = rng.standard_normal((m + 5, m))
    M = B.T @ B
    buf = np.zeros((cap, cap))
    buf[:m, :m] = np.linalg.cholesky(M).T
    x = rng.standard_normal(m)
    y = x.copy()
    trsv_upper(buf, m, y, True)
    trsv_upper(buf, m, y, False)
    np.testing.assert_allclose(M @ y, x, atol=1e-9)
    X = np.asfortranarray(rng.standard_normal((m, 3)))
    Y = X.copy(order="F")
    trsm_upper_t(buf, m, Y)
    np.testing.assert_allclose(buf[:m, :m].T @ Y, X, atol=1e-10)
    # a diagonal block further in (``start``): the rest of the buffer is not read
    s, k = 11, 23
    U = buf[s:s + k, s:s + k]
    for transpose, op in ((True, U.T), (False, U)):
        Y = X[:k].copy(order="F")
        trsm_upper_t(buf, k, Y, transpose, start=s)
        np.testing.assert_allclose(op @ Y, X[:k], atol=1e-10)
    with pytest.raises(ValueError):
        trsm_upper_t(buf, cap - s + 1, np.zeros((cap - s + 1, 1), order="F"), start=s)
    keep = list(range(m))
    for k in (0, 17, m - 3):
        cholesky_delete(buf, len(keep), k)
        keep.pop(k)
    R = buf[: len(keep), : len(keep)]
    np.testing.assert_allclose(R.T @ R, M[np.ix_(keep, keep)], atol=1e-9)


def test_cholesky_delete_rotates_the_forward_solves_leading_columns_only():
    """``Z = U⁻ᵀ B`` stays the forward solve through removals; with ``z_cols`` the rotations
    touch only the leading columns, the zero columns after them stay zero."""
    rng = np.random.default_rng(40)
    m, cap, q = 90, 128, 10
    B0 = rng.standard_normal((m + 7, m))
    M = B0.T @ B0
    buf = np.zeros((cap, cap))
    buf[:m, :m] = np.linalg.cholesky(M).T
    rhs = rng.standard_normal((m, 3))
    Z = np.zeros((cap, q))
    Z[:m, :3] = np.linalg.solve(buf[:m, :m].T, rhs)
    keep = list(range(m))
    for k in (0, 33, 70, 84):
        before = Z[: len(keep), :3].T @ Z[: len(keep), :3]
        out = cholesky_delete(buf, len(keep), k, Z, 3)
        keep.pop(k)
        after = Z[: len(keep), :3].T @ Z[: len(keep), :3]  # rotations: only out's row is lost
        np.testing.assert_allclose(after, before - np.outer(out, out), atol=1e-10)
    r = len(keep)
    R = buf[:r, :r]
    np.testing.assert_allclose(R.T @ R, M[np.ix_(keep, keep)], atol=1e-8)
    np.testing.assert_allclose(R.T @ Z[:r, :3], rhs[keep], atol=1e-8)
    assert not Z[:, 3:].any() and not Z[r:].any()
    with pytest.raises(ValueError, match="z_cols"):
        cholesky_delete(buf, r, 0, Z, q + 1)


def test_cholesky_upper_factors_the_leading_block_in_place_and_refuses_indefinite():
    rng = np.random.default_rng(43)
    for _ in range(100):
        cap = int(rng.integers(1, 30))
        m = int(rng.integers(0, cap + 1))
        A = rng.standard_normal((m, m + 3))
        J = A @ A.T + 1e-3 * np.eye(m)
        buf = rng.standard_normal((cap, cap))
        outside = buf.copy()
        buf[:m, :m] = J
        assert cholesky_upper(buf, m)
        U = buf[:m, :m]
        np.testing.assert_array_equal(np.tril(U, -1), 0.0)
        assert np.all(np.diag(U) > 0.0)
        scale = max(1.0, float(np.abs(J).max(initial=0.0)))
        np.testing.assert_allclose(U.T @ U, J, rtol=0, atol=1e-12 * scale)
        # nothing outside the leading block is touched
        np.testing.assert_array_equal(buf[m:], outside[m:])
        np.testing.assert_array_equal(buf[:m, m:], outside[:m, m:])
    buf = np.eye(5)
    buf[2, 2] = -1.0
    assert not cholesky_upper(buf, 5)


def test_compact_square_equals_the_fancy_indexed_block():
    rng = np.random.default_rng(41)
    for _ in range(300):
        cap = int(rng.integers(1, 40))
        m = int(rng.integers(1, cap + 1))
        A = rng.standard_normal((cap, cap))
        before = A.copy()
        gone = np.sort(rng.choice(m, int(rng.integers(0, m + 1)), replace=False))
        keep = np.setdiff1d(np.arange(m), gone)
        n = compact_square(A, m, gone)
        assert n == keep.shape[0]
        np.testing.assert_array_equal(A[:n, :n], before[np.ix_(keep, keep)])
        if gone.size:  # nothing before the first deleted index moves
            g0 = int(gone[0])
            np.testing.assert_array_equal(A[:g0, :g0], before[:g0, :g0])
    with pytest.raises(ValueError, match="ascending"):
        compact_square(np.zeros((4, 4)), 4, np.array([2, 1]))


@pytest.mark.parametrize("rho", [1.0, 0.5])
def test_public_duality_gap_equals_the_rows_gap_and_the_paths(rho):
    rng = np.random.default_rng(38)
    n, p = 150, 40
    X = _factors(rng, n, p)
    y = _response(rng, X, 5)
    w = np.ones(n)
    v = rng.uniform(0.5, 2.0, p)
    s = SuffStats.from_arrays(X, y)
    res = enet_path(s, n_alphas=10, l1_ratio=rho, penalty_factor=v, tol=1e-6)
    Xt, _, _ = standardize(X, w)
    yc = y - y.mean()
    G, c, yy = Xt.T @ Xt / n, Xt.T @ yc / n, yc @ yc / n
    for i in (3, 9):
        a, beta = res.alphas[i], res.coef_std[i]
        gap = duality_gap(G, c, yy, beta, v, a, rho)
        assert abs(gap - rows_gap(Xt, yc, w, beta, a, rho, v)) <= 1e-12 * yy
        assert abs(gap - res.dual_gap[i]) <= 1e-12 * yy
        # a feature outside the problem with a larger |g_j| / v_j raises the gap
        g = c - G @ beta
        big = 2.0 * float(np.max(np.abs(g - a * (1 - rho) * v * beta) / v))
        assert duality_gap(G, c, yy, beta, v, a, rho, outside_dual_norm=big) > gap


def test_homotopy_certifies_small_lasso_paths_like_the_search_sklearn_and_cd():
    """Issue 12's design at p = 160 (≤ HOMOTOPY_MAX_P): the default path is the homotopy's at
    every alpha, equal to the feature-sign search's, to coordinate descent's and sklearn's."""
    rng = np.random.default_rng(31)
    n, p = 400, 160
    X = _factors(rng, n, p)
    y = _response(rng, X, 12)
    s = SuffStats.from_arrays(X, y)
    res = enet_path(s, tol=1e-10)
    assert res.converged.all() and res.n_nonzero[-1] > 0.9 * p
    d = res.diagnostics
    assert d.homotopy_alphas == 100 and d.homotopy_events >= res.n_nonzero[-1]
    assert d.newton_steps == 0 and d.fallback_alphas == 0
    search = enet_path(s, alphas=res.alphas, tol=1e-10, homotopy_max_p=0)
    assert search.diagnostics.homotopy_alphas == 0 and search.diagnostics.newton_steps > 0
    ref = enet_path(s, alphas=res.alphas, tol=1e-12, solver="cd")
    scale = np.abs(ref.coef_std).max()
    np.testing.assert_allclose(res.coef_std, ref.coef_std, rtol=1e-5, atol=1e-7 * scale)
    np.testing.assert_allclose(res.coef_std, search.coef_std, rtol=1e-5, atol=1e-7 * scale)
    _check(X, y, np.ones(n), res, [0, 10, 40, 70, 99])


def test_homotopy_with_weights_unpenalized_features_no_intercept():
    rng = np.random.default_rng(39)
    n, p = 250, 60
    X, y, w, v = _equicorrelated_weighted(rng, n, p, 8)
    v[[2, 17]] = 0.0  # never penalized
    s = SuffStats.from_arrays(X, y, w)
    for fit_intercept in (True, False):
        res = enet_path(s, n_alphas=40, penalty_factor=v, fit_intercept=fit_intercept,
                        tol=1e-10)
        assert res.converged.all() and res.diagnostics.homotopy_alphas == 40
        assert np.all(res.coef[:, [2, 17]] != 0.0)
        ref = enet_path(s, alphas=res.alphas, penalty_factor=v, fit_intercept=fit_intercept,
                        tol=1e-12, solver="cd")
        np.testing.assert_allclose(res.coef_std, ref.coef_std, rtol=1e-5,
                                   atol=1e-7 * np.abs(ref.coef_std).max())
        _check(X, y, w, res, [0, 20, 39], v=v, fit_intercept=fit_intercept)


def test_homotopy_on_duplicate_columns_and_p_greater_than_n():
    rng = np.random.default_rng(33)
    n = 200
    Z = _factors(rng, n, 40)
    X = np.hstack([Z, Z[:, :10]])
    y = _response(rng, Z, 8)
    res = enet_path(SuffStats.from_arrays(X, y), n_alphas=40, tol=1e-10)
    assert res.converged.all()
    _check(X, y, np.ones(n), res, [20, 39], unique=False)
    n, p = 80, 200
    X = _factors(rng, n, p)
    y = _response(rng, X, 6)
    res = enet_path(SuffStats.from_arrays(X, y), n_alphas=30, tol=1e-10)
    assert res.converged.all() and res.n_nonzero[-1] < n
    _check(X, y, np.ones(n), res, [15, 29], unique=False)


def test_search_takes_over_where_the_homotopy_stops(monkeypatch):
    """An event budget that ends the homotopy mid-path: the feature-sign search carries on from
    its last certified alpha, to the same path."""
    rng = np.random.default_rng(35)
    X = _factors(rng, 300, 120)
    y = _response(rng, X, 10)
    s = SuffStats.from_arrays(X, y)
    ref = enet_path(s, n_alphas=50, tol=1e-11)
    assert ref.diagnostics.homotopy_alphas == 50
    monkeypatch.setattr(newton_mod, "_HOMOTOPY_EVENTS", 0.2)  # 24 events
    res = enet_path(s, alphas=ref.alphas, tol=1e-11)
    d = res.diagnostics
    assert 0 < d.homotopy_alphas < 50 and d.homotopy_events == 24 and d.newton_steps > 0
    assert res.converged.all()
    np.testing.assert_allclose(res.coef_std, ref.coef_std, rtol=1e-5,
                               atol=1e-7 * np.abs(ref.coef_std).max())


@pytest.mark.parametrize("v_first", [1.0, 0.0])
def test_alpha_within_rounding_of_alpha_max_gives_the_empty_model(v_first):
    """An alpha_max computed from other sums (wide mode's, another partitioning's) can sit a
    rounding error below this problem's: there the answer with every penalized coefficient 0
    is certified, and the homotopy keeps it as the search does (no rounding-sized non-zero)."""
    rng = np.random.default_rng(5)
    X = _factors(rng, 300, 40)
    y = _response(rng, X, 4)
    s = SuffStats.from_arrays(X, y)
    v = np.ones(40)
    v[0] = v_first  # with an unpenalized feature too
    top = enet_path(s, n_alphas=5, penalty_factor=v).alphas[0]
    alphas = top * np.array([1.0 - 1e-13, 1.0 - 1e-14, 0.5, 0.1])
    for hmax in (256, 0):  # homotopy, then the search alone
        res = enet_path(s, alphas=alphas, tol=1e-10, penalty_factor=v, homotopy_max_p=hmax)
        assert res.converged.all()
        pen = v > 0
        assert not np.any(res.coef[:2, pen]), (hmax, res.coef[:2, pen][res.coef[:2, pen] != 0])
        assert np.count_nonzero(res.coef[3]) > 1
    assert res.diagnostics.homotopy_alphas == 0


def _pinned_problem(seed: int, n: int, p: int):
    """An empty factor on a few-factors Gram with a linear term, penalty factors and signs."""
    rng = np.random.default_rng(seed)
    A = _factors(rng, n, p)
    G = np.ascontiguousarray(A.T @ A / n)
    c = rng.standard_normal(p)
    v = rng.uniform(0.5, 2.0, p)
    s = rng.choice([-1.0, 1.0], p)
    return CholeskyFactor(G, v, NewtonDiagnostics(), c), G, c, v, s


def _check_reduced_solve(f, G, c, v, s, l1, tol):
    """``solve_l1`` equals the solve on the active (member) features alone, 0 at the pinned."""
    act = f.idx[f.member[f.idx]]
    x = f.solve_l1(l1, v[f.idx] * s[f.idx])
    ref = np.linalg.solve(G[np.ix_(act, act)], c[act] - l1 * v[act] * s[act])
    np.testing.assert_allclose(x[f.member[f.idx]], ref, rtol=tol, atol=tol)
    assert np.all(x[~f.member[f.idx]] == 0.0)


def test_pinned_features_solve_the_reduced_system_through_appends_and_removals():
    """A feature leaving far from the factor's end is pinned at 0 (no removal): solve_l1 must
    equal the solve on the active features alone, after appends, removals and a rejoin."""
    p = 80
    f, G, c, v, s = _pinned_problem(39, 200, p)
    assert f.add(np.arange(60), v[:60] * s[:60]).size == 0

    def check(l1=0.3):
        _check_reduced_solve(f, G, c, v, s, l1, 1e-9)

    check()
    a, b, e = (int(f.idx[i]) for i in (3, 10, 58))  # by factor position (dpstrf pivots)
    assert f.leave(np.array([a, b, e])).size == 0  # a, b deep: pinned; e near the end
    assert f.diag.features_pinned == 2 and f.diag.features_removed == 1
    assert f.in_factor[[a, b]].all() and not f.member[[a, b]].any() and not f.in_factor[e]
    check()
    assert f.add(np.arange(60, 70), v[60:70] * s[60:70]).size == 0  # appends while pinned
    check()
    f.remove(np.array([int(f.idx[20]), int(f.idx[63])]))  # removals while pinned
    check()
    s[b] = -s[b]
    f.add(np.array([b]), v[[b]] * s[[b]])  # rejoins: no factor work
    assert f.member[b] and f.diag.features_added == 70
    check(0.1)
    idx = f.idx
    R = f.buf[: f.m, : f.m]
    np.testing.assert_allclose(R.T @ R, G[np.ix_(idx, idx)], atol=1e-12)


def test_many_pinned_features_then_compaction_keep_the_reduced_solve_exact():
    """Hundreds of pinned features (the dense end of a long path) still solve the system of the
    active features alone; pinning past the limit compacts: every pinned feature is removed."""
    p = 330
    f, G, c, v, s = _pinned_problem(41, 700, p)
    assert f.add(np.arange(p), v * s).size == 0

    def check(l1=0.2):
        _check_reduced_solve(f, G, c, v, s, l1, 1e-8)

    limit = newton_mod._PIN_MAX
    first = f.idx[: limit - 6 : 2].copy()  # deep positions, well under the limit
    assert f.leave(first).size == 0
    assert f.diag.features_pinned == first.size and f.diag.features_removed == 0
    check()
    f.add(first[:5], v[first[:5]] * s[first[:5]])  # five rejoin: no factor work
    assert f.diag.features_added == p
    check(0.05)
    pinned = f.diag.features_pinned
    for pos in (1, 7, 40):  # pinned one at a time after a solve: WᵀW grows, not recomputed
        assert f.leave(f.idx[f.member[f.idx]][pos : pos + 1]).size == 0
        check()
    assert f.diag.features_pinned == pinned + 3 and f.diag.features_removed == 0
    more = np.setdiff1d(f.idx[: f.m - 30], f.idx[~f.member[f.idx]])[: limit]
    before = f.diag.features_removed
    assert f.leave(more).size == 0  # past the limit: all pinned ones and these are removed
    assert not f.pinned.any() and f.diag.features_removed > before + limit
    assert f.m == p - (first.size - 5) - 3 - more.size
    check()


def test_coef_init_warm_starts_the_first_alpha_to_the_same_certified_answer():
    """``enet_path(coef_init=...)`` (wide mode's per-model warm start): from the solution at the
    previous alpha of the grid, the first alpha reaches the same certified answer as the cold
    path in fewer Newton steps; other solvers, structures and shapes are refused."""
    rng = np.random.default_rng(43)
    X = _factors(rng, 600, 120)
    y = _response(rng, X, 8)
    s = SuffStats.from_arrays(X, y)
    full = enet_path(s, n_alphas=30, tol=1e-10, homotopy_max_p=0)
    k = 20
    cold = enet_path(s, alphas=full.alphas[k:], tol=1e-10, homotopy_max_p=0)
    warm = enet_path(s, alphas=full.alphas[k:], tol=1e-10, homotopy_max_p=0,
                     coef_init=full.coef_std[k - 1])
    assert cold.converged.all() and warm.converged.all()
    np.testing.assert_allclose(warm.coef, cold.coef, rtol=1e-6, atol=1e-8)
    assert warm.diagnostics.newton_steps < cold.diagnostics.newton_steps
    with pytest.raises(ValueError, match="coef_init warm-starts solver='newton'"):
        enet_path(s, alphas=full.alphas[k:], solver="cd", coef_init=full.coef_std[k - 1])
    with pytest.raises(ValueError, match="one value per feature"):
        enet_path(s, alphas=full.alphas[k:], coef_init=np.zeros(3))


def test_predicted_leavers_save_steps_and_keep_the_certified_answers(monkeypatch):
    """Members whose coefficient extrapolated from the last two certified alphas changes sign
    leave before the first solve (``predicted_leavers``): fewer Newton steps than finding each
    as a wrong sign, the same certified answers (checked against coordinate descent and
    scikit-learn), and a wrong guess is taken back by the KKT check."""
    import lasso_spark.core.newton as newton

    rng = np.random.default_rng(47)
    n, p = 500, 200
    X = rng.standard_normal((n, p))
    for j in range(1, p):  # AR(1) 0.95 columns: features enter, leave and re-enter
        X[:, j] = 0.95 * X[:, j - 1] + np.sqrt(1 - 0.95**2) * X[:, j]
    y = _response(rng, X, 15)
    w = np.ones(n)
    s = SuffStats.from_arrays(X, y)
    res = enet_path(s, tol=1e-10, homotopy_max_p=0)
    assert res.converged.all()
    d = res.diagnostics
    assert d.predicted_leavers > 0
    monkeypatch.setattr(newton, "_predict_leavers", lambda *a, **k: None)
    plain = enet_path(s, tol=1e-10, homotopy_max_p=0)
    assert plain.converged.all() and plain.diagnostics.predicted_leavers == 0
    assert d.newton_steps < plain.diagnostics.newton_steps
    scale = np.abs(plain.coef_std).max()
    np.testing.assert_allclose(res.coef_std, plain.coef_std, rtol=1e-6, atol=1e-8 * scale)
    ref = enet_path(s, alphas=res.alphas, tol=1e-12, solver="cd")
    np.testing.assert_allclose(res.coef_std, ref.coef_std, rtol=1e-5, atol=1e-7 * scale)
    _check(X, y, w, res, [30, 60, 99])
