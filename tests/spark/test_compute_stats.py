"""compute_stats on a local Spark session against numpy (SuffStats.from_arrays on the same rows)."""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd
import pytest

from lasso_spark.core import SuffStats, kfold_splits
from lasso_spark.spark import InvalidInputError, assign_folds, compute_stats

pytestmark = pytest.mark.spark

P = 5
COLS = [f"x{j}" for j in range(P)]


@pytest.fixture(scope="module")
def arrays():
    rng = np.random.default_rng(11)
    n = 3000
    X = rng.normal(size=(n, P)) * rng.uniform(0.5, 3, P) + rng.normal(size=P) * 5
    y = X @ rng.normal(size=P) + rng.normal(size=n)
    w = rng.uniform(0.1, 2.0, n)
    fold = rng.integers(0, 4, n)
    return X, y, w, fold


@pytest.fixture(scope="module")
def frame(spark, arrays):
    X, y, w, fold = arrays
    pdf = pd.DataFrame(X, columns=COLS)
    pdf["label"], pdf["w"], pdf["f"] = y, w, fold.astype(np.int32)
    return spark.createDataFrame(pdf)


class _Jobs:
    """Job ids run under a fresh job group (Spark's own status tracker)."""

    def __init__(self, spark):
        self.sc = spark.sparkContext
        self.group = f"test-{uuid.uuid4().hex}"

    def __enter__(self):
        self.sc.setJobGroup(self.group, "lasso_spark test")
        return self

    def __exit__(self, *exc):
        self.sc.setLocalProperty("spark.jobGroup.id", None)
        return False

    @property
    def ids(self) -> list[int]:
        return sorted(self.sc.statusTracker().getJobIdsForGroup(self.group))

    def stage_input_records(self) -> dict[int, int]:
        """Input records read per stage of these jobs (a stage shared by two jobs once)."""
        store = self.sc._jsc.sc().statusStore()
        tracker = self.sc.statusTracker()
        stages = {int(s) for job in self.ids for s in tracker.getJobInfo(job).stageIds}
        out = {}
        for stage in sorted(stages):
            try:
                out[stage] = int(store.lastStageAttempt(stage).inputRecords())
            except Exception:  # noqa: BLE001 - a stage skipped in every job never ran
                out[stage] = 0
        return out

    def input_records(self) -> int:
        return sum(self.stage_input_records().values())


@pytest.mark.parametrize("num_folds", [0, 4])
def test_independent_of_partitioning_and_equal_numpy(frame, arrays, num_folds):
    X, y, w, _ = arrays
    ref = SuffStats.from_arrays(X, y, w)
    results = [
        compute_stats(
            frame.repartition(n), input_cols=COLS, weight_col="w", num_folds=num_folds, seed=5
        )
        for n in (1, 3, 7)
    ]
    for r in results:
        assert r.total.allclose(ref, rtol=1e-10)
        assert r.n_rows_read == len(y) and r.n_rows_skipped == 0 and r.invalid_counts == {}
        assert r.feature_names == COLS and r.num_folds == num_folds
        assert len(r.folds) == max(num_folds, 1)
        for a, b in zip(r.folds, results[0].folds):
            assert a.n_rows == b.n_rows  # same rows in the same folds
            assert a.allclose(b, rtol=1e-10)


def test_hash_folds_match_assign_folds_and_are_balanced(spark, arrays):
    rng = np.random.default_rng(2)
    n, K = 20_000, 5
    pdf = pd.DataFrame({"x0": rng.normal(size=n), "x1": rng.normal(size=n)})
    pdf["label"] = rng.normal(size=n)
    df = spark.createDataFrame(pdf).repartition(3)
    r = compute_stats(df, input_cols=["x0", "x1"], num_folds=K, seed=42)
    sizes = np.array([s.n_rows for s in r.folds])
    # fold sizes are multinomial(n, 1/K): each within 5 standard deviations of n/K
    sd = np.sqrt(n * (1 / K) * (1 - 1 / K))
    assert np.all(np.abs(sizes - n / K) < 5 * sd), sizes
    # assign_folds reproduces the assignment, row by row, as a column of the DataFrame
    got = assign_folds(df, input_cols=["x0", "x1"], num_folds=K, seed=42, output_col="k")
    assert got.columns == ["x0", "x1", "label", "k"]
    got = got.toPandas()
    assert got["k"].notna().all()
    for k in range(K):
        part = got[got["k"] == k]
        ref = SuffStats.from_arrays(part[["x0", "x1"]].to_numpy(), part["label"].to_numpy())
        assert r.folds[k].allclose(ref, rtol=1e-10)
    # another seed gives another assignment
    r2 = compute_stats(df, input_cols=["x0", "x1"], num_folds=K, seed=43)
    assert [s.n_rows for s in r2.folds] != list(sizes)


