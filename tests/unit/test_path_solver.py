"""The Gram solver's fast paths (block passes, float32 passes, compact Gram kept across alphas,
extrapolated warm starts) against scikit-learn and against the plain float64 solver."""

from __future__ import annotations

import numpy as np
import pytest

from lasso_spark.core import SuffStats, enet_path
from tests.unit.enet_reference import duality_gap, objective, sk_enet, standardize
from tests.unit.test_path import _ar_design

# the coordinate-descent solver with every fast path off: plain cyclic float64 passes
PLAIN_FLOAT64 = {"solver": "cd", "anderson": False, "extrapolate": False, "float32": False,
                 "block_passes": False}


def _response(rng, X, k):
    beta = np.zeros(X.shape[1])
    idx = rng.choice(X.shape[1], k, replace=False)
    beta[idx] = rng.uniform(1, 3, k) * rng.choice([-1, 1], k)
    return X @ beta + rng.standard_normal(X.shape[0])


def _with_flags(flags, stats, **kw):
    return enet_path(stats, **flags, **kw)


def _check_rows(X, y, w, res, idx, rho=1.0, v=None, unique=True, tol=None):
    """Objective equal to scikit-learn's to 1e-9, coefficients to 1e-6 where unique, and the
    reported gap equal to the gap recomputed from the rows and within tolerance."""
    Xt, _, _ = standardize(X, w)
    ybar = (w @ y) / w.sum()
    var_y = (w @ (y - ybar) ** 2) / w.sum()
    for i in idx:
        a = res.alphas[i]
        beta = res.coef_std[i]
        gap = duality_gap(Xt, y - ybar, w, beta, a, rho, v)
        assert abs(gap - res.dual_gap[i]) <= 1e-10 * var_y + 1e-6 * abs(gap)
        assert gap <= (tol or res.tol) * var_y * (1 + 1e-6)
        if tol is not None:
            continue
        b0_sk, beta_sk = sk_enet(Xt, y, w, a, rho)
        obj = objective(Xt, y, w, ybar, beta, a, rho, v)
        obj_sk = objective(Xt, y, w, b0_sk, beta_sk, a, rho, v)
        assert abs(obj - obj_sk) <= 1e-9 * obj_sk, (i, obj, obj_sk)
        if unique:
            scale = np.max(np.abs(beta_sk))
            np.testing.assert_allclose(beta, beta_sk, rtol=1e-6, atol=1e-6 * scale)


@pytest.mark.parametrize("corr", [0.5, 0.97])
def test_block_float32_path_matches_sklearn_and_plain_solver(corr):
    """p = 300 ≥ 256: float32 compact Gram, block passes (blocks of 64 split A), Anderson and
    the extrapolated warm start all active; well and badly conditioned designs."""
    rng = np.random.default_rng(21 if corr < 0.9 else 22)
    n, p = 500, 300
    X = _ar_design(rng, n, p, corr)
    y = _response(rng, X, 25)
    w = np.ones(n)
    s = SuffStats.from_arrays(X, y)
    res = enet_path(s, n_alphas=20, alpha_min_ratio=1e-3, tol=1e-12, solver="cd")
    assert res.converged.all()
    assert res.n_nonzero[-1] > 64  # at least two blocks at the end of the path
    c = res.diagnostics
    assert c.active_passes > 0 and c.warm_starts_accepted > 0 and c.compact_gram_features > 0
    ref = _with_flags(PLAIN_FLOAT64, s, alphas=res.alphas, tol=1e-12)
    scale = np.abs(ref.coef_std).max()
    np.testing.assert_allclose(res.coef_std, ref.coef_std, rtol=1e-5, atol=1e-7 * scale)
    _check_rows(X, y, w, res, [6, 19])
    # block passes make more progress per pass than plain cyclic ones (deterministic counts)
    plain = enet_path(s, alphas=res.alphas, tol=1e-12, solver="cd", block_passes=False)
    assert plain.converged.all()
    assert res.diagnostics.active_passes < plain.diagnostics.active_passes
    # the default (Newton) solver gives the same certified path
    newton = enet_path(s, alphas=res.alphas, tol=1e-12)
    assert newton.converged.all()
    np.testing.assert_allclose(newton.coef_std, ref.coef_std, rtol=1e-5, atol=1e-7 * scale)
    _check_rows(X, y, w, newton, [6, 19])


@pytest.mark.parametrize("solver", ["newton", "cd"])
def test_block_passes_on_elastic_net_with_weights_and_penalty_factors(solver):
    rng = np.random.default_rng(23)
    n, p = 300, 280
    X = _ar_design(rng, n, p, 0.8)
    y = _response(rng, X, 30)
    w = rng.uniform(0.2, 3.0, n)
    v = rng.uniform(0.5, 2.0, p)
    v[[3, 150]] = 0.0  # unpenalized, in from the first alpha
    s = SuffStats.from_arrays(X, y, w)
    res = enet_path(s, n_alphas=15, alpha_min_ratio=1e-3, l1_ratio=0.5, penalty_factor=v,
                    tol=1e-12, solver=solver)
    assert res.converged.all()
    assert np.all(res.coef[:, [3, 150]] != 0.0)
    ref = _with_flags(PLAIN_FLOAT64, s, alphas=res.alphas, l1_ratio=0.5, penalty_factor=v,
                      tol=1e-12)
    scale = np.abs(ref.coef_std).max()
    np.testing.assert_allclose(res.coef_std, ref.coef_std, rtol=1e-5, atol=1e-7 * scale)
    # the reported gaps are certificates: recomputed from the rows
    _check_rows(X, y, w, res, [4, 14], rho=0.5, v=v, tol=1e-12)


