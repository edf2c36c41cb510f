"""Structured penalties (bounds, groups) in the core path: against scikit-learn, the glmnet and
adelie fixtures (tests/fixtures/penalties, generated once by make_fixtures.py), and the
penalty objects' own exactness (steps, duality gap, subdifferential distance)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import minimize
from sklearn.linear_model import ElasticNet, Lasso

from lasso_spark.core import SuffStats, alpha_max, enet_path
from lasso_spark.core.bcd import structured_gap
from lasso_spark.core.penalties import (
    BoxPenalty,
    GroupPenalty,
    StructuredPenalty,
    blocks_of,
    bounded_step,
    group_shift,
    structured_objective,
)
from lasso_spark.core.quadratic import design

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "penalties"


def _load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def _floats(values: list) -> np.ndarray:
    return np.array([float(v) for v in values])  # R's JSON writes -Inf / Inf as strings


def _factor_data(seed: int, n: int, p: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    F = rng.normal(size=(n, 3))
    X = F @ rng.normal(size=(3, p)) + rng.normal(size=(n, p))
    beta = np.zeros(p)
    beta[: p // 2] = rng.normal(size=p // 2) * 2.0
    return X, X @ beta + rng.normal(size=n)


def _excess(st: SuffStats, sp: StructuredPenalty, ours: np.ndarray, ref: np.ndarray,
            alphas: np.ndarray, rho: float, standardize: bool = True) -> float:
    """Largest relative objective excess of our path over the reference (standardized β)."""
    d = design(st, standardize=standardize)
    blk = blocks_of(d, sp)
    out = -math.inf
    for i, a in enumerate(alphas):
        po = structured_objective(d, blk, ours[i][d.index], a, rho)
        pr = structured_objective(d, blk, ref[i][d.index], a, rho)
        out = max(out, (po - pr) / abs(pr))
    return out


@pytest.mark.parametrize("l1_ratio", [1.0, 0.6])
def test_positive_matches_sklearn(l1_ratio: float) -> None:
    X, y = _factor_data(0, 150, 25)
    y = y - 3.0 * X[:, 3]  # a feature the positive fit must hold at 0
    st = SuffStats.from_arrays(X, y)
    sp = StructuredPenalty.make(25, positive=True)
    res = enet_path(st, structure=sp, l1_ratio=l1_ratio, n_alphas=30, tol=1e-12)
    assert res.converged.all() and res.diagnostics.solver == "bcd"
    assert res.coef.min() >= 0.0 and res.coef_std[:, 3].max() == 0.0
    Xs = (X - X.mean(0)) / X.std(0)
    ref = np.zeros_like(res.coef_std)
    for i, a in enumerate(res.alphas):
        model = (Lasso(alpha=a) if l1_ratio == 1.0 else ElasticNet(alpha=a, l1_ratio=l1_ratio))
        model.set_params(positive=True, tol=1e-14, max_iter=1_000_000)
        ref[i] = model.fit(Xs, y).coef_
    assert _excess(st, sp, res.coef_std, ref, res.alphas, l1_ratio) <= 1e-12
    np.testing.assert_allclose(res.coef_std, ref, atol=1e-6)


@pytest.mark.parametrize("key", ["alpha_1", "alpha_0.5"])
def test_bounds_match_glmnet_fixture(key: str) -> None:
    fx = _load("glmnet_bounds.json")
    X, y = np.array(fx["X"]), np.array(fx["y"])
    st = SuffStats.from_arrays(X, y)
    lo, hi = _floats(fx["lower"]), _floats(fx["upper"])
    sp = StructuredPenalty.make(X.shape[1], lower_bounds=lo, upper_bounds=hi)
    fit = fx[key]
    a_glm, lam, B = float(np.ravel(fit["alpha"])[0]), np.array(fit["lambda"]), np.array(
        fit["beta"])
    # glmnet's elastic net on y/sd(y): our alpha·ρ = λ a, alpha·(1−ρ) = λ (1−a) / sd(y)
    l1, l2 = lam * a_glm, lam * (1.0 - a_glm) / y.std()
    alphas, rho = l1 + l2, float(l1[0] / (l1[0] + l2[0]))
    res = enet_path(st, alphas=alphas, l1_ratio=rho, structure=sp, tol=1e-14)
    assert res.converged.all()
    assert np.all(res.coef >= lo - 1e-15) and np.all(res.coef <= hi + 1e-15)
    assert np.any(np.isclose(res.coef, lo) & (lo < 0)) or np.any(np.isclose(res.coef, hi) & (
        hi > 0)), "the fixture should make some bound active"
    ref_std = B * st.std_x
    assert _excess(st, sp, res.coef_std, ref_std, alphas, rho) <= 1e-9
    np.testing.assert_allclose(res.coef, B, atol=1e-6)
    np.testing.assert_allclose(res.intercept, np.array(fit["a0"]), atol=1e-5)


@pytest.mark.parametrize("rho", ["1.0", "0.5"])
def test_groups_match_adelie_fixture(rho: str) -> None:
    fx = _load("adelie_group.json")
    Xs, y = np.array(fx["Xs"]), np.array(fx["y"])
    p = Xs.shape[1]
    starts = list(fx["group_starts"]) + [p]
    groups = [list(range(starts[i], starts[i + 1])) for i in range(len(starts) - 1)]
    st = SuffStats.from_arrays(Xs, y)
    sp = StructuredPenalty.make(p, groups=groups)
    fit = fx["fits"][rho]
    lam, B = np.array(fit["lambda"]), np.array(fit["beta"])
    res = enet_path(st, alphas=lam, l1_ratio=float(rho), structure=sp, tol=1e-14,
                    standardize=False)
    assert res.converged.all()
    assert _excess(st, sp, res.coef_std, B, lam, float(rho), standardize=False) <= 1e-12
    np.testing.assert_allclose(res.coef_std, B, atol=1e-5)
    # groups enter and leave together
    for g in groups:
        nz = res.coef[:, g] != 0.0
        assert np.all(nz.all(axis=1) | (~nz).all(axis=1))
    # the certificate: our gap is tiny, the reference's (a valid gap too) not smaller than
    # its objective excess over ours
    d = design(st, standardize=False)
    blk = blocks_of(d, sp)
    for i in range(0, lam.shape[0], 5):
        gap_ref = structured_gap(d, sp, B[i], lam[i], float(rho))
        excess = (structured_objective(d, blk, B[i], lam[i], float(rho))
                  - structured_objective(d, blk, res.coef_std[i], lam[i], float(rho)))
        assert gap_ref >= excess - 1e-14
        assert res.dual_gap[i] <= 1e-14 * d.yy


def test_group_alpha_max_is_the_zero_edge() -> None:
    X, y = _factor_data(1, 120, 12)
    st = SuffStats.from_arrays(X, y)
    sp = StructuredPenalty.make(12, groups=[[0, 1, 2], [5, 6, 7, 8]])
    a_max = alpha_max(st, structure=sp)
    res = enet_path(st, alphas=[a_max * 1.000001, a_max * 0.99], structure=sp, tol=1e-12)
    assert np.count_nonzero(res.coef[0]) == 0 and np.count_nonzero(res.coef[1]) > 0
    assert res.alpha_max == pytest.approx(a_max)


def test_group_step_is_exact() -> None:
    rng = np.random.default_rng(3)
    A = rng.normal(size=(6, 4))
    H = A.T @ A / 6 + 0.01 * np.eye(4)  # a correlated, ill-conditioned block
    z = rng.normal(size=4)
    for thr in (0.1, 0.5, 0.9 * float(np.linalg.norm(z))):
        lam, Q = np.linalg.eigh(H)
        mu = group_shift(Q.T @ z, lam, thr, float(np.linalg.norm(z)))
        b = np.linalg.solve(H + mu * np.eye(4), z)
        assert mu == pytest.approx(thr / np.linalg.norm(b), rel=1e-12)

        def f(x: np.ndarray, thr: float = thr) -> float:
            return 0.5 * x @ H @ x - z @ x + thr * np.linalg.norm(x)

        best = minimize(f, b + 0.1, method="Nelder-Mead",
                        options={"xatol": 1e-12, "fatol": 1e-15, "maxiter": 20000})
        assert f(b) <= best.fun + 1e-12


def test_bounded_step_and_subdifferential() -> None:
    assert bounded_step(3.0, 1.0, 2.0, -np.inf, 0.5) == 0.5
    assert bounded_step(-3.0, 1.0, 2.0, -0.25, np.inf) == -0.25
    assert bounded_step(0.5, 1.0, 2.0, -1.0, 1.0) == 0.0
    box = BoxPenalty(np.ones(3), np.array([0.0, -1.0, -np.inf]), np.array([np.inf, 1.0, 0.0]))
    # β at its bounds / at 0 with gradients pushing outside: optimal (distance 0)
    beta = np.array([0.0, 1.0, 0.0])
    assert np.all(box.subdiff_distance(beta, np.array([-5.0, 3.0, 4.0]), 1.0) == 0.0)
    assert box.subdiff_distance(beta, np.array([2.0, 0.0, 0.0]), 1.0)[0] == pytest.approx(1.0)
    grp = GroupPenalty((np.array([0, 1]), np.array([2])), np.array([math.sqrt(2), 1.0]))
    out = grp.prox(np.array([3.0, 4.0, 0.5]), 1.0)
    np.testing.assert_allclose(out, [3.0 * (1 - math.sqrt(2) / 5), 4.0 * (1 - math.sqrt(2) / 5),
                                     0.0])


def test_kkt_at_the_solution() -> None:
    X, y = _factor_data(4, 100, 10)
    st = SuffStats.from_arrays(X, y)
    lo = np.array([0.0, -0.1, -np.inf, 0.0, -np.inf, -np.inf, 0, 0, -1, -np.inf])
    hi = np.array([np.inf, 0.1, 0.0, 0.05, np.inf, np.inf, np.inf, 1, 1, np.inf])
    sp = StructuredPenalty.make(10, lower_bounds=lo, upper_bounds=hi)
    res = enet_path(st, structure=sp, n_alphas=10, tol=1e-14)
    d = design(st)
    box = BoxPenalty(d.v, lo * d.scale, hi * d.scale)
    for i, a in enumerate(res.alphas):
        b = res.coef_std[i]
        dist = box.subdiff_distance(b, d.c - d.G @ b, a)
        assert dist.max() <= 1e-6
        assert structured_gap(d, sp, b, a, 1.0) <= 1e-12
        # the gap bounds the suboptimality of a perturbed feasible point
        pert = np.clip(b + 0.01, lo * d.scale, hi * d.scale)
        blk = blocks_of(d, sp)
        sub = structured_objective(d, blk, pert, a, 1.0) - structured_objective(d, blk, b, a, 1.0)
        assert structured_gap(d, sp, pert, a, 1.0) >= sub - 1e-12


def test_loose_bounds_are_the_plain_lasso() -> None:
    X, y = _factor_data(5, 120, 15)
    st = SuffStats.from_arrays(X, y)
    sp = StructuredPenalty.make(15, lower_bounds=-1e12, upper_bounds=1e12)
    a = enet_path(st, structure=sp, n_alphas=20, tol=1e-12)
    b = enet_path(st, n_alphas=20, tol=1e-12)
    assert a.converged.all()
    np.testing.assert_allclose(a.coef, b.coef, atol=1e-8)


def test_unpenalized_feature_with_groups() -> None:
    X, y = _factor_data(6, 120, 8)
    st = SuffStats.from_arrays(X, y)
    v = np.ones(8)
    v[7] = 0.0
    sp = StructuredPenalty.make(8, groups=[[0, 1, 2]])
    res = enet_path(st, structure=sp, penalty_factor=v, n_alphas=10, tol=1e-12)
    assert res.converged.all() and np.all(res.coef[:, 7] != 0.0)
    assert np.count_nonzero(res.coef[0, :7]) == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lower_bounds": 0.5}, "lower_bounds must be <= 0"),
        ({"upper_bounds": [-1.0] + [1.0] * 5}, "upper_bounds must be >= 0"),
        ({"upper_bounds": [1.0, 2.0]}, "one value or 6 values"),
        ({"groups": [[0, 1], [1, 2]]}, "groups must be disjoint"),
        ({"groups": [[0, 9]]}, "outside"),
        ({"groups": [[0, 1]], "positive": True}, "outside groups only"),
    ],
)
def test_bad_structure_is_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        StructuredPenalty.make(6, **kwargs)


def test_group_penalty_factors_must_agree() -> None:
    X, y = _factor_data(7, 50, 6)
    st = SuffStats.from_arrays(X, y)
    sp = StructuredPenalty.make(6, groups=[[0, 1, 2]])
    with pytest.raises(ValueError, match="group 0: its features have different penalty"):
        enet_path(st, structure=sp, penalty_factor=[1, 2, 1, 1, 1, 1])
