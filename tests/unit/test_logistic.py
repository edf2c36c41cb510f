"""Logistic elastic-net core (numpy pass, no Spark) against direct formulas and scikit-learn."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from lasso_spark.core.binomial import (
    CURVATURE_FLOOR,
    CV_PROB_MIN,
    PassRequest,
    PassResult,
    accumulate_chunk,
    auc_from_histograms,
    binomial_duality_gap,
    log_loss,
    numpy_pass,
)
from lasso_spark.core.logistic import (
    logistic_path,
    mllib_sample_std,
    trainings_from_arrays,
)
from lasso_spark.core.stats import SuffStats


def _design(n: int, p: int, seed: int, weights: bool = False, shift: float = 3.0):
    """Correlated features (2 common factors + noise), unequal scales and means."""
    rng = np.random.default_rng(seed)
    F = rng.normal(size=(n, 2))
    X = F @ rng.normal(size=(2, p)) + rng.normal(size=(n, p))
    X = X * rng.uniform(0.5, 3.0, p) + shift * rng.normal(size=p)
    beta = np.zeros(p)
    beta[: max(2, p // 3)] = rng.uniform(0.4, 1.0, max(2, p // 3)) * rng.choice([-1, 1],
                                                                              max(2, p // 3))
    eta = 0.3 + ((X - X.mean(0)) / X.std(0)) @ beta
    y = (rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-eta))).astype(float)
    w = rng.uniform(0.3, 2.0, n) if weights else None
    return X, y, w, rng


def _sklearn(Xs, y, w, lam, l1_ratio, fit_intercept=True):
    from sklearn.linear_model import LogisticRegression

    W = len(y) if w is None else float(w.sum())
    if lam == 0.0:
        m = LogisticRegression(penalty=None, solver="lbfgs", tol=1e-12, max_iter=10000,
                               fit_intercept=fit_intercept)
    else:
        pen = "l1" if l1_ratio == 1.0 else "elasticnet"
        m = LogisticRegression(penalty=pen, C=1.0 / (lam * W), solver="saga", tol=1e-13,
                               max_iter=200_000, fit_intercept=fit_intercept,
                               l1_ratio=None if pen == "l1" else l1_ratio)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.fit(Xs, y, sample_weight=w)
    return m.coef_[0], float(m.intercept_[0]) if fit_intercept else 0.0


def _objective(X, y, w, b0, beta, lam, l1_ratio):
    w = np.ones(len(y)) if w is None else w
    f = float(w @ log_loss(y, b0 + X @ beta)) / w.sum()
    return f + lam * (l1_ratio * np.abs(beta).sum() + 0.5 * (1 - l1_ratio) * beta @ beta)


# ================================================================================ the pass
def test_pass_sums_equal_direct_formulas():
    X, y, w, rng = _design(900, 5, 0, weights=True)
    K = 3
    fold = rng.integers(0, K, len(y))
    center, scale = X.mean(0), X.std(0)
    Z = (X - center) / scale
    T = 4
    req = PassRequest(
        center=center, scale=scale, fold=np.array([-1, 0, 1, 2]),
        intercept=rng.normal(size=T) * 0.3, coef=rng.normal(size=(T, 5)) * 0.4,
        hessian=np.array([True, True, False, True]), hessian_stride=3,
        hessian_full=np.array([False, True, True, False]), num_folds=K,
        threshold_margin=0.2, auc_bins=16,
    )
    res = numpy_pass(X, y, w, fold, chunk_rows=128)(req)
    sub, full = req.hessian_slots()
    for t in range(T):
        train = fold != req.fold[t]
        held = fold == req.fold[t]
        eta = req.intercept[t] + Z @ req.coef[t]
        p = 1.0 / (1.0 + np.exp(-eta))
        wt = w * train
        assert res.scalars["dev"][t] == pytest.approx(wt @ log_loss(y, eta), rel=1e-12)
        assert res.scalars["g0"][t] == pytest.approx(wt @ (p - y), rel=1e-10, abs=1e-10)
        np.testing.assert_allclose(res.grad[t], Z.T @ (wt * (p - y)), rtol=1e-10, atol=1e-10)
        assert res.scalars["wsum"][t] == pytest.approx(wt.sum())
        if full[t] >= 0:
            u = wt * np.maximum(p * (1 - p), CURVATURE_FLOOR)
            np.testing.assert_allclose(res.hess_s2[full[t]], (Z * u[:, None]).T @ Z, rtol=1e-10)
            assert res.hess_s0[full[t]] == pytest.approx(u.sum())
            assert res.hess_wsum[full[t]] == pytest.approx(wt.sum())
        if sub[t] >= 0:  # a fixed subsample: weight between a fifth and half of the rows'
            assert 0.2 * wt.sum() < res.hess_wsum[sub[t]] < 0.5 * wt.sum()
        hw = w * held
        pc = np.clip(p, CV_PROB_MIN, 1 - CV_PROB_MIN)
        clipped = -(y * np.log(pc) + (1 - y) * np.log(1 - pc))
        if req.fold[t] >= 0:
            assert res.scalars["heldout_dev"][t] == pytest.approx(hw @ clipped, rel=1e-12)
            assert res.scalars["heldout_wsum"][t] == pytest.approx(hw.sum())
            miss = hw @ ((eta > 0.2) != (y > 0.5))
            assert res.scalars["heldout_miss"][t] == pytest.approx(miss)
            assert res.hist[t].sum() == pytest.approx(hw.sum())
    for k in range(K):
        assert res.fold_rows[k] == np.sum(fold == k)
        assert res.fold_weight_sq[k] == pytest.approx(np.sum(w[fold == k] ** 2))


def test_keep_freed_memory_is_set_once_and_leaves_the_pass_alone():
    """The logistic pass body's malloc thresholds (glibc): set once per process (the same
    answer every call); the pass's sums do not depend on them."""
    import platform

    from lasso_spark.spark.heap import keep_freed_memory

    X, y, w, rng = _design(800, 4, 6)
    req = PassRequest(X.mean(0), X.std(0), np.array([-1]), np.zeros(1), np.ones((1, 4)) * 0.1,
                      np.array([True]))
    before = numpy_pass(X, y)(req)
    first = keep_freed_memory()
    assert keep_freed_memory() is first
    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        assert first
    after = numpy_pass(X, y)(req)
    np.testing.assert_array_equal(after.grad, before.grad)
    np.testing.assert_array_equal(after.hess_s2, before.hess_s2)


