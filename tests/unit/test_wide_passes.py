"""Wide-mode executor bodies (Arrow batches → per-fold sums) against numpy, without Spark."""

from __future__ import annotations

import numpy as np
import pytest

from lasso_spark.core import SuffStats
from lasso_spark.spark.batch import KIND_NONFINITE, KIND_SIZE, BatchLayout
from lasso_spark.spark.chunks import ChunkReader
from lasso_spark.wide.diag import DiagStats, merge_diag
from lasso_spark.wide.passes import (
    assemble_block,
    diag_body,
    finish_gram,
    gram_body,
    gram_values,
    kkt_body,
)
from tests.unit.test_batch import _batch, _vectors

P = 12


def _data(n=400, seed=3):
    """Sparse design with one dense large-mean feature (col 1) and one dense ordinary (col 2)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, P)) * 2.0
    X[rng.random((n, P)) < 0.8] = 0.0
    X[:, 1] = 1e6 + rng.normal(size=n) * 1e-2
    X[:, 2] = rng.normal(size=n) + 3.0
    X[:, 5] = 0.0  # never stored
    y = X[:, 0] - 2 * X[:, 2] + rng.normal(size=n)
    w = rng.uniform(0.2, 2.0, n)
    fold = rng.integers(0, 3, n)
    return X, y, w, fold


def _sparse_rows(X):
    return [("s", X.shape[1], np.flatnonzero(r).tolist(), r[r != 0].tolist()) for r in X]


def _layout(**kw):
    return BatchLayout(n_features=P, feature_columns=("features",), label_column="y",
                       vector=True, **kw)


def _body_out(batches):
    out = {}
    for rb in batches:
        kinds = rb.column(0).to_pylist()
        data = rb.column(1).to_pylist()
        out.update(zip(kinds, data))
    return out


def test_diag_merge_equals_numpy_and_survives_large_means():
    X, y, w, _ = _data()
    whole = DiagStats.from_arrays(X, y, w)
    ref = SuffStats.from_arrays(X, y, w)
    np.testing.assert_allclose(whole.cxx_diag, np.diag(ref.cxx), rtol=1e-12)
    parts = [DiagStats.from_arrays(X[i::5], y[i::5], w[i::5]) for i in range(5)]
    merged = merge_diag(parts, P)
    np.testing.assert_allclose(merged.mean_x, whole.mean_x, rtol=1e-14)
    np.testing.assert_allclose(merged.cxx_diag, whole.cxx_diag, rtol=1e-9)
    np.testing.assert_allclose(merged.cxy, whole.cxy, rtol=1e-9, atol=1e-9 * whole.cyy)
    assert merged.var_x[5] == 0.0 and merged.var_x[1] > 0.0
    back = DiagStats.unpack(merged.pack())
    assert back.n_rows == merged.n_rows and np.array_equal(back.cxy, merged.cxy)


@pytest.mark.parametrize("sparse", [True, False])
def test_diag_body_per_fold_with_invalid_row(sparse):
    X, y, w, fold = _data()
    X[7, 3] = np.nan  # an invalid row: counted and dropped
    if sparse:
        rows = _sparse_rows(np.nan_to_num(X, nan=1.0))
        rows[7] = ("s", P, [3], [float("nan")])
        rows[9] = ("s", P + 1, [0], [1.0])  # wrong size
        vec = _vectors(rows)
        layout = _layout(weight_column="w", num_folds=3, fold_column="f")
    else:
        vec = None
        layout = BatchLayout(n_features=P, feature_columns=tuple(f"x{j}" for j in range(P)),
                             label_column="y", weight_column="w", num_folds=3, fold_column="f")
    batches = [_batch(X[:200], y[:200], w[:200], fold[:200], None if vec is None else vec[:200]),
               _batch(X[200:], y[200:], w[200:], fold[200:], None if vec is None else vec[200:])]
    out = _body_out(diag_body(iter(batches), layout))
    bad = np.zeros(len(y), dtype=bool)
    bad[7] = True
    if sparse:
        bad[9] = True
    counts = np.frombuffer(out[-1], dtype=np.int64)
    assert counts[0] == len(y) and counts[1] == bad.sum()
    for k in range(3):
        keep = (fold == k) & ~bad
        ref = SuffStats.from_arrays(X[keep], y[keep], w[keep])
        got = DiagStats.unpack(np.frombuffer(out[k], dtype=np.float64))
        assert got.n_rows == ref.n_rows
        np.testing.assert_allclose(got.weight_sum, ref.weight_sum, rtol=1e-13)
        np.testing.assert_allclose(got.mean_x, ref.mean_x, rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(got.cxx_diag, np.diag(ref.cxx), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(got.cxy, ref.cxy, rtol=1e-9, atol=1e-9 * ref.cyy)
        np.testing.assert_allclose(got.cyy, ref.cyy, rtol=1e-12)
    nnz = np.frombuffer(out[3], dtype=np.float64)
    np.testing.assert_array_equal(nnz, np.count_nonzero(X[~bad], axis=0))


def test_chunk_reader_counts_kinds():
    layout = _layout()
    rows = [("s", P, [0, 4], [1.0, 2.0]), None, ("d", [1.0] * P), ("s", P, [P + 3], [1.0]),
            ("d", [1.0] * (P - 1)), ("s", P, [2], [float("inf")])]
    reader = ChunkReader(layout)
    chunks = list(reader.chunks(iter([_batch(None, np.arange(6.0), vector=_vectors(rows))])))
    slot = {k: 2 + i for i, k in enumerate(layout.counter_keys)}
    assert reader.counts[slot[("features", KIND_NONFINITE)]] == 2  # null, inf
    assert reader.counts[slot[("features", KIND_SIZE)]] == 2  # index out of range, short
    (ch,) = chunks
    np.testing.assert_array_equal(ch.y, [0.0, 2.0])
    np.testing.assert_array_equal(ch.indptr, [0, 2, 2 + P])


def test_gram_body_equals_numpy_centered_products():
    X, y, w, fold = _data()
    layout = _layout(weight_column="w", num_folds=3, fold_column="f")
    vec = _vectors(_sparse_rows(X))
    index = np.array([0, 1, 2, 4, 5, 9])
    dense = np.count_nonzero(X[:, index], axis=0) > 0.5 * len(y)
    assert dense.tolist() == [False, True, True, False, False, False]
    mean_w = (w @ X) / w.sum()
    center = np.append(mean_w[index], (w @ y) / w.sum())
    batches = [_batch(None, y[:150], w[:150], fold[:150], vec[:150]),
               _batch(None, y[150:], w[150:], fold[150:], vec[150:])]
    out = _body_out(gram_body(iter(batches), layout, index, center, dense))
    C = finish_gram(np.frombuffer(out[0], dtype=np.float64), 3, center, dense)
    Z = np.column_stack([X[:, index], y]) - center
    for k in range(3):
        r = fold == k
        ref = (Z[r] * w[r, None]).T @ Z[r]
        np.testing.assert_allclose(C[k], ref, rtol=1e-10, atol=1e-10 * np.abs(ref).max())


def _block(X, y, w, fold, index, targets=None):
    """The Gram pass's block (or rows) on ``index`` from two batches, about the weighted mean."""
    layout = _layout(weight_column="w", num_folds=3, fold_column="f")
    vec = _vectors(_sparse_rows(X))
    dense = np.count_nonzero(X[:, index], axis=0) > 0.5 * len(y)
    center = np.append(((w @ X) / w.sum())[index], (w @ y) / w.sum())
    batches = [_batch(None, y[:150], w[:150], fold[:150], vec[:150]),
               _batch(None, y[150:], w[150:], fold[150:], vec[150:])]
    out = _body_out(gram_body(iter(batches), layout, index, center, dense, targets=targets))
    total = np.frombuffer(out[0], dtype=np.float64)
    assert total.shape[0] == gram_values(3, index.shape[0], targets)
    ref = []
    Z = np.column_stack([X[:, index], y]) - center
    for k in range(3):
        r = fold == k
        ref.append((Z[r] * w[r, None]).T @ Z[r])
    return finish_gram(total, 3, center, dense, targets), np.stack(ref)


