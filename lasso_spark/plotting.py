"""Plots of a fitted ``LassoModel``: the coefficient path, the cross-validation curve and the
stability-selection probabilities.

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

__all__ = ["plot_cv", "plot_path", "plot_stability"]


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
    """Mean CV MSE against regParam (log axis) with ±1 standard-error bars for the chosen
    elasticNetParam; vertical lines at the min and 1se regParams."""
    cv = model.cvTable
    if cv is None:
        raise ValueError("this model has no cross-validation results (fit it with LassoCV)")
    _pyplot()
    enp = cv.elastic_net_params[cv.index_chosen]
    rows = np.flatnonzero(cv.elastic_net_params == enp)
    rows = rows[np.argsort(cv.reg_params[rows])]
    fig, ax = _axes(ax)
    r_min, r_1se = cv.reg_params[cv.index_min], cv.reg_params[cv.index_1se]
    if cv.validation:  # one validation split: no standard error, no 1se
        ax.plot(cv.reg_params[rows], cv.mse_mean[rows], "o-", ms=3, color="tab:red",
                label="validation MSE")
        title = f"validation set (elasticNetParam = {enp:g})"
    else:
        ax.errorbar(cv.reg_params[rows], cv.mse_mean[rows], yerr=cv.mse_se[rows], fmt="o",
                    ms=3, color="tab:red", ecolor="0.6", elinewidth=0.8, capsize=2,
                    label="mean CV MSE ± 1 s.e.")
        title = (f"{cv.n_folds}-fold cross-validation (elasticNetParam = {enp:g}, "
                 f"rule: {cv.selection_rule})")
    ax.set_xscale("log")
    ax.axvline(r_min, color="k", ls="--", lw=1.0, label=f"min: {r_min:.4g}")
    if not cv.validation:
        ax.axvline(r_1se, color="tab:blue", ls=":", lw=1.2, label=f"1se: {r_1se:.4g}")
    ax.set_xlabel("regParam (log scale)")
    ax.set_ylabel("mean squared error")
    ax.set_title(title)
    ax.legend(fontsize="small", loc="best")
    return fig


def plot_stability(report: Any, table: Any, feature_names: list[str], ax: Any = None,
                   max_labels: int = 20) -> Any:
    """Selection probability against regParam (log axis), one line per feature ever selected:
    the stable features of ``report`` (a ``StabilityReport``) in distinct colours and labelled
    (up to ``max_labels``, most probable first; the legend gives each one's probability at the
    report's regParam), the others thin and grey; the threshold as a horizontal line, the
    report's regParam as a vertical one; the mean number of features per half-sample on a top
    axis. ``table`` is the model's ``StabilityTable``."""
    plt = _pyplot()
    reg = np.asarray(table.reg_params, dtype=np.float64)
    prob = np.asarray(table.probabilities, dtype=np.float64)
    order = np.argsort(reg)
    reg, prob = reg[order], prob[order]
    fig, ax = _axes(ax)
    index = {name: j for j, name in enumerate(feature_names)}
    stable = [index[name] for name in report.stableFeatures]
    labelled = stable[:max_labels]
    at = int(np.argmin(np.abs(np.log(reg) - np.log(report.regParam))))
    for j in np.flatnonzero(prob.max(axis=0) > 0.0):
        if j not in labelled:
            ax.plot(reg, prob[:, j], lw=0.8, color="0.72", zorder=1)
    colours = plt.get_cmap("tab20" if len(labelled) > 10 else "tab10")
    for rank, j in enumerate(labelled):
        ax.plot(reg, prob[:, j], lw=1.6, color=colours(rank % colours.N), zorder=3,
                label=f"{feature_names[j]} ({prob[at, j]:.2f})")
    if len(stable) > len(labelled):
        ax.plot([], [], lw=1.6, color="0.3", label=f"+ {len(stable) - len(labelled)} more stable")
    ax.axhline(report.threshold, color="tab:red", ls="--", lw=1.1, zorder=2,
               label=f"threshold = {report.threshold:g}")
    ax.axvline(report.regParam, color="k", ls=":", lw=1.1, zorder=2,
               label=f"regParam = {report.regParam:.4g}")
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.04)
    ax.set_xlabel("regParam (log scale)")
    ax.set_ylabel("selection probability (fraction of half-samples)")
    ax.set_title(f"Stability selection: {report.numSubsamples} complementary pairs of "
                 f"half-samples, {report.numBuckets} buckets "
                 f"(elasticNetParam = {report.elasticNetParam:g})", fontsize="medium")
    ax.text(0.02, 0.04,
            f"{len(stable)} of {report.numFeatures} features stable at regParam "
            f"{report.regParam:.4g}\nq = {report.q:.3g} features per half-sample\n"
            f"E[false selections] \u2264 {report.expectedFalseSelectionsBound:.3g} "
            "(Meinshausen\u2013B\u00fchlmann)",
            transform=ax.transAxes, fontsize="small", va="bottom", ha="left", zorder=4,
            bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "0.7", "alpha": 0.9})
    top = ax.twiny()
    top.set_xscale("log")
    top.set_xlim(ax.get_xlim())
    mean = prob.sum(axis=1)
    ticks = np.unique(np.linspace(0, len(reg) - 1, min(len(reg), 8)).round().astype(int))
    top.set_xticks(reg[ticks])
    top.set_xticklabels([f"{mean[t]:.1f}" for t in ticks])
    top.minorticks_off()
    top.set_xlabel("mean features selected per half-sample")
    ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5),
              title="stable (probability)", title_fontsize="small", frameon=False)
    return fig
