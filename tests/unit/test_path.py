"""enet_path against scikit-learn on data sets chosen to break a Gram solver."""

from __future__ import annotations

import warnings
import zlib

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import lasso_path

from lasso_spark.core import (
    ConvergenceWarning,
    SuffStats,
    alpha_grid,
    alpha_max,
    enet_path,
)
from tests.unit.enet_reference import duality_gap, objective, sk_enet, standardize

TOL = 1e-13  # both solvers: gap ≤ tol · (weighted variance of y)


def _ar_design(rng, n, p, corr):
    X = np.empty((n, p))
    X[:, 0] = rng.standard_normal(n)
    for j in range(1, p):
        X[:, j] = corr * X[:, j - 1] + np.sqrt(1 - corr**2) * rng.standard_normal(n)
    return X


def _response(rng, X, k=5):
    beta = np.zeros(X.shape[1])
    beta[:k] = rng.uniform(1, 3, k) * rng.choice([-1, 1], k)
    return X @ beta + rng.standard_normal(X.shape[0])


def _case(name):
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    w = None
    if name == "diabetes":
        X, y = load_diabetes(return_X_y=True)
    elif name == "correlated":
        X = _ar_design(rng, 200, 30, 0.97)
        y = _response(rng, X)
    elif name == "p_gt_n":
        X = rng.standard_normal((40, 90))
        y = _response(rng, X)
    elif name == "weights":
        X = _ar_design(rng, 150, 12, 0.6)
        y = _response(rng, X)
        w = rng.uniform(0.05, 5.0, 150)
    elif name == "big_mean_tiny_std":
        X = 1e6 + 1e-2 * _ar_design(rng, 120, 8, 0.5)
        y = 3.0 + _response(rng, (X - 1e6) / 1e-2, k=3)
    else:
        raise KeyError(name)
    if w is None:
        w = np.ones(X.shape[0])
    return X, y, w


def _check_against_sklearn(X, y, w, rho, res, idx, v=None, coef_rtol=1e-6, unique=True):
    Xt, mu, sd = standardize(X, w)
    ybar = (w @ y) / w.sum()
    for i in idx:
        a = res.alphas[i]
        b0_sk, beta_sk = sk_enet(Xt, y, w, a, rho)
        beta = res.coef_std[i]
        obj = objective(Xt, y, w, ybar, beta, a, rho, v)
        obj_sk = objective(Xt, y, w, b0_sk, beta_sk, a, rho, v)
        assert abs(obj - obj_sk) <= 1e-9 * obj_sk, (i, obj, obj_sk)
        # original scale: β/σ, b0 = ȳ − μᵀβ
        np.testing.assert_allclose(res.coef[i] * sd, beta, rtol=1e-12, atol=0)
        if unique:
            scale = np.max(np.abs(beta_sk))
            np.testing.assert_allclose(beta, beta_sk, rtol=coef_rtol, atol=coef_rtol * scale)
        # the reported gap, recomputed from the rows
        gap = duality_gap(Xt, y - ybar, w, beta, a, rho, v)
        var_y = (w @ (y - ybar) ** 2) / w.sum()
        assert abs(gap - res.dual_gap[i]) <= 1e-10 * var_y + 1e-6 * abs(gap)
        assert res.dual_gap[i] <= TOL * var_y * (1 + 1e-6)


@pytest.mark.parametrize(
    "name", ["diabetes", "correlated", "p_gt_n", "weights", "big_mean_tiny_std"]
)
@pytest.mark.parametrize("rho", [1.0, 0.5])
def test_matches_sklearn(name, rho):
    X, y, w = _case(name)
    res = enet_path(SuffStats.from_arrays(X, y, w), n_alphas=30, l1_ratio=rho, tol=TOL)
    assert res.converged.all()
    assert np.all(np.diff(res.alphas) < 0)
    # unique solutions: n > p with a non-singular design, or elastic net
    _check_against_sklearn(X, y, w, rho, res, [3, 12, 29])


def test_intercept_on_original_scale():
    X, y, w = _case("weights")
    res = enet_path(SuffStats.from_arrays(X, y, w), n_alphas=10, tol=TOL)
    pred = res.intercept[:, None] + res.coef @ X.T
    Xt, mu, sd = standardize(X, w)
    pred_std = (w @ y) / w.sum() + res.coef_std @ Xt.T
    np.testing.assert_allclose(pred, pred_std, rtol=1e-12, atol=1e-12 * np.abs(y).max())


