"""fit → score end to end on generated data, against scikit-learn and the model itself."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from lasso_spark.cli import main
from lasso_spark.jobs_lib import fit as fit_job
from lasso_spark.jobs_lib.errors import EXIT_OK

pytestmark = [pytest.mark.spark, pytest.mark.jobs]


@pytest.fixture
def dataset(spark, tmp_path):
    f = tmp_path / "gen.toml"
    f.write_text(f'[data]\nn_rows = 4000\nn_features = 8\nn_informative = 3\nseed = 2\n'
                 f'noise_std = 0.5\nnum_partitions = 2\n[output]\npath = "{tmp_path}/g"\n')
    assert main(["generate", "-c", str(f)], spark=spark) == EXIT_OK
    return tmp_path / "g"


def fit_toml(tmp_path, data, extra_model=""):
    f = tmp_path / "fit.toml"
    f.write_text(f'[input]\npath = "{data}/data.parquet"\n[columns]\nlabel = "y"\nid = ["id"]\n'
                 f'[model]\nkind = "lasso_cv"\nnumFolds = 3\nnumRegParams = 20\nseed = 1\n'
                 f'{extra_model}[output]\npath = "{tmp_path}/fit"\n')
    return f


def test_fit_then_score(spark, dataset, tmp_path):
    f = fit_toml(tmp_path, dataset)
    assert main(["fit", "-c", str(f)], spark=spark) == EXIT_OK
    out = tmp_path / "fit"
    for name in ("model", "coefficients.parquet", "path.parquet", "cv.parquet",
                 "plots/path.png", "plots/cv.png", "summary.json", "_SUCCESS"):
        assert (out / name).exists(), name
    summary = json.loads((out / "summary.json").read_text())
    coef = spark.read.parquet(str(out / "coefficients.parquet")).toPandas()
    assert list(coef.columns) == ["feature", "coefficient", "standardizedCoefficient"]
    assert summary["nonZeros"] == int((coef["coefficient"] != 0).sum())
    assert summary["config"]["model"]["numFolds"] == 3
    assert summary["rows"] == {"used": 4000, "skipped": 0}
    cv = spark.read.parquet(str(out / "cv.parquet")).toPandas()
    chosen = cv.loc[(cv["regParam"] - summary["regParam"]).abs().idxmin()]
    assert summary["cvError"]["regParam"] == summary["regParam"]
    assert summary["cvError"]["meanMSE"] == chosen["mseMean"]
    assert summary["cvError"]["stdErrMSE"] == chosen["mseStdErr"]
    truth = json.loads((dataset / "truth.json").read_text())
    found = set(coef.loc[coef["coefficient"] != 0, "feature"])
    assert {f"x{j}" for j in truth["support"]} <= found
    # standardized = coefficient × population std of the feature
    data = spark.read.parquet(str(dataset / "data.parquet")).toPandas()
    std = data[coef["feature"]].std(ddof=0).to_numpy()
    assert np.allclose(coef["standardizedCoefficient"], coef["coefficient"] * std, rtol=1e-9)

    s = tmp_path / "score.toml"
    s.write_text(f'[model]\npath = "{out}"\n[input]\npath = "{dataset}/data.parquet"\n'
                 f'[output]\npath = "{tmp_path}/pred"\npassthrough = ["id"]\n')
    assert main(["score", "-c", str(s)], spark=spark) == EXIT_OK
    pred = spark.read.parquet(str(tmp_path / "pred")).toPandas().sort_values("id")
    assert list(pred.columns) == ["id", "prediction"]
    X = data.sort_values("id")[coef["feature"]].to_numpy()
    expect = summary["intercept"] + X @ coef["coefficient"].to_numpy()
    assert np.allclose(pred["prediction"], expect, rtol=1e-9, atol=1e-9)


def test_fit_failure_leaves_no_output(spark, dataset, tmp_path, monkeypatch):
    def fail(fig):
        raise RuntimeError("injected failure while writing plots")

    monkeypatch.setattr(fit_job, "_png", fail)
    f = fit_toml(tmp_path, dataset)
    assert main(["fit", "-c", str(f)], spark=spark) == 1
    assert not [p for p in os.listdir(tmp_path) if "fit" in p and p != "fit.toml"]
