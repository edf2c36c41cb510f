"""What a backend is asked to fit: a :class:`FitRequest`, plain frozen data built from Params.

An estimator turns its Params into a request (:func:`request_from_params`); a backend turns
``(dataset, request)`` into a :class:`~lasso_spark.ml.backends.outcome.FitOutcome`. The request
says which input columns to read, how rows split into folds, which regParam grid and penalty to
solve and how; nothing in it refers to an estimator class.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from lasso_spark.core.stability import (
    DEFAULT_BUCKET_MEMORY_BYTES,
    check_pairs,
    default_num_buckets,
)
from lasso_spark.paramspec import ParamValidationError, core_keywords

logger = logging.getLogger(__name__)

__all__ = [
    "BinomialSpec",
    "FitRequest",
    "GridSpec",
    "InputSpec",
    "PenaltySpec",
    "SolverSpec",
    "SplitSpec",
    "StabilitySpec",
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
    column, or a boolean validation column (a 2-fold split: false trains, true validates);
    and, for stability selection, into ``num_buckets`` hashed buckets (0 = none)."""

    kind: SplitKind = "none"
    num_folds: int = 0
    column: str | None = None
    seed: int = 0
    num_buckets: int = 0

    @property
    def cross_validated(self) -> bool:
        return self.kind != "none"

    def stats_kwargs(self) -> dict[str, Any]:
        """``num_folds``, ``fold_col``, ``seed`` (and ``num_buckets``) of the statistics pass."""
        buckets = {"num_buckets": self.num_buckets} if self.num_buckets else {}
        if self.kind == "none":
            return {"num_folds": 0, **buckets}
        if self.kind == "validation":
            return {"num_folds": 2, "fold_col": self.column, "seed": self.seed, **buckets}
        return {"num_folds": self.num_folds, "fold_col": self.column, "seed": self.seed,
                **buckets}

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
    """The penalty: one or several elasticNetParams, per-feature factors by name, adaptive;
    coefficient bounds (original scale; one value or one per feature; ``None`` = none) and
    ``positive``; feature groups (names / slot indices, or ``"auto"``) and the sparse group
    lasso's ``group_l1_ratio``; the relaxed lasso."""

    elastic_net_params: tuple[float, ...] = (1.0,)
    penalty_factors: Mapping[str, float] = field(default_factory=dict)
    adaptive: bool = False
    adaptive_gamma: float = 1.0
    lower_bounds: float | tuple[float, ...] | None = None
    upper_bounds: float | tuple[float, ...] | None = None
    positive: bool = False
    feature_groups: str | tuple[tuple[str | int, ...], ...] | None = None
    group_l1_ratio: float = 0.0
    relax: bool = False
    relax_gammas: tuple[float, ...] = (1.0,)

    def gammas(self) -> tuple[float, ...]:
        """The γ of every fit, decreasing: ``(1.0,)`` without ``relax``, else the relaxGammas
        with 1 (the lasso) added when absent."""
        if not self.relax:
            return (1.0,)
        return tuple(sorted(set(self.relax_gammas) | {1.0}, reverse=True))

    @property
    def structured(self) -> bool:
        """Whether bounds or groups are asked for (solved by :mod:`lasso_spark.core.bcd`)."""
        return (self.positive or self.lower_bounds is not None
                or self.upper_bounds is not None or self.feature_groups is not None
                or self.group_l1_ratio > 0.0)

    def structured_names(self) -> list[str]:
        """The Params that ask for a structured penalty (for messages)."""
        names = [("lowerBoundsOnCoefficients", self.lower_bounds is not None),
                 ("upperBoundsOnCoefficients", self.upper_bounds is not None),
                 ("positive", self.positive), ("featureGroups", self.feature_groups is not None),
                 ("groupL1Ratio", self.group_l1_ratio > 0.0)]
        return [n for n, on in names if on]


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
class StabilitySpec:
    """Stability selection (:mod:`lasso_spark.core.stability`): ``num_pairs`` complementary
    pairs of halves of the split's ``num_buckets`` buckets, drawn from ``seed``; the default
    ``threshold`` of the reports; the byte budget of the bucket statistics."""

    num_pairs: int
    num_buckets: int
    threshold: float = 0.75
    memory_limit_bytes: int = DEFAULT_BUCKET_MEMORY_BYTES
    seed: int = 0


@dataclass(frozen=True)
class BinomialSpec:
    """What only the binomial family asks: the class ``threshold`` (misclassification), how many
    regParams of each model advance per pass (``in_flight``), the CV metric (glmnet's
    ``type.measure``) and whether to cache the used input columns for the passes."""

    threshold: float = 0.5
    in_flight: int = 12
    cv_metric: str = "deviance"
    cache_input: bool = False
    family: str = "binomial"
    multinomial_grouping: str = "ungrouped"


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
    stability: StabilitySpec | None = None
    binomial: BinomialSpec | None = None

    def stats_key(self) -> tuple:
        """What decides the statistics pass: requests with equal keys can share one pass."""
        return (self.input, self.split)


def _optional(est: Any, name: str) -> Any:
    return est.getOrDefault(name) if est.isDefined(name) else None


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _frozen_groups(value: Any) -> Any:
    return tuple(tuple(g) for g in value) if isinstance(value, list) else value


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
        lower_bounds=_frozen(_optional(est, "lowerBoundsOnCoefficients")),
        upper_bounds=_frozen(_optional(est, "upperBoundsOnCoefficients")),
        positive=est.getPositive(),
        feature_groups=_frozen_groups(_optional(est, "featureGroups")),
        group_l1_ratio=est.getGroupL1Ratio(),
        relax=est.getRelax(),
        relax_gammas=tuple(est.getRelaxGammas()),
    )
    grid, split = _grid_and_split(est)
    rule = est.getSelectionRule() if split.cross_validated else "min"
    stability = _stability_spec(est, split)
    if stability is not None:
        split = replace(split, num_buckets=stability.num_buckets)
    return FitRequest(inputs, split, grid, penalty, solver, rule, stability=stability)


def _stability_spec(est: Any, split: SplitSpec) -> StabilitySpec | None:
    """The stability selection of ``LassoCV``'s Params (``None`` when ``numSubsamples`` is 0);
    the automatic bucket count is a multiple of hashed folds."""
    if not est.hasParam("numSubsamples"):
        return None
    pairs = est.getNumSubsamples()
    if not pairs:
        return None
    buckets = est.getNumBuckets()
    if buckets is None:
        buckets = default_num_buckets(split.num_folds if split.kind == "hash" else 0)
    try:
        check_pairs(buckets, pairs)
    except ValueError as exc:
        raise ParamValidationError(str(exc)) from None
    return StabilitySpec(pairs, buckets, est.getStabilityThreshold(),
                         round(est.getMaxBucketMemoryMB() * 1024 * 1024), split.seed)


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
        family=est.getFamily() if est.hasParam("family") else "binomial",
        multinomial_grouping=(est.getOrDefault("multinomialGrouping")
                              if est.hasParam("multinomialGrouping") else "ungrouped"),
    )
    rule = est.getSelectionRule() if split.cross_validated else "min"
    return FitRequest(_input_spec(est), split, grid,
                      PenaltySpec(elastic_net_params=(est.getElasticNetParam(),)), solver, rule,
                      family="binomial" if binomial.family == "binomial" else "multinomial",
                      binomial=binomial)
