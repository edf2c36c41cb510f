"""Row-hash fold ids: the documented formula, CSR = dense, balance, and the Arrow kernels."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from lasso_spark.core import SuffStats
from lasso_spark.spark.batch import BatchLayout, PartitionAccumulator
from lasso_spark.spark.chunks import ChunkReader
from lasso_spark.spark.fold_hash import column_keys, fold_ids, fold_ids_csr
from tests.unit.test_batch import _batch, _vectors

M64 = (1 << 64) - 1


def _fmix(x: int) -> int:
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & M64
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def _reference_fold(values: list[float], K: int, seed: int) -> int:
    """The formula of lasso_spark.spark.fold_hash's docstring, in Python integers."""
    m = len(values)
    base = seed & M64
    key = [_fmix((base + (j + 1) * 0x9E3779B97F4A7C15) & M64) for j in range(m + 1)]
    h = 0
    for j, z in enumerate(values):
        u = struct.unpack("<Q", struct.pack("<d", 0.0 if z == 0.0 else z))[0]
        t = (u * (key[j] | 1)) & M64
        h = (h + (t ^ (t >> 29))) & M64
    return _fmix(h ^ key[m]) % K


@pytest.mark.parametrize("seed", [0, 7, -3, 2**70 + 5])
def test_fold_ids_follow_the_documented_formula(seed):
    rng = np.random.default_rng(1)
    Z = rng.normal(size=(40, 5))
    Z[::3, 1] = 0.0
    Z[1, 2] = -0.0
    w = rng.uniform(0, 2, 40)
    got = fold_ids(Z, 7, seed)
    got_w = fold_ids(Z, 7, seed, w)
    for i in range(40):
        assert got[i] == _reference_fold(Z[i].tolist(), 7, seed)
        assert got_w[i] == _reference_fold([*Z[i].tolist(), w[i]], 7, seed)
    assert column_keys(seed, 5).flags.writeable is False


@pytest.mark.parametrize("weighted", [False, True])
def test_csr_rows_get_the_same_folds_as_dense_rows(weighted):
    rng = np.random.default_rng(2)
    n, p = 300, 9
    X = rng.normal(size=(n, p)) * (rng.random((n, p)) < 0.3)
    X[5] = 0.0  # an empty row
    X[-1] = 0.0  # a trailing empty row
    X[7, 3] = -0.0
    y = rng.normal(size=n)
    w = rng.uniform(0.1, 2.0, n) if weighted else None
    rows, cols = np.nonzero(X)
    indptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=n))]
    dense = fold_ids(np.column_stack([X, y]), 5, 11, w)
    sparse = fold_ids_csr(indptr, cols, X[rows, cols], y, p, 5, 11, w)
    np.testing.assert_array_equal(dense, sparse)


def test_folds_are_balanced_and_seeded_even_on_small_integers():
    rng = np.random.default_rng(3)
    n, K = 60_000, 5
    for Z in (rng.normal(size=(n, 4)), rng.integers(0, 30, size=(n, 4)).astype(float)):
        Z = np.unique(Z, axis=0)  # distinct rows: identical rows share a fold by design
        f = fold_ids(Z, K, 0)
        counts = np.bincount(f, minlength=K)
        expected = len(Z) / K
        chi2 = float(((counts - expected) ** 2 / expected).sum())
        assert chi2 < 25.0, counts  # χ²(4) > 25 has probability 5e-5
        other = fold_ids(Z, K, 1)
        assert abs(np.mean(f == other) - 1 / K) < 0.02  # another seed, another split
        # the fold does not depend on the label's value (a feature of the row, not of y)
        hi = Z[:, -1] > np.median(Z[:, -1])
        assert abs(np.mean(f[hi] == 0) - np.mean(f[~hi] == 0)) < 0.03


def test_identical_rows_share_a_fold_and_order_does_not_matter():
    rng = np.random.default_rng(4)
    Z = rng.normal(size=(200, 3))
    Z = np.vstack([Z, Z[:50]])
    f = fold_ids(Z, 4, 9)
    np.testing.assert_array_equal(f[:50], f[200:])
    perm = rng.permutation(len(Z))
    np.testing.assert_array_equal(fold_ids(Z[perm], 4, 9), f[perm])


def _data(n=600, p=5, seed=5):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * (rng.random((n, p)) < 0.6)
    y = X @ rng.normal(size=p) + rng.normal(size=n)
    w = rng.uniform(0.2, 2.0, n)
    return X, y, w


