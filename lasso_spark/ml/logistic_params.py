"""pyspark.ml Params of ``LogisticLasso``, ``LogisticLassoCV`` and ``LogisticLassoModel``, with
MLlib ``LogisticRegression``'s names (see :mod:`lasso_spark.ml.logistic` for their meaning).

Parameter map::

  lasso_spark        default       MLlib LogisticRegression   scikit-learn           glmnet (R)
  -----------------  ------------  -------------------------  ---------------------  -----------
  featuresCol        features      featuresCol                X                      x
  inputCols          —             (VectorAssembler)          X columns              x columns
  labelCol           label         labelCol (0/1)             y                      y (0/1)
  weightCol          —             weightCol                  sample_weight          weights
  regParam           0.0           regParam                   1/(C·Σw)               lambda (*)
  elasticNetParam    1.0           elasticNetParam (def. 0)   l1_ratio               alpha
  standardization    True          standardization            — (scale X, sample sd) standardize
  fitIntercept       True          fitIntercept               fit_intercept          intercept
  maxIter            100           maxIter (L-BFGS/OWL-QN)    max_iter               maxit
  tol                1e-6          tol (relative loss change) tol                    thresh
  threshold          0.5           threshold                  (0.5)                  (0.5)
  probabilityCol     probability   probabilityCol             predict_proba()        type="response"
  rawPredictionCol   rawPrediction rawPredictionCol           decision_function()    type="link"
  predictionCol      prediction    predictionCol              predict()              type="class"
  handleInvalid      error         —                          —                      —
  regParamsInFlight  12            —                          —                      —
  cacheInput         False         (caches internally)        —                      —
  regParams          —             (ParamGridBuilder)         Cs (1/(C·Σw))          lambda
  numRegParams       100           —                          —                      nlambda
  regParamMinRatio   None          —                          —                      lambda.min.r.
  numFolds/foldCol   5 / —         CrossValidator             cv                     nfolds/foldid
  validationCol      —             —                          —                      —
  seed               crc32 (**)    seed                       random_state           set.seed
  selectionRule      min           —                          —                      lambda.min/.1se
  cvMetric           deviance      (evaluator)                scoring                type.measure

(*) glmnet standardizes with the weighted population std: for the lasso with unit weights its
``lambda`` is ``regParam · √(n/(n − 1))`` (and with standardize=FALSE exactly regParam).
(**) ``zlib.crc32(b"LogisticLassoCV")``, the same in every process.
"""

from __future__ import annotations

import logging
import zlib
from typing import Any

from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.param.shared import (
    HasElasticNetParam,
    HasFitIntercept,
    HasHandleInvalid,
    HasMaxIter,
    HasPredictionCol,
    HasProbabilityCol,
    HasRawPredictionCol,
    HasRegParam,
    HasSeed,
    HasStandardization,
    HasThreshold,
    HasTol,
)

from lasso_spark.ml.logistic_tables import CV_METRICS
from lasso_spark.ml.params import (
    HANDLE_INVALID_OPTIONS,
    SELECTION_RULES,
    InputColsParams,
    ParamValidationError,
    choice,
    float_in,
    float_list,
    int_at_least,
)

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_SEED", "LogisticCVParams", "LogisticParams", "LogisticSharedParams"]

