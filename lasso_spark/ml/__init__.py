"""pyspark.ml Estimators, Model, Params and persistence.

The estimators (``Lasso``, ``LassoCV``) turn their Params into a fit request for a backend
(:mod:`lasso_spark.ml.backends`) and build ``LassoModel`` from its outcome (a ``PathTable`` and,
for CV, a ``CVTable``). The MLlib → core parameter map is :func:`mllib_to_core`.
``LogisticLasso`` / ``LogisticLassoCV`` (binomial family) fit ``LogisticLassoModel`` through
the logistic backend; with ``family="multinomial"`` ``MultinomialLassoModel`` through the
multinomial backend.
"""

from lasso_spark.core.cv import select_min_1se
from lasso_spark.ml.estimators import Lasso, LassoCV
from lasso_spark.ml.logistic import LogisticLasso, LogisticLassoCV
from lasso_spark.ml.logistic_model import LogisticLassoModel
from lasso_spark.ml.mapping import CorePenalty, equivalents, mllib_to_core, reg_params_from_alphas
from lasso_spark.ml.model import LassoModel
from lasso_spark.ml.multinomial_model import MultinomialLassoModel
from lasso_spark.ml.params import ParamValidationError, resolve_penalty_factors
from lasso_spark.ml.tables import CVTable, LassoSummary, PathTable

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
    "MultinomialLassoModel",
    "ParamValidationError",
    "PathTable",
    "equivalents",
    "mllib_to_core",
    "reg_params_from_alphas",
    "resolve_penalty_factors",
    "select_min_1se",
]
