"""Multinomial LogisticLassoCV (K folds × a regParam path) against one MLlib multinomial L1 fit.

In one run, on the same in-memory DataFrame (``--rows`` × ``--features`` correlated features,
``--classes`` classes from a sparse softmax model, numpy with a fixed seed, cached and counted
before timing):

  A. lasso_spark ``LogisticLassoCV(family="multinomial")``: ``--folds`` × ``--reg-params``;
     its data passes from the model summary (statistics pass + class pass + Newton passes);
  B. one MLlib ``LogisticRegression(family="multinomial", elasticNetParam=1)`` at A's chosen
     regParam (MLlib's defaults: maxIter 100, tol 1e-6).

Wall seconds of each; the machine is shared: read the ratio.

    python benchmarks/bench_multinomial.py --rows 200000 --features 50 --classes 5

``--cache-input both``: A twice on the same data, without then with ``cacheInput`` (the passes
read the features unpacked from the vector column into a cached array column), each with its
pass seconds; the ratio to B of each.

``--grouping both``: A twice on the same data, ungrouped then grouped
(``multinomialGrouping``), each with its passes, path length and wall time (B at the ungrouped
A's regParam; ``--no-mllib`` skips it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--features", type=int, default=50)
    ap.add_argument("--classes", type=int, default=5)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--reg-params", type=int, default=100)
    ap.add_argument("--in-flight", type=int, default=12)
    ap.add_argument("--grouping", choices=("ungrouped", "grouped", "both"), default="ungrouped")
    ap.add_argument("--no-mllib", action="store_true")
    ap.add_argument("--cache-input", choices=("off", "on", "both"), default="off",
                    help="A's cacheInput (the passes read the features unpacked from the "
                         "vector column into a cached array column); both: A without, then "
                         "with it, side by side")
    args = ap.parse_args(argv)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    sys.path.insert(0, str(REPO))
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import VectorAssembler
    from pyspark.sql import SparkSession

    from lasso_spark import LogisticLassoCV

    spark = (SparkSession.builder.master("local[2]").appName("bench_multinomial")
             .config("spark.driver.host", "127.0.0.1")
             .config("spark.driver.bindAddress", "127.0.0.1")
             .config("spark.driver.memory", "4g").config("spark.ui.enabled", "false")
             .config("spark.sql.execution.arrow.pyspark.enabled", "true")  # fast setup at 1M
             .config("spark.ui.showConsoleProgress", "false")  # keeps the JSON lines whole
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    n, p, K = args.rows, args.features, args.classes
    rng = np.random.default_rng(20261202)
    F = rng.normal(size=(n, 3))
    X = F @ rng.normal(size=(3, p)) + rng.normal(size=(n, p))
    B = rng.normal(size=(K, p)) * (rng.uniform(size=(K, p)) < 0.2)
    eta = X @ B.T / np.sqrt(p / 10)
    prob = np.exp(eta - eta.max(1, keepdims=True))
    prob /= prob.sum(1, keepdims=True)
    y = (rng.uniform(size=(n, 1)) > np.cumsum(prob, axis=1)).sum(axis=1).astype(float)
    import pandas as pd

    cols = [f"x{j}" for j in range(p)]
    pdf = pd.DataFrame(X, columns=cols)
    pdf["y"] = y
    df = spark.createDataFrame(pdf).repartition(4)
    df = VectorAssembler(inputCols=cols, outputCol="features").transform(df).select(
        "features", "y").cache()
    df.count()
    runs = {}
    seconds_by_cache: dict[bool, float] = {}
    caches = {"off": (False,), "on": (True,), "both": (False, True)}[args.cache_input]
    for grouping, cache in [(g, c) for g in (("ungrouped", "grouped") if args.grouping == "both"
                                             else (args.grouping,)) for c in caches]:
        t0 = time.perf_counter()
        model = LogisticLassoCV(featuresCol="features", labelCol="y", family="multinomial",
                                numFolds=args.folds, numRegParams=args.reg_params,
                                regParamsInFlight=args.in_flight, cacheInput=cache,
                                multinomialGrouping=grouping).fit(df)
        t = time.perf_counter() - t0
        sd = model.summary.asDict()
        runs.setdefault(grouping, (model, t, sd))
        seconds_by_cache[cache] = t
        ps = sd.get("passSeconds") or [0.0]
        print(json.dumps({"grouping": grouping, "cacheInput": cache, "seconds": round(t, 2),
                          "statsSeconds": round(sd["statsSeconds"], 2),
                          "passSecondsMedian": round(float(np.median(ps)), 2),
                          "passSecondsSum": round(float(np.sum(ps)), 2),
                          "dataPasses": sd["numDataPasses"], "pathLength": sd.get("pathLength"),
                          "chosenRegParam": model.regParam,
                          "nonzeroFeatures": int(np.any(
                              model.coefficientMatrix.toArray() != 0, axis=0).sum()),
                          "loadavg": os.getloadavg()}), flush=True)
    model, t_a, s = next(iter(runs.values()))
    lam = model.regParam
    if args.no_mllib:
        spark.stop()
        return 0
    t0 = time.perf_counter()
    ref = LogisticRegression(featuresCol="features", labelCol="y", family="multinomial",
                             elasticNetParam=1.0, regParam=lam).fit(df)
    t_b = time.perf_counter() - t0
    B_a, B_b = model.coefficientMatrix.toArray(), ref.coefficientMatrix.toArray()
    out = {"rows": n, "features": p, "classes": K, "folds": args.folds,
           "regParams": args.reg_params, "pathLength": s.get("pathLength"),
           "dataPasses": s["numDataPasses"], "chosenRegParam": lam,
           "lassoSparkCVSeconds": round(t_a, 2), "mllibOneFitSeconds": round(t_b, 2),
           "mllibIterations": ref.summary.totalIterations,
           "ratio": round(t_a / t_b, 3),
           "ratioByCacheInput": {str(c): round(t / t_b, 3) for c, t in seconds_by_cache.items()},
           "maxCoefDiff": float(np.abs(B_a - B_b).max()),
           "loadavg": os.getloadavg()}
    print(json.dumps(out))
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
