"""Stability selection (``LassoCV(numSubsamples=50)``) against plain ``LassoCV``, side by side.

Issue 17's goal: stability selection on 2M rows × 50 features with 50 complementary pairs in
ONE data pass and at most 1.5× the wall time of ``LassoCV`` on the same data. In one process per
design family, on the same Parquet file:

  A. ``LassoCV``: ``--folds`` folds × ``--reg-params`` regParams (one data pass);
  B. the same ``LassoCV`` with ``numSubsamples=--pairs``: the pass also keeps the bucket
     statistics (default ``numBuckets``: 40 for 5 folds), then ``2 · pairs`` half-sample paths
     (``parallelism="auto"``: Spark tasks when the fold paths' measured cost says the driver
     would need 4 s or more; ``--stability-parallelism 1`` keeps them on the driver).

A and B alternate, ``--repeats`` times each (the first of each after a warm-up fit on 2000 rows,
so numba compilation and Python worker start-up are not timed). Every fit runs in its own Spark
job group; the input records read by its stages are printed (B must read the input once, as A).
Design families (correlated, unit-variance columns, 5 true features, noise sd 1): ``ar1_0.9`` and
``equi_0.5`` from :mod:`lasso_spark.datagen`; ``factors`` (3 common factors carrying 75% of every
column's variance) and ``neardup`` (pairs of columns correlated 0.999) in Spark SQL.

    python benchmarks/bench_stability.py                       # 2M × 50, four families
    python benchmarks/bench_stability.py --rows 200000 --families factors --repeats 1   # quick
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
logger = logging.getLogger("bench_stability")

FAMILIES = ("ar1_0.9", "equi_0.5", "factors", "neardup")


def _sql_family(spark, family: str, rows: int, p: int, seed: int):
    """``factors`` / ``neardup`` rows in Spark SQL: features x0.., label ``label``."""
    from pyspark.sql import functions as F

    rng = np.random.default_rng(seed)
    df = spark.range(rows)
    if family == "factors":
        k = 3
        L = rng.standard_normal((p, k))
        L *= np.sqrt(3.0 / (L * L).sum(axis=1, keepdims=True))  # common variance 3 of 4
        for f in range(k):
            df = df.withColumn(f"f{f}", F.randn(seed * 100 + f))
        feats = [(sum(F.lit(float(L[j, f])) * F.col(f"f{f}") for f in range(k))
                  + F.randn(seed * 100 + 10 + j)) / 2.0 for j in range(p)]
    elif family == "neardup":
        h = (p + 1) // 2
        for j in range(h):
            df = df.withColumn(f"z{j}", F.randn(seed * 100 + j))
        e = float(np.sqrt(2.0 * (1.0 - 0.999)))
        feats = [F.col(f"z{j // 2}") if j % 2 == 0 else
                 (F.col(f"z{j // 2}") + e * F.randn(seed * 100 + 500 + j)) / np.sqrt(1 + e * e)
                 for j in range(p)]
    else:
        raise ValueError(family)
    df = df.select(*[c.alias(f"x{j}") for j, c in enumerate(feats)])
    beta = np.zeros(p)
    support = rng.choice(p, 5, replace=False)
    beta[support] = rng.choice([-1.0, 1.0], 5) * rng.uniform(0.5, 2.0, 5)
    signal = sum(F.lit(float(beta[j])) * F.col(f"x{j}") for j in np.flatnonzero(beta))
    return df.withColumn("label", signal + F.randn(seed * 100 + 999))


def _generate(spark, path: str, family: str, rows: int, p: int, seed: int) -> None:
    t0 = time.perf_counter()
    if family in ("ar1_0.9", "equi_0.5"):
        from lasso_spark.datagen import generate

        kind, rho = family.split("_")
        df = generate(spark, rows, p, n_informative=5, correlation=kind, rho=float(rho),
                      seed=seed, label_col="label", id_col=None)
    else:
        df = _sql_family(spark, family, rows, p, seed)
    df.write.mode("overwrite").parquet(path)
    logger.info("wrote %s (%d x %d) in %.1fs", path, rows, p, time.perf_counter() - t0)


def _input_records(sc, group: str) -> int:
    """Input records read by the stages of the jobs of ``group`` (each stage once)."""
    tracker = sc.statusTracker()
    store = sc._jsc.sc().statusStore()
    stages = {int(s) for job in tracker.getJobIdsForGroup(group)
              for s in tracker.getJobInfo(job).stageIds}
    total = 0
    for stage in stages:
        try:
            total += int(store.lastStageAttempt(stage).inputRecords())
        except Exception:  # noqa: BLE001 - a stage skipped in every job never ran
            pass
    return total


def _timed_fit(spark, est, df) -> tuple[float, object, int]:
    sc = spark.sparkContext
    group = f"bench-{uuid.uuid4().hex}"
    sc.setJobGroup(group, "bench_stability")
    try:
        t0 = time.perf_counter()
        model = est.fit(df)
        seconds = time.perf_counter() - t0
    finally:
        sc.setLocalProperty("spark.jobGroup.id", None)
    return seconds, model, _input_records(sc, group)


def _family(spark, args, family: str) -> dict:
    from lasso_spark import LassoCV

    path = os.path.join(args.data_dir, f"stab_{family}_{args.rows}x{args.features}.parquet")
    if not Path(path, "_SUCCESS").exists():
        _generate(spark, path, family, args.rows, args.features, args.seed)
    df = spark.read.parquet(path)
    names = [f"x{j}" for j in range(args.features)]
    plain = LassoCV(inputCols=names, labelCol="label", numFolds=args.folds,
                    numRegParams=args.reg_params, seed=args.seed)
    stab = plain.copy({plain.numSubsamples: args.pairs})
    if args.stability_parallelism != "auto":
        stab = stab.copy({stab.parallelism: int(args.stability_parallelism)})
    tiny = df.limit(2000)
    plain.fit(tiny)
    stab.copy({stab.numSubsamples: 5}).fit(tiny)
    times: dict[str, list[float]] = {"A": [], "B": []}
    for _ in range(args.repeats):
        for key, est in (("A", plain), ("B", stab)):
            seconds, model, records = _timed_fit(spark, est, df)
            times[key].append(seconds)
            s = model.summary.asDict()
            extra = (f", stability {s['stabilitySeconds']:.2f} s ({s['stabilityHalfFits']} half "
                     f"paths, {s['numBuckets']} buckets, {s['stabilityTasks']} task(s))"
                     if key == "B" else "")
            print(f"  {family:9s} {key}: {seconds:7.2f} s  (pass {s['statsSeconds']:.2f} s, solve "
                  f"{s['solveSeconds']:.2f} s{extra}); input records read {records} "
                  f"= {records / args.rows:.2f} x rows", flush=True)
            if key == "B":
                rep = model.stabilitySelection()
                last = (rep, records)
    rep, records = last
    a, b = min(times["A"]), min(times["B"])
    ratios = [tb / ta for ta, tb in zip(times["A"], times["B"])]
    print(f"  {family:9s} best A {a:.2f} s, best B {b:.2f} s, ratio of bests {b / a:.3f}; "
          f"per-repeat ratios {', '.join(f'{r:.3f}' for r in ratios)}; stable "
          f"{len(rep.stableFeatures)} features {rep.stableFeatures}, "
          f"E[V] <= {rep.expectedFalseSelectionsBound:.3g}", flush=True)
    return {"family": family, "A": times["A"], "B": times["B"], "ratio": b / a,
            "median_ratio": statistics.median(ratios), "passes": records / args.rows}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--features", type=int, default=50)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--reg-params", type=int, default=100)
    ap.add_argument("--pairs", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--families", nargs="+", default=list(FAMILIES), choices=FAMILIES)
    ap.add_argument("--data-dir", default="/tmp/lasso_spark_bench")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--driver-memory", default="4g")
    ap.add_argument("--stability-parallelism", default="auto",
                    help="B's parallelism: 'auto' (from the fold paths' measured cost) or an int")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("py4j", "pyspark", "numba", "lasso_spark"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    os.makedirs(args.data_dir, exist_ok=True)
    sys.path.insert(0, str(REPO))
    from benchmarks.clusterkit import local_session

    spark = local_session("lasso_spark-bench_stability", args.driver_memory)
    from lasso_spark.core import warmup

    warmup()
    print(f"rows {args.rows}, features {args.features}, {args.folds} folds x {args.reg_params} "
          f"regParams; B = A + {args.pairs} complementary pairs; best of {args.repeats}, "
          f"alternating", flush=True)
    results = [_family(spark, args, f) for f in args.families]
    print("\n| family | LassoCV (A) s | + stability (B) s | B / A (best) | B / A per repeat, "
          "median | input passes of B |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['family']} | {min(r['A']):.2f} ({max(r['A']):.2f}) | {min(r['B']):.2f} "
              f"({max(r['B']):.2f}) | {r['ratio']:.3f} | {r['median_ratio']:.3f} | "
              f"{r['passes']:.2f} |")
    spark.stop()
    ok = all(r["ratio"] <= 1.5 and abs(r["passes"] - 1.0) < 1e-9 for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