@pytest.mark.parametrize("solver", ["newton", "cd"])
def test_block_passes_p_greater_than_n(solver):
    """Lasso with p > n: the solution is not unique, the objective is."""
    rng = np.random.default_rng(24)
    X = rng.standard_normal((120, 400))
    y = _response(rng, X, 10)
    w = np.ones(120)
    res = enet_path(SuffStats.from_arrays(X, y), n_alphas=20, tol=1e-12, solver=solver)
    assert res.converged.all()
    assert res.n_nonzero[-1] > 64
    _check_rows(X, y, w, res, [10, 19], unique=False)


def test_compact_gram_rebuilt_when_working_set_shrinks():
    """A coarse step (2α_k − α_{k−1} < 0: the strong set is every feature) followed by a fine
    one (small strong set) makes the kept compact Gram mostly stale: it is rebuilt, and the
    answers equal the plain float64 solver's and scikit-learn's."""
    rng = np.random.default_rng(25)
    n, p = 400, 320
    X = _ar_design(rng, n, p, 0.6)
    y = _response(rng, X, 8)
    w = np.ones(n)
    s = SuffStats.from_arrays(X, y)
    amax = enet_path(s, n_alphas=1).alpha_max
    alphas = amax * np.array([0.9, 0.3, 0.29, 0.28, 0.05, 0.049])
    res = enet_path(s, alphas=alphas, tol=1e-12, solver="cd")
    assert res.converged.all()
    assert res.diagnostics.compact_gram_builds >= 1  # compact Gram rebuilt
    ref = _with_flags(PLAIN_FLOAT64, s, alphas=alphas, tol=1e-12)
    np.testing.assert_allclose(res.coef_std, ref.coef_std, rtol=1e-6,
                               atol=1e-8 * np.abs(ref.coef_std).max())
    _check_rows(X, y, w, res, [2, 5])


@pytest.mark.parametrize("solver", ["newton", "cd"])
def test_sign_changes_along_the_path(solver):
    """Equicorrelated design: coefficients enter, change sign or leave along the path, so the
    extrapolated warm start has to be cut at zero; answers equal scikit-learn's."""
    rng = np.random.default_rng(26)
    n, p = 300, 260
    X = 0.9 * rng.standard_normal((n, 1)) + np.sqrt(1 - 0.81) * rng.standard_normal((n, p))
    y = _response(rng, X, 40)
    w = np.ones(n)
    s = SuffStats.from_arrays(X, y)
    res = enet_path(s, n_alphas=40, alpha_min_ratio=1e-3, tol=1e-12, solver=solver)
    assert res.converged.all()
    signs = np.sign(res.coef_std)
    left = np.any((signs[:-1] != 0) & (signs[1:] != signs[:-1]))
    assert left  # some coefficient leaves the support or flips sign
    ref = _with_flags(PLAIN_FLOAT64, s, alphas=res.alphas, tol=1e-12)
    np.testing.assert_allclose(res.coef_std, ref.coef_std, rtol=1e-5,
                               atol=1e-7 * np.abs(ref.coef_std).max())
    _check_rows(X, y, w, res, [15, 39])


@pytest.mark.parametrize("solver", ["newton", "cd"])
def test_loose_tolerance_gap_bounds_true_suboptimality(solver):
    """At the benchmark's tol = 1e-4 (float32 passes, block passes, extrapolated warm starts)
    the reported gap is the true gap and bounds the distance to the optimal objective."""
    rng = np.random.default_rng(27)
    n, p = 600, 300
    X = _ar_design(rng, n, p, 0.7)
    y = _response(rng, X, 30)
    w = np.ones(n)
    s = SuffStats.from_arrays(X, y)
    loose = enet_path(s, n_alphas=30, tol=1e-4, solver=solver)
    tight = _with_flags(PLAIN_FLOAT64, s, alphas=loose.alphas, tol=1e-13)
    Xt, _, _ = standardize(X, w)
    ybar = y.mean()
    yc = y - ybar
    for i in range(30):
        a = loose.alphas[i]
        gap = duality_gap(Xt, yc, w, loose.coef_std[i], a, 1.0)
        assert abs(gap - loose.dual_gap[i]) <= 1e-10 * yc.var() + 1e-6 * gap
        assert gap <= 1e-4 * yc.var() * (1 + 1e-9)
        sub = objective(Xt, y, w, ybar, loose.coef_std[i], a, 1.0) - objective(
            Xt, y, w, ybar, tight.coef_std[i], a, 1.0)
        assert -1e-12 <= sub <= gap + 1e-12


def test_gradient_rebuild_without_scipy_blas(monkeypatch):
    """scipy is optional: without its dsymv the gradient rebuilds use a gemv; same answers."""
    import lasso_spark.core.cd as cd

    rng = np.random.default_rng(28)
    X = _ar_design(rng, 300, 260, 0.7)
    y = _response(rng, X, 20)
    s = SuffStats.from_arrays(X, y)
    res = enet_path(s, n_alphas=12, tol=1e-12, solver="cd")
    monkeypatch.setattr(cd, "_dsymv", None)
    ref = enet_path(s, alphas=res.alphas, tol=1e-12, solver="cd")
    assert res.converged.all() and ref.converged.all()
    np.testing.assert_allclose(res.coef_std, ref.coef_std, rtol=1e-6,
                               atol=1e-9 * np.abs(ref.coef_std).max())
    G = np.cov(X.T)
    G = 0.5 * (G + G.T)
    x = rng.standard_normal(260)
    np.testing.assert_allclose(cd._symmetric_times(G, x), G @ x, rtol=1e-12, atol=1e-12)
