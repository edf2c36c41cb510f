"""Fold paths solved in threads on the driver: the same answers bit for bit as one thread, in
the fits' order, and "auto" weighing tasks against the driver's threads."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from lasso_spark.core import SuffStats
from lasso_spark.core.stats import leave_one_out
from lasso_spark.spark import fold_paths
from lasso_spark.spark.fold_paths import (
    AUTO_MIN_FEATURES,
    AUTO_MIN_SECONDS,
    FoldFit,
    choose_parallelism,
    driver_threads,
    run_fold_fits,
)


def _fits(p: int = 120, n: int = 400, k: int = 5, solver: str | None = None) -> list[FoldFit]:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(n, 3)) @ rng.normal(size=(3, p)) + rng.normal(size=(n, p))
    y = X[:, :6] @ rng.normal(size=6) + rng.normal(size=n)
    fold = rng.integers(0, k, n)
    parts = [SuffStats.from_arrays(X[fold == f], y[fold == f]) for f in range(k)]
    from lasso_spark.core import alpha_max

    alphas = alpha_max(SuffStats.from_arrays(X, y), 1.0) * np.logspace(0, -2.5, 40)
    return [FoldFit(f, f, 0, train, parts[f], alphas, l1) for l1 in (1.0, 0.5)
            for f, train in enumerate(leave_one_out(parts))]


@pytest.mark.parametrize("options", [{}, {"solver": "cd"}])
def test_threads_give_the_one_thread_answers_in_order(options):
    fits = [FoldFit(i, f.fold, f.enp_index, f.train, f.heldout, f.alphas, f.l1_ratio)
            for i, f in enumerate(_fits())]
    one = run_fold_fits(fits, options, threads=1)
    seen: set[str] = set()
    real = fold_paths._solve_timed

    def spy(fit, options):
        seen.add(threading.current_thread().name)
        return real(fit, options)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fold_paths, "_solve_timed", spy)
        three = run_fold_fits(fits, options, threads=3)
    assert len(seen) > 1 and all(name.startswith("lasso_spark-fold") for name in seen)
    assert [r.fit_id for r in three] == [f.fit_id for f in fits]
    for a, b in zip(one, three, strict=True):
        np.testing.assert_array_equal(a.mse, b.mse)
        np.testing.assert_array_equal(a.n_nonzero, b.n_nonzero)
        np.testing.assert_array_equal(a.support, b.support)
        assert a.converged and b.converged and b.seconds > 0.0
    assert len({a.mse.tobytes() for a in one}) == len(fits)  # the fits differ: order is tested


def test_a_failing_fit_fails_the_call_from_its_thread():
    fits = _fits(p=20, n=100)
    bad = FoldFit(99, 0, 0, fits[0].train, fits[0].heldout, fits[0].alphas, l1_ratio=2.0)
    with pytest.raises(ValueError):
        run_fold_fits([*fits[:3], bad], {}, threads=2)


def test_auto_compares_tasks_with_the_driver_threads():
    """T (1/d − 1/k) against one job's cost: 2 driver threads make 2 task slots worthless."""
    per_fit = 2.0 * AUTO_MIN_SECONDS  # T = 10 jobs' cost on one thread
    kw = dict(n_features=50, n_fits=5, seconds_per_fit=per_fit)
    assert choose_parallelism("auto", **kw, max_tasks=2, threads=1) == 2  # saves 5 jobs
    assert choose_parallelism("auto", **kw, max_tasks=2, threads=2) == 1  # saves nothing
    assert choose_parallelism("auto", **kw, max_tasks=8, threads=2) == 5  # saves 3 jobs
    # a saving of T (1/4 − 1/5) = T/20 = half a job: the driver
    assert choose_parallelism("auto", **kw, max_tasks=8, threads=4) == 1
    # the size rule (no estimate): tasks only with more slots than driver threads
    big = dict(n_features=AUTO_MIN_FEATURES, n_fits=5)
    assert choose_parallelism("auto", **big, max_tasks=2, threads=1) == 2
    assert choose_parallelism("auto", **big, max_tasks=2, threads=2) == 1
    assert choose_parallelism("auto", **big, max_tasks=8, threads=2) == 5
    assert choose_parallelism(2, **kw, max_tasks=8, threads=8) == 2  # an int is the user's call


class _Conf:
    def __init__(self, values):
        self.values = values

    def get(self, key, default=None):
        return self.values.get(key, default)


class _Session:
    def __init__(self, values):
        self.conf = _Conf(values)


def test_driver_threads_from_spark_driver_cores_else_the_cpus():
    import os

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert driver_threads() == driver_threads(_Session({})) == cpus
    assert driver_threads(_Session({"spark.driver.cores": "3"})) == 3
    assert driver_threads(_Session({"spark.driver.cores": "0"})) == 1
