"""Generator and job plumbing on the shared local[2] session (no estimators needed)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from lasso_spark.cli import main
from lasso_spark.config import (
    ColumnsConfig,
    GenerateConfig,
    GenerateOutputConfig,
    GenerateParams,
    load_config,
)
from lasso_spark.datagen import Truth, generate, truth_for
from lasso_spark.jobs_lib import generate as generate_job
from lasso_spark.jobs_lib.dataio import resolve_columns
from lasso_spark.jobs_lib.errors import EXIT_CONFIG, EXIT_INPUT, EXIT_OK, InputDataError
from lasso_spark.jobs_lib.staging import StagedOutput
from lasso_spark.spark.hadoop import HadoopFS

pytestmark = pytest.mark.spark


def test_generate_independent_of_partitioning(spark):
    kw = dict(n_informative=2, seed=3, weight_col="w", correlation="equi", rho=0.3)
    a = generate(spark, 9000, 4, num_partitions=2, vector_col="v", **kw).toPandas()
    b = generate(spark, 9000, 4, num_partitions=5, **kw).toPandas()
    assert list(a.columns) == ["id", "x0", "x1", "x2", "x3", "y", "w", "v"]
    a, b = a.sort_values("id"), b.sort_values("id")
    assert np.array_equal(a["id"], np.arange(9000))
    cols = ["x0", "x1", "x2", "x3", "y", "w"]
    assert np.array_equal(a[cols].to_numpy(), b[cols].to_numpy())
    assert np.array_equal(np.stack(a["v"].map(lambda v: v.toArray())), a[cols[:4]].to_numpy())
    # weighted least squares on the generated rows finds the truth
    t = truth_for(9000, 4, **kw)
    X = np.column_stack([np.ones(9000), a[cols[:4]].to_numpy()])
    sw = np.sqrt(a["w"].to_numpy())
    coef, *_ = np.linalg.lstsq(X * sw[:, None], a["y"].to_numpy() * sw, rcond=None)
    assert np.allclose(coef[1:], t.coefficients, atol=0.05)


def test_generate_vector_only(spark):
    df = generate(spark, 10, 3, n_informative=1, vector_col="features", keep_columns=False,
                  id_col=None)
    assert df.columns == ["y", "features"]


def gen_config(tmp_path, n_rows=3000):
    f = tmp_path / "gen.toml"
    f.write_text(f'[data]\nn_rows = {n_rows}\nn_features = 5\nn_informative = 2\nseed = 9\n'
                 f'num_partitions = 2\nweight_col = "w"\n[output]\npath = "{tmp_path / "g"}"\n')
    return f


def test_generate_job_via_cli(spark, tmp_path):
    f = gen_config(tmp_path)
    assert main(["generate", "-c", str(f)], spark=spark) == EXIT_OK
    out = tmp_path / "g"
    assert sorted(os.listdir(out)) == ["_SUCCESS", "data.parquet", "truth.json"]
    truth = Truth.from_json((out / "truth.json").read_text())
    assert truth == truth_for(3000, 5, n_informative=2, seed=9)
    df = spark.read.parquet(str(out / "data.parquet"))
    assert df.count() == 3000 and df.columns == ["id", "x0", "x1", "x2", "x3", "x4", "y", "w"]
    # second run refused, overwrite accepted
    assert main(["generate", "-c", str(f)], spark=spark) == EXIT_CONFIG
    assert main(["generate", "-c", str(f), "--set", "output.mode=overwrite",
                 "--set", "data.n_rows=100"], spark=spark) == EXIT_OK
    assert spark.read.parquet(str(out / "data.parquet")).count() == 100
    assert sorted(os.listdir(tmp_path)) == ["g", "gen.toml"]


def _spark_job_count(spark) -> int:
    return len(spark.sparkContext.statusTracker().getJobIdsForGroup(None))


@pytest.mark.parametrize("kw", [
    dict(weight_col="w", correlation="equi", rho=0.3),
    dict(id_col=None, correlation="ar1", rho=0.6, intercept=2.0),
])
def test_generate_job_writes_small_data_from_the_driver_as_spark_would(spark, tmp_path, kw):
    """Below the driver-write size the job runs no Spark job, and Spark reads back exactly the
    rows, columns, types and partition order the Spark-written data has (5 partitions, rows
    spanning generator blocks)."""
    n, p = 9001, 4
    data = dict(n_rows=n, n_features=p, n_informative=2, seed=5, num_partitions=5, **kw)
    assert generate_job.written_by_driver(data)
    cfg = GenerateConfig(data=GenerateParams(**data),
                         output=GenerateOutputConfig(path=str(tmp_path / "g")))
    before = _spark_job_count(spark)
    generate_job.run_generate(cfg, spark)
    assert _spark_job_count(spark) == before
    parts = sorted(f for f in os.listdir(tmp_path / "g" / "data.parquet") if f.endswith(".parquet"))
    assert len(parts) == 5
    ours = spark.read.parquet(str(tmp_path / "g" / "data.parquet"))
    theirs = generate(spark, **data)
    assert ours.schema.simpleString() == theirs.schema.simpleString()
    a = ours.toPandas()
    b = theirs.toPandas()
    assert list(a.columns) == list(b.columns)
    # the same rows (Spark's reader orders files by size, so compare them sorted)
    cols = list(a.columns)
    assert np.array_equal(a.sort_values(cols).to_numpy(), b.sort_values(cols).to_numpy())
    # each part holds its partition's rows: the first row of part i is row i * n // 5
    import pyarrow.parquet as pq

    firsts = [pq.read_table(tmp_path / "g" / "data.parquet" / f).column("y")[0].as_py()
              for f in parts]
    assert firsts == [float(b["y"].iloc[i * n // 5]) for i in range(5)]  # b: range order


def test_generate_job_writes_large_or_vector_data_with_spark():
    assert not generate_job.written_by_driver(dict(n_rows=10**7, n_features=50))
    assert not generate_job.written_by_driver(dict(n_rows=100, n_features=3, vector_col="v"))


def test_generate_job_failure_leaves_nothing(spark, tmp_path, monkeypatch):
    def fail(staged, text):
        raise RuntimeError("injected failure after the data was written")

    monkeypatch.setattr(generate_job, "_write_truth", fail)
    f = gen_config(tmp_path, n_rows=500)
    assert main(["generate", "-c", str(f)], spark=spark) == 1
    assert sorted(os.listdir(tmp_path)) == ["gen.toml"]


def test_resolve_columns(spark):
    df = spark.createDataFrame(
        [(1, 2.0, 3, "a", 1.0, 0.5)], "id long, x0 double, x1 int, s string, y double, w double"
    )
    # a non-numeric column is never dropped silently by the automatic selection
    with pytest.raises(InputDataError, match="column 's' is string, not numeric"):
        resolve_columns(df.schema, ColumnsConfig(label="y", weight="w", id=["id"]))
    cols = resolve_columns(df.schema, ColumnsConfig(label="y", weight="w", id=["id"],
                                                    exclude=["s"]))
    assert cols.features == ["x0", "x1"]
    assert cols.report()["notFeatures"] == {"id": "columns.id", "s": "columns.exclude",
                                            "y": "columns.label", "w": "columns.weight"}
    assert cols.estimator_params() == {"labelCol": "y", "weightCol": "w",
                                       "inputCols": ["x0", "x1"]}
    cols = resolve_columns(df.schema, ColumnsConfig(label="y", exclude=["x1", "s"]))
    assert cols.features == ["id", "x0", "w"]
    # a fold column (model.foldCol) is never a feature
    cols = resolve_columns(df.schema, ColumnsConfig(label="y", weight="w", id=["id"],
                                                    exclude=["s"]), ("x1",))
    assert cols.features == ["x0"]
    with pytest.raises(InputDataError) as info:
        resolve_columns(df.schema, ColumnsConfig(label="label", weight="s",
                                                 features=["x0", "x9"]))
    msg = str(info.value)
    assert "columns.label: column 'label' not in the input" in msg
    assert "columns.weight: column 's' is string, not numeric" in msg
    assert "columns.features: column 'x9' not in the input" in msg
    with pytest.raises(InputDataError, match="columns.vector: column 'x0' is double"):
        resolve_columns(df.schema, ColumnsConfig(label="y", vector="x0"))


def test_fit_with_missing_label_exits_3(spark, tmp_path):
    assert main(["generate", "-c", str(gen_config(tmp_path, 200))], spark=spark) == EXIT_OK
    f = tmp_path / "fit.toml"
    f.write_text(f'[input]\npath = "{tmp_path}/g/data.parquet"\n[columns]\nlabel = "target"\n'
                 f'[model]\nkind = "lasso_cv"\n[output]\npath = "{tmp_path}/fit"\nplots = false\n')
    assert main(["fit", "-c", str(f)], spark=spark) == EXIT_INPUT
    assert not (tmp_path / "fit").exists()


def test_hadoop_filesystem_staging(spark, tmp_path):
    final = f"file://{tmp_path}/h"
    fs = HadoopFS(spark, final)
    with StagedOutput(fs, final) as staged:
        fs.write_bytes(staged.path("a", "b.json"), json.dumps({"k": 1}).encode())
        assert json.loads(fs.read_bytes(staged.path("a", "b.json"))) == {"k": 1}
        staged.write_success()
        staged.commit()
    assert json.loads((tmp_path / "h" / "a" / "b.json").read_text()) == {"k": 1}
    assert (tmp_path / "h" / "_SUCCESS").exists()
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".h.")]


def test_demo_config_builds_fit_and_generate(tmp_path):
    from lasso_spark.jobs_lib.demo import demo_configs, recovery_report

    cfg = load_config("demo", "conf/demo_small.toml", ["output=" + json.dumps(str(tmp_path))])
    gen, fit = demo_configs(cfg)
    assert fit.columns.vector == "features" and fit.columns.weight == "w"
    assert fit.input.path == str(tmp_path / "data" / "data.parquet")
    assert fit.model.elasticNetParams == [0.5, 1.0]
    rep = recovery_report([1.0, 0.0, -2.0], ["a", "b", "c"], {"a": 0.9, "b": 0.1, "c": 0.0})
    assert rep == {"recovered": ["a"], "missed": ["c"], "false_positives": ["b"]}