def test_user_fold_column(frame, arrays):
    X, y, w, fold = arrays
    r = compute_stats(frame, input_cols=COLS, weight_col="w", num_folds=4, fold_col="f")
    for k in range(4):
        m = fold == k
        assert r.folds[k].allclose(SuffStats.from_arrays(X[m], y[m], w[m]), rtol=1e-10)
    m = fold != 1
    trains, _ = kfold_splits(r.folds)
    assert trains[1].allclose(SuffStats.from_arrays(X[m], y[m], w[m]), rtol=1e-10)


def test_one_job_reads_the_input_once(spark, arrays, tmp_path):
    X, y, w, _ = arrays
    pdf = pd.DataFrame(X, columns=COLS)
    pdf["label"], pdf["w"] = y, w
    path = str(tmp_path / "data.parquet")
    spark.createDataFrame(pdf).repartition(3).write.parquet(path)
    df = spark.read.parquet(path)
    for num_folds in (0, 5):
        with _Jobs(spark) as jobs:
            r = compute_stats(df, input_cols=COLS, weight_col="w", num_folds=num_folds)
        assert len(jobs.ids) == 1, jobs.ids
        assert jobs.input_records() == len(y)
        assert r.total.allclose(SuffStats.from_arrays(X, y, w), rtol=1e-10)


def test_executor_merge_reads_the_input_once(spark, arrays, tmp_path):
    """The two-level reduction adds a stage over the shuffled partials only: one input scan."""
    X, y, w, _ = arrays
    pdf = pd.DataFrame(X, columns=COLS)
    pdf["label"], pdf["w"] = y, w
    path = str(tmp_path / "data.parquet")
    spark.createDataFrame(pdf).repartition(6).write.parquet(path)
    df = spark.read.parquet(path)
    with _Jobs(spark) as jobs:
        r = compute_stats(df, input_cols=COLS, weight_col="w", num_folds=5, reduce_groups=2)
    assert r.reduce_groups == 2
    per_stage = jobs.stage_input_records()
    assert len(per_stage) >= 2  # the scan and the merge of the partials
    reading = [s for s, n in per_stage.items() if n > 0]
    assert len(reading) == 1, per_stage  # exactly one stage reads the input...
    assert per_stage[reading[0]] == len(y)  # ...and reads every row once
    assert r.n_rows_read == len(y)
    assert r.total.allclose(SuffStats.from_arrays(X, y, w), rtol=1e-10)


@pytest.mark.parametrize("num_folds", [0, 4])
def test_executor_merge_equals_single_level_and_numpy(frame, arrays, num_folds):
    """Forced multi-level path (24 partitions, 2 groups) against the direct collect and numpy;
    the bytes the driver receives stop growing with the partitions."""
    X, y, w, fold = arrays
    many = frame.repartition(24)
    kw = dict(input_cols=COLS, weight_col="w", num_folds=num_folds)
    if num_folds:
        kw["fold_col"] = "f"
    single = compute_stats(many, reduce_groups=0, **kw)
    multi = compute_stats(many, reduce_groups=2, **kw)
    few = compute_stats(frame.repartition(3), reduce_groups=0, **kw)
    assert (single.reduce_groups, multi.reduce_groups) == (0, 2)
    K = max(num_folds, 1)
    for k in range(K):
        m = fold == k if num_folds else np.ones(len(y), dtype=bool)
        ref = SuffStats.from_arrays(X[m], y[m], w[m])
        assert multi.folds[k].n_rows == single.folds[k].n_rows == int(m.sum())
        assert multi.folds[k].allclose(ref, rtol=1e-10)
        assert multi.folds[k].allclose(single.folds[k], rtol=1e-10)
    assert multi.total.allclose(SuffStats.from_arrays(X, y, w), rtol=1e-10)
    assert (multi.n_rows_read, multi.n_rows_skipped) == (len(y), 0)
    assert multi.peak_worker_rss_bytes > 0
    record = 8 * SuffStats.packed_size(P)
    # direct collect: one record per (partition, fold), so 8x the partitions is 8x the bytes
    assert single.driver_result_bytes == 24 * K * record
    assert few.driver_result_bytes == 3 * K * record
    # executor merge: at most one record per (fold, group)
    assert K * record <= multi.driver_result_bytes <= 2 * K * record


