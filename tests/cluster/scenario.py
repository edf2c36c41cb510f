"""The cluster scenario: run in its own process by ``tests/cluster`` (one SparkContext per
process, and the test run already holds a ``local[2]`` one).

Starts ``local-cluster[2,1,1024]`` (two executor JVMs, 1 core and 1 GiB each, Python workers
capped by ``spark.executor.pyspark.memory``) and runs, on Parquet data written by the test:

- ``facts``: executor JVMs and Python worker processes seen by tasks, their address-space limit;
- ``equivalence``: ``compute_stats`` and a ``LassoCV`` fit (fold paths as Spark tasks);
- ``failures``: the same fit while tasks fail on their first attempt (in the statistics stage
  after part of the partition was consumed, and in a shuffle stage before it);
- ``memory``: datagen → Parquet larger than the executors' memory, then ``LassoCV`` on it with
  ``spark.driver.maxResultSize`` far below the data size and executor RSS sampled from /proc;
- ``executor_loss``: the fit while one executor JVM is SIGKILLed in the middle of the pass.

Results go to ``<out>/results.json`` and ``<out>/<name>.npz`` (no pickle).

    python tests/cluster/scenario.py --data DIR --out DIR [--memory-rows N] [--only a,b]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import signal
import sys
import time
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.clusterkit import (  # noqa: E402
    ExecutorMemorySampler,
    cluster_session,
    driver_jvm_pid,
    executor_jvm_pid,
    wait_for_executors,
)

logger = logging.getLogger("lasso_spark.cluster_scenario")

FEATURES = [f"x{j}" for j in range(12)]
LABEL, WEIGHT = "y", "w"
NUM_FOLDS, SEED = 5, 7
PYSPARK_MEMORY_MB = 1024
MAX_RESULT_SIZE = "16m"
#: SQL settings of the cluster session that shape the partial statistics (input splits and
#: Arrow batches); the test applies them to local[2] to compare bit for bit
SESSION_SQL_CONF = {
    "spark.sql.files.maxPartitionBytes": "1m",
    "spark.sql.execution.arrow.maxRecordsPerBatch": "1000",
}
ALL = ("facts", "equivalence", "failures", "memory", "executor_loss")


def lasso_cv(**kw: Any) -> Any:
    """The LassoCV every scenario fits (the test fits the same on local[2])."""
    from lasso_spark import LassoCV

    params = dict(
        inputCols=FEATURES, labelCol=LABEL, weightCol=WEIGHT, numFolds=NUM_FOLDS, seed=SEED,
        numRegParams=40, elasticNetParam=0.8, tol=1e-12,
    )
    params.update(kw)
    return LassoCV(**params)


def model_arrays(model: Any) -> dict[str, np.ndarray]:
    """Every number a fitted model reports: coefficients, path and CV tables."""
    out = {
        "coefficients": model.coefficients.toArray(),
        "intercept": np.array([model.intercept]),
        "regParam": np.array([model.regParam]),
    }
    for name, table in (("path", model.path), ("cv", model.cvResults)):
        for col in table.columns:
            values = table[col].to_numpy()
            if values.dtype.kind in "fiub":
                out[f"{name}/{col}"] = values.astype(np.float64)
    return out


def stats_arrays(res: Any) -> dict[str, np.ndarray]:
    out = {f"fold{k}": s.pack() for k, s in enumerate(res.folds)}
    out["total"] = res.total.pack()
    return out


# ------------------------------------------------------------------------------- task probes
def _probe(batches: Iterator[Any]) -> Iterator[Any]:
    import pyarrow as pa
    from pyspark import TaskContext

    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    ctx = TaskContext.get()
    n = sum(b.num_rows for b in batches)
    yield pa.RecordBatch.from_pydict({
        "partition": [ctx.partitionId()],
        "worker_pid": [os.getpid()],
        "executor_pid": [executor_jvm_pid() or -1],
        "rlimit_as": [-1 if soft == resource.RLIM_INFINITY else int(soft)],
        "rows": [n],
    })


def _fail_first_attempt(marker_dir: str, tag: str, partitions: tuple[int, ...], after: int):
    """mapInArrow body: identity, except that on attempt 0 of ``partitions`` it raises after
    passing ``after`` batches downstream (leaving a marker file for the test to count)."""

    def body(batches: Iterator[Any]) -> Iterator[Any]:
        from pyspark import TaskContext

        ctx = TaskContext.get()
        doomed = ctx.attemptNumber() == 0 and ctx.partitionId() in partitions
        for i, batch in enumerate(batches):
            if doomed and i == after:
                Path(marker_dir, f"{tag}-p{ctx.partitionId()}-a0").touch()
                raise RuntimeError(f"injected failure: {tag}, partition {ctx.partitionId()}")
            yield batch
        Path(marker_dir, f"{tag}-p{ctx.partitionId()}-a{ctx.attemptNumber()}-ok").touch()

    return body


def _kill_executor_once(marker_dir: str, partition: int, after: int):
    """mapInArrow body: identity; the first time ``partition`` has passed ``after`` batches,
    SIGKILL the executor JVM running it (once per scenario: an O_EXCL marker file)."""

    def body(batches: Iterator[Any]) -> Iterator[Any]:
        from pyspark import TaskContext

        ctx = TaskContext.get()
        for i, batch in enumerate(batches):
            if ctx.partitionId() == partition and i == after:
                try:
                    fd = os.open(Path(marker_dir, "executor-killed"), os.O_CREAT | os.O_EXCL
                                 | os.O_WRONLY)
                except FileExistsError:
                    fd = None
                if fd is not None:
                    jvm = executor_jvm_pid()
                    os.write(fd, f"{jvm} {ctx.attemptNumber()}".encode())
                    os.close(fd)
                    if jvm:
                        os.kill(jvm, signal.SIGKILL)
                        time.sleep(30)  # the task dies with its JVM
            yield batch

    return body


class JobGroup:
    """Failed task attempts of the jobs run under one job group (Spark's status tracker)."""

    def __init__(self, spark: Any) -> None:
        self.sc = spark.sparkContext
        self.group = f"cluster-{uuid.uuid4().hex}"

    def __enter__(self) -> JobGroup:
        self.sc.setJobGroup(self.group, "lasso_spark cluster scenario")
        return self

    def __exit__(self, *exc: object) -> None:
        self.sc.setLocalProperty("spark.jobGroup.id", None)

    def failed_tasks(self) -> int:
        tracker = self.sc.statusTracker()
        total = 0
        for job in tracker.getJobIdsForGroup(self.group):
            info = tracker.getJobInfo(job)
            for stage in info.stageIds if info else []:
                s = tracker.getStageInfo(stage)
                total += s.numFailedTasks if s else 0
        return total


# ---------------------------------------------------------------------------------- scenarios
def facts(spark: Any, data: str, out: Path, results: dict) -> None:
    df = spark.read.parquet(data)
    rows = df.mapInArrow(
        _probe, "partition long, worker_pid long, executor_pid long, rlimit_as long, rows long"
    ).collect()
    results["facts"] = {
        "master": spark.sparkContext.master,
        "spark_version": spark.version,
        "executors_registered": wait_for_executors(spark, 2, timeout=1),
        "partitions": len(rows),
        "rows": sum(r["rows"] for r in rows),
        "executor_pids": sorted({r["executor_pid"] for r in rows}),
        "worker_pids": sorted({r["worker_pid"] for r in rows}),
        "rlimit_as": sorted({r["rlimit_as"] for r in rows}),
        "pyspark_memory_mb": PYSPARK_MEMORY_MB,
        "driver_pid": os.getpid(),
    }


def equivalence(spark: Any, data: str, out: Path, results: dict) -> None:
    from lasso_spark import compute_stats

    df = spark.read.parquet(data)
    res = compute_stats(df, input_cols=FEATURES, label_col=LABEL, weight_col=WEIGHT,
                        num_folds=NUM_FOLDS, seed=SEED)
    np.savez(out / "stats.npz", **stats_arrays(res))
    t0 = time.perf_counter()
    model = lasso_cv(parallelism=2).fit(df)  # fold paths as 2 Spark tasks on the executors
    np.savez(out / "model.npz", **model_arrays(model))
    results["equivalence"] = {
        "n_rows_read": res.n_rows_read,
        "fit_seconds": time.perf_counter() - t0,
        "fold_path_tasks": model.summary.extra["foldPathTasks"],
    }


def failures(spark: Any, data: str, out: Path, results: dict) -> None:
    markers = out / "markers"
    markers.mkdir(exist_ok=True)
    df = spark.read.parquet(data)
    report: dict[str, Any] = {}
    # 1. the statistics stage itself: attempt 0 of partitions 0 and 2 dies after 2 batches
    #    have already been accumulated; the retry must not count them twice.
    flaky = df.mapInArrow(_fail_first_attempt(str(markers), "instage", (0, 2), 2), df.schema)
    with JobGroup(spark) as jobs:
        model = lasso_cv(parallelism=1).fit(flaky)
    np.savez(out / "model_instage.npz", **model_arrays(model))
    report["instage"] = {"failed_tasks": jobs.failed_tasks(),
                         "n_rows": model.summary.numRows}
    # 2. a shuffle-map stage before the pass fails; the pass reads the shuffled rows
    flaky = df.mapInArrow(_fail_first_attempt(str(markers), "prestage", (0, 1), 1), df.schema)
    with JobGroup(spark) as jobs:
        model = lasso_cv(parallelism=1).fit(flaky.repartition(3))
    np.savez(out / "model_prestage.npz", **model_arrays(model))
    report["prestage"] = {"failed_tasks": jobs.failed_tasks(),
                          "n_rows": model.summary.numRows}
    model = lasso_cv(parallelism=1).fit(df.repartition(3))  # its fault-free twin
    np.savez(out / "model_prestage_ref.npz", **model_arrays(model))
    report["markers"] = sorted(p.name for p in markers.iterdir())
    results["failures"] = report


def _status_bytes(field: str) -> int:
    """``VmRSS`` / ``VmHWM`` of this process from /proc/self/status, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def _reset_peak_rss() -> int:
    """Reset this process's peak RSS (VmHWM) to its current RSS (Linux ``clear_refs`` 5)."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_bytes("VmRSS")


def memory(spark: Any, data: str, out: Path, results: dict, *, n_rows: int,
           n_features: int, source: str) -> None:
    """LassoCV on ``n_rows x n_features`` generated rows: streamed straight from the generator
    (``source="stream"``) or written to Parquet first and read back (``"parquet"``)."""
    from lasso_spark import LassoCV
    from lasso_spark.datagen import generate

    gen = generate(spark, n_rows, n_features, seed=3, weight_col="w", id_col=None,
                   num_partitions=max(4, n_rows // 250_000))
    gen_s, on_disk = 0.0, 0
    if source == "parquet":
        path = str(out / "big.parquet")
        t0 = time.perf_counter()
        gen.write.parquet(path)
        gen_s = time.perf_counter() - t0
        on_disk = sum(f.stat().st_size for f in Path(path).glob("*.parquet"))
        df = spark.read.parquet(path)
    else:
        df = gen
    cols = [f"x{j}" for j in range(n_features)]
    driver_before = _reset_peak_rss()
    t0 = time.perf_counter()
    with ExecutorMemorySampler(driver_jvm_pid(spark)) as sampler:
        model = LassoCV(inputCols=cols, labelCol="y", weightCol="w", numFolds=NUM_FOLDS,
                        seed=SEED, numRegParams=30).fit(df)
    fit_s = time.perf_counter() - t0
    results["memory"] = {
        "source": source,
        "n_rows": n_rows,
        "n_features": n_features,
        "rows_read": model.summary.numRows,
        "in_memory_bytes": n_rows * (n_features + 2) * 8,
        "parquet_bytes": on_disk,
        "executor_memory": spark.conf.get("spark.executor.memory"),
        "pyspark_memory_mb": PYSPARK_MEMORY_MB,
        "max_result_size": spark.conf.get("spark.driver.maxResultSize"),
        "generate_seconds": gen_s,
        "fit_seconds": fit_s,
        "executor_peak": sampler.summary(),
        "driver_python_peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        # peak RSS of this driver process during the fit, above its RSS just before it
        "driver_python_fit_growth": _status_bytes("VmHWM") - driver_before,
        "nonzero": int(np.count_nonzero(model.coefficients.toArray())),
    }


def executor_loss(spark: Any, data: str, out: Path, results: dict) -> None:
    markers = out / "markers-loss"
    markers.mkdir(exist_ok=True)
    before = wait_for_executors(spark, 2, timeout=120)
    df = spark.read.parquet(data)
    doomed = df.mapInArrow(_kill_executor_once(str(markers), 1, 2), df.schema)
    t0 = time.perf_counter()
    with JobGroup(spark) as jobs:
        model = lasso_cv(parallelism=1).fit(doomed)
    np.savez(out / "model_loss.npz", **model_arrays(model))
    killed = (markers / "executor-killed").read_text().split()
    results["executor_loss"] = {
        "executors_before": before,
        "killed_executor_pid": int(killed[0]),
        "killed_pid_alive": Path(f"/proc/{killed[0]}").exists(),
        "failed_tasks": jobs.failed_tasks(),
        "n_rows": model.summary.numRows,
        "fit_seconds": time.perf_counter() - t0,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="Parquet written by the test")
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", default=",".join(ALL))
    ap.add_argument("--memory-rows", type=int, default=0, help="0 skips the memory scenario")
    ap.add_argument("--memory-features", type=int, default=50)
    ap.add_argument("--memory-source", choices=("stream", "parquet"), default="stream")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"errors": {}, "seconds": {}}
    t0 = time.perf_counter()
    spark = cluster_session(conf={
        "spark.task.maxFailures": "2",
        "spark.executor.pyspark.memory": f"{PYSPARK_MEMORY_MB}m",
        "spark.driver.memory": "1g",
        "spark.driver.maxResultSize": MAX_RESULT_SIZE,
        **SESSION_SQL_CONF,
        # a killed executor is replaced by the standalone Master; keep its retry budget
        "spark.excludeOnFailure.enabled": "false",
    })
    results["executors_at_start"] = wait_for_executors(spark, 2)
    results["seconds"]["startup"] = time.perf_counter() - t0
    wanted = [s for s in args.only.split(",") if s]
    for name in ALL:
        if name not in wanted or (name == "memory" and args.memory_rows <= 0):
            continue
        t = time.perf_counter()
        try:
            if name == "memory":
                memory(spark, args.data, out, results, n_rows=args.memory_rows,
                       n_features=args.memory_features, source=args.memory_source)
            else:
                globals()[name](spark, args.data, out, results)
        except Exception:
            results["errors"][name] = traceback.format_exc()
        results["seconds"][name] = time.perf_counter() - t
        (out / "results.json").write_text(json.dumps(results, indent=2))
    spark.stop()
    (out / "results.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
