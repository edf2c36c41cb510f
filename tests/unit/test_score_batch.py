"""Executor body of path scoring (Arrow batches → per-fit error sums) against numpy, no Spark."""

from __future__ import annotations

import numpy as np
import pytest

from lasso_spark.spark import score_batch
from lasso_spark.spark.batch import KIND_NEGATIVE, KIND_NONFINITE, KIND_SIZE, BatchLayout
from lasso_spark.spark.score_batch import PathErrorSums, ScoreAccumulator
from tests.unit.test_batch import _batch, _layout, _vectors


def _path(p: int, m: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    B = rng.normal(size=(m, p))
    B[:, 1] = 0.0  # a feature zero on the whole path
    B[0] = 0.0  # the null model
    B[1, 2:] = 0.0
    return B, rng.normal(size=m) * 3 + 10


def _reference(X, y, w, B, b0):
    R = y[:, None] - X @ B.T - b0
    W = w.sum()
    mean = (w @ y) / W
    return {
        "W": W,
        "m2": w @ (y - mean) ** 2,
        "mean": mean,
        "sse": w @ R**2,
        "sae": w @ np.abs(R),
    }


def _check(acc: ScoreAccumulator, ref: dict, n_rows: int) -> None:
    s = acc.sums
    assert s.n_rows == n_rows
    np.testing.assert_allclose(s.weight_sum, ref["W"], rtol=1e-13)
    np.testing.assert_allclose(s.mean_y, ref["mean"], rtol=1e-12)
    np.testing.assert_allclose(s.m2_y, ref["m2"], rtol=1e-11)
    np.testing.assert_allclose(s.sse, ref["sse"], rtol=1e-11)
    np.testing.assert_allclose(s.sae, ref["sae"], rtol=1e-11)


@pytest.mark.parametrize("slice_cells", [1 << 20, 64], ids=["one-slice", "many-slices"])
def test_columns_weighted_match_numpy(monkeypatch, slice_cells):
    monkeypatch.setattr(score_batch, "SLICE_CELLS", slice_cells)
    rng = np.random.default_rng(0)
    n, p, m = 300, 5, 7
    X = rng.normal(size=(n, p)) * 4 + 1e3  # large offset: predictions lose nothing extra
    y = X @ rng.normal(size=p) + rng.normal(size=n)
    w = rng.uniform(0.1, 2.0, n)
    B, b0 = _path(p, m, rng)
    acc = ScoreAccumulator(_layout(p, weight_column="w"), B, b0)
    acc.add_batches(iter([_batch(X[:120], y[:120], w[:120]), _batch(X[120:], y[120:], w[120:])]))
    _check(acc, _reference(X, y, w, B, b0), n)
    assert acc.counts[0] == n and acc.counts[1] == 0


@pytest.mark.parametrize("min_fill", [0.0, 1.01], ids=["dense-blas", "sparse-kernel"])
def test_sparse_vectors_dense_and_kernel_paths(monkeypatch, min_fill):
    # DENSE_MIN_FILL 0 always densifies for BLAS, above 1 always takes the CSR kernel
    monkeypatch.setattr(score_batch, "DENSE_MIN_FILL", min_fill)
    rng = np.random.default_rng(1)
    n, p, m = 80, 9, 5
    X = rng.normal(size=(n, p)) * (rng.uniform(size=(n, p)) < 0.3)
    y = rng.normal(size=n)
    rows = []
    for i in range(n):
        nz = np.flatnonzero(X[i])
        rows.append(("s", p, nz.tolist(), X[i, nz].tolist()) if i % 2 else ("d", X[i].tolist()))
    B, b0 = _path(p, m, rng)
    layout = BatchLayout(n_features=p, feature_columns=("features",), label_column="y",
                         vector=True)
    acc = ScoreAccumulator(layout, B, b0)
    acc.add_batches(iter([_batch(None, y, vector=_vectors(rows))]))
    _check(acc, _reference(X, y, np.ones(n), B, b0), n)


def test_invalid_rows_counted_and_dropped():
    rng = np.random.default_rng(2)
    n, p, m = 40, 3, 4
    X = rng.normal(size=(n, p))
    y = rng.normal(size=n)
    w = rng.uniform(0.5, 1.5, n)
    X[3, 1] = np.nan
    y[5] = np.inf
    w[7] = -1.0
    B, b0 = _path(p, m, rng)
    acc = ScoreAccumulator(_layout(p, weight_column="w"), B, b0)
    acc.add_batches(iter([_batch(X, y, w)]))
    keep = np.ones(n, bool)
    keep[[3, 5, 7]] = False
    _check(acc, _reference(X[keep], y[keep], w[keep], B, b0), n - 3)
    slot = {k: 2 + i for i, k in enumerate(acc.layout.counter_keys)}
    assert acc.counts[0] == n and acc.counts[1] == 3
    assert acc.counts[slot[("x1", KIND_NONFINITE)]] == 1
    assert acc.counts[slot[("y", KIND_NONFINITE)]] == 1
    assert acc.counts[slot[("w", KIND_NEGATIVE)]] == 1


def test_wrong_vector_size_counted():
    B, b0 = np.ones((2, 3)), np.zeros(2)
    layout = BatchLayout(n_features=3, feature_columns=("f",), label_column="y", vector=True)
    acc = ScoreAccumulator(layout, B, b0)
    rows = [("d", [1.0, 2.0, 3.0]), ("d", [1.0, 2.0]), ("s", 4, [0], [1.0]), None]
    acc.add_batches(iter([_batch(None, np.array([1.0, 2.0, 3.0, 4.0]), vector=_vectors(rows))]))
    slot = {k: 2 + i for i, k in enumerate(layout.counter_keys)}
    assert acc.counts[slot[("f", KIND_SIZE)]] == 2
    assert acc.counts[slot[("f", KIND_NONFINITE)]] == 1
    assert acc.sums.n_rows == 1
    np.testing.assert_allclose(acc.sums.sse, [(1.0 - 6.0) ** 2] * 2)


def test_error_sums_merge_is_chan_and_pack_roundtrips():
    rng = np.random.default_rng(3)
    y = rng.normal(size=50) + 1e6
    w = rng.uniform(0.1, 1.0, 50)

    def part(sl):
        W = w[sl].sum()
        mu = (w[sl] @ y[sl]) / W
        return PathErrorSums(len(y[sl]), W, mu, w[sl] @ (y[sl] - mu) ** 2, np.ones(2), np.ones(2))

    merged = part(slice(0, 20)).merge(PathErrorSums.empty(2)).merge(part(slice(20, 50)))
    mu = (w @ y) / w.sum()
    np.testing.assert_allclose(merged.mean_y, mu, rtol=1e-15)
    np.testing.assert_allclose(merged.m2_y, w @ (y - mu) ** 2, rtol=1e-9)
    back = PathErrorSums.unpack(merged.pack())
    assert back.n_rows == 50 and np.array_equal(back.sse, merged.sse)
    assert back.m2_y == merged.m2_y
