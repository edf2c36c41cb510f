"""pyspark.ml Params of ``Lasso``, ``LassoCV`` and ``LassoModel``, with MLlib's names.

The estimators solve (see DESIGN.md and :mod:`lasso_spark.ml.mapping`)::

    min_{b0, β}  1/(2W) Σ_i w_i (y_i − b0 − x̃_iᵀβ)²  +  α Σ_j v_j ( ρ|β_j| + (1−ρ)/2 β_j² )

with ``(α, ρ)`` derived from ``(regParam, elasticNetParam)`` so that the minimizer equals Spark
MLlib ``LinearRegression(solver="normal")``'s for the same parameters.

Parameter map (``—`` = no equivalent)::

  lasso_spark       default     MLlib LinearRegression    scikit-learn            glmnet (R)
  ----------------  ----------  ------------------------  ---------------------  ----------------
  featuresCol       features    featuresCol               X                      x
  inputCols         —           (VectorAssembler)         X columns              x columns
  labelCol          label       labelCol                  y                      y
  weightCol         —           weightCol                 sample_weight          weights
  predictionCol     prediction  predictionCol             predict()              predict()
  regParam          0.0         regParam                  alpha (*)              lambda
  elasticNetParam   1.0         elasticNetParam (def. 0)  l1_ratio (*)           alpha
  standardization   True        standardization           — (scale X yourself)   standardize
  fitIntercept      True        fitIntercept              fit_intercept          intercept
  maxIter           100000      maxIter (quasi-Newton)    max_iter (CD epochs)   maxit
  tol               1e-7        tol (rel. objective)      tol (duality gap)      thresh
  penaltyFactors    —           —                         — (rescale X columns)  penalty.factor
  adaptive          False       —                         —                      —
  adaptiveGamma     1.0         —                         —                      —
  handleInvalid     error       (VectorAssembler)         —                      —
  solverMode        auto        solver (normal/l-bfgs)    —                      —
  regParams         —           (ParamGridBuilder)        alphas                 lambda
  numRegParams      100         —                         n_alphas               nlambda
  regParamMinRatio  None        —                         eps                    lambda.min.ratio
  elasticNetParams  —           (ParamGridBuilder)        l1_ratio (list)        —
  numFolds          5           CrossValidator.numFolds   cv                     nfolds
  foldCol           —           CrossValidator.foldCol    cv=PredefinedSplit     foldid
  validationCol     —           GBT validationIndicator.  cv=PredefinedSplit     —
  seed              crc32 (**)  seed                      random_state           set.seed
  selectionRule     min         —                         (min only)             lambda.min / 1se
  parallelism       auto        CrossValidator.parall.    n_jobs                 parallel

(*) exact for ``elasticNetParam == 1``; for elastic net MLlib (like glmnet) penalizes on the
scale of the standardized label, so ``alpha·l1_ratio = regParam·elasticNetParam`` and
``alpha·(1−l1_ratio) = regParam·(1−elasticNetParam)/σy``; see :mod:`lasso_spark.ml.mapping`.
(**) ``LassoCV``'s default seed is ``zlib.crc32(b"LassoCV")``, the same in every process (pyspark's
class-name ``hash()`` changes between processes, and with it the folds and the chosen regParam).

Semantics that differ from MLlib on purpose:

* ``elasticNetParam`` defaults to 1.0 (this is a Lasso).
* ``maxIter`` bounds the coordinate-descent epochs per regParam (glmnet's ``maxit``), not
  quasi-Newton iterations; ``tol`` is the duality-gap target relative to the weighted label
  variance (scikit-learn's criterion), so convergence is certified, not guessed.
* ``featuresCol`` and ``inputCols`` are alternatives: set ``inputCols`` (numeric columns) or
  leave it unset and use the vector column ``featuresCol``; setting both explicitly is an error.
* ``penaltyFactors`` maps feature names to ``v_j ≥ 0`` (0 = never penalized, missing = 1). They
  are used as given; glmnet rescales them to sum to the number of features.
* ``solverMode`` is ``"gram"`` (one data pass, the full ``p × p`` Gram per fold), ``"wide"``
  (:mod:`lasso_spark.wide`: per-feature statistics, Gram blocks for working sets only and
  ``Xᵀr`` passes over all features for the KKT checks; several passes, driver memory
  ``O(K·|A|² + T·p)``) or ``"auto"`` (wide above ``WIDE_AUTO_MIN_FEATURES = 4096`` features,
  MLlib's limit for its normal solver). Both give the same model to the solver tolerance; the
  summary reports ``solverMode``, ``numDataPasses`` and ``dataPasses`` (per kind). Wide mode
  does not support ``adaptive`` or ``regParam = 0``.
* ``parallelism`` is ``"auto"`` or a positive int: how many fold/elastic-net fits may run as
  concurrent Spark tasks (1 = all on the driver).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.param.shared import (
    HasElasticNetParam,
    HasFeaturesCol,
    HasFitIntercept,
    HasHandleInvalid,
    HasInputCols,
    HasLabelCol,
    HasMaxIter,
    HasPredictionCol,
    HasRegParam,
    HasSeed,
    HasStandardization,
    HasTol,
    HasWeightCol,
)

logger = logging.getLogger(__name__)

__all__ = [
    "HANDLE_INVALID_OPTIONS",
    "InputColsParams",
    "SELECTION_RULES",
    "SOLVER_MODES",
    "ParamValidationError",
    "resolve_penalty_factors",
]

HANDLE_INVALID_OPTIONS = ("error", "skip")
SELECTION_RULES = ("min", "1se")
SOLVER_MODES = ("auto", "gram", "wide")


class ParamValidationError(ValueError):
    """A parameter value (or a combination of values) is not allowed; the message names it."""


# ---------------------------------------------------------------------------------- converters
def _float_in(
    name: str, low: float, high: float = math.inf, *, low_open: bool = False,
    high_open: bool = False,
) -> Callable[[Any], float]:
    def convert(value: Any) -> float:
        try:
            v = TypeConverters.toFloat(value)
        except TypeError as exc:
            raise TypeError(f"{name} must be a number, got {value!r}") from exc
        bad_low = v <= low if low_open else v < low
        bad_high = v >= high if high_open else v > high
        if not math.isfinite(v) or bad_low or bad_high:
            left, right = "(" if low_open else "[", ")" if high_open else "]"
            raise ParamValidationError(f"{name} must be in {left}{low}, {high}{right}, got {v!r}")
        return v

    return convert


def _int_at_least(name: str, low: int) -> Callable[[Any], int]:
    def convert(value: Any) -> int:
        if isinstance(value, bool):
            raise TypeError(f"{name} must be an integer, got {value!r}")
        try:
            v = TypeConverters.toInt(value)
        except TypeError as exc:
            raise TypeError(f"{name} must be an integer, got {value!r}") from exc
        if v < low:
            raise ParamValidationError(f"{name} must be >= {low}, got {v}")
        return v

    return convert


def _choice(name: str, options: Sequence[str]) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        v = TypeConverters.toString(value)
        if v not in options:
            raise ParamValidationError(f"{name} must be one of {list(options)}, got {v!r}")
        return v

    return convert


def _float_list(name: str, low: float, high: float = math.inf) -> Callable[[Any], list[float]]:
    def convert(value: Any) -> list[float]:
        try:
            values = TypeConverters.toListFloat(value)
        except TypeError as exc:
            raise TypeError(f"{name} must be a list of numbers, got {value!r}") from exc
        if not values:
            raise ParamValidationError(f"{name} must not be empty")
        bad = [v for v in values if not (math.isfinite(v) and low <= v <= high)]
        if bad:
            raise ParamValidationError(
                f"{name}: {len(bad)} value(s) outside [{low}, {high}], e.g. {bad[:3]}"
            )
        return [float(v) for v in values]

    return convert


def _penalty_factors(value: Any) -> dict[str, float]:
    """Accept a mapping (or its JSON text) feature name → factor ≥ 0; return a plain dict."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise TypeError(f"penaltyFactors: not a JSON object: {exc}") from exc
    if not isinstance(value, Mapping):
        raise TypeError(
            f"penaltyFactors must be a dict feature name -> factor, got {type(value).__name__}"
        )
    out: dict[str, float] = {}
    bad: list[str] = []
    for key, factor in value.items():
        if not isinstance(key, str):
            raise TypeError(f"penaltyFactors keys must be feature names (str), got {key!r}")
        try:
            f = float(factor)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"penaltyFactors[{key!r}] must be a number, got {factor!r}") from exc
        if not (math.isfinite(f) and f >= 0.0):
            bad.append(key)
        out[key] = f
    if bad:
        raise ParamValidationError(
            f"penaltyFactors must be finite and >= 0; {len(bad)} bad: {bad[:5]}"
        )
    return out


