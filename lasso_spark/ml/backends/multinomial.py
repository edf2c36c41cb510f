"""The multinomial backend: a :class:`FitRequest` with ``family="multinomial"`` in, a
:class:`MultinomialOutcome` (the full model's path, CV table, chosen row) out.

A fit is the statistics pass and the class pass (:func:`lasso_spark.spark.multinomial.
multinomial_statistics`: labels must be class indices 0 … K−1), then one pass per outer
proximal-Newton iteration advancing every model in flight
(:func:`lasso_spark.core.multinomial_path.multinomial_path`). Without CV the grid is the
warm-start path down to ``regParam`` (:func:`lasso_spark.ml.backends.logistic.target_grid`).
With ``family="auto"`` and two classes the fit is the binomial family's, on the same passes'
statistics (MLlib's rule), except with ``multinomialGrouping="grouped"`` (a multinomial
penalty: the fit stays multinomial).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lasso_spark.ml.backends.logistic import WARM_TOL, path_summary, target_grid
from lasso_spark.ml.backends.request import BinomialSpec, FitRequest
from lasso_spark.ml.logistic_tables import LogisticCVTable, cv_table
from lasso_spark.ml.tables import LassoSummary
from lasso_spark.paramspec import ParamValidationError

logger = logging.getLogger(__name__)

__all__ = ["MultinomialOutcome", "fit", "fit_targets"]


@dataclass(frozen=True)
class MultinomialOutcome:
    """A multinomial fit's result: the full model's path
    (:class:`lasso_spark.core.multinomial_path.MultinomialPath`), the chosen path row, the CV
    table (or None), feature names, the standardization scale and the summary."""

    path: Any
    chosen: list[int]
    feature_names: list[str]
    feature_std: np.ndarray
    summary: LassoSummary
    cv: LogisticCVTable | None = None
    elastic_net_param: float = 1.0
    multinomial_grouping: str = "ungrouped"


def nonzero_features(coef: np.ndarray) -> np.ndarray:
    """Features with a nonzero coefficient in any class, per path row (``coef`` (m, K, p))."""
    return np.count_nonzero(np.any(coef != 0.0, axis=1), axis=1)


def fit(dataset: Any, request: FitRequest, num_features: int = 0) -> MultinomialOutcome:
    """The backend's entry: the target ``request.grid.reg_param`` without CV, the CV path
    with it."""
    targets = None if request.split.cross_validated else (float(request.grid.reg_param),)
    return fit_targets(dataset, request, targets, num_features)


def _refuse_auc(family: str, n_classes: int | None) -> None:
    """The refusal of ``cvMetric="auc"`` for a multinomial fit (no multi-class AUC is defined
    here; MLlib's ``MulticlassClassificationEvaluator`` has none either)."""
    what = f"family={family!r}" + (f" with {n_classes} classes" if n_classes else "")
    raise ParamValidationError(
        f"cvMetric='auc' is defined for the binomial family only, not for {what} (the "
        "multinomial family): use cvMetric='deviance' or 'misclassification'")


def fit_targets(dataset: Any, request: FitRequest, targets: Sequence[float] | None,
                num_features: int = 0) -> Any:
    """One statistics pass, one class pass and ONE warm path through every regParam of
    ``targets`` (with the warm starts above each; ``outcome.chosen`` their path rows, in
    order), or the CV path for ``targets`` None. A ``MultinomialOutcome``; with
    ``family="auto"`` and two classes the binomial backend's ``LogisticOutcome``."""
    from lasso_spark.spark.multinomial import multinomial_statistics

    t0 = time.perf_counter()
    spec = request.binomial or BinomialSpec()
    split = request.split
    sk = split.stats_kwargs()
    num_folds = int(sk["num_folds"])
    validation = split.kind == "validation"
    cv = targets is None
    auc = cv and spec.cv_metric == "auc"
    if auc and (spec.family != "auto" or spec.multinomial_grouping == "grouped"):
        _refuse_auc(spec.family, None)  # before any pass: the family is known
    data = multinomial_statistics(
        dataset, **request.input.stats_kwargs(), num_folds=num_folds,
        fold_col=sk.get("fold_col"), seed=int(sk.get("seed", 0)),
        num_features=num_features or None, validation=validation, cache=spec.cache_input)
    try:
        return _fit_path(dataset, request, spec, targets, num_features, data, t0)
    finally:
        data.release()


def _fit_path(dataset: Any, request: FitRequest, spec: BinomialSpec,
              targets: Sequence[float] | None, num_features: int, data: Any, t0: float) -> Any:
    """:func:`fit_targets` after the statistics and class passes (``data``)."""
    from lasso_spark.core.multinomial_path import multinomial_path, multinomial_reg_param_max

    split = request.split
    num_folds = int(split.stats_kwargs()["num_folds"])
    validation = split.kind == "validation"
    cv = targets is None
    auc = cv and spec.cv_metric == "auc"
    grouped = spec.multinomial_grouping == "grouped"
    if spec.family == "auto" and data.n_classes == 2 and not grouped:  # MLlib's rule
        from dataclasses import replace

        from lasso_spark.ml.backends import logistic

        logger.info("lasso_spark: family='auto' with 2 classes: the binomial family")
        data.release()  # the binomial fit reads the input (or caches it) itself
        return logistic.fit_targets(dataset, replace(request, family="binomial"), targets,
                                    num_features)
    if auc:  # family="auto" with K > 2 classes: the multinomial family, after one pass
        _refuse_auc(spec.family, data.n_classes)
    t_stats = time.perf_counter() - t0
    enp = float(request.penalty.elastic_net_params[0])
    solver = request.solver
    kw: dict[str, Any] = dict(l1_ratio=enp, standardize=solver.standardize,
                              fit_intercept=solver.fit_intercept, tol=solver.tol,
                              max_iter=solver.max_iter, in_flight=spec.in_flight,
                              center=data.center, scale=data.scale, num_folds=num_folds,
                              grouped=grouped)
    trainings = data.trainings if cv else data.trainings[:1]
    runner = data.passes()
    if cv:
        if num_folds == 0:
            raise ParamValidationError("cross-validation needs folds or a validation column")
        grid = request.grid
        result = multinomial_path(trainings, runner, reg_params=grid.reg_params,
                                  n_reg_params=grid.num_reg_params,
                                  reg_param_min_ratio=grid.min_ratio, **kw)
    else:
        lam_max = multinomial_reg_param_max(trainings[0], **{k: kw[k] for k in (
            "l1_ratio", "standardize", "fit_intercept", "center", "scale", "grouped")})
        reg_grid, warm = target_grid(list(targets), lam_max)
        result = multinomial_path(trainings, runner, reg_params=reg_grid, warm_only=warm,
                                  path_tol=max(solver.tol, WARM_TOL), **kw)
    full = result.paths[0]
    cvt = None
    if cv:
        folds = result.paths[1:]
        per_fold = {"deviance": np.stack([p.heldout_deviance for p in folds], axis=1),
                    "misclassification": np.stack([p.heldout_misclassification for p in folds],
                                                  axis=1)}
        cvt = cv_table(full.reg_params, nonzero_features(full.coef), per_fold, spec.cv_metric,
                       request.selection_rule, validation)
        from dataclasses import replace

        cvt = replace(cvt, elastic_net_param=enp)
        chosen = [cvt.index_chosen]
    else:
        chosen = [int(np.flatnonzero(np.isclose(full.reg_params, t, rtol=1e-12, atol=0.0)
                                     | (full.reg_params == t))[0]) for t in targets]
    t_solve = time.perf_counter() - t0 - t_stats
    summary = path_summary(data, runner, result, t_stats, t_solve, cvt, num_folds, validation,
                           {"family": "multinomial", "numClasses": int(data.n_classes),
                            "multinomialGrouping": spec.multinomial_grouping})
    return MultinomialOutcome(full, chosen, list(data.resolved.feature_names),
                              full.feature_scale, summary, cvt, enp, spec.multinomial_grouping)
