"""Bounds, groups and the relaxed lasso through Lasso / LassoCV (Params → FitRequest → Gram
backend → core), against scikit-learn and the core on the same statistics; one data pass
(Spark's input metrics of a Parquet source)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.spark.test_compute_stats import _Jobs

pytestmark = pytest.mark.spark

P = 8
FEATURES = [f"x{j}" for j in range(P)]


def _arrays(n: int = 400, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    F = rng.normal(size=(n, 2))
    X = F @ rng.normal(size=(2, P)) + rng.normal(size=(n, P))
    X = X * rng.uniform(0.5, 4.0, P) + rng.normal(size=P) * 3.0
    beta = np.array([1.5, -2.0, 0.7, 0.0, -0.4, 0.0, 1.1, 0.2])
    return X, 1.0 + X @ beta + rng.normal(size=n) * 2.0


@pytest.fixture(scope="module")
def data(spark, tmp_path_factory):
    X, y = _arrays()
    pdf = pd.DataFrame(X, columns=FEATURES)
    pdf["label"] = y
    path = str(tmp_path_factory.mktemp("penalties") / "data.parquet")
    spark.createDataFrame(pdf).write.parquet(path)
    return X, y, spark.read.parquet(path)


def _core_penalty(y: np.ndarray, reg: float, enp: float = 1.0):
    from lasso_spark.ml.mapping import mllib_to_core

    return mllib_to_core(reg, enp, label_std=float(y.std()), label_mean=float(y.mean()),
                         fit_intercept=True, standardization=True)


def test_positive_lasso_matches_sklearn_and_reads_once(data):
    from sklearn.linear_model import Lasso as SkLasso

    from lasso_spark import Lasso

    X, y, df = data
    with _Jobs(df.sparkSession) as jobs:
        model = Lasso(inputCols=FEATURES, regParam=0.05, positive=True, tol=1e-12).fit(df)
    assert jobs.input_records() == len(y)  # one pass over the Parquet rows
    assert model.summary.numDataPasses == 1
    coef = model.coefficients.toArray()
    assert coef.min() >= 0.0 and coef[1] == 0.0 and coef[4] == 0.0
    pen = _core_penalty(y, 0.05)
    Xs = (X - X.mean(0)) / X.std(0)
    ref = SkLasso(alpha=pen.alpha, positive=True, tol=1e-14, max_iter=10**6).fit(Xs, y)
    np.testing.assert_allclose(coef, ref.coef_ / X.std(0), rtol=1e-6, atol=1e-9)
    assert model.intercept == pytest.approx(ref.intercept_ - ref.coef_ @ (X.mean(0) / X.std(0)),
                                            rel=1e-6)
    # the model carries the parameter
    assert model.getPositive() is True


def test_bounds_by_vector_equal_the_core_and_cv_respects_them(data):
    from lasso_spark import LassoCV, core
    from lasso_spark.core.penalties import StructuredPenalty

    X, y, df = data
    lower = [-np.inf, -0.5, 0.0, -np.inf, -0.1, -np.inf, 0.0, -1.0]
    upper = [1.0, np.inf, 0.5, np.inf, np.inf, np.inf, 0.8, 0.0]
    with _Jobs(df.sparkSession) as jobs:
        model = LassoCV(inputCols=FEATURES, numFolds=3, numRegParams=15, tol=1e-12,
                        lowerBoundsOnCoefficients=lower, upperBoundsOnCoefficients=upper,
                        elasticNetParam=0.7).fit(df)
    assert jobs.input_records() == len(y)
    path = model.path
    C = path[[c for c in path.columns if c.startswith("coef:")]].to_numpy()
    assert np.all(C >= np.array(lower) - 1e-15) and np.all(C <= np.array(upper) + 1e-15)
    assert np.isclose(C[-1, 0], 1.0)  # an upper bound active at the end of the path
    st = core.SuffStats.from_arrays(X, y)
    pen = _core_penalty(y, 1.0, 0.7)
    sp = StructuredPenalty.make(P, lower_bounds=lower, upper_bounds=upper)
    ref = core.enet_path(st, alphas=path["alpha"].to_numpy(), l1_ratio=pen.l1_ratio,
                         structure=sp, tol=1e-12)
    np.testing.assert_allclose(C, ref.coef, rtol=1e-7, atol=1e-9)
    assert model.cvResults["mseMean"].notna().all()


def test_structured_params_are_checked(data):
    from lasso_spark import Lasso, LassoCV
    from lasso_spark.ml.params import ParamValidationError

    _, _, df = data
    with pytest.raises(ParamValidationError, match="upperBoundsOnCoefficients.*3 values.*8 "):
        Lasso(inputCols=FEATURES, regParam=0.1, upperBoundsOnCoefficients=[1.0, 2.0, 3.0]).fit(df)
    with pytest.raises(ParamValidationError, match="lowerBoundsOnCoefficients: every bound"):
        Lasso(inputCols=FEATURES, regParam=0.1, lowerBoundsOnCoefficients=[0.5] * P)
    with pytest.raises(ParamValidationError, match="solverMode='gram'"):
        LassoCV(inputCols=FEATURES, positive=True, solverMode="wide").fit(df)
    with pytest.raises(ParamValidationError, match="either positive=True or lower"):
        Lasso(inputCols=FEATURES, regParam=0.1, positive=True,
              lowerBoundsOnCoefficients=-1.0).fit(df)


# ------------------------------------------------------------------------- relaxed lasso
def test_relaxed_lasso_cv_selects_gamma_and_regparam_in_one_pass(data, tmp_path):
    from lasso_spark import LassoCV, LassoModel, core
    from lasso_spark.core.relax import relaxed_path

    X, y, df = data
    folds = (np.arange(len(y)) % 3).astype(np.int32)
    fdf = df.sparkSession.createDataFrame(
        pd.DataFrame({**{f: X[:, j] for j, f in enumerate(FEATURES)}, "label": y,
                      "fold": folds}))
    with _Jobs(df.sparkSession) as jobs:
        model = LassoCV(inputCols=FEATURES, numFolds=3, foldCol="fold", numRegParams=12,
                        tol=1e-12, relax=True).fit(fdf)
    assert len(jobs.ids) == 1  # the statistics pass only
    cv = model.cvResults
    assert sorted(set(cv["relaxGamma"])) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert len(cv) == 5 * 12 and "relaxGamma" in model.path.columns
    # recompute directly: fold paths on the training statistics, relaxed, scored on held-out
    regs = cv.loc[cv["relaxGamma"] == 1.0, "regParam"].to_numpy()
    pen = _core_penalty(y, 1.0)
    gammas = [1.0, 0.75, 0.5, 0.25, 0.0]
    mse = np.zeros((3, 5, regs.shape[0]))
    for k in range(3):
        tr, ho = folds != k, folds == k
        st = core.SuffStats.from_arrays(X[tr], y[tr])
        res = core.enet_path(st, alphas=regs * pen.alpha_per_reg_param, tol=1e-12)
        rel = relaxed_path(st, res, gammas)
        for g in range(5):
            pred = rel.intercept[g][:, None] + rel.coef[g] @ X[ho].T
            mse[k, g] = ((y[ho][None, :] - pred) ** 2).mean(axis=1)
    mean = mse.mean(axis=0)
    for g, gamma in enumerate(gammas):
        got = cv.loc[cv["relaxGamma"] == gamma, "mseMean"].to_numpy()
        np.testing.assert_allclose(got, mean[g], rtol=1e-8)
    g_best, i_best = np.unravel_index(np.argmin(mean), mean.shape)
    assert model.relaxGamma == gammas[g_best]
    assert model.regParam == pytest.approx(regs[i_best], rel=1e-12)
    # the model is the full-data relaxed fit at the chosen (gamma, regParam)
    full = core.enet_path(core.SuffStats.from_arrays(X, y),
                          alphas=regs * pen.alpha_per_reg_param, tol=1e-12)
    rel = relaxed_path(core.SuffStats.from_arrays(X, y), full, [gammas[g_best]])
    np.testing.assert_allclose(model.coefficients.toArray(), rel.coef[0][i_best], rtol=1e-8,
                               atol=1e-10)
    # plots (one curve per gamma) and persistence keep the gamma
    import matplotlib

    matplotlib.use("Agg")
    fig = model.plotCV()
    assert len(fig.axes[0].containers) == 5
    model.plotPath()
    model.save(str(tmp_path / "relaxed"))
    back = LassoModel.load(str(tmp_path / "relaxed"))
    assert back.relaxGamma == model.relaxGamma
    assert back.cvResults.equals(model.cvResults)
    np.testing.assert_array_equal(back.pathTable.relax_gammas, model.pathTable.relax_gammas)


def test_relaxed_single_lasso_and_its_checks(data):
    from lasso_spark import Lasso, core
    from lasso_spark.core.relax import relaxed_path
    from lasso_spark.ml.params import ParamValidationError

    X, y, df = data
    model = Lasso(inputCols=FEATURES, regParam=0.2, relax=True, relaxGammas=[0.0],
                  tol=1e-12).fit(df)
    st = core.SuffStats.from_arrays(X, y)
    pen = _core_penalty(y, 0.2)
    res = core.enet_path(st, alphas=[pen.alpha], tol=1e-12)
    want = relaxed_path(st, res, [0.0]).coef[0][0]
    np.testing.assert_allclose(model.coefficients.toArray(), want, rtol=1e-7, atol=1e-10)
    assert model.relaxGamma == 0.0
    with pytest.raises(ParamValidationError, match="exactly one"):
        Lasso(inputCols=FEATURES, regParam=0.2, relax=True).fit(df)
    with pytest.raises(ParamValidationError, match="not supported with positive"):
        Lasso(inputCols=FEATURES, regParam=0.2, relax=True, relaxGammas=[0.5],
              positive=True).fit(df)


# ------------------------------------------------------------------------- group lasso
@pytest.fixture(scope="module")
def onehot(spark):
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import OneHotEncoder, StringIndexer, VectorAssembler

    rng = np.random.default_rng(5)
    n = 500
    cat = rng.choice(["a", "b", "c", "d", "e"], n)
    shade = rng.choice(["dark_red", "light_red", "blue"], n)  # categories with '_' in them
    x = rng.normal(size=(n, 3))
    effect = {"a": 0.0, "b": 1.5, "c": -1.0, "d": 0.5, "e": 2.0}
    y = (np.array([effect[c] for c in cat]) + 0.8 * x[:, 0] - 0.3 * x[:, 2]
         + rng.normal(size=n))
    pdf = pd.DataFrame({"cat": cat, "shade": shade, "x0": x[:, 0], "x1": x[:, 1],
                        "x2": x[:, 2], "label": y})
    pipe = Pipeline(stages=[
        StringIndexer(inputCols=["cat", "shade"], outputCols=["cat_i", "shade_i"],
                      stringOrderType="alphabetAsc"),
        OneHotEncoder(inputCols=["cat_i", "shade_i"], outputCols=["cat_v", "shade_v"]),
        VectorAssembler(inputCols=["x0", "cat_v", "x1", "shade_v", "x2"], outputCol="features"),
    ])
    df = pipe.fit(spark.createDataFrame(pdf)).transform(spark.createDataFrame(pdf))
    X = np.array([r["features"].toArray() for r in df.select("features").collect()])
    return X, y, df


def test_auto_groups_from_onehot_metadata(onehot):
    from lasso_spark.spark.attr_groups import groups_from_metadata

    _, _, df = onehot
    # x0 | cat: a b c d (dropLast) | x1 | shade: blue dark_red (dropLast) | x2
    assert groups_from_metadata(df.schema["features"]) == [[0], [1, 2, 3, 4], [5], [6, 7], [8]]


def test_group_lasso_cv_auto_groups_equal_the_core(onehot, tmp_path):
    from lasso_spark import LassoCV, LassoModel, core
    from lasso_spark.core.penalties import StructuredPenalty

    X, y, df = onehot
    with _Jobs(df.sparkSession) as jobs:
        model = LassoCV(featuresCol="features", numFolds=3, numRegParams=20, tol=1e-12,
                        featureGroups="auto", elasticNetParam=0.9).fit(df)
    assert len(jobs.ids) == 1
    groups = [[0], [1, 2, 3, 4], [5], [6, 7], [8]]
    assert model.featureGroupIndices == groups
    path = model.path
    C = path[[c for c in path.columns if c.startswith("coef:")]].to_numpy()
    for g in ([1, 2, 3, 4], [6, 7]):  # every group enters and leaves as a whole
        nz = C[:, g] != 0.0
        assert np.all(nz.all(axis=1) | (~nz).all(axis=1))
    assert np.any(C[:, 1] != 0.0)
    st = core.SuffStats.from_arrays(X, y)
    pen = _core_penalty(y, 1.0, 0.9)
    sp = StructuredPenalty.make(X.shape[1], groups=groups)
    ref = core.enet_path(st, alphas=path["alpha"].to_numpy(), l1_ratio=pen.l1_ratio,
                         structure=sp, tol=1e-12)
    np.testing.assert_allclose(C, ref.coef, rtol=1e-7, atol=1e-9)
    assert path["converged"].all()
    norms = model.groupNorms()
    assert list(norms.columns)[1:] == ["group:" + model.featureNames[b[0]] for b in groups]
    import matplotlib

    matplotlib.use("Agg")
    fig = model.plotPath()
    assert len(fig.axes[0].lines) >= 3  # group norms (+ reference lines)
    model.save(str(tmp_path / "group"))
    back = LassoModel.load(str(tmp_path / "group"))
    assert back.featureGroupIndices == groups
    np.testing.assert_array_equal(back.coefficients.toArray(), model.coefficients.toArray())


def test_groups_by_name_and_their_checks(data):
    from lasso_spark import Lasso
    from lasso_spark.ml.params import ParamValidationError

    X, y, df = data
    model = Lasso(inputCols=FEATURES, regParam=0.3, featureGroups=[["x0", "x1", "x2"],
                                                                   ["x5", "x6"]]).fit(df)
    c = model.coefficients.toArray()
    assert (c[:3] != 0).all() or (c[:3] == 0).all()
    assert model.featureGroupIndices == [[0, 1, 2], [5, 6]]
    with pytest.raises(ParamValidationError, match=r"featureGroups\[1\] names 1 unknown"):
        Lasso(inputCols=FEATURES, regParam=0.3, featureGroups=[["x0"], ["nope"]]).fit(df)
    with pytest.raises(ParamValidationError, match="groups must be disjoint"):
        Lasso(inputCols=FEATURES, regParam=0.3, featureGroups=[["x0", "x1"], ["x1"]])
    with pytest.raises(ParamValidationError, match="with inputCols give the groups"):
        Lasso(inputCols=FEATURES, regParam=0.3, featureGroups="auto").fit(df)
    with pytest.raises(ParamValidationError, match="outside groups only"):
        Lasso(inputCols=FEATURES, regParam=0.3, featureGroups=[["x0", "x1"]],
              positive=True).fit(df)


def test_sparse_group_lasso_cv_equals_the_core_in_one_pass(data, tmp_path):
    from lasso_spark import LassoCV, LassoModel, core
    from lasso_spark.core.penalties import StructuredPenalty
    from lasso_spark.ml.params import ParamValidationError

    X, y, df = data
    groups = [["x0", "x1", "x2", "x3"], ["x4", "x5", "x6"]]
    with _Jobs(df.sparkSession) as jobs:
        model = LassoCV(inputCols=FEATURES, numFolds=3, numRegParams=15, tol=1e-12,
                        featureGroups=groups, groupL1Ratio=0.5).fit(df)
    assert len(jobs.ids) == 1
    path = model.path
    C = path[[c for c in path.columns if c.startswith("coef:")]].to_numpy()
    assert path["converged"].all()
    sp = StructuredPenalty.make(P, groups=[[0, 1, 2, 3], [4, 5, 6]], group_l1_ratio=0.5)
    ref = core.enet_path(core.SuffStats.from_arrays(X, y), alphas=path["alpha"].to_numpy(),
                         structure=sp, tol=1e-12)
    np.testing.assert_allclose(C, ref.coef, rtol=1e-7, atol=1e-9)
    # within-group sparsity: a group partly zero somewhere on the path
    part = [np.any(C[:, g] != 0, axis=1) & np.any(C[:, g] == 0, axis=1)
            for g in ([0, 1, 2, 3], [4, 5, 6])]
    assert np.any(part)
    model.save(str(tmp_path / "sgl"))
    back = LassoModel.load(str(tmp_path / "sgl"))
    np.testing.assert_array_equal(back.coefficients.toArray(), model.coefficients.toArray())
    with pytest.raises(ParamValidationError, match="give featureGroups too"):
        LassoCV(inputCols=FEATURES, groupL1Ratio=0.5).fit(df)
    with pytest.raises(ParamValidationError, match=r"groupL1Ratio must be in \[0.0, 1.0\)"):
        LassoCV(inputCols=FEATURES, featureGroups=groups, groupL1Ratio=1.0)
