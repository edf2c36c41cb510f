"""Reference computations for the solver tests, from the raw rows (never from a Gram)."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning
from sklearn.linear_model import ElasticNet


def standardize(X, w, center=True, scale=True):
    """Weighted mean / population std standardization; returns (X̃, mean, std)."""
    W = w.sum()
    mu = (w @ X) / W
    sd = np.sqrt((w @ (X - mu) ** 2) / W)
    Xt = X - mu if center else X.copy()
    if scale:
        Xt = Xt / np.where(sd > 0, sd, 1.0)
    return Xt, mu, sd


def objective(Xt, y, w, b0, beta, alpha, rho, v=None):
    """1/(2W) Σ w (y − b0 − X̃β)² + α Σ v (ρ|β| + (1−ρ)/2 β²)."""
    v = np.ones(Xt.shape[1]) if v is None else v
    r = y - b0 - Xt @ beta
    return 0.5 * (w @ (r * r)) / w.sum() + alpha * np.sum(
        v * (rho * np.abs(beta) + 0.5 * (1 - rho) * beta * beta)
    )


def duality_gap(Xt, y, w, beta, alpha, rho, v=None):
    """scikit-learn's elastic-net gap (divided by W) from the rows; Xt, y already centered if
    there is an intercept. The dual norm runs over penalized features only."""
    v = np.ones(Xt.shape[1]) if v is None else v
    W = w.sum()
    l1, l2 = alpha * rho, alpha * (1 - rho)
    r = y - Xt @ beta
    R2 = (w @ (r * r)) / W
    Ry = (w @ (r * y)) / W
    XtA = Xt.T @ (w * r) / W - l2 * v * beta
    pen = v > 0
    dual = np.max(np.abs(XtA[pen]) / v[pen]) if pen.any() else 0.0
    k = l1 / dual if dual > l1 else 1.0
    return (
        0.5 * R2 * (1 + k * k)
        + l1 * np.sum(v * np.abs(beta))
        - k * Ry
        + 0.5 * l2 * (1 + k * k) * np.sum(v * beta * beta)
    )


def sk_enet(Xt, y, w, alpha, rho, fit_intercept=True, tol=1e-13):
    """scikit-learn ElasticNet at a tight tolerance: (intercept, coef)."""
    m = ElasticNet(
        alpha=alpha, l1_ratio=rho, fit_intercept=fit_intercept, tol=tol, max_iter=1_000_000
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", SkConvergenceWarning)
        m.fit(Xt, y, sample_weight=w)
    return float(m.intercept_), m.coef_.copy()
