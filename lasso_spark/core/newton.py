"""Active-set Newton path solver on a Gram matrix, certified by the duality gap.

Problem (per alpha of a decreasing grid; see :mod:`lasso_spark.core.objective`)::

    min_β  ½ yy − cᵀβ + ½ βᵀGβ + Σ_j v_j (l1 |β_j| + ½ l2 β_j²),   l1 = αρ,  l2 = α(1−ρ)

Once the active set ``A`` and the signs ``s`` of the solution are known, the solution is one
linear solve, ``(G_AA + l2 V_A) β_A = c_A − l1 v_A s_A`` (``V = diag(v)``; ``s_j = 0`` for an
unpenalized feature). The solver keeps the Cholesky factor of that matrix for the current
``A`` along the whole path and moves ``A`` with a feature-sign search (the active-set method
of a quadratic program; Lee, Battle, Raina & Ng, 2006), warm-started from the previous alpha:

1. solve with the current ``(A, s)``: the point ``x``;
2. if a penalized ``x_j`` has the wrong sign, step from the current point towards ``x`` to the
   first zero crossing (the objective decreases along that segment: on the orthant of ``s`` it
   is the quadratic that ``x`` minimizes), drop the features that reach zero, back to 1;
3. else take ``x`` and compute ``g = c − Gβ`` over ALL features; the KKT violators
   (``|g_j| > l1 v_j``, ``β_j = 0``) join ``A`` with ``s_j = sign(g_j)``, back to 1; without
   violators ``β`` is optimal up to rounding and the duality gap over all features certifies it.

Before step 1 at a new alpha, the features that the gradient extrapolated linearly from the
last two certified alphas predicts to violate KKT (by a margin) join with the predicted signs,
so that most of an alpha's entrants join in its first solve (:func:`_predict_entrants`);
likewise the members whose coefficient, extrapolated from the same two alphas, changes sign
leave at 0 before it (:func:`_predict_leavers`).

Each step costs ``O(|A|²)`` (one back substitution, BLAS-2: the factor keeps the forward
solves ``R⁻ᵀ c_A`` and ``R⁻ᵀ v_A s_A`` up to date as features join and leave, see
:class:`CholeskyFactor`) plus ``O(p·|A|)`` for ``g`` (at the dense end of a path the KKT check
reads only the rows of the features outside ``A``, and the full ``g`` is formed once, for the
certificate); features join by a blocked append to the factor (``Rᵀ X = G_A,new`` by BLAS-3
``dtrsm``, then a pivoted Cholesky ``dpstrf`` of the Schur complement) and leave by Givens
rotations (LAPACK ``dlasr`` per panel, :func:`lasso_spark.core.blas.cholesky_delete`)
when near the factor's end; further in they stay in the factor pinned at 0 until they rejoin
(most do, at the dense end of a path) or too many are pinned (:class:`CholeskyFactor`). All of
it is BLAS/LAPACK called
from Python: a path that needs no fallback compiles nothing. A joining feature whose column is
numerically in the span of ``A``'s (pivot below ``_DEPENDENT`` of its own variance: duplicated
columns, p > n) is refused and stays at 0. With ``l2 > 0`` the matrix changes with alpha and
the factor is rebuilt at every alpha (``O(|A|³)``).

Fallback: when the search does not certify an alpha within its step budget (cycling, a refused
feature that still violates KKT, a gap above ``tol_abs`` after rounding), coordinate descent
(:func:`lasso_spark.core.kernels.cd_sweep`) on a working set takes over from the current
point for a few passes, then the search is retried from the support and signs coordinate
descent found; rounds alternate, with a doubling pass budget, until the gap is certified or
``max_iter`` is spent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg.blas import dsymv
from scipy.linalg.lapack import dposv, dpstrf

from lasso_spark.core.blas import cholesky_delete, trsm_upper_t, trsv_upper
from lasso_spark.core.homotopy import DEPENDENT_PIVOT, homotopy_lasso_path
from lasso_spark.core.objective import gap_from_moments

logger = logging.getLogger(__name__)

__all__ = ["CholeskyFactor", "NewtonDiagnostics", "gap_from_gradient", "newton_path"]

#: a joining feature is refused when the variance of its column left after projecting on the
#: active columns is below this fraction of its own
_DEPENDENT = DEPENDENT_PIVOT
#: a feature outside A violates KKT when |g_j| > l1 v_j (1 + _KKT_SLACK)
_KKT_SLACK = 1e-12
#: removing more than this fraction of the factor's features at once refactors from scratch
_REBUILD_FRACTION = 0.125
#: joining batches up to this size use BLAS-2 solves per column (OpenBLAS's trsm is slower
#: than that for one or two right-hand sides; at three they tie, at four trsm is faster:
#: measured at m = 300 and 800 on bench_solver's machine, 2026-12-03)
_TRSV_COLUMNS = 3
#: a product with the rows of ``G`` of fewer than ``p / _ROWS_FRACTION`` features gathers
#: them (a copy) and multiplies; with more, a dsymv over all of ``G`` is cheaper (measured
#: at p = 1000–4000: the gather of p/4 rows costs 1.2–1.6 dsymv, of p/8 rows 0.4–0.6)
_ROWS_FRACTION = 6
#: steps of the feature-sign search at one alpha before coordinate descent takes over
_BUDGET = 200
#: a feature joins before a step when predicted to violate KKT by this fraction of the step
_PREDICT_MARGIN = 0.25
#: a feature leaving ``A`` further than this from the factor's end stays in the factor, pinned
#: at 0 (:meth:`CholeskyFactor.leave`): a removal there costs ``O((m−k)²)`` and most such
#: features rejoin later on the path
_PIN_DEPTH = 24
#: pinned features at most; one more compacts (removes them all). Each pin costs a column of
#: ``Z`` and ``O(m)`` per solve, each removal it saves ``O((m−k)²)``: bench_ab A/B
#: (benchmarks/README.md, issue 12) found 16 → 64 → 256 faster at p = 1000–4000
_PIN_MAX = 256
#: ``Z``'s pinned columns at first
_PIN_COLUMNS = 16
#: the homotopy gives up after this many events per feature (cycling at degenerate points)
_HOMOTOPY_EVENTS = 8


@dataclass
class NewtonDiagnostics:
    """What the Newton solver did along one path (counts summed over alphas)."""

    newton_steps: int = 0  #: linear solves with the Cholesky factor
    newton_alphas: int = 0  #: alphas certified by the feature-sign search alone
    fallback_alphas: int = 0  #: alphas that needed coordinate descent
    cd_passes: int = 0  #: coordinate-descent passes of the fallback (any working set)
    gradient_evals: int = 0  #: products ``c − Gβ`` over all features
    partial_gradient_evals: int = 0  #: the same over the features outside the factor only
    features_added: int = 0  #: features appended to the factor
    features_removed: int = 0  #: features removed from it (Givens rotations)
    refactorizations: int = 0  #: factors built from scratch
    dependent_refused: int = 0  #: joining features refused as linearly dependent
    homotopy_alphas: int = 0  #: alphas certified by the homotopy (small problems, lasso)
    predicted_entrants: int = 0  #: features joined by the extrapolated gradient before a search
    predicted_leavers: int = 0  #: members set to 0 by the extrapolated coefficients before it
    features_pinned: int = 0  #: features that left ``A`` but stayed in the factor, pinned at 0
    homotopy_events: int = 0  #: features joining or leaving along the homotopy
    steps_by_alpha: list[int] = field(default_factory=list)


class CholeskyFactor:
    """Upper Cholesky factor ``R = buf[:m, :m]`` (a C-ordered buffer with spare capacity, so
    that appending and removing features copy nothing), ``RᵀR = G[A][:, A] + l2 diag(v[A])``,
    for the features ``A = idx`` in factor order.

    With the linear term ``c`` it also keeps the forward solves ``Z[:m] = R⁻ᵀ [c_A, w_A]``
    (``w`` the ``v s`` of the signs the features joined with): forward substitution on an
    appended factor leaves the leading entries unchanged, so joining features extend ``Z`` by
    ``O(m k)`` and leaving ones rotate it with the factor
    (:func:`~lasso_spark.core.blas.cholesky_delete`); :meth:`solve_l1` is then one back
    substitution instead of two triangular solves.

    A feature that leaves ``A`` far from the factor's end is *pinned* (:meth:`leave`): it stays
    in the factor with ``β_j = 0`` imposed, ``member`` (the active set) drops it, and ``Z``
    gains the column ``W_j = R⁻ᵀ e_j`` (kept through appends and removals like the others).
    :meth:`solve_l1` then minimizes over ``A`` with ``β_D = 0`` for the pinned ``D``: with
    ``y = Rβ`` the constraint is ``Wᵀy = 0``, so ``y`` is the projection of ``Z``'s combination
    on ``W``'s orthogonal complement (``O(m |D|)``), then one back substitution. Rejoining
    (:meth:`add` of a pinned feature) drops the column: no factor work either way."""

    def __init__(self, G: np.ndarray, v: np.ndarray, diag: NewtonDiagnostics,
                 c: np.ndarray | None = None) -> None:
        self.G = G
        self.v = v
        self.c = c
        self.l2 = 0.0
        self.idx = np.zeros(0, dtype=np.int64)
        self.buf = np.zeros((0, 0))
        self.Z = np.zeros((0, 2 + _PIN_COLUMNS))  #: widened by _pin up to 2 + _PIN_MAX
        self.w = np.zeros(0)  #: per factor position, the ``v s`` that ``Z[:, 1]`` solved for
        self.member = np.zeros(G.shape[0], dtype=bool)  #: in the factor and not pinned
        self.in_factor = np.zeros(G.shape[0], dtype=bool)
        self.pinned = np.zeros(0, dtype=bool)  #: per factor position
        self.pin_feat: list[int] = []  #: the pinned features, in the order of Z's columns 2..
        self._wtw: np.ndarray | None = None  #: WᵀW of the pinned columns (None: stale)
        self.diag = diag

    @property
    def m(self) -> int:
        return int(self.idx.shape[0])

    def _reserve(self, n: int) -> None:
        if n <= self.buf.shape[0]:
            return
        cap = min(self.G.shape[0], max(n, 2 * self.buf.shape[0], 64))
        grown = np.zeros((cap, cap))
        m = self.m
        grown[:m, :m] = self.buf[:m, :m]
        self.buf = grown
        Z = np.zeros((cap, self.Z.shape[1]))
        Z[:m] = self.Z[:m]
        self.Z = Z

    def add(self, cands: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
        """Append ``cands`` (not members; ``w``: their ``v s``, default 0; pinned ones just
        rejoin); returns those refused as numerically dependent."""
        cands = np.asarray(cands, dtype=np.int64)
        if cands.size == 0:
            return cands
        back = self.in_factor[cands]
        if back.any():
            for f in cands[back]:
                self._unpin(int(f))
            cands = cands[~back]
            if w is not None:
                w = np.asarray(w, dtype=np.float64)[~back]
            if cands.size == 0:
                return cands
        C = self.G[np.ix_(cands, cands)]
        if self.l2:
            C.flat[::C.shape[0] + 1] += self.l2 * self.v[cands]
        m = self.m
        if m:
            # G[A, new] gathered along G's contiguous rows (G is symmetric): the transpose of
            # a C-ordered (k, m) gather is the Fortran-ordered (m, k) block the solves need
            X = self.G[cands[:, None], self.idx[None, :]].T
            if X.shape[1] <= _TRSV_COLUMNS:  # X = R⁻ᵀ G[A, new]
                for j in range(X.shape[1]):
                    trsv_upper(self.buf, m, X[:, j], True)
            else:
                trsm_upper_t(self.buf, m, X)
            S = C - X.T @ X
        else:
            X = None
            S = C
        d0 = np.diag(C).copy()
        scale = 1.0 / np.sqrt(d0)
        St = S * scale[:, None] * scale[None, :]
        U, piv, rank, _ = dpstrf(St, tol=_DEPENDENT, lower=0)
        piv = piv.astype(np.int64) - 1
        acc = piv[:rank]
        refused = cands[piv[rank:]]
        k = int(rank)
        self._reserve(m + k)
        R = self.buf
        if m:
            R[:m, m:m + k] = X[:, acc]
        R[m:m + k, m:m + k] = np.triu(U[:k, :k]) * np.sqrt(d0[acc])[None, :]
        R[m:m + k, :m] = 0.0
        joined = cands[acc]
        w_new = np.zeros(k) if w is None else np.asarray(w, dtype=np.float64)[acc]
        if self.c is not None and k:
            # the forward substitution's rows m..m+k: R_newᵀ z_new = b_new − R[:m, new]ᵀ z_old
            # (the pinned columns W: b_new = 0)
            q = 2 + len(self.pin_feat)
            b = np.zeros((k, q), order="F")
            b[:, 0] = self.c[joined]
            b[:, 1] = w_new
            if m:
                b -= X[:, acc].T @ self.Z[:m, :q]
            trsm_upper_t(R, k, b, start=m)
            self.Z[m:m + k, :q] = b
            if self._wtw is not None:  # W's leading rows are unchanged: add the new rows'
                Wn = self.Z[m:m + k, 2:q]
                self._wtw = self._wtw + Wn.T @ Wn
        self.w = np.concatenate([self.w, w_new])
        self.idx = np.concatenate([self.idx, joined])
        self.pinned = np.concatenate([self.pinned, np.zeros(k, dtype=bool)])
        self.member[joined] = True
        self.in_factor[joined] = True
        self.diag.features_added += k
        self.diag.dependent_refused += int(refused.size)
        return refused

    def remove(self, features: np.ndarray) -> np.ndarray:
        """Remove ``features`` (in the factor, pinned or not) from it; returns features
        refused when this refactors."""
        drop = self._in(features)
        if not drop.any():
            return np.zeros(0, dtype=np.int64)
        keep_pos = np.flatnonzero(~drop).astype(np.int64)
        self.diag.features_removed += int(drop.sum())
        for f in self.idx[drop & self.pinned]:
            self._unpin(int(f))
        self.member[self.idx[drop]] = False
        self.in_factor[self.idx[drop]] = False
        if drop.sum() > _REBUILD_FRACTION * self.m + 2:
            return self.reset(self.idx[keep_pos], self.l2, self.w[keep_pos])
        m = self.m
        Z = self.Z if self.c is not None else None
        q = 2 + len(self.pin_feat)
        for k in np.flatnonzero(drop)[::-1]:  # highest first: lower positions stay valid
            out = cholesky_delete(self.buf, m, int(k), Z, None if Z is None else q)
            if self._wtw is not None and out is not None:  # W lost that row: downdate WᵀW
                self._wtw = self._wtw - np.outer(out[2:], out[2:])
            m -= 1
        self.idx = self.idx[keep_pos]
        self.w = self.w[keep_pos]
        self.pinned = self.pinned[keep_pos]
        return np.zeros(0, dtype=np.int64)

    def leave(self, features: np.ndarray) -> np.ndarray:
        """``features`` (members) leave ``A``: removed from the factor when near its end,
        else pinned at 0 (class docstring); past ``_PIN_MAX`` pinned features, all pinned
        ones and these are removed. Returns features refused when this refactors."""
        features = np.asarray(features, dtype=np.int64)
        if features.size == 0:
            return features
        pos = np.flatnonzero(self._in(features))
        deep = (self.m - pos) > _PIN_DEPTH
        n_deep, n_shallow = int(deep.sum()), int((~deep).sum())
        if (self.c is None or len(self.pin_feat) + n_deep > _PIN_MAX
                or n_shallow > _REBUILD_FRACTION * self.m + 2):
            return self.remove(np.concatenate([self.idx[self.pinned], features]))
        pin = self.idx[pos[deep]]
        if n_shallow:
            self.remove(self.idx[pos[~deep]])  # no refactorization (checked above)
        for f in pin:
            self._pin(int(f))
        return np.zeros(0, dtype=np.int64)

    def _in(self, features: np.ndarray) -> np.ndarray:
        """Per factor position: is its feature among ``features``."""
        mask = np.zeros(self.G.shape[0], dtype=bool)
        mask[features] = True
        return mask[self.idx]

    def _position(self, f: int) -> int:
        return int(np.flatnonzero(self.idx == f)[0])

    def _pin(self, f: int) -> None:
        i, m, j = self._position(f), self.m, 2 + len(self.pin_feat)
        if j >= self.Z.shape[1]:  # few paths pin many: Z's columns grow only when needed
            Z = np.zeros((self.Z.shape[0], min(2 + _PIN_MAX, 2 * self.Z.shape[1])))
            Z[:, :j] = self.Z[:, :j]
            self.Z = Z
        e = np.zeros(m)
        e[i] = 1.0
        trsv_upper(self.buf, m, e, True)
        self.Z[:m, j] = e
        if self._wtw is not None:  # WᵀW gains a row and a column: O(m |D|), not O(m |D|²)
            b = self.Z[:m, 2:j].T @ e
            wtw = np.empty((j - 1, j - 1))
            wtw[:-1, :-1] = self._wtw
            wtw[-1, :-1] = b
            wtw[:-1, -1] = b
            wtw[-1, -1] = e @ e
            self._wtw = wtw
        self.pin_feat.append(f)
        self.pinned[i] = True
        self.member[f] = False
        self.diag.features_pinned += 1

    def _unpin(self, f: int) -> None:
        j = 2 + self.pin_feat.index(f)
        q = 2 + len(self.pin_feat)
        m = self.m  # Z's rows past m hold nothing (every reader stops at m)
        self.Z[:m, j:q - 1] = self.Z[:m, j + 1:q].copy()
        self.Z[:m, q - 1] = 0.0
        self.pin_feat.remove(f)
        self.pinned[self._position(f)] = False
        self.member[f] = True
        if self._wtw is not None:  # W loses column j − 2: drop its row and column
            keep = np.arange(self._wtw.shape[0]) != j - 2
            self._wtw = self._wtw[np.ix_(keep, keep)]

    def reset(self, features: np.ndarray, l2: float, w: np.ndarray | None = None) -> np.ndarray:
        """Factor of ``features`` (``w``: their ``v s``; pinned ones are left out) from
        scratch at ``l2``; returns the refused ones."""
        features = np.asarray(features, dtype=np.int64)
        keep = ~np.isin(features, self.idx[self.pinned])
        features = features[keep]
        if w is not None:
            w = np.asarray(w, dtype=np.float64)[keep]
        self.member[self.idx] = False
        self.in_factor[self.idx] = False
        self.idx = np.zeros(0, dtype=np.int64)
        self.w = np.zeros(0)
        self.pinned = np.zeros(0, dtype=bool)
        self.pin_feat = []
        self.Z[:] = 0.0
        self._wtw = None
        self.l2 = l2
        self.diag.refactorizations += 1
        return self.add(features, w)

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """``(RᵀR)⁻¹ rhs``: two triangular solves (BLAS-2) on the buffer."""
        x = np.array(rhs, dtype=np.float64)
        trsv_upper(self.buf, self.m, x, True)
        trsv_upper(self.buf, self.m, x, False)
        return x

    def refresh(self, w: np.ndarray) -> None:
        """Recompute ``Z`` by forward solves (``w``: the members' ``v s`` now)."""
        m = self.m
        for j, b in enumerate((self.c[self.idx], w)):
            z = np.array(b, dtype=np.float64)
            trsv_upper(self.buf, m, z, True)
            self.Z[:m, j] = z
        self.w = np.array(w, dtype=np.float64)

    def solve_l1(self, l1: float, w: np.ndarray) -> np.ndarray:
        """``(RᵀR)⁻¹ (c_A − l1 w)`` for the members' ``w = v s`` (needs ``c``): one back
        substitution on ``Z`` (a forward solve first when ``w`` changed since ``Z`` was).
        Pinned positions: ``x = 0`` there, the rest minimizes under that constraint."""
        m = self.m
        npin = len(self.pin_feat)
        if npin:  # the pinned positions' w does not enter (their x is held at 0)
            w = np.where(self.pinned, self.w, w)
        if not np.array_equal(w, self.w):
            z = np.array(w, dtype=np.float64)
            trsv_upper(self.buf, m, z, True)
            self.Z[:m, 1] = z
            self.w = np.array(w, dtype=np.float64)
        x = self.Z[:m, 0] - l1 * self.Z[:m, 1]
        if npin:  # y ⊥ W: the projection of the combination on W's orthogonal complement
            W = self.Z[:m, 2:2 + npin]
            if self._wtw is None:
                self._wtw = W.T @ W
            _, coef, info = dposv(self._wtw, W.T @ x)
            if info != 0:
                coef = np.linalg.lstsq(W, x, rcond=None)[0]
            x -= W @ coef
        trsv_upper(self.buf, m, x, False)
        if npin:
            x[self.pinned] = 0.0
        return x


def gap_from_gradient(c: np.ndarray, g: np.ndarray, beta: np.ndarray, v: np.ndarray, yy: float,
                      l1: float, l2: float) -> float:
    """The duality gap (:func:`lasso_spark.core.objective.gap_from_moments`) of β from its
    exact gradient ``g = c − Gβ``, all over the same features; O(p), no product with G."""
    # full-length products (the zeros of β add nothing): no masked copies
    r = g - l2 * v * beta if l2 else g
    if bool(np.all(v > 0.0)):
        dual = float(np.max(np.abs(r) / v, initial=0.0))
    else:
        pen = v > 0.0
        dual = float(np.max(np.abs(r[pen]) / v[pen], initial=0.0))
    vb = v * beta
    return gap_from_moments(float(yy), float(c @ beta), float(g @ beta), l1, l2,
                            float(np.abs(vb).sum()), float(vb @ beta), dual)


class _Problem:
    """The Gram problem and the kernels' shared state along the path."""

    def __init__(self, G, c, yy, v, diag: NewtonDiagnostics):
        self.G = G
        self.c = c
        self.yy = yy
        self.v = v
        self.p = c.shape[0]
        self.pen = v > 0.0
        self.gdiag = np.ascontiguousarray(np.diag(G))
        self.diag = diag

    def gradient(self, beta: np.ndarray) -> np.ndarray:
        """``g = c − Gβ`` over all features: rows of the non-zeros when few, else BLAS dsymv
        (one triangle of the symmetric G)."""
        self.diag.gradient_evals += 1
        nz = np.flatnonzero(beta)
        if nz.size == 0:
            return self.c.copy()
        if _ROWS_FRACTION * nz.size > self.p:
            return self.c - dsymv(1.0, self.G.T, beta)
        return self.c - beta[nz] @ self.G[nz]

    def kkt_gradient(self, beta: np.ndarray, member: np.ndarray) -> tuple[np.ndarray, bool]:
        """``(g, full)``: ``g = c − Gβ`` exact outside ``member`` (0 inside unless ``full``).
        With a dense β and fewer than ``p / _ROWS_FRACTION`` features outside (the dense end
        of a path) only their rows of ``G`` are read, else the full :meth:`gradient`."""
        outside = np.flatnonzero(~member)
        if _ROWS_FRACTION * outside.size < self.p and 4 * np.count_nonzero(beta) > self.p:
            self.diag.partial_gradient_evals += 1
            g = np.zeros(self.p)
            g[outside] = self.c[outside] - self.G[outside] @ beta
            return g, False
        return self.gradient(beta), True

    def violators(self, g, l1, member, exclude=None) -> np.ndarray:
        viol = self.pen & ~member & (np.abs(g) > l1 * self.v * (1.0 + _KKT_SLACK))
        if exclude is not None:
            viol &= ~exclude
        return np.flatnonzero(viol)


def _feature_sign_search(prob: _Problem, fac: CholeskyFactor, beta, sgn, l1, budget,
                         frozen=False):
    """Steps 1–3 of the module docstring from ``beta`` (supported on the factor's features,
    signs ``sgn``) at ``l1``; updates ``beta``/``sgn``/``fac`` in place (the objective never
    increases). ``frozen``: no feature may join (the all-zero region). Returns
    ``(certifiable, steps, g)`` (``g`` exact for the final β, or None)."""
    v = prob.v
    # when entrants move the wrong way at once (a joint step of several entrants can; a
    # single entrant at an optimum of A cannot) they leave again, and the next batches of
    # entrants are half as large (the largest violations first); features refused as
    # dependent stay out at this alpha
    refused_here = np.zeros(prob.p, dtype=bool)
    cap = prob.p
    batch = prob.p
    steps = 0
    while steps < budget:
        A = fac.idx
        vA = v[A]
        sA = sgn[A]
        x = fac.solve_l1(l1, vA * sA)
        steps += 1
        prob.diag.newton_steps += 1
        wrong = (vA > 0.0) & (x * sA <= 0.0) & ~fac.pinned
        if wrong.any():
            cur = beta[A]
            cw, xw = cur[wrong], x[wrong]
            denom = cw - xw
            tj = np.where(denom != 0.0, cw / np.where(denom != 0.0, denom, 1.0), 0.0)
            tj = np.clip(tj, 0.0, 1.0)
            t = float(tj.min())
            new = cur + t * (x - cur)
            out = np.zeros(A.shape[0], dtype=bool)
            out[np.flatnonzero(wrong)[tj <= t + 1e-12 * max(t, 1e-300)]] = True
            new[out] = 0.0
            beta[A] = new
            leaving = A[out]
            stuck = leaving[cur[out] == 0.0]
            if stuck.size:
                cap = max(1, batch // 2)
            sgn[leaving] = 0.0
            refused = fac.leave(leaving)
            if refused.size:
                beta[refused] = 0.0
                sgn[refused] = 0.0
                refused_here[refused] = True
            continue
        beta[A] = x
        if frozen:
            return True, steps, prob.gradient(beta)
        # the KKT check needs g outside A only; the certificate (the gap) needs all of it
        g, full = prob.kkt_gradient(beta, fac.member)
        cand = prob.violators(g, l1, fac.member, refused_here)
        if cand.size == 0:
            if not full:
                g = prob.gradient(beta)
            left = prob.violators(g, l1, fac.member)
            return left.size == 0, steps, g
        if cand.size > cap:
            excess = np.abs(g[cand]) / v[cand]
            cand = cand[np.argpartition(-excess, cap - 1)[:cap]]
        batch = cand.size
        sgn[cand] = np.sign(g[cand])
        refused = fac.add(cand, v[cand] * sgn[cand])
        if refused.size:
            sgn[refused] = 0.0
            refused_here[refused] = True
    return False, steps, None


def _predict_entrants(prob: _Problem, fac: CholeskyFactor, sgn, history, alpha: float,
                      l1: float) -> None:
    """Join, before the first step at ``alpha``, the features outside the factor that violate
    KKT at ``alpha`` by the gradient extrapolated linearly from the last two certified alphas
    (on a fixed active set and signs, ``g`` is linear in alpha), with the extrapolation's
    signs: most of a step's entrants then join in the first solve instead of one round of
    solve + gradient later. A wrong guess costs what a wrong entrant of the search costs (its
    sign check removes it from the end of the factor); the certificate is unchanged."""
    (a0, g0, _), (a1, g1, _) = history
    if not a0 > a1 > alpha:
        return
    g_pred = g1 + (alpha - a1) * ((g1 - g0) / (a1 - a0))
    cand = prob.violators(g_pred, l1, fac.member)
    # only those predicted to violate by a quarter of the step's change of l1 at least
    cand = cand[np.abs(g_pred[cand]) > (l1 + _PREDICT_MARGIN * l1 * (a1 / alpha - 1.0))
                * prob.v[cand]]
    if cand.size == 0:
        return
    sgn[cand] = np.sign(g_pred[cand])
    prob.diag.predicted_entrants += int(cand.size)
    refused = fac.add(cand, prob.v[cand] * sgn[cand])
    if refused.size:
        sgn[refused] = 0.0


def _predict_leavers(prob: _Problem, fac: CholeskyFactor, beta, sgn, history,
                     alpha: float) -> None:
    """Before the first step at ``alpha``, the members whose coefficient, extrapolated
    linearly from the last two certified alphas (on a fixed active set and signs β is linear in
    alpha, as ``g`` is), changes sign by ``alpha`` leave at 0: the search would otherwise find
    each as a wrong sign and spend a step (a solve) per zero crossing. A wrong guess costs what
    a missed entrant costs (the KKT check brings it back, a pinned one without factor work);
    the certificate is unchanged."""
    (a0, _, b0), (a1, _, b1) = history
    if not a0 > a1 > alpha:
        return
    b_pred = b1 + (alpha - a1) * ((b1 - b0) / (a1 - a0))
    # β is still b1 here on every member with b1 ≠ 0 (entrants joined at 0 since)
    out = np.flatnonzero(fac.member & prob.pen & (b0 != 0.0) & (b1 != 0.0) & (b_pred * b1 < 0.0))
    if out.size == 0:
        return
    prob.diag.predicted_leavers += int(out.size)
    beta[out] = 0.0
    sgn[out] = 0.0
    refused = fac.leave(out)
    if refused.size:  # a compaction refused a dependent member: it leaves too
        beta[refused] = 0.0
        sgn[refused] = 0.0


def _sync_factor(prob: _Problem, fac: CholeskyFactor, beta, sgn) -> None:
    """Make the factor hold exactly the support of β and the unpenalized features."""
    want = (beta != 0.0) | ~prob.pen
    stale = fac.idx[~want[fac.idx]]
    if stale.size:
        fac.remove(stale)
    new = np.flatnonzero(want & ~fac.member)
    if new.size:
        refused = fac.add(new)
        if refused.size:  # coordinate descent put weight on a dependent column: move it off
            beta[refused] = 0.0
    sgn[:] = 0.0
    sgn[fac.idx] = np.sign(beta[fac.idx])
    sgn[~prob.pen] = 0.0


def _cd_round(prob: _Problem, beta, g, l1, l2, tol_abs, budget) -> tuple[int, np.ndarray]:
    """Coordinate descent from β (``g`` exact) on a working set — support, unpenalized and
    features with ``|g_j| ≥ ½ l1 v_j`` — grown by the KKT violators of the full problem, for at
    most ``budget`` passes. Returns ``(passes, g)`` with ``g`` exact for the new β."""
    from lasso_spark.core.kernels import cd_sweep

    v, c = prob.v, prob.c
    passes = 0
    W = np.flatnonzero((beta != 0.0) | ~prob.pen | (np.abs(g) >= 0.5 * l1 * v))
    while True:
        Gw = np.ascontiguousarray(prob.G[np.ix_(W, W)])
        gw = np.ascontiguousarray(g[W])
        bw = np.ascontiguousarray(beta[W])
        vw = np.ascontiguousarray(v[W])
        cw = c[W]
        dw = np.ascontiguousarray(prob.gdiag[W])
        every = np.arange(W.shape[0], dtype=np.int64)
        while passes < budget:
            moved = cd_sweep(Gw, dw, gw, bw, vw, l1, l2, every, every.shape[0], 1)
            passes += 1
            act = np.flatnonzero((bw != 0.0) | (vw == 0.0)).astype(np.int64)
            for _ in range(8):
                if passes >= budget:
                    break
                cd_sweep(Gw, dw, gw, bw, vw, l1, l2, act, act.shape[0], 1)
                passes += 1
                if gap_from_gradient(cw, gw, bw, vw, prob.yy, l1, l2) <= tol_abs:
                    break
            if moved == 0.0 or gap_from_gradient(cw, gw, bw, vw, prob.yy, l1, l2) <= tol_abs:
                break
        beta[W] = bw
        prob.diag.cd_passes += passes
        g = prob.gradient(beta)
        inW = np.zeros(prob.p, dtype=bool)
        inW[W] = True
        viol = prob.violators(g, l1, inW)
        if viol.size == 0 or passes >= budget:
            return passes, g
        W = np.sort(np.concatenate([W, viol]))


def newton_path(
    G: np.ndarray,
    c: np.ndarray,
    yy: float,
    v: np.ndarray,
    alphas: np.ndarray,
    rho: float,
    tol_abs: float,
    max_iter: int,
    alpha_zero: float = np.inf,
    homotopy_max_p: int = 0,
    beta_init: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, NewtonDiagnostics]:
    """Elastic-net path (module docstring) on ``G`` (C-ordered, exactly symmetric, positive
    diagonal), ``c``, ``yy``, penalty factors ``v`` (finite, ≥ 0), decreasing ``alphas``.
    For ``alpha ≥ alpha_zero`` every penalized coefficient is 0 (the caller's exact edge of
    the all-zero region) and only the unpenalized features are fitted, by least squares.
    ``max_iter`` bounds Newton steps plus CD passes per alpha. A lasso (``rho = 1``) on at most
    ``homotopy_max_p`` features is first solved by homotopy
    (:func:`lasso_spark.core.homotopy.homotopy_lasso_path`); the search below takes over from
    the first alpha it did not certify.

    ``beta_init`` (p,): a warm start for the first alpha, e.g. the solution at a nearby alpha
    (of another working set or data); the search starts from it as from the previous alpha of
    the grid (its support and signs in the factor, no homotopy). It is used only when it has a
    non-zero penalized coefficient and the first alpha is below ``alpha_zero``; the certificate
    is the same.

    Returns ``(coefs (m, p), gaps (m,), n_iter (m,), diagnostics)``."""
    diag = NewtonDiagnostics()
    prob = _Problem(G, c, yy, v, diag)
    p, m = prob.p, alphas.shape[0]
    coefs = np.zeros((m, p))
    gaps = np.zeros(m)
    n_iter = np.zeros(m, dtype=np.int64)
    fac = CholeskyFactor(G, v, diag, c)
    beta = np.zeros(p)
    sgn = np.zeros(p)
    l2_first = float(alphas[0]) * (1.0 - rho) if m else 0.0
    fac.reset(np.flatnonzero(~prob.pen), l2_first)
    if fac.m:  # unpenalized least squares (v = 0: no ridge term either)
        beta[fac.idx] = fac.solve(c[fac.idx])
    start = 0
    warm = (beta_init is not None and m > 0 and float(alphas[0]) < alpha_zero
            and bool(np.any(beta_init[prob.pen] != 0.0)))
    if warm:
        beta[:] = beta_init
        _sync_factor(prob, fac, beta, sgn)
    elif rho == 1.0 and m and p <= homotopy_max_p:
        # the leading alphas where no feature violates KKT at the answer with every penalized
        # coefficient 0 by more than the search's slack (alpha within rounding of alpha_max,
        # e.g. an alpha_max computed from other sums, as wide mode's) keep that answer, as the
        # search does, rather than the homotopy's rounding-sized coefficients
        pen = v > 0.0
        g0 = c - G @ beta
        dual0 = float(np.max(np.abs(g0[pen]) / v[pen], initial=0.0))
        top = alpha_zero
        for a in alphas:
            if a < top and dual0 <= float(a) * (1.0 + _KKT_SLACK):
                top = float(a)
        hc, hg, events, refused = homotopy_lasso_path(G, c, yy, v, alphas, top, tol_abs,
                                                      _HOMOTOPY_EVENTS * p)
        start = hg.shape[0]
        coefs[:start] = hc
        gaps[:start] = hg
        n_iter[:start] = 1
        diag.homotopy_alphas = start
        diag.homotopy_events = events
        diag.dependent_refused += refused
        diag.steps_by_alpha.extend([1] * start)
        if 0 < start < m:
            beta[:] = hc[-1]
            _sync_factor(prob, fac, beta, sgn)
    # (alpha, exact g, β) of the last certified alphas
    history: list[tuple[float, np.ndarray, np.ndarray]] = []
    for ia in range(start, m):
        alpha = float(alphas[ia])
        l1, l2 = alpha * rho, alpha * (1.0 - rho)
        if l2 != fac.l2:
            refused = fac.reset(fac.idx, l2, fac.w)
            beta[refused] = 0.0
            sgn[refused] = 0.0
        frozen = alpha >= alpha_zero
        if not frozen and len(history) == 2:
            _predict_entrants(prob, fac, sgn, history, alpha, l1)
            _predict_leavers(prob, fac, beta, sgn, history, alpha)
        ok, steps, g = _feature_sign_search(prob, fac, beta, sgn, l1, min(max_iter, _BUDGET),
                                            frozen)
        used = steps
        gap = np.inf
        if ok:
            gap = gap_from_gradient(c, g, beta, v, yy, l1, l2)
        if gap <= tol_abs:
            diag.newton_alphas += 1
            entry = (alpha, g, beta.copy())
            history = [history[-1], entry] if history else [entry]
        else:
            history = []
            diag.fallback_alphas += 1
            if g is None:
                g = prob.gradient(beta)
            budget = 16
            while used < max_iter:
                passes, g = _cd_round(prob, beta, g, l1, l2, tol_abs,
                                      min(budget, max_iter - used))
                used += passes
                budget *= 2
                _sync_factor(prob, fac, beta, sgn)
                if fac.l2 != l2:
                    fac.reset(fac.idx, l2, fac.w)
                gap = gap_from_gradient(c, g, beta, v, yy, l1, l2)
                if gap <= tol_abs or used >= max_iter:
                    break
                trial = beta.copy()
                tsgn = sgn.copy()
                ok, steps, gt = _feature_sign_search(prob, fac, trial, tsgn, l1,
                                                     max_iter - used)
                used += steps
                if ok:
                    gap_t = gap_from_gradient(c, gt, trial, v, yy, l1, l2)
                    if gap_t < gap:
                        beta[:], sgn[:], g, gap = trial, tsgn, gt, gap_t
                if gap <= tol_abs:
                    break
                _sync_factor(prob, fac, beta, sgn)
        coefs[ia] = beta
        gaps[ia] = gap
        n_iter[ia] = used
        diag.steps_by_alpha.append(int(used))
    return coefs, gaps, n_iter, diag
