"""Checks of the penalty's parameters: per-feature factors ``v`` and the mixing ``l1_ratio``.

The penalty itself is stated in :mod:`lasso_spark.core.objective`. These are the one copy of the
checks that Gram mode, wide mode and cross-validation apply before solving.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

logger = logging.getLogger(__name__)

__all__ = ["check_l1_ratio", "check_penalty_factor"]


def check_penalty_factor(
    penalty_factor: Sequence[float] | np.ndarray | None, n_features: int
) -> np.ndarray:
    """``v`` as a float64 ``(p,)`` array (all ones for ``None``); ``>= 0`` or ``inf`` each."""
    if penalty_factor is None:
        return np.ones(n_features)
    v = np.asarray(penalty_factor, dtype=np.float64)
    if v.shape != (n_features,):
        raise ValueError(f"penalty_factor must have shape ({n_features},), got {v.shape}")
    bad = np.isnan(v) | (v < 0)
    if bad.any():
        raise ValueError(
            f"penalty_factor must be >= 0 (inf allowed); {int(bad.sum())} entries are negative "
            f"or NaN, first at index {int(np.flatnonzero(bad)[0])}"
        )
    return v


def check_l1_ratio(l1_ratio: float) -> float:
    """``ρ`` as a float in (0, 1] (pure ridge, ρ = 0, has no alpha_max and no lasso path)."""
    rho = float(l1_ratio)
    if not 0.0 < rho <= 1.0:
        raise ValueError(f"l1_ratio must be in (0, 1], got {l1_ratio}")
    return rho
