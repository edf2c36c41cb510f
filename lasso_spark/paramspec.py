"""One declaration per estimator parameter: the single source of names, defaults, checks and docs.

Every parameter of ``Lasso``, ``LassoCV``, ``LassoModel`` and of the binomial family's
``LogisticLasso``, ``LogisticLassoCV``, ``LogisticLassoModel`` is declared once here as a
:class:`ParamDecl` — MLlib's name, the converter that checks and normalizes a value, the
default, the documentation, which classes own it, its type in a TOML config and the core
keyword it feeds. From these declarations:

* :mod:`lasso_spark.ml.params` builds the pyspark.ml ``Param`` objects, getters and setters and
  the estimators' keyword signatures;
* :mod:`lasso_spark.config` builds the ``[model]`` section of a fit config (pydantic,
  unknown keys forbidden), so a config accepts exactly what the estimators accept;
* the backends read the solver keywords through :func:`core_keywords`.

Rules that involve several parameters are :func:`combination_problems`, shared by the
estimators' ``_validateParams`` and the config the same way.

A name means one thing per owner: where the two families give a name a different meaning
(``maxIter``, ``tol``: coordinate-descent epochs and a least-squares duality gap for ``Lasso``,
outer Newton passes and a logistic duality gap for ``LogisticLasso``) there is one declaration
per family, with the same converter and config type (:func:`family_variant`), so the one
``[model]`` key checks its values the same way for every kind. This module imports neither pyspark
nor numba: configs are validated before Spark starts.
"""

from __future__ import annotations

import json
import logging
import math
import numbers
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

__all__ = [
    "DECLARATIONS",
    "LASSO",
    "LASSO_CV",
    "LASSO_MODEL",
    "LOGISTIC",
    "LOGISTIC_CV",
    "LOGISTIC_MODEL",
    "UNSET",
    "ParamDecl",
    "ParamValidationError",
    "combination_problems",
    "core_keywords",
    "declared",
    "default_values",
    "family_variant",
]

LASSO, LASSO_CV, LASSO_MODEL = "Lasso", "LassoCV", "LassoModel"
LOGISTIC, LOGISTIC_CV, LOGISTIC_MODEL = "LogisticLasso", "LogisticLassoCV", "LogisticLassoModel"
_LINEAR = frozenset({LASSO, LASSO_CV, LASSO_MODEL})
_BINOMIAL = frozenset({LOGISTIC, LOGISTIC_CV, LOGISTIC_MODEL})
_ALL = _LINEAR | _BINOMIAL
_ESTIMATORS = frozenset({LASSO, LASSO_CV})
_BINOMIAL_ESTIMATORS = frozenset({LOGISTIC, LOGISTIC_CV})
_CV = frozenset({LASSO_CV})
#: the cross-validating owners: ``regParam`` is chosen, a grid and a split are given
CV_OWNERS = frozenset({LASSO_CV, LOGISTIC_CV})

#: ``LassoCV``'s (and ``LogisticLassoCV``'s) default ``seed``: CRC-32 of "LassoCV", the same in
#: every process (pyspark's ``HasSeed`` default hashes the class name with Python's per-process
#: salted ``hash``); both estimators hash the same folds by default
DEFAULT_SEED = zlib.crc32(b"LassoCV")

HANDLE_INVALID_OPTIONS = ("error", "skip")
SELECTION_RULES = ("min", "1se")
SOLVER_MODES = ("auto", "gram", "wide")
#: ``family`` of the logistic estimators (MLlib ``LogisticRegression``'s names)
FAMILY_OPTIONS = ("auto", "binomial", "multinomial")
#: ``multinomialGrouping`` of the logistic estimators (glmnet's ``type.multinomial``)
MULTINOMIAL_GROUPING_OPTIONS = ("ungrouped", "grouped")
#: ``cvMetric`` of ``LogisticLassoCV``: glmnet's ``type.measure`` for the binomial family
CV_METRIC_OPTIONS = ("deviance", "auc", "misclassification")


class ParamValidationError(ValueError):
    """A parameter value (or a combination of values) is not allowed; the message names it."""


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