def test_sigmoid_equals_expit_over_the_whole_range():
    """:func:`sigmoid` (``1/(1 + e^−η)``, ``e^η/(1 + e^η)`` where ``e^−η`` would overflow) is
    scipy's ``expit`` to a few ulps from −800 to 800, never NaN, exactly 0 and 1 at ∓∞, and
    keeps the shape of 0-d and n-d input."""
    from scipy.special import expit

    from lasso_spark.core.binomial import SIGMOID_DIRECT_MIN, sigmoid

    rng = np.random.default_rng(5)
    x = np.concatenate([np.linspace(-800.0, 800.0, 20001), 40.0 * rng.normal(size=5000),
                        [SIGMOID_DIRECT_MIN, np.nextafter(SIGMOID_DIRECT_MIN, 0.0), 0.0]])
    got, ref = sigmoid(x), expit(x)
    normal = ref > 1e-300  # below, both are subnormal or 0
    np.testing.assert_allclose(got[normal], ref[normal], rtol=4e-16, atol=0.0)
    assert np.all(np.abs(got[~normal] - ref[~normal]) <= 1e-300)
    assert np.isfinite(got).all()
    np.testing.assert_array_equal(sigmoid(np.array([-np.inf, np.inf])), [0.0, 1.0])
    mixed = sigmoid(np.array([np.nan, -720.0, 1.0]))
    assert np.isnan(mixed[0]) and mixed[1] == pytest.approx(expit(-720.0), rel=1e-12)
    assert sigmoid(np.float64(-750.0)).shape == () and sigmoid(2.0) == pytest.approx(expit(2.0))
    assert sigmoid(x.reshape(-1, 1)).shape == (x.size, 1)


