"""LassoCV (K folds × a full regParam path, one pass) against Spark MLlib, side by side.

In one run, on the same Parquet file (default 2M rows × 50 features, generated with Spark if
missing):

  A. lasso_spark ``LassoCV``: ``--folds`` folds × ``--reg-params`` regParams (one data pass);
  B. one MLlib ``LinearRegression(elasticNetParam=1)`` fit at a single regParam (A's choice);
  C. pyspark ``CrossValidator`` over MLlib ``LinearRegression``: ``--folds`` folds ×
     ``--cv-reg-params`` regParams, ``parallelism=2``.

Timings are wall seconds, best of ``--repeats``; the machine is shared, so read the RATIOS.
Then, on an in-memory sample with fold ids assigned up front, LassoCV's chosen regParam is
compared with scikit-learn ``LassoCV`` given the same folds and grid.

    python benchmarks/bench_cv.py                       # the full 2M × 50 run
    python benchmarks/bench_cv.py --quick               # 200k × 20, a minute or two
    python benchmarks/bench_cv.py --skip-crossvalidator # A and B only
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
logger = logging.getLogger("bench_cv")


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
        .appName("lasso_spark-bench_cv")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.memory", driver_memory)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _generate(spark, path: str, rows: int, features: int, seed: int) -> None:
    """Write the benchmark Parquet (lasso_spark.datagen when present, else a Spark-SQL model)."""
    try:
        from lasso_spark.datagen import generate

        df = generate(spark, rows, features, n_informative=min(10, features), seed=seed,
                      label_col="label", id_col=None)
    except ImportError:
        from pyspark.sql import functions as F

        rng = np.random.default_rng(seed)
        beta = np.zeros(features)
        support = rng.choice(features, size=min(10, features), replace=False)
        beta[support] = rng.uniform(0.5, 2.0, support.size) * rng.choice([-1, 1], support.size)
        df = spark.range(rows)
        for j in range(features):
            df = df.withColumn(f"x{j}", F.randn(seed * 1000 + j))
        label = F.lit(0.0)
        for j in np.flatnonzero(beta):
            label = label + F.lit(float(beta[j])) * F.col(f"x{j}")
        df = df.withColumn("label", label + F.randn(seed * 1000 + 999)).drop("id")
    t0 = time.perf_counter()
    df.write.mode("overwrite").parquet(path)
    logger.info("wrote %s (%d x %d) in %.1fs", path, rows, features, time.perf_counter() - t0)


def _best(fn, repeats: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--features", type=int, default=50)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--reg-params", type=int, default=100)
    ap.add_argument("--cv-reg-params", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--sample-rows", type=int, default=20_000)
    ap.add_argument("--data", default="/tmp/lasso_spark_bench/cv_{rows}x{features}.parquet")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--driver-memory", default="4g")
    ap.add_argument("--quick", action="store_true", help="200k rows x 20 features")
    ap.add_argument("--skip-crossvalidator", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.rows, args.features = 200_000, 20
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("py4j", "pyspark", "numba"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    spark = _session(args.driver_memory)
    from pyspark.ml.evaluation import RegressionEvaluator
    from pyspark.ml.feature import VectorAssembler
    from pyspark.ml.regression import LinearRegression
    from pyspark.ml.tuning import CrossValidator, ParamGridBuilder

    from lasso_spark import LassoCV
    from lasso_spark.core import warmup

    path = args.data.format(rows=args.rows, features=args.features)
    if not Path(path, "_SUCCESS").exists():
        _generate(spark, path, args.rows, args.features, args.seed)
    df = spark.read.parquet(path)
    names = [f"x{j}" for j in range(args.features)]
    # one-off costs that are not part of a fit: numba compilation on the driver, Python worker
    # start-up (and their imports) for the statistics pass, JVM warm-up for MLlib
    warmup()
    tiny = df.limit(2000)
    LassoCV(inputCols=names, labelCol="label", numFolds=args.folds, numRegParams=5).fit(tiny)
    LinearRegression(elasticNetParam=1.0, regParam=0.01, labelCol="label").fit(
        VectorAssembler(inputCols=names, outputCol="features").transform(tiny))

    # A. LassoCV, one pass
    ours = LassoCV(inputCols=names, labelCol="label", numFolds=args.folds,
                   numRegParams=args.reg_params, seed=args.seed)
    t_ours, model = _best(lambda: ours.fit(df), args.repeats)
    s = model.summary
    chosen = model.regParam
    print(f"A  LassoCV {args.folds} folds x {args.reg_params} regParams: {t_ours:8.2f} s "
          f"(pass {s.statsSeconds:.2f} s, solve {s.solveSeconds:.3f} s), regParam={chosen:.5g}, "
          f"non-zeros {model.numNonzeros}", flush=True)

    # B. one MLlib fit at the chosen regParam
    assembled = VectorAssembler(inputCols=names, outputCol="features").transform(df)
    lr = LinearRegression(featuresCol="features", labelCol="label", elasticNetParam=1.0,
                          regParam=chosen)
    t_lr, lr_model = _best(lambda: lr.fit(assembled), args.repeats)
    err = np.max(np.abs(lr_model.coefficients.toArray() - model.coefficients.toArray()))
    print(f"B  MLlib LinearRegression, 1 fit:          {t_lr:8.2f} s "
          f"(max |coef diff| vs A {err:.2e})", flush=True)
    print(f"   ratio A / B = {t_ours / t_lr:.3f}  (goal <= 0.5)", flush=True)

    # C. CrossValidator over MLlib
    if not args.skip_crossvalidator:
        grid_vals = list(np.geomspace(model.cvResults["regParam"].max(),
                                      model.cvResults["regParam"].min(), args.cv_reg_params))
        grid = ParamGridBuilder().addGrid(lr.regParam, grid_vals).build()
        cv = CrossValidator(estimator=lr, estimatorParamMaps=grid, numFolds=args.folds,
                            evaluator=RegressionEvaluator(labelCol="label"), parallelism=2,
                            seed=args.seed)
        t_cv, _ = _best(lambda: cv.fit(assembled), 1)
        print(f"C  CrossValidator(MLlib) {args.folds} folds x {args.cv_reg_params} regParams: "
              f"{t_cv:8.2f} s", flush=True)
        print(f"   ratio A / C = {t_ours / t_cv:.4f}", flush=True)

    # sample check: same folds, same grid as scikit-learn LassoCV
    from sklearn.linear_model import LassoCV as SkLassoCV
    from sklearn.model_selection import PredefinedSplit

    frac = min(1.0, 1.2 * args.sample_rows / args.rows)
    pdf = df.sample(fraction=frac, seed=args.seed).limit(args.sample_rows).toPandas()
    rng = np.random.default_rng(args.seed)
    pdf["fold"] = rng.permutation(np.arange(len(pdf)) % args.folds).astype(np.int32)
    sdf = spark.createDataFrame(pdf)
    small = LassoCV(inputCols=names, labelCol="label", foldCol="fold", numFolds=args.folds,
                    numRegParams=args.reg_params, standardization=False, tol=1e-10).fit(sdf)
    grid = small.cvResults["regParam"].to_numpy()
    sk = SkLassoCV(alphas=grid, cv=PredefinedSplit(pdf["fold"].to_numpy()), tol=1e-12,
                   max_iter=1_000_000).fit(pdf[names].to_numpy(), pdf["label"].to_numpy())
    folds = small.cvResults[[f"mseFold{k}" for k in range(args.folds)]].to_numpy()
    rel = np.max(np.abs(folds - sk.mse_path_)) / np.max(np.abs(sk.mse_path_))
    same = np.isclose(small.regParam, sk.alpha_, rtol=1e-12)
    print(f"S  sample {len(pdf)} rows: LassoCV regParam={small.regParam:.6g}, scikit-learn "
          f"alpha_={sk.alpha_:.6g}, same={bool(same)}, max rel diff of the MSE path {rel:.1e}",
          flush=True)
    spark.stop()
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