def test_gram_rows_equal_the_rows_of_the_full_block():
    X, y, w, fold = _data()
    index = np.array([0, 1, 2, 4, 5, 9, 11])
    targets = np.array([1, 3, 6])  # a dense (large-mean) feature, two sparse ones
    rows, ref = _block(X, y, w, fold, index, targets)
    assert rows.shape == (3, 3, index.shape[0] + 1)
    full, _ = _block(X, y, w, fold, index)
    for k in range(3):
        scale = np.abs(ref[k]).max()
        np.testing.assert_allclose(rows[k], ref[k][targets], rtol=1e-10, atol=1e-10 * scale)
        np.testing.assert_allclose(rows[k], full[k][targets], rtol=1e-12, atol=1e-12 * scale)
        np.testing.assert_array_equal(full[k], full[k].T)


def test_incremental_block_equals_the_full_block():
    """A block grown from an older one (features dropped, features added) plus a Gram pass
    over the new rows only equals the Gram pass over the whole new block."""
    X, y, w, fold = _data()
    old_index = np.array([0, 2, 3, 4, 8])
    index = np.array([0, 1, 3, 4, 7, 9, 10])  # 2 and 8 dropped; 1 (dense), 7, 9, 10 new
    new_pos = np.flatnonzero(~np.isin(index, old_index))
    old, _ = _block(X, y, w, fold, old_index)
    rows, _ = _block(X, y, w, fold, index, new_pos)
    grown = assemble_block(old, old_index, index, new_pos, rows)
    full, ref = _block(X, y, w, fold, index)
    for k in range(3):
        scale = np.abs(ref[k]).max()
        np.testing.assert_allclose(grown[k], full[k], rtol=1e-12, atol=1e-12 * scale)
        np.testing.assert_allclose(grown[k], ref[k], rtol=1e-10, atol=1e-10 * scale)
        np.testing.assert_array_equal(grown[k], grown[k].T)


def test_kkt_body_equals_numpy_xtwr_with_heldout_rows():
    X, y, w, fold = _data()
    layout = _layout(weight_column="w", num_folds=3, fold_column="f")
    vec = _vectors(_sparse_rows(X))
    rng = np.random.default_rng(5)
    index = np.array([0, 2, 7])
    B = rng.normal(size=(3, 4))
    b0 = rng.normal(size=4)
    model_fold = np.array([-1, 0, 1, 2])
    out = _body_out(kkt_body(iter([_batch(None, y, w, fold, vec)]), layout, index, B, b0,
                              model_fold))
    v = np.frombuffer(out[0], dtype=np.float64)
    acc, S = v[: P * 4].reshape(P, 4), v[P * 4 :]
    for t in range(4):
        train = fold != model_fold[t]
        r = (y - b0[t] - X[:, index] @ B[:, t]) * w * train
        np.testing.assert_allclose(acc[:, t], X.T @ r, rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(S[t], r.sum(), rtol=1e-9, atol=1e-9)
