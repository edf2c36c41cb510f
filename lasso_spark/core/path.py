"""Elastic-net regularization path on sufficient statistics: :func:`enet_path`.

Solves the problem of :mod:`lasso_spark.core.objective` (the objective, its standardization,
intercept and penalty-factor semantics and the duality-gap stopping rule are stated there) along a
decreasing alpha grid with warm starts, on the standardized Gram of
:func:`lasso_spark.core.quadratic.design`: by active-set Newton steps on an updated Cholesky
factor (:mod:`lasso_spark.core.newton`, the default) or by the coordinate-descent kernels of
:mod:`lasso_spark.core.cd` (``solver="cd"``).
The default grid is :func:`lasso_spark.core.grid.alpha_grid`'s.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lasso_spark.core.grid import alpha_max_of_design, decreasing_alphas, default_grid
from lasso_spark.core.newton import newton_path
from lasso_spark.core.penalties import StructuredPenalty, blocks_of
from lasso_spark.core.penalty import check_l1_ratio, check_penalty_factor
from lasso_spark.core.quadratic import Design, design, unpenalized_fit
from lasso_spark.core.stats import SuffStats
from lasso_spark.core.threads import one_blas_thread

logger = logging.getLogger(__name__)

__all__ = ["ConvergenceWarning", "PathDiagnostics", "PathResult", "design_path", "enet_path",
           "warmup"]


# solver="cd": from this many features on, active-set passes read a float32 copy of the Gram
_MIXED_MIN_P = 256
#: solver="newton": lasso paths on at most this many features start with the homotopy
HOMOTOPY_MAX_P = 256
SOLVERS = ("newton", "cd")


class ConvergenceWarning(UserWarning):
    """Coordinate descent stopped at ``max_iter`` before the duality gap reached ``tol``."""


@dataclass(frozen=True)
class PathDiagnostics:
    """What the solver did along one path, by name (counts summed over the alphas).

    ``solver``: ``"newton"`` (active-set Newton, :mod:`lasso_spark.core.newton`) or ``"cd"``
    (coordinate descent, :mod:`lasso_spark.core.cd`); with a ``structure``,
    ``"group_newton"`` or ``"bcd"`` (:mod:`lasso_spark.core.bcd`: Newton counts as for
    ``"newton"``, ``cd_passes`` block coordinate descent passes of the fallback). Newton:
    ``newton_steps`` linear solves with the Cholesky factor, ``newton_alphas`` alphas
    certified by them alone, ``fallback_alphas`` alphas that needed coordinate descent
    (``cd_passes`` passes), ``features_added`` / ``features_removed`` factor up/downdates,
    ``refactorizations``, ``dependent_refused`` joining features refused as linearly
    dependent, ``gradient_evals`` products ``c − Gβ`` over all features,
    ``partial_gradient_evals`` the same over the features outside the factor only (the KKT
    checks at the dense end of a path, before the certifying product), ``predicted_entrants``
    features joined before an alpha's first step by the gradient extrapolated from the last two
    certified alphas, ``predicted_leavers`` members set to 0 before an alpha's first step
    because their coefficient extrapolated from the same two alphas changes sign,
    ``features_pinned`` features that left the active set but stayed in the
    factor pinned at 0 (far from its end; no removal); ``homotopy_alphas``
    alphas certified by the homotopy that starts a small lasso path (``homotopy_events``
    features joining or leaving along it, :mod:`lasso_spark.core.homotopy`). Coordinate
    descent, passes by kind:
    ``violator_passes`` (over KKT violators of the working set), ``active_passes`` (over the
    active set); ``anderson_attempts`` / ``anderson_accepted`` extrapolations,
    ``warm_starts_accepted`` extrapolated warm starts, ``gradient_evals`` (float64 rebuilds),
    ``certifications`` full KKT + gap checks, ``float32_switches`` (1 when float32 passes could
    not reach the tolerance and the rest of the path ran in float64), ``compact_gram_builds``
    and ``compact_gram_features`` (features copied into the working set's Gram).
    """

    solver: str
    newton_steps: int = 0
    newton_alphas: int = 0
    fallback_alphas: int = 0
    cd_passes: int = 0
    features_added: int = 0
    features_removed: int = 0
    refactorizations: int = 0
    dependent_refused: int = 0
    gradient_evals: int = 0
    partial_gradient_evals: int = 0
    predicted_entrants: int = 0
    predicted_leavers: int = 0
    features_pinned: int = 0
    violator_passes: int = 0
    active_passes: int = 0
    anderson_attempts: int = 0
    anderson_accepted: int = 0
    warm_starts_accepted: int = 0
    certifications: int = 0
    float32_switches: int = 0
    compact_gram_builds: int = 0
    compact_gram_features: int = 0
    homotopy_alphas: int = 0
    homotopy_events: int = 0

    @classmethod
    def from_cd_counters(cls, counters: np.ndarray) -> PathDiagnostics:
        """From the ``counters`` array of :func:`lasso_spark.core.cd.cd_path`."""
        c = [int(x) for x in counters]
        return cls(
            solver="cd", violator_passes=c[0], active_passes=c[1], cd_passes=c[0] + c[1],
            anderson_attempts=c[2], anderson_accepted=c[3], gradient_evals=c[4],
            warm_starts_accepted=c[5], certifications=c[6], float32_switches=c[7],
            compact_gram_builds=c[8], compact_gram_features=c[9],
        )


@dataclass(frozen=True)
class PathResult:
    """An elastic-net path. Arrays are indexed by alpha (decreasing), then feature.

    ``coef`` is on the original feature scale, ``coef_std`` on the standardized scale the
    penalty applies to. ``dual_gap`` is the certified duality gap in objective units,
    ``converged`` says ``dual_gap ≤ tol_abs = tol · yy``. ``n_iter`` counts, per alpha, the
    solver's steps: Newton solves plus coordinate-descent passes (``solver="newton"``; 1 for an
    alpha the homotopy certified), or passes over the KKT violators or the active set
    (``solver="cd"``). ``alpha_max`` is the
    exact edge of the all-zero region; ``diagnostics`` says what the solver did
    (:class:`PathDiagnostics`).
    """

    alphas: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    dual_gap: np.ndarray
    n_iter: np.ndarray
    n_nonzero: np.ndarray
    converged: np.ndarray
    coef_std: np.ndarray
    alpha_max: float
    l1_ratio: float
    tol: float
    tol_abs: float
    penalty_factor: np.ndarray
    feature_scale: np.ndarray
    fit_intercept: bool
    standardize: bool
    diagnostics: PathDiagnostics | None = None

    @property
    def n_alphas(self) -> int:
        return int(self.alphas.shape[0])


def warmup(solver: str = "newton") -> float:
    """Compile (or load from the on-disk cache, see :mod:`lasso_spark.core.jit`) the numba
    kernels ``solver`` may run; returns seconds spent. A fit compiles what it uses by itself:
    this only moves that cost out of a timed region (``"newton"``: the coordinate-descent sweep
    of its fallback, the one kernel it may need)."""
    t0 = time.perf_counter()
    if solver == "newton":
        from lasso_spark.core.kernels import cd_sweep  # numba loads here, not at import

        cd_sweep.compiled()
        return time.perf_counter() - t0
    if solver != "cd":
        raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
    from lasso_spark.core import cd

    G = np.array([[1.0, 0.5], [0.5, 1.0]])
    c = np.array([0.3, -0.2])
    alphas = np.array([0.2, 0.1])
    coefs = np.zeros((2, 2))
    for G32 in (G.astype(np.float32), np.zeros((0, 0), np.float32)):
        cd.cd_path(G, G32, c, 1.0, np.ones(2), alphas, 1.0, 1.0, 1e-10, 100, np.zeros(2),
                    np.zeros(0, dtype=np.int64), np.zeros((0, 0)), coefs, np.zeros(2),
                    np.zeros(2, dtype=np.int64), 0, np.zeros(10, dtype=np.int64))
    return time.perf_counter() - t0


def _cd_flags(anderson: bool, extrapolate: bool, float32: bool | None, block_passes: bool,
              q: int) -> tuple[int, bool]:
    """The coordinate-descent kernel's switches from enet_path's keywords."""
    low = q >= _MIXED_MIN_P if float32 is None else bool(float32)
    flags = (0 if anderson else 1) | (0 if extrapolate else 2) | (0 if low else 4) | (
        0 if block_passes else 8)
    return flags, low


@one_blas_thread()
def enet_path(
    stats: SuffStats,
    *,
    alphas: Sequence[float] | np.ndarray | None = None,
    n_alphas: int = 100,
    alpha_min_ratio: float | None = None,
    l1_ratio: float = 1.0,
    penalty_factor: Sequence[float] | np.ndarray | None = None,
    fit_intercept: bool = True,
    standardize: bool = True,
    tol: float = 1e-7,
    max_iter: int = 100_000,
    solver: str = "newton",
    anderson: bool = True,
    extrapolate: bool = True,
    float32: bool | None = None,
    block_passes: bool = True,
    homotopy_max_p: int = HOMOTOPY_MAX_P,
    structure: StructuredPenalty | None = None,
    coef_init: np.ndarray | None = None,
) -> PathResult:
    """Solve the elastic net (module docstring) along a decreasing alpha grid with warm starts.

    ``alphas``: explicit values (sorted decreasing, must be > 0), else the automatic grid of
    :func:`alpha_grid`. ``tol``: relative duality-gap tolerance (gap ≤ tol · yy). ``max_iter``:
    solver steps per alpha; reaching it emits :class:`ConvergenceWarning` with the alpha and gap.

    ``solver``: ``"newton"`` (default) — active-set Newton steps on a Cholesky factor updated
    along the path, coordinate descent as fallback (:mod:`lasso_spark.core.newton`); ``"cd"`` —
    Gram coordinate descent (:mod:`lasso_spark.core.cd`), whose switches are the remaining
    keywords (for ablation and comparison): ``anderson`` extrapolation of the iterates,
    ``extrapolate`` the warm start linearly in alpha, ``float32`` passes on a float32 copy of
    the Gram (None: from 256 features on), ``block_passes`` (else plain cyclic passes).
    ``homotopy_max_p`` (Newton, lasso only): up to this many features the path starts with the
    exact homotopy of :mod:`lasso_spark.core.homotopy` (numpy only, a few calls per feature
    joining or leaving; the Newton search takes over at the first alpha it does not certify);
    0 turns it off.

    ``structure``: coefficient bounds and/or feature groups
    (:class:`~lasso_spark.core.penalties.StructuredPenalty`; the problem and its duality gap
    are stated in :mod:`lasso_spark.core.penalties`), solved by :mod:`lasso_spark.core.bcd`
    : groups without bounds (the sparse group lasso, ``group_l1_ratio > 0``, too) by an
    active-set Newton over blocks (``diagnostics.solver == "group_newton"``), bounds, and any
    structure with ``solver="cd"``, by block coordinate descent (``"bcd"``).

    ``coef_init`` (``solver="newton"`` without a structure): standardized coefficients
    (``coef_std``'s scale, one per feature of ``stats``) that warm-start the first alpha, e.g.
    the solution at the previous alpha of a path solved on other statistics of the same
    features (``beta_init`` of :func:`~lasso_spark.core.newton.newton_path`); features the
    design leaves out are ignored. Same certificate, fewer steps when it is close.

    BLAS runs on one thread during the call (:func:`lasso_spark.core.threads.one_blas_thread`):
    the answers are the same, bit for bit, whatever the process's BLAS thread count.
    """
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
    rho = check_l1_ratio(l1_ratio)
    if not (np.isfinite(tol) and tol > 0.0):
        raise ValueError(f"tol must be a positive number, got {tol}")
    if int(max_iter) < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter}")
    d = design(
        stats, penalty_factor=penalty_factor, fit_intercept=fit_intercept, standardize=standardize
    )
    mean_x = stats.mean_x + stats.mean_x_lo if fit_intercept else None
    mean_y = stats.mean_y + stats.mean_y_lo if fit_intercept else 0.0
    return _design_path(d, mean_x, mean_y, stats.n_rows, alphas=alphas, n_alphas=n_alphas,
                        alpha_min_ratio=alpha_min_ratio, rho=rho, penalty_factor=penalty_factor,
                        fit_intercept=fit_intercept, standardize=standardize, tol=tol,
                        max_iter=max_iter, solver=solver, anderson=anderson,
                        extrapolate=extrapolate, float32=float32, block_passes=block_passes,
                        homotopy_max_p=homotopy_max_p, structure=structure,
                        coef_init=coef_init)


@one_blas_thread()
def design_path(
    d: Design,
    *,
    mean_x: np.ndarray | None,
    mean_y: float,
    n_rows: int,
    alphas: Sequence[float] | np.ndarray,
    l1_ratio: float = 1.0,
    penalty_factor: Sequence[float] | np.ndarray | None = None,
    fit_intercept: bool = True,
    standardize: bool = True,
    tol: float = 1e-7,
    max_iter: int = 100_000,
    coef_init: np.ndarray | None = None,
) -> PathResult:
    """:func:`enet_path` (``solver="newton"``, no structure) on a :class:`Design` built by the
    caller from statistics it holds in another form (wide mode's Gram blocks): the same solver,
    certificate, warnings and result. ``mean_x`` (one per feature of the design) and ``mean_y``:
    the training means of the intercept (``mean_x=None`` without intercept); ``n_rows`` as the
    statistics' (the default grid's rule); ``penalty_factor`` over the design's features;
    ``coef_init`` as :func:`enet_path`'s."""
    rho = check_l1_ratio(l1_ratio)
    if not (np.isfinite(tol) and tol > 0.0):
        raise ValueError(f"tol must be a positive number, got {tol}")
    if int(max_iter) < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter}")
    if fit_intercept and mean_x is None:
        raise ValueError("fit_intercept needs the training means (mean_x)")
    return _design_path(d, mean_x, mean_y, int(n_rows), alphas=alphas, n_alphas=0,
                        alpha_min_ratio=None, rho=rho, penalty_factor=penalty_factor,
                        fit_intercept=fit_intercept, standardize=standardize, tol=tol,
                        max_iter=max_iter, solver="newton", anderson=True, extrapolate=True,
                        float32=None, block_passes=True, homotopy_max_p=HOMOTOPY_MAX_P,
                        structure=None, coef_init=coef_init)