#: the default of a parameter that has none (``isDefined`` is false until it is set)
UNSET: Any = _Unset()


@dataclass(frozen=True)
class ParamDecl:
    """One parameter. ``converter`` checks and normalizes a value (raising ``TypeError`` or
    :class:`ParamValidationError` naming the parameter); ``config_type`` is its type in a TOML
    ``[model]`` section (``None``: not a config key, e.g. column names, set in ``[columns]``);
    ``core`` the keyword of :func:`lasso_spark.core.enet_path` it is passed as, if any."""

    name: str
    doc: str
    converter: Callable[[Any], Any]
    default: Any = UNSET
    owners: frozenset[str] = _ALL
    config_type: Any = None
    core: str | None = None


# ------------------------------------------------------------------------------- converters
def _number(name: str, value: Any) -> float:
    if isinstance(value, (bool, str, bytes)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a number, got {value!r}") from exc


def to_float(name: str, low: float = -math.inf, high: float = math.inf, *,
             low_open: bool = False, high_open: bool = False) -> Callable[[Any], float]:
    """A finite float within ``[low, high]`` (ends open as asked)."""

    def convert(value: Any) -> float:
        v = _number(name, value)
        bad_low = v <= low if low_open else v < low
        bad_high = v >= high if high_open else v > high
        if not math.isfinite(v) or bad_low or bad_high:
            left, right = "(" if low_open else "[", ")" if high_open else "]"
            raise ParamValidationError(f"{name} must be in {left}{low}, {high}{right}, got {v!r}")
        return v

    return convert


def to_int(name: str, low: int | None = None) -> Callable[[Any], int]:
    """An integer (Python or numpy; not a bool, a float or a string) of at least ``low``."""

    def convert(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must be an integer, got {value!r}")
        v = int(value)
        if low is not None and v < low:
            raise ParamValidationError(f"{name} must be >= {low}, got {v}")
        return v

    return convert


def to_bool(name: str) -> Callable[[Any], bool]:
    def convert(value: Any) -> bool:
        if not isinstance(value, bool) and type(value).__name__ != "bool_":
            raise TypeError(f"{name} must be a boolean, got {value!r}")
        return bool(value)

    return convert


def to_str(name: str) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a string, got {value!r}")
        return value

    return convert


def to_str_list(name: str) -> Callable[[Any], list[str]]:
    def convert(value: Any) -> list[str]:
        if isinstance(value, str) or not isinstance(value, Iterable):
            raise TypeError(f"{name} must be a list of column names, got {value!r}")
        out = list(value)
        bad = [v for v in out if not isinstance(v, str)]
        if bad:
            raise TypeError(f"{name} must be a list of column names; not names: {bad[:3]}")
        return out

    return convert


def to_choice(name: str, options: Sequence[str]) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if not isinstance(value, str) or value not in options:
            raise ParamValidationError(f"{name} must be one of {list(options)}, got {value!r}")
        return value

    return convert


def to_float_list(name: str, low: float, high: float = math.inf, *,
                  low_open: bool = False) -> Callable[[Any], list[float]]:
    """A non-empty list of finite floats within ``[low, high]`` (``(low, high]`` if open)."""

    def convert(value: Any) -> list[float]:
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
            raise TypeError(f"{name} must be a list of numbers, got {value!r}")
        values = [_number(name, v) for v in value]
        if not values:
            raise ParamValidationError(f"{name} must not be empty")

        def ok(v: float) -> bool:
            return math.isfinite(v) and (v > low if low_open else v >= low) and v <= high

        bad = [v for v in values if not ok(v)]
        if bad:
            left = "(" if low_open else "["
            raise ParamValidationError(
                f"{name}: {len(bad)} value(s) outside {left}{low}, {high}], e.g. {bad[:3]}"
            )
        return values

    # the check of one item, for configs that report a bad item by its position
    convert.item = to_float(name, low, high, low_open=low_open)  # type: ignore[attr-defined]
    return convert


def to_penalty_factors(value: Any) -> dict[str, float]:
    """A mapping (or its JSON text) feature name → factor ``>= 0``, as a plain dict."""
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


def to_parallelism(value: Any) -> str | int:
    """``"auto"`` or an int ``>= 1`` (a string of digits is accepted)."""
    if isinstance(value, str):
        if value == "auto":
            return "auto"
        if not value.strip().isdigit():
            raise ParamValidationError(f"parallelism must be 'auto' or an int >= 1, got {value!r}")
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"parallelism must be 'auto' or an int >= 1, got {value!r}")
    if int(value) < 1:
        raise ParamValidationError(f"parallelism must be 'auto' or an int >= 1, got {value}")
    return int(value)


def to_bounds(name: str, sign: int) -> Callable[[Any], float | list[float]]:
    """One bound for every coefficient, or a list (one per feature, ``±inf`` = none), on the
    original feature scale; ``sign`` -1: lower bounds (each <= 0), +1: upper bounds (>= 0) —
    glmnet's rule, so that the all-zero start of the path is feasible."""
    side = "<= 0" if sign < 0 else ">= 0"

    def ok(v: float) -> bool:
        return not math.isnan(v) and (v <= 0.0 if sign < 0 else v >= 0.0)

    def convert(value: Any) -> float | list[float]:
        if hasattr(value, "toArray"):  # a pyspark.ml Vector
            value = list(value.toArray())
        if isinstance(value, (str, bytes, Mapping)):
            raise TypeError(f"{name} must be a number or a list of numbers, got {value!r}")
        if isinstance(value, Iterable):
            values = [_number(name, v) for v in value]
            if not values:
                raise ParamValidationError(f"{name} must not be empty")
            bad = [i for i, v in enumerate(values) if not ok(v)]
            if bad:
                raise ParamValidationError(
                    f"{name}: every bound must be {side} (0 must be feasible, as glmnet's "
                    f"limits); {len(bad)} are not, first at index {bad[0]} ({values[bad[0]]!r})")
            return values
        v = _number(name, value)
        if not ok(v):
            raise ParamValidationError(f"{name} must be {side} (0 must be feasible, as "
                                       f"glmnet's limits), got {v!r}")
        return v

    return convert


def to_feature_groups(value: Any) -> str | list[list[str | int]]:
    """``"auto"`` or a list of groups, each a non-empty list of feature names (str) or vector
    slot indices (int >= 0); a feature in two groups is an error."""
    if isinstance(value, str):
        if value != "auto":
            raise ParamValidationError(
                f"featureGroups must be 'auto' or a list of lists of feature names / slot "
                f"indices, got {value!r}")
        return value
    if isinstance(value, (bytes, Mapping)) or not isinstance(value, Iterable):
        raise TypeError(f"featureGroups must be 'auto' or a list of lists, got {value!r}")
    out: list[list[str | int]] = []
    seen: dict[Any, int] = {}
    for i, group in enumerate(value):
        if isinstance(group, (str, bytes, Mapping)) or not isinstance(group, Iterable):
            raise TypeError(f"featureGroups[{i}] must be a list of feature names or slot "
                            f"indices, got {group!r}")
        members: list[str | int] = []
        for m in group:
            if isinstance(m, bool) or not isinstance(m, (str, numbers.Integral)):
                raise TypeError(f"featureGroups[{i}]: {m!r} is neither a feature name nor a "
                                f"slot index")
            if not isinstance(m, str) and int(m) < 0:
                raise ParamValidationError(f"featureGroups[{i}]: slot index {m} < 0")
            key = m if isinstance(m, str) else int(m)
            if key in seen:
                raise ParamValidationError(
                    f"featureGroups: {key!r} is in group {seen[key]} and group {i}; groups "
                    "must be disjoint")
            seen[key] = i
            members.append(key)
        if not members:
            raise ParamValidationError(f"featureGroups[{i}] is empty")
        out.append(members)
    if not out:
        raise ParamValidationError("featureGroups must not be empty (leave it unset instead)")
    return out


# ------------------------------------------------------------------------------ declarations
def _p(name: str, doc: str, converter: Callable[[Any], Any], default: Any = UNSET,
       owners: frozenset[str] = _ALL, config_type: Any = None, core: str | None = None
       ) -> ParamDecl:
    return ParamDecl(name, doc, converter, default, owners, config_type, core)


def family_variant(base: ParamDecl, owners: frozenset[str], doc: str, default: Any) -> ParamDecl:
    """``base``'s parameter as another family means it: its own owners, doc and default; the
    same converter and config type (so the config key checks values the same way); no core
    keyword (that family's backend maps it)."""
    return ParamDecl(base.name, doc, base.converter, default, owners, base.config_type, None)


_MAX_ITER = _p("maxIter", "maximum coordinate-descent epochs per regParam (glmnet's maxit), "
               ">= 1.", to_int("maxIter", 1), 100_000, _LINEAR, int, "max_iter")
_TOL = _p("tol", "convergence tolerance: stop when the duality gap <= tol * weighted variance of "
          "the label (> 0).", to_float("tol", 0.0, low_open=True), 1e-7, _LINEAR, float, "tol")

DECLARATIONS: tuple[ParamDecl, ...] = (
    # -------------------------------------------------- columns (set in a config's [columns])
    _p("featuresCol", "features column: a pyspark.ml vector column (dense or sparse); the "
       "alternative to inputCols.", to_str("featuresCol"), "features"),
    _p("inputCols", "numeric feature columns; the alternative to featuresCol (set exactly one).",
       to_str_list("inputCols")),
    _p("labelCol", "label column (numeric).", to_str("labelCol"), "label"),
    _p("weightCol", "optional row-weight column (numeric, >= 0); unset = every row weighs 1.",
       to_str("weightCol")),
    _p("predictionCol", "prediction column the model's transform adds.",
       to_str("predictionCol"), "prediction"),
    # -------------------------------------------------- what is solved (shared with the model)
    _p("standardization", "standardize the features before penalizing (Lasso: weighted "
       "population std, glmnet's; LogisticLasso: weighted sample std, MLlib "
       "LogisticRegression's); coefficients are always reported on the original scale.",
       to_bool("standardization"), True, config_type=bool, core="standardize"),
    _p("fitIntercept", "fit an (unpenalized) intercept.", to_bool("fitIntercept"), True,
       config_type=bool, core="fit_intercept"),
    _MAX_ITER,
    family_variant(_MAX_ITER, _BINOMIAL, "maximum outer (proximal Newton) iterations per "
                   "regParam, >= 1; each is one data pass shared by every model and regParam in "
                   "flight (MLlib: L-BFGS / OWL-QN iterations).", 100),
    _TOL,
    family_variant(_TOL, _BINOMIAL, "convergence tolerance (> 0): a regParam is done when the "
                   "certified duality gap of the logistic objective is <= tol times the null "
                   "model's objective (regParam = 0: the largest gradient entry <= tol). MLlib: "
                   "the relative change of the loss.", 1e-6),
    _p("handleInvalid", "rows with null/NaN/infinite label, features or weight, or negative "
       "weight (classifiers: also a label other than 0 or 1): 'error' (fail, naming the column "
       "and the count of bad rows) or 'skip' (drop and count them).",
       to_choice("handleInvalid", HANDLE_INVALID_OPTIONS), "error", config_type=str),
    _p("probabilityCol", "column of the model's class probabilities (a vector [P(0), P(1)], "
       "MLlib's).", to_str("probabilityCol"), "probability", _BINOMIAL),
    _p("rawPredictionCol", "column of the model's raw prediction (a vector [-margin, margin], "
       "MLlib's).", to_str("rawPredictionCol"), "rawPrediction", _BINOMIAL),
    _p("threshold", "threshold in [0, 1]: the prediction is 1 when the probability of label 1 "
       "is above it.", to_float("threshold", 0.0, 1.0), 0.5, _BINOMIAL, float),
    _p("penaltyFactors", "per-feature penalty factors v_j >= 0 as a dict feature name -> factor "
       "(0 = never penalized, missing names = 1). Used as given (glmnet rescales them to sum to "
       "p).", to_penalty_factors, {}, _LINEAR, dict[str, float], "penalty_factor"),
    _p("adaptive", "adaptive lasso: penalty factors multiplied by 1/|beta_init|^adaptiveGamma, "
       "beta_init from OLS (or ridge when ill-posed) on the same statistics (no extra data "
       "pass).", to_bool("adaptive"), False, _LINEAR, bool),
    _p("adaptiveGamma", "exponent gamma > 0 of the adaptive lasso weights.",
       to_float("adaptiveGamma", 0.0, low_open=True), 1.0, _LINEAR, float),
    _p("lowerBoundsOnCoefficients", "lower bounds on the coefficients (MLlib's name), on the "
       "original feature scale: one value for all or one per feature (-inf = none); each <= 0 "
       "(glmnet's lower.limits). Gram mode only.", to_bounds("lowerBoundsOnCoefficients", -1),
       owners=_LINEAR, config_type=float | list[float]),
    _p("upperBoundsOnCoefficients", "upper bounds on the coefficients (MLlib's name), on the "
       "original feature scale: one value for all or one per feature (inf = none); each >= 0 "
       "(glmnet's upper.limits). Gram mode only.", to_bounds("upperBoundsOnCoefficients", 1),
       owners=_LINEAR, config_type=float | list[float]),
    _p("positive", "constrain every coefficient to be >= 0 (scikit-learn's positive=True; "
       "the same as lowerBoundsOnCoefficients=0). Gram mode only.", to_bool("positive"), False,
       owners=_LINEAR, config_type=bool),
    _p("featureGroups", "group lasso: a list of groups of feature names (or vector slot "
       "indices), each entering or leaving the model together with penalty "
       "alpha * v_g * sqrt(|g|) * ||beta_g||_2 (elasticNetParam mixes it with the ridge part, "
       "as adelie's group elastic net); features in no group are their own group. 'auto': "
       "one group per source column of the vector column's ML attribute metadata "
       "(OneHotEncoder / VectorAssembler), numeric slots alone. Gram mode only.",
       to_feature_groups, owners=_LINEAR, config_type=list[list[str | int]] | str),
    _p("groupL1Ratio", "sparse group lasso (skglm's WeightedL1GroupL2 tau, sparsegl's asparse): "
       "the share in [0, 1) of each group's penalty given to the l1 norm within the group, "
       "alpha * elasticNetParam * ((1 - groupL1Ratio) * v_g * sqrt(|g|) * ||beta_g||_2 + "
       "groupL1Ratio * sum_j v_j |beta_j|), so that features of a group also leave it one by "
       "one; 0 = the group lasso. Needs featureGroups. Gram mode only.",
       to_float("groupL1Ratio", 0.0, 1.0, high_open=True), 0.0, owners=_LINEAR,
       config_type=float),
    _p("relax", "relaxed lasso (glmnet's relax=TRUE): on each regParam's active set an "
       "unpenalized least-squares refit from the same statistics (no extra pass); the fit is "
       "gamma * lasso + (1 - gamma) * refit. LassoCV chooses (gamma, regParam) from the folds' "
       "held-out error; Lasso needs one relaxGammas value. Not with bounds or featureGroups; "
       "Gram mode only.", to_bool("relax"), False, owners=_LINEAR, config_type=bool),
    _p("relaxGammas", "the gammas in [0, 1] of the relaxed lasso (glmnet's default); gamma = 1 "
       "(the lasso) is always included in LassoCV's table.",
       to_float_list("relaxGammas", 0.0, 1.0), [0.0, 0.25, 0.5, 0.75, 1.0],
       owners=_LINEAR, config_type=list[float]),
    # -------------------------------------------------- estimators
    _p("regParam", "regularization parameter (>= 0), MLlib's: with elasticNetParam it gives "
       "the same minimizer as LinearRegression(solver='normal') (LogisticLasso: "
       "LogisticRegression). The CV estimators choose it by cross-validation (set regParams or "
       "numRegParams there instead).",
       to_float("regParam", 0.0), 0.0, _ESTIMATORS | _BINOMIAL_ESTIMATORS, float),
    _p("elasticNetParam", "ElasticNet mixing parameter in [0, 1]: 1 = L1 (lasso), 0 = L2 "
       "(ridge).", to_float("elasticNetParam", 0.0, 1.0), 1.0,
       _ESTIMATORS | _BINOMIAL_ESTIMATORS, float),
    _p("solverMode", "'gram' (one pass, full Gram per fold), 'wide' (Gram blocks of working "
       "sets plus X'r KKT passes; for many features) or 'auto' (wide above 4096 features).",
       to_choice("solverMode", SOLVER_MODES), "auto", _ESTIMATORS, str),
    # -------------------------------------------------- cross-validation
    _p("regParams", "explicit regParam grid (values > 0, any order; fitted in decreasing "
       "order, to its end). When unset the grid is numRegParams values log-spaced from the "
       "smallest regParam giving all-zero coefficients down to regParamMinRatio times it "
       "(glmnet's rule; LogisticLassoCV's automatic path may end early where glmnet's does).",
       to_float_list("regParams", 0.0, low_open=True), UNSET, CV_OWNERS, list[float]),
    _p("numRegParams", "number of regParam values in the automatic grid (>= 1).",
       to_int("numRegParams", 1), 100, CV_OWNERS, int),
    _p("regParamMinRatio", "smallest/largest regParam of the automatic grid, in (0, 1); unset "
       "= glmnet's rule (1e-4 when rows > features, else 1e-2).",
       to_float("regParamMinRatio", 0.0, 1.0, low_open=True, high_open=True), UNSET,
       CV_OWNERS, float),
    _p("elasticNetParams", "optional elasticNetParam grid, each in [0, 1]; cross-validated "
       "jointly with regParam. Unset = elasticNetParam only.",
       to_float_list("elasticNetParams", 0.0, 1.0), UNSET, _CV, list[float]),
    _p("numFolds", "number of cross-validation folds (>= 2); ignored when foldCol is set.",
       to_int("numFolds", 2), 5, CV_OWNERS, int),
    _p("foldCol", "integer column with user-assigned fold numbers in [0, numFolds); unset = "
       "folds hashed from each row's values and seed.", to_str("foldCol"), UNSET, CV_OWNERS,
       str),
    _p("validationCol", "boolean column marking validation rows (like MLlib GBT's "
       "validationIndicatorCol): regParam is selected on the validation error (MSE; "
       "LogisticLassoCV: cvMetric) of the path fitted on the other rows, instead of K folds "
       "(the same passes); the final model is the path on all rows. Excludes foldCol and "
       "selectionRule='1se'.", to_str("validationCol"), UNSET, CV_OWNERS, str),
    _p("seed", "seed of the hashed fold assignment (the same folds on any partitioning).",
       to_int("seed"), DEFAULT_SEED, CV_OWNERS, int),
    _p("selectionRule", "how the final regParam is chosen: 'min' (best mean CV error: MSE; "
       "LogisticLassoCV: cvMetric) or '1se' (largest regParam whose mean CV error is within one "
       "standard error of the best, glmnet's lambda.1se).",
       to_choice("selectionRule", SELECTION_RULES), "min", CV_OWNERS, str),
    _p("parallelism", "'auto' or an int >= 1: how many fold x elasticNetParam fits may run as "
       "concurrent Spark tasks (1 = solve on the driver). 'auto' decides from the measured "
       "cost of the fits and of shipping their statistics to the tasks.", to_parallelism,
       "auto", _CV, int | str),
    # -------------------------------------------------- stability selection (docs/stability.md)
    _p("numSubsamples", "stability selection (Meinshausen-Buhlmann with Shah-Samworth "
       "complementary pairs): the number of complementary pairs of half-samples, each half the "
       "rows of a random half of the numBuckets buckets, with a path fitted on each half "
       "(2 x numSubsamples paths on the regParam grid, from the same single data pass). "
       "0 = off.", to_int("numSubsamples", 0), 0, _CV, int),
    _p("numBuckets", "stability selection: rows are hashed into this many buckets in the "
       "statistics pass (the fold hash, so the same on any partitioning); a half-sample is the "
       "exact merge of half the buckets. Even; with hashed folds a multiple of numFolds (each "
       "fold is then a union of buckets). Unset = the smallest even multiple of numFolds that "
       "is >= 32. Used only when numSubsamples > 0.", to_int("numBuckets", 2), UNSET, _CV,
       int),
    _p("stabilityThreshold", "stability selection: a feature is stable when its selection "
       "probability at the model's regParam is at least this, in (0.5, 1]; Meinshausen and "
       "Buhlmann recommend 0.6 to 0.9 (results are not sensitive within that range).",
       to_float("stabilityThreshold", 0.5, 1.0, low_open=True), 0.75, _CV, float),
    _p("maxBucketMemoryMB", "stability selection: refuse, before any pass, when the bucket "
       "statistics (numBuckets x (p^2 + 3p + 5) doubles; x numFolds with foldCol or "
       "validationCol) exceed this many MiB: every statistics task and the driver hold them.",
       to_float("maxBucketMemoryMB", 0.0, low_open=True), 1024.0, _CV, float),
    # -------------------------------------------------- binomial family (LogisticLasso*)
    _p("regParamsInFlight", "how many consecutive regParams of each model advance in the same "
       "data pass (>= 1): more means fewer passes and more work per pass.",
       to_int("regParamsInFlight", 1), 12, _BINOMIAL_ESTIMATORS, int),
    _p("cacheInput", "cache what the fit's passes read (MEMORY_AND_DISK) and release it after "
       "the fit, also on failure: for an input that is not persisted itself, its used columns, "
       "packed (the statistics pass then reads the input once and fills the cache, every later "
       "pass reads the cache, as MLlib LogisticRegression caches its instances when the input "
       "is not cached); for a vector features column, persisted or not, the features unpacked "
       "into one array column (a pass hands that to Python several times faster than vector "
       "structs; the first pass after the statistics pass fills it). Numeric columns of a "
       "persisted input are read as they are.",
       to_bool("cacheInput"), False, _BINOMIAL_ESTIMATORS, bool),
    _p("cvMetric", "cross-validation metric, as glmnet's type.measure: 'deviance', 'auc' or "
       "'misclassification' (at threshold; multinomial: the most probable class). 'auc' is "
       "binomial only (family 'binomial', or 'auto' with 2 classes): a multinomial fit "
       "refuses it.", to_choice("cvMetric", CV_METRIC_OPTIONS),
       "deviance", frozenset({LOGISTIC_CV}), str),
    _p("family", "MLlib's family (default 'binomial' here, 'auto' in MLlib): 'auto' "
       "(binomial for 2 classes, else multinomial: labels "
       "0, 1, …, K-1, K the largest label + 1), 'binomial' (labels 0/1) or 'multinomial' "
       "(softmax over K classes, one coefficient row per class; MultinomialLassoModel).",
       to_choice("family", FAMILY_OPTIONS), "binomial", _BINOMIAL_ESTIMATORS, str),
    _p("multinomialGrouping", "the multinomial family's penalty, as glmnet's type.multinomial: "
       "'ungrouped' (the elastic net of every coefficient, MLlib's) or 'grouped' (regParam * "
       "sum_j (elasticNetParam * ||beta_j||_2 + (1 - elasticNetParam)/2 * ||beta_j||^2) over "
       "each feature's K class coefficients beta_j: a feature is kept or dropped for all classes "
       "at once). 'grouped' needs family 'multinomial' or 'auto' (then multinomial for any "
       "number of classes).", to_choice("multinomialGrouping", MULTINOMIAL_GROUPING_OPTIONS),
       "ungrouped", _BINOMIAL_ESTIMATORS, str),
)


def declared(owner: str) -> tuple[ParamDecl, ...]:
    """The declarations of ``owner``'s parameters, in declaration order."""
    return tuple(d for d in DECLARATIONS if owner in d.owners)


def default_values(owner: str) -> dict[str, Any]:
    """``name → default`` of ``owner``'s parameters that have one."""
    return {d.name: d.default for d in declared(owner) if d.default is not UNSET}


def core_keywords(value: Callable[[str], Any]) -> dict[str, Any]:
    """The pass-through solver keywords (``core`` of each declaration that has one, except the
    penalty factors, which need the feature names) from ``value(param name)``."""
    return {d.core: value(d.name) for d in DECLARATIONS
            if d.core is not None and d.name != "penaltyFactors"}


# ------------------------------------------------------------------- cross-parameter rules
def combination_problems(
    owner: str,
    given: Mapping[str, Any],
    key: Callable[[str], str] = str,
) -> list[str]:
    """What is wrong with a combination of explicitly given parameter values.

    ``given`` holds the parameters that were set (by the user), converted; defaults fill the
    rest. ``key`` formats a parameter's name in the messages (a config passes
    ``"model." + name``). Single values were checked by their converters already.
    """
    value = {**default_values(owner), **given}
    out: list[str] = []
    if value.get("relax"):
        shaped = [n for n in ("lowerBoundsOnCoefficients", "upperBoundsOnCoefficients",
                              "featureGroups") if n in given] + (
            ["positive"] if value.get("positive") else [])
        if shaped:
            out.append(f"{key('relax')}=True is not supported with "
                       f"{', '.join(key(n) for n in shaped)}")
        if owner == LASSO and len(value["relaxGammas"]) != 1:
            out.append(f"{key('relax')}=True in Lasso fits one model: give exactly one "
                       f"{key('relaxGammas')} value (LassoCV chooses among several)")
    if value.get("groupL1Ratio") and "featureGroups" not in given:
        out.append(f"{key('groupL1Ratio')} > 0 mixes the l1 norm into groups: give "
                   f"{key('featureGroups')} too")
    if value.get("multinomialGrouping") == "grouped" and value.get("family") == "binomial":
        out.append(f"{key('multinomialGrouping')}='grouped' groups each feature's class "
                   f"coefficients of the multinomial family; {key('family')} is 'binomial' (one "
                   f"coefficient per feature): set {key('family')}='multinomial' (or 'auto')")
    if value.get("positive") and "lowerBoundsOnCoefficients" in given:
        out.append(f"give either {key('positive')}=True or {key('lowerBoundsOnCoefficients')}, "
                   "not both")
    if owner in CV_OWNERS:
        if "regParam" in given:
            out.append(f"{key('regParam')} is chosen by cross-validation in {owner}; give a grid "
                       f"with {key('regParams')} or {key('numRegParams')} instead")
        if "regParams" in given and ({"numRegParams", "regParamMinRatio"} & set(given)):
            out.append(f"give either {key('regParams')} or "
                       f"{key('numRegParams')}/{key('regParamMinRatio')}, not both")
        if "elasticNetParams" in given and "elasticNetParam" in given:
            out.append(f"give either {key('elasticNetParam')} or {key('elasticNetParams')}")
        fold, valid = value.get("foldCol", UNSET), value.get("validationCol", UNSET)
        if valid is not UNSET and valid:
            if fold is not UNSET:
                out.append(f"set at most one of {key('foldCol')} ({fold!r}) and "
                           f"{key('validationCol')} ({valid!r})")
            if value["selectionRule"] == "1se":
                out.append(f"{key('selectionRule')}='1se' needs the spread of K fold errors; "
                           f"with {key('validationCol')} there is one validation error per "
                           "regParam: use selectionRule='min'")
        out += _bucket_problems(value, key)
    return out


def _bucket_problems(value: Mapping[str, Any], key: Callable[[str], str]) -> list[str]:
    """The bucket count of stability selection: even, and a multiple of hashed folds."""
    buckets = value.get("numBuckets", UNSET)
    if buckets is UNSET or not value.get("numSubsamples"):
        return []
    if buckets % 2:
        return [f"{key('numBuckets')} must be even (half the buckets form a half-sample), "
                f"got {buckets}"]
    folds = value["numFolds"]
    hashed = value.get("foldCol", UNSET) is UNSET and not value.get("validationCol")
    if hashed and buckets % folds:
        step = folds * (2 if folds % 2 else 1)
        return [f"{key('numBuckets')} ({buckets}) must be a multiple of {key('numFolds')} "
                f"({folds}) so that each hashed fold is a union of buckets, e.g. "
                f"{step * -(-buckets // step)}"]
    return []
