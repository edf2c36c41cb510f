"""Fold paths as Spark tasks: on a classic session one RDD job (no DataFrame, no shuffle), on
Spark Connect the DataFrame + mapInArrow path (its executor function checked here without a
Connect server; tests/spark/connect_check.py runs it on Connect). Either way the results are
bit-for-bit the driver's."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.spark


def _fits():
    from lasso_spark.core import SuffStats
    from lasso_spark.spark.fold_paths import FoldFit

    rng = np.random.default_rng(11)
    n, p = 600, 7
    X = rng.standard_normal((n, p))
    y = X[:, :3] @ np.array([1.0, -0.5, 2.0]) + rng.standard_normal(n)
    fold = np.arange(n) % 3
    stats = [SuffStats.from_arrays(X[fold == k], y[fold == k]) for k in range(3)]
    full = SuffStats.from_arrays(X, y)
    alphas = np.geomspace(0.5, 0.005, 15)
    pf = np.linspace(0.5, 1.5, p)
    fits = []
    for k in range(3):
        train = SuffStats.from_arrays(X[fold != k], y[fold != k])
        fits.append(FoldFit(k, k, 0, train, stats[k], alphas, 1.0))
    fits.append(FoldFit(3, 0, 1, full, stats[0], alphas, 0.5, penalty_factor=pf))
    fits.append(FoldFit(4, -1, 0, full, None, alphas, 1.0))  # unscored, as stability's halves
    return fits


def _assert_same(got, ref):
    assert [r.fit_id for r in got] == [r.fit_id for r in ref]
    for a, b in zip(got, ref):
        np.testing.assert_array_equal(a.mse, b.mse)
        np.testing.assert_array_equal(a.n_nonzero, b.n_nonzero)
        np.testing.assert_array_equal(a.support, b.support)
        assert a.converged == b.converged
    assert ref[-1].mse.shape == (0,) and ref[0].mse.shape == (15,)


def test_classic_session_runs_fold_paths_as_one_rdd_job_bit_identical(spark, monkeypatch):
    from pyspark.sql import SparkSession

    from lasso_spark.spark.fold_paths import run_fold_fits

    fits = _fits()
    options = {"tol": 1e-10}
    ref = run_fold_fits(fits, options, parallelism=1)

    def no_dataframe(*_a, **_k):
        raise AssertionError("the classic path must not build a DataFrame")

    monkeypatch.setattr(SparkSession, "createDataFrame", no_dataframe)
    tracker = spark.sparkContext.statusTracker()
    before = set(tracker.getJobIdsForGroup(None))
    got = run_fold_fits(fits, options, spark=spark, parallelism=2, job_description="fp test")
    _assert_same(got, ref)
    new = sorted(set(tracker.getJobIdsForGroup(None)) - before)
    assert len(new) == 1, new  # one job ...
    stages = tracker.getJobInfo(new[0]).stageIds
    assert len(stages) == 1  # ... of one stage: no shuffle
    assert tracker.getStageInfo(stages[0]).numTasks == 2


def _daemon_of_arrow_workers(batches):
    import os

    import pyarrow as pa

    for _ in batches:
        pass
    yield pa.RecordBatch.from_pydict({"daemon": [os.getppid()]})


def _daemon_of_rdd_worker(rows):
    import os

    list(rows)
    yield os.getppid()


def test_fold_path_rdd_job_reuses_the_sql_passes_python_worker_daemon(spark):
    """The fold-path RDD job's workers are forked by the daemon that serves the statistics
    pass's ``mapInArrow`` (same worker environment), and ``sc.environment`` is left as found."""
    from lasso_spark.spark.fold_paths import sql_worker_environment

    sc = spark.sparkContext
    before = dict(sc.environment)
    sql = {r.daemon for r in spark.range(0, 1000, numPartitions=2)
           .mapInArrow(_daemon_of_arrow_workers, "daemon long").collect()}
    assert len(sql) == 1
    with sql_worker_environment(spark, sc):
        rdd = set(sc.parallelize(range(4), 2).mapPartitions(_daemon_of_rdd_worker).collect())
    assert rdd == sql
    assert dict(sc.environment) == before


def test_sql_worker_flags_follow_the_sessions_sql_confs():
    from lasso_spark.spark.fold_paths import _sql_worker_flags

    assert _sql_worker_flags({}) == {"SPARK_SIMPLIFIED_TRACEBACK": "1",
                                     "SPARK_HIDE_TRACEBACK": None,
                                     "SPARK_TRACEBACK_WITH_LOCALS": None}
    conf = {"spark.sql.execution.pyspark.udf.simplifiedTraceback.enabled": "false",
            "spark.sql.execution.pyspark.udf.hideTraceback.enabled": "TRUE"}
    assert _sql_worker_flags(conf) == {"SPARK_SIMPLIFIED_TRACEBACK": None,
                                       "SPARK_HIDE_TRACEBACK": "1",
                                       "SPARK_TRACEBACK_WITH_LOCALS": None}


def test_arrow_task_used_on_connect_gives_the_driver_results():
    import pyarrow as pa

    from lasso_spark.spark.fold_paths import (
        _pack_fit,
        fold_path_rows,
        fold_path_task,
        run_fold_fits,
    )

    fits = _fits()
    options = {"tol": 1e-10}
    ref = run_fold_fits(fits, options, parallelism=1)
    rows = [_pack_fit(f) for f in fits]
    names = ["fit_id", "train", "heldout", "alphas", "l1_ratio", "penalty_factor"]
    types = [pa.int64(), pa.binary(), pa.binary(), pa.binary(), pa.float64(), pa.binary()]
    batch = pa.RecordBatch.from_arrays(
        [pa.array([r[i] for r in rows], type=t) for i, t in enumerate(types)], names=names)
    (out,) = list(fold_path_task(options, iter([batch])))
    arrow_rows = list(zip(*(out.column(i).to_pylist() for i in range(out.num_columns))))
    plain = list(fold_path_rows(options, iter(rows)))
    # the two executor paths ship the same bytes (seconds aside)
    assert [r[:4] + r[5:] for r in arrow_rows] == [r[:4] + r[5:] for r in plain]
    for (fit_id, mse, nnz, conv, _s, _sup), b in zip(plain, ref):
        assert fit_id == b.fit_id and conv == b.converged
        np.testing.assert_array_equal(np.frombuffer(mse, dtype=np.float64), b.mse)
        np.testing.assert_array_equal(np.frombuffer(nnz, dtype=np.int64), b.n_nonzero)
