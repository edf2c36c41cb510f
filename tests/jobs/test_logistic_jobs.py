"""fit (kind = "logistic_lasso_cv") → score end to end: outputs, summary, probabilities."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lasso_spark.cli import main
from lasso_spark.jobs_lib.errors import EXIT_INPUT, EXIT_OK

pytestmark = [pytest.mark.spark, pytest.mark.jobs]


@pytest.fixture(scope="module")
def binary_data(spark, tmp_path_factory):
    rng = np.random.default_rng(11)
    n = 1500
    X = rng.normal(size=(n, 4)) + 0.5 * rng.normal(size=(n, 1))
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(0.5 + X @ [1.2, -0.8, 0.0, 0.0])))).astype(float)
    rows = [(i, *map(float, X[i]), float(y[i])) for i in range(n)]
    path = tmp_path_factory.mktemp("bin") / "data.parquet"
    spark.createDataFrame(rows, ["id", "x0", "x1", "x2", "x3", "label"]).repartition(2) \
        .write.parquet(str(path))
    return path, X, y


def test_logistic_fit_then_score(spark, binary_data, tmp_path):
    path, X, y = binary_data
    f = tmp_path / "fit.toml"
    f.write_text(f'[input]\npath = "{path}"\n[columns]\nlabel = "label"\nid = ["id"]\n'
                 '[model]\nkind = "logistic_lasso_cv"\nnumFolds = 3\nnumRegParams = 15\n'
                 f'cvMetric = "deviance"\nseed = 3\n[output]\npath = "{tmp_path}/fit"\n'
                 'plots = true\n')
    assert main(["fit", "-c", str(f)], spark=spark) == EXIT_OK
    out = tmp_path / "fit"
    for name in ("model", "coefficients.parquet", "path.parquet", "cv.parquet",
                 "plots/path.png", "plots/cv.png", "summary.json", "_SUCCESS"):
        assert (out / name).exists(), name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["kind"] == "logistic_lasso_cv" and summary["rows"]["used"] == len(y)
    cv = spark.read.parquet(str(out / "cv.parquet")).toPandas()
    err = summary["cvError"]
    row = cv.loc[(cv["regParam"] - err["regParam"]).abs().idxmin()]
    assert err["metric"] == "deviance" and err["mean"] == row["devianceMean"]
    assert summary["modelSummary"]["solverMode"] == "logistic"
    coef = spark.read.parquet(str(out / "coefficients.parquet")).toPandas()
    assert set(coef.loc[coef["coefficient"] != 0, "feature"]) >= {"x0", "x1"}

    s = tmp_path / "score.toml"
    s.write_text(f'[model]\npath = "{out}"\n[input]\npath = "{path}"\n'
                 f'[output]\npath = "{tmp_path}/pred"\npassthrough = ["id"]\n')
    assert main(["score", "-c", str(s)], spark=spark) == EXIT_OK
    pred = spark.read.parquet(str(tmp_path / "pred")).toPandas().sort_values("id")
    assert list(pred.columns) == ["id", "probability", "prediction"]
    m = summary["intercept"] + X @ coef["coefficient"].to_numpy()
    p = 1 / (1 + np.exp(-m))
    np.testing.assert_allclose(pred["probability"], p, rtol=1e-10)
    np.testing.assert_array_equal(pred["prediction"], (p > 0.5).astype(float))


def test_label_outside_zero_one_is_a_data_error(spark, binary_data, tmp_path):
    path, _, _ = binary_data
    f = tmp_path / "fit.toml"
    f.write_text(f'[input]\npath = "{path}"\n[columns]\nlabel = "x3"\nid = ["id"]\n'
                 '[model]\nkind = "logistic_lasso"\nregParam = 0.1\n'
                 f'[output]\npath = "{tmp_path}/fit"\n')
    assert main(["fit", "-c", str(f)], spark=spark) == EXIT_INPUT
    assert not (tmp_path / "fit").exists()
