"""Held-out error from statistics, fold_path and cv_path against brute force on the rows."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import enet_path as sk_enet_path

from lasso_spark.core import (
    SuffStats,
    cv_path,
    enet_path,
    fold_path,
    heldout_mse,
    heldout_sse,
    kfold_splits,
    merge_all,
    select_alphas,
)
from lasso_spark.core.stats import leave_one_out
from tests.unit.enet_reference import standardize


def test_heldout_sse_matches_numpy_on_raw_rows():
    rng = np.random.default_rng(0)
    n, p, m = 80, 6, 7
    X = 1e3 + rng.standard_normal((n, p)) * rng.uniform(0.1, 10, p)
    y = 50.0 + X @ rng.standard_normal(p) + rng.standard_normal(n)
    w = rng.uniform(0.1, 3.0, n)
    s = SuffStats.from_arrays(X, y, w)
    B = rng.standard_normal((m, p))
    b0 = rng.standard_normal(m) * 100
    r = y[None, :] - b0[:, None] - B @ X.T
    ref = (r * r) @ w
    np.testing.assert_allclose(heldout_sse(s, B, b0), ref, rtol=1e-9)
    np.testing.assert_allclose(heldout_mse(s, B, b0), ref / w.sum(), rtol=1e-9)
    # a 1-d coefficient vector and a scalar intercept
    np.testing.assert_allclose(heldout_sse(s, B[2], b0[2]), ref[2:3], rtol=1e-9)
    # the exact fit has zero error, never a negative one
    Xf = rng.standard_normal((10, 2))
    sf = SuffStats.from_arrays(Xf, 1.0 + Xf @ [2.0, -1.0])
    assert heldout_sse(sf, np.array([2.0, -1.0]), 1.0)[0] == pytest.approx(0.0, abs=1e-20)


def test_heldout_rejects_bad_shapes_and_empty_fold():
    s = SuffStats.from_arrays(np.ones((3, 2)) + np.eye(3, 2), np.arange(3.0))
    with pytest.raises(ValueError, match="coef"):
        heldout_sse(s, np.zeros((2, 3)), np.zeros(2))
    with pytest.raises(ValueError, match="total weight"):
        heldout_mse(SuffStats.empty(2), np.zeros((1, 2)), np.zeros(1))


def _folds(rng, n=240, p=8, K=4):
    X = rng.standard_normal((n, p)) @ np.triu(np.ones((p, p))) * 0.5 + 3.0
    y = X @ np.r_[1.5, -2.0, 0.0, 0.0, 1.0, np.zeros(p - 5)] + 2.0 * rng.standard_normal(n)
    fold = rng.permutation(np.arange(n) % K)
    return X, y, fold


def _brute_force_mse(X, y, fold, alphas, rho):
    """Standardize each training set itself, scikit-learn's path, MSE on held-out rows."""
    K = fold.max() + 1
    out = np.empty((K, len(alphas)))
    for k in range(K):
        tr, te = fold != k, fold == k
        Xt, mu, sd = standardize(X[tr], np.ones(tr.sum()))
        ym = y[tr].mean()
        _, coefs, _ = sk_enet_path(Xt, y[tr] - ym, alphas=alphas, l1_ratio=rho, tol=1e-13,
                                   max_iter=1_000_000)
        coef = coefs.T / sd
        b0 = ym - coef @ mu
        r = y[te][None, :] - b0[:, None] - coef @ X[te].T
        out[k] = np.mean(r * r, axis=1)
    return out


@pytest.mark.parametrize("rho", [1.0, 0.5])
def test_cv_path_matches_brute_force(rho):
    rng = np.random.default_rng(1)
    X, y, fold = _folds(rng)
    fs = [SuffStats.from_arrays(X[fold == k], y[fold == k]) for k in range(4)]
    cv = cv_path(fs, n_alphas=25, l1_ratio=rho, tol=1e-13)
    assert cv.mse_path.shape == (4, 25) and cv.fold_converged.all()
    ref = _brute_force_mse(X, y, fold, cv.alphas, rho)
    np.testing.assert_allclose(cv.mse_path, ref, rtol=1e-7)
    # grid from the merge of all folds, 1e-4 ratio since n > p
    full = SuffStats.from_arrays(X, y)
    Xt, _, _ = standardize(X, np.ones(len(y)))
    amax = np.max(np.abs(Xt.T @ (y - y.mean()))) / len(y) / rho
    assert cv.alphas[0] == pytest.approx(amax, rel=1e-10)
    assert cv.alphas[-1] == pytest.approx(amax * 1e-4, rel=1e-8)
    # selection: glmnet's rules on the brute-force table
    mean = ref.mean(axis=0)
    se = ref.std(axis=0, ddof=1) / 2.0
    i_min = int(np.argmin(mean))
    assert cv.index_min == i_min and cv.alpha_min == cv.alphas[i_min]
    i_1se = min(i for i in range(25) if mean[i] <= mean[i_min] + se[i_min])
    assert cv.index_1se == i_1se and cv.alpha_1se >= cv.alpha_min
    np.testing.assert_allclose(cv.se_mse, se, rtol=1e-6)
    # the full-data path on the same grid
    assert cv.path.coef.shape == (25, X.shape[1])
    ols = np.linalg.lstsq(np.c_[np.ones(len(y)), X], y, rcond=None)[0][1:]
    np.testing.assert_allclose(cv.path.coef[-1], ols, atol=1e-2 * np.abs(ols).max())
    assert full.n_rows == merge_all(fs).n_rows


