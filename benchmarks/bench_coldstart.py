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

    python benchmarks/bench_coldstart.py                 # everything (a few minutes)
    python benchmarks/bench_coldstart.py --skip-spark    # enet_path scenarios only
    python benchmarks/bench_coldstart.py --only-spark    # LassoCV scenarios only
"""

from __future__ import annotations

import argparse
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
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args(argv)
    load = os.getloadavg()[0]
    print(f"load average {load:.1f}; OPENBLAS_NUM_THREADS=1; wall seconds")
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


if __name__ == "__main__":
    main()
