"""A/B of two source trees' group-lasso path (issue 16) against the plain lasso path, in
alternating child processes: is a change to the group solver faster than the tree it changes,
and how far is the group path from 2× the lasso's?

Per family (``benchmarks/designs.py``, n = 2 p, seed 0) and per tree (``PYTHONPATH=<tree>``,
order A B, B A, ... over ``--rounds``), a fresh child process solves the cross-validated path
of ``bench_penalties`` (5 fold paths on the merged training statistics, each scored on its
held-out fold, plus the full path; 100 alphas, tol 1e-7) for the plain lasso and for the
group lasso (``--groups`` groups of ``--group-size`` contiguous features, the rest singles),
alternating, ``--repeats`` times after one untimed warm-up, and reports the best CPU seconds
(``time.process_time``; one BLAS thread) of each. Printed per family and tree: the best over
rounds of lasso and group seconds, group / lasso, the alphas converged, the group path's
Newton steps, and the largest relative difference of the two trees' full-path objectives.

    OPENBLAS_NUM_THREADS=1 python -m benchmarks.bench_group_ab --tree-a /tmp/main --tree-b .
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

_CHILD = r"""
import json, sys, time
import numpy as np
from benchmarks.designs import make_design
from benchmarks.bench_penalties import _cv_paths, _folds
from lasso_spark.core import SuffStats, enet_path
from lasso_spark.core.penalties import StructuredPenalty
fam, p, ng, gs, repeats, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
X, y = make_design(fam, 2 * p, p, 0)
folds, total = _folds(X, y, 5)
sp = StructuredPenalty.make(p, groups=[list(range(g * gs, (g + 1) * gs)) for g in range(ng)])
variants = [("lasso", {}), ("group", {"structure": sp})]
for _, kw in variants:  # warm-up: imports, numba caches
    _cv_paths(folds, total, 100, {"tol": 1e-7, **kw}, False)
best = {name: np.inf for name, _ in variants}
conv = {}
for _ in range(repeats):
    for name, kw in variants:
        t0 = time.process_time()
        _, ok = _cv_paths(folds, total, 100, {"tol": 1e-7, **kw}, False)
        best[name] = min(best[name], time.process_time() - t0)
        conv[name] = ok
full = enet_path(total, n_alphas=100, tol=1e-7, structure=sp)
np.save(out, full.coef_std)
print(json.dumps({"lasso": best["lasso"], "group": best["group"], "conv": conv,
                  "steps": int(full.diagnostics.newton_steps)}))
"""

def _child(tree: str, fam: str, args: argparse.Namespace, out: str) -> dict:
    env = dict(os.environ, PYTHONPATH=tree)
    r = subprocess.run([sys.executable, "-c", _CHILD, fam, str(args.p), str(args.groups),
                        str(args.group_size), str(args.repeats), out],
                       env=env, cwd=tree, capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tree-a", required=True)
    ap.add_argument("--tree-b", required=True)
    ap.add_argument("--families", nargs="+", default=["equi_0.5", "factors", "ar1_0.95",
                                                       "neardup"])
    ap.add_argument("--p", type=int, default=500)
    ap.add_argument("--groups", type=int, default=3)
    ap.add_argument("--group-size", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    trees = {"A": str(Path(args.tree_a).resolve()), "B": str(Path(args.tree_b).resolve())}
    print(f"A = {trees['A']}\nB = {trees['B']}\np = {args.p}, n = {2 * args.p}, "
          f"{args.groups} groups of {args.group_size} + singles; 5 folds + full path, "
          f"100 alphas, tol 1e-7; best CPU s over {args.rounds} rounds x {args.repeats}")
    print(f"{'family':<10} {'tree':<4} {'lasso s':>8} {'group s':>8} {'group/lasso':>11} "
          f"{'converged':>10} {'steps':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for fam in args.families:
            res: dict[str, list[dict]] = {"A": [], "B": []}
            for r in range(args.rounds):
                for t in ("AB" if r % 2 == 0 else "BA"):
                    res[t].append(_child(trees[t], fam, args, f"{tmp}/{fam}_{t}.npy"))
            for t in "AB":
                lasso = min(x["lasso"] for x in res[t])
                group = min(x["group"] for x in res[t])
                c = res[t][-1]["conv"]
                print(f"{fam:<10} {t:<4} {lasso:8.3f} {group:8.3f} {group / lasso:11.2f} "
                      f"{c['group']:>4}/{c['lasso']:<5} {res[t][-1]['steps']:>6}")
            a, b = (np.load(f"{tmp}/{fam}_{t}.npy") for t in "AB")
            diff = float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(a))), 1e-300))
            print(f"{fam:<10} max |coef_A - coef_B| / max |coef_A| (full path) = {diff:.1e}")


if __name__ == "__main__":
    main()
