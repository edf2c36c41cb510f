"""Side by side: lasso_spark.core.enet_path against scikit-learn, R glmnet and adelie on the
same correlated designs, 100 alphas, certified tolerances, and the answers' objective excess.

Design families (``benchmarks/designs.py``): AR(1) 0.7 and 0.95, equicorrelated 0.5, three
strong common factors + noise, pairs of near-duplicate columns; ``n = 2.5 p`` rows (``--ratio``),
a sparse truth, SNR 4. Every solver gets the same standardized problem (population standard
deviation, centered label) and the same 100 alphas (``enet_path``'s grid down to 1e-4
``alpha_max``), and solves ``min ½‖y − Xβ‖²/n + α‖β‖₁``:

* ours: ``enet_path(stats, tol=1e-7)`` (certified: duality gap ≤ tol · ‖y‖²/n at every alpha),
  and the same at ``tol=1e-10`` (goal: at most 2× the 1e-7 time);
* scikit-learn ``lasso_path`` on the same Gram (``precompute=G, Xy=Xᵀy``) at the same gap
  tolerance (its criterion is ours times n), ``max_iter`` 1000 (its default; ``--sk-max-iter``);
* R glmnet (``Rscript``, when installed: ``apt-get install r-cran-glmnet``), covariance mode,
  ``thresh=1e-7`` (its default), ``standardize=FALSE`` on the standardized X — its time includes
  the inner products it forms from X, as a glmnet user pays them;
* adelie ``gaussian_cov(A = G/n, v = Xᵀy/n, lmda_path=alphas, tol=1e-7, early_exit=False)``,
  run by ``--adelie-python`` (default ``/work/venvs/adelie/bin/python``: adelie pins numpy < 2,
  so it lives in its own environment) in a subprocess.

Anchors that are not installed are skipped with a note. Each anchor runs in a child process
(scikit-learn forked, R and adelie as subprocesses) stopped at a CPU-time budget
(``--anchor-budget`` times ours' tol-1e-7 time, at least ``--anchor-min``, at most
``--anchor-timeout`` CPU seconds; ``--anchor-wall`` wall seconds at most); a stopped anchor is
shown as ``>T``: ``T`` the CPU seconds its process had used (start-up included, ≈ 1 s for R
and adelie), a lower bound of its time and of its ratio to ours.

Times are CPU seconds of the solve only (user + system; data loading and the Gram excluded
except glmnet's own inner products), best of ``--repeats``; set ``OPENBLAS_NUM_THREADS=1``
(this script sets it when unset) so every solver runs on one core. The objective excess of
each answer is ``max over alphas of (P − P_ref) / P_ref`` against ours at ``tol=1e-12``;
``conv`` counts alphas whose own convergence test passed (glmnet and adelie report none: "-").

    python -m benchmarks.bench_solver                                   # all families, p = 1000
    python -m benchmarks.bench_solver --p 1000 2000 4000 --repeats 1
    python -m benchmarks.bench_solver --families factors --p 2000 --anchors sklearn
    python -m benchmarks.bench_solver --p 20 50 100 200 --anchors --cd --repeats 5   # small p
    python -m benchmarks.bench_solver --lassocv --p 30 50 --ratio 800 --repeats 3   # LassoCV

``--cd`` adds ``solver="cd"`` (the numba coordinate-descent kernels, compiled or loaded from the
cache before any timing) at tol 1e-7 beside the default Newton solver.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from benchmarks.designs import FAMILIES, make_design  # noqa: E402
from lasso_spark.core import SuffStats, enet_path, warmup  # noqa: E402

ADELIE_PYTHON = "/work/venvs/adelie/bin/python"

_R_SCRIPT = r"""
args <- commandArgs(TRUE)
d <- args[1]; n <- as.integer(args[2]); p <- as.integer(args[3]); m <- as.integer(args[4])
thresh <- as.numeric(args[5]); reps <- as.integer(args[6])
suppressMessages(library(glmnet))
X <- matrix(readBin(file.path(d, "X.bin"), "double", n * p), n, p)
y <- readBin(file.path(d, "y.bin"), "double", n)
lam <- readBin(file.path(d, "lambda.bin"), "double", m)
best <- Inf
for (r in seq_len(reps)) {
  t <- system.time(fit <- glmnet(X, y, family = "gaussian", lambda = lam, standardize = FALSE,
                                 intercept = TRUE, thresh = thresh,
                                 type.gaussian = "covariance", maxit = 100000000))
  best <- min(best, t[["user.self"]] + t[["sys.self"]])
}
writeBin(as.vector(as.matrix(fit$beta)), file.path(d, "beta.bin"))
cat(best, fit$npasses, packageDescription("glmnet")$Version, "\n")
"""

_ADELIE_SCRIPT = r"""
import sys, time, json
import numpy as np
import adelie as ad
d, tol, reps = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
z = np.load(d + "/cov.npz")
A, v, lam = np.asfortranarray(z["A"]), z["v"], z["lmda"]
best = np.inf
for _ in range(reps):
    t0 = time.process_time()
    state = ad.solver.gaussian_cov(A, v, lmda_path=lam, tol=tol, early_exit=False,
                                   progress_bar=False, n_threads=1)
    best = min(best, time.process_time() - t0)