def test_executor_merge_counts_invalid_rows(spark):
    rng = np.random.default_rng(4)
    pdf = pd.DataFrame(rng.normal(size=(400, 2)), columns=["x1", "x2"])
    pdf["label"] = rng.normal(size=400)
    pdf.loc[::50, "x2"] = np.nan
    df = spark.createDataFrame(pdf).repartition(9)
    with pytest.raises(InvalidInputError, match="8 rows with null/NaN/inf in column 'x2'"):
        compute_stats(df, input_cols=["x1", "x2"], num_folds=3, reduce_groups=2)
    r = compute_stats(
        df, input_cols=["x1", "x2"], num_folds=3, handle_invalid="skip", reduce_groups=2
    )
    assert (r.n_rows_read, r.n_rows_skipped, r.invalid_counts) == (400, 8, {"x2": 8})
    keep = pdf.dropna()
    ref = SuffStats.from_arrays(keep[["x1", "x2"]].to_numpy(), keep["label"].to_numpy())
    assert r.total.allclose(ref, rtol=1e-10)


def test_reduction_chosen_from_partitions_and_budget(spark, frame, monkeypatch):
    from lasso_spark.spark import reduce as red

    df = frame.repartition(16)
    assert red.num_partitions(df) == 16
    assert red.num_partitions(frame) == frame.rdd.getNumPartitions()
    r = compute_stats(df, input_cols=COLS, num_folds=4)
    assert r.reduce_groups == 0  # 16 x 4 records of 8·(p²+3p+5) bytes: far below the budget
    record = 8 * SuffStats.packed_size(P)
    monkeypatch.setattr(red, "DRIVER_BUDGET_BYTES", 10 * 4 * record)
    r2 = compute_stats(df, input_cols=COLS, num_folds=4)
    assert r2.reduce_groups == 4  # ceil(sqrt(16)), within the budget of 10 groups per fold
    assert r2.driver_result_bytes <= 4 * 4 * record
    for a, b in zip(r.folds, r2.folds):
        assert a.n_rows == b.n_rows and a.allclose(b, rtol=1e-10)
    with pytest.raises(ValueError, match="reduce_groups"):
        compute_stats(df, input_cols=COLS, reduce_groups=-1)


def test_invalid_rows_error_names_each_column(spark):
    pdf = pd.DataFrame(
        {
            "x1": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "x2": [1.0, np.nan, np.inf, 0.0, None, 2.0],
            "label": [1.0, 2.0, 3.0, 4.0, 5.0, 7.0],
            "w": [1.0, 1.0, 1.0, -2.0, 1.0, 1.0],
        }
    )
    df = spark.createDataFrame(pdf)
    with pytest.raises(InvalidInputError) as exc:
        compute_stats(df, input_cols=["x1", "x2"], weight_col="w")
    msg = str(exc.value)
    assert "3 rows with null/NaN/inf in column 'x2'" in msg
    assert "1 row with negative weight in column 'w'" in msg
    assert "'x1'" not in msg and "'label'" not in msg
    assert exc.value.invalid_counts == {"x2": 3, "w": 1}
    # a data problem: the jobs exit 3 ("fix the data"), not 1 ("worth a retry")
    from lasso_spark.jobs_lib.errors import EXIT_INPUT, exit_code_for

    assert exit_code_for(exc.value) == EXIT_INPUT

    r = compute_stats(df, input_cols=["x1", "x2"], weight_col="w", handle_invalid="skip")
    assert r.n_rows_read == 6 and r.n_rows_skipped == 4
    assert r.invalid_counts == {"x2": 3, "w": 1}
    keep = [0, 5]
    ref = SuffStats.from_arrays(
        pdf[["x1", "x2"]].to_numpy()[keep], pdf["label"].to_numpy()[keep], pdf["w"].to_numpy()[keep]
    )
    assert r.total.allclose(ref, rtol=1e-12)


