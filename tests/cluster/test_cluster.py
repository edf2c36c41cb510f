"""lasso_spark on separate executor JVMs (``local-cluster[2,1,1024]``): same statistics and
same LassoCV model as ``local[2]`` and as the core on the collected rows, under task failures
and a killed executor, with bounded executor memory and nothing but statistics on the driver.

The cluster side runs once per session in a child process (``conftest.cluster_run``).
"""

from __future__ import annotations

import numpy as np
import pytest

from lasso_spark.core import SuffStats, alpha_grid, cv_path, merge_all
from tests.cluster.scenario import FEATURES, LABEL, NUM_FOLDS, SEED, WEIGHT, lasso_cv

pytestmark = [pytest.mark.cluster, pytest.mark.spark]

RTOL = 1e-10
#: solver bookkeeping: equal only when the statistics are bit-identical (a last-bit change in
#: the Gram can move a duality-gap check across ``tol`` and change the sweep count)
_BOOKKEEPING = ("path/iterations", "path/dualityGap")


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    """Largest difference relative to the largest magnitude in either array."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0))
    return float(np.max(np.abs(a - b), initial=0.0) / scale) if scale > 0 else 0.0


def path_coef(m: dict) -> np.ndarray:
    """The path's coefficient matrix (one row per regParam, one column per feature)."""
    return np.column_stack([m[f"path/coef:{n}"] for n in FEATURES])


def assert_same_model(got: dict, want: dict, rtol: float = RTOL) -> None:
    """``rtol=0``: every number bit-identical. Otherwise every table column, and the path's
    coefficient matrix as a whole, within ``rtol`` relative to its largest entry."""
    assert sorted(got) == sorted(want)
    if rtol == 0.0:
        bad = [k for k in want if not np.array_equal(got[k], want[k])]
        assert not bad, f"not bit-identical: {bad}"
        return
    keys = [k for k in want if k not in _BOOKKEEPING and not k.startswith("path/coef:")]
    errs = {k: rel_err(got[k], want[k]) for k in keys}
    errs["path coefficients"] = rel_err(path_coef(got), path_coef(want))
    bad = {k: v for k, v in errs.items() if not v <= rtol}
    assert not bad, f"differ beyond {rtol}: {bad}"
    assert np.array_equal(got["path/converged"], want["path/converged"])


def load(out, name: str) -> dict[str, np.ndarray]:
    with np.load(out / f"{name}.npz") as z:
        return {k: z[k] for k in z.files}


@pytest.fixture(scope="module")
def local_df(spark, cluster_data):
    return spark.read.parquet(str(cluster_data[0]))


@pytest.fixture(scope="module")
def local_model(spark, cluster_data):
    """The scenario's LassoCV on local[2], reading the files with the cluster's partitioning
    and Arrow batch size (so every partial statistic is computed on the same rows)."""
    from tests.cluster.scenario import SESSION_SQL_CONF, model_arrays

    saved = {k: spark.conf.get(k, None) for k in SESSION_SQL_CONF}
    for k, v in SESSION_SQL_CONF.items():
        spark.conf.set(k, v)
    try:
        df = spark.read.parquet(str(cluster_data[0]))
        return model_arrays(lasso_cv(parallelism=1).fit(df))
    finally:
        for k, v in saved.items():
            spark.conf.unset(k) if v is None else spark.conf.set(k, v)


@pytest.fixture(scope="module")
def numpy_folds(local_df, cluster_data):
    """Per-fold statistics from the rows collected to the driver (fold ids of assign_folds)."""
    from lasso_spark.spark import assign_folds

    pdf = assign_folds(
        local_df, input_cols=FEATURES, label_col=LABEL, weight_col=WEIGHT,
        num_folds=NUM_FOLDS, seed=SEED,
    ).toPandas()
    fold = pdf["fold"].to_numpy()
    X, y, w = pdf[FEATURES].to_numpy(), pdf[LABEL].to_numpy(), pdf[WEIGHT].to_numpy()
    return [SuffStats.from_arrays(X[fold == k], y[fold == k], w[fold == k])
            for k in range(NUM_FOLDS)]


def test_two_executor_jvms_with_their_own_python_workers(cluster_run):
    _, res = cluster_run
    facts = res["facts"]
    assert facts["master"] == "local-cluster[2,1,1024]"
    assert facts["executors_registered"] == 2
    assert len(facts["executor_pids"]) == 2 and -1 not in facts["executor_pids"]
    assert facts["driver_pid"] not in facts["executor_pids"]
    assert len(facts["worker_pids"]) >= 2
    # spark.executor.pyspark.memory is enforced here: RLIMIT_AS of every Python worker
    assert facts["rlimit_as"] == [facts["pyspark_memory_mb"] * 2**20]
    assert facts["rows"] == 24_000 and facts["partitions"] >= 4


def test_statistics_equal_local_and_numpy(cluster_run, local_df, numpy_folds):
    from lasso_spark import compute_stats

    out, res = cluster_run
    assert "equivalence" not in res["errors"], res["errors"].get("equivalence")
    cluster = load(out, "stats")
    local = compute_stats(local_df, input_cols=FEATURES, label_col=LABEL, weight_col=WEIGHT,
                          num_folds=NUM_FOLDS, seed=SEED)
    assert res["equivalence"]["n_rows_read"] == local.n_rows_read == 24_000
    for k in range(NUM_FOLDS):
        got = SuffStats.unpack(cluster[f"fold{k}"])
        assert got.n_rows > 0
        assert got.allclose(local.folds[k], rtol=RTOL), f"fold {k}: cluster vs local[2]"
        assert got.allclose(numpy_folds[k], rtol=RTOL), f"fold {k}: cluster vs numpy"
    assert SuffStats.unpack(cluster["total"]).allclose(local.total, rtol=RTOL)