B = state.betas.toarray()
np.save(d + "/betas.npy", B)
print(json.dumps({"seconds": best, "n_lmdas": int(B.shape[0]), "version": ad.__version__}))
"""


def problem(kind: str, p: int, ratio: float, seed: int):
    """Statistics (for ours), standardized X, centered y, the Gram problem (G, c, yy)/n."""
    n = int(round(ratio * p))
    X, y = make_design(kind, n, p, seed)
    mean_x = X.mean(axis=0)
    X -= mean_x
    ybar = float(y.mean())
    yc = y - ybar
    cxx = X.T @ X
    cxy = X.T @ yc
    stats = SuffStats(n_rows=n, weight_sum=float(n), mean_x=mean_x, mean_y=ybar, cxx=cxx,
                      cxy=cxy, cyy=float(yc @ yc))
    sd = np.sqrt(np.diag(cxx) / n)
    X /= sd
    inv = 1.0 / sd
    Gn = cxx * np.multiply.outer(inv, inv)  # = X̃ᵀX̃ (scikit-learn's Gram)
    Gn = 0.5 * (Gn + Gn.T)
    Xy = cxy * inv
    return stats, X, yc, Gn, Xy


def objective(Gn: np.ndarray, Xy: np.ndarray, yty: float, n: int, B: np.ndarray,
              alphas: np.ndarray) -> np.ndarray:
    """``½‖y − Xβ‖²/n + α‖β‖₁`` for each row of ``B`` from the Gram."""
    quad = np.einsum("ij,ij->i", B @ Gn, B)
    return (0.5 * (yty - 2.0 * B @ Xy + quad)) / n + alphas * np.abs(B).sum(axis=1)


def _cpu(fn, repeats: int):
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.process_time()
        out = fn()
        best = min(best, time.process_time() - t0)
    return best, out


def run_ours(stats, tol: float, repeats: int, alphas=None, solver: str = "newton",
             n_alphas: int = 100):
    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if alphas is None:
                return enet_path(stats, n_alphas=n_alphas, tol=tol, solver=solver)
            return enet_path(stats, alphas=alphas, tol=tol, solver=solver)

    return _cpu(fit, repeats)


def _children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished and waited-for children."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def _watch(pid: int, done, budget: float, wall_cap: float) -> bool:
    """Poll until ``done()``; False when process ``pid`` used ``budget`` CPU seconds or
    ``wall_cap`` wall seconds first (the caller then kills it). On a shared machine an
    anchor's share of a core varies: the budget is its CPU time, as every reported time."""
    t0 = time.monotonic()
    while not done():
        if _cpu_of(pid) >= budget or time.monotonic() - t0 >= wall_cap:
            return False
        time.sleep(0.2)
    return True


def _run_watched(cmd: list[str], budget: float, wall_cap: float, env=None):
    """``subprocess`` ``cmd`` under :func:`_watch`: ``(returncode, stdout, stderr)``, or
    ``(None, cpu_used, "")`` when stopped at the budget."""
    c0 = _children_cpu()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True, env=env)
        if not _watch(proc.pid, lambda: proc.poll() is not None, budget, wall_cap):
            proc.kill()
            proc.wait()
            return None, _children_cpu() - c0, ""
        out.seek(0)
        err.seek(0)
        return proc.returncode, out.read(), err.read()


def _sklearn_child(conn, X, yc, Gn, Xy, alphas, tol, repeats, max_iter) -> None:
    from sklearn.exceptions import ConvergenceWarning as SkWarning
    from sklearn.linear_model import lasso_path

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SkWarning)
            return lasso_path(X, yc, alphas=alphas, precompute=Gn, Xy=Xy, tol=tol,
                              max_iter=max_iter)

    sec, (_, coefs, gaps) = _cpu(fit, repeats)
    conn.send((sec, coefs.T, gaps))
    conn.close()