def _parallelism(value: Any) -> str | int:
    if isinstance(value, str):
        if value == "auto":
            return "auto"
        if value.strip().isdigit():
            value = int(value)
        else:
            raise ParamValidationError(f"parallelism must be 'auto' or an int >= 1, got {value!r}")
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"parallelism must be 'auto' or an int >= 1, got {value!r}")
    if int(value) < 1:
        raise ParamValidationError(f"parallelism must be 'auto' or an int >= 1, got {value}")
    return int(value)


# ------------------------------------------------------------------------------------ mixins
class InputColsParams(HasFeaturesCol, HasInputCols, HasLabelCol, HasWeightCol):
    """The input columns of every estimator (a vector ``featuresCol`` or numeric ``inputCols``,
    ``labelCol``, ``weightCol``) and the rules between them."""

    def _usesInputCols(self) -> bool:
        """True when features come from ``inputCols``, False for the vector ``featuresCol``.

        Raises ParamValidationError if both are set explicitly.
        """
        has_input = self.isSet(self.inputCols)
        if has_input and self.isSet(self.featuresCol):
            raise ParamValidationError(
                "set exactly one of featuresCol (a vector column) and inputCols (numeric "
                f"columns); got featuresCol={self.getFeaturesCol()!r} and "
                f"inputCols={self.getInputCols()!r}"
            )
        if has_input:
            cols = self.getInputCols()
            if not cols:
                raise ParamValidationError("inputCols must not be empty")
            dupes = sorted({c for c in cols if cols.count(c) > 1})
            if dupes:
                raise ParamValidationError(f"inputCols has duplicate columns: {dupes}")
        return has_input

    def _validateParams(self) -> None:
        """Check the rules that involve several params; single values are checked on set."""
        uses_input = self._usesInputCols()
        label = self.getLabelCol()
        feature_cols = self.getInputCols() if uses_input else [self.getFeaturesCol()]
        if label in feature_cols:
            raise ParamValidationError(f"labelCol {label!r} is also a feature column")
        if self.isDefined(self.weightCol) and self.getWeightCol():
            weight = self.getWeightCol()
            if weight == label or weight in feature_cols:
                raise ParamValidationError(f"weightCol {weight!r} is also the label or a feature")


