"""Statistics pass with K folds: the partials merged on the executors vs collected directly.

One process, one warm-up pass (50 columns, 100 rows), then ``compute_stats(..., num_folds=5)``
on every column of the Parquet file but ``label`` once per mode, in the order given:
``auto`` (the reduction ``compute_stats`` chooses) or a group count (``0`` = collect the
partials directly). Prints wall seconds, the groups used, the bytes the driver received and the
peak Python worker RSS (issue 13: with few partitions, does collecting directly beat the
executor-side merge?)::

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_partials.py \\
        /tmp/lasso_spark_bench/cv_8000x4000_factors.parquet auto,0,auto,0
"""

from __future__ import annotations

import os
import sys
import time


def main(argv: list[str]) -> int:
    path, modes = argv[0], (argv[1] if len(argv) > 1 else "auto,0").split(",")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[2]")
             .config("spark.driver.host", "127.0.0.1")
             .config("spark.driver.bindAddress", "127.0.0.1")
             .config("spark.driver.memory", "4g").config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.execution.arrow.maxRecordsPerBatch", "10000").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    from lasso_spark.spark import compute_stats

    df = spark.read.parquet(path)
    cols = [c for c in df.columns if c != "label"]
    t = time.perf_counter()
    compute_stats(df.limit(100), input_cols=cols[:50], num_folds=5)
    print(f"warm-up {time.perf_counter() - t:.1f} s", flush=True)
    for mode in modes:
        t = time.perf_counter()
        r = compute_stats(df, input_cols=cols, num_folds=5,
                          reduce_groups=None if mode == "auto" else int(mode))
        print(f"K=5 groups={mode}->{r.reduce_groups}: {time.perf_counter() - t:.1f} s, "
              f"driver received {r.driver_result_bytes / 2**20:.0f} MiB, peak worker RSS "
              f"{r.peak_worker_rss_bytes / 2**20:.0f} MiB", flush=True)
    spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
