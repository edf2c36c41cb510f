"""The statistics pass on wide numeric input (a struct of p + 1 doubles, syrk) against numpy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import types as T

from lasso_spark.core import SuffStats
from lasso_spark.spark import assign_folds, batch, compute_stats
from lasso_spark.spark.inputs import resolve_input
from lasso_spark.spark.moments import BLAS_MIN_WIDTH

pytestmark = pytest.mark.spark

#: the struct layout is exercised just above a lowered threshold: the layout is chosen on the
#: driver (``resolve_input``), so the module-scoped patch below reaches the workers' batches
STRUCT_FROM = 200
P = max(STRUCT_FROM, BLAS_MIN_WIDTH) + 7
COLS = [f"x{j}" for j in range(P)]


@pytest.fixture(scope="module", autouse=True)
def struct_layout():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(batch, "PACKED_MAX_FEATURES", STRUCT_FROM)
        assert not batch.packed_projection(P)
        yield


@pytest.fixture(scope="module")
def wide(spark, struct_layout):
    rng = np.random.default_rng(21)
    n = 900
    F = rng.normal(size=(n, 3))
    X = F @ rng.normal(size=(3, P)) + rng.normal(size=(n, P)) + rng.normal(size=P) * 50
    y = X[:, :5] @ np.arange(1.0, 6.0) + rng.normal(size=n)
    w = rng.uniform(0.1, 2.0, n)
    pdf = pd.DataFrame(X, columns=COLS)
    pdf["label"], pdf["w"] = y, w
    pdf.loc[3, "x7"] = np.nan  # one invalid row
    return X, y, w, spark.createDataFrame(pdf).repartition(3)


def _kw():
    return dict(features_col=None, input_cols=COLS, label_col="label", weight_col="w",
                num_folds=4, fold_col=None, seed=3, handle_invalid="skip", num_features=None)


def test_wide_numeric_input_travels_as_one_struct_of_columns(wide):
    df = wide[3]
    resolved = resolve_input(df, **_kw())
    assert resolved.layout.packed is False
    assert len(resolved.columns) == 2  # struct<x..., label>, weight: no array column
    head = df.select(*resolved.columns).schema.fields[0].dataType
    assert isinstance(head, T.StructType) and len(head.fields) == P + 1
    assert all(isinstance(f.dataType, T.DoubleType) for f in head.fields)
    narrow = resolve_input(df, **{**_kw(), "input_cols": COLS[:5]})
    assert narrow.layout.packed is True and len(narrow.columns) == 2


def test_wide_pass_equals_numpy_and_assign_folds(wide):
    X, y, w, df = wide
    r = compute_stats(df, input_cols=COLS, weight_col="w", num_folds=4, seed=3,
                      handle_invalid="skip")
    keep = np.ones(len(y), dtype=bool)
    keep[3] = False
    assert r.n_rows_skipped == 1 and r.invalid_counts == {"x7": 1}
    assert r.total.allclose(SuffStats.from_arrays(X[keep], y[keep], w[keep]), rtol=1e-10)
    folds = assign_folds(df, input_cols=COLS, weight_col="w", num_folds=4, seed=3,
                         output_col="k").toPandas()
    assert folds["k"].isna().sum() == 1
    folds = folds.dropna(subset=["k"])
    for k in range(4):
        part = folds[folds["k"] == k]
        ref = SuffStats.from_arrays(part[COLS].to_numpy(), part["label"].to_numpy(),
                                    part["w"].to_numpy())
        assert r.folds[k].allclose(ref, rtol=1e-10)


@pytest.mark.parametrize("width", [3, P])
def test_column_names_that_need_quoting_in_sql(wide, width):
    """The projection is one SQL expression: names with a backtick, a dot or a space are
    quoted, never parsed (narrow: the packed array; wide: the struct)."""
    X, y, w, df = wide
    odd = {COLS[0]: "a`b", COLS[1]: "c.d", COLS[2]: "e f"}
    renamed = df.select(*[df[c].alias(odd.get(c, c)) for c in df.columns])
    names = [odd.get(c, c) for c in COLS[:width]]
    r = compute_stats(renamed, input_cols=names, weight_col="w", handle_invalid="skip")
    keep = np.ones(len(y), dtype=bool)
    keep[3] = False  # the NaN in x7 (among the features only when all P are used)
    rows = keep if width == P else np.ones(len(y), dtype=bool)
    assert r.feature_names == names
    ref = SuffStats.from_arrays(X[rows][:, :width], y[rows], w[rows])
    assert r.total.allclose(ref, rtol=1e-10)


@pytest.mark.parametrize("width", [40, P])
@pytest.mark.parametrize("groups", [0, 2])
def test_packed_partials_collected_or_merged_equal_numpy_per_fold(wide, width, groups):
    """The partials travel as packed upper triangles, collected as they are (groups 0) or
    merged on the executors first, below and above the layout's width threshold: each fold's
    statistics equal numpy's on that fold's rows, and the driver receives packed records."""
    X, y, w, df = wide
    names = COLS[:width]
    r = compute_stats(df, input_cols=names, weight_col="w", num_folds=3, seed=9,
                      handle_invalid="skip", reduce_groups=groups)
    folds = assign_folds(df, input_cols=names, weight_col="w", num_folds=3, seed=9,
                         output_col="k").toPandas()
    folds = folds.dropna(subset=["k"])  # the row with a NaN in x7 (a feature at both widths)
    assert r.n_rows_skipped == 1 and len(folds) == len(y) - 1
    for k in range(3):
        part = folds[folds["k"] == k]
        ref = SuffStats.from_arrays(part[names].to_numpy(), part["label"].to_numpy(),
                                    part["w"].to_numpy())
        assert r.folds[k].n_rows == len(part)
        assert r.folds[k].allclose(ref, rtol=1e-10)
        np.testing.assert_array_equal(r.folds[k].cxx, r.folds[k].cxx.T)
    record = 8 * SuffStats.packed_size(width)
    assert record == 8 * (5 + 3 * width + width * (width + 1) // 2)
    if groups == 0:  # one record per (partition, fold): 3 x 3
        assert r.driver_result_bytes == 9 * record
    else:  # at most one per (fold, group)
        assert 3 * record <= r.driver_result_bytes <= 6 * record


@pytest.mark.parametrize("setting", [None, "100000", "40"])
def test_small_arrow_batches_same_statistics_and_setting_restored(spark, wide, monkeypatch,
                                                                  setting):
    """Wide rows reach Python in batches of about BATCH_BYTES (here lowered so that each
    partition's rows come in several batches, the invalid row among them): the statistics
    are numpy's, and the session's maxRecordsPerBatch is what it was (a smaller setting is
    kept)."""
    from lasso_spark.spark import arrow_batches

    X, y, w, df = wide
    key = arrow_batches.MAX_RECORDS_KEY
    monkeypatch.setattr(arrow_batches, "BATCH_BYTES", 8 * (P + 1) * 70)
    before = spark.conf.get(key, None)
    if setting is None:
        spark.conf.unset(key)
    else:
        spark.conf.set(key, setting)
    try:
        r = compute_stats(df, input_cols=COLS, weight_col="w", num_folds=4, seed=3,
                          handle_invalid="skip")
        assert spark.conf.get(key, None) == setting
    finally:
        if before is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, before)
    keep = np.ones(len(y), dtype=bool)
    keep[3] = False
    assert r.n_rows_skipped == 1 and r.invalid_counts == {"x7": 1}
    assert r.total.allclose(SuffStats.from_arrays(X[keep], y[keep], w[keep]), rtol=1e-10)
    base = compute_stats(df, input_cols=COLS, weight_col="w", num_folds=4, seed=3,
                         handle_invalid="skip", reduce_groups=0)
    for a, b in zip(r.folds, base.folds):
        assert a.n_rows == b.n_rows and a.allclose(b, rtol=1e-12)


@pytest.mark.parametrize("width", [40, P])
def test_total_merged_packed_is_merge_all_of_the_folds_bit_for_bit(wide, width):
    """The driver merges the folds into the total on the packed triangles (half the flops):
    the very values merge_all gives on the full matrices of the folds, bit for bit."""
    from lasso_spark.core import merge_all

    X, y, w, df = wide
    r = compute_stats(df, input_cols=COLS[:width], weight_col="w", num_folds=5, seed=4,
                      handle_invalid="skip", reduce_groups=0)
    ref = merge_all(r.folds)
    t = r.total
    assert (t.n_rows, t.weight_sum, t.mean_y, t.mean_y_lo, t.cyy) == (
        ref.n_rows, ref.weight_sum, ref.mean_y, ref.mean_y_lo, ref.cyy)
    for name in ("cxx", "cxy", "mean_x", "mean_x_lo"):
        np.testing.assert_array_equal(getattr(t, name), getattr(ref, name))
    np.testing.assert_array_equal(t.cxx, t.cxx.T)