def test_lasso_cv_equals_local_and_core(cluster_run, local_model, numpy_folds):
    from lasso_spark.ml import mllib_to_core

    out, res = cluster_run
    cluster = load(out, "model")
    assert res["equivalence"]["fold_path_tasks"] == 2  # fold paths ran on the executors
    # two executor JVMs (fold paths solved there) vs local[2], same splits: bit-identical
    assert_same_model(cluster, local_model, rtol=0.0)

    # the core alone on the collected rows: same grid, same CV table, same path
    total = merge_all(numpy_folds)
    pen = mllib_to_core(1.0, 0.8, label_std=total.std_y, label_mean=total.mean_y)
    regs = cluster["cv/regParam"]
    grid = alpha_grid(total, 40, None, l1_ratio=pen.l1_ratio, fit_intercept=True,
                      standardize=True)
    assert rel_err(regs * pen.alpha_per_reg_param, grid) <= RTOL
    core = cv_path(numpy_folds, alphas=regs * pen.alpha_per_reg_param, l1_ratio=pen.l1_ratio,
                   fit_intercept=True, standardize=True, tol=1e-12)
    for k in range(NUM_FOLDS):
        assert rel_err(cluster[f"cv/mseFold{k}"], core.mse_path[k]) <= RTOL, f"fold {k}"
    assert rel_err(cluster["cv/mseMean"], core.mean_mse) <= RTOL
    assert rel_err(path_coef(cluster), core.path.coef) <= RTOL
    assert rel_err(cluster["path/intercept"], core.path.intercept) <= RTOL
    i = int(np.argmin(core.mean_mse))
    assert cluster["regParam"][0] == pytest.approx(regs[i], rel=1e-15)
    assert rel_err(cluster["coefficients"], core.path.coef[i]) <= RTOL


def test_task_failures_leave_the_fit_unchanged(cluster_run):
    out, res = cluster_run
    assert "failures" not in res["errors"], res["errors"].get("failures")
    f = res["failures"]
    # attempt 0 of two partitions died in the statistics stage after 2 batches had been
    # accumulated, and in a shuffle stage before it; the retries succeeded
    for tag, parts in (("instage", (0, 2)), ("prestage", (0, 1))):
        assert f[tag]["failed_tasks"] == 2
        assert f[tag]["n_rows"] == 24_000  # nothing counted twice
        for p in parts:
            assert f"{tag}-p{p}-a0" in f["markers"] and f"{tag}-p{p}-a1-ok" in f["markers"]
    assert_same_model(load(out, "model_instage"), load(out, "model"), rtol=0.0)
    # after a shuffle the rows of a partition arrive in fetch order: equal to rounding
    assert_same_model(load(out, "model_prestage"), load(out, "model_prestage_ref"))
    assert_same_model(load(out, "model_prestage"), load(out, "model"))


def test_lost_executor_leaves_the_fit_unchanged(cluster_run):
    out, res = cluster_run
    assert "executor_loss" not in res["errors"], res["errors"].get("executor_loss")
    loss = res["executor_loss"]
    assert loss["executors_before"] == 2
    assert loss["killed_executor_pid"] in res["facts"]["executor_pids"]
    assert not loss["killed_pid_alive"]  # the executor JVM was SIGKILLed mid-pass
    assert loss["failed_tasks"] >= 1
    assert loss["n_rows"] == 24_000
    assert_same_model(load(out, "model_loss"), load(out, "model"), rtol=0.0)


def test_memory_bound_and_no_rows_on_the_driver(cluster_run):
    out, res = cluster_run
    if "memory" not in res["seconds"]:
        pytest.skip("memory scenario disabled (LASSO_SPARK_CLUSTER_MEMORY_ROWS=0)")
    assert "memory" not in res["errors"], res["errors"].get("memory")
    m = res["memory"]
    gib = 2**30
    assert m["rows_read"] == m["n_rows"]
    assert m["executor_memory"] == "1024m" and m["pyspark_memory_mb"] == 1024
    # the data outweigh any one executor's JVM heap and Python address-space cap
    assert m["in_memory_bytes"] > 1.1 * gib
    peak = m["executor_peak"]
    assert peak["executors_seen"] == 2 and peak["samples"] > 10
    # measured: each executor's Python processes stayed far below the data they reduced
    assert 0 < peak["python_rss"] < m["in_memory_bytes"] / 2
    # only statistics reached the driver: results are capped at 16 MiB, and the driver's
    # Python process never held a fraction of the rows
    assert m["max_result_size"] == "16m"
    assert m["in_memory_bytes"] > 60 * 16 * 2**20
    # the driver's Python grew by a small fraction of the data during the fit (statistics,
    # the path and CV tables); its lifetime peak includes libraries and earlier scenarios
    assert 0 <= m["driver_python_fit_growth"] < m["in_memory_bytes"] / 20
    assert m["nonzero"] >= 10  # the 10 true coefficients were found
