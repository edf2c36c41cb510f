"""The structured-penalty parameters in configs and Params: accepted values, clear refusals."""

from __future__ import annotations

import math

import pytest

from lasso_spark.config import validate
from lasso_spark.jobs_lib.errors import ConfigError
from lasso_spark.paramspec import LASSO, LASSO_CV, combination_problems, to_bounds
from tests.unit.test_config import base_fit


def test_config_accepts_the_penalty_keys(tmp_path):
    data = base_fit(tmp_path)
    data["model"].update({"lowerBoundsOnCoefficients": [-math.inf, 0.0, -1.0],
                          "upperBoundsOnCoefficients": 2.0,
                          "featureGroups": [["a", "b"], ["c"]]})
    cfg = validate("fit", data)
    params = cfg.model.estimator_params()
    assert params["upperBoundsOnCoefficients"] == 2.0
    assert params["featureGroups"] == [["a", "b"], ["c"]]
    data["model"] = {"kind": "lasso_cv", "relax": True, "relaxGammas": [0.0, 0.5]}
    assert validate("fit", data).model.estimator_params()["relaxGammas"] == [0.0, 0.5]
    data["model"] = {"kind": "lasso_cv", "featureGroups": "auto", "positive": True}
    assert validate("fit", data).model.estimator_params()["featureGroups"] == "auto"


@pytest.mark.parametrize(
    ("model", "fragment"),
    [
        ({"lowerBoundsOnCoefficients": 0.5}, "must be <= 0"),
        ({"upperBoundsOnCoefficients": [1.0, -2.0]}, "first at index 1"),
        ({"featureGroups": "groups"}, "must be 'auto'"),
        ({"featureGroups": [["a"], ["a"]]}, "groups must be disjoint"),
        ({"relax": True, "relaxGammas": [1.5]}, "relaxGammas"),
        ({"relax": True, "positive": True}, "not supported with model.positive"),
        ({"positive": True, "lowerBoundsOnCoefficients": -1.0}, "either model.positive"),
    ],
)
def test_config_refuses_bad_penalty_keys(tmp_path, model, fragment):
    data = base_fit(tmp_path)
    data["model"].update(model)
    with pytest.raises(ConfigError) as info:
        validate("fit", data)
    assert any(fragment in m for m in info.value.problems), info.value.problems


def test_lasso_relax_needs_one_gamma():
    assert any("exactly one" in m for m in combination_problems(LASSO, {"relax": True}))
    assert not combination_problems(LASSO, {"relax": True, "relaxGammas": [0.0]})
    assert not combination_problems(LASSO_CV, {"relax": True})


def test_bounds_converter_accepts_vectors_and_infinities():
    from pyspark.ml.linalg import DenseVector

    assert to_bounds("upper", 1)(DenseVector([1.0, 0.0])) == [1.0, 0.0]
    assert to_bounds("lower", -1)(-math.inf) == -math.inf
    with pytest.raises(TypeError):
        to_bounds("lower", -1)("low")


def test_config_group_l1_ratio(tmp_path):
    data = base_fit(tmp_path)
    data["model"].update({"featureGroups": [["a", "b"], ["c"]], "groupL1Ratio": 0.3})
    assert validate("fit", data).model.estimator_params()["groupL1Ratio"] == 0.3
    for model, fragment in (({"groupL1Ratio": 0.3}, "give model.featureGroups too"),
                            ({"featureGroups": [["a", "b"]], "groupL1Ratio": 1.0},
                             "groupL1Ratio must be in [0.0, 1.0)")):
        data = base_fit(tmp_path)
        data["model"].update(model)
        with pytest.raises(ConfigError) as info:
            validate("fit", data)
        assert any(fragment in m for m in info.value.problems), info.value.problems
