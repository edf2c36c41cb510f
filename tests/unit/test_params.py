"""Params: MLlib names and defaults, validation messages naming the param (no JVM needed)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lasso_spark.ml.params import (
    LassoCVParams,
    LassoParams,
    ParamValidationError,
    resolve_penalty_factors,
)


class _Est(LassoCVParams):
    def __init__(self, **kwargs):
        super().__init__()
        self._set(**kwargs)


def test_defaults_use_mllib_names():
    e = _Est()
    assert e.getFeaturesCol() == "features" and e.getLabelCol() == "label"
    assert e.getPredictionCol() == "prediction"
    assert e.getRegParam() == 0.0 and e.getElasticNetParam() == 1.0
    assert e.getStandardization() is True and e.getFitIntercept() is True
    assert e.getHandleInvalid() == "error" and e.getPenaltyFactors() == {}
    assert e.getAdaptive() is False and e.getAdaptiveGamma() == 1.0
    assert e.getNumRegParams() == 100 and e.getNumFolds() == 5
    assert e.getRegParams() is None and e.getRegParamMinRatio() is None
    assert e.getElasticNetParams() == [1.0] and e.getFoldCol() is None
    assert e.getSelectionRule() == "min" and e.getParallelism() == "auto"
    assert not e.isDefined(e.weightCol)
    assert isinstance(e.getSeed(), int)
    assert issubclass(_Est, LassoParams)


@pytest.mark.parametrize("name,value", [
    ("regParam", -0.1), ("regParam", float("inf")), ("elasticNetParam", 1.01),
    ("maxIter", 0), ("tol", 0.0), ("handleInvalid", "keep"), ("adaptiveGamma", 0.0),
    ("numRegParams", 0), ("regParamMinRatio", 1.0), ("numFolds", 1),
    ("selectionRule", "max"), ("parallelism", 0), ("parallelism", "many"),
    ("regParams", [0.1, -1.0]), ("regParams", []), ("elasticNetParams", [0.5, 2.0]),
    ("penaltyFactors", {"a": -1.0}), ("penaltyFactors", {"a": float("nan")}),
])
def test_bad_values_raise_naming_the_param(name, value):
    with pytest.raises((ValueError, TypeError), match=name):
        _Est(**{name: value})
    e = _Est()
    with pytest.raises((ValueError, TypeError), match=name):
        e.set(e.getParam(name), value)


def test_good_values_are_normalized():
    e = _Est(parallelism="4", penaltyFactors=json.dumps({"a": 0, "b": 2}),
             regParams=[1, 0.5], elasticNetParams=[0.5, 1])
    assert e.getParallelism() == 4
    assert e.getPenaltyFactors() == {"a": 0.0, "b": 2.0}
    assert e.getRegParams() == [1.0, 0.5] and e.getElasticNetParams() == [0.5, 1.0]


def test_features_col_and_input_cols_are_exclusive():
    assert _Est()._usesInputCols() is False
    assert _Est(inputCols=["a", "b"])._usesInputCols() is True
    with pytest.raises(ParamValidationError, match="exactly one of featuresCol"):
        _Est(inputCols=["a"], featuresCol="v")._validateParams()
    with pytest.raises(ParamValidationError, match="duplicate"):
        _Est(inputCols=["a", "a"])._validateParams()
    with pytest.raises(ParamValidationError, match="labelCol 'a'"):
        _Est(inputCols=["a"], labelCol="a")._validateParams()
    with pytest.raises(ParamValidationError, match="weightCol 'label'"):
        _Est(weightCol="label")._validateParams()
    with pytest.raises(ParamValidationError, match="foldCol 'w'"):
        _Est(weightCol="w", foldCol="w")._validateParams()


def test_resolve_penalty_factors():
    assert resolve_penalty_factors(["a", "b"], {}) is None
    np.testing.assert_array_equal(resolve_penalty_factors(["a", "b", "c"], {"b": 0.0}),
                                  [1.0, 0.0, 1.0])
    with pytest.raises(ParamValidationError, match="1 unknown feature.*'z'"):
        resolve_penalty_factors(["a", "b"], {"z": 1.0})


def test_param_map_is_json_serializable():
    e = _Est(penaltyFactors={"a": 0.5}, parallelism=2, regParams=[0.1])
    values = {p.name: v for p, v in e.extractParamMap().items()}
    assert json.loads(json.dumps(values))["penaltyFactors"] == {"a": 0.5}
