"""The Gaussian path (``enet_path``) against R glmnet ``family = "gaussian"`` (fixture made once by
tests/fixtures/make_glmnet_gaussian.py; the R program is stored beside the numbers). CI needs no R.

Issue 12's exactness design: three strong common factors + noise at n/p = 2.5, raw features of
unequal scales and means, glmnet with ``standardize = TRUE`` (weighted mean, population standard
deviation: the core's standardization), so that glmnet's ``lambda`` is the core's ``alpha`` and
both minimize ``1/(2W) Σ w (y − b0 − xᵀβ)² + λ Σ_j sd_j |β_j|`` on the original scale.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lasso_spark.core import SuffStats, enet_path

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "glmnet_gaussian.json"


@pytest.fixture(scope="module")
def ref():
    data = json.loads(FIXTURE.read_text())
    assert 'glmnet(x, y, family = "gaussian"' in data["r_program"]
    d = data["data"]
    return np.array(d["x"]), np.array(d["y"]), np.array(d["w"]), data["reference"]


def _objective(X, y, w, b0, beta, lam):
    """glmnet's Gaussian lasso objective on the raw data (weights normalized to sum 1)."""
    wn = w / w.sum()
    mu = wn @ X
    sd = np.sqrt(wn @ (X - mu) ** 2)
    r = y - b0 - X @ beta
    return 0.5 * float(wn @ (r * r)) + lam * float(np.abs(beta * sd).sum())


@pytest.mark.parametrize("key,weighted", [("default_thresh", False), ("tight", False),
                                          ("weighted_tight", True)])
def test_objective_no_worse_than_glmnet_at_every_lambda(ref, key, weighted):
    X, y, w, r = ref
    if not weighted:
        w = np.ones_like(y)
    g = r[key]
    lam = np.array(g["lambda"])
    beta = np.array(g["beta"])  # (m, p)
    res = enet_path(SuffStats.from_arrays(X, y, w if weighted else None), alphas=lam,
                    tol=1e-12)
    assert res.converged.all() and res.n_alphas == lam.size
    ours = np.array([_objective(X, y, w, res.intercept[i], res.coef[i], lam[i])
                     for i in range(lam.size)])
    theirs = np.array([_objective(X, y, w, g["a0"][i], beta[i], lam[i])
                       for i in range(lam.size)])
    assert np.all(ours <= theirs + 1e-13 * np.abs(theirs))
    if key == "default_thresh":
        # glmnet's default answers are measurably worse somewhere along the path
        assert np.max((theirs - ours) / ours) > 1e-9
    else:
        # at thresh 1e-14 both are near the optimum: the same coefficients and intercepts to
        # glmnet's own accuracy (its threshold is on coefficient changes, not the gap)
        scale = np.abs(beta).max()
        np.testing.assert_allclose(res.coef, beta, atol=1e-4 * scale)
        np.testing.assert_allclose(res.intercept, g["a0"], atol=1e-4 * np.abs(y).max())


def test_default_grid_matches_glmnet_grid(ref):
    """glmnet's lambda sequence starts at the core's alpha_max (the same edge of the all-zero
    region) and decreases geometrically at the same ratio as the core's 100-alpha grid."""
    X, y, _, r = ref
    lam = np.array(r["tight"]["lambda"])
    res = enet_path(SuffStats.from_arrays(X, y), n_alphas=100, alpha_min_ratio=1e-4)
    np.testing.assert_allclose(res.alpha_max, lam[0], rtol=1e-10)
    np.testing.assert_allclose(res.alphas[: lam.size], lam, rtol=1e-8)