class _LassoSharedParams(
    InputColsParams,
    HasPredictionCol,
    HasStandardization,
    HasFitIntercept,
    HasMaxIter,
    HasTol,
    HasHandleInvalid,
):
    """Params shared by ``Lasso``, ``LassoCV`` and ``LassoModel`` (MLlib names and meanings).

    ``regParam`` and ``elasticNetParam`` are not here: on the model they are the fitted values
    (plain floats), on the estimators Params (:class:`_LassoParams`).
    """

    maxIter: Param[int] = Param(
        Params._dummy(),
        "maxIter",
        "maximum coordinate-descent epochs per regParam (glmnet's maxit), >= 1.",
        typeConverter=_int_at_least("maxIter", 1),
    )
    tol: Param[float] = Param(
        Params._dummy(),
        "tol",
        "convergence tolerance: stop when the duality gap <= tol * weighted variance of the "
        "label (> 0).",
        typeConverter=_float_in("tol", 0.0, low_open=True),
    )
    handleInvalid: Param[str] = Param(
        Params._dummy(),
        "handleInvalid",
        "rows with null/NaN/infinite label, features or weight, or negative weight: 'error' "
        "(fail, naming the column and the count of bad rows) or 'skip' (drop and count them).",
        typeConverter=_choice("handleInvalid", HANDLE_INVALID_OPTIONS),
    )
    penaltyFactors: Param[dict[str, float]] = Param(
        Params._dummy(),
        "penaltyFactors",
        "per-feature penalty factors v_j >= 0 as a dict feature name -> factor (0 = never "
        "penalized, missing names = 1). Used as given (glmnet rescales them to sum to p).",
        typeConverter=_penalty_factors,
    )
    adaptive: Param[bool] = Param(
        Params._dummy(),
        "adaptive",
        "adaptive lasso: penalty factors multiplied by 1/|beta_init|^adaptiveGamma, beta_init "
        "from OLS (or ridge when ill-posed) on the same statistics (no extra data pass).",
        typeConverter=TypeConverters.toBoolean,
    )
    adaptiveGamma: Param[float] = Param(
        Params._dummy(),
        "adaptiveGamma",
        "exponent gamma > 0 of the adaptive lasso weights.",
        typeConverter=_float_in("adaptiveGamma", 0.0, low_open=True),
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._setDefault(
            featuresCol="features",
            labelCol="label",
            predictionCol="prediction",
            standardization=True,
            fitIntercept=True,
            maxIter=100_000,
            tol=1e-7,
            handleInvalid="error",
            penaltyFactors={},
            adaptive=False,
            adaptiveGamma=1.0,
        )

    # getters for the params pyspark's shared mixins do not have
    def getPenaltyFactors(self) -> dict[str, float]:
        return dict(self.getOrDefault(self.penaltyFactors))

    def getAdaptive(self) -> bool:
        return bool(self.getOrDefault(self.adaptive))

    def getAdaptiveGamma(self) -> float:
        return float(self.getOrDefault(self.adaptiveGamma))


class _LassoParams(_LassoSharedParams, HasRegParam, HasElasticNetParam):
    """Params of the ``Lasso`` estimator: the shared ones plus regParam and elasticNetParam."""

    regParam: Param[float] = Param(
        Params._dummy(),
        "regParam",
        "regularization parameter (>= 0), MLlib's: with elasticNetParam it gives the same "
        "minimizer as LinearRegression(solver='normal').",
        typeConverter=_float_in("regParam", 0.0),
    )
    elasticNetParam: Param[float] = Param(
        Params._dummy(),
        "elasticNetParam",
        "ElasticNet mixing parameter in [0, 1]: 1 = L1 (lasso), 0 = L2 (ridge).",
        typeConverter=_float_in("elasticNetParam", 0.0, 1.0),
    )
    solverMode: Param[str] = Param(
        Params._dummy(),
        "solverMode",
        "'gram' (one pass, full Gram per fold), 'wide' (Gram blocks of working sets plus X'r "
        "KKT passes; for many features) or 'auto' (wide above 4096 features).",
        typeConverter=_choice("solverMode", SOLVER_MODES),
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._setDefault(regParam=0.0, elasticNetParam=1.0, solverMode="auto")

    def getSolverMode(self) -> str:
        return str(self.getOrDefault(self.solverMode))


def resolve_penalty_factors(
    feature_names: Sequence[str], penalty_factors: Mapping[str, float] | None
) -> np.ndarray | None:
    """Turn ``penaltyFactors`` (name → factor) into the core's ``penalty_factor`` vector.

    Returns None when no factor is given (all ones). Unknown names raise, listing them.
    """
    if not penalty_factors:
        return None
    index = {name: j for j, name in enumerate(feature_names)}
    unknown = [k for k in penalty_factors if k not in index]
    if unknown:
        raise ParamValidationError(
            f"penaltyFactors names {len(unknown)} unknown feature(s): {unknown[:5]}; "
            f"features are {list(feature_names)[:10]}{'...' if len(feature_names) > 10 else ''}"
        )
    v = np.ones(len(feature_names))
    for name, factor in penalty_factors.items():
        v[index[name]] = factor
    return v


class _LassoCVParams(_LassoParams, HasSeed):
    """Params of ``LassoCV`` (and of the models it fits): the grid, the folds, the rule."""

    regParams: Param[list[float]] = Param(
        Params._dummy(),
        "regParams",
        "explicit regParam grid (values >= 0, any order; fitted in decreasing order). When "
        "unset the grid is numRegParams values log-spaced from the smallest regParam giving "
        "all-zero coefficients down to regParamMinRatio times it (glmnet's rule).",
        typeConverter=_float_list("regParams", 0.0),
    )
    numRegParams: Param[int] = Param(
        Params._dummy(),
        "numRegParams",
        "number of regParam values in the automatic grid (>= 1).",
        typeConverter=_int_at_least("numRegParams", 1),
    )
    regParamMinRatio: Param[float] = Param(
        Params._dummy(),
        "regParamMinRatio",
        "smallest/largest regParam of the automatic grid, in (0, 1); unset = glmnet's rule "
        "(1e-4 when rows > features, else 1e-2).",
        typeConverter=_float_in("regParamMinRatio", 0.0, 1.0, low_open=True, high_open=True),
    )
    elasticNetParams: Param[list[float]] = Param(
        Params._dummy(),
        "elasticNetParams",
        "optional elasticNetParam grid, each in [0, 1]; cross-validated jointly with regParam. "
        "Unset = elasticNetParam only.",
        typeConverter=_float_list("elasticNetParams", 0.0, 1.0),
    )
    numFolds: Param[int] = Param(
        Params._dummy(),
        "numFolds",
        "number of cross-validation folds (>= 2); ignored when foldCol is set.",
        typeConverter=_int_at_least("numFolds", 2),
    )
    foldCol: Param[str] = Param(
        Params._dummy(),
        "foldCol",
        "integer column with user-assigned fold numbers in [0, numFolds); unset = random folds "
        "from seed.",
        typeConverter=TypeConverters.toString,
    )
    validationCol: Param[str] = Param(
        Params._dummy(),
        "validationCol",
        "boolean column marking validation rows (like MLlib GBT's validationIndicatorCol): "
        "regParam is selected on the validation MSE of the path fitted on the other rows, "
        "instead of K folds (still one data pass); the final model is the path on all rows. "
        "Excludes foldCol and selectionRule='1se'.",
        typeConverter=TypeConverters.toString,
    )
    selectionRule: Param[str] = Param(
        Params._dummy(),
        "selectionRule",
        "how the final regParam is chosen: 'min' (lowest mean CV MSE) or '1se' (largest "
        "regParam whose mean CV MSE is within one standard error of the minimum, glmnet's "
        "lambda.1se).",
        typeConverter=_choice("selectionRule", SELECTION_RULES),
    )
    parallelism: Param[str | int] = Param(
        Params._dummy(),
        "parallelism",
        "'auto' or an int >= 1: how many fold x elasticNetParam fits may run as concurrent Spark "
        "tasks (1 = solve on the driver). 'auto' decides from the number of features and fits.",
        typeConverter=_parallelism,
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._setDefault(
            numRegParams=100,
            numFolds=5,
            selectionRule="min",
            parallelism="auto",
        )

    def getRegParams(self) -> list[float] | None:
        return list(self.getOrDefault(self.regParams)) if self.isDefined(self.regParams) else None

    def getNumRegParams(self) -> int:
        return int(self.getOrDefault(self.numRegParams))

    def getRegParamMinRatio(self) -> float | None:
        if not self.isDefined(self.regParamMinRatio):
            return None
        return float(self.getOrDefault(self.regParamMinRatio))

    def getElasticNetParams(self) -> list[float]:
        """The elasticNetParam grid: ``elasticNetParams`` if set, else ``[elasticNetParam]``."""
        if self.isDefined(self.elasticNetParams):
            return list(self.getOrDefault(self.elasticNetParams))
        return [self.getElasticNetParam()]

    def getNumFolds(self) -> int:
        return int(self.getOrDefault(self.numFolds))

    def getFoldCol(self) -> str | None:
        return self.getOrDefault(self.foldCol) if self.isDefined(self.foldCol) else None

    def getValidationCol(self) -> str | None:
        if not self.isDefined(self.validationCol):
            return None
        return self.getOrDefault(self.validationCol) or None

    def getSelectionRule(self) -> str:
        return str(self.getOrDefault(self.selectionRule))

    def getParallelism(self) -> str | int:
        return self.getOrDefault(self.parallelism)

    def _validateParams(self) -> None:
        super()._validateParams()
        fold = self.getFoldCol()
        if fold is not None:
            used = {self.getLabelCol(), self.getWeightCol() if self.isDefined(self.weightCol)
                    else None}
            used.update(self.getInputCols() if self._usesInputCols() else [self.getFeaturesCol()])
            if fold in used:
                raise ParamValidationError(f"foldCol {fold!r} is also the label, weight or a "
                                           "feature column")
        valid = self.getValidationCol()
        if valid is not None:
            if fold is not None:
                raise ParamValidationError(
                    f"set at most one of foldCol ({fold!r}) and validationCol ({valid!r})"
                )
            if self.getSelectionRule() == "1se":
                raise ParamValidationError(
                    "selectionRule='1se' needs the spread of K fold errors; with validationCol "
                    "there is one validation error per regParam: use selectionRule='min'"
                )
            used = {self.getLabelCol(), self.getWeightCol() if self.isDefined(self.weightCol)
                    else None}
            used.update(self.getInputCols() if self._usesInputCols() else [self.getFeaturesCol()])
            if valid in used:
                raise ParamValidationError(f"validationCol {valid!r} is also the label, weight "
                                           "or a feature column")


# public forms of the converters, for the params declared in other modules (the logistic
# estimators) until every parameter has one declaration here
float_in = _float_in
int_at_least = _int_at_least
choice = _choice
float_list = _float_list
