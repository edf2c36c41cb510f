"""The logistic estimators on the seams: Params from the binomial declarations, a FitRequest of
family "binomial", the logistic backend chosen by family, and the cross-parameter rules of
paramspec (no Spark session needed)."""

from __future__ import annotations

import pytest

from lasso_spark import LogisticLasso, LogisticLassoCV
from lasso_spark.ml.backends import choose_backend
from lasso_spark.ml.backends.request import BinomialSpec, SplitSpec
from lasso_spark.paramspec import DEFAULT_SEED, ParamValidationError

COLS = ["a", "b", "c"]


def test_cv_request_is_binomial_with_its_split_grid_and_options():
    est = LogisticLassoCV(inputCols=COLS, labelCol="y", foldCol="f", numFolds=4, cvMetric="auc",
                          regParamsInFlight=4, threshold=0.3, numRegParams=20,
                          selectionRule="1se", elasticNetParam=0.5)
    req = est._request()
    assert req.family == "binomial"
    assert req.split == SplitSpec("fold_col", 4, "f", DEFAULT_SEED)
    assert (req.grid.num_reg_params, req.grid.reg_params, req.grid.reg_param) == (20, None, None)
    assert req.penalty.elastic_net_params == (0.5,)
    assert req.binomial == BinomialSpec(threshold=0.3, in_flight=4, cv_metric="auc",
                                        cache_input=False)
    # the binomial family's own maxIter / tol defaults, not Lasso's
    assert (req.solver.max_iter, req.solver.tol) == (100, 1e-6)
    assert req.selection_rule == "1se" and req.input.input_cols == tuple(COLS)
    assert choose_backend(req, None).name == "logistic"


def test_single_fit_request_targets_its_reg_param():
    req = LogisticLasso(featuresCol="v", labelCol="y", regParam=0.02, cacheInput=True,
                        maxIter=7)._request()
    assert req.split == SplitSpec() and req.grid.reg_param == 0.02
    assert req.binomial.cache_input and req.solver.max_iter == 7
    assert req.input.features_col == "v" and req.input.input_cols is None


@pytest.mark.parametrize("kwargs,match", [
    (dict(regParam=0.1), "chosen by cross-validation in LogisticLassoCV"),
    (dict(foldCol="f", validationCol="v"), "at most one of foldCol"),
    (dict(validationCol="v", selectionRule="1se"), "selectionRule='1se'"),
    (dict(regParams=[0.1], numRegParams=5), "either regParams"),
    (dict(foldCol="a"), "foldCol 'a' is also the label, weight or a feature"),
])
def test_cross_parameter_rules_are_paramspec_s(kwargs, match):
    with pytest.raises(ParamValidationError, match=match):
        LogisticLassoCV(inputCols=COLS, labelCol="y", **kwargs)._request()


def test_single_values_are_checked_by_their_declarations():
    with pytest.raises(ParamValidationError, match="threshold"):
        LogisticLasso(threshold=1.5)
    with pytest.raises(ParamValidationError, match="cvMetric"):
        LogisticLassoCV(cvMetric="mse")
    with pytest.raises(TypeError, match="did you mean 'cvMetric'"):
        LogisticLassoCV(cvMetrics="auc")
    with pytest.raises(TypeError, match="unknown parameter"):
        LogisticLasso(penaltyFactors={"a": 0.0})  # a linear-family parameter