def test_constant_feature_is_exactly_zero():
    rng = np.random.default_rng(3)
    X = _ar_design(rng, 100, 6, 0.5)
    y = _response(rng, X, k=3)
    Xc = np.insert(X, 2, 7.25, axis=1)  # constant column at index 2
    w = np.ones(100)
    for fit_intercept in (True, False):
        res = enet_path(SuffStats.from_arrays(Xc, y), n_alphas=20, tol=TOL,
                        fit_intercept=fit_intercept)
        assert np.all(res.coef[:, 2] == 0.0)
        assert np.all(np.isfinite(res.coef)) and np.all(np.isfinite(res.intercept))
    res = enet_path(SuffStats.from_arrays(Xc, y), n_alphas=20, tol=TOL)
    ref = enet_path(SuffStats.from_arrays(X, y), alphas=res.alphas, tol=TOL)
    np.testing.assert_allclose(np.delete(res.coef, 2, axis=1), ref.coef, rtol=1e-8, atol=1e-12)
    _check_against_sklearn(X, y, w, 1.0, ref, [5, 19])


def test_duplicated_columns():
    rng = np.random.default_rng(4)
    X = _ar_design(rng, 120, 6, 0.3)
    y = _response(rng, X, k=3)
    Xd = np.column_stack([X, X[:, 0]])  # column 6 duplicates column 0
    w = np.ones(120)
    # lasso: the split between duplicates is not unique -> objective only
    res = enet_path(SuffStats.from_arrays(Xd, y), n_alphas=20, tol=TOL)
    _check_against_sklearn(Xd, y, w, 1.0, res, [5, 19], unique=False)
    # elastic net: unique, the duplicates share the weight equally
    res = enet_path(SuffStats.from_arrays(Xd, y), n_alphas=20, tol=TOL, l1_ratio=0.5)
    _check_against_sklearn(Xd, y, w, 0.5, res, [5, 19])
    np.testing.assert_allclose(res.coef[:, 0], res.coef[:, 6], rtol=1e-6, atol=1e-12)


def test_zero_penalty_factor_by_partialling_out():
    """Unpenalized features: Frisch–Waugh–Lovell turns it into a plain lasso for sklearn."""
    rng = np.random.default_rng(5)
    n, p = 150, 8
    X = _ar_design(rng, n, p, 0.6)
    y = _response(rng, X, k=3)
    w = rng.uniform(0.2, 2.0, n)
    v = np.ones(p)
    v[[1, 6]] = 0.0
    res = enet_path(SuffStats.from_arrays(X, y, w), n_alphas=25, tol=TOL, penalty_factor=v)
    assert res.converged.all()
    assert np.all(res.coef[:, [1, 6]] != 0.0)  # unpenalized: in from the first alpha
    Xt, _, _ = standardize(X, w)
    yc = y - (w @ y) / w.sum()
    U, P = [1, 6], [0, 2, 3, 4, 5, 7]
    XU = Xt[:, U]
    proj = np.linalg.solve(XU.T @ (w[:, None] * XU), XU.T * w)  # (|U|, n)
    XP = Xt[:, P] - XU @ (proj @ Xt[:, P])
    yr = yc - XU @ (proj @ yc)
    for i in (0, 8, 24):
        a = res.alphas[i]
        _, bP = sk_enet(XP, yr, w, a, 1.0)
        bU = proj @ (yc - Xt[:, P] @ bP)
        ref = np.empty(p)
        ref[P], ref[U] = bP, bU
        np.testing.assert_allclose(res.coef_std[i], ref, rtol=1e-6, atol=1e-9)
        obj = objective(Xt, yc, w, 0.0, res.coef_std[i], a, 1.0, v)
        assert abs(obj - objective(Xt, yc, w, 0.0, ref, a, 1.0, v)) <= 1e-9 * obj
    # at alpha_max every penalized coefficient is 0, the unpenalized ones are least squares
    assert np.all(res.coef[0, P] == 0.0)