def test_fold_path_standardizes_with_training_statistics():
    rng = np.random.default_rng(2)
    X, y, fold = _folds(rng, K=3)
    fs = [SuffStats.from_arrays(X[fold == k], y[fold == k]) for k in range(3)]
    alphas = np.geomspace(1.0, 1e-3, 8)
    mse = fold_path(fs, 1, alphas, tol=1e-13)
    np.testing.assert_allclose(mse, _brute_force_mse(X, y, fold, alphas, 1.0)[1], rtol=1e-7)
    with pytest.raises(ValueError, match="fold index"):
        fold_path(fs, 3, alphas)


def test_cv_with_weights_uses_weighted_fold_mse():
    rng = np.random.default_rng(3)
    X, y, fold = _folds(rng, K=3)
    w = rng.uniform(0.2, 4.0, len(y))
    fs = [SuffStats.from_arrays(X[fold == k], y[fold == k], w[fold == k]) for k in range(3)]
    cv = cv_path(fs, n_alphas=6, tol=1e-12)
    for k in range(3):
        te, tr = fold == k, fold != k
        np.testing.assert_allclose(cv.mse_path[k], fold_path(fs, k, cv.alphas, tol=1e-12),
                                   rtol=1e-12)
        # the weighted MSE on the held-out rows of the model trained on the other rows
        pr = enet_path(SuffStats.from_arrays(X[tr], y[tr], w[tr]), alphas=cv.alphas, tol=1e-12)
        res = y[te][None, :] - pr.intercept[:, None] - pr.coef @ X[te].T
        np.testing.assert_allclose(cv.mse_path[k], (res * res) @ w[te] / w[te].sum(),
                                   rtol=1e-9)


def test_select_alphas_ties_and_single_fold_errors():
    table = np.array([[3.0, 1.0, 1.0, 2.0], [3.0, 1.2, 1.2, 2.0]])
    mean, se, i_min, i_1se = select_alphas(table)
    assert i_min == 1  # first (largest alpha) among ties
    assert i_1se == 1
    with pytest.raises(ValueError, match="at least 2 folds"):
        cv_path([SuffStats.from_arrays(np.eye(3), np.arange(3.0))])


@pytest.mark.parametrize("K", [2, 3, 5, 7])
def test_kfold_training_sets_are_the_merge_of_the_other_folds(K):
    """Prefix/suffix merges on packed triangles give each training set the statistics of the
    other folds' rows, computed from those rows directly (means 1e6 off zero: the centered
    merge must lose nothing), and the held-out folds untouched."""
    rng = np.random.default_rng(K)
    X = 1e6 + rng.standard_normal((40 * K, 6))
    y = X @ rng.standard_normal(6) + rng.standard_normal(40 * K)
    w = rng.uniform(0.5, 2.0, 40 * K)
    fold = np.arange(40 * K) % K
    folds = [SuffStats.from_arrays(X[fold == k], y[fold == k], w[fold == k]) for k in range(K)]
    trains, held = kfold_splits(folds)
    assert held == folds and len(trains) == K
    for k in range(K):
        direct = SuffStats.from_arrays(X[fold != k], y[fold != k], w[fold != k])
        assert trains[k].n_rows == direct.n_rows
        assert trains[k].allclose(direct, rtol=1e-12), k
        assert trains[k].allclose(merge_all([f for j, f in enumerate(folds) if j != k]),
                                  rtol=1e-14), k
        np.testing.assert_array_equal(trains[k].cxx, trains[k].cxx.T)


def test_leave_one_out_merges_every_item_but_one():
    class Bag:  # any class with merge: the set of items merged, in order
        def __init__(self, items: tuple) -> None:
            self.items = items

        def merge(self, other: Bag) -> Bag:
            return Bag(self.items + other.items)

    for K in range(2, 9):
        out = leave_one_out([Bag((k,)) for k in range(K)])
        assert [sorted(b.items) for b in out] == [
            [j for j in range(K) if j != k] for k in range(K)]
    with pytest.raises(ValueError, match="at least 2"):
        leave_one_out([Bag((0,))])
