"""The group Newton solve by split-preconditioned conjugate gradients (``_solve_split``, for
groups without a within-group l1 part): it must give what the preconditioned CG on ``J``
(``_solve``) gives, with the factor exact, stale, extended by a Schur append, Givens-downdated
and after a group left, because the split form relies on knowing exactly what the factor
holds beyond ``G_AA``."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from lasso_spark.core import SuffStats
from lasso_spark.core.bcd import _GroupNewton
from lasso_spark.core.blas import trmv_upper
from lasso_spark.core.penalties import StructuredPenalty, blocks_of
from lasso_spark.core.quadratic import design

P = 40
GROUPS = [range(0, 10), range(10, 20), range(20, 26)]


def _problem(seed: int):
    rng = np.random.default_rng(seed)
    n = 200
    F = rng.normal(size=(n, 2))
    X = F @ rng.normal(size=(2, P)) + rng.normal(size=(n, P))
    y = X[:, :12] @ rng.normal(size=12) + rng.normal(size=n)
    d = design(SuffStats.from_arrays(X, y))
    blk = blocks_of(d, StructuredPenalty.make(P, groups=[list(g) for g in GROUPS]))
    return d, blk, rng


def _newton_matrix(gn: _GroupNewton, l2: float, curv: list) -> np.ndarray:
    """``J`` written out densely: ``G_AA + l2 diag(w) + Σ_g μ_g (I − u_g u_gᵀ)``."""
    J = gn.GAA.copy()
    J[np.diag_indices(gn.m)] += l2 * gn.wv
    for (mu, u), (_, _, pos) in zip(curv, gn.segs, strict=True):
        J[np.ix_(pos, pos)] -= mu * np.outer(u, u)
        J[pos, pos] += mu
    return J


def _pieces(gn: _GroupNewton, l1: float, l2: float):
    b = gn.beta[gn.coords]
    r = gn.d.c[gn.coords] - gn.GAA @ b
    return gn._pieces(b, r, l1, l2)


def _both(gn: _GroupNewton, l1: float, l2: float):
    """``(x, Jx)`` of both solves from copies of the same state, and ``J``."""
    F, curv = _pieces(gn, l1, l2)
    a, b = copy.deepcopy(gn), copy.deepcopy(gn)
    xa, ja = a._solve(F, l2, curv)
    xb, jb = b._solve_split(F, l2, curv)
    return (xa, ja), (xb, jb), _newton_matrix(gn, l2, curv), F, (a, b)


def _start(d, blk, rng, l1: float, l2: float) -> _GroupNewton:
    beta = np.zeros(d.index.shape[0])
    beta[:20] = rng.normal(size=20)  # groups 0 and 1
    beta[[30, 33]] = [0.7, -0.4]  # two single features
    gn = _GroupNewton(d, blk, beta)
    F, curv = _pieces(gn, l1, l2)
    assert gn._refactor(l2, curv)
    return gn


def _agree(one, two, J: np.ndarray, F: np.ndarray) -> None:
    (xa, ja), (xb, jb) = one, two
    scale = float(np.abs(xa).max())
    np.testing.assert_allclose(xb, xa, rtol=0, atol=1e-9 * scale)
    # the returned J x is J times the returned x, not an estimate of it
    np.testing.assert_allclose(jb, J @ xb, rtol=0, atol=1e-9 * float(np.abs(F).max()))
    np.testing.assert_allclose(ja, J @ xa, rtol=0, atol=1e-9 * float(np.abs(F).max()))


@pytest.mark.parametrize("seed", [3, 11])
def test_exact_factor_is_a_direct_solve(seed: int) -> None:
    d, blk, rng = _problem(seed)
    l1, l2 = 0.05, 0.01
    gn = _start(d, blk, rng, l1, l2)
    gn.has_factor = False  # rebuilt inside the solve: exact at this point
    one, two, J, F, (a, b) = _both(gn, l1, l2)
    np.testing.assert_allclose(two[0], np.linalg.solve(J, F), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(two[1], F, rtol=0, atol=0)
    _agree(one, two, J, F)
    assert a.pcg == b.pcg == 1


@pytest.mark.parametrize("seed", [3, 11])
def test_stale_factor_takes_the_same_iterations(seed: int) -> None:
    d, blk, rng = _problem(seed)
    l1, l2 = 0.05, 0.01
    gn = _start(d, blk, rng, l1, l2)
    gn.beta[gn.coords] *= 1.0 + 0.3 * rng.normal(size=gn.m)  # the curvature moves on
    one, two, J, F, (a, b) = _both(gn, l1, l2)
    _agree(one, two, J, F)
    assert b.pcg == a.pcg > 1  # not one exact solve: the factor is stale
    assert b.has_factor == a.has_factor
    res = F - two[1]
    assert float(res @ np.linalg.solve(J, res)) < 1e-5 * float(F @ np.linalg.solve(J, F))


def test_after_a_schur_append_and_a_givens_removal() -> None:
    d, blk, rng = _problem(5)
    l1, l2 = 0.05, 0.02
    gn = _start(d, blk, rng, l1, l2)
    g2 = gn.block_of[20]  # group 2 joins, the factor extended by its Schur complement
    gn.beta[20:26] = rng.normal(size=6)
    gn.add(np.array([g2]), l1, l2)
    assert gn.has_factor and g2 in gn.fheld
    one, two, J, F, _ = _both(gn, l1, l2)
    _agree(one, two, J, F)
    # a single feature leaves by a Givens deletion, the factor kept
    pos = int(np.flatnonzero(gn.coords == 33)[0])
    gn.beta[33] = 0.0
    gn.remove_at(np.array([pos]))
    assert gn.has_factor and gn.fdiag.shape == (gn.m,)
    gn.beta[gn.coords] *= 1.0 + 0.2 * rng.normal(size=gn.m)
    one, two, J, F, _ = _both(gn, l1, l2)
    _agree(one, two, J, F)
    # a whole group leaves: its held term goes with it
    g0 = gn.block_of[0]
    gn.beta[:10] = 0.0
    gn.remove([g0])
    assert g0 not in gn.fheld
    one, two, J, F, _ = _both(gn, l1, l2)
    _agree(one, two, J, F)


def test_unknown_held_term_rebuilds_the_factor() -> None:
    d, blk, rng = _problem(7)
    l1, l2 = 0.05, 0.01
    gn = _start(d, blk, rng, l1, l2)
    gn.fheld.pop(next(iter(gn.fheld)))
    F, curv = _pieces(gn, l1, l2)
    before = gn.refactorizations
    x, jx = gn._solve_split(F, l2, curv)
    assert gn.refactorizations == before + 1
    np.testing.assert_allclose(x, np.linalg.solve(_newton_matrix(gn, l2, curv), F),
                               rtol=1e-10, atol=1e-12)


def test_trmv_upper_on_a_buffer_block() -> None:
    rng = np.random.default_rng(2)
    m, cap = 30, 48
    buf = rng.normal(size=(cap, cap))  # what lies below the diagonal must not be read
    U = np.triu(buf[:m, :m])
    x = rng.normal(size=m)
    for transpose, op in ((False, U), (True, U.T)):
        y = x.copy()
        trmv_upper(buf, m, y, transpose)
        np.testing.assert_allclose(y, op @ x, rtol=1e-13, atol=1e-13)
    with pytest.raises(ValueError):
        trmv_upper(buf, m, np.zeros(m + 1), False)