def test_penalty_factors_by_column_rescaling():
    """Lasso with factors v = lasso on X̃_j / v_j (coefficients v_j β_j)."""
    rng = np.random.default_rng(6)
    X = _ar_design(rng, 100, 7, 0.5)
    y = _response(rng, X, k=4)
    w = np.ones(100)
    v = np.array([0.5, 2.0, 1.0, 3.0, 0.25, 1.0, 1.5])
    res = enet_path(SuffStats.from_arrays(X, y), n_alphas=15, tol=TOL, penalty_factor=v)
    Xt, _, _ = standardize(X, w)
    for i in (4, 14):
        _, g = sk_enet(Xt / v, y, w, res.alphas[i], 1.0)
        np.testing.assert_allclose(res.coef_std[i], g / v, rtol=1e-6, atol=1e-9)
    # elastic net with factors: certified by the gap recomputed from the rows
    res = enet_path(SuffStats.from_arrays(X, y), n_alphas=15, tol=TOL, penalty_factor=v,
                    l1_ratio=0.3)
    yc = y - y.mean()
    for i in (4, 14):
        gap = duality_gap(Xt, yc, w, res.coef_std[i], res.alphas[i], 0.3, v)
        assert abs(gap - res.dual_gap[i]) <= 1e-10 * yc.var()
        assert gap <= 2 * TOL * yc.var()


@pytest.mark.parametrize("fit_intercept,standardize_", [(False, True), (True, False),
                                                        (False, False)])
def test_intercept_and_standardize_switches(fit_intercept, standardize_):
    rng = np.random.default_rng(7)
    X = 2.0 + 3.0 * _ar_design(rng, 130, 6, 0.5)
    X[:, 3] *= 20.0
    y = 1.5 + _response(rng, X - 2.0, k=3)
    w = rng.uniform(0.5, 2.0, 130)
    res = enet_path(SuffStats.from_arrays(X, y, w), n_alphas=20, tol=TOL, l1_ratio=0.7,
                    fit_intercept=fit_intercept, standardize=standardize_)
    assert res.converged.all()
    Xt, mu, sd = standardize(X, w, center=fit_intercept, scale=standardize_)
    for i in (5, 19):
        b0, beta = sk_enet(Xt, y, w, res.alphas[i], 0.7, fit_intercept=fit_intercept)
        np.testing.assert_allclose(res.coef_std[i], beta, rtol=1e-6, atol=1e-9)
        pred = res.intercept[i] + X @ res.coef[i]
        np.testing.assert_allclose(pred, b0 + Xt @ beta, rtol=1e-7, atol=1e-7)
    if not fit_intercept:
        assert np.all(res.intercept == 0.0)


def test_against_sklearn_lasso_path_on_same_gram():
    X, y, _ = _case("correlated")
    s = SuffStats.from_arrays(X, y)
    Xt, _, _ = standardize(X, np.ones(len(y)))
    yc = y - y.mean()
    res = enet_path(s, n_alphas=50, tol=1e-10)
    _, coefs, _ = lasso_path(Xt, yc, alphas=res.alphas, precompute=Xt.T @ Xt, Xy=Xt.T @ yc,
                             tol=1e-12, max_iter=200_000)
    np.testing.assert_allclose(res.coef_std, coefs.T, rtol=1e-4, atol=1e-6)


def test_weak_duality_loose_tolerance():
    """At a loose tol the reported gap still bounds the true suboptimality."""
    X, y, w = _case("weights")
    s = SuffStats.from_arrays(X, y, w)
    loose = enet_path(s, n_alphas=20, tol=1e-3)
    tight = enet_path(s, alphas=loose.alphas, tol=TOL)
    Xt, _, _ = standardize(X, w)
    ybar = (w @ y) / w.sum()
    for i in range(20):
        a = loose.alphas[i]
        sub = objective(Xt, y, w, ybar, loose.coef_std[i], a, 1.0) - objective(
            Xt, y, w, ybar, tight.coef_std[i], a, 1.0)
        assert -1e-12 <= sub <= loose.dual_gap[i] + 1e-12


def test_grid_and_alpha_max():
    X, y, w = _case("weights")
    s = SuffStats.from_arrays(X, y, w)
    Xt, _, _ = standardize(X, w)
    yc = y - (w @ y) / w.sum()
    amax = np.max(np.abs(Xt.T @ (w * yc))) / w.sum()
    np.testing.assert_allclose(alpha_max(s), amax, rtol=1e-12)
    np.testing.assert_allclose(alpha_max(s, l1_ratio=0.25), amax / 0.25, rtol=1e-12)
    g = alpha_grid(s, n_alphas=100)
    assert g.shape == (100,) and g[0] == pytest.approx(amax, rel=1e-12)
    assert g[-1] == pytest.approx(amax * 1e-4, rel=1e-10)  # n > p
    s_wide = SuffStats.from_arrays(*_case("p_gt_n")[:2])
    assert alpha_grid(s_wide, n_alphas=5)[-1] == pytest.approx(alpha_max(s_wide) * 1e-2)
    res = enet_path(s, alphas=[0.01, 1.0, 0.1])
    np.testing.assert_array_equal(res.alphas, [1.0, 0.1, 0.01])


