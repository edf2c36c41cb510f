"""Executor kernel (Arrow batches → per-fold SuffStats) against numpy, without Spark."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from lasso_spark.core import SuffStats, merge_all
from lasso_spark.spark.batch import (
    KIND_NEGATIVE,
    KIND_NONFINITE,
    KIND_RANGE,
    KIND_SIZE,
    BatchLayout,
    PartitionAccumulator,
    partition_stats,
)


def _packed(Z, null=None):
    """An Arrow ``list<double>`` column of the rows of ``Z`` (as Spark's ``F.array`` sends it);
    ``null`` marks elements that are null rather than NaN."""
    n, m = Z.shape
    values = pa.array(Z.ravel(), mask=None if null is None else null.ravel())
    return pa.ListArray.from_arrays(pa.array(np.arange(0, n * m + 1, m, dtype=np.int32)), values)


def _batch(X, y, w=None, fold=None, vector=None):
    if vector is not None:
        cols = [vector, pa.array(y)]
    else:
        cols = [_packed(np.column_stack([X, y]))]
    if w is not None:
        cols.append(pa.array(w))
    if fold is not None:
        cols.append(pa.array(fold, pa.int64()))
    return pa.RecordBatch.from_arrays(cols, names=[f"_c{i}" for i in range(len(cols))])


def _vectors(rows, p_default=None):
    """VectorUDT's Arrow struct from a list of ("d", values) / ("s", size, idx, vals) / None."""
    types, sizes, idx, vals, mask = [], [], [], [], []
    for r in rows:
        if r is None:
            types.append(1), sizes.append(None), idx.append(None), vals.append(None)
            mask.append(True)
        elif r[0] == "d":
            types.append(1), sizes.append(None), idx.append(None), vals.append(list(r[1]))
            mask.append(False)
        else:
            types.append(0), sizes.append(r[1]), idx.append(list(r[2])), vals.append(list(r[3]))
            mask.append(False)
    return pa.StructArray.from_arrays(
        [
            pa.array(types, pa.int8()),
            pa.array(sizes, pa.int32()),
            pa.array(idx, pa.list_(pa.int32())),
            pa.array(vals, pa.list_(pa.float64())),
        ],
        names=["type", "size", "indices", "values"],
        mask=pa.array(mask),
    )


def _layout(p, **kw):
    names = kw.pop("feature_columns", tuple(f"x{j}" for j in range(p)))
    return BatchLayout(n_features=p, feature_columns=names, label_column="y", **kw)


def _run(layout, batches):
    acc = PartitionAccumulator(layout)
    for b in batches:
        acc.add_batch(b)
    return acc


def _counters(acc):
    return dict(zip(acc.layout.counter_keys, acc.counts[2:].tolist()))


@pytest.fixture
def data():
    rng = np.random.default_rng(7)
    n, p = 503, 6
    X = rng.normal(size=(n, p)) * rng.uniform(0.1, 5, p) + rng.normal(size=p) * 10
    y = X @ rng.normal(size=p) + rng.normal(size=n)
    w = rng.uniform(0.0, 3.0, n)
    w[::17] = 0.0
    fold = rng.integers(0, 4, n)
    return X, y, w, fold


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("chunk_rows", [1, 37, 10_000])
def test_dense_columns_equal_numpy(data, weighted, chunk_rows):
    X, y, w, _ = data
    w = w if weighted else None
    lay = _layout(X.shape[1], weight_column="w" if weighted else None, chunk_rows=chunk_rows)
    # two batches of uneven size
    acc = _run(lay, [_batch(X[:200], y[:200], None if w is None else w[:200]),
                     _batch(X[200:], y[200:], None if w is None else w[200:])])
    ref = SuffStats.from_arrays(X, y, w)
    assert acc.stats[0].allclose(ref, rtol=1e-12)
    assert acc.counts[0] == len(y) and acc.counts[1] == 0


def test_folds_equal_numpy_per_fold(data):
    X, y, w, fold = data
    lay = _layout(X.shape[1], weight_column="w", num_folds=4, fold_column="f", chunk_rows=64)
    acc = _run(lay, [_batch(X, y, w, fold)])
    for k in range(4):
        m = fold == k
        assert acc.stats[k].allclose(SuffStats.from_arrays(X[m], y[m], w[m]), rtol=1e-12)
    assert merge_all(acc.stats).allclose(SuffStats.from_arrays(X, y, w), rtol=1e-12)


def test_invalid_rows_counted_per_column_and_dropped(data):
    X, y, w, fold = data
    X, y, w, fold = X.copy(), y.copy(), w.copy(), fold.copy()
    X[3, 2] = np.nan
    X[4, 2] = np.inf
    X[4, 0] = -np.inf  # one row bad in two columns
    y[10] = np.nan
    w[11] = -1.0
    w[12] = np.nan
    fold[13] = 4
    fold[14] = -1
    X[14, 1] = np.nan  # bad fold id and bad feature: counted in both
    lay = _layout(X.shape[1], weight_column="w", num_folds=4, fold_column="f", chunk_rows=50)
    acc = _run(lay, [_batch(X, y, w, fold)])
    c = _counters(acc)
    assert c[("x2", KIND_NONFINITE)] == 2
    assert c[("x0", KIND_NONFINITE)] == 1
    assert c[("x1", KIND_NONFINITE)] == 1
    assert c[("y", KIND_NONFINITE)] == 1
    assert c[("w", KIND_NEGATIVE)] == 1
    assert c[("w", KIND_NONFINITE)] == 1
    assert c[("f", KIND_RANGE)] == 2
    bad = np.zeros(len(y), bool)
    bad[[3, 4, 10, 11, 12, 13, 14]] = True
    assert acc.counts[1] == bad.sum()
    keep = ~bad
    for k in range(4):
        m = keep & (fold == k)
        assert acc.stats[k].allclose(SuffStats.from_arrays(X[m], y[m], w[m]), rtol=1e-12)


def test_nulls_count_as_invalid():
    lay = _layout(2)
    Z = np.array([[1.0, 1.0, 1.0], [0.0, 2.0, 2.0], [3.0, 5.0, 0.0], [4.0, 1.0, 0.5]])
    null = np.zeros(Z.shape, dtype=bool)
    null[1, 0] = null[2, 2] = True  # x0 of row 1 and y of row 2 are null (Spark's F.array)
    b = pa.RecordBatch.from_arrays([_packed(Z, null)], names=["_c0"])
    acc = _run(lay, [b, b.slice(1, 2)])
    c = _counters(acc)
    assert c[("x0", KIND_NONFINITE)] == 2 and c[("y", KIND_NONFINITE)] == 2
    assert acc.counts[1] == 4  # the slice (rows 1, 2) is read through the list offsets
    ref = SuffStats.from_arrays(np.array([[1.0, 1.0], [4.0, 1.0]]), np.array([1.0, 0.5]))
    assert acc.stats[0].allclose(ref, rtol=1e-12)


def test_vectors_dense_sparse_mixed_and_wrong_size():
    p = 4
    rows = [
        ("d", [1.0, 2.0, 3.0, 4.0]),
        ("s", 4, [0, 3], [5.0, -1.0]),
        ("d", [1.0, 2.0, 3.0]),  # wrong size
        ("s", 5, [0], [1.0]),  # wrong size
        None,  # null vector
        ("s", 4, [1, 9], [1.0, 1.0]),  # index out of range
        ("s", 4, [], []),  # all zeros
        ("d", [0.5, np.nan, 1.0, 2.0]),  # NaN inside
        ("d", [2.0, 1.0, 0.0, -3.0]),
    ]
    y = np.arange(len(rows), dtype=float)
    X_ok = np.array([[1, 2, 3, 4], [5, 0, 0, -1], [0, 0, 0, 0], [2, 1, 0, -3]], dtype=float)
    y_ok = y[[0, 1, 6, 8]]
    ref = SuffStats.from_arrays(X_ok, y_ok)
    lay = _layout(p, vector=True, feature_columns=("features",), chunk_rows=4)
    acc = _run(lay, [_batch(None, y, vector=_vectors(rows))])
    c = _counters(acc)
    assert c[("features", KIND_SIZE)] == 3
    assert c[("features", KIND_NONFINITE)] == 2
    assert acc.counts[1] == 5
    assert acc.stats[0].allclose(ref, rtol=1e-12)
    # with folds the same rows, permuted inside the batch, give the same per-fold statistics
    fold = np.array([0, 1, 0, 1, 0, 1, 1, 0, 0])
    lay2 = _layout(p, vector=True, feature_columns=("features",), num_folds=2, fold_column="f")
    acc2 = _run(lay2, [_batch(None, y, fold=fold, vector=_vectors(rows))])
    assert acc2.stats[0].allclose(SuffStats.from_arrays(X_ok[[0, 3]], y_ok[[0, 3]]), rtol=1e-12)
    assert acc2.stats[1].allclose(SuffStats.from_arrays(X_ok[[1, 2]], y_ok[[1, 2]]), rtol=1e-12)


def test_dense_vector_fast_path_sliced_batches(data):
    X, y, w, fold = data
    vec = _vectors([("d", r) for r in X])
    lay = _layout(X.shape[1], vector=True, feature_columns=("v",), weight_column="w",
                  num_folds=4, fold_column="f", chunk_rows=33)
    acc = _run(lay, [_batch(None, y, w, fold, vector=vec)])
    for k in range(4):
        m = fold == k
        assert acc.stats[k].allclose(SuffStats.from_arrays(X[m], y[m], w[m]), rtol=1e-12)


def test_large_mean_small_spread_standardized_gram():
    """Means 1e6, standard deviations 1e-2: standardized Gram equals two-pass numpy to 1e-9."""
    rng = np.random.default_rng(3)
    n, p = 20_000, 5
    Z = rng.normal(size=(n, p))
    Z[:, 1] += 0.8 * Z[:, 0]
    X = 1e6 + 1e-2 * Z
    y = Z @ np.arange(1.0, p + 1) + rng.normal(size=n)
    lay = _layout(p, chunk_rows=1000)
    acc = _run(lay, [_batch(X[:7001], y[:7001]), _batch(X[7001:], y[7001:])])
    assert_offset_statistics(acc.stats[0], X, 1e6)


def assert_offset_statistics(s, X, offset):
    """``s`` (unweighted statistics of ``X``, whose columns sit near ``offset``) against a
    two-pass reference: the standardized Gram to 1e-9 and the double-double mean."""
    n = X.shape[0]
    # two-pass reference (exact enough in float64 after centering)
    mu = offset + (X - offset).mean(axis=0)
    Xc = X - mu
    sd = np.sqrt((Xc * Xc).mean(axis=0))
    ref = (Xc / sd).T @ (Xc / sd) / n
    got = s.cxx / np.outer(s.std_x, s.std_x) / s.weight_sum
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-9)
    # X − offset is exact in float64, so this reference mean carries no offset-sized rounding
    exact_offset = (X - offset).mean(axis=0)
    np.testing.assert_allclose((s.mean_x - offset) + s.mean_x_lo, exact_offset, rtol=1e-9)


def test_records_round_trip(data):
    X, y, w, fold = data
    lay = _layout(X.shape[1], num_folds=4, fold_column="f")
    (rec,) = list(partition_stats(iter([_batch(X, y, fold=fold)]), layout=lay))
    d = rec.to_pydict()
    assert d["fold"][-1] == -1
    counts = np.frombuffer(d["counts"][-1], dtype=np.int64)
    assert counts[0] == len(y)
    stats = {k: SuffStats.unpack(np.frombuffer(b, dtype=np.float64))
             for k, b in zip(d["fold"][:-1], d["stats"][:-1])}
    assert sorted(stats) == [0, 1, 2, 3]
    m = fold == 2
    assert stats[2].allclose(SuffStats.from_arrays(X[m], y[m]), rtol=1e-12)


def test_empty_partition_emits_counters_only():
    lay = _layout(3)
    (rec,) = list(partition_stats(iter([]), layout=lay))
    assert rec.num_rows == 1 and rec.column(0)[0].as_py() == -1
