"""Benchmark the one-pass statistics against the scan floor and MLlib (issue 3).

For each width (default 2M rows × 50 features and 1M × 200) a Parquet file is generated with
Spark (reused when present), then timed side by side in one run, best of ``--repeats``, with
the configurations interleaved in every round:

  (a) floor    the same ``mapInArrow`` over the same projection (features and label packed in
               one ``array<double>`` column), only counting rows; (a') the same over ``p + 1``
               separate double columns (the layout before the packing, for reference)
  (b) stats    ``compute_stats`` with K = 0 and K = 5 (hash folds); K = 5 also with the
               partition statistics merged on the executors first (``reduce_groups=2``, the
               path large ``P · K · p²`` takes automatically)
  (c) mllib    ``LinearRegression(elasticNetParam=1, solver="normal", regParam=0.01)``
               (VectorAssembler inside the timed fit)

and prints each time's ratio to (a) and to the faster of (a) and (a') (and (a''), the p + 1
floor in the pass's ~16 MiB Arrow batches, with ``--pass-batch-floor``) (issue 13's goal: stats
K=0 within 1.25× and K=5 within 1.5× of the faster floor; the pass itself picks the packed
column for p ≤ ``PACKED_MAX_FEATURES`` (4096 on Spark 4.0) and the p + 1 columns above, see
``lasso_spark/spark/batch.py``). ``--floors-only`` times just (a) and (a') (where the two
layouts cross). It also reports the peak resident memory of the Python
workers during the pass, normally (many tasks of few rows) and with the whole file read by one
task (``coalesce(1)``): equal figures show memory does not grow with the number of rows; and
the bytes of statistics the driver receives at K = 5 for the file's partitions and for 4× as
many (``repartition``), collected directly vs merged on the executors.

    python -m benchmarks.bench_stats                       # full size
    python -m benchmarks.bench_stats --rows 200000         # quick run (rows of the 50-wide file)
    python -m benchmarks.bench_stats --widths 500,1500 --wide-rows 40000 --skip-mllib
    python -m benchmarks.bench_stats --widths 50,100,200,400 --wide-rows 100000 --floors-only
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]


def _session(args: argparse.Namespace):
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    paths = [str(REPO_ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master(args.master)
        .appName("lasso_spark-bench-stats")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.memory", args.driver_memory)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(args.batch_rows))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _dataset(spark, data_dir: Path, rows: int, p: int, files: int) -> str:
    """Parquet of ``rows × p`` features ``x0..`` plus ``label`` (generated once, then reused)."""
    from pyspark.sql import functions as F

    path = data_dir / f"bench_{rows}x{p}.parquet"
    if (path / "_SUCCESS").exists():
        return str(path)
    t0 = time.perf_counter()
    base = spark.range(0, rows, 1, numPartitions=files)
    feats = [(F.randn(1000 + j) * (1 + j % 7) + j).alias(f"x{j}") for j in range(p)]
    df = base.select(*feats)
    # summed as a balanced tree: a left-deep sum of p / 5 terms overflows the JVM's stack while
    # the expression is converted (StackOverflowError in withColumn at p = 1500)
    terms = [F.col(f"x{j}") * (0.5 - (j % 3)) for j in range(0, p, 5)]
    while len(terms) > 1:
        terms = [a + b for a, b in zip(terms[::2], terms[1::2])] + terms[len(terms) // 2 * 2:]
    label = terms[0] + F.randn(7)
    df.withColumn("label", label).write.mode("overwrite").parquet(str(path))
    print(f"generated {path} in {time.perf_counter() - t0:.1f}s", flush=True)
    return str(path)


def _floor(df, cols: list[str], packed: bool = True, pass_batches: bool = False) -> int:
    """Rows counted by a ``mapInArrow`` over the projection; ``pass_batches``: in the Arrow
    batches the pass uses for wide rows (``lasso_spark.spark.arrow_batches``)."""
    import contextlib

    from pyspark.sql import functions as F

    from lasso_spark.spark.batch import count_rows

    # one SQL expression, as the pass builds it (lasso_spark.spark.inputs)
    casts = ", ".join(f"CAST(`{c}` AS DOUBLE)" for c in cols)
    projected = df.select(F.expr(f"array({casts})" if packed else f"struct({casts})"))
    rows = projected.mapInArrow(count_rows, "n long")
    batches = contextlib.nullcontext()
    if pass_batches:
        from lasso_spark.spark.arrow_batches import batch_rows_at_most, rows_per_batch

        batches = batch_rows_at_most(df.sparkSession, rows_per_batch(len(cols)))
    with batches:
        return sum(r["n"] for r in rows.collect())


def _mllib(df, cols: list[str]) -> None:
    from pyspark.ml.feature import VectorAssembler
    from pyspark.ml.regression import LinearRegression

    vdf = VectorAssembler(inputCols=cols, outputCol="features").transform(df)
    LinearRegression(
        elasticNetParam=1.0, solver="normal", regParam=0.01, standardization=True
    ).fit(vdf)


def _bench_width(spark, path: str, p: int, args: argparse.Namespace) -> list[tuple]:
    from lasso_spark.spark import compute_stats

    df = spark.read.parquet(path)
    cols = [f"x{j}" for j in range(p)]
    configs = {
        "(a) scan floor": lambda: _floor(df, cols + ["label"]),
        "(a') p+1 columns": lambda: _floor(df, cols + ["label"], packed=False),
    }
    if args.pass_batch_floor:
        configs["(a'') p+1, pass batches"] = lambda: _floor(df, cols + ["label"], packed=False,
                                                          pass_batches=True)
    if args.floors_only:
        return _timed_rounds(configs, p, args), [], 0, []
    configs |= {
        "(b) stats K=0": lambda: compute_stats(df, input_cols=cols),
        "(b) stats K=5": lambda: compute_stats(df, input_cols=cols, num_folds=5),
        "(b) stats K=5 merged": lambda: compute_stats(
            df, input_cols=cols, num_folds=5, reduce_groups=2
        ),
    }
    if not args.skip_mllib:
        configs["(c) MLlib normal L1"] = lambda: _mllib(df, cols)
    results: dict = {}
    rows = _timed_rounds(configs, p, args, results)
    n = results["(b) stats K=0"].n_rows_read
    mem = [("many tasks", results["(b) stats K=0"].peak_worker_rss_bytes, n)]
    if not args.skip_mem_check:
        one = compute_stats(df.coalesce(1), input_cols=cols)
        mem.append(("one task (coalesce 1)", one.peak_worker_rss_bytes, one.n_rows_read))
    driver = []
    if not args.skip_driver_check:
        from lasso_spark.spark.reduce import num_partitions

        parts = num_partitions(df) or 8
        for n_parts, frame in ((parts, df), (4 * parts, df.repartition(4 * parts))):
            for groups in (0, 2):
                r = compute_stats(frame, input_cols=cols, num_folds=5, reduce_groups=groups)
                driver.append((p, n_parts, groups, r.driver_result_bytes))
    return rows, mem, n, driver


def tree_cpu_seconds() -> float:
    """CPU seconds (user + system, reaped children included) of this process's descendants:
    the Spark JVM and its Python workers in local mode. Less sensitive than wall time to the
    other jobs of a shared machine."""
    tick = os.sysconf("SC_CLK_TCK")
    stats = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        # after the command: state, ppid, ... utime (14th field overall), stime, cutime, cstime
        stats[int(entry)] = (int(fields[1]), sum(int(v) for v in fields[11:15]))
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, list(children.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        total += stats[pid][1]
        todo += children.get(pid, [])
    return total / tick


def _timed_rounds(configs: dict, p: int, args: argparse.Namespace,
                  results: dict | None = None) -> list[tuple]:
    """Best of ``args.repeats`` rounds (configurations interleaved in each round):
    ``(p, name, seconds, × packed floor, × faster floor, spread, CPU s, CPU × faster floor)``
    per configuration (CPU: the least of the rounds)."""
    times: dict[str, list[float]] = {name: [] for name in configs}
    cpus: dict[str, list[float]] = {name: [] for name in configs}
    for rnd in range(args.repeats):
        for name, run in configs.items():
            c0, t0 = tree_cpu_seconds(), time.perf_counter()
            out = run()
            if results is not None:
                results[name] = out
            dt, dc = time.perf_counter() - t0, tree_cpu_seconds() - c0
            times[name].append(dt)
            cpus[name].append(dc)
            print(f"  p={p} round {rnd + 1}: {name:<22} {dt:7.2f}s  CPU {dc:7.2f}s", flush=True)
    best = {name: min(ts) for name, ts in times.items()}
    cpu = {name: min(cs) for name, cs in cpus.items()}
    floor = best["(a) scan floor"]
    floors = [name for name in best if name.startswith("(a")]
    faster = min(best[name] for name in floors)
    cpu_floor = min(cpu[name] for name in floors)
    return [(p, name, t, t / floor, t / faster, max(times[name]) / t, cpu[name],
             cpu[name] / cpu_floor) for name, t in best.items()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rows", type=int, default=2_000_000, help="rows of the 50-wide file")
    ap.add_argument("--wide-rows", type=int, default=None,
                    help="rows of the 200-wide file (default: rows / 2)")
    ap.add_argument("--widths", default="50,200", help="comma-separated feature counts")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--files", type=int, default=8, help="Parquet files per dataset")
    ap.add_argument("--batch-rows", type=int, default=10_000,
                    help="spark.sql.execution.arrow.maxRecordsPerBatch")
    ap.add_argument("--data-dir", default=None, help="where the Parquet files live (reused)")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--driver-memory", default="4g")
    ap.add_argument("--skip-mllib", action="store_true")
    ap.add_argument("--floors-only", action="store_true",
                    help="time only the two scan floors (a) and (a')")
    ap.add_argument("--pass-batch-floor", action="store_true",
                    help="also time (a'') the p + 1 floor in the Arrow batches the pass uses "
                         "for wide rows (about 16 MiB; the faster floor is then the least of "
                         "the three)")
    ap.add_argument("--skip-mem-check", action="store_true",
                    help="skip the extra one-task pass that shows memory is flat in rows")
    ap.add_argument("--skip-driver-check", action="store_true",
                    help="skip the passes measuring the bytes the driver receives")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    data_dir = Path(args.data_dir or Path(tempfile.gettempdir()) / "lasso_spark_bench")
    data_dir.mkdir(parents=True, exist_ok=True)
    spark = _session(args)
    table, memory, driver = [], [], []
    try:
        for p in (int(w) for w in args.widths.split(",")):
            rows = args.rows if p <= 50 else (args.wide_rows or args.rows // 2)
            path = _dataset(spark, data_dir, rows, p, args.files)
            t, mem, n, drv = _bench_width(spark, path, p, args)
            table += t
            driver += drv
            memory += [(p, label, rss, n_rows) for label, rss, n_rows in mem]
    finally:
        spark.stop()

    from lasso_spark.spark.batch import packed_projection

    print(f"\nbest of {args.repeats}, {args.master}, maxRecordsPerBatch={args.batch_rows}; "
          "the pass reads p <= PACKED_MAX_FEATURES packed, wider as p + 1 columns")
    print(f"{'p':>4}  {'configuration':<22} {'seconds':>8} {'× floor':>8} {'× faster':>9} "
          f"{'max/best':>9} {'CPU s':>8} {'CPU ×':>6}  pass layout")
    for p, name, t, ratio, ratio_fast, spread, cpu, cpu_ratio in table:
        layout = "packed" if packed_projection(p) else "p+1 columns"
        print(f"{p:>4}  {name:<22} {t:8.2f} {ratio:8.2f} {ratio_fast:9.2f} {spread:9.2f} "
              f"{cpu:8.2f} {cpu_ratio:6.2f}  {layout}")
    if memory:
        print("\npeak Python worker RSS during the statistics pass (K=0)")
    for p, label, rss, n_rows in memory:
        print(f"{p:>4}  {label:<24} {n_rows:>10} rows  {rss / 2**20:8.1f} MiB")
    if driver:
        print("\nstatistics bytes received by the driver (K=5)")
        print(f"{'p':>4}  {'partitions':>10}  {'reduction':<22} {'MiB':>8}")
        for p, n_parts, groups, nbytes in driver:
            how = "direct collect" if groups == 0 else f"executor merge, G={groups}"
            print(f"{p:>4}  {n_parts:>10}  {how:<22} {nbytes / 2**20:8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