def test_constant_label_gives_zero_path():
    rng = np.random.default_rng(8)
    X = rng.standard_normal((30, 4))
    res = enet_path(SuffStats.from_arrays(X, np.full(30, 2.5)), n_alphas=5)
    assert np.all(res.coef == 0.0) and np.allclose(res.intercept, 2.5)
    assert res.converged.all()


def test_max_iter_warns_with_alpha_and_gap():
    X, y, _ = _case("correlated")
    with pytest.warns(ConvergenceWarning, match=r"alpha=.*duality gap"):
        res = enet_path(SuffStats.from_arrays(X, y), n_alphas=10, tol=1e-14, max_iter=2)
    assert not res.converged.all()
    assert np.all(res.n_iter <= 2)


def test_no_warning_when_converged():
    X, y, _ = _case("diabetes")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        res = enet_path(SuffStats.from_arrays(X, y))
    assert res.converged.all() and res.n_alphas == 100
    assert res.n_nonzero[0] == 0 and res.n_nonzero[-1] == X.shape[1]


@pytest.mark.parametrize("kwargs,match", [
    ({"l1_ratio": 0.0}, "l1_ratio"),
    ({"l1_ratio": 1.5}, "l1_ratio"),
    ({"alphas": [0.1, -1.0]}, "alphas"),
    ({"penalty_factor": [1.0, -1.0, 1.0]}, "penalty_factor"),
    ({"penalty_factor": [1.0, 1.0]}, "shape"),
    ({"tol": 0.0}, "tol"),
])
def test_bad_arguments(kwargs, match):
    rng = np.random.default_rng(9)
    s = SuffStats.from_arrays(rng.standard_normal((20, 3)), rng.standard_normal(20))
    with pytest.raises(ValueError, match=match):
        enet_path(s, **kwargs)


def test_zero_weight_statistics_rejected():
    with pytest.raises(ValueError, match="total weight"):
        enet_path(SuffStats.empty(3))


def test_float32_passes_match_float64_solver():
    """p ≥ 256: solver="cd" uses float32 Gram passes; the certified answer must equal the
    float64 one (and the Newton solver's)."""
    rng = np.random.default_rng(11)
    X = _ar_design(rng, 400, 300, 0.8)
    y = _response(rng, X, k=20)
    s = SuffStats.from_arrays(X, y)
    res = enet_path(s, n_alphas=15, tol=1e-12, solver="cd")
    assert res.converged.all()
    # float32 passes cannot reach 1e-12: the solver switched to float64 passes mid-path
    assert res.diagnostics.float32_switches == 1
    ref = enet_path(s, alphas=res.alphas, tol=1e-12, solver="cd", float32=False)
    newton = enet_path(s, alphas=res.alphas, tol=1e-12)
    assert newton.converged.all() and newton.diagnostics.solver == "newton"
    scale = np.abs(ref.coef_std).max()
    np.testing.assert_allclose(res.coef_std, ref.coef_std, rtol=1e-5, atol=1e-7 * scale)
    np.testing.assert_allclose(newton.coef_std, ref.coef_std, rtol=1e-5, atol=1e-7 * scale)
    Xt, _, _ = standardize(X, np.ones(400))
    yc = y - y.mean()
    w = np.ones(400)
    for r in (res, newton):
        for i in (5, 14):
            gap = duality_gap(Xt, yc, w, r.coef_std[i], r.alphas[i], 1.0)
            assert abs(gap - r.dual_gap[i]) <= 1e-10 * yc.var()
            assert gap <= 2e-12 * yc.var()


def test_infinite_penalty_factor_excludes_feature():
    rng = np.random.default_rng(12)
    X = _ar_design(rng, 90, 5, 0.5)
    y = _response(rng, X, k=3)
    v = np.array([1.0, np.inf, 1.0, 1.0, 1.0])
    res = enet_path(SuffStats.from_arrays(X, y), n_alphas=10, penalty_factor=v, tol=TOL)
    ref = enet_path(SuffStats.from_arrays(np.delete(X, 1, axis=1), y), alphas=res.alphas,
                    tol=TOL)
    assert np.all(res.coef[:, 1] == 0.0)
    np.testing.assert_allclose(np.delete(res.coef, 1, axis=1), ref.coef, rtol=1e-8, atol=1e-12)
