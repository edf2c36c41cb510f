"""What validating every row costs when scoring: ``LassoModel.transform`` and the score job's
counting, side by side with a bare prediction expression (no checks), in one run.

    python -m benchmarks.bench_score                     # 2M rows x 50 columns / vector
    python -m benchmarks.bench_score --rows 200000 --repeats 1

Rows (best of ``--repeats``, written to Spark's ``noop`` sink so that only the expression and the
scan are timed): (a) the bare sum ``b0 + Σ c_j x_j`` over the non-zero coefficients — the floor;
(a') the same sum over every input column (zero coefficients as ``x·0``): the scan a check of
every column cannot avoid; (b) ``transform`` with ``handleInvalid="keep"`` (every row checked:
null, NaN, ±inf, overflow);
(c) (b) plus the score job's ``observe`` counters (rows read, rows invalid) in the same pass.
Inputs: numeric columns and a dense vector column, one third of the coefficients zero.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from functools import reduce

import numpy as np


def _session():
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    spark = (SparkSession.builder.master("local[2]").appName("bench_score")
             .config("spark.driver.host", "127.0.0.1")
             .config("spark.driver.bindAddress", "127.0.0.1")
             .config("spark.ui.enabled", "false").config("spark.driver.memory", "4g")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _data(spark, rows: int, p: int, data_dir: str) -> str:
    from pyspark.ml.functions import array_to_vector
    from pyspark.sql import functions as F

    path = os.path.join(data_dir, f"score_{rows}_{p}.parquet")
    if not os.path.exists(path):
        cols = [F.rand(j).alias(f"x{j}") for j in range(p)]
        df = spark.range(rows).select("id", *cols)
        df.withColumn("features", array_to_vector(F.array(*[f"x{j}" for j in range(p)]))) \
            .write.parquet(path)
    return path


def _best(build, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        build().write.format("noop").mode("overwrite").save()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--features", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--data-dir", default=tempfile.gettempdir())
    args = ap.parse_args(argv)

    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    from lasso_spark.ml import LassoModel

    spark = _session()
    p = args.features
    df = spark.read.parquet(_data(spark, args.rows, p, args.data_dir))
    coef = np.where(np.arange(p) % 3 == 0, 0.0, np.linspace(-1, 1, p))
    names = [f"x{j}" for j in range(p)]
    print(f"load average {os.getloadavg()[0]:.2f}; {args.rows} rows x {p} features, "
          f"best of {args.repeats}")
    for kind in ("columns", "vector"):
        model = LassoModel(coef, 0.5, featureNames=names).setHandleInvalid("keep")
        if kind == "columns":
            model.setInputCols(names)
            xs = [F.col(n) for n in names]
        else:
            model.setFeaturesCol("features")
            arr = vector_to_array(F.col("features"))
            xs = [F.element_at(arr, j + 1) for j in range(p)]
        bare = reduce(lambda a, b: a + b, [F.lit(float(c)) * x for c, x in zip(coef, xs) if c],
                      F.lit(0.5))
        t_a = _best(lambda bare=bare: df.select("id", bare.alias("prediction")), args.repeats)
        # (a') the same sum reading every input column (zero coefficients as x * 0): what any
        # check of every column must at least read
        every = reduce(lambda a, b: a + b, [F.lit(float(c)) * x for c, x in zip(coef, xs)],
                       F.lit(0.5))
        t_a2 = _best(lambda every=every: df.select("id", every.alias("prediction")),
                     args.repeats)
        t_b = _best(lambda model=model: model.transform(df).select("id", "prediction"),
                    args.repeats)

        def observed(model=model):  # what the score job writes
            frame, checks, _ = model.scoringFrame(df)
            counters = model.invalidCountColumns(df, checks)
            obs = Observation()
            return frame.observe(obs, counters["rows"].alias("rows"),
                                 counters["invalid"].alias("invalid")) \
                .select("id", F.when(checks.valid, checks.value).alias("prediction"))

        t_c = _best(observed, args.repeats)
        print(f"{kind:8s} (a) bare {t_a:6.2f} s  (a') every column {t_a2:6.2f} s  "
              f"(b) transform, checked {t_b:6.2f} s ({t_b / t_a:4.2f}x a, {t_b / t_a2:4.2f}x a')"
              f"  (c) + job counters {t_c:6.2f} s ({t_c / t_a:4.2f}x a, {t_c / t_a2:4.2f}x a')")
    spark.stop()


if __name__ == "__main__":
    main()
