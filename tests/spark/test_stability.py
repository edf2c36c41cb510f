"""Stability selection from the one statistics pass (LassoCV numSubsamples) on local Spark.

The reference is numpy: the rows collected, each row's bucket from the pass's own hash
(spark.fold_hash), each half's rows fitted directly with the core. Probabilities must be EQUAL.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest

from lasso_spark import LassoCV, LassoModel
from lasso_spark.core import SuffStats, enet_path
from lasso_spark.core.stability import complementary_pairs, default_num_buckets
from lasso_spark.datagen import generate, truth_for
from lasso_spark.ml import ParamValidationError
from lasso_spark.spark import compute_stats
from lasso_spark.spark.fold_hash import fold_ids
from tests.spark.test_compute_stats import _Jobs

pytestmark = pytest.mark.spark

N, P, SEED, FOLDS, PAIRS = 12_000, 12, 21, 4, 15
COLS = [f"x{j}" for j in range(P)]
GEN = dict(n_informative=3, correlation="ar1", rho=0.3, seed=4, weight_col="w")


@pytest.fixture(scope="module")
def stored(spark, tmp_path_factory):
    """Generated rows written to Parquet (so Spark reports input records) and collected."""
    path = str(tmp_path_factory.mktemp("stability") / "data.parquet")
    generate(spark, N, P, num_partitions=3, **GEN).write.parquet(path)
    df = spark.read.parquet(path)
    pdf = df.toPandas()
    return df, pdf, path


@pytest.fixture(scope="module")
def fitted(spark, stored):
    df, _, _ = stored
    est = LassoCV(inputCols=COLS, labelCol="y", weightCol="w", numFolds=FOLDS, numRegParams=30,
                  seed=SEED, numSubsamples=PAIRS, parallelism=1)
    with _Jobs(spark) as jobs:
        model = est.fit(df)
    return est, model, jobs


def _arrays(pdf):
    X, y, w = pdf[COLS].to_numpy(), pdf["y"].to_numpy(), pdf["w"].to_numpy()
    return X, y, w, fold_ids(np.column_stack([X, y]), default_num_buckets(FOLDS), SEED, w)


def test_one_pass_and_probabilities_equal_direct_fits_of_each_half(fitted, stored):
    _, model, jobs = fitted
    _, pdf, _ = stored
    per_stage = jobs.stage_input_records()
    assert sum(per_stage.values()) == N, per_stage  # the input is read once...
    assert sum(1 for v in per_stage.values() if v) == 1, per_stage  # ...by one stage
    s = model.summary.asDict()
    assert s["numDataPasses"] == 1 and s["stabilityHalfFits"] == 2 * PAIRS
    assert s["numBuckets"] == default_num_buckets(FOLDS) == 32 and s["stabilityTasks"] == 1

    table = model.stabilityTable
    X, y, w, bucket = _arrays(pdf)
    path = model.pathTable
    alphas = path.alphas[np.argsort(-path.reg_params)]
    assert np.array_equal(table.reg_params, np.sort(path.reg_params)[::-1])
    supports = np.zeros_like(table.probabilities)
    for mask in complementary_pairs(32, PAIRS, SEED):
        for half in (mask, ~mask):
            rows = np.isin(bucket, np.flatnonzero(half))
            res = enet_path(SuffStats.from_arrays(X[rows], y[rows], w[rows]), alphas=alphas)
            supports += res.coef != 0.0
    np.testing.assert_array_equal(table.probabilities, supports / (2 * PAIRS))


def test_true_features_stable_noise_low(fitted):
    _, model, _ = fitted
    truth = truth_for(N, P, **GEN)
    report = model.stabilitySelection()
    assert report.regParam == pytest.approx(model.summary.asDict()["regParam1se"])
    prob = report.table.set_index("feature")["selectionProbability"]
    true_names = [f"x{j}" for j in truth.support]
    assert prob[true_names].min() >= 0.95, prob
    assert prob.drop(true_names).max() <= 0.3, prob
    assert sorted(report.stableFeatures) == sorted(true_names)
    assert report.q == pytest.approx(prob.sum())
    assert report.expectedFalseSelectionsBound == pytest.approx(
        report.q**2 / ((2 * 0.75 - 1) * P))
    # another threshold and regParam from the stored probabilities, no pass
    low = model.stabilitySelection(threshold=0.55, regParam=model.cvTable.reg_params[-1])
    assert low.regParam == model.stabilityTable.reg_params[-1]
    assert len(low.stableFeatures) >= len(report.stableFeatures)


def test_same_buckets_on_any_partitioning_and_folds_unchanged(stored):
    df, pdf, _ = stored
    X, y, w, bucket = _arrays(pdf)
    kw = dict(input_cols=COLS, label_col="y", weight_col="w", num_folds=FOLDS, seed=SEED)
    plain = compute_stats(df, **kw)
    for parts, groups in ((1, 0), (5, 0), (3, 2)):
        r = compute_stats(df.repartition(parts), num_buckets=32, reduce_groups=groups, **kw)
        assert r.num_buckets == 32 and len(r.buckets) == 32
        for b in range(32):
            rows = bucket == b
            assert r.buckets[b].n_rows == int(rows.sum())
            assert r.buckets[b].allclose(SuffStats.from_arrays(X[rows], y[rows], w[rows]),
                                         rtol=1e-10)
        for k in range(FOLDS):  # folds are unions of buckets: the folds of a plain pass
            assert r.folds[k].n_rows == plain.folds[k].n_rows
            assert r.folds[k].allclose(plain.folds[k], rtol=1e-10)


def test_fold_column_keeps_fold_by_bucket_cells(spark, stored):
    _, pdf, _ = stored
    pdf = pdf.head(3000).copy()
    pdf["f"] = (np.arange(len(pdf)) % 3).astype(np.int32)
    r = compute_stats(spark.createDataFrame(pdf).repartition(2), input_cols=COLS, label_col="y",
                      num_folds=3, fold_col="f", num_buckets=6, seed=SEED)
    X, y = pdf[COLS].to_numpy(), pdf["y"].to_numpy()
    bucket = fold_ids(np.column_stack([X, y]), 6, SEED)
    for b in range(6):
        rows = bucket == b
        assert r.buckets[b].allclose(SuffStats.from_arrays(X[rows], y[rows]), rtol=1e-10)
    for k in range(3):
        rows = pdf["f"].to_numpy() == k
        assert r.folds[k].allclose(SuffStats.from_arrays(X[rows], y[rows]), rtol=1e-10)


def test_half_paths_as_spark_tasks_equal_the_driver(fitted, stored):
    est, model, _ = fitted
    df, _, _ = stored
    on_tasks = est.copy({est.parallelism: 2}).fit(df)
    assert on_tasks.summary.asDict()["stabilityTasks"] == 2
    np.testing.assert_array_equal(on_tasks.stabilityTable.probabilities,
                                  model.stabilityTable.probabilities)


def test_save_load_tables_and_plot(fitted, tmp_path):
    _, model, _ = fitted
    model.save(str(tmp_path / "m"))
    back = LassoModel.load(str(tmp_path / "m"))
    assert back.hasStability
    pd.testing.assert_frame_equal(back.stabilityPath, model.stabilityPath)
    assert back.stabilitySelection().asDict() == model.stabilitySelection().asDict()
    path = model.stabilityPath
    assert list(path.columns[:3]) == ["elasticNetParam", "regParam", "meanSelected"]
    assert [c for c in path.columns if c.startswith("prob:")] == [f"prob:{c}" for c in COLS]
    fig = model.plotStability()
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    for name in model.stabilitySelection().stableFeatures:
        assert any(lab.startswith(name + " (") for lab in labels), labels
    assert any(lab.startswith("threshold = 0.75") for lab in labels)
    # a model without stability selection says how to get it
    plain = LassoModel.fromPath(model.pathTable, 0, featureNames=COLS)
    assert plain.stabilityPath is None and not plain.hasStability
    with pytest.raises(ValueError, match="numSubsamples"):
        plain.stabilitySelection()


def test_memory_budget_refused_before_any_job(spark, stored):
    df, _, _ = stored
    est = LassoCV(inputCols=COLS, labelCol="y", numSubsamples=5, maxBucketMemoryMB=0.01)
    with _Jobs(spark) as jobs, pytest.raises(ParamValidationError) as err:
        est.fit(df)
    assert jobs.ids == []
    msg = str(err.value)
    assert "need 0.05646 MiB (40 cells" in msg and "budget of 0.01 MiB" in msg, msg
    assert "maxBucketMemoryMB" in msg and "numBuckets" in msg, msg
    with pytest.raises(ParamValidationError, match="solverMode='gram'"):
        LassoCV(inputCols=COLS, labelCol="y", numSubsamples=5, solverMode="wide").fit(df)
    with pytest.raises(ParamValidationError, match="multiple of numFolds"):
        LassoCV(inputCols=COLS, labelCol="y", numSubsamples=5, numBuckets=32).fit(df)


def test_fit_job_writes_stability_outputs(spark, stored, tmp_path):
    from lasso_spark.cli import main
    from lasso_spark.jobs_lib.errors import EXIT_OK

    _, _, path = stored
    out = tmp_path / "fit"
    f = tmp_path / "fit.toml"
    f.write_text(f'[input]\npath = "{path}"\n[columns]\nlabel = "y"\nweight = "w"\nid = ["id"]\n'
                 f'[model]\nkind = "lasso_cv"\nnumFolds = 4\nnumRegParams = 30\nseed = {SEED}\n'
                 f'numSubsamples = {PAIRS}\nstabilityThreshold = 0.8\n'
                 f'[output]\npath = "{out}"\n')
    assert main(["fit", "-c", str(f)], spark=spark) == EXIT_OK
    for name in ("stability.parquet", "stability_path.parquet", "plots/stability.png"):
        assert (out / name).exists(), name
    summary = json.loads((out / "summary.json").read_text())
    st = summary["stability"]
    assert st["threshold"] == 0.8 and st["numSubsamples"] == PAIRS and st["numBuckets"] == 32
    table = spark.read.parquet(str(out / "stability.parquet")).toPandas()
    assert list(table.columns) == ["feature", "selectionProbability", "maxProbability", "stable"]
    assert sorted(table.loc[table["stable"], "feature"]) == sorted(st["stableFeatures"])
    assert {"stability.parquet", "plots/stability.png"} <= set(summary["outputs"])
    assert os.path.getsize(out / "plots" / "stability.png") > 10_000
    loaded = LassoModel.load(str(out / "model"))
    assert loaded.stabilitySelection(threshold=0.8).stableFeatures == st["stableFeatures"]


def test_saved_stability_is_verified_like_every_part(fitted, tmp_path):
    import shutil

    from lasso_spark.ml.persistence import ModelLoadError, inspect_local_model

    _, model, _ = fitted
    model.save(str(tmp_path / "m"))
    info = inspect_local_model(str(tmp_path / "m"))
    assert info["formatVersion"] == 3 and info["hasStability"] is True
    assert any(name.startswith("stability/") for name in info["files"])
    plain = LassoModel.fromPath(model.pathTable, 0, featureNames=COLS)
    plain.save(str(tmp_path / "plain"))  # no stability: still format 2 for older readers
    assert inspect_local_model(str(tmp_path / "plain"))["formatVersion"] == 2
    shutil.rmtree(tmp_path / "m" / "stability")
    with pytest.raises(ModelLoadError, match="stability/ is missing"):
        LassoModel.load(str(tmp_path / "m"))