def test_fold_ids_out_of_range_are_invalid(spark):
    pdf = pd.DataFrame(
        {"x": [1.0, 2.0, 3.0, 4.0, 5.0], "label": [1.0, 0.0, 1.0, 2.0, 3.0],
         "f": pd.array([0, 1, 2, None, 1], dtype="Int64")}
    )
    df = spark.createDataFrame(pdf)
    with pytest.raises(InvalidInputError, match=r"2 rows with fold id null or outside \[0, 2\) "
                                                r"in column 'f'"):
        compute_stats(df, input_cols=["x"], num_folds=2, fold_col="f")
    r = compute_stats(df, input_cols=["x"], num_folds=2, fold_col="f", handle_invalid="skip")
    assert [s.n_rows for s in r.folds] == [1, 2] and r.n_rows_skipped == 2


def test_vector_column_dense_and_sparse(spark):
    from pyspark.ml.linalg import Vectors

    rows = [
        (Vectors.dense([1.0, 0.0, 2.0]), 1.0),
        (Vectors.sparse(3, [1], [4.0]), 2.0),
        (Vectors.sparse(3, [], []), 0.5),
        (Vectors.dense([1.0, 2.0]), 3.0),  # wrong size
        (Vectors.sparse(4, [3], [1.0]), 3.0),  # wrong size
        (None, 1.0),
        (Vectors.dense([-1.0, 1.0, 1.0]), -2.0),
    ]
    base = spark.createDataFrame(rows, ["features", "label"])
    df = base.repartition(2)
    X = np.array([[1, 0, 2], [0, 4, 0], [0, 0, 0], [-1, 1, 1]], dtype=float)
    y = np.array([1.0, 2.0, 0.5, -2.0])
    with pytest.raises(InvalidInputError) as exc:
        compute_stats(df, features_col="features", num_features=3)
    assert "2 rows with wrong vector size (expected 3)" in str(exc.value)
    assert "1 row with null/NaN/inf in column 'features'" in str(exc.value)
    # no metadata and no num_features: the size is probed from the first vector
    r = compute_stats(df.where("features is not null"), features_col="features",
                      handle_invalid="skip")
    assert r.n_features == 3 and r.feature_names == ["features[0]", "features[1]", "features[2]"]
    assert r.n_rows_skipped == 2 and r.invalid_counts == {"features": 2}
    assert r.total.allclose(SuffStats.from_arrays(X, y), rtol=1e-12)
    # folds of the valid rows: a dense and a sparse encoding of one vector share a fold
    twins = spark.createDataFrame(
        [(Vectors.dense([0.0, 4.0, 0.0]), 2.0), (Vectors.sparse(3, [1], [4.0]), 2.0)] * 5,
        ["features", "label"],
    )
    folded = assign_folds(base.union(twins), features_col="features", num_folds=3, seed=1,
                          num_features=3).collect()
    assert [r["features"] for r in folded[:2]] == [rows[0][0], rows[1][0]]  # vectors kept
    assert [r["fold"] is None for r in folded[:7]] == [False] * 3 + [True] * 3 + [False]
    assert len({r["fold"] for r in folded[7:]}) == 1


