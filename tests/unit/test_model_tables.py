"""LassoModel and its tables without Spark: path/CV DataFrames, selection, interpolation,
summary JSON, notebook display and plots (Agg backend)."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pandas as pd
import pytest

from lasso_spark.ml import CVTable, LassoModel, LassoSummary, PathTable, select_min_1se
from lasso_spark.ml.tables import COEF_PREFIX
from tests.unit.model_factory import make_model

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def fitted():
    return make_model(n=120, p=6, m=12, k=4, seed=0,
                      names=["age", "regParam", "x:2", "nonzeros", "e", "f"])


def test_public_attributes(fitted):
    model, X, y = fitted
    cv = model.cvTable
    i = cv.index_chosen
    assert model.regParam == cv.reg_params[i] == model.getRegParam()
    np.testing.assert_array_equal(model.coefficients.toArray(), model.pathTable.coef[i])
    assert model.intercept == model.pathTable.intercepts[i]
    assert model.numFeatures == 6 and model.elasticNetParam == 1.0
    assert model.predict(X[0]) == pytest.approx(model.intercept + X[0] @ model.pathTable.coef[i])
    # LassoModel's regParam is a value, not a Param, so Params machinery ignores it
    assert not model.hasParam("regParam")
    assert model.hasParam("featuresCol") and model.hasParam("penaltyFactors")
    assert model.copy().regParam == model.regParam


def test_path_dataframe_columns_cannot_collide(fitted):
    model, _, _ = fitted
    path = model.path
    fixed = ["elasticNetParam", "regParam", "alpha", "l1Ratio", "nonzeros", "intercept",
             "dualityGap", "iterations", "converged"]
    assert list(path.columns[: len(fixed)]) == fixed
    coef_cols = [COEF_PREFIX + n for n in model.featureNames]
    assert list(path.columns[len(fixed):]) == coef_cols  # a feature named 'regParam' is fine
    np.testing.assert_array_equal(path[coef_cols].to_numpy(), model.pathTable.coef)
    assert (path["nonzeros"] == (path[coef_cols] != 0).sum(axis=1)).all()
    assert path["regParam"].is_monotonic_decreasing


def test_cv_dataframe_and_selection(fitted):
    model, _, _ = fitted
    cv = model.cvResults
    assert list(cv.columns) == ["elasticNetParam", "regParam", "nonzeros", "mseMean",
                                "mseStdErr", "mseFold0", "mseFold1", "mseFold2", "mseFold3"]
    folds = cv[[f"mseFold{k}" for k in range(4)]].to_numpy()
    np.testing.assert_allclose(cv["mseMean"], folds.mean(1), rtol=1e-14)
    np.testing.assert_allclose(cv["mseStdErr"], folds.std(1, ddof=1) / 2, rtol=1e-14)
    i_min, i_1se = select_min_1se(cv["mseMean"].to_numpy(), cv["mseStdErr"].to_numpy(),
                                  cv["regParam"].to_numpy(), cv["elasticNetParam"].to_numpy())
    assert i_min == int(np.argmin(folds.mean(1)))
    assert cv["regParam"][i_1se] >= cv["regParam"][i_min]
    assert cv["mseMean"][i_1se] <= cv["mseMean"][i_min] + cv["mseStdErr"][i_min]
    assert (i_min, i_1se) == (model.cvTable.index_min, model.cvTable.index_1se)


def test_select_min_1se_brute_force_over_elastic_net_grid():
    rng = np.random.default_rng(5)
    for _ in range(50):
        m = 7
        regs = np.tile(np.logspace(0, -2, m), 2)
        enps = np.repeat([0.5, 1.0], m)
        mean = rng.uniform(1, 2, size=2 * m).round(1)  # ties happen
        se = rng.uniform(0, 0.3, size=2 * m)
        i_min, i_1se = select_min_1se(mean, se, regs, enps)
        best = mean.min()
        cands = [i for i in range(2 * m) if mean[i] == best]
        assert i_min == max(cands, key=lambda i: regs[i])
        ok = [i for i in range(2 * m) if enps[i] == enps[i_min] and mean[i] <= best + se[i_min]]
        assert i_1se == max(ok, key=lambda i: regs[i])


def test_cv_concat_over_elastic_net_params(fitted):
    model, _, _ = fitted
    a = model.cvTable
    b = CVTable(elastic_net_params=np.full(len(a.reg_params), 0.5), reg_params=a.reg_params,
                nonzeros=a.nonzeros, mse_mean=a.mse_mean - 0.01, mse_se=a.mse_se,
                mse_folds=a.mse_folds - 0.01, index_min=0, index_1se=0)
    both = CVTable.concat([a, b], selection_rule="1se")
    assert both.elastic_net_params[both.index_min] == 0.5
    assert both.index_min == len(a.reg_params) + a.index_min
    assert both.selection_rule == "1se" and both.index_chosen == both.index_1se
    assert len(both.to_pandas()) == 2 * len(a.reg_params)


def test_path_table_validation_and_concat(fitted):
    model, _, _ = fitted
    t = model.pathTable
    with pytest.raises(ValueError, match="intercepts"):
        PathTable(**{**t.__dict__, "intercepts": t.intercepts[:-1]})
    both = PathTable.concat([t, t])
    assert both.n_rows == 2 * t.n_rows
    assert t.index_of(t.reg_params[3]) == 3 and t.index_of(123.0) == -1
    back = PathTable.from_rows(t.to_rows()[::-1], t.n_features)
    pd.testing.assert_frame_equal(back.to_pandas(model.featureNames),
                                  t.to_pandas(model.featureNames))


def test_coefficients_at_grid_and_between(fitted):
    model, _, _ = fitted
    t = model.pathTable
    np.testing.assert_array_equal(model.coefficientsAt(t.reg_params[4]).toArray(), t.coef[4])
    mid = 0.5 * (t.reg_params[4] + t.reg_params[5])
    np.testing.assert_allclose(model.coefficientsAt(mid).toArray(),
                               0.5 * (t.coef[4] + t.coef[5]), rtol=1e-12, atol=1e-15)
    assert model.interceptAt(mid) == pytest.approx(0.5 * (t.intercepts[4] + t.intercepts[5]))
    with pytest.raises(ValueError, match="outside the path's range"):
        model.coefficientsAt(t.reg_params[0] * 2)
    with pytest.raises(ValueError, match="no elasticNetParam 0.5"):
        model.coefficientsAt(t.reg_params[4], elasticNetParam=0.5)
    with pytest.raises(ValueError, match="no path"):
        LassoModel([1.0], 0.0).coefficientsAt(0.1)


def test_summary_json_roundtrip(fitted):
    model, _, _ = fitted
    d = model.summary.asDict()
    assert d["numRowsUsed"] == 120 and d["numRowsSkipped"] == 3
    assert d["invalidCounts"] == {"label": 3} and d["trainingMSE"] == 0.9
    again = LassoSummary.fromDict(json.loads(json.dumps(d)))
    assert again.asDict() == d
    assert LassoSummary(statsSeconds=float("nan")).asDict()["statsSeconds"] is None


def test_constructor_validation():
    with pytest.raises(ValueError, match="2 featureNames for 3"):
        LassoModel([1.0, 2.0, 3.0], featureNames=["a", "b"])
    with pytest.raises(ValueError, match="unique"):
        LassoModel([1.0, 2.0], featureNames=["a", "a"])
    with pytest.raises(ValueError, match="featureStd"):
        LassoModel([1.0, 2.0], featureStd=[1.0])


def test_repr_and_html_show_the_right_numbers(fitted):
    model, _, _ = fitted
    text, page = repr(model), model._repr_html_()
    cv = model.cvTable
    i = cv.index_chosen
    for out in (text, page):
        assert f"{model.regParam:.6g}" in out
        assert f"{model.numNonzeros} / 6" in out
        assert f"{cv.mse_mean[i]:.6g}" in out
    top = model.topCoefficients(3)
    std_coef = model.coefficients.toArray() * model.featureStd
    order = np.argsort(-np.abs(std_coef))
    expected = [model.featureNames[j] for j in order if std_coef[j] != 0][:3]
    assert top["feature"].tolist() == expected
    assert expected[0] in text and expected[0] in page
    assert "<table>" in page
    odd = LassoModel([2.0], 0.5, featureNames=["<script>"])._repr_html_()
    assert "&lt;script&gt;" in odd and "<script>" not in odd


def test_plot_path_and_cv_contents(fitted, tmp_path):
    import matplotlib.pyplot as plt

    model, _, _ = fitted
    fig = model.plotPath()
    ax = fig.axes[0]
    ever = int(np.count_nonzero(np.any(model.pathTable.coef != 0, axis=0)))
    lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == model.pathTable.n_rows]
    assert len(lines) == ever
    # legend: the features kept at the chosen regParam, largest first, in distinct colours
    coef = np.asarray(model.coefficients.toArray())
    kept = np.flatnonzero(coef)
    kept = kept[np.argsort(-np.abs(coef[kept] * model.featureStd[kept]), kind="stable")][:10]
    named = [ln for ln in lines if not str(ln.get_label()).startswith("_")]
    assert 0 < len(named) < ever or len(kept) == ever
    assert [ln.get_label() for ln in named] == [model.featureNames[j] for j in kept]
    assert len({ln.get_color() for ln in named}) == len(named)
    assert ax.get_xscale() == "log"
    vlines = [ln for ln in ax.get_lines() if "chosen" in str(ln.get_label())]
    assert vlines and vlines[0].get_xdata()[0] == model.regParam
    top = fig.axes[1]
    assert top.get_xlabel() == "non-zero coefficients"
    assert str(model.pathTable.nonzeros.max()) in [t.get_text() for t in top.get_xticklabels()]
    fig.savefig(tmp_path / "path.png")
    plt.close(fig)

    fig = model.plotCV()
    ax = fig.axes[0]
    labels = [str(ln.get_label()) for ln in ax.get_lines()]
    cv = model.cvTable
    assert f"min: {cv.reg_params[cv.index_min]:.4g}" in labels
    assert f"1se: {cv.reg_params[cv.index_1se]:.4g}" in labels
    pts = ax.containers[0].lines[0]
    np.testing.assert_allclose(np.sort(pts.get_ydata()),
                               np.sort(cv.mse_mean), rtol=1e-12)
    fig.savefig(tmp_path / "cv.png")
    assert (tmp_path / "cv.png").stat().st_size > 1000
    plt.close(fig)


def test_plot_errors_and_missing_matplotlib(fitted, monkeypatch):
    import builtins

    model, _, _ = fitted
    with pytest.raises(ValueError, match="no cross-validation"):
        LassoModel([1.0]).plotCV()
    real_import = builtins.__import__

    def no_mpl(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_mpl)
    with pytest.raises(ImportError, match=r"pip install lasso_spark\[plots\]"):
        model.plotPath()