def run_sklearn(X, yc, Gn, Xy, alphas, tol, repeats, max_iter, budget: float,
                wall_cap: float):
    """scikit-learn's ``lasso_path`` in a forked child (killed after ``budget`` CPU seconds:
    then ``(None, cpu_used)``, a lower bound of its time); ``None`` when not installed."""
    try:  # imported before the fork: the child's CPU time is the solve's
        from sklearn.linear_model import lasso_path  # noqa: F401
    except ImportError:
        return None
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_sklearn_child,
                       args=(send, X, yc, Gn, Xy, alphas, tol, repeats, max_iter))
    c0 = _children_cpu()
    proc.start()
    send.close()
    if not _watch(proc.pid, lambda: recv.poll(0), budget, wall_cap):
        proc.kill()
        os.waitpid(proc.pid, 0)
        return None, _children_cpu() - c0
    sec, coefs, gaps = recv.recv()
    proc.join()
    conv = int(np.sum(gaps <= tol * float(yc @ yc)))
    return sec, coefs, conv


def run_glmnet(X, yc, alphas, thresh, repeats, workdir: Path, budget: float,
               wall_cap: float):
    if shutil.which("Rscript") is None:
        return None, "R glmnet: Rscript not found (apt-get install r-cran-glmnet)"
    n, p = X.shape
    np.asfortranarray(X).ravel(order="F").tofile(workdir / "X.bin")
    yc.astype(np.float64).tofile(workdir / "y.bin")
    alphas.astype(np.float64).tofile(workdir / "lambda.bin")
    script = workdir / "fit.R"
    script.write_text(_R_SCRIPT)
    rc, out, err = _run_watched(["Rscript", str(script), str(workdir), str(n), str(p),
                                 str(alphas.shape[0]), repr(thresh), str(repeats)],
                                budget, wall_cap)
    if rc is None:
        return ("timeout", out), "R glmnet (stopped at the time budget)"
    if rc != 0:
        return None, f"R glmnet failed: {err.strip().splitlines()[-1:]}"
    sec, npasses, version = out.split()
    B = np.fromfile(workdir / "beta.bin").reshape(alphas.shape[0], p)
    return (float(sec), B, int(npasses)), f"R glmnet {version}"


def run_adelie(Gn, Xy, n, alphas, tol, repeats, python: str, workdir: Path, budget: float,
               wall_cap: float):
    if not Path(python).exists():
        return None, f"adelie: no interpreter at {python} (pip install adelie in its own venv)"
    np.savez(workdir / "cov.npz", A=Gn / n, v=Xy / n, lmda=alphas)
    script = workdir / "fit_adelie.py"
    script.write_text(_ADELIE_SCRIPT)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    rc, out, err = _run_watched([python, str(script), str(workdir), repr(tol), str(repeats)],
                                budget, wall_cap, env)
    if rc is None:
        return ("timeout", out), "adelie (stopped at the time budget)"
    if rc != 0:
        return None, f"adelie failed: {err.strip().splitlines()[-1:]}"
    out = json.loads(out.strip().splitlines()[-1])
    B = np.load(workdir / "betas.npy")
    if B.shape[0] != alphas.shape[0]:
        return None, f"adelie returned {B.shape[0]} of {alphas.shape[0]} alphas"
    return (out["seconds"], B), f"adelie {out['version']}"


