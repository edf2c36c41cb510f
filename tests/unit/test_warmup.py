"""The demo's background warm-ups: a failure is recorded and logged at DEBUG, never raised."""

from __future__ import annotations

import logging
import sys

import pytest

from lasso_spark.jobs_lib.warmup import (
    Warmup,
    import_in_worker,
    start_import_warmup,
    start_worker_warmup,
)


def test_a_failing_warmup_is_recorded_not_raised(caplog):
    def work() -> None:
        raise RuntimeError("no executors")

    with caplog.at_level(logging.DEBUG, logger="lasso_spark.jobs_lib.warmup"):
        warm = Warmup("test", work).start()
        assert warm.join(5.0)
    assert isinstance(warm.error, RuntimeError) and warm.seconds is None
    failed = [r for r in caplog.records if "failed" in r.getMessage()]
    assert failed and all(r.levelno == logging.DEBUG for r in failed)


def test_worker_warmup_on_a_session_that_cannot_run_jobs():
    class NoJobs:  # e.g. Spark Connect (no sparkContext) or a stopped session
        @property
        def sparkContext(self):
            raise RuntimeError("no SparkContext here")

    warm = start_worker_warmup(NoJobs())
    assert warm.join(5.0)
    assert isinstance(warm.error, RuntimeError)


def test_import_warmup_skips_missing_modules_and_imports_the_rest(monkeypatch):
    monkeypatch.delitem(sys.modules, "colorsys", raising=False)
    warm = start_import_warmup(("lasso_spark_no_such_module", "colorsys"))
    assert warm.join(10.0)
    assert warm.error is None and warm.seconds is not None
    assert "colorsys" in sys.modules


def test_import_in_worker_passes_batches_through_and_fails_on_a_missing_module():
    batches = [object(), object()]
    assert list(import_in_worker(iter(batches), modules=("json",))) == batches
    with pytest.raises(ModuleNotFoundError):
        list(import_in_worker(iter(batches), modules=("lasso_spark_no_such_module",)))
