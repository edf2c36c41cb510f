"""Plots of a fitted ``LassoModel``: the coefficient path and the cross-validation curve.

matplotlib is an optional extra (``pip install lasso_spark[plots]``) imported only when a plot
is drawn. Both functions return the matplotlib ``Figure`` (drawn on ``ax`` when given).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from lasso_spark.ml.model import LassoModel

logger = logging.getLogger(__name__)

__all__ = ["plot_cv", "plot_path"]


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "plotting needs matplotlib: pip install lasso_spark[plots]"
        ) from exc
    return plt


def _axes(ax: Any) -> tuple[Any, Any]:
    if ax is not None:
        return ax.figure, ax
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5))
    return fig, ax


def plot_path(
    model: LassoModel,
    ax: Any = None,
    elastic_net_param: float | None = None,
    max_labels: int = 10,
) -> Any:
    """Coefficients (original scale) against regParam on a log axis, one line per feature that
    is ever non-zero; number of non-zeros on a top axis; the model's regParam as a vertical line.
    The features kept at the model's regParam (the path point nearest it), up to
    ``max_labels`` of them by |standardized coefficient|, get distinct colours and legend
    entries; the other lines are drawn thin and grey."""
    table = model.pathTable
    if table is None:
        raise ValueError("this model has no path to plot")
    plt = _pyplot()
    rows = model._path_rows(elastic_net_param)
    reg = table.reg_params[rows]
    if np.any(reg <= 0):
        raise ValueError("regParam must be > 0 on every path point for a log axis")
    coef = table.coef[rows]
    fig, ax = _axes(ax)
    std = model.featureStd if model.featureStd is not None else np.ones(model.numFeatures)
    ever = np.flatnonzero(np.any(coef != 0.0, axis=0))
    at = int(np.argmin(np.abs(np.log(reg) - np.log(model.regParam))))
    size = np.abs(coef[at] * std)
    kept = ever[size[ever] > 0.0]
    labelled = kept[np.argsort(-size[kept], kind="stable")][:max_labels].tolist()
    colours = plt.get_cmap("tab20" if len(labelled) > 10 else "tab10")
    names = model.featureNames
    for j in ever:
        if j not in labelled:
            ax.plot(reg, coef[:, j], lw=0.8, color="0.75", zorder=1)
    for rank, j in enumerate(labelled):
        ax.plot(reg, coef[:, j], lw=1.4, color=colours(rank % colours.N), label=names[j],
                zorder=2)
    ax.set_xscale("log")
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.axvline(model.regParam, color="k", ls="--", lw=1.0,
               label=f"chosen regParam = {model.regParam:.4g}")
    ax.set_xlabel("regParam (log scale)")
    ax.set_ylabel("coefficient")
    enp = table.elastic_net_params[rows[0]]
    ax.set_title(f"Regularization path (elasticNetParam = {enp:g})")
    top = ax.twiny()
    top.set_xscale("log")
    top.set_xlim(ax.get_xlim())
    nz = table.nonzeros[rows]
    ticks = np.unique(np.linspace(0, len(reg) - 1, min(len(reg), 8)).round().astype(int))
    top.set_xticks(reg[ticks])
    top.set_xticklabels([str(int(nz[t])) for t in ticks])
    top.minorticks_off()
    top.set_xlabel("non-zero coefficients")
    if labelled:
        ax.legend(fontsize="small", loc="best")
    return fig


def plot_cv(model: LassoModel, ax: Any = None) -> Any:
    """Mean CV MSE (or a logistic model's CV metric) against regParam (log axis) with ±1
    standard-error bars for the chosen elasticNetParam; vertical lines at the min and 1se
    regParams."""
    cv = model.cvTable
    if cv is None:
        raise ValueError("this model has no cross-validation results (fit it with LassoCV)")
    _pyplot()
    enp = cv.elastic_net_params[cv.index_chosen]
    rows = np.flatnonzero(cv.elastic_net_params == enp)
    rows = rows[np.argsort(cv.reg_params[rows])]
    fig, ax = _axes(ax)
    r_min, r_1se = cv.reg_params[cv.index_min], cv.reg_params[cv.index_1se]
    # a logistic CV table names its metric; a linear one holds MSEs
    metric = getattr(cv, "metric", None)
    mean = cv.mean[metric] if metric else cv.mse_mean
    se = cv.se[metric] if metric else cv.mse_se
    short, long_name = (metric, metric) if metric else ("MSE", "mean squared error")
    if cv.validation:  # one validation split: no standard error, no 1se
        ax.plot(cv.reg_params[rows], mean[rows], "o-", ms=3, color="tab:red",
                label=f"validation {short}")
        title = f"validation set (elasticNetParam = {enp:g})"
    else:
        ax.errorbar(cv.reg_params[rows], mean[rows], yerr=se[rows], fmt="o",
                    ms=3, color="tab:red", ecolor="0.6", elinewidth=0.8, capsize=2,
                    label=f"mean CV {short} ± 1 s.e.")
        title = (f"{cv.n_folds}-fold cross-validation (elasticNetParam = {enp:g}, "
                 f"rule: {cv.selection_rule})")
    ax.set_xscale("log")
    ax.axvline(r_min, color="k", ls="--", lw=1.0, label=f"min: {r_min:.4g}")
    if not cv.validation:
        ax.axvline(r_1se, color="tab:blue", ls=":", lw=1.2, label=f"1se: {r_1se:.4g}")
    ax.set_xlabel("regParam (log scale)")
    ax.set_ylabel(long_name)
    ax.set_title(title)
    ax.legend(fontsize="small", loc="best")
    return fig