def test_pass_with_few_nonzero_coefficients_equals_direct_formulas():
    """Points whose coefficients are non-zero on a few columns only (a lasso path's first
    regParams): ``η`` is computed on those columns; the sums are still the direct formulas'."""
    X, y, w, rng = _design(1200, 8, 4, weights=True)
    fold = rng.integers(0, 3, len(y))
    center, scale = X.mean(0), X.std(0)
    Z = (X - center) / scale
    T = 5
    coef = np.zeros((T, 8))
    coef[:, [1, 4]] = rng.normal(size=(T, 2))
    coef[3] = 0.0  # a null point among them
    req = PassRequest(center, scale, np.array([-1, 0, 1, 2, -1]), rng.normal(size=T) * 0.3,
                      coef, np.ones(T, dtype=bool), 1, None, 3, 0.0)
    res = numpy_pass(X, y, w, fold, chunk_rows=256)(req)
    for t in range(T):
        train = fold != req.fold[t]
        eta = req.intercept[t] + Z @ coef[t]
        p = 1.0 / (1.0 + np.exp(-eta))
        wt = w * train
        assert res.scalars["dev"][t] == pytest.approx(wt @ log_loss(y, eta), rel=1e-12)
        np.testing.assert_allclose(res.grad[t], Z.T @ (wt * (p - y)), rtol=1e-10, atol=1e-10)
        u = wt * np.maximum(p * (1 - p), CURVATURE_FLOOR)
        np.testing.assert_allclose(res.hess_s2[t], (Z * u[:, None]).T @ Z, rtol=1e-10)
        if req.fold[t] >= 0:
            miss = (w * (fold == req.fold[t])) @ ((eta > 0.0) != (y > 0.5))
            assert res.scalars["heldout_miss"][t] == pytest.approx(miss)


def test_float32_curvature_is_close_to_the_exact_sums_and_changes_nothing_else():
    """``curvature_float32`` (what the path asks for) computes the curvature's ``Σu zzᵀ``
    products, subsampled and exact, in float32: within 1e-5 of the float64 sums relative to
    each block's scale; the losses, gradients, held-out sums and the curvature's ``W_s, S0, s1``
    are the float64 ones, bit for bit."""
    from dataclasses import replace

    X, y, w, rng = _design(3000, 6, 1, weights=True)
    fold = rng.integers(0, 3, 3000)
    T, p = 4, 6
    req = PassRequest(X.mean(0), X.std(0), np.array([-1, 0, 1, 2]), rng.normal(size=T) * 0.3,
                      rng.normal(size=(T, p)) * 0.4, np.array([True, True, False, True]), 2,
                      np.array([True, False, True, False]), 3, 0.1, 8)
    ev = numpy_pass(X, y, w, fold, chunk_rows=700)
    exact, fast = ev(req), ev(replace(req, curvature_float32=True))
    np.testing.assert_array_equal(fast.grad, exact.grad)
    for name in exact.scalars:
        np.testing.assert_array_equal(fast.scalars[name], exact.scalars[name])
    np.testing.assert_array_equal(fast.hist, exact.hist)
    for name in ("hess_wsum", "hess_s0", "hess_s1"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(exact, name))
    scale = np.abs(exact.hess_s2).max(axis=(1, 2), keepdims=True)
    err = np.abs(fast.hess_s2 - exact.hess_s2) / scale
    assert exact.hess_s2.shape[0] == 5  # 3 subsampled + 2 exact curvatures
    assert err.max() <= 1e-5
    assert err.max() > 0.0  # it did run in float32
    asked = []
    inner = numpy_pass(X, y, w, fold, chunk_rows=700)

    def spy(r: PassRequest) -> PassResult:
        asked.append(r.curvature_float32)
        return inner(r)

    fit = logistic_path(trainings_from_arrays(X, y, w, fold, 3), spy, num_folds=3,
                        n_reg_params=10, tol=1e-7, hessian_rows=1000)
    assert asked and all(asked)  # the path asks for it in every pass
    assert all(pth.converged.all() for pth in fit.paths)


def test_pass_result_round_trip_and_layout():
    req = PassRequest(np.zeros(3), np.ones(3), np.array([-1, 0]), np.zeros(2), np.zeros((2, 3)),
                      np.array([True, False]), 1, None, 2, 0.0, 4)
    lay = req.layout()
    vec = np.arange(lay.size, dtype=float)
    res = PassResult.from_vector(vec, lay)
    assert res.hist.shape == (2, 2, 6) and res.hess_s2.shape == (1, 3, 3)
    with pytest.raises(ValueError, match="expected"):
        PassResult.from_vector(vec[:-1], lay)
    out = np.zeros(lay.size)
    accumulate_chunk(np.zeros((0, 3)), np.zeros(0), None, None, req, out)
    assert not out.any()


