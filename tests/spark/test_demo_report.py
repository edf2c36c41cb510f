"""The README's `lasso-spark demo --config conf/demo_small.toml`: a vector feature column, whose
coefficients the report must map back to the generator's x0..x{p-1}."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from lasso_spark.cli import main
from lasso_spark.jobs_lib.errors import EXIT_OK

pytestmark = [pytest.mark.spark, pytest.mark.jobs]

CONFIG = Path(__file__).resolve().parents[2] / "conf" / "demo_small.toml"


def test_demo_small_with_a_vector_column_reports_recovery(spark, tmp_path, capsys):
    out = tmp_path / "demo"
    argv = ["demo", "--config", str(CONFIG), "--output", str(out),
            "--set", "data.n_rows=3000"]
    assert main(argv, spark=spark) == EXIT_OK
    report = capsys.readouterr().out
    truth = json.loads((out / "data" / "truth.json").read_text())
    support = [truth["feature_names"][j] for j in truth["support"]]
    line = next(ln for ln in report.splitlines() if ln.strip().startswith("recovered"))
    assert f"{len(support)}/{len(support)}: {', '.join(support)}" in line
    assert "features[" not in report
    # where the time went, from the generate job's and the fit's own measurements
    summary = json.loads((out / "fit" / "summary.json").read_text())
    timing = next(ln for ln in report.splitlines() if ln.strip().startswith("time"))
    assert f"fit {summary['timings']['fit']:.1f} s" in timing
    assert f"statistics pass {summary['modelSummary']['statsSeconds']:.1f} s" in timing
    assert f"outputs {summary['timings']['write']:.1f} s" in timing
    assert "generate " in timing


def test_demo_report_is_the_same_when_the_worker_warmup_fails(spark, tmp_path, capsys,
                                                              monkeypatch, caplog):
    """The warm-up job failing in the Python workers changes neither the outputs nor the report
    (beyond its time line), and nothing about it is said above DEBUG."""
    from functools import partial

    from lasso_spark.jobs_lib import demo, warmup

    started: list[warmup.Warmup] = []

    def failing(spark_):
        warm = warmup.start_worker_warmup(spark_, modules=("lasso_spark_no_such_module",))
        started.append(warm)
        return warm

    def report(out, *extra):
        argv = ["demo", "--config", str(CONFIG), "--output", str(out),
                "--set", "data.n_rows=3000", *extra]
        assert main(argv, spark=spark) == EXIT_OK
        lines = capsys.readouterr().out.replace(str(out), "OUT").splitlines()
        return [ln for ln in lines if not ln.strip().startswith("time")]

    normal = report(tmp_path / "a")
    monkeypatch.setattr(demo, "start_worker_warmup", partial(failing))
    with caplog.at_level(logging.INFO):
        failed = report(tmp_path / "b")
    assert started and started[0].join(0) and started[0].error is not None
    assert "lasso_spark_no_such_module" in str(started[0].error)
    assert failed == normal
    assert not [r for r in caplog.records
                if r.levelno >= logging.INFO and "warm" in r.getMessage().lower()]


def test_worker_warmup_runs_on_a_session(spark):
    from lasso_spark.jobs_lib.warmup import start_worker_warmup

    warm = start_worker_warmup(spark)
    assert warm.join(120.0)
    assert warm.error is None and warm.seconds is not None
