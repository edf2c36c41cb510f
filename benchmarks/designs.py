"""Correlated design families of the solver benchmarks (and of the tests that mirror them).

Every family has unit-variance columns (before sampling noise), ``n`` rows, ``p`` columns, a
sparse truth of ``max(5, p // 20)`` non-zero coefficients of random sign and size 0.5–2 and
Gaussian noise at signal-to-noise ratio 4 (noise sd = signal sd / 2).
"""

from __future__ import annotations

import numpy as np

__all__ = ["FAMILIES", "make_design"]

#: name -> description, for the benchmark tables
FAMILIES = {
    "ar1_0.7": "AR(1), corr(x_j, x_k) = 0.7^|j-k|",
    "ar1_0.95": "AR(1), corr(x_j, x_k) = 0.95^|j-k|",
    "equi_0.5": "equicorrelated, corr(x_j, x_k) = 0.5",
    "factors": "3 strong common factors + noise (75% of each column's variance common)",
    "neardup": "pairs of near-duplicate columns, corr 0.999 within a pair, AR(1) 0.5 between",
}


def _features(kind: str, n: int, p: int, rng: np.random.Generator) -> np.ndarray:
    if kind.startswith("ar1_"):
        r = float(kind[4:])
        X = np.empty((n, p))
        X[:, 0] = rng.standard_normal(n)
        s = np.sqrt(1.0 - r * r)
        for j in range(1, p):
            X[:, j] = r * X[:, j - 1] + s * rng.standard_normal(n)
        return X
    if kind.startswith("equi_"):
        r = float(kind[5:])
        common = rng.standard_normal((n, 1))
        return np.sqrt(r) * common + np.sqrt(1.0 - r) * rng.standard_normal((n, p))
    if kind == "factors":
        k = 3
        F = rng.standard_normal((n, k))
        L = rng.standard_normal((p, k))
        L *= np.sqrt(3.0 / (L * L).sum(axis=1, keepdims=True))  # common variance 3 of 4
        return (F @ L.T + rng.standard_normal((n, p))) / 2.0
    if kind == "neardup":
        h = (p + 1) // 2
        Z = _features("ar1_0.5", n, h, rng)
        X = np.empty((n, p))
        X[:, 0::2] = Z[:, : (p + 1) // 2]
        e = np.sqrt(2.0 * (1.0 - 0.999))  # corr(z, z + e·ε)/… ≈ 0.999 after rescaling
        X[:, 1::2] = (Z[:, : p // 2] + e * rng.standard_normal((n, p // 2))) / np.sqrt(1 + e * e)
        return X
    raise ValueError(f"unknown design family {kind!r}; choose from {sorted(FAMILIES)}")


def make_design(kind: str, n: int, p: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(X (n, p), y (n,))`` of family ``kind`` (see :data:`FAMILIES`)."""
    rng = np.random.default_rng(seed)
    X = _features(kind, n, p, rng)
    k = max(5, p // 20)
    beta = np.zeros(p)
    support = rng.choice(p, k, replace=False)
    beta[support] = rng.choice([-1.0, 1.0], k) * rng.uniform(0.5, 2.0, k)
    signal = X @ beta
    y = signal + rng.standard_normal(n) * signal.std() / 2.0
    return X, y
