"""enet_path's answers do not depend on the BLAS thread count (core/threads.py): the same
paths solved in processes started with 1 and with 2 OpenBLAS threads are bit-identical, as a
fold path solved on a Spark executor (OMP_NUM_THREADS = its cores) must equal the driver's.

Without the pin these differ in the last bits: OpenBLAS's threaded ``dtrsm`` (scipy's
``solve_triangular`` of the factor's forward solves, at 12 features), ``dsymv`` and ``dgemv``
(the gradients, at a few hundred)."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lasso_spark.core import SuffStats
from lasso_spark.core.threads import one_blas_thread

ROOT = Path(__file__).resolve().parents[2]

_CHILD = r"""
import json, pickle, sys, warnings
import numpy as np
from threadpoolctl import threadpool_info
from lasso_spark.core import enet_path

def blas_threads():
    return sorted({i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"})

cases = pickle.loads(open(sys.argv[1], "rb").read())
before = blas_threads()
out = {}
for name, (stats, kw) in cases.items():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = enet_path(stats, **kw)
    out[name] = r.coef.tolist(), r.dual_gap.tolist(), r.diagnostics.newton_steps, \
        int(r.n_nonzero.max())
print(json.dumps({"threads": before, "after": blas_threads(), "out": out}))
"""


def _factors(rng: np.random.Generator, n: int, p: int, k: int = 3) -> np.ndarray:
    F = rng.standard_normal((n, k))
    L = rng.standard_normal((p, k))
    L *= np.sqrt(3.0 / (L * L).sum(axis=1, keepdims=True))
    return F @ L.T + rng.standard_normal((n, p))


def _cases() -> dict:
    rng = np.random.default_rng(12)
    cases = {}
    # a few common factors + noise, n/p = 2.5, p = 300: the path ends dense (Newton steps on
    # hundreds of active features, gradients by dsymv / dgemv)
    n, p = 750, 300
    X = _factors(rng, n, p)
    y = X[:, :20] @ rng.uniform(-2, 2, 20) + rng.standard_normal(n)
    with one_blas_thread():
        cases["factors300"] = (SuffStats.from_arrays(X, y), {"n_alphas": 60})
    # the cluster test's shape: 12 equicorrelated weighted features, elastic net (no homotopy)
    n, p = 4000, 12
    X = rng.standard_normal((n, p)) @ np.linalg.cholesky(0.4 + 0.6 * np.eye(p)).T
    w = rng.uniform(0.2, 3.0, n)
    y = X[:, ::3] @ rng.uniform(0.5, 2.0, 4) + rng.standard_normal(n) / np.sqrt(w)
    with one_blas_thread():
        cases["enet12"] = (SuffStats.from_arrays(X, y, w),
                           {"n_alphas": 40, "l1_ratio": 0.8, "tol": 1e-12})
    return cases


def _solve(cases_file: Path, threads: int) -> dict:
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(cases_file)], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.splitlines()[-1])


def test_paths_are_bit_identical_with_one_and_two_blas_threads(tmp_path):
    cases_file = tmp_path / "cases.pkl"
    cases_file.write_bytes(pickle.dumps(_cases()))
    one, two = _solve(cases_file, 1), _solve(cases_file, 2)
    assert one["threads"] == one["after"] == [1]
    if two["threads"] != [2]:
        pytest.skip(f"OpenBLAS gave {two['threads']} threads for OPENBLAS_NUM_THREADS=2 "
                    "(one core?): nothing to compare")
    assert two["after"] == [2]  # the pin is lifted after the call
    differ = []
    for name in one["out"]:
        coef1, gap1, steps1, nnz1 = one["out"][name]
        coef2, gap2, steps2, nnz2 = two["out"][name]
        assert steps1 > 0  # Newton steps on a factor were taken
        if name == "factors300":
            assert nnz1 >= 200  # the dense end of the path: hundreds of active features
        if not (np.array_equal(coef1, coef2) and np.array_equal(gap1, gap2)):
            differ.append((name, float(np.max(np.abs(np.subtract(coef1, coef2))))))
    assert differ == []

def test_one_blas_thread_nests_and_restores():
    from threadpoolctl import threadpool_info

    def counts() -> list[int]:
        return sorted({i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"})

    before = counts()
    with one_blas_thread():
        assert counts() == [1]
        with one_blas_thread():
            assert counts() == [1]
        assert counts() == [1]  # the inner exit keeps the outer pin
    assert counts() == before