#: default ``seed`` of LogisticLassoCV's folds: CRC-32 of the class name (stable across processes)
DEFAULT_SEED = zlib.crc32(b"LogisticLassoCV")
# ====================================================================================== params
class LogisticSharedParams(
    InputColsParams,
    HasPredictionCol,
    HasProbabilityCol,
    HasRawPredictionCol,
    HasThreshold,
    HasStandardization,
    HasFitIntercept,
    HasMaxIter,
    HasTol,
    HasHandleInvalid,
):
    """Params of the logistic estimators and model (MLlib ``LogisticRegression`` names)."""

    maxIter: Param[int] = Param(
        Params._dummy(), "maxIter",
        "maximum outer (proximal Newton) iterations per regParam, >= 1; each is one data pass "
        "shared by every model and regParam in flight.",
        typeConverter=int_at_least("maxIter", 1),
    )
    tol: Param[float] = Param(
        Params._dummy(), "tol",
        "convergence tolerance (> 0): a regParam is done when the certified duality gap of the "
        "logistic objective is <= tol times the null model's objective (for regParam = 0: the "
        "largest gradient entry <= tol).",
        typeConverter=float_in("tol", 0.0, low_open=True),
    )
    threshold: Param[float] = Param(
        Params._dummy(), "threshold",
        "threshold in [0, 1]: the prediction is 1 when the probability of label 1 is above it.",
        typeConverter=float_in("threshold", 0.0, 1.0),
    )
    handleInvalid: Param[str] = Param(
        Params._dummy(), "handleInvalid",
        "rows with a null/NaN/infinite feature or weight, a negative weight or a label other "
        "than 0 or 1: 'error' (fail, naming the column and the count of bad rows) or 'skip' "
        "(drop and count them).",
        typeConverter=choice("handleInvalid", HANDLE_INVALID_OPTIONS),
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._setDefault(
            featuresCol="features", labelCol="label", predictionCol="prediction",
            probabilityCol="probability", rawPredictionCol="rawPrediction", threshold=0.5,
            standardization=True, fitIntercept=True, maxIter=100, tol=1e-6,
            handleInvalid="error",
        )

    def getThreshold(self) -> float:
        return float(self.getOrDefault(self.threshold))


class LogisticParams(LogisticSharedParams, HasRegParam, HasElasticNetParam):
    regParam: Param[float] = Param(
        Params._dummy(), "regParam", "regularization parameter (>= 0), MLlib's.",
        typeConverter=float_in("regParam", 0.0),
    )
    elasticNetParam: Param[float] = Param(
        Params._dummy(), "elasticNetParam",
        "ElasticNet mixing parameter in [0, 1]: 1 = L1 (lasso, the default here), 0 = L2.",
        typeConverter=float_in("elasticNetParam", 0.0, 1.0),
    )
    regParamsInFlight: Param[int] = Param(
        Params._dummy(), "regParamsInFlight",
        "how many consecutive regParams of each model advance in the same data pass (>= 1): "
        "more means fewer passes and more work per pass.",
        typeConverter=int_at_least("regParamsInFlight", 1),
    )

    cacheInput: Param[bool] = Param(
        Params._dummy(), "cacheInput",
        "cache the input's used columns (MEMORY_AND_DISK) for the fit's passes and release "
        "them after: the first pass then reads the input, the others the cache (as MLlib "
        "LogisticRegression does with an uncached input). Off by default.",
        typeConverter=TypeConverters.toBoolean,
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._setDefault(regParam=0.0, elasticNetParam=1.0, regParamsInFlight=12,
                         cacheInput=False)


class LogisticCVParams(LogisticParams, HasSeed):
    regParams: Param[list[float]] = Param(
        Params._dummy(), "regParams",
        "explicit regParam grid (values >= 0; fitted in decreasing order, to its end). Unset: "
        "numRegParams values log-spaced from the smallest regParam with all-zero coefficients "
        "down to regParamMinRatio times it; that path may end early where glmnet's does.",
        typeConverter=float_list("regParams", 0.0),
    )
    numRegParams: Param[int] = Param(
        Params._dummy(), "numRegParams", "number of regParams of the automatic grid (>= 1).",
        typeConverter=int_at_least("numRegParams", 1),
    )
    regParamMinRatio: Param[float] = Param(
        Params._dummy(), "regParamMinRatio",
        "smallest / largest regParam of the automatic grid, in (0, 1); unset = glmnet's rule "
        "(1e-4 when rows > features, else 1e-2).",
        typeConverter=float_in("regParamMinRatio", 0.0, 1.0, low_open=True, high_open=True),
    )
    numFolds: Param[int] = Param(
        Params._dummy(), "numFolds",
        "number of cross-validation folds (>= 2); with foldCol, its values lie in [0, numFolds).",
        typeConverter=int_at_least("numFolds", 2),
    )
    foldCol: Param[str] = Param(
        Params._dummy(), "foldCol",
        "integer column of user-assigned folds in [0, numFolds); unset = folds hashed from each "
        "row's values and seed.", typeConverter=TypeConverters.toString,
    )
    validationCol: Param[str] = Param(
        Params._dummy(), "validationCol",
        "boolean column of validation rows: the regParam is chosen on them with the path fitted "
        "on the others, instead of K folds. Excludes foldCol and selectionRule='1se'.",
        typeConverter=TypeConverters.toString,
    )
    selectionRule: Param[str] = Param(
        Params._dummy(), "selectionRule",
        "'min' (best mean CV metric) or '1se' (largest regParam within one standard error of "
        "the best, glmnet's lambda.1se).", typeConverter=choice("selectionRule", SELECTION_RULES),
    )
    cvMetric: Param[str] = Param(
        Params._dummy(), "cvMetric",
        "cross-validation metric, as glmnet's type.measure: 'deviance' (default), 'auc' or "
        "'misclassification' (at threshold).",
        typeConverter=choice("cvMetric", tuple(CV_METRICS)),
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._setDefault(numRegParams=100, numFolds=5, selectionRule="min", cvMetric="deviance",
                         seed=DEFAULT_SEED)

    def _validateParams(self) -> None:
        super()._validateParams()
        valid = self.getOrDefault(self.validationCol) if self.isDefined(self.validationCol) \
            else None
        fold = self.getOrDefault(self.foldCol) if self.isDefined(self.foldCol) else None
        used = {self.getLabelCol()}
        if self.isDefined(self.weightCol) and self.getWeightCol():
            used.add(self.getWeightCol())
        used.update(self.getInputCols() if self._usesInputCols() else [self.getFeaturesCol()])
        for name, col in (("foldCol", fold), ("validationCol", valid)):
            if col is not None and col in used:
                raise ParamValidationError(f"{name} {col!r} is also the label, weight or a "
                                           "feature column")
        if valid is not None and fold is not None:
            raise ParamValidationError(
                f"set at most one of foldCol ({fold!r}) and validationCol ({valid!r})")
        if valid is not None and self.getOrDefault(self.selectionRule) == "1se":
            raise ParamValidationError(
                "selectionRule='1se' needs the spread of K fold errors; with validationCol use "
                "selectionRule='min'")