def _design_path(d: Design, mean_x: np.ndarray | None, mean_y: float, n_rows: int, *,
                 alphas, n_alphas, alpha_min_ratio, rho, penalty_factor, fit_intercept,
                 standardize, tol, max_iter, solver, anderson, extrapolate, float32,
                 block_passes, homotopy_max_p, structure, coef_init) -> PathResult:
    """The body of :func:`enet_path` after its design (and of :func:`design_path`)."""
    structured = structure is not None and (structure.has_bounds or bool(structure.groups))
    beta_init = None
    if coef_init is not None:
        if structured or solver != "newton":
            raise ValueError("coef_init warm-starts solver='newton' without a structure only")
        coef_init = np.asarray(coef_init, dtype=np.float64)
        if coef_init.shape != (d.n_features,):
            raise ValueError(f"coef_init must have one value per feature ({d.n_features}),"
                             f" got shape {coef_init.shape}")
        beta_init = np.ascontiguousarray(coef_init[d.index])
    if structured:
        if structure.n_features != d.n_features:
            raise ValueError(f"structure is for {structure.n_features} features, the "
                             f"statistics have {d.n_features}")
        from lasso_spark.core.bcd import structured_alpha_max_of, structured_path  # numba

        blk = blocks_of(d, structure)
        a_max = structured_alpha_max_of(d, structure, rho, float(tol) * d.yy, int(max_iter),
                                        blk)
    else:
        beta0 = unpenalized_fit(d)
        a_max = alpha_max_of_design(d, rho, beta0)
    if alphas is None:
        grid = default_grid(a_max, n_alphas, alpha_min_ratio, n_rows, d.n_features)
    else:
        grid = decreasing_alphas(alphas)
    m, p, q = grid.shape[0], d.n_features, d.index.shape[0]
    tol_abs = float(tol) * d.yy
    coefs_r = np.zeros((m, q))
    gaps = np.zeros(m)
    n_iter = np.zeros(m, dtype=np.int64)
    diagnostics = PathDiagnostics(solver=solver)
    # alpha_zero: at and above it the penalized coefficients are exactly 0
    alpha_zero = a_max if a_max > 0.0 else np.inf
    if q > 0 and m > 0 and structured:
        newton = solver != "cd"
        coefs_r, gaps, n_iter, _, nd = structured_path(d, structure, grid, rho, tol_abs,
                                                       int(max_iter), newton, blk)
        diagnostics = PathDiagnostics(
            solver="bcd" if structure.has_bounds or not newton else "group_newton",
            newton_steps=nd.newton_steps, newton_alphas=nd.newton_alphas,
            fallback_alphas=nd.fallback_alphas, cd_passes=nd.cd_passes,
            refactorizations=nd.refactorizations)
    elif q > 0 and m > 0 and solver == "newton":
        coefs_r, gaps, n_iter, nd = newton_path(d.G, d.c, d.yy, d.v, grid, rho, tol_abs,
                                                int(max_iter), alpha_zero, int(homotopy_max_p),
                                                beta_init)
        diagnostics = PathDiagnostics(
            solver="newton", newton_steps=nd.newton_steps, newton_alphas=nd.newton_alphas,
            fallback_alphas=nd.fallback_alphas, cd_passes=nd.cd_passes,
            features_added=nd.features_added, features_removed=nd.features_removed,
            refactorizations=nd.refactorizations, dependent_refused=nd.dependent_refused,
            gradient_evals=nd.gradient_evals, partial_gradient_evals=nd.partial_gradient_evals,
            predicted_entrants=nd.predicted_entrants, predicted_leavers=nd.predicted_leavers,
            features_pinned=nd.features_pinned,
            homotopy_alphas=nd.homotopy_alphas,
            homotopy_events=nd.homotopy_events,
        )
        logger.debug("newton_path %s", diagnostics)
    elif q > 0 and m > 0:
        from lasso_spark.core import cd

        counters = np.zeros(10, dtype=np.int64)
        U = np.flatnonzero(d.v == 0.0).astype(np.int64)
        Ginv = np.ascontiguousarray(np.linalg.pinv(d.G[np.ix_(U, U)], hermitian=True))
        flags, low = _cd_flags(anderson, extrapolate, float32, block_passes, q)
        G32 = d.G.astype(np.float32) if low else np.zeros((0, 0), np.float32)
        cd.cd_path(d.G, G32, d.c, d.yy, d.v, grid, rho, alpha_zero, tol_abs, int(max_iter),
                    beta0, U, Ginv, coefs_r, gaps, n_iter, flags, counters)
        diagnostics = PathDiagnostics.from_cd_counters(counters)
        logger.debug("cd_path %s", diagnostics)
    else:
        gaps[:] = 0.0
    converged = gaps <= tol_abs
    solver = diagnostics.solver
    for i in np.flatnonzero(~converged):
        warnings.warn(
            f"the {solver} solver did not converge at alpha={grid[i]:.6g} (index {i}): duality "
            f"gap {gaps[i]:.3e} > tol·yy = {tol_abs:.3e} after {n_iter[i]} iterations; raise "
            f"max_iter or tol",
            ConvergenceWarning,
            stacklevel=2,
        )
    coef_std = np.zeros((m, p))
    coef_std[:, d.index] = coefs_r
    coef = np.zeros((m, p))
    coef[:, d.index] = coefs_r / d.scale[d.index]
    if fit_intercept:
        intercept = mean_y - coef @ mean_x
    else:
        intercept = np.zeros(m)
    return PathResult(
        alphas=grid,
        coef=coef,
        intercept=intercept,
        dual_gap=gaps,
        n_iter=n_iter,
        n_nonzero=np.count_nonzero(coef, axis=1),
        converged=converged,
        coef_std=coef_std,
        alpha_max=a_max,
        l1_ratio=rho,
        tol=float(tol),
        tol_abs=tol_abs,
        penalty_factor=check_penalty_factor(penalty_factor, p),
        feature_scale=d.scale,
        fit_intercept=bool(fit_intercept),
        standardize=bool(standardize),
        diagnostics=diagnostics,
    )
