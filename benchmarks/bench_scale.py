"""Scaling of a LassoCV fit with the number of rows, on separate executor JVMs.

For n = 1M, 2M, 4M, 8M rows at p = 50 (Parquet written once by ``lasso_spark.datagen`` and
reused), fits ``LassoCV`` (5 folds, 50 regParams) in ``local-cluster[2,1,1024]`` — two executor
JVMs with 1 GiB heap and Python workers capped at 1 GiB address space — and reports the wall time
of the fit, the time of its statistics pass, and the peak resident memory of the executors (JVM,
Python processes, both) sampled from /proc, each with its ratio to the smallest run.
Goal: time linear in n (8x rows <= 8.5x time), executor memory flat.

    python benchmarks/bench_scale.py                      # 1M 2M 4M 8M, best of 1
    python benchmarks/bench_scale.py --quick              # 100k 200k 400k 800k
    python benchmarks/bench_scale.py --sizes 1,8 --repeats 3 --data-dir /big/disk --json out.json

Data generation is timed separately and is not part of the ratios; an untimed warm-up fit on a
2% sample starts the executors' Python workers and compiles the solver first. Timings on a
shared machine are noisy: the ratios, measured side by side in one run, are the figures to read.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.clusterkit import (  # noqa: E402
    ExecutorMemorySampler,
    cluster_session,
    driver_jvm_pid,
    wait_for_executors,
)

logger = logging.getLogger("lasso_spark.bench_scale")

MB = 2**20
ROWS_PER_PARTITION = 250_000


def dataset(spark: Any, root: Path, n_rows: int, n_features: int) -> tuple[str, float, int]:
    """Parquet path of ``n_rows`` generated rows (written once), generation seconds, bytes."""
    from lasso_spark.datagen import generate

    path = root / f"gen_n{n_rows}_p{n_features}.parquet"
    seconds = 0.0
    if not (path / "_SUCCESS").exists():
        t0 = time.perf_counter()
        generate(spark, n_rows, n_features, seed=11, weight_col="w", id_col=None,
                 num_partitions=max(2, -(-n_rows // ROWS_PER_PARTITION))).write.mode(
            "overwrite").parquet(str(path))
        seconds = time.perf_counter() - t0
    size = sum(f.stat().st_size for f in path.glob("*.parquet"))
    return str(path), seconds, size


def fit_once(spark: Any, path: str, n_features: int, sample: float | None = None
             ) -> dict[str, Any]:
    from lasso_spark import LassoCV

    df = spark.read.parquet(path)
    if sample is not None:
        df = df.sample(fraction=sample, seed=0)
    cols = [f"x{j}" for j in range(n_features)]
    est = LassoCV(inputCols=cols, labelCol="y", weightCol="w", numFolds=5, seed=1,
                  numRegParams=50, parallelism=1)
    with ExecutorMemorySampler(driver_jvm_pid(spark)) as sampler:
        t0 = time.perf_counter()
        model = est.fit(df)
        wall = time.perf_counter() - t0
    s = model.summary
    return {"wall": wall, "stats": s.statsSeconds, "solve": s.solveSeconds,
            "rows": s.numRows, **{f"peak_{k}": v for k, v in sampler.summary().items()}}


def executor_heap_peaks(spark: Any) -> dict[str, int]:
    """Spark's peak executor metrics (max over executors), from the driver's status store."""
    names = ("JVMHeapMemory", "JVMOffHeapMemory", "ProcessTreeJVMRSSMemory",
             "ProcessTreePythonRSSMemory")
    peaks = dict.fromkeys(names, 0)
    try:
        execs = spark.sparkContext._jsc.sc().statusStore().executorList(False)
        for i in range(execs.size()):
            e = execs.apply(i)
            if e.id() == "driver" or not e.peakMemoryMetrics().isDefined():
                continue
            m = e.peakMemoryMetrics().get()
            for k in names:
                peaks[k] = max(peaks[k], int(m.getMetricValue(k)))
    except Exception:  # internal API: the /proc figures stand on their own
        logger.warning("executor metrics unavailable", exc_info=True)
        return {}
    return peaks


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1,2,4,8", help="rows in millions, comma separated")
    ap.add_argument("--quick", action="store_true", help="sizes 0.1,0.2,0.4,0.8 (M rows)")
    ap.add_argument("--features", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=1, help="best of this many fits per size")
    ap.add_argument("--data-dir", default=None, help="where the Parquet inputs are kept")
    ap.add_argument("--json", default=None, help="also write the results here")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    sizes = [0.1, 0.2, 0.4, 0.8] if args.quick else [float(s) for s in args.sizes.split(",")]
    rows = [int(round(s * 1_000_000)) for s in sizes]
    root = Path(args.data_dir or tempfile.mkdtemp(prefix="lasso_spark_scale_"))
    root.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    spark = cluster_session(app_name="lasso_spark-bench_scale", conf={
        "spark.executor.pyspark.memory": "1g",
        "spark.driver.maxResultSize": "64m",
        "spark.executor.processTreeMetrics.enabled": "true",
    })
    wait_for_executors(spark, 2)
    startup = time.perf_counter() - t0
    print(f"local-cluster[2,1,1024] up in {startup:.1f}s; data in {root}", flush=True)

    data = [dataset(spark, root, n, args.features) for n in rows]
    for n, (_, gen_s, size) in zip(rows, data):
        print(f"  n={n:>9,d}: parquet {size / MB:7.0f} MiB, generated in {gen_s:5.1f}s")
    fit_once(spark, data[0][0], args.features, sample=0.02)  # untimed warm-up
    runs: dict[int, list[dict[str, Any]]] = {n: [] for n in rows}
    for rep in range(args.repeats):  # sizes interleaved in every round: load drifts hit all
        for n, (path, _, _) in zip(rows, data):
            r = fit_once(spark, path, args.features)
            runs[n].append(r)
            print(f"  round {rep + 1}, n={n:>9,d}: fit {r['wall']:7.1f}s "
                  f"(stats pass {r['stats']:6.1f}s)", flush=True)
    heap = executor_heap_peaks(spark)
    results = []
    for n, (_, gen_s, size) in zip(rows, data):
        best = dict(min(runs[n], key=lambda r: r["wall"]))
        best.update(n=n, parquet_bytes=size, generate_seconds=gen_s,
                    peak_python_rss=max(r["peak_python_rss"] for r in runs[n]),
                    peak_jvm_rss=max(r["peak_jvm_rss"] for r in runs[n]),
                    peak_total_rss=max(r["peak_total_rss"] for r in runs[n]))
        results.append(best)
    spark.stop()

    base = results[0]
    print()
    print(f"LassoCV 5 folds x 50 regParams, p={args.features}, local-cluster[2,1,1024], "
          f"pyspark.memory=1g; best of {args.repeats}")
    head = (f"{'rows':>10} {'rows x':>7} {'fit s':>8} {'time x':>7} {'stats s':>8} "
            f"{'JVM MiB':>8} {'Py MiB':>7} {'total MiB':>9} {'mem x':>6}")
    print(head)
    print("-" * len(head))
    for r in results:
        print(f"{r['n']:>10,d} {r['n'] / base['n']:>7.1f} {r['wall']:>8.1f} "
              f"{r['wall'] / base['wall']:>7.2f} {r['stats']:>8.1f} "
              f"{r['peak_jvm_rss'] / MB:>8.0f} {r['peak_python_rss'] / MB:>7.0f} "
              f"{r['peak_total_rss'] / MB:>9.0f} "
              f"{r['peak_total_rss'] / max(base['peak_total_rss'], 1):>6.2f}")
    if heap:
        print(f"Spark's own peak executor metrics over the run (largest executor): JVM heap "
              f"{heap['JVMHeapMemory'] / MB:.0f} MiB of {1024} MiB, Python RSS "
              f"{heap['ProcessTreePythonRSSMemory'] / MB:.0f} MiB")
    last = results[-1]
    growth, time_x = last["n"] / base["n"], last["wall"] / base["wall"]
    goal = growth * 8.5 / 8.0
    print(f"\n{growth:.0f}x rows -> {time_x:.2f}x time (goal <= {goal:.2f}x): "
          f"{'met' if time_x <= goal else 'NOT met'}; executor memory x"
          f"{last['peak_total_rss'] / max(base['peak_total_rss'], 1):.2f}")
    if args.json:
        import pyspark

        meta = {"executor_metric_peaks": heap, "python": platform.python_version(),
                "pyspark": pyspark.__version__,
                "machine": platform.machine(), "date": time.strftime("%Y-%m-%d"),
                "startup_seconds": startup}
        Path(args.json).write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
