"""LassoCV (K folds × a full regParam path, one pass) against Spark MLlib, side by side.

In one run, on the same Parquet file (default 2M rows × 50 features, generated with Spark if
missing):

  A. lasso_spark ``LassoCV``: ``--folds`` folds × ``--reg-params`` regParams (one data pass);
  B. one MLlib ``LinearRegression(elasticNetParam=1)`` fit at a single regParam (A's choice);
  C. pyspark ``CrossValidator`` over MLlib ``LinearRegression``: ``--folds`` folds ×
     ``--cv-reg-params`` regParams, ``parallelism=2``.

Timings are wall seconds, best of ``--repeats``; the machine is shared, so read the RATIOS.
A's first fit chooses B's regParam; then B and A alternate (B A B A … B), so that both sides
meet a JVM warmed by the same jobs (``--sequential``: all of A's repeats, then all of B's).
Then, on an in-memory sample with fold ids assigned up front, LassoCV's chosen regParam is
compared with scikit-learn ``LassoCV`` given the same folds and grid.

    python benchmarks/bench_cv.py                       # the full 2M × 50 run
    python benchmarks/bench_cv.py --quick               # 200k × 20, a minute or two
    python benchmarks/bench_cv.py --skip-crossvalidator # A and B only

Wide rows (issue 13): ``--width P`` with ``--design factors`` writes ``--rows`` rows of 3 common
factors plus noise (75% of each column's variance common, ``max(5, p // 20)`` non-zero true
coefficients, signal-to-noise 4; numpy + pyarrow, no Spark job) and prints, besides A and B,
the statistics pass, the full-data path, the fold paths (where they ran) and the lasso
objective of A's and B's coefficients at A's regParam (MLlib's own scaling, on the whole data)::

    python benchmarks/bench_cv.py --width 1500 --rows 40000 --design factors \
        --skip-crossvalidator --skip-sample-check --repeats 1
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np
from pyspark.sql import functions as F

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


def _write_factors(path: str, rows: int, p: int, seed: int, files: int = 4) -> None:
    """Parquet of ``rows`` × ``p`` columns ``x0..`` of 3 common factors + noise and ``label``,
    in ``files`` files of equal row counts (± 1): one Spark partition each below 128 MiB, so
    that both sides of the benchmark get as many equal tasks as files (unequal files left one
    core idle for most of either side's pass)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    L = rng.standard_normal((p, 3))
    L *= np.sqrt(3.0 / (L * L).sum(axis=1, keepdims=True))  # common variance 3 of 4
    k = max(5, p // 20)
    beta = np.zeros(p)
    support = rng.choice(p, k, replace=False)
    beta[support] = rng.choice([-1.0, 1.0], k) * rng.uniform(0.5, 2.0, k)
    signal_sd = float(np.sqrt(beta @ (L @ L.T + np.eye(p)) @ beta) / 2.0)
    names = [f"x{j}" for j in range(p)]
    Path(path).mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    bounds = np.linspace(0, rows, max(1, files) + 1).round().astype(int)
    for part, (start, stop) in enumerate(zip(bounds[:-1], bounds[1:])):
        m = int(stop - start)
        X = (rng.standard_normal((m, 3)) @ L.T + rng.standard_normal((m, p))) / 2.0
        y = X @ beta + rng.standard_normal(m) * signal_sd / 2.0
        table = pa.table([pa.array(X[:, j]) for j in range(p)] + [pa.array(y)],
                         names=[*names, "label"])
        pq.write_table(table, f"{path}/part-{part:05d}.parquet")
    Path(path, "_SUCCESS").touch()
    logger.info("wrote %s (%d x %d, factors) in %.1fs", path, rows, p, time.perf_counter() - t0)


def _lasso_objective(stats, coef: np.ndarray, intercept: float, reg_param: float) -> float:
    """MLlib's lasso objective on the original scale (standardization on), from the whole
    data's statistics: ``1/(2W) Σ w (y − b0 − xᵀβ)² + regParam Σ_j σ_j |β_j|``."""
    r0 = stats.mean_y - intercept - float(stats.mean_x @ coef)
    rss = stats.cyy - 2.0 * float(coef @ stats.cxy) + float(coef @ (stats.cxx @ coef))
    rss += stats.weight_sum * r0 * r0
    return rss / (2.0 * stats.weight_sum) + reg_param * float(np.sum(stats.std_x * np.abs(coef)))


def _bare_task(batches):
    """A ``mapInArrow`` body that imports nothing of lasso_spark: a Python worker's start-up."""
    import pyarrow as pa

    n = sum(b.num_rows for b in batches)
    yield pa.RecordBatch.from_arrays([pa.array([n], pa.int64())], names=["n"])


def _import_task(batches):
    """Seconds a Python worker spends importing the statistics kernel and scipy's BLAS."""
    import importlib
    import sys

    import pyarrow as pa

    t0 = time.perf_counter()
    fresh = "lasso_spark.spark.batch" not in sys.modules
    importlib.import_module("lasso_spark.spark.batch")
    t1 = time.perf_counter()
    importlib.import_module("scipy.linalg.blas")
    t2 = time.perf_counter()
    for _ in batches:
        pass
    yield pa.RecordBatch.from_arrays([pa.array([t1 - t0]), pa.array([t2 - t1]),
                                      pa.array([fresh])], names=["kernel", "blas", "fresh"])


def _jobs_of(spark, fn):
    """``(result, seconds, Spark jobs run)`` of ``fn()``."""
    sc = spark.sparkContext
    group = f"bench-{time.perf_counter_ns()}"
    sc.setJobGroup(group, "bench_cv")
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    sc.setLocalProperty("spark.jobGroup.id", None)
    return out, dt, len(sc.statusTracker().getJobIdsForGroup(group))


def _first_fit(spark, df, names: list[str], args: argparse.Namespace) -> None:
    """Issue 13 item 2: the first LassoCV fit in this fresh session against later ones, then
    what a first contact costs, each measured on its own after the fits."""
    from lasso_spark import LassoCV
    from lasso_spark.spark.batch import count_rows

    est = LassoCV(inputCols=names, labelCol="label", numFolds=args.folds,
                  numRegParams=args.reg_params, seed=args.seed)
    for k in range(3):
        model, dt, jobs = _jobs_of(spark, lambda: est.fit(df))
        s = model.summary
        print(f"F  fit {k + 1} in this session: {dt:7.2f} s (pass {s.statsSeconds:.2f} s, solve "
              f"{s.solveSeconds:.2f} s), {jobs} Spark job(s)", flush=True)
    tiny = spark.range(4, numPartitions=2)
    for label in ("bare mapInArrow job (2 tasks)", "again"):
        _, dt, _ = _jobs_of(spark, lambda: tiny.mapInArrow(_bare_task, "n long").collect())
        print(f"F  {label}: {dt:.2f} s", flush=True)
    rows = tiny.mapInArrow(_import_task, "kernel double, blas double, fresh boolean").collect()
    for r in rows:
        print(f"F  worker import: lasso_spark.spark.batch {r['kernel']:.2f} s (fresh={r['fresh']}),"
              f" scipy.linalg.blas {r['blas']:.2f} s", flush=True)
    proj = df.select(F.array(*[df[c].cast("double") for c in names]))
    for label in ("scan floor", "scan floor again"):
        _, dt, _ = _jobs_of(spark, lambda: proj.mapInArrow(count_rows, "n long").collect())
        print(f"F  {label}: {dt:.2f} s", flush=True)


def _mllib_only(spark, df, names: list[str], args: argparse.Namespace, coef_file: str) -> int:
    """B alone at ``--reg-param`` (A's choice, printed by ``--only lassocv``), its ratio to A's
    saved time and both objectives at that regParam."""
    from pyspark.ml.feature import VectorAssembler
    from pyspark.ml.regression import LinearRegression

    from lasso_spark.spark import compute_stats

    saved = np.load(coef_file)
    chosen = float(saved["reg_param"]) if args.reg_param is None else args.reg_param
    assembled = VectorAssembler(inputCols=names, outputCol="features").transform(df)
    lr = LinearRegression(featuresCol="features", labelCol="label", elasticNetParam=1.0,
                          regParam=chosen, solver="normal")
    fit_lr = lambda: lr.fit(assembled)  # noqa: E731 - its id keys the CPU record
    t_lr, lr_model = _best(fit_lr, args.repeats)
    t_ours = float(saved["seconds"])
    err = np.max(np.abs(lr_model.coefficients.toArray() - saved["coef"]))
    print(f"B  MLlib LinearRegression(solver=normal), 1 fit: {t_lr:8.2f} s "
          f"(max |coef diff| vs A {err:.2e}; CPU {CPU[id(fit_lr)]:.1f} s)", flush=True)
    print(f"   ratio A / B = {t_ours / t_lr:.3f} (A {t_ours:.2f} s from the earlier run; goal "
          "<= 0.5)", flush=True)
    whole = compute_stats(df, input_cols=names, label_col="label").total
    f_a = _lasso_objective(whole, saved["coef"], float(saved["intercept"]), chosen)
    f_b = _lasso_objective(whole, lr_model.coefficients.toArray(), lr_model.intercept, chosen)
    verdict = "A no worse" if f_a <= f_b else "A WORSE"
    print(f"   objective at regParam {chosen:.5g}: A {f_a:.10g}, B {f_b:.10g}, "
          f"(A - B) / B = {(f_a - f_b) / abs(f_b):+.2e} ({verdict})", flush=True)
    spark.stop()
    return 0


def _cpu_seconds() -> float:
    """CPU seconds of this process (the driver's solves) and its descendants (the Spark JVM
    and its Python workers in local mode): less sensitive than wall time to a shared machine."""
    import resource

    from benchmarks.bench_stats import tree_cpu_seconds

    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime + tree_cpu_seconds()


CPU: dict[int, float] = {}


BEST: dict[int, tuple[float, object]] = {}


def _once(fn, label: str = "") -> tuple[float, object]:
    """Run ``fn`` once; keep its best wall seconds and the result of that run in
    ``BEST[id(fn)]`` (so that a breakdown printed from it, e.g. a model summary's pass and
    solve seconds, belongs to the time printed beside it), the least CPU seconds in
    ``CPU[id(fn)]``; return the best so far."""
    c0, t0 = _cpu_seconds(), time.perf_counter()
    result = fn()
    dt = time.perf_counter() - t0
    print(f"   ({label + ' ' if label else ''}repeat: {dt:.2f} s)", flush=True)
    if dt < BEST.get(id(fn), (float("inf"), None))[0]:
        BEST[id(fn)] = (dt, result)
    CPU[id(fn)] = min(CPU.get(id(fn), float("inf")), _cpu_seconds() - c0)
    return BEST[id(fn)]


def _best(fn, repeats: int) -> tuple[float, object]:
    """Best wall seconds of ``repeats`` runs of ``fn`` and the result of that run."""
    for _ in range(repeats):
        _once(fn)
    return BEST[id(fn)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--features", type=int, default=50)
    ap.add_argument("--width", type=int, default=None, help="same as --features")
    ap.add_argument("--design", choices=("datagen", "factors"), default="datagen",
                    help="datagen: lasso_spark.datagen (AR(1) 0.5); factors: 3 common factors "
                         "+ noise written with numpy")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--reg-params", type=int, default=100)
    ap.add_argument("--cv-reg-params", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--sample-rows", type=int, default=20_000)
    ap.add_argument("--data", default="/tmp/lasso_spark_bench/cv_{rows}x{features}.parquet")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--files", type=int, default=4,
                    help="--design factors: Parquet files of equal row counts (default 4)")
    ap.add_argument("--driver-memory", default="4g")
    ap.add_argument("--quick", action="store_true", help="200k rows x 20 features")
    ap.add_argument("--skip-crossvalidator", action="store_true")
    ap.add_argument("--first-fit", action="store_true",
                    help="time the first LassoCV fits of this fresh session (before any warm-up)"
                         " and the costs of a first contact, then stop")
    ap.add_argument("--skip-sample-check", action="store_true",
                    help="skip the scikit-learn comparison on a sample (slow at large p)")
    ap.add_argument("--only", choices=("lassocv", "mllib"), default=None,
                    help="run A alone (saving its coefficients to --coef-file) or B alone at "
                         "--reg-param (then the objective against the saved coefficients): "
                         "for widths where A and B together exceed one locked slot")
    ap.add_argument("--reg-param", type=float, default=None, help="B's regParam with --only mllib")
    ap.add_argument("--no-warmup", action="store_true",
                    help="no tiny fits first: the first repeat is then a session's first fit "
                         "(each repeat's time is printed; the best of them is the warm one)")
    ap.add_argument("--sequential", action="store_true",
                    help="all of A's repeats, then all of B's (default: A once for its "
                         "regParam, then B and A alternate, B A B A … B)")
    ap.add_argument("--coef-file", default="/tmp/lasso_spark_bench/cv_{rows}x{features}_coef.npz")
    args = ap.parse_args(argv)
    if args.quick:
        args.rows, args.features = 200_000, 20
    if args.width is not None:
        args.features = args.width
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
    if args.design == "factors":
        path = path.replace(".parquet", f"_factors_{args.files}f.parquet")
    if not Path(path, "_SUCCESS").exists():
        if args.design == "factors":
            _write_factors(path, args.rows, args.features, args.seed, args.files)
        else:
            _generate(spark, path, args.rows, args.features, args.seed)
    df = spark.read.parquet(path)
    names = [f"x{j}" for j in range(args.features)]
    if args.first_fit:
        _first_fit(spark, df, names, args)
        spark.stop()
        return 0
    # one-off costs that are not part of a fit: numba compilation on the driver, Python worker
    # start-up (and their imports) for the statistics pass, JVM warm-up for MLlib
    warmup()
    tiny = df.limit(2000)
    if args.no_warmup:
        pass
    elif args.only != "mllib":
        LassoCV(inputCols=names, labelCol="label", numFolds=args.folds, numRegParams=5).fit(tiny)
    if args.only != "lassocv" and not args.no_warmup:
        LinearRegression(elasticNetParam=1.0, regParam=0.01, labelCol="label").fit(
            VectorAssembler(inputCols=names, outputCol="features").transform(tiny))

    coef_file = args.coef_file.format(rows=args.rows, features=args.features)
    if args.only == "mllib":
        return _mllib_only(spark, df, names, args, coef_file)
    # A. LassoCV, one pass
    ours = LassoCV(inputCols=names, labelCol="label", numFolds=args.folds,
                   numRegParams=args.reg_params, seed=args.seed)
    fit_ours = lambda: ours.fit(df)  # noqa: E731 - its id keys the CPU record
    # A's first fit gives B its regParam; then, unless --only or --sequential, B and A
    # alternate (B A B A … B) so that both see a JVM warmed by the same jobs
    interleave = args.only is None and not args.sequential
    t_ours, model = _best(fit_ours, 1 if interleave else args.repeats)
    s = model.summary
    chosen = model.regParam
    x = s.extra
    print(f"A  LassoCV {args.folds} folds x {args.reg_params} regParams: {t_ours:8.2f} s "
          f"(pass {s.statsSeconds:.2f} s, solve {s.solveSeconds:.3f} s: full-data path "
          f"{x.get('fullPathSeconds', float('nan')):.3f} s, fold paths "
          f"{x.get('foldPathSeconds', float('nan')):.3f} s on {x.get('foldPathsWhere', '?')}), "
          f"regParam={chosen:.5g}, non-zeros {model.numNonzeros}; CPU {CPU[id(fit_ours)]:.1f} s",
          flush=True)

    if args.only == "lassocv":
        os.makedirs(os.path.dirname(os.path.abspath(coef_file)), exist_ok=True)
        with open(coef_file, "wb") as fh:  # the path as given (np.savez would add ".npz")
            np.savez(fh, coef=model.coefficients.toArray(), intercept=model.intercept,
                     reg_param=chosen, seconds=t_ours)
        print(f"   saved A's coefficients to {coef_file}; B: --only mllib --reg-param "
              f"{chosen!r}", flush=True)
        spark.stop()
        return 0
    # B. one MLlib fit at the chosen regParam
    assembled = VectorAssembler(inputCols=names, outputCol="features").transform(df)
    lr = LinearRegression(featuresCol="features", labelCol="label", elasticNetParam=1.0,
                          regParam=chosen, solver="normal")
    fit_lr = lambda: lr.fit(assembled)  # noqa: E731 - its id keys the CPU record
    if interleave:
        for _ in range(args.repeats - 1):
            _once(fit_lr, "B")
            t_ours, model = _once(fit_ours, "A")
        if model.regParam != chosen:
            raise RuntimeError(f"A chose regParam {model.regParam} after {chosen}")
        t_lr, lr_model = _once(fit_lr, "B")
        s, x = model.summary, model.summary.extra
        print(f"A  best of {args.repeats} interleaved with B: {t_ours:8.2f} s "
              f"(pass {s.statsSeconds:.2f} s, full-data path "
              f"{x.get('fullPathSeconds', float('nan')):.3f} s, fold paths "
              f"{x.get('foldPathSeconds', float('nan')):.3f} s)", flush=True)
    else:
        t_lr, lr_model = _best(fit_lr, args.repeats)
    err = np.max(np.abs(lr_model.coefficients.toArray() - model.coefficients.toArray()))
    print(f"B  MLlib LinearRegression(solver=normal), 1 fit: {t_lr:8.2f} s "
          f"(max |coef diff| vs A {err:.2e})", flush=True)
    cpu_a, cpu_b = CPU[id(fit_ours)], CPU[id(fit_lr)]
    print(f"   ratio A / B = {t_ours / t_lr:.3f}  (goal <= 0.5); CPU seconds A {cpu_a:.1f} / B "
          f"{cpu_b:.1f} = {cpu_a / cpu_b:.3f}", flush=True)
    from lasso_spark.spark import compute_stats

    pass_k0 = compute_stats(df, input_cols=names, label_col="label")
    whole = pass_k0.total
    f_a = _lasso_objective(whole, model.coefficients.toArray(), model.intercept, chosen)
    f_b = _lasso_objective(whole, lr_model.coefficients.toArray(), lr_model.intercept, chosen)
    verdict = "A no worse" if f_a <= f_b else "A WORSE"
    print(f"   objective at regParam {chosen:.5g}: A {f_a:.10g}, B {f_b:.10g}, "
          f"(A - B) / B = {(f_a - f_b) / abs(f_b):+.2e} ({verdict})", flush=True)
    one = compute_stats(df.coalesce(1), input_cols=names, label_col="label")
    print(f"   peak Python worker RSS of a K=0 pass: "
          f"{pass_k0.peak_worker_rss_bytes / 2**20:.0f} MiB with the file's partitions, "
          f"{one.peak_worker_rss_bytes / 2**20:.0f} MiB with all {one.n_rows_read} rows in one "
          "task (coalesce(1))", flush=True)

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

    if args.skip_sample_check:
        spark.stop()
        return 0
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
