"""In-place co-moments (one syrk per block) and the p + 1-column batch layout, against numpy."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from lasso_spark.core import SuffStats, merge_all
from lasso_spark.spark.batch import (
    COLUMNS_MAX_FEATURES,
    KIND_NONFINITE,
    KIND_RANGE,
    PACKED_MAX_FEATURES,
    BatchLayout,
    PartitionAccumulator,
    packed_projection,
)
from lasso_spark.spark.fold_hash import fold_ids
from lasso_spark.spark.moments import BLAS_MIN_WIDTH, PENDING_MERGES, RunningMoments
from tests.unit.test_batch import _batch, assert_offset_statistics


def _columns_batch(X, y, w=None, fold=None, null=None):
    """The struct of p + 1 double fields (then weight, fold) as the wide projection sends it."""
    Z = np.column_stack([X, y])
    fields = [pa.array(Z[:, j], mask=None if null is None else null[:, j])
              for j in range(Z.shape[1])]
    cols = [pa.StructArray.from_arrays(fields, names=[f"col{j + 1}" for j in range(len(fields))])]
    if w is not None:
        cols.append(pa.array(w))
    if fold is not None:
        cols.append(pa.array(fold, pa.int64()))
    return pa.RecordBatch.from_arrays(cols, names=[f"_c{i}" for i in range(len(cols))])


def _layout(p, **kw):
    return BatchLayout(n_features=p, feature_columns=tuple(f"x{j}" for j in range(p)),
                       label_column="y", **kw)


def _data(n, p, seed=5, offset=10.0):
    rng = np.random.default_rng(seed)
    F = rng.normal(size=(n, 3))
    X = F @ rng.normal(size=(3, p)) + rng.normal(size=(n, p)) + offset * rng.normal(size=p)
    y = X[:, : min(p, 7)].sum(axis=1) + rng.normal(size=n)
    w = rng.uniform(0.0, 2.0, n)
    w[::11] = 0.0
    return X, y, w


@pytest.mark.parametrize("width", [4, BLAS_MIN_WIDTH + 5])
@pytest.mark.parametrize("weighted", [False, True])
def test_running_moments_equal_numpy_across_many_blocks(width, weighted):
    """Blocks of uneven size, in both memory orders, more merges than PENDING_MERGES."""
    X, y, w = _data(3 * PENDING_MERGES * 7 + 13, width - 1)
    w = w if weighted else None
    Z = np.column_stack([X, y])
    acc = RunningMoments(width)
    bounds = np.unique(np.r_[0, np.random.default_rng(1).integers(0, len(y), 3 * PENDING_MERGES),
                             len(y)])
    for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
        block = Z[a:b].T.copy() if i % 2 else np.asfortranarray(Z[a:b].T)
        acc.add(block, None if w is None else w[a:b].copy())
    ref = SuffStats.from_arrays(X, y, w)
    got = acc.suff_stats()
    assert got.allclose(ref, rtol=1e-12)
    np.testing.assert_array_equal(got.cxx, got.cxx.T)


def test_running_moments_zero_weight_blocks_count_rows_only():
    acc = RunningMoments(3)
    acc.add(np.ones((3, 4)), np.zeros(4))
    assert acc.n_rows == 4 and acc.suff_stats().weight_sum == 0.0
    acc.add(np.array([[1.0, 3.0], [2.0, 2.0], [0.0, 1.0]]), np.array([1.0, 1.0]))
    s = acc.suff_stats()
    assert s.n_rows == 6 and s.weight_sum == 2.0
    np.testing.assert_allclose(s.mean_x, [2.0, 2.0])
    np.testing.assert_allclose(s.cxx, [[2.0, 0.0], [0.0, 0.0]])


def test_packed_projection_by_width():
    # on Spark 4.0 every width measured read faster packed: the struct's range is empty
    assert PACKED_MAX_FEATURES == COLUMNS_MAX_FEATURES
    for p in (1, 50, 1500, 2001, 4000, COLUMNS_MAX_FEATURES, COLUMNS_MAX_FEATURES + 1):
        assert packed_projection(p), p


def test_struct_range_when_lowered(monkeypatch):
    from lasso_spark.spark import batch

    monkeypatch.setattr(batch, "PACKED_MAX_FEATURES", 200)
    assert batch.packed_projection(200) and not batch.packed_projection(201)
    assert not batch.packed_projection(COLUMNS_MAX_FEATURES)
    assert batch.packed_projection(COLUMNS_MAX_FEATURES + 1)


@pytest.mark.parametrize("p", [6, BLAS_MIN_WIDTH + 3])
@pytest.mark.parametrize("chunk_rows", [1, 37, 10_000])
def test_columns_layout_equals_packed_and_numpy(p, chunk_rows):
    X, y, w = _data(311, p)
    fold = np.random.default_rng(2).integers(0, 4, len(y))
    kw = dict(weight_column="w", num_folds=4, fold_column="f", chunk_rows=chunk_rows)
    cols = PartitionAccumulator(_layout(p, packed=False, **kw))
    packed = PartitionAccumulator(_layout(p, **kw))
    for a, b in ((0, 120), (120, len(y))):
        cols.add_batch(_columns_batch(X[a:b], y[a:b], w[a:b], fold[a:b]))
        packed.add_batch(_batch(X[a:b], y[a:b], w[a:b], fold[a:b]))
    for k in range(4):
        m = fold == k
        ref = SuffStats.from_arrays(X[m], y[m], w[m])
        assert cols.stats[k].allclose(ref, rtol=1e-12)
        assert packed.stats[k].allclose(ref, rtol=1e-12)
    np.testing.assert_array_equal(cols.counts, packed.counts)


@pytest.mark.parametrize("p", [5, BLAS_MIN_WIDTH + 3])
def test_columns_layout_hashed_folds_are_the_packed_folds(p):
    X, y, w = _data(400, p, seed=9)
    Z = np.column_stack([X, y])
    expect = fold_ids(Z, 5, 17, w)
    kw = dict(weight_column="w", num_folds=5, seed=17, chunk_rows=64)
    cols = PartitionAccumulator(_layout(p, packed=False, **kw))
    cols.add_batch(_columns_batch(X, y, w))
    packed = PartitionAccumulator(_layout(p, **kw))
    packed.add_batch(_batch(X, y, w))
    for k in range(5):
        m = expect == k
        ref = SuffStats.from_arrays(X[m], y[m], w[m])
        assert cols.stats[k].allclose(ref, rtol=1e-12)
        assert packed.stats[k].allclose(ref, rtol=1e-12)


def test_columns_layout_counts_invalid_rows_and_nulls():
    X, y, w = _data(200, 4, seed=3)
    fold = np.random.default_rng(4).integers(0, 3, len(y))
    null = np.zeros((len(y), 5), dtype=bool)
    null[5, 1] = True  # a null feature
    null[6, 4] = True  # a null label
    X[7, 2] = np.inf
    fold[8] = 3  # out of range
    lay = _layout(4, packed=False, weight_column="w", num_folds=3, fold_column="f",
                  chunk_rows=50)
    acc = PartitionAccumulator(lay)
    acc.add_batch(_columns_batch(X, y, w, fold, null=null))
    c = dict(zip(lay.counter_keys, acc.counts[2:].tolist()))
    assert c[("x1", KIND_NONFINITE)] == 1 and c[("x2", KIND_NONFINITE)] == 1
    assert c[("y", KIND_NONFINITE)] == 1 and c[("f", KIND_RANGE)] == 1
    assert acc.counts[1] == 4
    keep = np.ones(len(y), dtype=bool)
    keep[[5, 6, 7, 8]] = False
    for k in range(3):
        m = keep & (fold == k)
        assert acc.stats[k].allclose(SuffStats.from_arrays(X[m], y[m], w[m]), rtol=1e-12)


def test_wide_blocks_large_mean_small_spread():
    """The BLAS path keeps the double-double means: mean 1e6, spread 1e-2, p above the BLAS
    threshold, folds hashed, many chunks."""
    rng = np.random.default_rng(8)
    n, p = 4000, BLAS_MIN_WIDTH + 10
    D = rng.normal(size=(n, p))
    D[:, 1] += 0.8 * D[:, 0]
    X = 1e6 + 1e-2 * D
    y = D[:, :5].sum(axis=1) + rng.normal(size=n)
    for packed in (True, False):
        lay = _layout(p, packed=packed, num_folds=2, chunk_rows=300)
        acc = PartitionAccumulator(lay)
        make = _batch if packed else _columns_batch
        acc.add_batch(make(X[:2500], y[:2500]))
        acc.add_batch(make(X[2500:], y[2500:]))
        assert_offset_statistics(merge_all(acc.stats), X, 1e6)


@pytest.mark.parametrize("weights", ["none", "all", "mixed"])
def test_wide_cells_stage_small_blocks_into_fewer_syrks(monkeypatch, weights):
    """From STAGE_MIN_WIDTH columns on, blocks under STAGE_ROWS rows are staged and go into the
    co-moment as one syrk per STAGE_ROWS rows (issue 13: ~105-row fold blocks at p = 4000);
    blocks of STAGE_ROWS or more go in directly. The statistics are numpy's, rows counted as
    they come (staged ones included), the weights of unweighted blocks 1."""
    from lasso_spark.spark import moments

    monkeypatch.setattr(moments, "STAGE_MIN_WIDTH", 120)
    monkeypatch.setattr(moments, "STAGE_ROWS", 64)
    width = 121
    X, y, w = _data(900, width - 1, seed=9)
    Z = np.column_stack([X, y])
    acc = RunningMoments(width)
    calls = []
    real = acc._add
    monkeypatch.setattr(acc, "_add", lambda A, w, s: (calls.append(A.shape[1]), real(A, w, s)))
    sizes = [5, 17, 30, 9, 64, 1, 40, 100, 3, 23] * 3
    bounds = np.cumsum([0] + sizes)
    assert bounds[-1] <= len(y)
    used = bounds[-1]
    wts = np.ones(used) if weights == "none" else w[:used].copy()
    for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
        block = Z[a:b].T.copy() if i % 2 else np.asfortranarray(Z[a:b].T)
        unweighted = weights == "none" or (weights == "mixed" and i % 3 == 0)
        if unweighted:
            wts[a:b] = 1.0
        acc.add(block, None if unweighted else w[a:b].copy())
        assert acc.n_rows == b
    got = acc.suff_stats()
    ref = SuffStats.from_arrays(X[:used], y[:used], None if weights == "none" else wts)
    assert got.n_rows == used
    assert got.allclose(ref, rtol=1e-12)
    assert sum(calls) == used
    assert all(c > 64 - 40 for c in calls[:-1])  # no block of a handful of rows on its own
    assert len(calls) <= len(sizes) // 2  # 30 blocks in 15 syrks
    assert 100 in calls and 64 in calls  # blocks of STAGE_ROWS or more: directly


def test_narrow_cells_do_not_stage():
    from lasso_spark.spark import moments

    acc = RunningMoments(moments.STAGE_MIN_WIDTH - 1)
    acc.add(np.ones((moments.STAGE_MIN_WIDTH - 1, 3)), None)
    assert acc._staged == 0 and acc.n_rows == 3
