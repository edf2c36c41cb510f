"""LogisticLassoCV (K folds × a full regParam path) against Spark MLlib, side by side.

In one run, on the same Parquet file (default 1M rows × 50 correlated features, binary label;
generated with numpy if missing):

  A. lasso_spark ``LogisticLassoCV``: ``--folds`` folds × ``--reg-params`` regParams;
  A'. the same with ``cacheInput=True`` (``--skip-cached`` to skip);
  B. one MLlib ``LogisticRegression(elasticNetParam=1)`` fit at A's chosen regParam (MLlib's
     defaults: maxIter 100, tol 1e-6; its input assembled by ``VectorAssembler``);
  C. pyspark ``CrossValidator`` over MLlib ``LogisticRegression``, ``--folds`` folds ×
     ``--cv-reg-params`` regParams (``parallelism=2``; ``--skip-crossvalidator`` to skip).

Input reads are counted with Spark's input metrics (the ``inputRecords`` of every stage, from
the application's REST API, divided by the number of rows). Wall seconds, best of ``--repeats``,
with the machine's load average: the machine is shared, read the RATIOS.

Designs (``--design``): ``factors`` (3 common factors + noise, the default), ``equi``
(equicorrelated 0.5), ``dup`` (pairs of near-duplicate columns, correlation 0.99).

    python benchmarks/bench_logistic.py                         # the full 1M × 50 run
    python benchmarks/bench_logistic.py --quick                 # 100k × 20
    python benchmarks/bench_logistic.py --skip-crossvalidator   # A and B only
    python benchmarks/bench_logistic.py --in-flight 24          # 24 regParams per model per pass
    python benchmarks/bench_logistic.py --cache-input           # A with cacheInput=True, no A'
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
logger = logging.getLogger("bench_logistic")


def _session(driver_memory: str):
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    paths = [str(REPO), *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    sys.path.insert(0, str(REPO))
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("lasso_spark-bench_logistic")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.memory", driver_memory)
        .config("spark.ui.enabled", "true")  # the REST API serves the input metrics
        .config("spark.ui.port", "0")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _generate(path: Path, rows: int, p: int, design: str, seed: int) -> None:
    """Binary labels from a sparse logistic model of correlated features, in 200k-row groups."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    beta = np.zeros(p)
    k = min(10, p)
    idx = rng.choice(p, k, replace=False)
    beta[idx] = rng.uniform(0.3, 1.0, k) * rng.choice([-1.0, 1.0], k)
    load = rng.normal(size=(3, p))
    writer = None
    for start in range(0, rows, 200_000):
        m = min(200_000, rows - start)
        if design == "factors":
            X = 0.7 * rng.normal(size=(m, 3)) @ load + rng.normal(size=(m, p))
        elif design == "equi":
            X = np.sqrt(0.5) * rng.normal(size=(m, 1)) + np.sqrt(0.5) * rng.normal(size=(m, p))
        else:  # near-duplicate pairs
            base = rng.normal(size=(m, (p + 1) // 2))
            X = np.repeat(base, 2, axis=1)[:, :p] + 0.1 * rng.normal(size=(m, p))
        X = X * np.linspace(0.5, 3.0, p) + np.linspace(-2.0, 5.0, p)
        Xs = (X - np.linspace(-2.0, 5.0, p)) / np.linspace(0.5, 3.0, p)
        eta = -0.5 + Xs @ beta
        y = (rng.uniform(size=m) < 1.0 / (1.0 + np.exp(-eta))).astype(np.float64)
        table = pa.table({**{f"x{j}": X[:, j] for j in range(p)}, "y": y})
        if writer is None:
            writer = pq.ParquetWriter(str(path), table.schema)
        writer.write_table(table, row_group_size=100_000)
    writer.close()


class InputMeter:
    """Input records read by the application's completed stages (Spark's input metrics)."""

    def __init__(self, spark) -> None:
        sc = spark.sparkContext
        self.url = f"{sc.uiWebUrl}/api/v1/applications/{sc.applicationId}/stages?status=complete"

    def records(self) -> int:
        return int(sum(s.get("inputRecords", 0) for s in self._stages()))

    def task_seconds(self) -> tuple[float, float]:
        """``(run, JVM CPU)`` seconds summed over the completed stages' tasks (the run time
        includes the Python worker's time inside each task; the CPU time is the JVM's only)."""
        stages = self._stages()
        run = sum(s.get("executorRunTime", 0) for s in stages) / 1e3
        cpu = sum(s.get("executorCpuTime", 0) for s in stages) / 1e9
        return float(run), float(cpu)

    def _stages(self) -> list:
        with urllib.request.urlopen(self.url, timeout=30) as fh:
            return json.load(fh)


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _spread(seconds: list[float]) -> str:
    """Total, median, min and max seconds of the passes."""
    x = np.asarray(seconds, dtype=float)
    if x.size == 0:
        return "none"
    return (f"{x.sum():.1f} s total, median {np.median(x):.2f} s "
            f"({x.min():.2f}-{x.max():.2f})")


def _timed(fn, meter: InputMeter, repeats: int):
    best, result, reads = float("inf"), None, None
    for _ in range(repeats):
        before = meter.records()
        t0 = time.perf_counter()
        result = fn()
        dt = time.perf_counter() - t0
        time.sleep(1.0)  # let the listener bus deliver the last stage's metrics
        reads = meter.records() - before
        best = min(best, dt)
    return best, result, reads


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--features", type=int, default=50)
    ap.add_argument("--design", choices=("factors", "equi", "dup"), default="factors")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--reg-params", type=int, default=100)
    ap.add_argument("--cv-reg-params", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--data-dir", default="/tmp/lasso_spark_bench_logistic")
    ap.add_argument("--driver-memory", default="4g")
    ap.add_argument("--skip-crossvalidator", action="store_true")
    ap.add_argument("--skip-cached", action="store_true", help="skip A' (cacheInput=True)")
    ap.add_argument("--cache-input", action="store_true",
                    help="A itself with cacheInput=True (and no A'): a shorter run of A' vs B")
    ap.add_argument("--quick", action="store_true", help="100k rows × 20 features")
    ap.add_argument("--in-flight", type=int, default=None,
                    help="A's regParamsInFlight (default: the estimator's, 12)")
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args(argv)
    if args.quick:
        args.rows, args.features = 100_000, 20
    logging.basicConfig(level=logging.WARNING)
    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / f"logit_{args.design}_{args.rows}_{args.features}.parquet"
    if not path.exists():
        print(f"generating {path} ...", flush=True)
        _generate(path, args.rows, args.features, args.design, seed=1)
    spark = _session(args.driver_memory)
    meter = InputMeter(spark)
    df = spark.read.parquet(str(path))
    cols = [f"x{j}" for j in range(args.features)]
    n = args.rows
    out: dict = {"rows": n, "features": args.features, "design": args.design,
                 "folds": args.folds, "regParams": args.reg_params, "loadBefore": _load()}
    print(f"{n:,} rows x {args.features} features ({args.design}), local[2], "
          f"load {out['loadBefore']}", flush=True)

    from lasso_spark import LogisticLassoCV

    est = LogisticLassoCV(inputCols=cols, labelCol="y", numFolds=args.folds,
                          numRegParams=args.reg_params)
    if args.in_flight is not None:
        est.setRegParamsInFlight(args.in_flight)
    if args.cache_input:
        est.setCacheInput(True)
        args.skip_cached = True
    out["cacheInput"] = bool(args.cache_input)
    tasks0 = meter.task_seconds()
    t_a, model, reads_a = _timed(lambda: est.fit(df), meter, args.repeats)
    tasks1 = meter.task_seconds()
    s = model.summary.asDict()
    passes_s = float(sum(s["passSeconds"]))
    split = {"statsSeconds": float(s["statsSeconds"]), "passesSeconds": passes_s,
             "driverSeconds": float(s["solveSeconds"]) - passes_s,
             "taskRunSeconds": tasks1[0] - tasks0[0], "taskJvmCpuSeconds": tasks1[1] - tasks0[1]}
    out["lasso_spark"] = {"seconds": t_a, "inputReads": reads_a / n, "passes": s["numDataPasses"],
                          "pathLength": s["pathLength"], "regParam": model.regParam,
                          "nonzeros": model.numNonzeros, "converged": s["converged"],
                          "modelsInFlightPerPass": s["modelsInFlightPerPass"],
                          "passSeconds": [round(x, 2) for x in s["passSeconds"]], **split}
    print(f"A LogisticLassoCV {args.folds} folds x {args.reg_params} regParams"
          f"{' (cacheInput=True)' if args.cache_input else ''}: {t_a:.1f} s, "
          f"input read {reads_a / n:.2f} times ({s['numDataPasses']} passes, path of "
          f"{s['pathLength']}), regParam {model.regParam:.6g}, {model.numNonzeros} non-zeros; "
          f"logistic passes {_spread(s['passSeconds'])}", flush=True)
    print(f"  where A's {t_a:.1f} s go: statistics pass (the application's first job) "
          f"{split['statsSeconds']:.1f} s, logistic passes {passes_s:.1f} s, driver between "
          f"and after the passes {split['driverSeconds']:.1f} s; tasks ran "
          f"{split['taskRunSeconds']:.1f} s in all (2 task slots: executors busy "
          f"{split['taskRunSeconds'] / (2 * t_a):.0%} of A's wall time), of which JVM CPU "
          f"{split['taskJvmCpuSeconds']:.1f} s", flush=True)

    if not args.skip_cached:
        cached_est = est.copy({est.cacheInput: True})
        t_a2, model2, reads_a2 = _timed(lambda: cached_est.fit(df), meter, args.repeats)
        s2 = model2.summary.asDict()
        cache_reads = s2["numDataPasses"] - 1 if s2["inputCached"] else 0
        diff2 = float(np.abs(model2.coefficients.toArray() - model.coefficients.toArray()).max())
        out["lasso_spark_cached"] = {"seconds": t_a2, "inputReads": reads_a2 / n,
                                     "cacheReads": cache_reads, "passes": s2["numDataPasses"],
                                     "regParam": model2.regParam, "maxCoefDiffToA": diff2,
                                     "passSeconds": [round(x, 2) for x in s2["passSeconds"]]}
        print(f"A' the same with cacheInput=True: {t_a2:.1f} s, input records read "
              f"{reads_a2 / n:.2f} times (Spark's input metrics; a cached batch counts one "
              f"record), the cache read by {cache_reads} passes of {s2['numDataPasses']}, "
              f"regParam {model2.regParam:.6g}, max coefficient difference to A {diff2:.1e}; "
              f"logistic passes {_spread(s2['passSeconds'])}", flush=True)

    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import VectorAssembler

    assembled = VectorAssembler(inputCols=cols, outputCol="features").transform(df)
    lr = LogisticRegression(featuresCol="features", labelCol="y", elasticNetParam=1.0)
    t_b, ml, reads_b = _timed(lambda: lr.copy({lr.regParam: model.regParam}).fit(assembled),
                              meter, args.repeats)
    diff = float(np.abs(ml.coefficients.toArray() - model.coefficients.toArray()).max())
    out["mllib_fit"] = {"seconds": t_b, "inputReads": reads_b / n,
                        "iterations": ml.summary.totalIterations, "maxCoefDiff": diff}
    print(f"B MLlib LogisticRegression at that regParam: {t_b:.1f} s, input read "
          f"{reads_b / n:.2f} times, {ml.summary.totalIterations} iterations; max coefficient "
          f"difference {diff:.2e}", flush=True)
    print(f"  A / B = {t_a / t_b:.3f} (goal <= 1), A reads {reads_a / n:.1f} (goal <= 30)",
          flush=True)
    if "lasso_spark_cached" in out:
        print(f"  A' / B = {out['lasso_spark_cached']['seconds'] / t_b:.3f}", flush=True)
    if not args.skip_crossvalidator:
        from pyspark.ml.evaluation import BinaryClassificationEvaluator
        from pyspark.ml.tuning import CrossValidator, ParamGridBuilder

        regs = np.geomspace(model.summary.asDict()["regParamMax"], model.regParam / 10,
                            args.cv_reg_params).tolist()
        grid = ParamGridBuilder().addGrid(lr.regParam, regs).build()
        cv = CrossValidator(estimator=lr, estimatorParamMaps=grid, numFolds=args.folds,
                            evaluator=BinaryClassificationEvaluator(labelCol="y"),
                            parallelism=2, seed=1)
        t_c, _, reads_c = _timed(lambda: cv.fit(assembled), meter, 1)
        out["crossvalidator"] = {"seconds": t_c, "inputReads": reads_c / n,
                                 "fits": args.folds * args.cv_reg_params + 1}
        print(f"C MLlib CrossValidator {args.folds} folds x {args.cv_reg_params} regParams: "
              f"{t_c:.1f} s, input read {reads_c / n:.1f} times; A / C = {t_a / t_c:.4f}",
              flush=True)
    out["loadAfter"] = _load()
    print(f"load after: {out['loadAfter']}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
