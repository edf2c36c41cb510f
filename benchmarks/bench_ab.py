"""A/B of two source trees' path solvers on the same problems, alternating, with scikit-learn
beside: is a solver change faster than the tree it changes?

Each design (``benchmarks/designs.py``, the problems of ``bench_solver``: n = 2.5 p, seed p,
100 alphas to 1e-4 ``alpha_max``) is built once and saved; then, for ``--rounds`` rounds, a
fresh child process per tree (``PYTHONPATH=<tree>``, order A B, B A, A B, ...) loads it, solves
``enet_path(stats, tol=1e-7)`` once untimed (imports, caches) and ``--repeats`` times timed,
and reports the best CPU seconds of a solve (``time.process_time``: user + system of the
child; one BLAS thread). scikit-learn's ``lasso_path`` on the same Gram at the same gap
tolerance runs once per design in a forked child under a CPU budget (``bench_solver``'s
runner: ``>T`` when stopped). Reported per design: each tree's best (and all rounds' bests),
B / A, scikit-learn / each, Newton steps, alphas converged, and the max relative objective
difference of the two trees' answers.

    python -m benchmarks.bench_ab --tree-a /tmp/main --tree-b . \\
        --designs ar1_0.7:1000 ar1_0.7:2000 factors:2000
"""

from __future__ import annotations

import os

os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from benchmarks.bench_solver import objective, problem, run_sklearn  # noqa: E402

_CHILD = r"""
import json, sys, time, warnings
import numpy as np
import lasso_spark
from lasso_spark.core import SuffStats, enet_path
d, repeats = sys.argv[1], int(sys.argv[2])
z = np.load(d + "/stats.npz")
stats = SuffStats(n_rows=int(z["n"]), weight_sum=float(z["n"]), mean_x=z["mean_x"],
                  mean_y=float(z["mean_y"]), cxx=z["cxx"], cxy=z["cxy"], cyy=float(z["cyy"]))
def fit():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return enet_path(stats, alphas=z["alphas"], tol=1e-7)
fit()
best = np.inf
for _ in range(repeats):
    t0 = time.process_time()
    r = fit()
    best = min(best, time.process_time() - t0)
np.save(d + "/coef_" + sys.argv[3] + ".npy", r.coef_std)
print(json.dumps({"seconds": best, "steps": r.diagnostics.newton_steps,
                  "fallback": r.diagnostics.fallback_alphas,
                  "converged": int(r.converged.sum()), "nnz_end": int(r.n_nonzero[-1]),
                  "module": lasso_spark.__file__}))
"""


def _child(tree: Path, workdir: Path, repeats: int, tag: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(workdir), str(repeats), tag],
                          capture_output=True, text=True, env=env, cwd=workdir)
    if proc.returncode != 0:
        raise RuntimeError(f"{tree}: {proc.stderr[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    if not out["module"].startswith(str(tree.resolve())):
        raise RuntimeError(f"child imported {out['module']}, not the tree {tree}")
    return out


def ab(kind: str, p: int, args) -> dict:
    from lasso_spark.core import alpha_grid

    stats, X, yc, Gn, Xy = problem(kind, p, 2.5, seed=p)
    n = X.shape[0]
    alphas = alpha_grid(stats, 100)  # enet_path's default grid
    rows: dict = {"family": kind, "p": p, "a": [], "b": []}
    with tempfile.TemporaryDirectory(prefix="bench_ab_") as tmp:
        work = Path(tmp)
        np.savez(work / "stats.npz", n=stats.n_rows, mean_x=stats.mean_x, mean_y=stats.mean_y,
                 cxx=stats.cxx, cxy=stats.cxy, cyy=stats.cyy, alphas=alphas)
        trees = {"a": Path(args.tree_a), "b": Path(args.tree_b)}
        for r in range(args.rounds):
            for tag in ("a", "b") if r % 2 == 0 else ("b", "a"):
                rows[tag].append(_child(trees[tag], work, args.repeats, tag))
        yty = float(yc @ yc)
        obj = {t: objective(Gn, Xy, yty, n, np.load(work / f"coef_{t}.npy"), alphas)
               for t in trees}
    rows["obj_diff"] = float(np.max(np.abs(obj["a"] - obj["b"]) / obj["b"]))
    best = {t: min(x["seconds"] for x in rows[t]) for t in trees}
    sk = run_sklearn(X, yc, Gn, Xy, alphas, 1e-7, 1, 1000, args.sk_budget, args.sk_budget * 2)
    rows["sk"] = None if sk is None else (f">{sk[1]:.2f}" if sk[0] is None else sk[0])
    rows["sk_conv"] = None if sk is None or sk[0] is None else sk[2]
    rows["best"] = best
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree-a", required=True, help="source tree A (its lasso_spark is imported)")
    ap.add_argument("--tree-b", required=True)
    ap.add_argument("--designs", nargs="+", default=["ar1_0.7:1000"],
                    help="family:p, e.g. ar1_0.7:1000 factors:2000")
    ap.add_argument("--rounds", type=int, default=3, help="child processes per tree")
    ap.add_argument("--repeats", type=int, default=2, help="timed solves per child")
    ap.add_argument("--sk-budget", type=float, default=90.0,
                    help="scikit-learn's CPU seconds at most (then '>T')")
    args = ap.parse_args(argv)
    print(f"A = {args.tree_a}, B = {args.tree_b}; load {os.getloadavg()[0]:.1f}", flush=True)
    for spec in args.designs:
        kind, p = spec.split(":")
        r = ab(kind, int(p), args)
        a, b = r["best"]["a"], r["best"]["b"]
        sk = r["sk"]
        sk_txt = sk if isinstance(sk, str) or sk is None else f"{sk:.3f}"
        ratio = ("" if not isinstance(sk, float)
                 else f", scikit-learn/A {sk / a:.2f}x, scikit-learn/B {sk / b:.2f}x")
        print(f"{kind} p={p}: A {a:.3f} s {[round(x['seconds'], 3) for x in r['a']]}, "
              f"B {b:.3f} s {[round(x['seconds'], 3) for x in r['b']]}, B/A {b / a:.3f}; "
              f"scikit-learn {sk_txt} (conv {r['sk_conv']}){ratio}; steps A "
              f"{r['a'][0]['steps']} B {r['b'][0]['steps']}, converged A "
              f"{r['a'][0]['converged']} B {r['b'][0]['converged']}, fallback A "
              f"{r['a'][0]['fallback']} B {r['b'][0]['fallback']}, nnz end "
              f"{r['b'][0]['nnz_end']}; objective |A−B|/B max {r['obj_diff']:.1e}; "
              f"load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