def test_auc_from_histograms_within_its_bound():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(3)
    y = (rng.uniform(size=5000) < 0.3).astype(float)
    s = rng.normal(size=5000) + 1.2 * y
    w = rng.uniform(0.5, 2, 5000)
    from lasso_spark.core.binomial import bin_index

    bounds = []
    for bins in (8, 64, 1024):
        hist = np.zeros((2, bins + 2))
        np.add.at(hist, (y.astype(int), bin_index(s, bins)), w)
        auc, bound = auc_from_histograms(hist)
        exact = roc_auc_score(y, s, sample_weight=w)
        assert abs(auc - exact) <= bound + 1e-12
        bounds.append(float(bound))
    assert bounds[0] > bounds[1] > bounds[2] and bounds[2] < 0.005
    assert np.isnan(auc_from_histograms(np.zeros((2, 5)))[0])


# ================================================================================ the path
@pytest.mark.parametrize("l1_ratio,weights", [(1.0, False), (1.0, True), (0.5, True)])
def test_path_matches_sklearn_on_mllib_standardized_features(l1_ratio, weights):
    X, y, w, _ = _design(600, 8, 1, weights=weights)
    tr = trainings_from_arrays(X, y, w)
    fit = logistic_path(tr, numpy_pass(X, y, w), n_reg_params=40, l1_ratio=l1_ratio, tol=1e-10)
    path = fit.paths[0]
    assert path.converged.all()
    sd = mllib_sample_std(tr[0].stats, tr[0].weight_sq_sum)
    mean = X.mean(0) if w is None else (w @ X) / w.sum()
    Xs = (X - mean) / sd
    for i in (8, 20, path.n_reg_params - 1):
        coef, b0 = _sklearn(Xs, y, w, path.reg_params[i], l1_ratio)
        scale = max(1.0, np.abs(coef).max())
        assert np.abs(path.coef_std[i] - coef).max() < 1e-6 * scale
        # the same on the original scale: coefficients / std, the intercept shifted by the means
        np.testing.assert_allclose(path.coef[i], coef / sd, atol=1e-6 * scale)
        assert path.intercept[i] == pytest.approx(b0 - mean @ (coef / sd), abs=1e-5)
        F = _objective(Xs, y, w, b0, coef, path.reg_params[i], l1_ratio)
        assert path.objective[i] <= F + 1e-12


def test_no_intercept_and_no_standardization_match_sklearn():
    X, y, w, _ = _design(500, 6, 2, shift=0.5)
    tr = trainings_from_arrays(X, y, w)
    sd = mllib_sample_std(tr[0].stats, tr[0].weight_sq_sum)
    fit = logistic_path(tr, numpy_pass(X, y, w), n_reg_params=15, fit_intercept=False,
                        tol=1e-10)
    path = fit.paths[0]
    i = path.n_reg_params - 3
    coef, _ = _sklearn(X / sd, y, w, path.reg_params[i], 1.0, fit_intercept=False)
    assert np.abs(path.coef_std[i] - coef).max() < 1e-6 * max(1, np.abs(coef).max())
    assert np.all(path.intercept == 0.0)
    # standardization off: the penalty applies to the original-scale coefficients
    fit = logistic_path(tr, numpy_pass(X, y, w), n_reg_params=15, standardize=False, tol=1e-10)
    path = fit.paths[0]
    i = path.n_reg_params - 3
    coef, b0 = _sklearn(X, y, w, path.reg_params[i], 1.0)
    assert np.abs(path.coef[i] - coef).max() < 1e-6 * max(1, np.abs(coef).max())
    assert path.intercept[i] == pytest.approx(b0, abs=1e-5)
    np.testing.assert_array_equal(path.feature_scale, 1.0)


def test_unpenalized_and_ridge_endpoints():
    X, y, w, _ = _design(400, 4, 4)
    tr = trainings_from_arrays(X, y, w)
    sd = mllib_sample_std(tr[0].stats, tr[0].weight_sq_sum)
    Xs = (X - X.mean(0)) / sd
    fit = logistic_path(tr, numpy_pass(X, y, w), reg_params=[0.05, 0.0], tol=1e-10)
    path = fit.paths[0]
    assert path.converged.all() and not fit.path_ended_early
    coef, _ = _sklearn(Xs, y, w, 0.0, 1.0)
    np.testing.assert_allclose(path.coef_std[-1], coef, atol=1e-6)
    assert path.kkt_residual[-1] <= 1e-10
    ridge = logistic_path(tr, numpy_pass(X, y, w), reg_params=[0.02], l1_ratio=0.0, tol=1e-10)
    from sklearn.linear_model import LogisticRegression

    m = LogisticRegression(C=1.0 / (0.02 * len(y)), tol=1e-12, max_iter=10000).fit(Xs, y)
    np.testing.assert_allclose(ridge.paths[0].coef_std[0], m.coef_[0], atol=1e-6)


