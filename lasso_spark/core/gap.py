"""The elastic-net duality gap on a Gram problem: the one copy of the formula in the core.

Problem (the standardized form every solver of the package works on; see
:mod:`lasso_spark.core.path`)::

    P(β) = ½ yy − cᵀβ + ½ βᵀGβ + Σ_j v_j (l1 |β_j| + ½ l2 β_j²),   l1 = αρ,  l2 = α(1−ρ)

with ``G = X̃ᵀWX̃/W``, ``c = X̃ᵀWy/W``, ``yy = yᵀWy/W``. With ``g = c − Gβ`` (= ``X̃ᵀW r / W``
for the residual ``r``) the dual point is the residual scaled by
``κ = min(1, l1 / max_{v_j>0} |g_j − l2 v_j β_j| / v_j)`` (scikit-learn's, divided by W; the
penalty factors generalise the dual norm), and the gap is::

    gap = ½(1−κ)² (yy − cᵀβ) − ½(1+κ²) gᵀβ + l1 Σ v|β| + ½ l2 (1+κ²) Σ v β²

which is algebraically ``½(1+κ²)R² − κ rᵀy/W + penalty`` with ``R² = yy − cᵀβ − gᵀβ``,
rearranged so that no large terms cancel when ``κ ≈ 1``. It bounds ``P(β) − P(β*)`` from
above. Unpenalized features (``v_j = 0``) must have ``g_j = 0`` for the dual point to be
feasible (the solvers fit them exactly); they do not enter the dual norm.

Wide mode solves on a working set and knows ``g_j`` outside it from a distributed pass: it
passes ``outside_dual_norm = max_{j outside, v_j>0} |g_j| / v_j`` (β = 0 there).
"""

from __future__ import annotations

import numpy as np

__all__ = ["duality_gap", "gap_from_gradient"]


def gap_from_gradient(
    c: np.ndarray,
    g: np.ndarray,
    beta: np.ndarray,
    v: np.ndarray,
    yy: float,
    l1: float,
    l2: float,
    outside_dual_norm: float = 0.0,
) -> float:
    """The duality gap (module docstring) from β and its exact gradient ``g = c − Gβ``, all
    over the same features; ``outside_dual_norm`` is the dual norm over features not listed
    (β = 0 there). Vectorized numpy, O(p)."""
    nz = beta != 0.0
    b = beta[nz]
    vb = v[nz]
    cb = float(c[nz] @ b)
    gb = float(g[nz] @ b)
    l1n = float(vb @ np.abs(b))
    l2n = float(vb @ (b * b))
    pen = v > 0.0
    dual = float(outside_dual_norm)
    if pen.any():
        dual = max(dual, float(np.max(np.abs(g[pen] - l2 * v[pen] * beta[pen]) / v[pen])))
    kappa = l1 / dual if dual > l1 else 1.0
    return (
        0.5 * (1.0 - kappa) ** 2 * (yy - cb)
        - 0.5 * (1.0 + kappa * kappa) * gb
        + l1 * l1n
        + 0.5 * l2 * (1.0 + kappa * kappa) * l2n
    )


def duality_gap(
    G: np.ndarray,
    c: np.ndarray,
    yy: float,
    beta: np.ndarray,
    alpha: float,
    l1_ratio: float = 1.0,
    penalty_factor: np.ndarray | None = None,
    *,
    gradient: np.ndarray | None = None,
    outside_dual_norm: float = 0.0,
) -> float:
    """Duality gap, in objective units, of ``beta`` for the Gram problem ``(G, c, yy)`` at
    ``alpha`` and ``l1_ratio`` with penalty factors ``penalty_factor`` (default 1).

    ``gradient``: ``c − Gβ`` when the caller has it (saves the product with G);
    ``outside_dual_norm``: ``max |g_j| / v_j`` over penalized features that are not part of
    ``G`` (β = 0 there), e.g. wide mode's features outside its working set. See the module
    docstring for the formula. ``≤ tol · yy`` is the solvers' convergence criterion.
    """
    c = np.asarray(c, dtype=np.float64)
    beta = np.asarray(beta, dtype=np.float64)
    v = np.ones(c.shape[0]) if penalty_factor is None else np.asarray(
        penalty_factor, dtype=np.float64)
    g = c - np.asarray(G, dtype=np.float64) @ beta if gradient is None else np.asarray(
        gradient, dtype=np.float64)
    rho = float(l1_ratio)
    return gap_from_gradient(c, g, beta, v, float(yy), alpha * rho, alpha * (1.0 - rho),
                             outside_dual_norm)
