"""LassoModel → MLlib: toMLlib / toMLlibPipeline / saveMLlib write MLlib's own format, MLlib's
loaders (Python and the JVM's) read it, and both models score the same rows to 1e-12."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from lasso_spark.ml import Lasso, LassoModel
from tests.unit.model_factory import make_model

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def fitted():
    return make_model(n=60, p=6, m=10, k=4, seed=11)


def _vector_df(spark, X):
    from pyspark.ml.linalg import Vectors

    rows = []
    for i, x in enumerate(X):
        if i % 3 == 0:  # some sparse rows
            nz = np.flatnonzero(x)
            rows.append((i, Vectors.sparse(len(x), nz.tolist(), x[nz].tolist())))
        else:
            rows.append((i, Vectors.dense(x.tolist())))
    return spark.createDataFrame(rows, ["id", "features"])


def _scores(df, col="prediction"):
    return np.array([r[col] for r in df.orderBy("id").select(col).collect()], dtype=float)


def _metadata(path):
    part = [f for f in os.listdir(os.path.join(path, "metadata")) if f.startswith("part-")]
    with open(os.path.join(path, "metadata", part[0])) as fh:
        return json.loads(fh.readline())


def test_to_mllib_vector_model_same_coefficients_and_scores(spark, fitted, tmp_path,
                                                            monkeypatch):
    from pyspark.ml.regression import LinearRegressionModel

    model, X, _ = fitted
    X = X[:15].copy()
    X[::3, ::2] = 0.0
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    lr = model.toMLlib()
    assert type(lr) is LinearRegressionModel
    np.testing.assert_array_equal(lr.coefficients.toArray(), model.coefficients.toArray())
    assert lr.intercept == model.intercept and lr.numFeatures == model.numFeatures
    assert lr.getRegParam() == model.regParam
    assert lr.getElasticNetParam() == model.elasticNetParam
    assert lr.getFeaturesCol() == "features" and lr.getPredictionCol() == "prediction"
    assert lr.getFitIntercept() and lr.getStandardization()
    assert os.listdir(tmp_path) == []  # the temporary MLlib files are gone
    df = _vector_df(spark, X)
    ours, theirs = _scores(model.transform(df)), _scores(lr.transform(df))
    np.testing.assert_allclose(theirs, ours, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours, model.intercept + X @ model.coefficients.toArray(),
                               rtol=1e-12, atol=1e-12)
    assert [lr.predict(r.features) for r in df.orderBy("id").collect()] == pytest.approx(
        ours, rel=1e-12, abs=1e-12)


def _fit_columns_model(spark):
    rng = np.random.default_rng(4)
    n, p = 400, 5
    X = rng.standard_normal((n, p)) * [1.0, 2.0, 0.5, 3.0, 1.0] + [0.0, 5.0, -1.0, 0.0, 2.0]
    y = 2.0 + X @ np.array([1.0, 0.0, -2.0, 0.3, 0.0]) + rng.standard_normal(n)
    w = rng.uniform(0.5, 2.0, n)
    cols = ["a", "b", "c", "d", "e"]
    df = spark.createDataFrame(
        [(i, *map(float, X[i]), float(y[i]), float(w[i])) for i in range(n)],
        ["id", *cols, "y", "w"],
    )
    # a non-alphabetical column order: the exported assembler must keep the model's order
    order = ["d", "a", "e", "c", "b"]
    model = Lasso(inputCols=order, labelCol="y", weightCol="w", regParam=0.3,
                  elasticNetParam=0.5).fit(df)
    return model, df, order


def test_input_cols_model_pipeline_and_bare_model(spark, tmp_path):
    from pyspark.ml import PipelineModel
    from pyspark.ml.feature import VectorAssembler
    from pyspark.ml.regression import LinearRegressionModel

    model, df, order = _fit_columns_model(spark)
    assert 0 < model.numNonzeros < 5
    ours = _scores(model.transform(df))

    pipe = model.toMLlibPipeline()
    assert type(pipe) is PipelineModel
    assembler, lr = pipe.stages
    assert type(assembler) is VectorAssembler and type(lr) is LinearRegressionModel
    assert assembler.getInputCols() == order and assembler.getOutputCol() == "features"
    assert assembler.getHandleInvalid() == "error"
    assert lr.getWeightCol() == "w" and lr.getLabelCol() == "y"
    assert lr.getElasticNetParam() == 0.5 and lr.getRegParam() == model.regParam
    np.testing.assert_array_equal(lr.coefficients.toArray(), model.coefficients.toArray())
    np.testing.assert_allclose(_scores(pipe.transform(df)), ours, rtol=1e-12, atol=1e-12)

    bare = model.toMLlib(featuresCol="x_vec")
    assert type(bare) is LinearRegressionModel and bare.getFeaturesCol() == "x_vec"
    assembled = VectorAssembler(inputCols=model.getInputCols(), outputCol="x_vec").transform(df)
    np.testing.assert_allclose(_scores(bare.transform(assembled)), ours, rtol=1e-12, atol=1e-12)

    with pytest.raises(ValueError, match="clashes with an input"):
        model.toMLlib(featuresCol="a")


def test_save_mllib_formats_overwrite_and_jvm_loaders(spark, fitted, tmp_path):
    """What a Scala job does: org.apache.spark.ml.PipelineModel.load / LinearRegressionModel.load
    through the JVM (the test reaches the JVM directly; the library never does)."""
    from pyspark.ml import PipelineModel
    from pyspark.ml.regression import LinearRegressionModel
    from pyspark.sql import DataFrame

    model, df, _ = _fit_columns_model(spark)
    ours = _scores(model.transform(df))
    target = str(tmp_path / "pipe")
    assert model.saveMLlib(target) == "org.apache.spark.ml.PipelineModel"
    meta = _metadata(target)
    assert meta["class"] == "org.apache.spark.ml.PipelineModel"
    assert meta["sparkVersion"] == spark.version and len(meta["paramMap"]["stageUids"]) == 2
    assert sorted(os.listdir(tmp_path / "pipe" / "stages")) == [
        f"{i}_{uid}" for i, uid in enumerate(meta["paramMap"]["stageUids"])]
    with pytest.raises(Exception, match="(?i)already exists"):
        model.saveMLlib(target)
    model.saveMLlib(target, overwrite=True)

    jvm = spark.sparkContext._jvm
    jpipe = jvm.org.apache.spark.ml.PipelineModel.load(target)
    scored = DataFrame(jpipe.transform(df._jdf), spark)
    np.testing.assert_allclose(_scores(scored), ours, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(_scores(PipelineModel.load(target).transform(df)), ours,
                               rtol=1e-12, atol=1e-12)

    vec_model, X, _ = fitted
    bare = str(tmp_path / "bare")
    assert vec_model.saveMLlib(bare).endswith("regression.LinearRegressionModel")
    meta = _metadata(bare)
    assert meta["paramMap"]["regParam"] == vec_model.regParam
    data = spark.read.parquet(os.path.join(bare, "data")).collect()
    assert len(data) == 1 and data[0]["scale"] == 1.0
    assert data[0]["intercept"] == vec_model.intercept
    jlr = jvm.org.apache.spark.ml.regression.LinearRegressionModel.load(bare)
    assert list(jlr.coefficients().toArray()) == vec_model.coefficients.toArray().tolist()
    vdf = _vector_df(spark, X[:10])
    np.testing.assert_allclose(_scores(DataFrame(jlr.transform(vdf._jdf), spark)),
                               _scores(vec_model.transform(vdf)), rtol=1e-12, atol=1e-12)
    # pipeline=False on an inputCols model: the bare model (reads the assembled vector)
    forced = str(tmp_path / "forced")
    assert model.saveMLlib(forced, pipeline=False).endswith("LinearRegressionModel")
    assert LinearRegressionModel.load(forced).getFeaturesCol() == "features"
    # pipeline=True on a vector model: one stage
    one = str(tmp_path / "one")
    vec_model.saveMLlib(one, pipeline=True)
    assert len(PipelineModel.load(one).stages) == 1


def test_to_mllib_needs_a_shared_directory_off_local(spark, fitted, tmp_path, monkeypatch):
    model, _, _ = fitted
    with pytest.raises(ValueError, match="featuresCol='other' only names"):
        model.toMLlib(featuresCol="other")
    monkeypatch.setattr("lasso_spark.ml.export._is_local_master", lambda spark: False)
    with pytest.raises(ValueError, match="tmpDir="):
        model.toMLlib()
    shared = tmp_path / "shared"
    shared.mkdir()
    lr = model.toMLlib(tmpDir=str(shared))  # files stay (not known to be local): listed
    np.testing.assert_array_equal(lr.coefficients.toArray(), model.coefficients.toArray())
    (left,) = os.listdir(shared)
    assert left.startswith("lasso_spark-mllib-")


def test_fit_job_writes_mllib_model_when_asked(spark, tmp_path):
    from pyspark.ml import PipelineModel

    from lasso_spark.cli import main
    from lasso_spark.jobs_lib.errors import EXIT_OK

    _, df, _ = _fit_columns_model(spark)
    df.write.parquet(str(tmp_path / "in.parquet"))
    f = tmp_path / "fit.toml"
    f.write_text(f'[input]\npath = "{tmp_path}/in.parquet"\n[columns]\nlabel = "y"\n'
                 f'weight = "w"\nid = ["id"]\n[model]\nkind = "lasso"\nregParam = 0.3\n'
                 f'[output]\npath = "{tmp_path}/fit"\nplots = false\n')
    assert main(["fit", "-c", str(f)], spark=spark) == EXIT_OK
    assert not (tmp_path / "fit" / "mllib_model").exists()  # only when asked
    assert main(["fit", "-c", str(f), "--set", "output.mllib_model=true", "--set",
                 "output.mode=overwrite"], spark=spark) == EXIT_OK
    out = tmp_path / "fit"
    summary = json.loads((out / "summary.json").read_text())
    assert "mllib_model" in summary["outputs"]
    assert summary["config"]["output"]["mllib_model"] is True
    ours = _scores(LassoModel.load(str(out / "model")).transform(df))
    theirs = _scores(PipelineModel.load(str(out / "mllib_model")).transform(df))
    np.testing.assert_allclose(theirs, ours, rtol=1e-12, atol=1e-12)
