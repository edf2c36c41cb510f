"""The README's `lasso-spark demo --config conf/demo_small.toml`: a vector feature column, whose
coefficients the report must map back to the generator's x0..x{p-1}."""

from __future__ import annotations

import json
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