def test_duality_gap_is_zero_at_the_optimum_and_bounds_suboptimality():
    X, y, w, rng = _design(500, 6, 5, weights=True)
    tr = trainings_from_arrays(X, y, w)
    st = tr[0].stats
    sd = mllib_sample_std(st, tr[0].weight_sq_sum)
    mean = (w @ X) / w.sum()
    Xs = (X - mean) / sd
    ybar = st.mean_y
    g_const = -(Xs.T @ (w * (y - ybar))) / w.sum()
    for l1_ratio in (1.0, 0.5):
        lam = 0.02
        coef, b0 = _sklearn(Xs, y, w, lam, l1_ratio)
        F_star = _objective(Xs, y, w, b0, coef, lam, l1_ratio)

        def gap_at(b, beta, lam=lam, l1_ratio=l1_ratio):
            p = 1 / (1 + np.exp(-(b + Xs @ beta)))
            f = float(w @ log_loss(y, b + Xs @ beta)) / w.sum()
            g0 = float(w @ (p - y)) / w.sum()
            g = Xs.T @ (w * (p - y)) / w.sum()
            return binomial_duality_gap(f, g0, g, b, beta, lam, l1_ratio, ybar, g_const)

        gap, kkt = gap_at(b0, coef)
        assert gap < 1e-8 and kkt < 1e-6
        for _ in range(20):
            db = rng.normal() * 0.1
            dbeta = rng.normal(size=6) * 0.1 * (rng.uniform(size=6) < 0.5)
            gap, _ = gap_at(b0 + db, coef + dbeta)
            sub = _objective(Xs, y, w, b0 + db, coef + dbeta, lam, l1_ratio) - F_star
            assert gap >= sub - 1e-9 >= -1e-9


def test_cv_models_heldout_metrics_and_folds():
    X, y, w, rng = _design(1500, 6, 6)
    K = 3
    fold = rng.integers(0, K, len(y))
    tr = trainings_from_arrays(X, y, w, fold, K)
    fit = logistic_path(tr, numpy_pass(X, y, w, fold), num_folds=K, n_reg_params=25,
                        auc_bins=512, threshold=0.4)
    assert [p.fold for p in fit.paths] == [-1, 0, 1, 2]
    grid = fit.paths[0].reg_params
    from sklearn.metrics import roc_auc_score

    for path in fit.paths[1:]:
        k = path.fold
        np.testing.assert_array_equal(path.reg_params, grid)  # the full model's grid
        assert path.converged.all()
        held = fold == k
        for i in (0, 10, len(grid) - 1):
            eta = path.intercept[i] + X[held] @ path.coef[i]
            p = np.clip(1 / (1 + np.exp(-eta)), CV_PROB_MIN, 1 - CV_PROB_MIN)
            dev = -2 * np.mean(y[held] * np.log(p) + (1 - y[held]) * np.log(1 - p))
            assert path.heldout_deviance[i] == pytest.approx(dev, rel=1e-9)
            miss = np.mean((p > 0.4) != (y[held] > 0.5))
            assert path.heldout_misclassification[i] == pytest.approx(miss, abs=1e-12)
            if np.any(path.coef[i]):
                exact = roc_auc_score(y[held], eta)
                assert abs(path.heldout_auc[i] - exact) <= path.heldout_auc_bound[i] + 1e-12
            else:
                assert path.heldout_auc[i] == 0.5
        # each fold model is the model of its training rows alone
        alone = logistic_path(trainings_from_arrays(X[~held], y[~held]),
                              numpy_pass(X[~held], y[~held]), reg_params=grid[[3, -2]])
        np.testing.assert_allclose(alone.paths[0].coef, path.coef[[3, -2]], atol=1e-7)


def test_pass_count_of_a_five_fold_path():
    """The regression guard on the algorithm: 5 folds + the full model × 100 regParams in at most
    30 passes (each point in flight is one model at one regParam)."""
    X, y, w, rng = _design(6000, 30, 7)
    fold = rng.integers(0, 5, len(y))
    ev = numpy_pass(X, y, None, fold, chunk_rows=6000)
    fit = logistic_path(trainings_from_arrays(X, y, None, fold, 5), ev, num_folds=5,
                        n_reg_params=100, in_flight=16)
    assert fit.n_passes == ev.n_passes <= 30
    assert all(p.converged.all() for p in fit.paths)
    assert max(fit.pass_points) <= 6 * 16