def bench(kind: str, p: int, args) -> dict:
    stats, X, yc, Gn, Xy = problem(kind, p, args.ratio, seed=p)
    n = X.shape[0]
    yty = float(yc @ yc)
    t7, r7 = run_ours(stats, 1e-7, args.repeats, n_alphas=args.n_alphas)
    alphas = r7.alphas
    t10, r10 = run_ours(stats, 1e-10, args.repeats, alphas)
    _, ref = run_ours(stats, 1e-12, 1, alphas)
    p_ref = objective(Gn, Xy, yty, n, ref.coef_std, alphas)

    def excess(B):
        return float(np.max((objective(Gn, Xy, yty, n, B, alphas) - p_ref) / p_ref))

    row = {"family": kind, "p": p, "n": n, "ours7": t7, "ours7_conv": int(r7.converged.sum()),
           "ours7_excess": excess(r7.coef_std), "ours10": t10,
           "ours10_conv": int(r10.converged.sum()), "ours10_excess": excess(r10.coef_std),
           "ref_conv": int(ref.converged.sum()), "nnz_end": int(r7.n_nonzero[-1]),
           "fallback_alphas": r7.diagnostics.fallback_alphas,
           "newton_steps": r7.diagnostics.newton_steps,
           "homotopy_alphas": r7.diagnostics.homotopy_alphas, "notes": []}
    if args.cd:
        tcd, rcd = run_ours(stats, 1e-7, args.repeats, alphas, solver="cd")
        row.update(cd=tcd, cd_conv=int(rcd.converged.sum()), cd_excess=excess(rcd.coef_std))
    # every anchor stops at the time budget: slower than that, its ratio to ours is a lower
    # bound (reported as ">"), which decides the goal's "faster than" clauses just as well
    budget = min(args.anchor_timeout, max(args.anchor_min, args.anchor_budget * t7))
    row["budget"] = budget
    if "sklearn" in args.anchors:
        sk = run_sklearn(X, yc, Gn, Xy, alphas, 1e-7, args.repeats, args.sk_max_iter, budget,
                         args.anchor_wall)
        if sk is None:
            row["notes"].append("scikit-learn not installed")
        elif sk[0] is None:
            row.update(sk=sk[1], sk_timeout=True)
        else:
            row.update(sk=sk[0], sk_conv=sk[2], sk_excess=excess(sk[1]))
    with tempfile.TemporaryDirectory(prefix="bench_solver_") as tmp:
        if "glmnet" in args.anchors:
            res, note = run_glmnet(X, yc, alphas, 1e-7, args.repeats, Path(tmp), budget,
                                   args.anchor_wall)
            row["notes"].append(note)
            if res is not None and res[0] == "timeout":
                row.update(glmnet=res[1], glmnet_timeout=True)
            elif res is not None:
                row.update(glmnet=res[0], glmnet_excess=excess(res[1]), glmnet_passes=res[2])
        if "adelie" in args.anchors:
            res, note = run_adelie(Gn, Xy, n, alphas, 1e-7, args.repeats, args.adelie_python,
                                   Path(tmp), budget, args.anchor_wall)
            row["notes"].append(note)
            if res is not None and res[0] == "timeout":
                row.update(adelie=res[1], adelie_timeout=True)
            elif res is not None:
                row.update(adelie=res[0], adelie_excess=excess(res[1]))
    return row


def bench_cv(kind: str, p: int, args) -> str:
    """``cv_path`` (5 fold paths + the full path, 100 alphas, tol 1e-7: LassoCV's solves on
    statistics) on ``n = ratio · p`` rows of ``kind``, Newton (default) vs ``solver="cd"``."""
    from lasso_spark.core import cv_path

    n = int(round(args.ratio * p))
    X, y = make_design(kind, n, p, seed=p)
    fold = np.arange(n) % 5
    folds = [SuffStats.from_arrays(X[fold == k], y[fold == k]) for k in range(5)]
    out = {}
    for solver in ("newton", "cd"):
        out[solver], res = _cpu(lambda s=solver: cv_path(folds, tol=1e-7, solver=s),
                                args.repeats)
        out[solver + "_conv"] = int(res.fold_converged.sum() + res.path.converged.sum())
    return (f"{kind:>9} {p:>5} n={n:<6} | LassoCV solves: newton {out['newton']:.4f} s "
            f"({out['newton_conv']}/600 conv), cd {out['cd']:.4f} s ({out['cd_conv']}/600), "
            f"newton/cd {out['newton'] / out['cd']:.2f}x")


def _fmt(row: dict, key: str, width: int = 8) -> str:
    if key not in row:
        return f"{'-':>{width}}"
    if row.get(key + "_timeout"):  # stopped at the budget: a lower bound
        return f"{'>' + format(row[key], '.1f'):>{width}}"
    return f"{row[key]:>{width}.3f}"


def _ratio(row: dict):
    def ratio(key: str) -> str:
        if key not in row:
            return f"{'-':>7}"
        r = f"{row[key] / row['ours7']:.1f}x"
        return f"{'>' + r if row.get(key + '_timeout') else r:>7}"

    return ratio


