"""Multinomial elastic-net core (numpy pass, no Spark) against direct formulas and
scikit-learn's multinomial LogisticRegression mapped to the same objective."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from lasso_spark.core.binomial import CV_PROB_MIN, numpy_pass
from lasso_spark.core.errors import DataError
from lasso_spark.core.logistic import mllib_sample_std
from lasso_spark.core.multinomial import (
    MultinomialPassRequest,
    multinomial_duality_gap,
    softmax,
    softmax_loss,
)
from lasso_spark.core.multinomial_path import (
    center_classes,
    multinomial_path,
    multinomial_trainings_from_arrays,
)


def _design(n: int, p: int, K: int, seed: int, weights: bool = False):
    """Correlated features with unequal scales and means, labels from a sparse softmax model."""
    rng = np.random.default_rng(seed)
    F = rng.normal(size=(n, 2))
    X = F @ rng.normal(size=(2, p)) + rng.normal(size=(n, p))
    X = X * rng.uniform(0.5, 3.0, p) + 3.0 * rng.normal(size=p)
    B = rng.normal(size=(K, p)) * (rng.uniform(size=(K, p)) < 0.5)
    P, _ = softmax(((X - X.mean(0)) / X.std(0)) @ B.T)
    y = (rng.uniform(size=(n, 1)) > np.cumsum(P, axis=1)).sum(axis=1)
    w = rng.uniform(0.3, 2.0, n) if weights else None
    return X, y, w, rng


def _standardized(X, w, tr):
    w = np.ones(X.shape[0]) if w is None else w
    sd = mllib_sample_std(tr.stats, tr.weight_sq_sum)
    return (X - (w @ X) / w.sum()) / sd


def _objective(Xs, y, w, b, B, lam, l1_ratio):
    w = np.ones(len(y)) if w is None else w
    f = float(w @ softmax_loss(y, b + Xs @ B.T)) / w.sum()
    return f + lam * (l1_ratio * np.abs(B).sum() + 0.5 * (1 - l1_ratio) * np.vdot(B, B))


def _sklearn(Xs, y, w, lam, l1_ratio, fit_intercept=True):
    """scikit-learn's multinomial fit of the same objective: C = 1/(λ Σw)."""
    from sklearn.linear_model import LogisticRegression

    W = len(y) if w is None else float(w.sum())
    if lam == 0.0:
        m = LogisticRegression(penalty=None, solver="lbfgs", tol=1e-12, max_iter=20000,
                               fit_intercept=fit_intercept)
    elif l1_ratio == 0.0:
        m = LogisticRegression(C=1.0 / (lam * W), solver="lbfgs", tol=1e-12, max_iter=20000,
                               fit_intercept=fit_intercept)
    else:
        pen = "l1" if l1_ratio == 1.0 else "elasticnet"
        m = LogisticRegression(penalty=pen, C=1.0 / (lam * W), solver="saga", tol=1e-13,
                               max_iter=300_000, fit_intercept=fit_intercept,
                               l1_ratio=None if pen == "l1" else l1_ratio)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.fit(Xs, y, sample_weight=w)
    b = m.intercept_ if fit_intercept else np.zeros(m.coef_.shape[0])
    return m.coef_, b


