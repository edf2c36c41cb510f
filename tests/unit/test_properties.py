"""Property tests: alpha_max is exactly the edge of the all-zero region."""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lasso_spark.core import SuffStats, alpha_max, enet_path


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n=st.integers(4, 40),
    p=st.integers(1, 7),
    l1_ratio=st.sampled_from([0.1, 0.5, 1.0]),
    fit_intercept=st.booleans(),
    standardize=st.booleans(),
    factors=st.sampled_from(["ones", "random", "with_zero"]),
    weighted=st.booleans(),
)
def test_all_zero_at_alpha_max_not_below(seed, n, p, l1_ratio, fit_intercept, standardize,
                                         factors, weighted):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * rng.uniform(0.1, 10.0, p) + rng.uniform(-5, 5, p)
    y = X @ rng.standard_normal(p) + rng.standard_normal(n) + 2.0
    w = rng.uniform(0.1, 3.0, n) if weighted else None
    v = np.ones(p)
    if factors == "random":
        v = rng.uniform(0.2, 3.0, p)
    elif factors == "with_zero":
        v = rng.uniform(0.2, 3.0, p)
        v[rng.integers(p)] = 0.0
    pen = v > 0
    assume(pen.any())
    s = SuffStats.from_arrays(X, y, w)
    kw = dict(l1_ratio=l1_ratio, penalty_factor=v, fit_intercept=fit_intercept,
              standardize=standardize)
    a = alpha_max(s, **kw)
    assume(a > 1e-8 * max(1.0, np.abs(y).max()))
    res = enet_path(s, alphas=[2.0 * a, a, a * (1 - 1e-6)], tol=1e-10, max_iter=1_000_000, **kw)
    assert np.all(res.coef[:2][:, pen] == 0.0)
    assert np.any(res.coef[2][pen] != 0.0)
    assert res.converged.all()
