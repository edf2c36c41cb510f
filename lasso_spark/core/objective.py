"""The elastic-net problem every part of lasso_spark solves, stated once.

With rows ``(x_i, y_i)``, weights ``w_i ≥ 0``, ``W = Σ w_i`` and per-feature penalty factors
``v_j ≥ 0`` (0 = never penalized, ``inf`` = excluded; used as given, not rescaled to sum to p as
glmnet does)::

    min_{b0, β}  1/(2W) Σ_i w_i (y_i − b0 − x̃_iᵀβ)²  +  α Σ_j v_j ( ρ|β_j| + (1−ρ)/2 β_j² )

``ρ = l1_ratio`` in (0, 1]. ``x̃ = (x − μ)/σ`` with the weighted mean and *population* standard
deviation when standardizing, ``x̃ = x − μ`` otherwise. Without an intercept there is no
centering (``b0 = 0``, uncentered moments) but standardizing still divides by the centered σ, as
glmnet and Spark MLlib do. Coefficients are reported on the original scale (``β_j/σ_j``, with
``b0 = μy − μxᵀβ``); a feature of zero variance (or ``v_j = inf``) gets exactly 0.

On sufficient statistics the smooth part is a quadratic form. With ``G = X̃ᵀWX̃/W``,
``c = X̃ᵀWy/W`` and ``yy = yᵀWy/W`` (centered moments with an intercept)::

    P(β) = ½ yy − cᵀβ + ½ βᵀGβ + Σ_j v_j (l1 |β_j| + ½ l2 β_j²),    l1 = αρ,  l2 = α(1−ρ)

Convergence is certified by the duality gap of this problem (scikit-learn's, divided by W, with
``v`` generalizing the dual norm). With ``g = c − Gβ`` (the correlation of the residual)::

    dual = max_{v_j > 0} |g_j − l2 v_j β_j| / v_j,      κ = min(1, l1 / dual)
    gap  = ½(1−κ)² (yy − cᵀβ) − ½(1+κ²) gᵀβ + l1 Σ v|β| + ½ l2 (1+κ²) Σ v β²

(algebraically ``½(1+κ²)R² − κ rᵀy/W + …`` with ``R² = yy − cᵀβ − gᵀβ``, arranged so that no large
terms cancel when ``κ ≈ 1``). A path stops at each alpha when ``gap ≤ tol · yy``, the criterion
of scikit-learn, whose gap and ``‖y‖²`` are both W times ours.

:func:`gap_from_moments` is that formula on scalars; the numba kernels compile the same function
(they never restate it) and :func:`duality_gap` evaluates it on arrays, for callers such as wide
mode whose dual norm also runs over features outside the solved set. The Spark-facing parameter
names (MLlib's ``regParam``, ``elasticNetParam``) map onto ``(α, ρ)`` in
:mod:`lasso_spark.ml.mapping`.
"""

from __future__ import annotations

import logging

import numpy as np

logger = logging.getLogger(__name__)

__all__ = ["duality_gap", "elastic_net_penalty", "gap_from_moments", "primal_objective"]


def gap_from_moments(
    yy: float,
    cb: float,
    gb: float,
    l1: float,
    l2: float,
    l1_norm: float,
    l2_norm: float,
    dual_norm: float,
) -> float:
    """The duality gap (module docstring) from its scalar ingredients.

    ``cb = cᵀβ``, ``gb = gᵀβ``, ``l1_norm = Σ v|β|``, ``l2_norm = Σ v β²`` and ``dual_norm`` the
    max of ``|g_j − l2 v_j β_j| / v_j`` over penalized features. Plain Python on floats, so that
    numba can compile it unchanged.
    """
    kappa = 1.0
    if dual_norm > l1:
        kappa = l1 / dual_norm
    return (
        0.5 * (1.0 - kappa) ** 2 * (yy - cb)
        - 0.5 * (1.0 + kappa * kappa) * gb
        + l1 * l1_norm
        + 0.5 * l2 * (1.0 + kappa * kappa) * l2_norm
    )


def duality_gap(
    G: np.ndarray,
    c: np.ndarray,
    yy: float,
    beta: np.ndarray,
    v: np.ndarray,
    alpha: float,
    l1_ratio: float,
    outside_dual_norm: float = 0.0,
) -> float:
    """Duality gap of ``β`` for the quadratic problem ``(G, c, yy)`` with penalty factors ``v``.

    ``outside_dual_norm`` extends the dual norm to features that are not in ``G`` (their
    ``β_j = 0``): the max of ``|g_j| / v_j`` over them, known from a separate ``Xᵀr`` pass.
    """
    l1, l2 = alpha * l1_ratio, alpha * (1.0 - l1_ratio)
    g = c - G @ beta
    pen = v > 0.0
    dual = float(np.max(np.abs(g - l2 * v * beta)[pen] / v[pen], initial=0.0))
    return gap_from_moments(
        float(yy),
        float(c @ beta),
        float(g @ beta),
        l1,
        l2,
        float(np.sum(v * np.abs(beta))),
        float(np.sum(v * beta * beta)),
        max(dual, float(outside_dual_norm)),
    )


def elastic_net_penalty(beta: np.ndarray, alpha: float, l1_ratio: float,
                        v: np.ndarray | None = None) -> float:
    """The penalty ``α Σ_j v_j (ρ|β_j| + (1−ρ)/2 β_j²)`` (``v`` all ones when ``None``), of
    every family (the binomial objective of :mod:`lasso_spark.core.binomial` uses it too)."""
    l1, l2 = alpha * l1_ratio, alpha * (1.0 - l1_ratio)
    if v is None:
        return l1 * float(np.abs(beta).sum()) + 0.5 * l2 * float(np.vdot(beta, beta))
    return float(np.sum(v * (l1 * np.abs(beta) + 0.5 * l2 * beta * beta)))


def primal_objective(
    G: np.ndarray,
    c: np.ndarray,
    yy: float,
    beta: np.ndarray,
    v: np.ndarray,
    alpha: float,
    l1_ratio: float,
) -> float:
    """``P(β)`` of the module docstring (the objective on the standardized scale)."""
    smooth = 0.5 * float(yy) - float(c @ beta) + 0.5 * float(beta @ (G @ beta))
    return smooth + elastic_net_penalty(beta, alpha, l1_ratio, v)
