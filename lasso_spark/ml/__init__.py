"""pyspark.ml Estimators, Model, Params and persistence.

``LassoModel`` is the fitted model; the estimators (``Lasso``, ``LassoCV``) build it with
``LassoModel.fromPath`` from the core's path (``PathTable.from_result``) and CV results
(``CVTable.from_cv_result``). The MLlib → core parameter map is :func:`mllib_to_core`.
``LogisticLasso`` / ``LogisticLassoCV`` fit ``LogisticLassoModel`` (binomial family).
"""

from lasso_spark.ml.estimators import Lasso, LassoCV
from lasso_spark.ml.logistic import LogisticLasso, LogisticLassoCV
from lasso_spark.ml.logistic_model import LogisticLassoModel
from lasso_spark.ml.mapping import CorePenalty, equivalents, mllib_to_core, reg_params_from_alphas
from lasso_spark.ml.model import LassoModel
from lasso_spark.ml.params import ParamValidationError, resolve_penalty_factors
from lasso_spark.ml.tables import CVTable, LassoSummary, PathTable, select_min_1se

__all__ = [
    "CVTable",
    "CorePenalty",
    "Lasso",
    "LassoCV",
    "LassoModel",
    "LassoSummary",
    "LogisticLasso",
    "LogisticLassoCV",
    "LogisticLassoModel",
    "ParamValidationError",
    "PathTable",
    "equivalents",
    "mllib_to_core",
    "reg_params_from_alphas",
    "resolve_penalty_factors",
    "select_min_1se",
]