# ================================================================================ the pass
def test_pass_sums_equal_direct_formulas():
    X, y, w, rng = _design(700, 4, 3, 0, weights=True)
    fold = rng.integers(0, 3, 700)
    center, scale = X.mean(0), X.std(0)
    T, K, p = 3, 3, 4
    b = rng.normal(size=(T, K))
    C = rng.normal(size=(T, K, p)) * 0.5
    req = MultinomialPassRequest(center, scale, K, np.array([-1, 0, 2]), b, C,
                                 np.array([True, False, True]), 1, 3, class_sums=True)
    res = numpy_pass(X, y, w, fold, chunk_rows=97)(req)
    Z = (X - center) / scale
    Y = np.eye(K)[y]
    for t, k in enumerate([-1, 0, 2]):
        tr = fold != k
        eta = b[t] + Z @ C[t].T
        P, _ = softmax(eta)
        wt = w[tr]
        np.testing.assert_allclose(res.scalars["dev"][t], wt @ softmax_loss(y[tr], eta[tr]))
        R = (P - Y)[tr] * wt[:, None]
        np.testing.assert_allclose(res.g0[t], R.sum(0), atol=1e-9)
        np.testing.assert_allclose(res.grad[t], R.T @ Z[tr], atol=1e-8)
        if k >= 0:
            ho = ~tr
            Py = np.clip(P[ho, y[ho]], CV_PROB_MIN, 1 - CV_PROB_MIN)
            np.testing.assert_allclose(res.scalars["heldout_dev"][t], w[ho] @ -np.log(Py))
            miss = w[ho] @ (eta[ho].argmax(1) != y[ho])
            np.testing.assert_allclose(res.scalars["heldout_miss"][t], miss)
    slot = req.hessian_slots()[2]
    lay = req.layout()
    tr = fold != 2
    P, _ = softmax(b[2] + Z @ C[2].T)
    for k in range(K):
        for l in range(k, K):
            u = w * (P[:, k] * (k == l) - P[:, k] * P[:, l])
            Ws, S0, s1, S2 = res.curvature_sums(int(slot), lay.pair(k, l), p)
            np.testing.assert_allclose(S0, u[tr].sum())
            np.testing.assert_allclose(S2, (Z[tr] * u[tr, None]).T @ Z[tr], atol=1e-8)
    for f in range(3):
        m = fold == f
        np.testing.assert_allclose(res.fold_class_weight[f], np.bincount(y[m], w[m], K))
        np.testing.assert_allclose(res.class_sum_z[f], (Y[m] * w[m, None]).T @ Z[m], atol=1e-9)


def test_float32_curvature_is_close_to_the_exact_sums_and_changes_nothing_else():
    """``curvature_float32`` (what the path asks for) computes the curvature products in float32:
    within 1e-5 of the float64 sums relative to each block's scale; the losses, gradients and
    the curvature's other sums are the float64 ones, bit for bit."""
    from dataclasses import replace

    X, y, w, rng = _design(3000, 6, 4, 3, weights=True)
    fold = rng.integers(0, 3, 3000)
    T, K, p = 4, 4, 6
    req = MultinomialPassRequest(X.mean(0), X.std(0), K, np.array([-1, 0, 1, 2]),
                                 rng.normal(size=(T, K)), rng.normal(size=(T, K, p)),
                                 np.array([True, True, False, True]), 2, 3)
    ev = numpy_pass(X, y, w, fold, chunk_rows=700)
    exact, fast = ev(req), ev(replace(req, curvature_float32=True))
    np.testing.assert_array_equal(fast.grad, exact.grad)
    np.testing.assert_array_equal(fast.g0, exact.g0)
    for name in exact.scalars:
        np.testing.assert_array_equal(fast.scalars[name], exact.scalars[name])
    np.testing.assert_array_equal(fast.hess[..., : 2 + p], exact.hess[..., : 2 + p])
    S2, S2f = exact.hess[..., 2 + p :], fast.hess[..., 2 + p :]
    scale = np.abs(S2).max(axis=-1, keepdims=True)
    err = np.abs(S2f - S2) / scale
    assert err.max() <= 1e-5
    assert err.max() > 0.0  # it did run in float32


# ================================================================================ the path
@pytest.mark.parametrize(("K", "l1_ratio", "weights"), [(3, 1.0, False), (4, 0.5, True),
                                                      (5, 1.0, True)])
def test_path_matches_sklearn_on_mllib_standardized_features(K, l1_ratio, weights):
    X, y, w, _ = _design(500, 5, K, K, weights)
    tr = multinomial_trainings_from_arrays(X, y, w)
    Xs = _standardized(X, w, tr[0])
    fit = multinomial_path(tr, numpy_pass(X, y, w), reg_params=[0.05, 0.02, 0.008],
                           l1_ratio=l1_ratio, tol=1e-10)
    path = fit.paths[0]
    assert path.converged.all() and fit.n_passes <= 25
    for i, lam in enumerate(path.reg_params):
        B, b = _sklearn(Xs, y, w, lam, l1_ratio)
        ours = path.coef_std[i]
        # our intercept on the standardized scale: the original one plus μᵀβ_orig
        mine = _objective(Xs, y, w, path.intercept[i] + path.coef[i] @ ((X.T @ (
            np.ones(len(y)) if w is None else w)) / (len(y) if w is None else w.sum())),
            ours, lam, l1_ratio)
        ref = _objective(Xs, y, w, b, B, lam, l1_ratio)
        assert mine <= ref + 1e-10
        np.testing.assert_allclose(path.objective[i], mine, rtol=1e-12)
        # saga is slow along the loss's flat directions B + 1cᵀ: compare at the penalty's
        # best shift of its solution (the same loss)
        np.testing.assert_allclose(ours, center_classes(B, l1_ratio), atol=2e-5)
        np.testing.assert_allclose(path.intercept[i].sum(), 0.0, atol=1e-12)


