"""Plot layout: the path legend never covers the curves; the CV plot labels min, 1se and the
choice, and its y-range shows both points' standard-error bars with the gap between them."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

from lasso_spark.ml import CVTable, LassoModel, PathTable, select_min_1se
from lasso_spark.plotting import cv_zoom_ylim

matplotlib.use("Agg")


def demo_like_model(rule: str = "1se", p: int = 30, m: int = 100) -> LassoModel:
    """The demo's shape: a long flat CV curve near the noise level (1.0) with small standard
    errors, rising steeply (to ~5) at large regParam; 5 of ``p`` features enter early."""
    reg = np.logspace(0.15, -3.85, m)  # decreasing, like the estimators' grid
    t = reg / reg[0]
    mean = 1.0 - 0.0012 * np.exp(-((np.log10(reg) + 2.6) ** 2)) + 4.2 * t ** 1.3
    se = np.full(m, 0.0046)
    i_min, i_1se = select_min_1se(mean, se, reg, np.ones(m))
    folds = mean[:, None] + np.linspace(-1, 1, 5)[None, :] * se[:, None] * np.sqrt(5) / 1.58
    cv = CVTable(elastic_net_params=np.ones(m), reg_params=reg, nonzeros=np.zeros(m, int),
                 mse_mean=mean, mse_se=se, mse_folds=folds, index_min=i_min, index_1se=i_1se,
                 selection_rule=rule)
    truth = np.zeros(p)
    truth[[5, 21, 22, 28, 29]] = [0.65, -0.9, 1.42, -1.71, 0.6]
    coef = np.sign(truth) * np.maximum(np.abs(truth)[None, :] - 0.7 * reg[:, None], 0.0)
    coef[:, 3] = np.maximum(0.001 - reg, 0.0)  # a late, small entrant (a grey line)
    path = PathTable(elastic_net_params=np.ones(m), reg_params=reg, alphas=reg,
                     l1_ratios=np.ones(m), coef=coef, intercepts=np.full(m, 3.0),
                     nonzeros=np.count_nonzero(coef, axis=1), duality_gaps=np.zeros(m),
                     iterations=np.ones(m, int), converged=np.ones(m, bool))
    return LassoModel.fromPath(path, cv.index_chosen, featureNames=[f"x{j}" for j in range(p)],
                               cv=cv, featureStd=np.ones(p))


def _bbox(artist, fig):
    fig.canvas.draw()
    return artist.get_window_extent(fig.canvas.get_renderer())


def test_path_legend_outside_the_axes():
    import matplotlib.pyplot as plt

    model = demo_like_model()
    fig = model.plotPath()
    ax = fig.axes[0]
    legend = ax.get_legend()
    assert legend is not None
    box, axes_box = _bbox(legend, fig), _bbox(ax, fig)
    assert box.x0 >= axes_box.x1  # entirely to the right of the plotting area
    labels = [t.get_text() for t in legend.get_texts()]
    kept = [model.featureNames[j] for j in np.flatnonzero(model.coefficients.toArray())]
    assert set(kept) <= set(labels)
    assert f"chosen regParam = {model.regParam:.4g}" in labels
    assert "1 other feature" in labels  # the grey line's proxy entry
    assert legend.get_title().get_text() == f"{len(kept)} non-zero at the choice"
    # the figure, saved as the fit job does, keeps the legend inside the image
    from lasso_spark.jobs_lib.fit import _png

    assert len(_png(fig)) > 1000
    plt.close("all")


@pytest.mark.parametrize("rule", ["1se", "min"])
def test_cv_plot_labels_choice_and_zooms_to_the_gap(rule):
    import matplotlib.pyplot as plt

    model = demo_like_model(rule)
    cv = model.cvTable
    i_min, i_1se = cv.index_min, cv.index_1se
    assert cv.reg_params[i_1se] > cv.reg_params[i_min]  # a real gap to show
    fig = model.plotCV()
    ax, overview = fig.axes[0], fig.axes[1]
    lines = {str(ln.get_label()): ln for ln in ax.get_lines()}
    r_min, r_1se = cv.reg_params[i_min], cv.reg_params[i_1se]
    chosen = lines[f"min: {r_min:.4g}" if rule == "min" else f"1se: {r_1se:.4g}"]
    other = lines[f"1se: {r_1se:.4g}" if rule == "min" else f"min: {r_min:.4g}"]
    assert chosen.get_linestyle() == "-" and other.get_linestyle() == "--"
    assert chosen.get_linewidth() > other.get_linewidth()
    marker = [ln for name, ln in lines.items() if name.startswith(f"chosen ({rule} rule)")]
    assert len(marker) == 1 and marker[0].get_xdata()[0] == cv.reg_params[cv.index_chosen]
    texts = [t.get_text() for t in ax.texts]
    assert f"{rule} (chosen)" in texts and ({"min", "1se"} - {rule}) <= set(texts)
    bound = f"min + 1 s.e. = {cv.mse_mean[i_min] + cv.mse_se[i_min]:.5g}"
    assert bound in lines

    lo, hi = ax.get_ylim()
    for i in (i_min, i_1se):  # both points with their whole error bars
        assert lo <= cv.mse_mean[i] - cv.mse_se[i] and cv.mse_mean[i] + cv.mse_se[i] <= hi
    # zoomed: the s.e. bar is a visible share of the y-range (the whole curve spans ~4.2,
    # where a bar of 2 × 0.0046 would be 0.2 % of the height)
    assert 2 * cv.mse_se[i_min] / (hi - lo) > 0.1
    assert (cv.mse_mean[i_1se] - cv.mse_mean[i_min]) / (hi - lo) > 0.02
    assert "zoomed" in ax.get_ylabel()
    o_lo, o_hi = overview.get_ylim()
    assert o_lo <= cv.mse_mean.min() and cv.mse_mean.max() <= o_hi  # the whole curve below

    legend = ax.get_legend()
    assert _bbox(legend, fig).x0 >= _bbox(ax, fig).x1
    plt.close("all")


def test_cv_zoom_falls_back_to_the_whole_curve():
    mean = np.array([3.0, 2.0, 1.5, 1.7])
    se = np.array([0.5, 0.4, 0.3, 0.4])
    lo, hi = cv_zoom_ylim(mean, se, 2, 1)
    assert lo < (mean - se).min() and hi > (mean + se).max()
    # no spread (a validation split): the whole curve as well
    lo, hi = cv_zoom_ylim(mean, np.zeros(4), 2, 2)
    assert lo < 1.5 and hi > 3.0


def test_cv_plot_on_a_given_axes_has_one_panel():
    import matplotlib.pyplot as plt

    model = demo_like_model()
    fig, ax = plt.subplots()
    assert model.plotCV(ax=ax) is fig and fig.axes == [ax]
    plt.close("all")
