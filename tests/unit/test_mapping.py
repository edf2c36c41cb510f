"""Arithmetic of the MLlib → core parameter map (the MLlib comparison is in tests/spark)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lasso_spark.ml.mapping import equivalents, mllib_to_core, reg_params_from_alphas


@given(
    reg=st.one_of(st.just(0.0), st.floats(1e-12, 1e3)),
    enp=st.floats(0.0, 1.0),
    sy=st.floats(1e-3, 1e3),
)
def test_penalty_parts_match_mllib_objective(reg, enp, sy):
    c = mllib_to_core(reg, enp, label_std=sy, label_mean=1.0)
    # MLlib on the original label: L1 weight reg·enp, L2 weight reg·(1−enp)/σy
    assert c.alpha * c.l1_ratio == pytest.approx(reg * enp, rel=1e-12, abs=1e-300)
    assert c.alpha * (1 - c.l1_ratio) == pytest.approx(reg * (1 - enp) / sy, rel=1e-9,
                                                       abs=1e-12 * c.alpha)
    assert 0.0 <= c.l1_ratio <= 1.0
    assert c.alpha == pytest.approx(reg * c.alpha_per_reg_param, rel=1e-15)


@pytest.mark.parametrize("sy", [0.01, 1.0, 250.0])
def test_pure_lasso_is_identity(sy):
    c = mllib_to_core(0.37, 1.0, label_std=sy)
    assert c.alpha == 0.37 and c.l1_ratio == 1.0


def test_unit_label_std_is_glmnet_identity():
    c = mllib_to_core(0.2, 0.3, label_std=1.0)
    assert c.alpha == pytest.approx(0.2) and c.l1_ratio == pytest.approx(0.3)


def test_ridge_and_zero_reg():
    c = mllib_to_core(0.5, 0.0, label_std=4.0)
    assert c.l1_ratio == 0.0 and c.alpha == pytest.approx(0.125)
    z = mllib_to_core(0.0, 0.5, label_std=4.0)
    assert z.alpha == 0.0 and not z.constant_model


def test_grid_inverse_roundtrip():
    c = mllib_to_core(1.0, 0.4, label_std=3.0)
    regs = np.logspace(1, -3, 17)
    alphas = regs * c.alpha_per_reg_param
    np.testing.assert_allclose(reg_params_from_alphas(alphas, c), regs, rtol=1e-15)
    # and every grid point maps to the same l1_ratio
    for r in regs:
        assert mllib_to_core(r, 0.4, label_std=3.0).l1_ratio == pytest.approx(c.l1_ratio)


@pytest.mark.parametrize("fit_intercept,mean", [(True, 2.5), (False, 0.0), (True, 0.0)])
def test_constant_label_gives_constant_model(fit_intercept, mean):
    c = mllib_to_core(0.3, 0.5, label_std=0.0, label_mean=mean, fit_intercept=fit_intercept)
    assert c.constant_model
    assert c.constant_intercept == (mean if fit_intercept else 0.0)


def test_constant_label_without_intercept_cannot_be_regularized():
    with pytest.raises(ValueError, match="cannot be regularized"):
        mllib_to_core(0.3, 1.0, label_std=0.0, label_mean=2.0, fit_intercept=False)
    c = mllib_to_core(0.0, 1.0, label_std=0.0, label_mean=2.0, fit_intercept=False)
    assert not c.constant_model and c.alpha == 0.0


def test_rounding_noise_std_counts_as_constant():
    assert mllib_to_core(0.1, 1.0, label_std=1e-16, label_mean=1e3).constant_model
    assert not mllib_to_core(0.1, 1.0, label_std=1e-9, label_mean=1e3).constant_model


@pytest.mark.parametrize("kwargs,match", [
    ({"reg_param": -1.0}, "regParam"),
    ({"reg_param": float("nan")}, "regParam"),
    ({"elastic_net_param": 1.5}, "elasticNetParam"),
    ({"label_std": -1.0}, "standard deviation"),
])
def test_bad_inputs_name_the_parameter(kwargs, match):
    args = {"reg_param": 0.1, "elastic_net_param": 0.5, "label_std": 1.0} | kwargs
    rp, enp = args.pop("reg_param"), args.pop("elastic_net_param")
    with pytest.raises(ValueError, match=match):
        mllib_to_core(rp, enp, **args)


def test_equivalents_table_is_json_and_consistent():
    eq = equivalents(0.2, 0.5, label_std=2.0, standardization=False, fit_intercept=True)
    json.dumps(eq)
    assert eq["glmnet"]["lambda"] == 0.2 and eq["glmnet"]["alpha"] == 0.5
    assert eq["sklearn"]["alpha"] == eq["core"]["alpha"] == pytest.approx(0.2 * (0.5 + 0.25))
    assert eq["core"]["standardize"] is False