def test_ridge_and_unpenalized_match_sklearn_after_mllib_centering():
    X, y, w, _ = _design(400, 4, 3, 11, weights=True)
    tr = multinomial_trainings_from_arrays(X, y, w)
    Xs = _standardized(X, w, tr[0])
    ridge = multinomial_path(tr, numpy_pass(X, y, w), reg_params=[0.03], l1_ratio=0.0,
                             tol=1e-10).paths[0]
    B, _ = _sklearn(Xs, y, w, 0.03, 0.0)
    np.testing.assert_allclose(ridge.coef_std[0], B, atol=1e-6)
    np.testing.assert_allclose(ridge.coef_std[0].sum(0), 0.0, atol=1e-9)  # centered by L2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        free = multinomial_path(tr, numpy_pass(X, y, w), reg_params=[0.05, 0.0], tol=1e-9)
    B0, _ = _sklearn(Xs, y, w, 0.0, 1.0)
    np.testing.assert_allclose(free.paths[0].coef_std[-1], B0 - B0.mean(0), atol=1e-5)
    np.testing.assert_allclose(free.paths[0].coef_std[-1].sum(0), 0.0, atol=1e-12)


def test_no_intercept_and_no_standardization_match_sklearn():
    X, y, w, _ = _design(400, 4, 3, 3)
    tr = multinomial_trainings_from_arrays(X, y)
    fit = multinomial_path(tr, numpy_pass(X, y), reg_params=[0.01], l1_ratio=0.5,
                           standardize=False, fit_intercept=False, tol=1e-10)
    B, _ = _sklearn(X, y, None, 0.01, 0.5, fit_intercept=False)
    np.testing.assert_allclose(fit.paths[0].coef[0], center_classes(B, 0.5), atol=2e-5)
    np.testing.assert_allclose(fit.paths[0].intercept[0], 0.0)


def test_duality_gap_is_zero_at_the_optimum_and_bounds_suboptimality():
    X, y, w, rng = _design(500, 5, 3, 5, weights=True)
    tr = multinomial_trainings_from_arrays(X, y, w)
    Xs = _standardized(X, w, tr[0])
    W = w.sum()
    Y = np.eye(3)[y]
    prior = tr[0].class_weight / W
    g_const = -(Xs.T @ (w[:, None] * (Y - prior))).T / W
    for l1_ratio in (1.0, 0.5):
        lam = 0.02
        B, b = _sklearn(Xs, y, w, lam, l1_ratio)
        F_star = _objective(Xs, y, w, b, B, lam, l1_ratio)

        def gap_at(b, B, lam=lam, l1_ratio=l1_ratio, second_order=True):
            eta = b + Xs @ B.T
            P, _ = softmax(eta)
            f = float(w @ softmax_loss(y, eta)) / W
            R = (P - Y) * w[:, None]
            py = P[np.arange(len(y)), y]
            extra = ((w @ (1 - py)) / W, (w @ ((1 - py) ** 2 / py)) / W) if second_order else ()
            return multinomial_duality_gap(f, R.sum(0) / W, R.T @ Xs / W, b, B, lam, l1_ratio,
                                           prior, g_const, *extra)

        gap, kkt = gap_at(b, B)
        assert gap < 1e-7 and kkt < 1e-6
        for _ in range(20):
            db = rng.normal(size=3) * 0.1
            dB = rng.normal(size=(3, 5)) * 0.1 * (rng.uniform(size=(3, 5)) < 0.5)
            sub = _objective(Xs, y, w, b + db, B + dB, lam, l1_ratio) - F_star
            for second in (True, False):
                gap, _ = gap_at(b + db, B + dB, second_order=second)
                assert gap >= sub - 1e-9 >= -1e-9