def test_negligible_steps_reuse_their_base_curvature(monkeypatch):
    """A candidate whose Newton step predicted a decrease of at most its tolerance gets no
    curvature of its own (its base's is reused): fewer curvature sums per pass, every regParam
    still certified, the same answers as computing every curvature, in no more passes."""
    import lasso_spark.core.logistic as logistic

    X, y, w, rng = _design(3000, 20, 7)
    fold = rng.integers(0, 5, len(y))
    tr = trainings_from_arrays(X, y, None, fold, 5)

    def run():
        ev = numpy_pass(X, y, None, fold, chunk_rows=1500)
        asked: list[tuple[int, int]] = []

        def evaluate(req: PassRequest) -> PassResult:
            if req.hessian_full is not None:  # the exact curvature's point also has a subsample
                assert not np.any(req.hessian_full & ~req.hessian)
            asked.append((int(req.hessian.sum()), req.n_points))
            return ev(req)

        fit = logistic_path(tr, evaluate, num_folds=5, n_reg_params=40, in_flight=12,
                            tol=1e-7, hessian_rows=500)
        return fit, asked

    fit, asked = run()
    monkeypatch.setattr(logistic, "CURVATURE_REUSE_FRACTION", -1.0)  # every point its own
    base, base_asked = run()
    assert all(h == n for h, n in base_asked)
    assert any(h < n for h, n in asked)
    assert sum(h for h, _ in asked) < sum(h for h, _ in base_asked)
    assert fit.n_passes <= base.n_passes
    for a, b in zip(fit.paths, base.paths):
        assert a.converged.all() and b.converged.all()
        np.testing.assert_array_equal(a.reg_params, b.reg_params)
        # both are certified: their objectives differ by at most the sum of their gaps
        assert np.all(np.abs(a.objective - b.objective)
                      <= a.duality_gap + b.duality_gap + 1e-15)

def test_separable_data_ends_the_path():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(300, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(float)  # perfectly separable
    tr = trainings_from_arrays(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fit = logistic_path(tr, numpy_pass(X, y), n_reg_params=100, reg_param_min_ratio=1e-7)
    path = fit.paths[0]
    assert fit.path_ended_early and path.n_reg_params < 100
    assert path.dev_ratio[-1] > 0.999 or path.dev_ratio[-1] - path.dev_ratio[-2] < 1e-5
    assert np.isfinite(path.coef).all() and np.all(np.diff(path.dev_ratio) >= -1e-9)


def test_one_class_and_bad_arguments():
    X = np.random.default_rng(9).normal(size=(50, 3))
    tr = trainings_from_arrays(X, np.ones(50))
    with pytest.raises(ValueError, match="one class only"):
        logistic_path(tr, numpy_pass(X, np.ones(50)))
    y = (X[:, 0] > 0).astype(float)
    tr = trainings_from_arrays(X, y)
    with pytest.raises(ValueError, match="l1_ratio"):
        logistic_path(tr, numpy_pass(X, y), l1_ratio=1.5)
    with pytest.raises(ValueError, match="reg_params"):
        logistic_path(tr, numpy_pass(X, y), reg_params=[-1.0])


def test_mllib_sample_std_and_constant_features():
    rng = np.random.default_rng(10)
    X = rng.normal(size=(40, 3))
    X[:, 2] = 7.0  # constant: coefficient 0, never NaN
    w = rng.uniform(0.5, 2, 40)
    st = SuffStats.from_arrays(X, X[:, 0] > 0, w)
    sd = mllib_sample_std(st, float(w @ w))
    mu = (w @ X) / w.sum()
    expected = np.sqrt((w @ (X - mu) ** 2) / (w.sum() - (w @ w) / w.sum()))
    np.testing.assert_allclose(sd[:2], expected[:2], rtol=1e-12)
    assert sd[2] == 0.0
    y = (X[:, 0] + rng.normal(size=40) > 0).astype(float)
    fit = logistic_path(trainings_from_arrays(X, y, w), numpy_pass(X, y, w), n_reg_params=10)
    assert np.all(fit.paths[0].coef[:, 2] == 0.0)
    # unit weights: the n − 1 denominator
    st1 = SuffStats.from_arrays(X, y)
    np.testing.assert_allclose(mllib_sample_std(st1, 40.0)[:2], X[:, :2].std(0, ddof=1))
