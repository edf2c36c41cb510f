"""Structured penalties (issue 16): their cost next to the plain lasso, and their data passes.

Solve (``--solve``, the default): the cross-validated path of ``LassoCV`` on statistics —
K = 5 fold paths on the merged training statistics, each scored on its held-out fold, plus
the full-data path, 100 alphas each, tol 1e-7 — for the plain lasso (the Newton default) and,
on the same statistics and grid semantics, the group lasso (``--groups`` groups of
``--group-size`` contiguous features, the rest singles), the sparse group lasso on the same
groups (``group_l1_ratio`` 0.5, with ``--sgl``), ``positive=True`` and the relaxed lasso
(five gammas scored per fold). Designs from :mod:`benchmarks.designs`, n = ``--ratio`` ·
p. The numba kernels are compiled before timing (a warm-up path); each variant is timed
``--repeats`` times, best and spread printed, plain and structured alternating in one process.

Passes (``--passes``): ``LassoCV`` on a Parquet file in ``local[2]`` for the plain, group,
sparse group, positive and relaxed fits; Spark's input metrics (records read by the stages of
each fit's jobs) must equal the rows once.

    OPENBLAS_NUM_THREADS=1 python -m benchmarks.bench_penalties --p 500
    python -m benchmarks.bench_penalties --passes --rows 200000 --p 40
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from typing import Any

import numpy as np

from benchmarks.designs import make_design
from lasso_spark.core import SuffStats, enet_path, heldout_mse, kfold_splits
from lasso_spark.core.penalties import StructuredPenalty
from lasso_spark.core.relax import relaxed_path

GAMMAS = (1.0, 0.75, 0.5, 0.25, 0.0)


def _cv_paths(folds: list[SuffStats], total: SuffStats, n_alphas: int, kw: dict[str, Any],
              relax: bool) -> tuple[float, int]:
    """Seconds for K fold paths (scored) + the full path on the full data's grid; converged
    alphas over all paths."""
    t0 = time.perf_counter()
    trains, heldouts = kfold_splits(folds)
    full = enet_path(total, n_alphas=n_alphas, **kw)
    ok = int(full.converged.sum())
    for tr, ho in zip(trains, heldouts, strict=True):
        res = enet_path(tr, alphas=full.alphas, **kw)
        ok += int(res.converged.sum())
        if relax:
            rel = relaxed_path(tr, res, GAMMAS)
            for g in range(len(GAMMAS)):
                heldout_mse(ho, rel.coef[g], rel.intercept[g])
        else:
            heldout_mse(ho, res.coef, res.intercept)
    if relax:
        relaxed_path(total, full, GAMMAS)
    return time.perf_counter() - t0, ok


def _folds(X: np.ndarray, y: np.ndarray, K: int) -> tuple[list[SuffStats], SuffStats]:
    fold = np.arange(X.shape[0]) % K
    folds = [SuffStats.from_arrays(X[fold == k], y[fold == k]) for k in range(K)]
    return folds, SuffStats.from_arrays(X, y)


def solve_bench(args: argparse.Namespace) -> None:
    p = args.p
    groups = [list(range(g * args.group_size, (g + 1) * args.group_size))
              for g in range(args.groups)]
    variants = {
        "lasso": ({}, False),
        "group": ({"structure": StructuredPenalty.make(p, groups=groups)}, False),
        "positive": ({"structure": StructuredPenalty.make(p, positive=True)}, False),
        "relaxed": ({}, True),
    }
    if args.sgl:  # the sparse group lasso on the same groups (the group Newton since 52fc644)
        variants["sgl_0.5"] = ({"structure": StructuredPenalty.make(
            p, groups=groups, group_l1_ratio=0.5)}, False)
    # compile the block-coordinate-descent kernel once (it is cached on disk after that)
    Xw, yw = make_design("factors", 60, 12, 0)
    t0 = time.perf_counter()
    enet_path(SuffStats.from_arrays(Xw, yw), n_alphas=5,
              structure=StructuredPenalty.make(12, groups=[[0, 1, 2]]))
    print(f"warm-up (compile or load the bcd kernel): {time.perf_counter() - t0:.2f} s")
    print(f"p = {p}, n = {int(args.ratio * p)}, 5 folds x {args.alphas} alphas + full path, "
          f"groups: {args.groups} x {args.group_size} + {p - args.groups * args.group_size} "
          f"singles; best of {args.repeats} (spread = max/min)")
    print(f"{'family':<10} {'variant':<9} {'best s':>8} {'spread':>7} {'x lasso':>8} "
          f"{'converged':>10}")
    for family in args.families:
        X, y = make_design(family, int(args.ratio * p), p, args.seed)
        folds, total = _folds(X, y, 5)
        times: dict[str, list[float]] = {v: [] for v in variants}
        conv: dict[str, int] = {}
        for _ in range(args.repeats):
            for name, (kw, relax) in variants.items():
                s, ok = _cv_paths(folds, total, args.alphas, {"tol": args.tol, **kw}, relax)
                times[name].append(s)
                conv[name] = ok
        base = min(times["lasso"])
        for name in variants:
            t = times[name]
            print(f"{family:<10} {name:<9} {min(t):8.3f} {max(t) / min(t):7.2f} "
                  f"{min(t) / base:8.2f} {conv[name]:>6}/{6 * args.alphas}")


def passes_bench(args: argparse.Namespace) -> None:
    import tempfile

    import pandas as pd
    from pyspark.sql import SparkSession

    from lasso_spark import LassoCV

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers import lasso_spark
    spark = (SparkSession.builder.master("local[2]").config("spark.driver.host", "127.0.0.1")
             .config("spark.driver.bindAddress", "127.0.0.1").config("spark.ui.enabled", "false")
             .getOrCreate())
    sc = spark.sparkContext
    X, y = make_design("factors", args.rows, args.p, args.seed)
    cols = [f"x{j}" for j in range(args.p)]
    path = os.path.join(args.data_dir or tempfile.mkdtemp(), f"pen_{args.rows}_{args.p}.parquet")
    if not os.path.exists(path):
        pdf = pd.DataFrame(X, columns=cols)
        pdf["label"] = y
        spark.createDataFrame(pdf).write.parquet(path)
    df = spark.read.parquet(path)
    g = max(2, args.p // 4)
    fits = {
        "lasso": {},
        "group": {"featureGroups": [cols[:g], cols[g:2 * g]]},
        "sgl_0.5": {"featureGroups": [cols[:g], cols[g:2 * g]], "groupL1Ratio": 0.5},
        "positive": {"positive": True},
        "relaxed": {"relax": True},
    }
    store = sc._jsc.sc().statusStore()
    tracker = sc.statusTracker()
    print(f"{args.rows} rows x {args.p} features, Parquet, LassoCV 5 folds x 100 regParams")
    print(f"{'fit':<9} {'jobs':>5} {'input records':>14} {'x rows':>7} {'seconds':>8}")
    for name, extra in fits.items():
        group = f"bench-{uuid.uuid4().hex}"
        sc.setJobGroup(group, "bench_penalties")
        t0 = time.perf_counter()
        LassoCV(inputCols=cols, numFolds=5, **extra).fit(df)
        secs = time.perf_counter() - t0
        sc.setLocalProperty("spark.jobGroup.id", None)
        jobs = tracker.getJobIdsForGroup(group)
        stages = {int(s) for j in jobs for s in tracker.getJobInfo(j).stageIds}
        records = 0
        for s in stages:
            try:
                records += int(store.lastStageAttempt(s).inputRecords())
            except Exception:  # noqa: BLE001 - a skipped stage never ran
                pass
        print(f"{name:<9} {len(jobs):>5} {records:>14} {records / args.rows:7.2f} {secs:8.2f}")
    spark.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--p", type=int, default=500)
    ap.add_argument("--ratio", type=float, default=2.0, help="n / p")
    ap.add_argument("--alphas", type=int, default=100)
    ap.add_argument("--groups", type=int, default=3)
    ap.add_argument("--group-size", type=int, default=100)
    ap.add_argument("--tol", type=float, default=1e-7)
    ap.add_argument("--families", nargs="+", default=["factors", "equi_0.5", "ar1_0.95",
                                                      "neardup"])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--passes", action="store_true", help="the Spark input-metrics check")
    ap.add_argument("--sgl", action="store_true",
                    help="--solve also times the sparse group lasso (group_l1_ratio 0.5)")
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()
    if args.passes:
        passes_bench(args)
    else:
        solve_bench(args)


if __name__ == "__main__":
    main()
