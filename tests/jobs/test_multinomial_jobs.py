"""fit (kind = "logistic_lasso_cv" / "logistic_lasso", family = "multinomial" / "auto") →
score end to end: outputs, summary, per-class probabilities equal to the estimator's; bad labels
(exit 3, counted) and an unknown family (exit 2)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lasso_spark.cli import main
from lasso_spark.jobs_lib.errors import EXIT_CONFIG, EXIT_INPUT, EXIT_OK

pytestmark = [pytest.mark.spark, pytest.mark.jobs]

K, P = 3, 4
COLS = [f"x{j}" for j in range(P)]


def _classes(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, P)) * [1.0, 2.0, 0.5, 1.0] + 0.4 * rng.normal(size=(n, 1))
    B = np.array([[1.2, -0.4, 0.0, 0.0], [-0.8, 0.6, 0.0, 0.0], [0.0, 0.0, 1.5, 0.0]])
    eta = X @ B.T
    prob = np.exp(eta - eta.max(1, keepdims=True))
    prob /= prob.sum(1, keepdims=True)
    y = (rng.uniform(size=(n, 1)) > np.cumsum(prob, axis=1)).sum(axis=1).astype(float)
    return X, y


@pytest.fixture(scope="module")
def three_classes(spark, tmp_path_factory):
    X, y = _classes(1200, 5)
    rows = [(i, *map(float, X[i]), float(y[i]), i % 3) for i in range(len(y))]
    path = tmp_path_factory.mktemp("multi") / "data.parquet"
    spark.createDataFrame(rows, ["id", *COLS, "label", "fold"]).repartition(2) \
        .write.parquet(str(path))
    return path, X, y


def _fit_toml(tmp_path, data, model: str, label: str = "label") -> str:
    f = tmp_path / "fit.toml"
    f.write_text(f'[input]\npath = "{data}"\n[columns]\nlabel = "{label}"\nid = ["id"]\n'
                 f'features = {json.dumps(COLS)}\n[model]\n{model}\n'
                 f'[output]\npath = "{tmp_path}/fit"\nplots = true\n')
    return str(f)


def _errors(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.levelname == "ERROR" and r.name.startswith("lasso_spark")]


@pytest.mark.parametrize("family", ["multinomial", "auto"])
def test_multinomial_cv_fit_then_score_equals_the_estimator(spark, three_classes, tmp_path,
                                                            family):
    from lasso_spark import LogisticLassoCV, MultinomialLassoModel

    path, X, y = three_classes
    model_keys = (f'kind = "logistic_lasso_cv"\nfamily = "{family}"\nfoldCol = "fold"\n'
                  'numFolds = 3\nnumRegParams = 12\ncvMetric = "misclassification"\n'
                  'tol = 1e-8')
    assert main(["fit", "-c", _fit_toml(tmp_path, path, model_keys)], spark=spark) == EXIT_OK
    out = tmp_path / "fit"
    for name in ("model", "coefficients.parquet", "path.parquet", "cv.parquet",
                 "plots/path.png", "plots/cv.png", "summary.json", "_SUCCESS"):
        assert (out / name).exists(), name

    df = spark.read.parquet(str(path))
    est = LogisticLassoCV(inputCols=COLS, labelCol="label", foldCol="fold", numFolds=3,
                          numRegParams=12, cvMetric="misclassification", tol=1e-8,
                          family=family).fit(df)
    assert isinstance(est, MultinomialLassoModel) and est.numClasses == K
    saved = MultinomialLassoModel.load(str(out / "model"))
    np.testing.assert_allclose(saved.coefficientMatrix.toArray(),
                               est.coefficientMatrix.toArray(), rtol=1e-9, atol=1e-12)

    summary = json.loads((out / "summary.json").read_text())
    assert summary["kind"] == "logistic_lasso_cv" and summary["family"] == "multinomial"
    assert summary["numClasses"] == K and summary["numFeatures"] == P
    assert "intercept" not in summary
    np.testing.assert_allclose(summary["interceptVector"], est.interceptVector.toArray(),
                               rtol=1e-9, atol=1e-12)
    assert summary["regParam"] == pytest.approx(est.regParam, rel=1e-12)
    assert summary["nonZeros"] == est.numNonzeros
    assert summary["rows"] == {"used": len(y), "skipped": 0}
    assert summary["modelSummary"]["numClasses"] == K
    cv = spark.read.parquet(str(out / "cv.parquet")).toPandas()
    err = summary["cvError"]
    row = cv.loc[(cv["regParam"] - err["regParam"]).abs().idxmin()]
    assert err["metric"] == "misclassification"
    assert err["mean"] == row["misclassificationMean"]
    assert len(cv) == len(est.cvResults) >= 5

    coef = spark.read.parquet(str(out / "coefficients.parquet")).toPandas()
    assert list(coef.columns) == ["feature", "class", "coefficient", "standardizedCoefficient"]
    B = coef.pivot(index="class", columns="feature", values="coefficient")[COLS].to_numpy()
    np.testing.assert_array_equal(B, saved.coefficientMatrix.toArray())
    assert len(coef) == K * P
    pathdf = spark.read.parquet(str(out / "path.parquet")).toPandas()
    assert {f"coef:{c}:{k}" for c in COLS for k in range(K)} <= set(pathdf.columns)
    assert {f"intercept:{k}" for k in range(K)} <= set(pathdf.columns)
    assert len(pathdf) == len(est.path)

    s = tmp_path / "score.toml"
    s.write_text(f'[model]\npath = "{out}"\n[input]\npath = "{path}"\n'
                 f'[output]\npath = "{tmp_path}/pred"\npassthrough = ["id"]\n')
    assert main(["score", "-c", str(s)], spark=spark) == EXIT_OK
    pred = spark.read.parquet(str(tmp_path / "pred")).toPandas().sort_values("id")
    names = [f"probability_{k}" for k in range(K)]
    assert list(pred.columns) == ["id", *names, "prediction"]
    ref = est.transform(df).select("id", "probability", "prediction").toPandas() \
        .sort_values("id")
    want = np.stack([v.toArray() for v in ref["probability"]])
    np.testing.assert_allclose(pred[names].to_numpy(), want, rtol=1e-9, atol=1e-14)
    np.testing.assert_array_equal(pred["prediction"].to_numpy(), ref["prediction"].to_numpy())
    # and the softmax of the fitted K margins, computed here
    m = X @ est.coefficientMatrix.toArray().T + est.interceptVector.toArray()
    e = np.exp(m - m.max(1, keepdims=True))
    np.testing.assert_allclose(pred[names].to_numpy(), e / e.sum(1, keepdims=True), rtol=1e-9)
    assert len(set(pred["prediction"])) == K  # every class predicted somewhere
    scored = json.loads((tmp_path / "pred" / "_summary.json").read_text())
    assert scored["columns"] == ["id", *names, "prediction"]
    assert scored["rows"]["scored"] == len(y)


def test_multinomial_single_fit_job_is_the_estimators_fit(spark, three_classes, tmp_path):
    from lasso_spark import LogisticLasso

    path, _, _ = three_classes
    keys = 'kind = "logistic_lasso"\nfamily = "multinomial"\nregParam = 0.03\ntol = 1e-8'
    assert main(["fit", "-c", _fit_toml(tmp_path, path, keys)], spark=spark) == EXIT_OK
    out = tmp_path / "fit"
    assert (out / "plots/path.png").exists() and not (out / "cv.parquet").exists()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["cvError"] is None and summary["regParam"] == 0.03
    est = LogisticLasso(inputCols=COLS, labelCol="label", regParam=0.03, tol=1e-8,
                        family="multinomial").fit(spark.read.parquet(str(path)))
    coef = spark.read.parquet(str(out / "coefficients.parquet")).toPandas()
    B = coef.pivot(index="class", columns="feature", values="coefficient")[COLS].to_numpy()
    np.testing.assert_allclose(B, est.coefficientMatrix.toArray(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(summary["interceptVector"], est.interceptVector.toArray(),
                               rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("bad,count", [(1.5, 7), (-1.0, 4), (float("nan"), 3)])
def test_bad_multinomial_labels_exit_3_with_their_count(spark, tmp_path, caplog, bad, count):
    X, y = _classes(300, 8)
    y[np.arange(count) * 11] = bad
    rows = [(i, *map(float, X[i]), float(y[i])) for i in range(len(y))]
    data = tmp_path / "bad.parquet"
    spark.createDataFrame(rows, ["id", *COLS, "label"]).write.parquet(str(data))
    keys = 'kind = "logistic_lasso_cv"\nfamily = "multinomial"\nnumFolds = 3\nnumRegParams = 5'
    caplog.clear()
    assert main(["fit", "-c", _fit_toml(tmp_path, data, keys)], spark=spark) == EXIT_INPUT
    assert not (tmp_path / "fit").exists()
    (msg,) = _errors(caplog)
    assert f"{count} rows" in msg and "'label'" in msg, msg


def test_unknown_family_is_a_config_error(spark, three_classes, tmp_path, caplog):
    path, _, _ = three_classes
    keys = 'kind = "logistic_lasso_cv"\nfamily = "poisson"\nnumFolds = 3'
    caplog.clear()
    assert main(["fit", "-c", _fit_toml(tmp_path, path, keys)], spark=spark) == EXIT_CONFIG
    (msg,) = _errors(caplog)
    assert "model.family" in msg and "poisson" in msg, msg
    assert not (tmp_path / "fit").exists()


def test_multinomial_score_counts_bad_rows_and_refuses_a_damaged_model(spark, three_classes,
                                                                       tmp_path, caplog):
    path, X, _ = three_classes
    keys = 'kind = "logistic_lasso"\nfamily = "multinomial"\nregParam = 0.05'
    assert main(["fit", "-c", _fit_toml(tmp_path, path, keys)], spark=spark) == EXIT_OK
    rows = [(i, *map(float, X[i])) for i in range(40)]
    rows[3] = (3, float("nan"), *rows[3][2:])
    rows[9] = (9, rows[9][1], None, *rows[9][3:])
    data = tmp_path / "score_in.parquet"
    spark.createDataFrame(rows, "id long, x0 double, x1 double, x2 double, x3 double") \
        .write.parquet(str(data))

    def score(handle: str, out: str, *check: str) -> int:
        s = tmp_path / f"{out}.toml"
        s.write_text(f'[model]\npath = "{tmp_path / "fit"}"\nhandle_invalid = "{handle}"\n'
                     f'[input]\npath = "{data}"\n[output]\npath = "{tmp_path / out}"\n')
        caplog.clear()
        return main(["score", "-c", str(s), *check], spark=None if check else spark)

    assert score("error", "p_check", "--check") == EXIT_OK  # Spark-free model check
    assert f"a MultinomialLassoModel with {P} features" in caplog.text

    assert score("error", "p_err") == EXIT_INPUT
    (msg,) = _errors(caplog)
    assert "column 'x0'" in msg and "column 'x1'" in msg and "2 rows" not in msg, msg
    assert not (tmp_path / "p_err").exists()
    assert score("keep", "p_keep") == EXIT_OK
    pred = spark.read.parquet(str(tmp_path / "p_keep")).toPandas().set_index("id")
    names = [f"probability_{k}" for k in range(K)]
    bad = pred.loc[[3, 9], [*names, "prediction"]]
    assert bad.isna().all().all()
    good = pred.drop(index=[3, 9])
    np.testing.assert_allclose(good[names].sum(axis=1), 1.0, rtol=1e-12)
    summary = json.loads((tmp_path / "p_keep" / "_summary.json").read_text())
    assert summary["rows"]["invalid"] == 2 and summary["invalidCounts"] == {"x0": 1, "x1": 1}

    data_dir = tmp_path / "fit" / "model" / "data"
    part = next(p for p in data_dir.iterdir() if p.name.endswith(".parquet"))
    raw = bytearray(part.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    part.write_bytes(bytes(raw))
    assert score("error", "p_damaged", "--check") == EXIT_INPUT
    (msg,) = _errors(caplog)
    assert "is damaged: data/" in msg and "does not match its checksum" in msg, msg
    assert score("error", "p_damaged") == EXIT_INPUT
    (msg,) = _errors(caplog)
    assert "is damaged: data/" in msg, msg
