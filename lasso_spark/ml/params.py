"""pyspark.ml Params of the estimators and models, built from the declarations.

Every parameter is declared once in :mod:`lasso_spark.paramspec` (MLlib's name, checks, default,
doc, owners). :func:`params_mixin` turns the declarations of one owner into a ``Params`` mixin
with a ``Param`` per declaration (its converter as ``typeConverter``), ``get<Name>`` and
``set<Name>`` methods and the defaults. The mixins nest as the estimators do:
:class:`LassoModelParams` (what a model keeps) ⊂ :class:`LassoParams` ⊂ :class:`LassoCVParams`,
and for the binomial family :class:`LogisticModelParams` ⊂ :class:`LogisticParams` ⊂
:class:`LogisticCVParams`. :class:`DeclaredKeywords` gives an estimator the keyword
``__init__`` / ``setParams`` of its owner's declarations.
The map from MLlib's parameters to the core's ``(alpha, l1_ratio)`` is
:mod:`lasso_spark.ml.mapping`; the parameter names of scikit-learn and glmnet are in the README.

Semantics that differ from MLlib on purpose:

* ``elasticNetParam`` defaults to 1.0 (this is a Lasso).
* ``maxIter`` bounds the coordinate-descent epochs per regParam (glmnet's ``maxit``), not
  quasi-Newton iterations; ``tol`` is the duality-gap target relative to the weighted label
  variance (scikit-learn's criterion), so convergence is certified, not guessed.
* ``featuresCol`` and ``inputCols`` are alternatives: set ``inputCols`` (numeric columns) or
  leave it unset and use the vector column ``featuresCol``; setting both explicitly is an error.
* ``penaltyFactors`` maps feature names to ``v_j ≥ 0`` (0 = never penalized, missing = 1).
* ``solverMode``: ``"gram"``, ``"wide"`` or ``"auto"`` (see :mod:`lasso_spark.ml.backends`).
"""

from __future__ import annotations

import difflib
import inspect
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from pyspark.ml.param import Param, Params

from lasso_spark.paramspec import (
    LASSO,
    LASSO_CV,
    LASSO_MODEL,
    LOGISTIC,
    LOGISTIC_CV,
    LOGISTIC_MODEL,
    UNSET,
    ParamDecl,
    ParamValidationError,
    combination_problems,
    declared,
)

logger = logging.getLogger(__name__)

__all__ = [
    "DeclaredKeywords",
    "LassoCVParams",
    "LassoModelParams",
    "LassoParams",
    "LogisticCVParams",
    "LogisticModelParams",
    "LogisticParams",
    "ParamValidationError",
    "describe",
    "keyword_signature",
    "params_mixin",
    "resolve_penalty_factors",
    "unknown_keywords",
]


def _camel(name: str) -> str:
    return name[0].upper() + name[1:]


def _getter(name: str) -> Any:
    def get(self: Params) -> Any:
        param = self.getParam(name)
        return self.getOrDefault(param) if self.isDefined(param) else None

    get.__name__ = f"get{_camel(name)}"
    get.__doc__ = f"The value of ``{name}`` (``None`` when it is unset and has no default)."
    return get


def _setter(name: str) -> Any:
    def set_(self: Params, value: Any) -> Any:
        return self._set(**{name: value})

    set_.__name__ = f"set{_camel(name)}"
    set_.__doc__ = f"Set ``{name}``; returns ``self``."
    return set_


def params_mixin(owner: str, bases: tuple[type, ...] = (Params,)) -> type:
    """A ``Params`` mixin with the Params ``owner`` declares beyond those of ``bases``."""
    inherited = {n for b in bases for n in getattr(b, "_declared_names", ())}
    new = [d for d in declared(owner) if d.name not in inherited]
    attrs: dict[str, Any] = {"_declared_names": frozenset(inherited | {d.name for d in new})}
    for d in new:
        attrs[d.name] = Param(Params._dummy(), d.name, d.doc, typeConverter=d.converter)
        attrs[f"get{_camel(d.name)}"] = _getter(d.name)
        attrs[f"set{_camel(d.name)}"] = _setter(d.name)
    defaults = {d.name: d.default for d in new if d.default is not UNSET}

    def __init__(self: Params, *args: Any) -> None:
        super(cls, self).__init__(*args)
        self._setDefault(**{k: (dict(v) if isinstance(v, dict) else v)
                            for k, v in defaults.items()})

    attrs["__init__"] = __init__
    attrs["__doc__"] = f"Params {owner} declares (see :mod:`lasso_spark.paramspec`)."
    cls = type(f"_{owner}Declared", bases, attrs)
    return cls


def keyword_signature(owner: str) -> inspect.Signature:
    """The keyword-only signature of ``owner``'s ``__init__`` / ``setParams``."""
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)]
    for d in declared(owner):
        default = None if d.default is UNSET else d.default
        params.append(inspect.Parameter(d.name, inspect.Parameter.KEYWORD_ONLY, default=default))
    return inspect.Signature(params)