def test_vector_assembler_metadata_names(frame, arrays):
    from pyspark.ml.feature import VectorAssembler

    X, y, w, _ = arrays
    vdf = VectorAssembler(inputCols=COLS, outputCol="features").transform(frame)
    r = compute_stats(vdf, features_col="features", weight_col="w", num_folds=3, seed=5)
    assert r.feature_names == COLS
    assert r.total.allclose(SuffStats.from_arrays(X, y, w), rtol=1e-10)
    # the same rows as columns or as a vector land in the same folds
    c = compute_stats(frame, input_cols=COLS, weight_col="w", num_folds=3, seed=5)
    for a, b in zip(r.folds, c.folds):
        assert a.n_rows == b.n_rows and a.allclose(b, rtol=1e-10)
    with pytest.raises(ValueError, match="disagrees"):
        compute_stats(vdf, features_col="features", num_features=P + 1)


def test_large_mean_small_spread(spark):
    """Means 1e6, standard deviations 1e-2: standardized Gram equals two-pass numpy to 1e-9."""
    rng = np.random.default_rng(5)
    n, p = 5000, 4
    Z = rng.normal(size=(n, p))
    Z[:, 2] += 0.5 * Z[:, 0]
    X = 1e6 + 1e-2 * Z
    y = Z @ np.array([1.0, -2.0, 0.5, 3.0]) + rng.normal(size=n)
    pdf = pd.DataFrame(X, columns=[f"x{j}" for j in range(p)])
    pdf["label"] = y
    r = compute_stats(spark.createDataFrame(pdf).repartition(7), input_cols=list(pdf.columns[:p]))
    mu = X.mean(axis=0)
    Xc = X - mu
    sd = np.sqrt((Xc * Xc).mean(axis=0))
    ref = (Xc / sd).T @ (Xc / sd) / n
    s = r.total
    got = s.cxx / np.outer(s.std_x, s.std_x) / s.weight_sum
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(s.cxy / s.std_x / n, Xc.T @ (y - y.mean()) / sd / n, rtol=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"input_cols": ["x0", "nope"]}, "feature column 'nope' not found"),
        ({"input_cols": ["x0"], "label_col": "lbl"}, "label column 'lbl' not found"),
        ({"input_cols": ["x0", "s"]}, "feature column 's' must be numeric, got string"),
        ({"input_cols": ["x0"], "weight_col": "s"}, "weight column 's' must be numeric"),
        ({"input_cols": ["x0"], "num_folds": 1}, "at least 2"),
        ({"input_cols": ["x0"], "num_folds": 3, "fold_col": "x1"}, "fold column 'x1' must be an"),
        ({"input_cols": ["x0"], "fold_col": "f"}, "needs num_folds"),
        ({"input_cols": ["x0"], "features_col": "x1"}, "exactly one"),
        ({}, "exactly one"),
        ({"features_col": "x0"}, "features column 'x0' must be a pyspark.ml.linalg vector"),
        ({"input_cols": ["x0"], "handle_invalid": "keep"}, "handle_invalid"),
        ({"input_cols": ["x0", "x0"]}, "more than once"),
        ({"input_cols": ["x0", "label"]}, "both as features"),
    ],
)
def test_bad_arguments_fail_before_any_job(spark, frame, kwargs, match):
    from pyspark.sql import functions as F

    df = frame.withColumn("s", F.lit("a"))
    with _Jobs(spark) as jobs, pytest.raises(ValueError, match=match):
        compute_stats(df, **kwargs)
    assert jobs.ids == []


def test_zero_rows_and_no_valid_rows(spark, frame):
    with pytest.raises(InvalidInputError, match="no rows"):
        compute_stats(frame.limit(0), input_cols=COLS)
    bad = frame.where("x0 < 0").selectExpr("x0", "cast(null as double) as label")
    with pytest.raises(InvalidInputError, match="no valid rows"):
        compute_stats(bad, input_cols=["x0"], handle_invalid="skip")


def test_job_description_restored(spark, frame):
    sc = spark.sparkContext
    sc.setJobDescription("outer")
    try:
        compute_stats(frame, input_cols=COLS, job_description="lasso_spark: test")
        assert sc.getLocalProperty("spark.job.description") == "outer"
        assert not any(t.startswith("lasso_spark-stats") for t in spark.getTags())
    finally:
        sc.setJobDescription(None)
