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


def _axes(ax: Any, figsize: tuple[float, float] = (10.0, 5.0)) -> tuple[Any, Any]:
    if ax is not None:
        return ax.figure, ax
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax


def _legend_outside(ax: Any, **kwargs: Any) -> Any:
    """A legend to the right of ``ax``, outside the plotting area, so it never covers data."""
    return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                     fontsize="small", **kwargs)


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
    entries; the other lines are drawn thin and grey. The legend sits outside the axes. A
    group-lasso model (``featureGroups``) draws one line per group instead: its norm
    ``‖σ_g β_g‖₂`` on the standardized scale the penalty applies to (features in no group are
    groups of one). A multinomial model draws one line per feature: the norm ``‖σ_j β_j·‖₂``
    of its K class coefficients (standardized scale)."""
    table = model.pathTable
    if table is None:
        raise ValueError("this model has no path to plot")
    plt = _pyplot()
    from matplotlib.lines import Line2D

    rows = model._path_rows(elastic_net_param)
    reg = table.reg_params[rows]
    if np.any(reg <= 0):
        raise ValueError("regParam must be > 0 on every path point for a log axis")
    coef = table.coef[rows]
    fig, ax = _axes(ax)
    std = model.featureStd if model.featureStd is not None else np.ones(model.numFeatures)
    names = model.featureNames
    ylabel = "coefficient (original scale)"
    # group lasso: one line per group norm (a LogisticLassoModel has no groups)
    blocks = model.featureBlocks() if hasattr(model, "featureBlocks") else None
    if coef.ndim == 3:  # multinomial (m, K, p): one line per feature, its norm over classes
        coef = np.linalg.norm(coef * std[None, None, :], axis=1)
        std = np.ones(coef.shape[1])
        ylabel = "‖σ_j β_j·‖₂ over the classes (standardized scale)"
    elif blocks is not None:
        coef = np.column_stack([np.linalg.norm(coef[:, b] * std[b], axis=1) for b in blocks])
        names = [names[b[0]] if len(b) == 1 else f"{names[b[0]]} … ({len(b)} features)"
                 for b in blocks]
        std = np.ones(len(blocks))
        ylabel = "group norm ‖σ_g β_g‖₂ (standardized scale)"
    ever = np.flatnonzero(np.any(coef != 0.0, axis=0))
    at = int(np.argmin(np.abs(np.log(reg) - np.log(model.regParam))))
    size = np.abs(coef[at] * std)
    kept = ever[size[ever] > 0.0]
    labelled = kept[np.argsort(-size[kept], kind="stable")][:max_labels].tolist()
    colours = plt.get_cmap("tab20" if len(labelled) > 10 else "tab10")
    others = [j for j in ever if j not in labelled]
    for j in others:
        ax.plot(reg, coef[:, j], lw=0.8, color="0.75", zorder=1)
    for rank, j in enumerate(labelled):
        ax.plot(reg, coef[:, j], lw=1.4, color=colours(rank % colours.N), label=names[j],
                zorder=2)
    ax.set_xscale("log")
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.axvline(model.regParam, color="k", ls="--", lw=1.0,
               label=f"chosen regParam = {model.regParam:.4g}")
    ax.set_xlabel("regParam (log scale)")
    ax.set_ylabel(ylabel)
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
    handles, labels = ax.get_legend_handles_labels()
    if others:  # a proxy entry: the grey lines themselves stay unlabelled
        handles.append(Line2D([], [], lw=0.8, color="0.75"))
        labels.append(f"{len(others)} other feature{'s' if len(others) > 1 else ''}")
    title = f"{len(kept)} non-zero at the choice"
    if len(labelled) < len(kept):
        title += f"\n(the {len(labelled)} largest named)"
    _legend_outside(ax, handles=handles, labels=labels, title=title, title_fontsize="small")
    return fig


def cv_zoom_ylim(mean: np.ndarray, se: np.ndarray, i_min: int, i_1se: int) -> tuple[float, float]:
    """A y-range for the CV curve that shows the min and 1se points with their ±1 s.e. bars
    large enough to compare: from the lowest bar to a margin above the two points' bars, or
    the whole curve when that is no wider."""
    se = np.where(np.isfinite(se), se, 0.0)
    finite = np.isfinite(mean)
    low = float(np.min((mean - se)[finite]))
    high_all = float(np.max((mean + se)[finite]))
    top = max(mean[i_min] + se[i_min], mean[i_1se] + se[i_1se])
    h = top - low
    if not h > 0.0 or high_all - low <= 4.0 * h:
        pad = 0.05 * max(high_all - low, abs(high_all) * 1e-9, 1e-300)
        return low - pad, high_all + pad
    return low - 0.15 * h, top + 1.5 * h


def plot_cv(model: LassoModel, ax: Any = None) -> Any:
    """Mean CV MSE against regParam (log axis) with ±1 standard-error bars for the chosen
    elasticNetParam (a relaxed lasso: for the chosen γ, with one thinner curve per other γ);
    vertical lines at the min and 1se regParams, the chosen one solid and
    marked; the y-range zoomed to show the min-to-1se gap (:func:`cv_zoom_ylim`), with the whole
    curve in a second panel below when zoomed (only when ``ax`` is not given). The legend sits
    outside the axes."""
    cv = model.cvTable
    if cv is None:
        raise ValueError("this model has no cross-validation results (fit it with LassoCV)")
    plt = _pyplot()
    enp = cv.elastic_net_params[cv.index_chosen]
    gammas = getattr(cv, "relax_gammas", None)  # the relaxed lasso's (linear CV tables)
    gamma = 1.0 if gammas is None else gammas[cv.index_chosen]
    rows = np.flatnonzero((cv.elastic_net_params == enp)
                          & (True if gammas is None else gammas == gamma))
    rows = rows[np.argsort(cv.reg_params[rows])]
    # a logistic CV table names its metric (deviance, auc, misclassification); a linear one
    # holds MSEs
    metric = getattr(cv, "metric", None)
    short = metric or "MSE"
    reg = cv.reg_params[rows]
    mean = (cv.mean[metric] if metric else cv.mse_mean)[rows]
    se = (cv.se[metric] if metric else cv.mse_se)[rows]
    tag = f", relaxGamma = {gamma:g}" if gammas is not None and cv.relaxed else ""
    i_min = int(np.flatnonzero(rows == cv.index_min)[0]) if cv.index_min in rows else 0
    i_1se = int(np.flatnonzero(rows == cv.index_1se)[0]) if cv.index_1se in rows else i_min
    chosen_rule = "min" if cv.validation else cv.selection_rule
    ylim = cv_zoom_ylim(mean, np.zeros_like(se) if cv.validation else se, i_min, i_1se)
    zoomed = ylim[1] < float(np.nanmax(mean + np.nan_to_num(se)))
    overview = None
    if ax is None:
        if zoomed:
            fig, (ax, overview) = plt.subplots(
                2, 1, figsize=(10.0, 6.5), sharex=True, layout="constrained",
                gridspec_kw={"height_ratios": [3.0, 1.2]})
        else:
            fig, ax = _axes(None)
    else:
        fig = ax.figure
    r_min, r_1se = cv.reg_params[cv.index_min], cv.reg_params[cv.index_1se]
    if cv.validation:  # one validation split: no standard error, no 1se
        ax.plot(reg, mean, "o-", ms=3, color="tab:red", label=f"validation {short}")
        title = f"validation set (elasticNetParam = {enp:g})"
    else:
        ax.errorbar(reg, mean, yerr=se, fmt="o", ms=3.5, color="tab:red", ecolor="0.3",
                    elinewidth=1.0, capsize=2.5, label=f"mean CV {short} ± 1 s.e." + tag,
                    zorder=3)
        others = set() if gammas is None else set(gammas.tolist()) - {gamma}
        for other in sorted(others, reverse=True):
            o = np.flatnonzero((cv.elastic_net_params == enp) & (cv.relax_gammas == other))
            o = o[np.argsort(cv.reg_params[o])]
            ax.errorbar(cv.reg_params[o], cv.mse_mean[o], yerr=cv.mse_se[o], fmt="o-", ms=2,
                        lw=0.9, elinewidth=0.6, capsize=1.5, alpha=0.7, zorder=2,
                        label=f"relaxGamma = {other:g}")
        title = (f"{cv.n_folds}-fold cross-validation (elasticNetParam = {enp:g}, "
                 f"rule: {cv.selection_rule})")
    ax.set_xscale("log")
    styles = {True: {"ls": "-", "lw": 1.8}, False: {"ls": "--", "lw": 1.0}}
    ax.axvline(r_min, color="k", label=f"min: {r_min:.4g}", **styles[chosen_rule == "min"])
    if not cv.validation:
        ax.axvline(r_1se, color="tab:blue", label=f"1se: {r_1se:.4g}",
                   **styles[chosen_rule == "1se"])
        bound = mean[i_min] + se[i_min]
        ax.axhline(bound, color="0.5", ls=":", lw=1.0,
                   label=f"min + 1 s.e. = {bound:.5g}")
    i_chosen = i_min if chosen_rule == "min" else i_1se
    ax.plot([reg[i_chosen]], [mean[i_chosen]], marker="o", ms=11, mfc="none", mew=2.0,
            color="tab:green", ls="none", zorder=4,
            label=(f"chosen ({chosen_rule} rule): {short} {mean[i_chosen]:.5g}"
                   + ("" if cv.validation else f" ± {se[i_chosen]:.2g}")))
    # r_min <= r_1se: "min" to the left of its line, "1se" to the right, so they never overlap
    for r, name, dx, ha in ((r_min, "min", -3, "right"), (r_1se, "1se", 3, "left")):
        if cv.validation and name == "1se":
            continue
        ax.annotate(name + (" (chosen)" if name == chosen_rule else ""),
                    xy=(r, 1.0), xycoords=("data", "axes fraction"), xytext=(dx, -4),
                    textcoords="offset points", ha=ha, va="top", fontsize="small",
                    fontweight="bold" if name == chosen_rule else "normal",
                    bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none",
                          "alpha": 0.8})
    ax.set_ylim(*ylim)
    ax.set_ylabel((metric or "mean squared error") + (" (zoomed)" if zoomed else ""))
    ax.set_title(title)
    if overview is None:
        ax.set_xlabel("regParam (log scale)")
    else:
        overview.plot(reg, mean, "-", color="tab:red", lw=1.2)
        overview.axhspan(ylim[0], ylim[1], facecolor="tab:blue", alpha=0.3,
                         edgecolor="tab:blue", lw=0.8, label="y-range of the panel above")
        overview.axvline(r_min, color="k", **styles[chosen_rule == "min"])
        if not cv.validation:
            overview.axvline(r_1se, color="tab:blue", **styles[chosen_rule == "1se"])
        overview.set_xlabel("regParam (log scale)")
        overview.set_ylabel("whole curve")
        _legend_outside(overview)
    _legend_outside(ax)
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
    _legend_outside(ax, title="stable (probability)", title_fontsize="small", frameon=False)
    return fig
