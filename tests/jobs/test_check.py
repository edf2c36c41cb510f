"""``--check`` (issue 19 item 4): paths, existing outputs, model paths, defaults' values — all
without starting Spark."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from lasso_spark.cli import main
from lasso_spark.jobs_lib.errors import EXIT_CONFIG, EXIT_INPUT, EXIT_OK
from tests.unit.model_factory import write_local_model


@pytest.fixture(autouse=True)
def no_spark(monkeypatch):
    import lasso_spark.jobs_lib.session as session

    def boom(*a, **k):
        raise AssertionError("--check must not start Spark")

    monkeypatch.setattr(session, "build_session", boom)


def fit_toml(tmp_path: Path, model: str = 'kind = "lasso_cv"', output: str = "") -> Path:
    (tmp_path / "in.parquet").mkdir(exist_ok=True)
    f = tmp_path / "fit.toml"
    f.write_text(f'[input]\npath = "{tmp_path / "in.parquet"}"\n[columns]\nlabel = "y"\n'
                 f'[model]\n{model}\n[output]\npath = "{tmp_path / "out"}"\n{output}')
    return f


def score_toml(tmp_path: Path, model_path: Path) -> Path:
    (tmp_path / "in.parquet").mkdir(exist_ok=True)
    f = tmp_path / "score.toml"
    f.write_text(f'[model]\npath = "{model_path}"\n[input]\npath = "{tmp_path / "in.parquet"}"\n'
                 f'[output]\npath = "{tmp_path / "pred"}"\n')
    return f


def errors(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]


def test_check_prints_values_of_defaults(tmp_path, capsys):
    assert main(["fit", "-c", str(fit_toml(tmp_path)), "--check"]) == EXIT_OK
    cfg = json.loads(capsys.readouterr().out)
    model = cfg["model"]
    assert model["numFolds"] == 5 and model["numRegParams"] == 100
    assert model["elasticNetParam"] == 1.0 and model["selectionRule"] == "min"
    assert model["standardization"] is True and model["tol"] == 1e-7
    assert model["handleInvalid"] == "error" and model["parallelism"] == "auto"
    assert isinstance(model["seed"], int) and model["penaltyFactors"] == {}
    assert model["regParamMinRatio"].startswith("auto")
    assert model["elasticNetParams"] == [1.0]
    assert model["foldCol"] is None  # not used: no fold column
    assert cfg["spark"]["master"] == "local[*]" and cfg["spark"]["app_name"] == "lasso_spark-fit"
    assert cfg["columns"]["features"].startswith("auto")
    nulls = [k for k, v in model.items() if v is None]
    assert set(nulls) <= {"foldCol", "validationCol", "regParams", "regParam"}, nulls


def test_check_lasso_prints_no_cv_keys(tmp_path, capsys):
    f = fit_toml(tmp_path, 'kind = "lasso"\nregParam = 0.1')
    assert main(["fit", "-c", str(f), "--check"]) == EXIT_OK
    model = json.loads(capsys.readouterr().out)["model"]
    assert model["regParam"] == 0.1 and model["maxIter"] == 100_000
    assert "numFolds" not in model and "selectionRule" not in model


def test_check_refuses_missing_input(tmp_path, caplog):
    f = fit_toml(tmp_path)
    shutil.rmtree(tmp_path / "in.parquet")
    assert main(["fit", "-c", str(f), "--check"]) == EXIT_CONFIG
    assert any("input.path: path does not exist" in m for m in errors(caplog))


def test_check_refuses_existing_output_under_mode_error(tmp_path, caplog):
    f = fit_toml(tmp_path)
    (tmp_path / "out").mkdir()
    assert main(["fit", "-c", str(f), "--check"]) == EXIT_CONFIG
    assert any('already exists; set output.mode = "overwrite"' in m for m in errors(caplog))
    assert main(["fit", "-c", str(f), "--check", "--set", "output.mode=overwrite"]) == EXIT_OK


def test_check_refuses_output_overlapping_input(tmp_path, caplog):
    f = fit_toml(tmp_path)
    argv = ["fit", "-c", str(f), "--check", "--set", f"output.path={tmp_path}",
            "--set", "output.mode=overwrite"]
    assert main(argv) == EXIT_CONFIG
    assert any("contains input.path" in m for m in errors(caplog))


def test_check_model_path(tmp_path, caplog, capsys):
    fit_out = tmp_path / "fit"
    fit_out.mkdir()
    (fit_out / "summary.json").write_text("{}")
    write_local_model(fit_out / "model")
    f = score_toml(tmp_path, fit_out)
    assert main(["score", "-c", str(f), "--check"]) == EXIT_OK
    out = json.loads(capsys.readouterr().out)
    assert out["model"]["handle_invalid"] == "error"
    assert "a LassoModel with 2 features" in caplog.text
    # missing model path: config error
    f = score_toml(tmp_path, tmp_path / "nope")
    assert main(["score", "-c", str(f), "--check"]) == EXIT_CONFIG
    assert any("model.path: path does not exist" in m for m in errors(caplog))
    # damaged model (a data file edited after the save): data error, found without Spark
    part = next((fit_out / "model" / "data").glob("part-*"))
    part.write_bytes(part.read_bytes()[:-3])
    f = score_toml(tmp_path, fit_out)
    caplog.clear()
    assert main(["score", "-c", str(f), "--check"]) == EXIT_INPUT
    (msg,) = errors(caplog)
    assert "is damaged: data/part-00000.parquet" in msg and "does not match its checksum" in msg
