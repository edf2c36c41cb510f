"""Side-by-side: lasso_spark.core.enet_path vs scikit-learn's lasso_path on the same Gram.

Both solvers get the same standardized Gram ``G = X̃ᵀX̃``, ``Xy = X̃ᵀy`` (ours through the
equivalent SuffStats), the same 100 alphas and the same tolerance (gap ≤ tol·‖y‖², identical
criteria). Designs: n = 5000 rows, AR(1) correlated features (corr(x_j, x_k) = r^|j−k|) or
equicorrelated ones (``--design equi``: corr(x_j, x_k) = r), a sparse truth and Gaussian
noise. Times are CPU seconds of this process (robust to other load on a
shared machine; run with OPENBLAS_NUM_THREADS=1), best of ``--repeats`` runs (best wall
seconds in the last column); the speed-up is
the ratio of the two. numba compile/cache-load time is reported separately (paid once
per process).

    python -m benchmarks.bench_solver                  # p = 100, 1000, 3000
    python -m benchmarks.bench_solver --p 1000 --tol 1e-7 --repeats 3
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning
from sklearn.linear_model import lasso_path

from lasso_spark.core import SuffStats, enet_path, warmup
from lasso_spark.core.path import ConvergenceWarning


def make_design(
    n: int, p: int, corr: float, seed: int, kind: str = "ar1"
) -> tuple[np.ndarray, np.ndarray]:
    """``ar1``: corr(x_j, x_k) = corr^|j−k|; ``equi``: corr(x_j, x_k) = corr for all j ≠ k."""
    rng = np.random.default_rng(seed)
    if kind == "equi":
        common = rng.standard_normal((n, 1))
        X = np.sqrt(corr) * common + np.sqrt(1.0 - corr) * rng.standard_normal((n, p))
    elif kind == "ar1":
        X = np.empty((n, p))
        X[:, 0] = rng.standard_normal(n)
        s = np.sqrt(1.0 - corr * corr)
        for j in range(1, p):
            X[:, j] = corr * X[:, j - 1] + s * rng.standard_normal(n)
    else:
        raise ValueError(f"unknown design {kind!r}; use 'ar1' or 'equi'")
    k = max(5, p // 20)
    beta = np.zeros(p)
    support = rng.choice(p, k, replace=False)
    beta[support] = rng.choice([-1.0, 1.0], k) * rng.uniform(0.5, 2.0, k)
    signal = X @ beta
    y = signal + rng.standard_normal(n) * signal.std() / 2.0  # SNR 4
    return X, y


def objective(X: np.ndarray, y: np.ndarray, coefs: np.ndarray, alphas: np.ndarray) -> np.ndarray:
    r = y[:, None] - X @ coefs.T
    return 0.5 * np.mean(r * r, axis=0) + alphas * np.abs(coefs).sum(axis=1)


def run(
    p: int, n: int, tol: float, repeats: int, sk_max_iter: int, corr: float, kind: str = "ar1"
) -> dict:
    X, y = make_design(n, p, corr, seed=p, kind=kind)
    stats = SuffStats.from_arrays(X, y)
    Xs = (X - stats.mean_x) / stats.std_x
    yc = y - stats.mean_y
    G = Xs.T @ Xs
    Xy = Xs.T @ yc
    ours_t, sk_t, ours_w, sk_w = [], [], [], []
    for _ in range(repeats):
        t0, w0 = time.process_time(), time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = enet_path(stats, n_alphas=100, tol=tol)
        ours_t.append(time.process_time() - t0)
        ours_w.append(time.perf_counter() - w0)
        t0, w0 = time.process_time(), time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SkConvergenceWarning)
            _, sk_coefs, sk_gaps, sk_iter = lasso_path(
                Xs, yc, alphas=res.alphas, precompute=G, Xy=Xy, tol=tol,
                max_iter=sk_max_iter, return_n_iter=True,
            )
        sk_t.append(time.process_time() - t0)
        sk_w.append(time.perf_counter() - w0)
    sk_coefs = sk_coefs.T
    sk_conv = int(np.sum(sk_gaps <= tol * float(yc @ yc)))
    obj_ours = objective(Xs, yc, res.coef_std, res.alphas)
    obj_sk = objective(Xs, yc, sk_coefs, res.alphas)
    return {
        "p": p,
        "ours": min(ours_t),
        "sk": min(sk_t),
        "ours_wall": min(ours_w),
        "sk_wall": min(sk_w),
        "ours_conv": int(res.converged.sum()),
        "sk_conv": sk_conv,
        "m": res.n_alphas,
        "ours_iter": int(res.n_iter.sum()),
        "sk_iter": int(np.sum(sk_iter)),
        "nnz_last": int(res.n_nonzero[-1]),
        # > 0 where scikit-learn's objective is higher than ours (relative)
        "obj_rel": float(np.max((obj_sk - obj_ours) / obj_ours)),
        "obj_rel_min": float(np.min((obj_sk - obj_ours) / obj_ours)),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--p", type=int, nargs="+", default=[100, 1000, 3000])
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--corr", type=float, default=0.7)
    ap.add_argument("--design", choices=["ar1", "equi"], default="ar1")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sk-max-iter", type=int, default=1000, help="scikit-learn's default: 1000")
    args = ap.parse_args(argv)

    compile_s = warmup()
    print(f"numba compile / cache load: {compile_s:.2f} s (once per process, not in the timings)")
    print(f"n={args.n}, {args.design} corr={args.corr}, 100 alphas, tol={args.tol:g}, "
          f"scikit-learn max_iter={args.sk_max_iter}, best of {args.repeats}")
    head = (f"{'p':>6} {'ours s':>9} {'sklearn s':>10} {'speed-up':>9} {'ours conv':>10} "
            f"{'sk conv':>8} {'ours it':>8} {'sk it':>8} {'nnz@min':>8} {'Δobj sk-ours (rel)':>22} "
            f"{'wall ours/sk s':>16}")
    print(head)
    for p in args.p:
        r = run(p, args.n, args.tol, args.repeats, args.sk_max_iter, args.corr, args.design)
        print(f"{r['p']:>6} {r['ours']:>9.3f} {r['sk']:>10.3f} {r['sk'] / r['ours']:>8.1f}x "
              f"{r['ours_conv']:>6}/{r['m']:<3} {r['sk_conv']:>4}/{r['m']:<3} "
              f"{r['ours_iter']:>8} {r['sk_iter']:>8} {r['nnz_last']:>8} "
              f"{r['obj_rel_min']:>+10.1e}..{r['obj_rel']:>+9.1e} "
              f"{r['ours_wall']:>7.3f}/{r['sk_wall']:<7.3f}", flush=True)


if __name__ == "__main__":
    main()
