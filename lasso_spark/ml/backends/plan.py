"""The steps every Gaussian backend shares between reading statistics and solving.

* :func:`core_penalty` — MLlib's ``(regParam, elasticNetParam)`` → the core's ``(α, ρ)`` for
  statistics (Gram mode's :class:`~lasso_spark.core.SuffStats` or wide mode's per-feature
  statistics: anything with ``std_y``, ``mean_y``, ``mean_y_lo``);
* :func:`penalty_vector` — ``penaltyFactors`` by name, times the adaptive weights;
* :func:`structure_of` — bounds / ``positive`` / feature groups as the core's
  :class:`~lasso_spark.core.penalties.StructuredPenalty` (names resolved to indices);
* :func:`reg_param_grid` — the regParam grid of a cross-validated fit, from the grid spec and
  ``alpha_max``; :func:`warm_reg_params` the warm-start path of a single fit;
* :func:`constant_path`, :func:`least_squares_path` — the fits that need no path solve;
* :func:`cv_table` — held-out MSE of every fold and grid point → the CV table and the choice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from lasso_spark import core
from lasso_spark.core.cv import fold_mse_summary
from lasso_spark.core.errors import DataError
from lasso_spark.core.grid import decreasing_alphas, default_grid
from lasso_spark.core.penalties import StructuredPenalty
from lasso_spark.ml.backends.request import FitRequest, GridSpec, SolverSpec
from lasso_spark.ml.mapping import CorePenalty, mllib_to_core
from lasso_spark.ml.params import ParamValidationError, resolve_penalty_factors
from lasso_spark.ml.tables import CVTable, PathTable

logger = logging.getLogger(__name__)

__all__ = [
    "constant_path",
    "core_penalty",
    "cv_table",
    "least_squares_path",
    "penalty_vector",
    "reg_param_grid",
    "structure_of",
    "warm_reg_params",
]


def core_penalty(stats: Any, reg_param: float, enp: float, solver: SolverSpec) -> CorePenalty:
    """The core's penalty at one ``(regParam, elasticNetParam)`` on ``stats``' label scale."""
    pen = mllib_to_core(
        reg_param,
        enp,
        label_std=stats.std_y,
        label_mean=stats.mean_y + stats.mean_y_lo,
        fit_intercept=solver.fit_intercept,
        standardization=solver.standardize,
    )
    if pen.l1_ratio <= 0.0 and pen.alpha > 0.0 and not pen.constant_model:
        raise ParamValidationError(
            "elasticNetParam=0 (pure ridge) is not supported by the coordinate-descent solver "
            "(its regularization path has no alpha_max); use a small positive value such as 1e-3"
        )
    return pen


def cv_penalties(stats: Any, request: FitRequest) -> list[CorePenalty]:
    """The penalty per elasticNetParam at regParam 1 (grids scale linearly); a constant label
    leaves nothing to cross-validate."""
    pens = [core_penalty(stats, 1.0, enp, request.solver)
            for enp in request.penalty.elastic_net_params]
    if any(p.constant_model for p in pens):
        raise DataError(
            f"the label {request.input.label_col!r} is constant over the "
            f"{int(stats.n_rows)} valid rows: there is nothing to cross-validate"
        )
    return pens


def penalty_vector(
    request: FitRequest, stats: core.SuffStats | None, feature_names: Sequence[str]
) -> np.ndarray | None:
    """``penaltyFactors`` by name as the core's vector, times the adaptive-lasso weights of
    ``stats`` (``None`` = all ones)."""
    v = resolve_penalty_factors(feature_names, request.penalty.penalty_factors)
    if request.penalty.adaptive:
        if stats is None:
            raise ParamValidationError("adaptive=True needs the full Gram: use solverMode='gram'")
        a = core.adaptive_penalty_factors(
            stats,
            request.penalty.adaptive_gamma,
            fit_intercept=request.solver.fit_intercept,
            standardize=request.solver.standardize,
        )
        v = a if v is None else v * a
    return v


def _bound_values(name: str, value: Any, n_features: int) -> Any:
    if isinstance(value, tuple) and len(value) != n_features:
        raise ParamValidationError(
            f"{name} has {len(value)} values but the input has {n_features} features; give "
            f"one value for all or one per feature")
    return None if value is None else np.asarray(value, dtype=np.float64)


def _group_indices(groups: Any, feature_names: Sequence[str]) -> list[list[int]]:
    index = {n: i for i, n in enumerate(feature_names)}
    p = len(feature_names)
    out = []
    for i, group in enumerate(groups):
        unknown = [m for m in group if isinstance(m, str) and m not in index]
        if unknown:
            raise ParamValidationError(
                f"featureGroups[{i}] names {len(unknown)} unknown feature(s): {unknown[:5]}; "
                f"known features: {list(feature_names)[:10]}")
        idx = [index[m] if isinstance(m, str) else int(m) for m in group]
        outside = [j for j in idx if j >= p]
        if outside:
            raise ParamValidationError(
                f"featureGroups[{i}] has slot index {outside[0]} but the input has {p} features")
        out.append(idx)
    seen: dict[int, int] = {}
    for i, idx in enumerate(out):  # a name and its slot index may both be given
        for j in idx:
            if j in seen and seen[j] != i:
                raise ParamValidationError(
                    f"featureGroups: feature {feature_names[j]!r} is in group {seen[j]} and "
                    f"group {i}; groups must be disjoint")
            seen[j] = i
    return out


def structure_of(request: FitRequest, feature_names: Sequence[str]
                 ) -> StructuredPenalty | None:
    """The request's bounds and groups for the core (``None`` when it asks for neither)."""
    pen = request.penalty
    if not pen.structured:
        return None
    p = len(feature_names)
    if pen.feature_groups == "auto":
        raise ParamValidationError(
            "featureGroups='auto' needs the vector column's ML attribute metadata; it is "
            "resolved when fitting a DataFrame (not from statistics alone)")
    groups = None if pen.feature_groups is None else _group_indices(pen.feature_groups,
                                                                   feature_names)
    try:
        return StructuredPenalty.make(
            p, lower_bounds=_bound_values("lowerBoundsOnCoefficients", pen.lower_bounds, p),
            upper_bounds=_bound_values("upperBoundsOnCoefficients", pen.upper_bounds, p),
            positive=pen.positive, groups=groups, group_l1_ratio=pen.group_l1_ratio)
    except ValueError as exc:
        raise ParamValidationError(f"{', '.join(pen.structured_names())}: {exc}") from exc


