"""What a backend is asked to fit: a :class:`FitRequest`, plain frozen data built from Params.

An estimator turns its Params into a request (:func:`request_from_params`); a backend turns
``(dataset, request)`` into a :class:`~lasso_spark.ml.backends.outcome.FitOutcome`. The request
says which input columns to read, how rows split into folds, which regParam grid and penalty to
solve and how; nothing in it refers to an estimator class.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from lasso_spark.paramspec import core_keywords

logger = logging.getLogger(__name__)

__all__ = [
    "BinomialSpec",
    "FitRequest",
    "GridSpec",
    "InputSpec",
    "PenaltySpec",
    "SolverSpec",
    "SplitSpec",
    "binomial_request_from_params",
    "request_from_params",
]

SplitKind = Literal["none", "hash", "fold_col", "validation"]


@dataclass(frozen=True)
class InputSpec:
    """The columns a statistics pass reads (the keywords of :func:`compute_stats`)."""

    features_col: str | None
    input_cols: tuple[str, ...] | None
    label_col: str
    weight_col: str | None
    handle_invalid: str

    def stats_kwargs(self) -> dict[str, Any]:
        return {
            "features_col": self.features_col,
            "input_cols": None if self.input_cols is None else list(self.input_cols),
            "label_col": self.label_col,
            "weight_col": self.weight_col,
            "handle_invalid": self.handle_invalid,
        }


@dataclass(frozen=True)
class SplitSpec:
    """How rows split for model selection: not at all, ``num_folds`` hashed folds, a fold
    column, or a boolean validation column (a 2-fold split: false trains, true validates)."""

    kind: SplitKind = "none"
    num_folds: int = 0
    column: str | None = None
    seed: int = 0

    @property
    def cross_validated(self) -> bool:
        return self.kind != "none"

    def stats_kwargs(self) -> dict[str, Any]:
        """``num_folds``, ``fold_col``, ``seed`` of the statistics pass."""
        if self.kind == "none":
            return {"num_folds": 0}
        if self.kind == "validation":
            return {"num_folds": 2, "fold_col": self.column, "seed": self.seed}
        return {"num_folds": self.num_folds, "fold_col": self.column, "seed": self.seed}

    def describe(self) -> str:
        return {
            "none": "no folds",
            "hash": f"{self.num_folds} folds",
            "fold_col": f"folds from {self.column!r}",
            "validation": f"training / validation rows from {self.column!r}",
        }[self.kind]


@dataclass(frozen=True)
class GridSpec:
    """The regParam grid: one target (``reg_param``, solved by a warm-start path down to it),
    an explicit list, or ``num_reg_params`` log-spaced values (ratio ``min_ratio``, or glmnet's
    default when ``None``)."""

    reg_param: float | None = None
    reg_params: tuple[float, ...] | None = None
    num_reg_params: int = 100
    min_ratio: float | None = None


@dataclass(frozen=True)
class PenaltySpec:
    """The penalty: one or several elasticNetParams, per-feature factors by name, adaptive."""

    elastic_net_params: tuple[float, ...] = (1.0,)
    penalty_factors: Mapping[str, float] = field(default_factory=dict)
    adaptive: bool = False
    adaptive_gamma: float = 1.0


@dataclass(frozen=True)
class SolverSpec:
    """How to solve: the core's pass-through keywords, the mode and fold-path parallelism."""

    fit_intercept: bool = True
    standardize: bool = True
    tol: float = 1e-7
    max_iter: int = 100_000
    mode: str = "auto"
    parallelism: str | int = "auto"

    def enet_kwargs(self) -> dict[str, Any]:
        """Keywords of :func:`lasso_spark.core.enet_path` (besides grid and penalty)."""
        return {"fit_intercept": self.fit_intercept, "standardize": self.standardize,
                "tol": self.tol, "max_iter": self.max_iter}


@dataclass(frozen=True)
class BinomialSpec:
    """What only the binomial family asks: the class ``threshold`` (misclassification), how many
    regParams of each model advance per pass (``in_flight``), the CV metric (glmnet's
    ``type.measure``) and whether to cache the used input columns for the passes."""

    threshold: float = 0.5
    in_flight: int = 12
    cv_metric: str = "deviance"
    cache_input: bool = False