@pytest.mark.parametrize("encoding", ["columns", "dense vectors", "sparse vectors"])
def test_gram_pass_hashes_folds_the_same_for_every_encoding(encoding):
    X, y, w = _data()
    p, K = X.shape[1], 3
    if encoding == "columns":
        lay = BatchLayout(n_features=p, feature_columns=tuple(f"x{j}" for j in range(p)),
                          label_column="y", weight_column="w", num_folds=K, seed=13,
                          chunk_rows=128)
        batch = _batch(X, y, w)
    else:
        if encoding == "dense vectors":
            rows = [("d", r.tolist()) for r in X]
        else:
            rows = [("s", p, np.flatnonzero(r).tolist(), r[r != 0].tolist()) for r in X]
        lay = BatchLayout(n_features=p, feature_columns=("v",), label_column="y", vector=True,
                          weight_column="w", num_folds=K, seed=13, chunk_rows=128)
        batch = _batch(None, y, w, vector=_vectors(rows))
    acc = PartitionAccumulator(lay)
    acc.add_batch(batch)
    fold = fold_ids(np.column_stack([X, y]), K, 13, w)
    for k in range(K):
        m = fold == k
        assert acc.stats[k].allclose(SuffStats.from_arrays(X[m], y[m], w[m]), rtol=1e-12)


def test_wide_reader_gives_the_gram_pass_folds():
    X, y, w = _data(seed=6)
    X[9, 1] = np.nan  # an invalid row is dropped before hashing; the others keep their fold
    p, K = X.shape[1], 4
    rows = [("s", p, np.flatnonzero(r).tolist(), r[r != 0].tolist()) for r in X]
    lay = BatchLayout(n_features=p, feature_columns=("v",), label_column="y", vector=True,
                      weight_column="w", num_folds=K, seed=2)
    chunk = ChunkReader(lay).read(_batch(None, y, w, vector=_vectors(rows)))
    keep = np.ones(len(y), bool)
    keep[9] = False
    np.testing.assert_array_equal(chunk.rows, np.flatnonzero(keep))
    expected = fold_ids(np.column_stack([X, y])[keep], K, 2, w[keep])
    np.testing.assert_array_equal(chunk.fold, expected)


def test_dense_reader_matches_the_csr_reader():
    X, y, w = _data(seed=8)
    X[3, 0] = np.nan
    y[4] = np.inf
    w[5] = -1.0
    p = X.shape[1]
    lay = BatchLayout(n_features=p, feature_columns=tuple(f"x{j}" for j in range(p)),
                      label_column="y", weight_column="w", num_folds=3, seed=4)
    sparse_reader, dense_reader = ChunkReader(lay), ChunkReader(lay, dense=True)
    a = sparse_reader.read(_batch(X, y, w))
    b = dense_reader.read(_batch(X, y, w))
    np.testing.assert_array_equal(sparse_reader.counts, dense_reader.counts)
    np.testing.assert_array_equal(a.rows, b.rows)
    np.testing.assert_array_equal(a.fold, b.fold)
    np.testing.assert_array_equal(b.X, X[b.rows])
    dense_a = np.zeros((a.n_rows, p))
    dense_a[np.repeat(np.arange(a.n_rows), np.diff(a.indptr)), a.cols] = a.vals
    np.testing.assert_array_equal(dense_a, b.X)
    assert (a.y == b.y).all() and (a.w == b.w).all() and sparse_reader.counts[1] == 3


@pytest.mark.parametrize("shape", [(1, 1), (3, 2), (700, 9), (90, 1600)])
def test_fold_ids_read_any_memory_order_alike(shape):
    """C order, Fortran order (the p + 1-column batches) and a strided view: the same folds,
    whatever the blocking (a -0.0 in a block counts as 0.0)."""
    rng = np.random.default_rng(4)
    Z = rng.normal(size=shape)
    Z[::5, 0] = -0.0
    Z[1::3, -1] = 0.0
    w = rng.uniform(0, 2, shape[0])
    expect = [_reference_fold(Z[i].tolist(), 5, 9) for i in range(min(shape[0], 40))]
    wide = np.zeros((shape[0], 2 * shape[1]))
    wide[:, ::2] = Z
    for A in (Z, np.asfortranarray(Z), wide[:, ::2]):
        got = fold_ids(A, 5, 9)
        assert got[: len(expect)].tolist() == expect
        np.testing.assert_array_equal(fold_ids(A, 5, 9, w), fold_ids(Z, 5, 9, w))
