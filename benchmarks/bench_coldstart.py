"""Cold start of the solver: the first fit in a new Python process against a warm fit, with an
empty compile cache and with the cache kept, on the driver and on Spark executors, from the
installed package, from a read-only copy and from a zip.

Every scenario runs in fresh subprocesses; a scenario's first process starts with an EMPTY
numba cache directory (``cold``), its second process reuses the directory the first filled
(``cache kept``). Inside each process the same fit runs twice: ``first`` (in a new process,
after the imports) and ``warm`` (the same fit again). The figures:

* ``enet_path``: ``core.enet_path`` on a 750 × 300 few-common-factors design, 100 alphas,
  tol 1e-7 (default solver, and ``solver="cd"``, the coordinate-descent kernel the solver was
  before — the "before" figure); plus ``warmup()``: compiling / loading the one kernel the
  Newton solver may need (its coordinate-descent fallback);
* ``LassoCV driver`` / ``LassoCV executors``: ``LassoCV`` (5 folds × 100 regParams, 20,000 rows
  × 50 features) on ``local[2]``, fold paths on the driver (``parallelism=1``) or as Spark tasks
  in the Python workers (``parallelism=2``); the summary's ``solveSeconds`` /
  ``foldPathSeconds`` of the first fit and of the second;
* ``zip``: the package imported from a zip (as ``--py-files`` ships it; driver and workers);
  ``read-only``: a copy of the package in a directory the process cannot write, run as user
  ``nobody`` with an unwritable ``HOME`` (needs root; skipped otherwise).

* ``submitted``: ``LassoCV`` with fold paths as Spark tasks (``parallelism=2``) in a script run
  by ``spark-submit``, as users run jobs, on ``local[2]`` and on ``local-cluster[2,1,1024]``
  (a standalone master and two executor JVMs with their own Python workers), reading 20,000 ×
  50 rows from Parquet (written once to ``--data-dir``). Three cache situations: the installed
  package with ``NUMBA_CACHE_DIR`` at a new empty directory for the driver and the executors
  (``empty``), the same directory again in the next process (``kept``), and the package shipped
  as a zip with ``--py-files`` (no ``NUMBA_CACHE_DIR``: the package chooses its cache under
  ``XDG_CACHE_HOME``, a new empty directory, then kept). Figures: the whole ``fit`` wall and the
  summary's ``foldPathSeconds`` / ``statsSeconds``, first fit against the second; after the
  fits, a job timing in two workers what a fit whose Newton solver falls back to coordinate
  descent would pay once per worker (``warmup()``: numba's import and the one kernel compiled,
  or loaded from the cache); where the workers imported the package from and which cache
  directory they chose; how many files the cache holds after the process.

    python benchmarks/bench_coldstart.py                 # everything but the submitted scenarios
    python benchmarks/bench_coldstart.py --skip-spark    # enet_path scenarios only
    python benchmarks/bench_coldstart.py --only-spark    # LassoCV scenarios only
    python benchmarks/bench_coldstart.py --submitted --masters 'local[2]' 'local-cluster[2,1,1024]'
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_ENET = r"""
import json, os, sys, time, warnings
t0 = time.perf_counter()
import numpy as np
from lasso_spark.core import SuffStats, enet_path, warmup
from lasso_spark.core import jit
t_import = time.perf_counter() - t0
solver = sys.argv[1]
rng = np.random.default_rng(0)
n, p = 750, 300
F = rng.standard_normal((n, 3)); L = rng.standard_normal((p, 3))
X = F @ L.T + rng.standard_normal((n, p))
y = X[:, :10] @ rng.uniform(0.5, 2, 10) + rng.standard_normal(n)
s = SuffStats.from_arrays(X, y)
out = {"import": t_import}
for key in ("first", "warm"):
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = enet_path(s, tol=1e-7, solver=solver)
    out[key] = time.perf_counter() - t