def test_center_classes_minimizes_the_penalty_along_the_flat_directions():
    rng = np.random.default_rng(7)
    for K in (2, 3, 4, 5):
        B = rng.normal(size=(K, 6)) * (rng.uniform(size=(K, 6)) < 0.7)
        for a in (1.0, 0.7, 0.2, 0.0):
            C = center_classes(B, a)
            np.testing.assert_allclose((C - B).std(axis=0), 0.0, atol=1e-12)  # a shift per j
            shifts = np.linspace(-3, 3, 6001)
            for j in range(6):
                cost = (a * np.abs(B[:, j][:, None] - shifts).sum(0)
                        + 0.5 * (1 - a) * ((B[:, j][:, None] - shifts) ** 2).sum(0))
                mine = a * np.abs(C[:, j]).sum() + 0.5 * (1 - a) * C[:, j] @ C[:, j]
                assert mine <= cost.min() + 1e-12


def test_cv_models_heldout_metrics_pass_count_and_path_end():
    X, y, w, rng = _design(1200, 6, 4, 6)
    fold = rng.integers(0, 5, 1200)
    tr = multinomial_trainings_from_arrays(X, y, None, fold, 5)
    ev = numpy_pass(X, y, None, fold)
    fit = multinomial_path(tr, ev, num_folds=5, n_reg_params=40, tol=1e-6)
    assert ev.n_passes == fit.n_passes <= 20
    assert all(p.converged.all() for p in fit.paths)
    full = fit.paths[0]
    assert full.coef[0].sum() == 0.0 and np.isnan(full.heldout_deviance).all()
    for k, path in enumerate(fit.paths[1:]):
        i = path.n_reg_params // 2
        ho = fold == k
        eta = path.intercept[i] + X[ho] @ path.coef[i].T
        P, _ = softmax(eta)
        py = np.clip(P[np.arange(ho.sum()), y[ho]], CV_PROB_MIN, 1 - CV_PROB_MIN)
        dev = 2 * np.mean(-np.log(py))
        np.testing.assert_allclose(path.heldout_deviance[i], dev, rtol=1e-6)
        np.testing.assert_allclose(path.heldout_misclassification[i],
                                   np.mean(eta.argmax(1) != y[ho]), atol=1e-12)
        if np.any(path.coef[0]):  # this fold's λ_max is above the full data's
            continue
        # the null model at λ_max: the training class proportions
        prior = tr[k + 1].class_weight / tr[k + 1].class_weight.sum()
        null_dev = 2 * np.mean(-np.log(prior[y[ho]]))
        np.testing.assert_allclose(path.heldout_deviance[0], null_dev, rtol=1e-9)


def test_shared_curvature_reaches_the_same_certified_path():
    """``hessian_every=2``: half the points of each window take a neighbour's curvature; every
    regParam is still certified on the true objective, at the same objective values (to the
    tolerance; the coefficients of this correlated design are determined less tightly), and
    fewer curvature blocks are requested per pass."""
    X, y, _, rng = _design(1500, 6, 4, 8)
    fold = rng.integers(0, 3, 1500)
    tr = multinomial_trainings_from_arrays(X, y, None, fold, 3)
    requested = []

    def counting(ev):
        def evaluate(req):
            requested.append((req.n_points, int(np.count_nonzero(req.hessian))))
            return ev(req)
        return evaluate

    kw = dict(num_folds=3, n_reg_params=30, tol=1e-9, in_flight=6)
    own = multinomial_path(tr, numpy_pass(X, y, None, fold), **kw)
    shared = multinomial_path(tr, counting(numpy_pass(X, y, None, fold)), hessian_every=2,
                              **kw)
    assert all(p.converged.all() for p in shared.paths)
    assert any(h < t for t, h in requested) and all(2 * h >= t for t, h in requested)
    for a, b in zip(own.paths, shared.paths):
        m = min(a.n_reg_params, b.n_reg_params)
        assert m >= 10
        np.testing.assert_allclose(b.objective[:m], a.objective[:m], rtol=1e-7)


def test_a_missing_class_and_one_class_are_data_errors():
    X, y, w, _ = _design(200, 3, 3, 9)
    y2 = np.where(y == 1, 2, y)  # class 1 never occurs
    with pytest.raises(DataError, match=r"class\(es\) \[1\]"):
        multinomial_path(multinomial_trainings_from_arrays(X, y2, n_classes=3),
                         numpy_pass(X, y2), reg_params=[0.1])
    with pytest.raises(DataError, match="one class"):
        multinomial_path(multinomial_trainings_from_arrays(X, np.zeros(200, int)),
                         numpy_pass(X, np.zeros(200)), reg_params=[0.1])
