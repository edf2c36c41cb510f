"""SuffStats against two-pass numpy, and the algebra of merging."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lasso_spark.core import SuffStats, merge_all


def numpy_stats(X, y, w):
    W = w.sum()
    mx = (w @ X) / W
    my = (w @ y) / W
    Xc, yc = X - mx, y - my
    return W, mx, my, (Xc * w[:, None]).T @ Xc, (Xc * w[:, None]).T @ yc, w @ (yc * yc)


def make_data(rng, n=200, p=5, loc=0.0, scale=1.0):
    X = loc + scale * rng.standard_normal((n, p))
    y = X @ rng.standard_normal(p) + rng.standard_normal(n)
    w = rng.uniform(0.1, 3.0, n)
    return X, y, w


def test_from_arrays_matches_numpy():
    rng = np.random.default_rng(0)
    X, y, w = make_data(rng)
    s = SuffStats.from_arrays(X, y, w)
    W, mx, my, cxx, cxy, cyy = numpy_stats(X, y, w)
    assert s.n_rows == 200
    np.testing.assert_allclose(s.weight_sum, W, rtol=1e-14)
    np.testing.assert_allclose(s.mean_x, mx, rtol=1e-13)
    np.testing.assert_allclose(s.cxx, cxx, rtol=1e-12)
    np.testing.assert_allclose(s.cxy, cxy, rtol=1e-12)
    np.testing.assert_allclose(s.cyy, cyy, rtol=1e-12)
    np.testing.assert_allclose(s.std_x, np.sqrt(np.diag(cxx) / W), rtol=1e-13)


def test_merge_of_chunks_equals_whole_with_large_means():
    rng = np.random.default_rng(1)
    X, y, w = make_data(rng, n=1000, p=4, loc=1e6, scale=1e-2)
    whole = SuffStats.from_arrays(X, y, w)
    parts = [
        SuffStats.from_arrays(X[i : i + 97], y[i : i + 97], w[i : i + 97])
        for i in range(0, 1000, 97)
    ]
    merged = merge_all(parts)
    assert merged.n_rows == 1000
    assert merged.allclose(whole, rtol=1e-9)
    # the standardized Gram keeps its digits despite mean/std = 1e8
    d = 1 / merged.std_x
    corr_m = merged.cxx * np.outer(d, d)
    d2 = 1 / whole.std_x
    np.testing.assert_allclose(corr_m, whole.cxx * np.outer(d2, d2), rtol=1e-9, atol=1e-12)


def test_empty_is_identity_and_zero_variance_feature():
    rng = np.random.default_rng(2)
    X, y, w = make_data(rng, n=50, p=3)
    X[:, 1] = 7.0
    s = SuffStats.from_arrays(X, y, w)
    assert s.std_x[1] == 0.0
    e = SuffStats.empty(3)
    assert e.merge(s).allclose(s, rtol=0) and s.merge(e).allclose(s, rtol=0)
    assert e.merge(s).n_rows == 50


def test_pack_roundtrip_and_subset():
    rng = np.random.default_rng(3)
    s = SuffStats.from_arrays(*make_data(rng, n=30, p=6))
    assert SuffStats.unpack(s.pack()).allclose(s, rtol=0)
    sub = s.subset([4, 1])
    np.testing.assert_array_equal(sub.cxx, s.cxx[np.ix_([4, 1], [4, 1])])
    with pytest.raises(ValueError, match="packed"):
        SuffStats.unpack(np.zeros(7))


def test_uncentered_moments():
    rng = np.random.default_rng(4)
    X, y, w = make_data(rng, n=40, p=3, loc=3.0)
    gxx, gxy, gyy = SuffStats.from_arrays(X, y, w).uncentered()
    np.testing.assert_allclose(gxx, (X * w[:, None]).T @ X, rtol=1e-12)
    np.testing.assert_allclose(gxy, (X * w[:, None]).T @ y, rtol=1e-12)
    np.testing.assert_allclose(gyy, w @ (y * y), rtol=1e-12)


def test_bad_input_is_named():
    X = np.ones((4, 2))
    X[1, 0] = np.nan
    with pytest.raises(ValueError, match="X has non-finite values .* in 1 rows"):
        SuffStats.from_arrays(X, np.zeros(4))
    with pytest.raises(ValueError, match="negative"):
        SuffStats.from_arrays(np.ones((3, 2)), np.zeros(3), np.array([1.0, -1.0, 1.0]))


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    cuts=st.lists(st.integers(1, 59), min_size=1, max_size=5, unique=True),
    loc=st.sampled_from([0.0, 1e3, 1e6]),
)
def test_merge_associative_any_split(seed, cuts, loc):
    rng = np.random.default_rng(seed)
    X, y, w = make_data(rng, n=60, p=3, loc=loc)
    whole = SuffStats.from_arrays(X, y, w)
    bounds = [0, *sorted(cuts), 60]
    parts = [SuffStats.from_arrays(X[a:b], y[a:b], w[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
    left = parts[0]
    for part in parts[1:]:
        left = left.merge(part)
    right = parts[-1]
    for part in reversed(parts[:-1]):
        right = part.merge(right)
    assert left.allclose(whole, rtol=1e-9, atol=1e-9)
    assert right.allclose(left, rtol=1e-9, atol=1e-9)
    assert merge_all(parts).allclose(whole, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("p", [0, 1, 2, 5, 257])
def test_pack_is_the_upper_triangle_and_roundtrips_exactly(p):
    from lasso_spark.core.stats import PackedStats, triangle_size

    rng = np.random.default_rng(30 + p)
    s = SuffStats.from_arrays(*make_data(rng, n=40, p=p, loc=1e6, scale=1e-2))
    v = s.pack()
    assert v.shape == (SuffStats.packed_size(p),) == (5 + 3 * p + triangle_size(p),)
    tri = v[5 + 3 * p :]
    i, j = np.triu_indices(p)
    order = np.lexsort((i, j))  # column by column, rows within a column
    np.testing.assert_array_equal(tri, s.cxx[i[order], j[order]])
    back = SuffStats.unpack(v)
    for name in ("mean_x", "mean_x_lo", "cxx", "cxy"):
        np.testing.assert_array_equal(getattr(back, name), getattr(s, name))
    assert back.cxx.flags.c_contiguous and back.cxx.shape == (p, p)
    assert (back.n_rows, back.weight_sum, back.mean_y, back.mean_y_lo, back.cyy) == (
        s.n_rows, s.weight_sum, s.mean_y, s.mean_y_lo, s.cyy)
    np.testing.assert_array_equal(PackedStats.from_vector(v).vector(), v)
    with pytest.raises(ValueError, match="packed"):
        SuffStats.unpack(np.append(v, 0.0))


def test_packed_merge_equals_full_merge_and_numpy():
    from lasso_spark.core.stats import PackedStats, merge_tree

    rng = np.random.default_rng(8)
    X, y, w = make_data(rng, n=600, p=9, loc=1e6, scale=1e-2)
    parts = [SuffStats.from_arrays(X[i : i + 53], y[i : i + 53], w[i : i + 53])
             for i in range(0, 600, 53)]
    full = merge_all(parts)
    packed = merge_tree([PackedStats.from_vector(s.pack()) for s in parts],
                        lambda: PackedStats.empty(9))
    got = packed.suff_stats()
    assert got.n_rows == 600
    assert got.allclose(full, rtol=1e-13)
    np.testing.assert_array_equal(got.cxx, got.cxx.T)
    assert got.allclose(SuffStats.from_arrays(X, y, w), rtol=1e-9)
    e = PackedStats.empty(9)
    assert e.merge(packed).suff_stats().allclose(got, rtol=0)
