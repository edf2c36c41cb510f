"""The standardized Gram matrix of the solvers, exactly symmetric (numpy only)."""

from __future__ import annotations

import logging

import numpy as np

logger = logging.getLogger(__name__)

__all__ = ["scaled_gram"]

_ROWS = 256


def scaled_gram(M: np.ndarray, scale: np.ndarray, W: float) -> np.ndarray:
    """``G = ½(M + Mᵀ) / (W · scale ⊗ scale)`` (C order), exactly symmetric: entry ``(i, j)``
    is ``((M_ij + M_ji) · (u_i u_j)) · ½`` with ``u = 1/(√W · scale)``, and both factors are
    symmetric in ``i, j`` bit for bit. Computed in blocks of rows (temporaries ``O(256·p)``)."""
    M = np.asarray(M, dtype=np.float64)
    q = M.shape[0]
    u = 1.0 / (np.sqrt(float(W)) * np.asarray(scale, dtype=np.float64))
    G = np.empty((q, q))
    for r0 in range(0, q, _ROWS):
        r1 = min(q, r0 + _ROWS)
        blk = M[r0:r1] + M[:, r0:r1].T
        blk *= np.multiply.outer(u[r0:r1], u)
        blk *= 0.5
        G[r0:r1] = blk
    return G
