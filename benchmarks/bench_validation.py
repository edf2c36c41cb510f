"""Validation scores of a whole path in one pass against one pass per regParam, side by side.

On the same Parquet file as ``bench_cv.py`` (default 2M rows × 50 features, generated if
missing), after fitting ``LassoCV`` (``--reg-params`` regParams) once:

  A. ``model.evaluatePath(df)``: MSE, MAE and R² of EVERY fit of the path, one data pass;
  B. what pyspark offers per fit: ``transform`` (our SQL expression) + ``RegressionEvaluator``
     (mse), timed on ``--per-fit`` fits spread over the path; one pass each.

Timings are wall seconds, best of ``--repeats``; the machine is shared, so read the RATIOS:
``A / B(one fit)`` and the whole path scored by B (``m × B``) against A. The MSEs of A and B
are compared on the fits B scored.

    python benchmarks/bench_validation.py            # 2M × 50
    python benchmarks/bench_validation.py --quick    # 200k × 20
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.bench_cv import _best, _generate, _session  # noqa: E402

logger = logging.getLogger("bench_validation")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--features", type=int, default=50)
    ap.add_argument("--reg-params", type=int, default=100)
    ap.add_argument("--per-fit", type=int, default=3, help="fits scored one pass each (B)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--data", default="/tmp/lasso_spark_bench/cv_{rows}x{features}.parquet")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--driver-memory", default="4g")
    ap.add_argument("--quick", action="store_true", help="200k rows x 20 features")
    args = ap.parse_args(argv)
    if args.quick:
        args.rows, args.features = 200_000, 20
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("py4j", "pyspark", "numba"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    spark = _session(args.driver_memory)
    from pyspark.ml.evaluation import RegressionEvaluator

    from lasso_spark import LassoCV, LassoModel

    path = args.data.format(rows=args.rows, features=args.features)
    if not Path(path, "_SUCCESS").exists():
        _generate(spark, path, args.rows, args.features, args.seed)
    df = spark.read.parquet(path)
    names = [f"x{j}" for j in range(args.features)]
    model = LassoCV(inputCols=names, labelCol="label", numFolds=5,
                    numRegParams=args.reg_params, seed=args.seed).fit(df)
    table = model.pathTable
    m = table.n_rows
    model.evaluatePath(df.limit(2000))  # Python worker start-up and numba compilation

    # A. every fit of the path, one pass
    t_a, scores = _best(lambda: model.evaluatePath(df), args.repeats)

    # B. one pass per fit: transform + RegressionEvaluator
    rows = np.unique(np.linspace(0, m - 1, args.per_fit).round().astype(int))
    evaluator = RegressionEvaluator(labelCol="label", predictionCol="prediction",
                                    metricName="mse")
    t_b, mse_b = [], []
    for i in rows:
        fit = LassoModel.fromPath(table, int(i), featureNames=model.featureNames)
        fit.setInputCols(names)
        t, mse = _best(lambda fit=fit: evaluator.evaluate(fit.transform(df)), args.repeats)
        t_b.append(t)
        mse_b.append(mse)
    t_one = float(np.median(t_b))
    rel = np.abs(np.asarray(mse_b) - scores["mse"].to_numpy()[rows]) / np.asarray(mse_b)

    print(f"\ndata: {args.rows} rows x {args.features} features ({path}); path of {m} fits")
    print(f"A. evaluatePath, all {m} fits, one pass          : {t_a:8.2f} s")
    print(f"B. transform + RegressionEvaluator, one fit (median of {rows.size}): {t_one:8.2f} s")
    print(f"   A / B(one fit)                                : {t_a / t_one:8.2f}")
    print(f"   B for the whole path ({m} passes) / A         : {m * t_one / t_a:8.1f}x")
    print(f"   max relative MSE difference A vs B            : {rel.max():.2e}")
    spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