def unknown_keywords(owner: str, names: Sequence[str]) -> str | None:
    """A message naming the keywords ``owner`` does not take (with suggestions), or None."""
    known = [d.name for d in declared(owner)]
    bad = [n for n in names if n not in known]
    if not bad:
        return None
    hints = []
    for n in bad:
        close = difflib.get_close_matches(n, known, n=1)
        hints.append(f"{n!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    return f"{owner} got unknown parameter(s) {', '.join(hints)}"


class DeclaredKeywords:
    """Keyword-only ``__init__`` and ``setParams`` for every subclass that has an ``_owner``:
    the signature, the docs and the unknown-keyword check come from the owner's declarations."""

    _owner: str

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        owner = getattr(cls, "_owner", None)
        if owner is None:  # an abstract base of estimators
            return
        signature = keyword_signature(owner)

        def __init__(self: DeclaredKeywords, **params: Any) -> None:
            super(cls, self).__init__()
            self._setKeywords(params)

        def setParams(self: DeclaredKeywords, **params: Any) -> DeclaredKeywords:  # noqa: N802
            """Set any of the keyword parameters (``None`` leaves one unchanged)."""
            return self._setKeywords(params)

        for fn in (__init__, setParams):
            fn.__signature__ = signature  # type: ignore[attr-defined]
            fn.__qualname__ = f"{cls.__name__}.{fn.__name__}"
        __init__.__doc__ = f"Keyword parameters of {owner}:\n\n" + describe(declared(owner))
        cls.__init__ = __init__  # type: ignore[method-assign]
        cls.setParams = setParams  # type: ignore[method-assign]

    def _setKeywords(self, params: dict[str, Any]) -> Any:
        problem = unknown_keywords(self._owner, list(params))
        if problem is not None:
            raise TypeError(problem)
        return self._set(**{k: v for k, v in params.items() if v is not None})


class _ColumnRules:
    """Rules of the column params, shared by the estimators and the model."""

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

    def _featureColumns(self) -> list[str]:
        return list(self.getInputCols()) if self._usesInputCols() else [self.getFeaturesCol()]

    def _validateParams(self) -> None:
        """Check the rules that involve several params; single values are checked on set."""
        features = self._featureColumns()
        label = self.getLabelCol()
        if label in features:
            raise ParamValidationError(f"labelCol {label!r} is also a feature column")
        weight = self.getWeightCol()
        if weight and (weight == label or weight in features):
            raise ParamValidationError(f"weightCol {weight!r} is also the label or a feature")
        for role in ("foldCol", "validationCol"):
            col = self.getOrDefault(role) if self.hasParam(role) and self.isDefined(role) else None
            if col and col in {label, weight, *features}:
                raise ParamValidationError(
                    f"{role} {col!r} is also the label, weight or a feature column"
                )
        owner = getattr(self, "_owner", None)
        if owner is not None:
            given = {p.name: v for p, v in self._paramMap.items()}
            problems = combination_problems(owner, given)
            if problems:
                raise ParamValidationError("; ".join(problems))


class LassoModelParams(_ColumnRules, params_mixin(LASSO_MODEL)):
    """Params a fitted :class:`~lasso_spark.ml.LassoModel` keeps (MLlib names)."""

    def getPenaltyFactors(self) -> dict[str, float]:
        return dict(self.getOrDefault(self.penaltyFactors))


class LassoParams(params_mixin(LASSO, (LassoModelParams,))):
    """Params of ``Lasso``: the model's plus regParam, elasticNetParam and solverMode."""

    _owner = LASSO


class LassoCVParams(params_mixin(LASSO_CV, (LassoParams,))):
    """Params of ``LassoCV``: ``Lasso``'s plus the grid, the folds and the rule."""

    _owner = LASSO_CV

    def getElasticNetParams(self) -> list[float]:
        """The elasticNetParam grid: ``elasticNetParams`` if set, else ``[elasticNetParam]``."""
        if self.isDefined(self.elasticNetParams):
            return list(self.getOrDefault(self.elasticNetParams))
        return [self.getElasticNetParam()]

    def getValidationCol(self) -> str | None:
        if not self.isDefined(self.validationCol):
            return None
        return self.getOrDefault(self.validationCol) or None


class LogisticModelParams(_ColumnRules, params_mixin(LOGISTIC_MODEL)):
    """Params a fitted :class:`~lasso_spark.ml.LogisticLassoModel` keeps (MLlib
    ``LogisticRegression`` names)."""


class LogisticParams(params_mixin(LOGISTIC, (LogisticModelParams,))):
    """Params of ``LogisticLasso``: the model's plus regParam, elasticNetParam and the pass
    options (regParamsInFlight, cacheInput)."""

    _owner = LOGISTIC


class LogisticCVParams(params_mixin(LOGISTIC_CV, (LogisticParams,))):
    """Params of ``LogisticLassoCV``: ``LogisticLasso``'s plus the grid, the folds, the rule and
    cvMetric."""

    _owner = LOGISTIC_CV

    def getValidationCol(self) -> str | None:
        if not self.isDefined(self.validationCol):
            return None
        return self.getOrDefault(self.validationCol) or None


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


def describe(decls: Sequence[ParamDecl]) -> str:
    """A text table of parameters (name, default, doc) for docstrings and ``explainParams``."""
    rows = [f"{d.name} (default {'unset' if d.default is UNSET else repr(d.default)}): {d.doc}"
            for d in decls]
    return "\n".join(rows)
