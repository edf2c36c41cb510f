"""Wide mode's fits designed straight from the Gram-pass blocks (no Spark) against the core's
design of the merged per-fold statistics: the same problem, solutions and held-out error."""

from __future__ import annotations

import numpy as np
import pytest

from lasso_spark.core import design, enet_path, heldout_mse, merge_all
from lasso_spark.core.path import design_path
from lasso_spark.wide.diag import DiagStats, merge_diag
from lasso_spark.wide.models import (
    fold_suffstats,
    heldout_mse_of_block,
    make_model,
    training_design,
)
from tests.unit.test_wide_passes import P, _block, _data

INDEX = np.array([0, 1, 2, 4, 5, 7, 9, 11])  # 1: mean 1e6; 5: never stored (unusable)


def _exact_sigma(fold_out: int) -> np.ndarray:
    """Population σ per feature of the rows outside fold ``fold_out`` in long double."""
    X, y, w, fold = _data()
    r = fold != fold_out
    x = X[r].astype(np.longdouble)
    ww = w[r].astype(np.longdouble)
    mu = (ww @ x) / ww.sum()
    return np.sqrt((ww @ (x - mu) ** 2) / ww.sum()).astype(np.float64)


def _setup(fit_intercept: bool, standardize: bool):
    X, y, w, fold = _data()
    C, _ = _block(X, y, w, fold, INDEX)
    folds = [DiagStats.from_arrays(X[fold == k], y[fold == k], w[fold == k]) for k in range(3)]
    total = merge_diag(folds, P)
    center = np.append(total.mean_x[INDEX], total.mean_y)
    v = np.linspace(0.5, 1.5, P)
    models = [make_model(-1, total, v, fit_intercept, standardize)]
    for k in range(3):
        train = merge_diag([f for j, f in enumerate(folds) if j != k], P)
        models.append(make_model(k, train, v, fit_intercept, standardize))
    fs = fold_suffstats(C, INDEX, center, folds)
    trains = [merge_all(fs)] + [merge_all([s for j, s in enumerate(fs) if j != k])
                                for k in range(3)]
    return C, center, folds, models, fs, trains, v


@pytest.mark.parametrize("fit_intercept,standardize", [(True, True), (True, False),
                                                       (False, True), (False, False)])
def test_training_design_equals_design_of_merged_statistics(fit_intercept, standardize):
    C, center, folds, models, fs, trains, v = _setup(fit_intercept, standardize)
    for m, tr in zip(models, trains):
        d, mean_x = training_design(C, C.sum(axis=0), INDEX, center, m, v[INDEX],
                                    fit_intercept)
        ref = design(tr, penalty_factor=v[INDEX], fit_intercept=fit_intercept,
                     standardize=standardize)
        np.testing.assert_array_equal(d.index, ref.index)
        assert 5 not in INDEX[d.index]
        np.testing.assert_array_equal(d.G, d.G.T)  # exactly symmetric
        np.testing.assert_allclose(d.G, ref.G, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(d.c, ref.c, rtol=1e-9, atol=1e-9)
        assert d.yy == pytest.approx(ref.yy, rel=1e-12)
        # σ from pass 1 (double-double means): for feature 1 (mean 1e6, σ 1e-2) closer to the
        # exact value than the block's diagonal, which is off by 1e-10 relative
        np.testing.assert_allclose(d.scale[d.index], ref.scale[ref.index], rtol=1e-9)
        if standardize:
            np.testing.assert_allclose(d.scale[d.index], _exact_sigma(m.fold)[INDEX[d.index]],
                                       rtol=1e-12)
        np.testing.assert_array_equal(d.v, ref.v)
        if fit_intercept:
            np.testing.assert_allclose(mean_x, tr.mean_x + tr.mean_x_lo, rtol=1e-14)
        else:
            assert mean_x is None
        # the path of the block's design equals the core path of the merged statistics
        alphas = np.geomspace(0.3, 0.003, 6) * max(np.abs(ref.c).max(), 1e-3)
        got = design_path(d, mean_x=mean_x,
                          mean_y=(m.diag.mean_y + m.diag.mean_y_lo) if fit_intercept else 0.0,
                          n_rows=m.diag.n_rows, alphas=alphas, penalty_factor=v[INDEX],
                          fit_intercept=fit_intercept, standardize=standardize, tol=1e-13)
        want = enet_path(tr, alphas=alphas, penalty_factor=v[INDEX], tol=1e-13,
                         fit_intercept=fit_intercept, standardize=standardize)
        scale = max(np.abs(want.coef).max(), 1e-300)
        assert np.abs(got.coef - want.coef).max() / scale < 1e-8
        assert np.abs(got.intercept - want.intercept).max() < 1e-8 * max(
            1.0, np.abs(want.intercept).max())
        assert got.converged.all()


def test_no_folds_design_of_the_single_block():
    C, center, folds, models, fs, trains, v = _setup(True, True)
    one = C.sum(axis=0, keepdims=True)  # the full data's block alone
    d, _ = training_design(one, None, INDEX, center, models[0], v[INDEX], True)
    ref = design(trains[0], penalty_factor=v[INDEX])
    np.testing.assert_allclose(d.G, ref.G, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(d.c, ref.c, rtol=1e-9, atol=1e-9)


def test_heldout_mse_of_block_equals_heldout_mse_of_fold_statistics():
    C, center, folds, models, fs, trains, v = _setup(True, True)
    rng = np.random.default_rng(1)
    B = rng.normal(size=(5, INDEX.shape[0]))
    B[:, 3] = 0.0  # unused feature
    B[0] = 0.0
    b0 = rng.normal(size=5) + 3.0
    for k in range(3):
        got = heldout_mse_of_block(C[k], INDEX, center, folds[k], B, b0)
        ref = heldout_mse(fs[k], B, b0)
        np.testing.assert_allclose(got, ref, rtol=1e-9)
