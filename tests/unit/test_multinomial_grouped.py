"""The grouped multinomial lasso (glmnet's ``type.multinomial="grouped"``) in the core, numpy
pass, no Spark: KKT optimality of the true objective recomputed here from the rows, whole-feature
zeros, the grouped regParam_max, and the certificate's soundness."""

from __future__ import annotations

import numpy as np
import pytest

from lasso_spark.core.binomial import numpy_pass
from lasso_spark.core.logistic import mllib_sample_std
from lasso_spark.core.multinomial import softmax, softmax_loss
from lasso_spark.core.multinomial_path import (
    multinomial_path,
    multinomial_reg_param_max,
    multinomial_trainings_from_arrays,
)


def _design(n: int, p: int, K: int, seed: int, weights: bool = False):
    rng = np.random.default_rng(seed)
    F = rng.normal(size=(n, 2))
    X = F @ rng.normal(size=(2, p)) + rng.normal(size=(n, p))
    X = X * rng.uniform(0.5, 3.0, p) + 3.0 * rng.normal(size=p)
    B = rng.normal(size=(K, p)) * (rng.uniform(size=p) < 0.5)[None, :]
    P, _ = softmax(((X - X.mean(0)) / X.std(0)) @ B.T)
    y = (rng.uniform(size=(n, 1)) > np.cumsum(P, axis=1)).sum(axis=1)
    w = rng.uniform(0.3, 2.0, n) if weights else np.ones(n)
    return X, y, w


def _standardized(X, w, tr):
    sd = mllib_sample_std(tr.stats, tr.weight_sq_sum)
    return (X - (w @ X) / w.sum()) / sd


def _loss_and_gradient(Xs, y, w, b, B):
    """Mean weighted softmax loss and its gradient in (b, B), straight from the rows."""
    K = B.shape[0]
    eta = b + Xs @ B.T
    P, _ = softmax(eta)
    R = (P - np.eye(K)[y]) * w[:, None] / w.sum()
    return float(w @ softmax_loss(y, eta)) / w.sum(), R.sum(axis=0), R.T @ Xs


def _grouped_penalty(B, lam, a):
    norms = np.linalg.norm(B, axis=0)
    return lam * (a * norms.sum() + 0.5 * (1 - a) * float(np.sum(B * B)))


def _kkt(G, g0, B, lam, a):
    """Largest violation of the grouped KKT conditions (per feature, K-vectors)."""
    worst = float(np.abs(g0).max())
    for j in range(B.shape[1]):
        s = G[:, j] + lam * (1 - a) * B[:, j]
        n = np.linalg.norm(B[:, j])
        if n > 0:
            worst = max(worst, float(np.linalg.norm(s + lam * a * B[:, j] / n)))
        else:
            worst = max(worst, float(np.linalg.norm(s)) - lam * a)
    return worst


@pytest.mark.parametrize("K,l1_ratio,weights", [(3, 1.0, False), (4, 0.5, True)])
def test_grouped_path_is_kkt_optimal_at_every_reg_param(K, l1_ratio, weights):
    X, y, w = _design(500, 8, K, seed=K, weights=weights)
    trs = multinomial_trainings_from_arrays(X, y, w)
    res = multinomial_path(trs, numpy_pass(X, y, w),
                           n_reg_params=25, l1_ratio=l1_ratio, tol=1e-10, grouped=True)
    path = res.paths[0]
    assert path.converged.all()
    Xs = _standardized(X, w, trs[0])
    lam_max = path.reg_param_max
    assert lam_max == pytest.approx(multinomial_reg_param_max(trs[0], l1_ratio, grouped=True))
    partial = 0
    for i, lam in enumerate(path.reg_params):
        B = path.coef_std[i]
        # the intercept on the standardized scale: η = b + x̃ᵀβ with x̃ centered
        b = path.intercept[i] + path.coef[i] @ ((w @ X) / w.sum())
        f, g0, G = _loss_and_gradient(Xs, y, w, b, B)
        # the gradient's entries are O(0.1–1) here; the certificate's gap ≤ 1e-10 · H(π)
        assert _kkt(G, g0, B, lam, l1_ratio) <= 1e-6, (i, lam)
        F = f + _grouped_penalty(B, lam, l1_ratio)
        assert F == pytest.approx(path.objective[i], rel=1e-10)
        zero = np.all(B == 0.0, axis=0)
        some = np.any(B == 0.0, axis=0)
        assert np.array_equal(zero, some), "a zero coefficient in a nonzero feature"
        partial += int(0 < zero.sum() < B.shape[1])
        assert np.allclose(B.sum(axis=0), 0.0, atol=1e-9)  # the unique optimum is centered
    assert partial >= 3  # the path selects features gradually
    assert np.all(path.coef_std[0] == 0.0)
    # just below regParam_max one feature enters with all its classes; just above none
    for ratio, expect_zero in ((1.0001, True), (0.97, False)):
        r = multinomial_path(trs, numpy_pass(X, y, w),
                             reg_params=[lam_max * ratio], l1_ratio=l1_ratio, tol=1e-10,
                             grouped=True)
        assert np.all(r.paths[0].coef_std[0] == 0.0) == expect_zero


def test_grouped_differs_from_ungrouped_and_refits_are_no_better():
    """The grouped optimum is not the ungrouped one, and a perturbed point is never better on
    the grouped objective (optimality from the other side)."""
    X, y, w = _design(400, 6, 3, seed=11)
    trs = multinomial_trainings_from_arrays(X, y, w)
    ev = numpy_pass(X, y, w)
    lam = 0.3 * multinomial_reg_param_max(trs[0], grouped=True)
    g = multinomial_path(trs, ev, reg_params=[lam], tol=1e-10, grouped=True).paths[0]
    u = multinomial_path(trs, ev, reg_params=[lam], tol=1e-10).paths[0]
    assert not np.allclose(g.coef_std[-1], u.coef_std[-1], atol=1e-3)
    Xs = _standardized(X, w, trs[0])
    B = g.coef_std[-1]
    b = g.intercept[-1] + g.coef[-1] @ ((w @ X) / w.sum())
    F0 = _loss_and_gradient(Xs, y, w, b, B)[0] + _grouped_penalty(B, lam, 1.0)
    rng = np.random.default_rng(0)
    for _ in range(20):
        dB = 1e-3 * rng.normal(size=B.shape)
        db = 1e-3 * rng.normal(size=b.shape)
        F1 = _loss_and_gradient(Xs, y, w, b + db, B + dB)[0] + _grouped_penalty(B + dB, lam, 1)
        assert F1 >= F0 - 1e-12
    Bu = u.coef_std[-1]
    bu = u.intercept[-1] + u.coef[-1] @ ((w @ X) / w.sum())
    Fu = _loss_and_gradient(Xs, y, w, bu, Bu)[0] + _grouped_penalty(Bu, lam, 1.0)
    assert F0 < Fu


def test_grouped_cv_and_certificate_bound():
    X, y, w = _design(600, 5, 3, seed=5)
    fold = np.arange(600) % 3
    trs = multinomial_trainings_from_arrays(X, y, w, fold, 3)
    res = multinomial_path(trs, numpy_pass(X, y, w, fold),
                           num_folds=3, n_reg_params=20, tol=1e-9, grouped=True)
    assert len(res.paths) == 4
    for p in res.paths:
        assert p.converged.all()
        assert np.all(p.duality_gap >= 0.0)
        assert np.all(np.isfinite(p.heldout_deviance[1:])) or p.fold < 0
        assert np.all(np.any(p.coef_std == 0.0, axis=1) == np.all(p.coef_std == 0.0, axis=1))