def reg_param_grid(
    grid: GridSpec, pen: CorePenalty, alpha_max: float, n_rows: int, n_features: int
) -> np.ndarray:
    """Decreasing regParam grid of one elasticNetParam: the explicit ``reg_params``, or
    ``num_reg_params`` values from the regParam of ``alpha_max`` down by the min ratio."""
    if grid.reg_params is not None:
        return decreasing_alphas(grid.reg_params)
    alphas = default_grid(alpha_max, grid.num_reg_params, grid.min_ratio, n_rows, n_features)
    return alphas / pen.alpha_per_reg_param


def warm_reg_params(alphas: np.ndarray, pen: CorePenalty, reg_param: float) -> np.ndarray:
    """The regParam of each alpha of a warm-start path; the last is the target exactly."""
    regs = np.asarray(alphas, dtype=np.float64) / pen.alpha_per_reg_param
    regs[-1] = reg_param
    return regs


def _one_row(coef: np.ndarray, intercept: float, reg: float, enp: float, pen: CorePenalty
             ) -> PathTable:
    return PathTable(
        elastic_net_params=[enp], reg_params=[reg], alphas=[pen.alpha], l1_ratios=[pen.l1_ratio],
        coef=coef[None, :], intercepts=[intercept], nonzeros=[np.count_nonzero(coef)],
        duality_gaps=[0.0], iterations=[0], converged=[True],
    )


def constant_path(n_features: int, pen: CorePenalty, reg: float, enp: float) -> PathTable:
    """A constant label: coefficients 0, intercept the mean label (MLlib's model)."""
    return _one_row(np.zeros(n_features), float(pen.constant_intercept), reg, enp, pen)


def least_squares_path(
    stats: core.SuffStats, solver: SolverSpec, pen: CorePenalty, enp: float
) -> PathTable:
    """``regParam = 0``: (minimum-norm) least squares on the standardized Gram."""
    d = core.design(stats, fit_intercept=solver.fit_intercept, standardize=solver.standardize)
    coef = np.zeros(stats.n_features)
    if d.index.size:
        beta, *_ = np.linalg.lstsq(d.G, d.c, rcond=None)
        coef[d.index] = beta / d.scale[d.index]
    intercept = 0.0
    if solver.fit_intercept:
        mean_x = stats.mean_x + stats.mean_x_lo
        intercept = float((stats.mean_y + stats.mean_y_lo) - coef @ mean_x)
    return _one_row(coef, intercept, 0.0, enp, pen)


def cv_table(
    enps: Sequence[float],
    grids: Sequence[np.ndarray],
    mse: np.ndarray,
    paths: Sequence[PathTable],
    rule: str,
    validation: bool = False,
    gammas: Sequence[float] = (1.0,),
) -> CVTable:
    """CV table over every (elasticNetParam, γ, regParam); min / 1se chosen over all rows.

    ``mse`` is ``(len(enps), K, len(gammas) · m)``, γ by γ (``gammas`` of the relaxed lasso,
    decreasing; ``(1.0,)`` for the lasso alone), and ``paths[e]`` has its rows in the same
    order. Mean and standard error per row are the core's
    :func:`~lasso_spark.core.cv.fold_mse_summary`; with one validation split the mean is the
    validation MSE and the standard error NaN.
    """
    tables = []
    for e, enp in enumerate(enps):
        m = grids[e].shape[0]
        for k, gamma in enumerate(gammas):
            part = mse[e][:, k * m:(k + 1) * m]
            mean, se = fold_mse_summary(part)
            if validation:
                se = np.full_like(mean, np.nan)
            tables.append(CVTable.from_fold_mse(
                enp, grids[e], paths[e].nonzeros[k * m:(k + 1) * m], part, mean, se, rule,
                validation, relax_gamma=gamma))
    return CVTable.concat(tables, rule)