out["converged"] = int(r.converged.sum())
t = time.perf_counter(); warmup(solver); out["warmup"] = time.perf_counter() - t
out["cache_dir"] = jit.cache_dir() or os.environ.get("NUMBA_CACHE_DIR") or "beside the modules"
import lasso_spark; out["package"] = lasso_spark.__file__
print(json.dumps(out))
"""

_CV = r"""
import json, os, sys, time
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
os.environ["PYSPARK_PYTHON"] = sys.executable
from pyspark.sql import SparkSession
spark = (SparkSession.builder.master("local[2]").appName("bench_coldstart")
         .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
         .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
         .getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
from lasso_spark import LassoCV
from lasso_spark.datagen import generate
par = int(sys.argv[1])
df = generate(spark, n_rows=20000, n_features=50, n_informative=5, correlation="ar1", rho=0.5,
              noise_std=1.0, seed=0, num_partitions=2)
cols = [c for c in df.columns if c.startswith("x")]
out = {}
for key in ("first", "warm"):
    m = LassoCV(inputCols=cols, labelCol="y", numFolds=5, numRegParams=100, seed=7,
                parallelism=par).fit(df)
    sm = m.summary.asDict()
    out[key] = {"solve": sm["solveSeconds"], "foldPaths": sm["foldPathSeconds"],
                "tasks": sm["foldPathTasks"]}
import lasso_spark; out["package"] = lasso_spark.__file__
print(json.dumps(out))
spark.stop()
"""


_SUBMITTED = r"""
import json, os, sys, time
t0 = time.perf_counter()
from pyspark.sql import SparkSession
spark = SparkSession.builder.appName("bench_coldstart_submitted").getOrCreate()
sc = spark.sparkContext
sc.setLogLevel("ERROR")
out = {"session": time.perf_counter() - t0}
want = int(sys.argv[2])
t = time.perf_counter()
while sc._jsc.sc().getExecutorMemoryStatus().size() - 1 < want and time.perf_counter() - t < 120:
    time.sleep(0.2)
out["executors_wait"] = time.perf_counter() - t
df = spark.read.parquet(sys.argv[1])
if sys.argv[3] == "breakdown":  # the first fit's first-time costs, paid by jobs before it


    def arrow_only(batches):
        for b in batches:
            yield b.select(["x0"])


    def stats_import(batches):
        import lasso_spark.spark.stats  # noqa: F401
        for b in batches:
            yield b.select(["x0"])

    jobs = (("JVM's first job: spark.range(1000).count()", lambda: spark.range(1000).count()),
            ("Parquet count", lambda: df.count()),
            ("first Python workers: mapInArrow pass-through",
             lambda: df.mapInArrow(arrow_only, "x0 double").count()),
            ("same again", lambda: df.mapInArrow(arrow_only, "x0 double").count()),
            ("mapInArrow importing lasso_spark.spark.stats",
             lambda: df.mapInArrow(stats_import, "x0 double").count()))
    out["breakdown"] = []
    for label, job in jobs:
        t = time.perf_counter()
        job()
        out["breakdown"].append((label, time.perf_counter() - t))
from lasso_spark import LassoCV
import lasso_spark
out["package"] = lasso_spark.__file__
cols = [c for c in df.columns if c.startswith("x")]
for key in ("first", "warm"):
    t = time.perf_counter()
    m = LassoCV(inputCols=cols, labelCol="y", numFolds=5, numRegParams=100, seed=7,
                parallelism=2).fit(df)
    wall = time.perf_counter() - t
    sm = m.summary.asDict()
    out[key] = {"wall": wall, "stats": sm["statsSeconds"], "foldPaths": sm["foldPathSeconds"],
                "tasks": sm["foldPathTasks"], "fitSolve": sm["foldPathSolveSeconds"]}


def fallback_kernel(_):  # what a fit whose Newton solver falls back to CD pays once per worker
    import os, time
    t = time.perf_counter()
    from lasso_spark.core import warmup
    warmup()
    return [(os.getpid(), time.perf_counter() - t)]


out["cache_files_after_fits"] = sum(len(f) for _, _, f in os.walk(sys.argv[4]))
out["fallback_kernel"] = sc.parallelize(range(2), 2).mapPartitions(fallback_kernel).collect()


def where(_):
    import importlib.util, os, lasso_spark
    from lasso_spark.core import jit
    chosen = jit.configure_cache(importlib.util.find_spec("lasso_spark.core.kernels").origin)
    return [(os.getpid(), lasso_spark.__file__, chosen or "beside the modules")]


out["workers"] = sorted(set(sc.parallelize(range(4), 4).mapPartitions(where).collect()))
print(json.dumps(out))
spark.stop()
"""


def _run(code: str, args: list[str], env: dict[str, str], user: str | None = None,
         cwd: str | None = None) -> dict:
    cmd = [sys.executable, "-c", code, *args]
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *cmd]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd or str(ROOT))
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        raise RuntimeError(f"scenario failed ({proc.returncode}):\n{tail}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_CACHE_DIR", "PYTHONPATH", "XDG_CACHE_HOME")}
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.update(extra)
    return env


def _zip_package(dest: Path) -> Path:
    z = dest / "lasso_spark.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted((ROOT / "lasso_spark").rglob("*.py")):
            zf.write(f, f.relative_to(ROOT).as_posix())
    return z


def _count_files(path: Path) -> int:
    return sum(1 for f in path.rglob("*") if f.is_file()) if path.exists() else 0


def _spark_submit() -> str:
    import pyspark

    return os.path.join(os.path.dirname(pyspark.__file__), "bin", "spark-submit")


def _write_data(data: Path) -> None:
    """20,000 × 50 rows (AR(1) 0.5, 5 informative) as Parquet in 2 parts, once."""
    if (data / "_SUCCESS").exists():
        return
    code = r"""
import os, sys
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
os.environ["PYSPARK_PYTHON"] = sys.executable
from pyspark.sql import SparkSession
spark = (SparkSession.builder.master("local[2]").config("spark.driver.host", "127.0.0.1")
         .config("spark.driver.bindAddress", "127.0.0.1").config("spark.ui.enabled", "false")
         .getOrCreate())
from lasso_spark.datagen import generate
generate(spark, n_rows=20000, n_features=50, n_informative=5, correlation="ar1", rho=0.5,
         noise_std=1.0, seed=0, num_partitions=2).write.mode("overwrite").parquet(sys.argv[1])
spark.stop()
"""
    proc = subprocess.run([sys.executable, "-c", code, str(data)], capture_output=True,
                          text=True, env=_base_env(), cwd=str(ROOT))
    if proc.returncode != 0:
        raise RuntimeError(f"writing the data failed:\n{proc.stderr[-2000:]}")


def _submitted(master: str, data: Path, work: Path, zip_path: Path | None,
               cache_env: dict[str, str], cache_path: Path, timeout: float,
               breakdown: bool = False, readonly: Path | None = None) -> dict:
    """One fresh ``spark-submit`` of :data:`_SUBMITTED` on ``master``; ``cache_env`` (the
    cache location's variables) is given to the driver and, as ``spark.executorEnv``, to the
    executors (``cache_path``: where the kernels land, counted after the fits). With
    ``zip_path`` the package is shipped with ``--py-files`` and run from a directory without
    it. ``breakdown``: Spark jobs before the first fit pay its first-time
    costs one by one (the JVM's first job, a Parquet scan, the first Python workers).
    ``readonly``: the process runs in a private mount namespace (``unshare -m``, needs root)
    where that directory is bind-mounted read-only: not writable even by root, as a
    read-only install is for its users; the executors and their workers are its children."""
    script = work / "submitted.py"
    script.write_text(_SUBMITTED)
    python = sys.executable
    env = _base_env(SPARK_LOCAL_IP="127.0.0.1", PYSPARK_PYTHON=python,
                    PYSPARK_DRIVER_PYTHON=python, **cache_env)
    env.pop("SPARK_HOME", None)
    executors = 2 if master.startswith("local-cluster") else 0
    cmd = [_spark_submit(), "--master", master,
           "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
           "--conf", "spark.ui.enabled=false", "--conf", "spark.ui.showConsoleProgress=false",
           "--conf", "spark.sql.shuffle.partitions=2",
           "--conf", f"spark.executorEnv.OPENBLAS_NUM_THREADS={env['OPENBLAS_NUM_THREADS']}"]
    if executors:
        cmd += ["--conf", "spark.executor.memory=1024m"]
    for key, value in cache_env.items():
        cmd += ["--conf", f"spark.executorEnv.{key}={value}"]
    if zip_path is not None:
        cmd += ["--py-files", str(zip_path)]
    cmd += [str(script), str(data), str(executors), "breakdown" if breakdown else "-",
            str(cache_path)]
    if readonly is not None:
        cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c",
               'mount --bind -o ro "$0" "$0" && exec "$@"', str(readonly), *cmd]
    t = time_now()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(work),
                          timeout=timeout)
    wall = time_now() - t
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-8:])
        raise RuntimeError(f"submitted scenario failed ({proc.returncode}):\n{tail}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process"] = wall
    return out


def time_now() -> float:
    import time

    return time.perf_counter()


def _pair(code: str, args: list[str], env_for, user: str | None = None,
          cwd: str | None = None) -> tuple[dict, dict]:
    """The same scenario in two fresh processes sharing one initially empty cache."""
    cold = _run(code, args, env_for(), user, cwd)
    kept = _run(code, args, env_for(), user, cwd)
    return cold, kept


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-spark", action="store_true")
    ap.add_argument("--only-spark", action="store_true",
                    help="only the LassoCV scenarios (skips the solver's, among them the "
                         "minutes-long numba compile of solver='cd')")
    ap.add_argument("--submitted", action="store_true",
                    help="only the spark-submit scenarios (fold paths as Spark tasks, Parquet "
                         "input; empty cache, cache kept, zip) on each of --masters")
    ap.add_argument("--masters", nargs="+", default=["local[2]", "local-cluster[2,1,1024]"])
    ap.add_argument("--installs", nargs="+", default=["installed", "zip"],
                    choices=["installed", "zip", "readonly"],
                    help="installed: NUMBA_CACHE_DIR at a new empty directory, then kept; "
                         "zip: --py-files, the package's own cache choice under a new "
                         "XDG_CACHE_HOME, then kept; readonly: a copy of the package on a "
                         "read-only bind mount (needs root and unshare), first on "
                         "PYTHONPATH, cache as for the zip")
    ap.add_argument("--data-dir", default=os.path.join(tempfile.gettempdir(),
                                                       "lasso_spark_coldstart"),
                    help="where the Parquet input is written once and reused")
    ap.add_argument("--breakdown", action="store_true",
                    help="with --submitted: time the JVM's first job, a Parquet count and "
                         "the first Python workers as jobs before the first fit")
    ap.add_argument("--timeout", type=float, default=300.0,
                    help="seconds allowed to one spark-submit process")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args(argv)
    load = os.getloadavg()[0]
    print(f"load average {load:.1f}; OPENBLAS_NUM_THREADS=1; wall seconds")
    if args.submitted:
        _submitted_scenarios(args)
        return
    rows: list[tuple[str, dict, dict]] = []
    with tempfile.TemporaryDirectory(prefix="bench_coldstart_") as tmp:
        tmp_p = Path(tmp)
        for solver in () if args.only_spark else ("newton", "cd"):
            cache = tmp_p / f"cache_{solver}"
            rows.append((f"enet_path solver={solver}", *_pair(
                _ENET, [solver], lambda c=cache: _base_env(NUMBA_CACHE_DIR=str(c)))))
        zdir = tmp_p / "zip"
        zdir.mkdir()
        z = _zip_package(zdir)
        xdg = tmp_p / "xdg_zip"
        if not args.only_spark:
            rows.append(("enet_path from a zip", *_pair(
                _ENET, ["newton"], lambda: _base_env(PYTHONPATH=str(z), XDG_CACHE_HOME=str(xdg)),
                cwd=str(zdir))))
        if args.only_spark:
            pass
        elif hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("setpriv"):
            ro = tmp_p / "readonly"
            shutil.copytree(ROOT / "lasso_spark", ro / "lasso_spark",
                            ignore=shutil.ignore_patterns("__pycache__"))
            os.chmod(tmp_p, 0o755)
            for d in [ro, *ro.rglob("*")]:
                os.chmod(d, 0o555 if d.is_dir() else 0o444)
            ntmp = tmp_p / "nobody_tmp"
            ntmp.mkdir(mode=0o777)
            os.chmod(ntmp, 0o777)
            rows.append(("enet_path read-only, user nobody", *_pair(
                _ENET, ["newton"],
                lambda: _base_env(PYTHONPATH=str(ro), HOME="/nonexistent", TMPDIR=str(ntmp)),
                user="65534", cwd=str(ntmp))))
        else:
            print("note: read-only scenario skipped (needs root and setpriv)")
        if not args.skip_spark:
            for par, label in ((1, "driver"), (2, "executors")):
                cache = tmp_p / f"cache_cv{par}"
                rows.append((f"LassoCV fold paths on {label}", *_pair(
                    _CV, [str(par)], lambda c=cache: _base_env(NUMBA_CACHE_DIR=str(c)))))
            xdg = tmp_p / "xdg_cv_zip"
            rows.append(("LassoCV executors, zip", *_pair(
                _CV, ["2"], lambda: _base_env(PYTHONPATH=str(z), XDG_CACHE_HOME=str(xdg)),
                cwd=str(zdir))))
    print(f"{'scenario':<36} | {'cold: first':>11} {'warm':>7} {'extra':>7} | "
          f"{'kept: first':>11} {'warm':>7} {'extra':>7} | notes")
    for name, cold, kept in rows:
        if "import" in cold:
            def fig(r: dict) -> tuple[float, float]:
                return r["first"], r["warm"]
            note = (f"import {cold['import']:.2f}/{kept['import']:.2f} s; warmup() "
                    f"{cold['warmup']:.2f}/{kept['warmup']:.2f} s; cache {cold['cache_dir']}")
        else:
            key = "foldPaths" if cold["first"]["tasks"] > 1 else "solve"

            def fig(r: dict, key: str = key) -> tuple[float, float]:
                return r["first"][key], r["warm"][key]
            note = f"{key}Seconds, {cold['first']['tasks']} task(s)"
        (c1, c2), (k1, k2) = fig(cold), fig(kept)
        print(f"{name:<36} | {c1:>11.2f} {c2:>7.2f} {c1 - c2:>+7.2f} | {k1:>11.2f} {k2:>7.2f} "
              f"{k1 - k2:>+7.2f} | {note}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(
            [{"scenario": n, "cold": c, "kept": k} for n, c, k in rows], indent=1))


def _submitted_scenarios(args: argparse.Namespace) -> None:
    data = Path(args.data_dir) / "rows_20000x50.parquet"
    _write_data(data)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench_coldstart_submit_") as tmp:
        tmp_p = Path(tmp)
        zdir = tmp_p / "zip"
        zdir.mkdir()
        z = _zip_package(zdir)
        for master in args.masters:
            for install in args.installs:
                tag = f"{master.split('[')[0]}_{install}"
                cache = tmp_p / f"cache_{tag}"
                cache.mkdir()
                readonly = None
                if install == "installed":
                    cache_env, where, zip_path = {"NUMBA_CACHE_DIR": str(cache)}, cache, None
                elif install == "zip":
                    cache_env = {"XDG_CACHE_HOME": str(cache)}
                    where, zip_path = cache / "lasso_spark" / "numba", z
                else:  # a copy of the package on a read-only mount, first on PYTHONPATH
                    readonly = tmp_p / f"readonly_{tag}"
                    shutil.copytree(ROOT / "lasso_spark", readonly / "lasso_spark",
                                    ignore=shutil.ignore_patterns("__pycache__"))
                    cache_env = {"XDG_CACHE_HOME": str(cache), "PYTHONPATH": str(readonly)}
                    where, zip_path = cache / "lasso_spark" / "numba", None
                for state in ("empty", "kept"):
                    work = tmp_p / f"work_{tag}_{state}"
                    work.mkdir()
                    before = _count_files(cache)
                    started = datetime.datetime.now(datetime.timezone.utc).strftime("%H:%M:%S")
                    load_start = os.getloadavg()[0]
                    r = _submitted(master, data, work, zip_path, cache_env, where, args.timeout,
                                   args.breakdown, readonly)
                    r.update(master=master, install=install, cache=state, utc=started,
                             load_start=load_start, load_end=os.getloadavg()[0],
                             cache_files_before=before,
                             cache_files_after=_count_files(where))
                    results.append(r)
                    _print_submitted(r)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


def _print_submitted(r: dict) -> None:
    f, w = r["first"], r["warm"]
    places = sorted({(p, c) for _, p, c in r["workers"]})
    print(f"{r['utc']} load {r['load_start']:.1f}-{r['load_end']:.1f} | {r['master']:<24} "
          f"{r['install']:<9} {r['cache']:<5} | fit wall {f['wall']:6.2f} / {w['wall']:6.2f} "
          f"{f['wall'] - w['wall']:+6.2f} | foldPaths {f['foldPaths']:5.2f} / "
          f"{w['foldPaths']:5.2f} {f['foldPaths'] - w['foldPaths']:+5.2f} "
          f"({f['tasks']} tasks; slowest fit {max(f['fitSolve']):.2f} / "
          f"{max(w['fitSolve']):.2f}) | stats {f['stats']:5.2f} / {w['stats']:5.2f} | "
          f"session {r['session']:.1f}, executors {r['executors_wait']:.1f}, process "
          f"{r['process']:.1f} | cache files {r['cache_files_before']} before, "
          f"{r['cache_files_after_fits']} after the fits, {r['cache_files_after']} at the end | "
          f"driver {r['package']} | workers {places}", flush=True)
    kernel = ", ".join(f"{sec:.2f}" for _, sec in r["fallback_kernel"])
    print(f"    after the fits, in the workers: numba import + cd_sweep (the Newton solver's "
          f"fallback kernel) compiled or loaded: {kernel} s", flush=True)
    for label, seconds in r.get("breakdown", []):
        print(f"    before the first fit: {label}: {seconds:.2f} s", flush=True)


if __name__ == "__main__":
    main()