def _ex(row: dict, key: str) -> str:
    return f"{row[key]:>9.1e}" if key in row else f"{'-':>9}"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--families", nargs="+", default=list(FAMILIES), choices=list(FAMILIES))
    ap.add_argument("--p", type=int, nargs="+", default=[1000])
    ap.add_argument("--ratio", type=float, default=2.5, help="n / p (default 2.5)")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--n-alphas", type=int, default=100,
                    help="alphas of every path (default 100; fewer keeps p = 4000 rows short)")
    ap.add_argument("--anchors", nargs="*", default=["sklearn", "glmnet", "adelie"],
                    choices=["sklearn", "glmnet", "adelie"])
    ap.add_argument("--sk-max-iter", type=int, default=1000, help="scikit-learn's default: 1000")
    ap.add_argument("--anchor-budget", type=float, default=8.0,
                    help="stop an anchor after this many times ours' tol-1e-7 time (CPU "
                         "seconds; default 8): its time and ratio are then lower bounds, '>'")
    ap.add_argument("--anchor-min", type=float, default=10.0,
                    help="... but never before this many CPU seconds (default 10)")
    ap.add_argument("--anchor-timeout", type=float, default=300.0,
                    help="... and always after this many CPU seconds (default 300)")
    ap.add_argument("--anchor-wall", type=float, default=600.0,
                    help="... or this many wall seconds (default 600)")
    ap.add_argument("--adelie-python", default=os.environ.get("ADELIE_PYTHON", ADELIE_PYTHON))
    ap.add_argument("--cd", action="store_true",
                    help="also time solver='cd' (numba coordinate descent, compiled or loaded "
                         "from the cache before timing) at tol 1e-7")
    ap.add_argument("--lassocv", action="store_true",
                    help="instead: LassoCV's solves (cv_path, 5 folds + full, 100 alphas), "
                         "Newton vs solver='cd', per family and p")
    ap.add_argument("--json", help="also write the rows to this file")
    args = ap.parse_args(argv)

    compile_s = warmup() + (warmup("cd") if args.cd or args.lassocv else 0.0)
    if args.lassocv:
        print(f"numba compile / cache load {compile_s:.2f} s (not timed); CPU s best of "
              f"{args.repeats}; load {os.getloadavg()[0]:.1f}")
        for p in args.p:
            for kind in args.families:
                print(bench_cv(kind, p, args), flush=True)
        return
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"numba compile / cache load: {compile_s:.2f} s (once per process, not timed); "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}; load {load:.1f}")
    print(f"{args.n_alphas} alphas to 1e-4 alpha_max, n = {args.ratio:g} p, CPU s best of "
          f"{args.repeats}; "
          "excess = max relative objective excess over ours at tol 1e-12")
    head = (f"{'family':>9} {'p':>5} | {'ours 1e-7':>9} {'conv':>4} {'excess':>9} | "
            f"{'1e-10':>7} {'x':>5} | {'sklearn':>8} {'conv':>4} {'excess':>9} {'sk/ours':>7} | "
            f"{'glmnet':>8} {'excess':>9} {'gl/ours':>7} | {'adelie':>8} {'excess':>9} "
            f"{'ad/ours':>7} | {'nnz':>5} {'fb':>3}")
    print(head)
    print("-" * len(head))
    rows = []
    notes: set[str] = set()
    for p in args.p:
        for kind in args.families:
            r = bench(kind, p, args)
            rows.append(r)
            notes.update(r["notes"])
            ratio = _ratio(r)
            print(f"{kind:>9} {p:>5} | {r['ours7']:>9.3f} {r['ours7_conv']:>4} "
                  f"{r['ours7_excess']:>9.1e} | {r['ours10']:>7.3f} "
                  f"{r['ours10'] / r['ours7']:>4.2f}x | {_fmt(r, 'sk')} "
                  f"{r.get('sk_conv', '-'):>4} {_ex(r, 'sk_excess')} {ratio('sk')} | "
                  f"{_fmt(r, 'glmnet')} {_ex(r, 'glmnet_excess')} {ratio('glmnet')} | "
                  f"{_fmt(r, 'adelie')} {_ex(r, 'adelie_excess')} {ratio('adelie')} | "
                  f"{r['nnz_end']:>5} {r['fallback_alphas']:>3}"
                  + (f" | cd {r['cd']:.4f} ({r['cd_conv']}) newton/cd "
                     f"{r['ours7'] / r['cd']:.2f}x; homotopy alphas {r['homotopy_alphas']}"
                     if 'cd' in r else ""), flush=True)
    print("anchors: " + "; ".join(sorted(notes)))
    print("conv: alphas whose duality gap met the tolerance (ours 1e-7 / scikit-learn); fb: "
          "alphas where the Newton solver fell back to coordinate descent")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
