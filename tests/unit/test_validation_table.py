"""CVTable of a validation split: column naming, persistence rows/meta, concat, plot."""

from __future__ import annotations

import numpy as np
import pytest

from lasso_spark.ml import CVTable


def _table(enp: float, mse: np.ndarray) -> CVTable:
    m = mse.shape[0]
    i = int(np.argmin(mse))
    return CVTable(elastic_net_params=np.full(m, enp), reg_params=np.geomspace(1, 1e-2, m),
                   nonzeros=np.arange(m), mse_mean=mse, mse_se=np.full(m, np.nan),
                   mse_folds=mse[:, None], index_min=i, index_1se=i, validation=True)


def test_validation_column_and_roundtrip():
    t = _table(1.0, np.array([3.0, 2.0, 1.5, 1.7]))
    df = t.to_pandas()
    assert list(df.columns) == ["elasticNetParam", "regParam", "nonzeros", "mseMean",
                                "mseStdErr", "mseValidation"]
    np.testing.assert_array_equal(df["mseValidation"], [3.0, 2.0, 1.5, 1.7])
    back = CVTable.from_rows(t.to_rows(), t.meta())
    assert back.validation and back.index_min == 2 and back.n_folds == 1
    # tables persisted before the flag existed load as K-fold tables
    meta = {k: v for k, v in t.meta().items() if k != "validation"}
    assert not CVTable.from_rows(t.to_rows(), meta).validation


def test_concat_keeps_flag_and_selects_min_over_all_rows():
    t = CVTable.concat([_table(1.0, np.array([3.0, 2.0, 1.5])),
                        _table(0.5, np.array([2.5, 1.2, 1.4]))], "min")
    assert t.validation and t.index_min == 4 and t.index_1se == 4


def test_plot_cv_validation(monkeypatch):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from tests.unit.model_factory import make_model

    model, _, _ = make_model(n=60, p=4, m=4, k=3)
    model._cv = _table(1.0, np.array([3.0, 2.0, 1.5, 1.7]))
    fig = model.plotCV()
    ax = fig.axes[0]
    assert ax.get_title().startswith("validation set")
    assert [t.get_text() for t in ax.get_legend().get_texts()][0] == "validation MSE"
