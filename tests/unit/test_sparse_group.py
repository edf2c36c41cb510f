"""The sparse group lasso (``group_l1_ratio``) and the active-set Newton group-lasso path:
against skglm's ``WeightedL1GroupL2`` fixture (tests/fixtures/penalties, generated once by
make_fixtures.py; skglm is not needed here), the penalty object's prox / subdifferential / dual
norm, and the Newton path against block coordinate descent."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lasso_spark.core import SuffStats, enet_path
from lasso_spark.core.bcd import structured_gap
from lasso_spark.core.penalties import (
    GroupPenalty,
    SparseGroupPenalty,
    StructuredPenalty,
    blocks_of,
    structured_objective,
)
from lasso_spark.core.quadratic import design

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "penalties"


def _factor_data(seed: int, n: int, p: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) @ rng.normal(size=(3, p)) + rng.normal(size=(n, p))
    beta = np.zeros(p)
    beta[: p // 2] = rng.normal(size=p // 2) * 2.0
    return X, X @ beta + rng.normal(size=n)


@pytest.mark.parametrize("solver,ran", [("cd", "bcd"), ("newton", "group_newton")])
@pytest.mark.parametrize("tau", ["0.25", "0.6"])
def test_sparse_group_matches_skglm_fixture(tau: str, solver: str, ran: str) -> None:
    fx = json.loads((FIXTURES / "skglm_sparse_group.json").read_text())
    Xs, y = np.array(fx["Xs"]), np.array(fx["y"])
    p = Xs.shape[1]
    ptr = fx["group_ptr"]
    groups = [list(range(ptr[i], ptr[i + 1])) for i in range(len(ptr) - 1)]
    sp = StructuredPenalty.make(p, groups=groups, group_l1_ratio=float(tau))
    st = SuffStats.from_arrays(Xs, y)
    fit = fx["fits"][tau]
    lam, B = np.array(fit["lambda"]), np.array(fit["beta"])
    res = enet_path(st, alphas=lam, structure=sp, tol=1e-14, standardize=False, solver=solver)
    assert res.converged.all() and res.diagnostics.solver == ran
    d = design(st, standardize=False)
    blk = blocks_of(d, sp)
    for i, a in enumerate(lam):
        ours = structured_objective(d, blk, res.coef_std[i], a, 1.0)
        ref = structured_objective(d, blk, B[i], a, 1.0)
        assert ours <= ref + 1e-9 * abs(ref)  # no worse than skglm, relative 1e-9
        assert res.dual_gap[i] <= 1e-14 * d.yy
        # skglm's point is feasible: its gap (a valid bound) covers its excess over ours
        assert structured_gap(d, sp, B[i], a, 1.0) >= ref - ours - 1e-13 * abs(ref)
    np.testing.assert_allclose(res.coef_std, B, atol=1e-6)
    # sparse within groups: some group is partly zero somewhere on the path
    partly = [np.any(res.coef[:, g] != 0.0, axis=1) & np.any(res.coef[:, g] == 0.0, axis=1)
              for g in groups if len(g) > 1]
    assert np.any(partly)


def test_sparse_group_prox_subdifferential_and_dual_norm() -> None:
    rng = np.random.default_rng(0)
    groups = (np.arange(0, 4), np.arange(4, 9), np.arange(9, 11))
    w = np.sqrt([4.0, 5.0, 2.0])
    v = rng.uniform(0.5, 2.0, size=11)
    pen = SparseGroupPenalty(groups, w, v, 0.4)

    def omega(b: np.ndarray) -> float:
        return sum(0.4 * float(v[g] @ np.abs(b[g])) + 0.6 * wg * float(np.linalg.norm(b[g]))
                   for g, wg in zip(groups, w, strict=True))

    for thr in (0.1, 0.7, 3.0):
        z = rng.normal(size=11) * 2.0
        x = pen.prox(z, thr)
        # optimality of the prox: z − x ∈ thr ∂Ω(x)
        assert pen.subdiff_distance(x, z - x, thr).max() <= 1e-12
        f0 = 0.5 * float((x - z) @ (x - z)) + thr * omega(x)
        for _ in range(50):
            y = x + rng.normal(size=11) * 0.05
            assert 0.5 * float((y - z) @ (y - z)) + thr * omega(y) >= f0 - 1e-12
    # tau = 0 is the group lasso's prox
    s = rng.normal(size=11)
    np.testing.assert_allclose(SparseGroupPenalty(groups, w, v, 0.0).prox(s, 0.5),
                               GroupPenalty(groups, w).prox(s, 0.5), atol=1e-15)
    # the dual norm: sup of sᵀb over Ω(b) ≤ 1 (random directions never exceed it; the
    # prox at thr = dual norm is 0, just below it is not)
    dn = pen.dual_norm(s)
    for _ in range(200):
        b = rng.normal(size=11)
        assert float(s @ b) <= dn * omega(b) * (1 + 1e-12)
    assert not pen.prox(s, dn * (1 + 1e-9)).any() and pen.prox(s, dn * (1 - 1e-6)).any()


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_sparse_group_kkt_and_zero_edge(l1_ratio: float) -> None:
    X, y = _factor_data(11, 150, 14)
    st = SuffStats.from_arrays(X, y)
    groups = [[0, 1, 2, 3, 4], [5, 6, 7], [10, 11]]
    tau = 0.5
    sp = StructuredPenalty.make(14, groups=groups, group_l1_ratio=tau)
    res = enet_path(st, structure=sp, l1_ratio=l1_ratio, n_alphas=25, tol=1e-13)
    assert res.converged.all()
    assert not res.coef[0].any() and res.coef[1].any()
    d = design(st)
    pen = SparseGroupPenalty(tuple(np.array(g) for g in groups),
                             np.sqrt([len(g) for g in groups]), np.ones(14), tau)
    for i, a in enumerate(res.alphas):
        b = res.coef_std[i]
        ridge = a * (1 - l1_ratio) * np.concatenate(
            [np.full(len(g), np.sqrt(len(g))) for g in groups])
        idx = np.concatenate([np.array(g) for g in groups])
        s = d.c - d.G @ b
        s[idx] -= ridge * b[idx]
        assert pen.subdiff_distance(b, s, a * l1_ratio).max() <= 1e-5


def test_group_newton_path_agrees_with_block_coordinate_descent() -> None:
    X, y = _factor_data(12, 200, 40)
    X[:, 1] = X[:, 0] + 0.01 * X[:, 1]  # nearly collinear inside a group
    st = SuffStats.from_arrays(X, y)
    groups = [list(range(0, 10)), list(range(10, 25))]
    sp = StructuredPenalty.make(40, groups=groups)
    res = enet_path(st, structure=sp, n_alphas=40, tol=1e-12)
    assert res.converged.all()
    d = res.diagnostics
    assert d.solver == "group_newton" and d.newton_alphas == 40 and d.fallback_alphas == 0
    # the same problem with a tiny within-group l1 part, by block coordinate descent
    ref = enet_path(st, structure=StructuredPenalty.make(40, groups=groups,
                                                          group_l1_ratio=1e-12),
                    alphas=res.alphas, tol=1e-12, solver="cd")
    assert ref.converged.all() and ref.diagnostics.solver == "bcd"
    np.testing.assert_allclose(res.coef_std, ref.coef_std, atol=1e-5)
    # groups enter and leave together
    for g in groups:
        nz = res.coef[:, g] != 0.0
        assert np.all(nz.all(axis=1) | (~nz).all(axis=1))


@pytest.mark.parametrize("l1_ratio", [1.0, 0.7])
def test_sparse_group_newton_path_agrees_with_block_coordinate_descent(l1_ratio: float) -> None:
    # features join and leave one by one inside active groups: the Newton path certifies every
    # alpha itself and reaches block coordinate descent's objective
    X, y = _factor_data(14, 160, 36)
    X[:, 2] = X[:, 1] + 0.02 * X[:, 2]  # nearly collinear inside a group
    st = SuffStats.from_arrays(X, y)
    groups = [list(range(0, 12)), list(range(12, 20)), [20, 21]]
    sp = StructuredPenalty.make(36, groups=groups, group_l1_ratio=0.4)
    res = enet_path(st, structure=sp, l1_ratio=l1_ratio, n_alphas=40, tol=1e-12)
    nd = res.diagnostics
    assert res.converged.all()
    assert nd.solver == "group_newton" and nd.newton_alphas == 40 and nd.fallback_alphas == 0
    ref = enet_path(st, structure=sp, l1_ratio=l1_ratio, alphas=res.alphas, tol=1e-12,
                    solver="cd")
    assert ref.converged.all() and ref.diagnostics.solver == "bcd"
    d = design(st)
    blk = blocks_of(d, sp)
    for i, a in enumerate(res.alphas):
        ours = structured_objective(d, blk, res.coef_std[i], a, l1_ratio)
        theirs = structured_objective(d, blk, ref.coef_std[i], a, l1_ratio)
        assert ours <= theirs + 1e-11 * abs(theirs)
    np.testing.assert_allclose(res.coef_std, ref.coef_std, atol=1e-5)
    partly = [np.any(res.coef[:, g] != 0.0, axis=1) & np.any(res.coef[:, g] == 0.0, axis=1)
              for g in groups]
    assert np.any(partly)


def test_group_newton_path_from_above_alpha_max() -> None:
    # the first alphas leave every block at 0: the Newton state starts empty
    X, y = _factor_data(13, 80, 12)
    st = SuffStats.from_arrays(X, y)
    sp = StructuredPenalty.make(12, groups=[[0, 1, 2], [3, 4]])
    top = enet_path(st, structure=sp, n_alphas=2).alpha_max
    res = enet_path(st, structure=sp, alphas=top * np.geomspace(4.0, 0.01, 15), tol=1e-12)
    assert res.converged.all() and res.diagnostics.solver == "group_newton"
    assert not res.coef[:3].any() and res.coef[-1].any()


@pytest.mark.parametrize("tau", [1.0, -0.1, 1.5])
def test_bad_group_l1_ratio_is_refused(tau: float) -> None:
    with pytest.raises(ValueError, match="group_l1_ratio must be in"):
        StructuredPenalty.make(6, groups=[[0, 1, 2]], group_l1_ratio=tau)


def test_group_l1_ratio_needs_groups() -> None:
    with pytest.raises(ValueError, match="give groups of 2 or more"):
        StructuredPenalty.make(6, group_l1_ratio=0.3)
