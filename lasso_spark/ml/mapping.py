"""MLlib's ``(regParam, elasticNetParam)`` → the core's ``(alpha, l1_ratio)``, and the equivalents.

The core solves, with weights ``w``, ``W = Σ w``, penalty factors ``v_j`` (default 1)::

    min_{b0, β}  1/(2W) Σ_i w_i (y_i − b0 − x̃_iᵀβ)²  +  α Σ_j v_j ( ρ|β_j| + (1−ρ)/2 β_j² )      (C)

where ``x̃ = (x − μ)/σ`` (weighted mean, population std) when ``standardization`` is on and
``x̃ = x − μ`` when off (no centering, ``b0 = 0`` when ``fitIntercept`` is off).

Spark MLlib ``LinearRegression(solver="normal")`` (``WeightedLeastSquares`` with
``standardizeLabel=true``, checked against Spark's source and, in the tests, by experiment)
divides the label by its weighted *population* standard deviation ``σy`` (always the centered
one, also when ``fitIntercept`` is off), solves in that space with
``λ_eff = regParam/σy``, L1 weight ``elasticNetParam·λ_eff`` and L2 weight
``(1−elasticNetParam)·λ_eff``, and scales back. Multiplying its objective by ``σy²`` gives, on the
original label::

    1/(2W) Σ w (y − b0 − x̃ᵀβ)² + regParam·enp Σ|β_j| + regParam·(1−enp)/(2σy) Σ β_j²

(with ``standardization=false`` MLlib divides the L1 weight by ``σ_j`` and the L2 weight by
``σ_j²``, i.e. it penalizes the raw coefficients: the same formula with ``x̃ = x − μ``). Matching
with (C)::

    α·ρ      = regParam · elasticNetParam
    α·(1−ρ)  = regParam · (1 − elasticNetParam) / σy

    α = regParam · (elasticNetParam + (1 − elasticNetParam)/σy),   ρ = regParam·elasticNetParam / α

Pure lasso: ``α = regParam``, ``ρ = 1`` whatever ``σy``. The map is linear in ``regParam`` at a
fixed ``elasticNetParam``, so a regParam grid is an alpha grid at one ``l1_ratio``:
``alpha = regParam · alpha_per_reg_param``.

Edge cases, as MLlib:

* ``σy == 0`` and (``fitIntercept`` or mean label 0): the model is constant — coefficients 0,
  intercept = mean label (0 without intercept). No solve.
* ``σy == 0``, no intercept, mean label ≠ 0: ``regParam > 0`` is an error (MLlib: "Model cannot
  be regularized when labels are standardized"); ``regParam == 0`` is least squares.
* ``regParam == 0``: ``α = 0``, least squares (``ρ`` kept at elasticNetParam, irrelevant).
* A label standard deviation below ``1e-14·|mean label|`` is rounding noise and counts as 0.

Other libraries, same minimizer (``σy`` = weighted population std of the label, ``enp`` =
elasticNetParam)::

    scikit-learn  ElasticNet(alpha=α, l1_ratio=ρ, fit_intercept=…) fitted on X̃ (X standardized
                  by you with the weighted mean and population std when standardization is on),
                  sample_weight=w; coefficients / σ_j are ours. Lasso(alpha=regParam) when enp=1.
    glmnet        glmnet(x, y, weights=w, family="gaussian", lambda=regParam, alpha=enp,
                  standardize=standardization, intercept=fitIntercept): glmnet standardizes y
                  internally for the gaussian family exactly as MLlib does, so its (lambda,
                  alpha) are MLlib's (regParam, elasticNetParam), NOT the core's (α, ρ), unless
                  enp = 1 or σy = 1 (Spark's WeightedLeastSquares documents standardizeLabel=true
                  as "match R's glmnet"). penalty.factor is rescaled by glmnet to sum to p;
                  ours is not.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)

__all__ = [
    "CorePenalty",
    "equivalents",
    "mllib_to_core",
    "reg_params_from_alphas",
]

#: relative threshold under which the label's standard deviation counts as 0
LABEL_STD_RTOL = 1e-14


@dataclass(frozen=True)
class CorePenalty:
    """The core's parameters for one ``(regParam, elasticNetParam)``.

    ``constant_model``: no solve needed, the model is ``coefficients = 0``,
    ``intercept = constant_intercept`` (MLlib's behaviour for a constant label).
    ``alpha_per_reg_param``: ``alpha / regParam`` (the map is linear in regParam), for grids.
    """

    alpha: float
    l1_ratio: float
    alpha_per_reg_param: float
    standardize: bool
    fit_intercept: bool
    label_std: float
    constant_model: bool = False
    constant_intercept: float = 0.0


def _label_is_constant(label_std: float, label_mean: float) -> bool:
    return label_std == 0.0 or label_std <= LABEL_STD_RTOL * abs(label_mean)


def mllib_to_core(
    reg_param: float,
    elastic_net_param: float,
    *,
    label_std: float,
    label_mean: float = 0.0,
    fit_intercept: bool = True,
    standardization: bool = True,
) -> CorePenalty:
    """Map MLlib ``LinearRegression`` parameters to the core's objective (see module docstring).

    ``label_std`` is the weighted *population* standard deviation of the label (centered, also
    without intercept: ``SuffStats.std_y``), ``label_mean`` its weighted mean.
    """
    reg_param = float(reg_param)
    enp = float(elastic_net_param)
    if not (math.isfinite(reg_param) and reg_param >= 0.0):
        raise ValueError(f"regParam must be finite and >= 0, got {reg_param!r}")
    if not (0.0 <= enp <= 1.0):
        raise ValueError(f"elasticNetParam must be in [0, 1], got {enp!r}")
    if not (math.isfinite(label_std) and label_std >= 0.0):
        raise ValueError(f"label standard deviation must be finite and >= 0, got {label_std!r}")

    common = {"standardize": bool(standardization), "fit_intercept": bool(fit_intercept)}
    if _label_is_constant(label_std, label_mean):
        if fit_intercept or label_mean == 0.0:
            logger.warning(
                "the label is constant (mean %r): coefficients are 0 and the intercept is the "
                "mean label, as in Spark MLlib; no solve", label_mean
            )
            return CorePenalty(
                alpha=0.0, l1_ratio=enp, alpha_per_reg_param=0.0, label_std=0.0,
                constant_model=True, constant_intercept=float(label_mean) if fit_intercept
                else 0.0, **common,
            )
        if reg_param > 0.0:
            raise ValueError(
                "the label is constant (standard deviation 0, mean "
                f"{label_mean!r}) and fitIntercept is False: the model cannot be regularized "
                "when labels are standardized (as in Spark MLlib); set fitIntercept=True or "
                "regParam=0"
            )
        return CorePenalty(alpha=0.0, l1_ratio=enp, alpha_per_reg_param=0.0, label_std=0.0,
                           **common)

    per = enp + (1.0 - enp) / label_std
    alpha = reg_param * per
    return CorePenalty(
        alpha=alpha,
        l1_ratio=enp / per,
        alpha_per_reg_param=per,
        label_std=float(label_std),
        **common,
    )


def reg_params_from_alphas(alphas: np.ndarray, penalty: CorePenalty) -> np.ndarray:
    """Inverse map of a core alpha grid (at ``penalty.l1_ratio``) to MLlib regParams."""
    alphas = np.asarray(alphas, dtype=np.float64)
    if penalty.alpha_per_reg_param == 0.0:
        if np.any(alphas != 0.0):
            raise ValueError("a constant-label model has no regParam grid other than zeros")
        return alphas.copy()
    return alphas / penalty.alpha_per_reg_param


def equivalents(
    reg_param: float,
    elastic_net_param: float,
    *,
    label_std: float,
    label_mean: float = 0.0,
    fit_intercept: bool = True,
    standardization: bool = True,
) -> dict[str, dict[str, object]]:
    """The same fit's parameters in MLlib, the core, scikit-learn and glmnet (for docs/reports)."""
    core = mllib_to_core(
        reg_param, elastic_net_param, label_std=label_std, label_mean=label_mean,
        fit_intercept=fit_intercept, standardization=standardization,
    )
    return {
        "mllib": {
            "class": "pyspark.ml.regression.LinearRegression",
            "solver": "normal",
            "regParam": float(reg_param),
            "elasticNetParam": float(elastic_net_param),
            "standardization": bool(standardization),
            "fitIntercept": bool(fit_intercept),
        },
        "core": {"alpha": core.alpha, "l1_ratio": core.l1_ratio,
                 "standardize": core.standardize, "fit_intercept": core.fit_intercept},
        "sklearn": {
            "class": "sklearn.linear_model.ElasticNet",
            "alpha": core.alpha,
            "l1_ratio": core.l1_ratio,
            "fit_intercept": bool(fit_intercept),
            "X": "standardized by the weighted mean and population std"
            if standardization else "as is",
            "coef": "coef_ / std" if standardization else "coef_",
        },
        "glmnet": {
            "family": "gaussian",
            "lambda": float(reg_param),
            "alpha": float(elastic_net_param),
            "standardize": bool(standardization),
            "intercept": bool(fit_intercept),
        },
    }