@dataclass(frozen=True)
class FitRequest:
    """Everything a backend needs to fit one estimator's model (module docstring)."""

    input: InputSpec
    split: SplitSpec
    grid: GridSpec
    penalty: PenaltySpec
    solver: SolverSpec
    selection_rule: str = "min"
    family: str = "gaussian"
    binomial: BinomialSpec | None = None

    def stats_key(self) -> tuple:
        """What decides the statistics pass: requests with equal keys can share one pass."""
        return (self.input, self.split)


def _input_spec(est: Any) -> InputSpec:
    uses_input = est._usesInputCols()
    return InputSpec(
        features_col=None if uses_input else est.getFeaturesCol(),
        input_cols=tuple(est.getInputCols()) if uses_input else None,
        label_col=est.getLabelCol(),
        weight_col=est.getWeightCol() or None,
        handle_invalid=est.getHandleInvalid(),
    )


def _grid_and_split(est: Any) -> tuple[GridSpec, SplitSpec]:
    """One target regParam without CV params; else the grid and the split of the CV params."""
    if not est.hasParam("numFolds"):  # a single fit at regParam
        return GridSpec(reg_param=est.getRegParam()), SplitSpec()
    regs = est.getRegParams()
    grid = GridSpec(reg_params=None if regs is None else tuple(regs),
                    num_reg_params=est.getNumRegParams(), min_ratio=est.getRegParamMinRatio())
    if est.getValidationCol() is not None:
        split = SplitSpec("validation", 2, est.getValidationCol(), est.getSeed())
    elif est.getFoldCol() is not None:
        split = SplitSpec("fold_col", est.getNumFolds(), est.getFoldCol(), est.getSeed())
    else:
        split = SplitSpec("hash", est.getNumFolds(), None, est.getSeed())
    return grid, split


def request_from_params(est: Any) -> FitRequest:
    """The :class:`FitRequest` of an estimator's Params (``Lasso`` or ``LassoCV``)."""
    inputs = _input_spec(est)
    solver = SolverSpec(**core_keywords(lambda name: est.getOrDefault(name)),
                        mode=est.getSolverMode(),
                        parallelism=est.getParallelism() if est.hasParam("parallelism") else 1)
    penalty = PenaltySpec(
        elastic_net_params=tuple(est.getElasticNetParams()) if est.hasParam("elasticNetParams")
        else (est.getElasticNetParam(),),
        penalty_factors=est.getPenaltyFactors(),
        adaptive=est.getAdaptive(),
        adaptive_gamma=est.getAdaptiveGamma(),
    )
    grid, split = _grid_and_split(est)
    rule = est.getSelectionRule() if split.cross_validated else "min"
    return FitRequest(inputs, split, grid, penalty, solver, rule)


def binomial_request_from_params(est: Any) -> FitRequest:
    """The :class:`FitRequest` (``family="binomial"``) of ``LogisticLasso`` /
    ``LogisticLassoCV`` Params: the same input, split and grid specs; ``maxIter`` / ``tol`` are
    the outer iterations and the logistic duality-gap target (the binomial declarations)."""
    grid, split = _grid_and_split(est)
    solver = SolverSpec(fit_intercept=est.getFitIntercept(), standardize=est.getStandardization(),
                        tol=est.getTol(), max_iter=est.getMaxIter(), mode="logistic",
                        parallelism=1)
    binomial = BinomialSpec(
        threshold=est.getThreshold(), in_flight=est.getRegParamsInFlight(),
        cv_metric=est.getCvMetric() if est.hasParam("cvMetric") else "deviance",
        cache_input=est.getCacheInput(),
    )
    rule = est.getSelectionRule() if split.cross_validated else "min"
    return FitRequest(_input_spec(est), split, grid,
                      PenaltySpec(elastic_net_params=(est.getElasticNetParam(),)), solver, rule,
                      family="binomial", binomial=binomial)
