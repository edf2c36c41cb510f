"""Stability selection on bucket statistics: complementary half-samples from one data pass.

Meinshausen & Bühlmann (2010) fit the lasso on many random halves of the data and call a feature
stable when the fraction of halves that select it, its *selection probability* ``Π̂_j``, reaches
a threshold ``π_thr ∈ (0.5, 1]``. Shah & Samworth (2013) draw the halves in *complementary pairs*
(a half and the other half), which keeps Meinshausen–Bühlmann's error bound and removes its
dependence on how the halves are drawn.

Here the rows are hashed into ``B`` buckets in the statistics pass (the fold hash of
:mod:`lasso_spark.spark.fold_hash`, so a row's bucket depends on its values only). A half-sample
is a set of ``B/2`` buckets and its statistics are exactly the merge of theirs
(:func:`half_statistics`); its complement is the merge of the other ``B/2``. Per pair ``i`` a
random permutation of the buckets is drawn from the seed (:func:`complementary_pairs`), so

    A_i = {first B/2 buckets of the permutation},   Ā_i = the other B/2,

and the pairs are distinct (a pair and its swap are the same pair). Over ``N`` pairs the ``2N``
halves give, per grid point ``λ`` and feature ``j``::

    Π̂_j(λ) = #{halves h : β̂_j(h, λ) ≠ 0} / 2N          (:func:`selection_probabilities`)

**The stable set and its bound, at one regParam.** At a regParam ``λ`` of the grid the stable
set is ``Ŝ = {j : Π̂_j(λ) ≥ π_thr}``; with ``q`` the average number of features a half selects at
``λ``, ``q = Σ_j Π̂_j(λ)``, Meinshausen & Bühlmann's Theorem 1 (with the region ``Λ = {λ}``)
bounds the expected number ``V`` of falsely selected (noise) features::

    E[V] ≤ q² / ((2 π_thr − 1) p)                        (:func:`pfer_bound`)

under their exchangeability assumption on the noise features and a selection no worse than
random guessing; Shah & Samworth prove it for complementary pairs under the same assumptions
(their Theorem 1 also gives an assumption-free bound on the features of low selection
probability). Why one regParam and not the maximum over the whole grid: at the small end of a
lasso grid nearly every feature is selected in nearly every half, so a maximum over the whole
grid calls everything stable and its ``q`` (the union of selections over the region) tends to
``p``, making the bound empty; Meinshausen & Bühlmann restrict the region for exactly this
reason, and restricting it to one point makes ``q`` the readable "features per half at this
regParam". The caller chooses the point (``lasso_spark`` defaults to the model's regParam).

Memory: the statistics pass holds one :class:`SuffStats` per *cell* (bucket, or fold × bucket),
``cells · (p² + 3p + 5)`` doubles per task and on the driver; :func:`check_bucket_memory`
refuses before any pass when that exceeds a budget.

numpy only (the path solver is imported where a path is fitted).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lasso_spark.core.errors import DataError
from lasso_spark.core.stats import SuffStats, merge_all

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_BUCKET_MEMORY_BYTES",
    "DEFAULT_MIN_BUCKETS",
    "BucketMemoryError",
    "SelectionTally",
    "StabilityPath",
    "bucket_memory_bytes",
    "check_bucket_memory",
    "check_pairs",
    "complementary_pairs",
    "default_num_buckets",
    "half_statistics",
    "max_complementary_pairs",
    "pfer_bound",
    "selection_probabilities",
    "stability_path",
    "stable_set",
]

#: default budget of the bucket statistics (cells · packed SuffStats) per task and on the driver
DEFAULT_BUCKET_MEMORY_BYTES = 1024 * 1024 * 1024
#: the automatic bucket count is the smallest even multiple of the folds from this many on
DEFAULT_MIN_BUCKETS = 32


class BucketMemoryError(ValueError):
    """The bucket statistics would exceed the memory budget (the message gives the figures)."""


def bucket_memory_bytes(n_cells: int, n_features: int) -> int:
    """Bytes of ``n_cells`` :class:`SuffStats` of ``n_features`` features in memory."""
    return int(n_cells) * SuffStats.memory_bytes(int(n_features))


def check_bucket_memory(n_cells: int, n_features: int, limit_bytes: int,
                        what: str = "the bucket statistics") -> int:
    """The bytes of ``n_cells`` statistics of ``n_features``; :class:`BucketMemoryError` when
    they exceed ``limit_bytes``, naming both figures and what to change."""
    need = bucket_memory_bytes(n_cells, n_features)
    if need > limit_bytes:
        mib = 1024.0 * 1024.0
        raise BucketMemoryError(
            f"{what} need {need / mib:.4g} MiB ({n_cells} cells x (p² + 3p + 5) doubles at "
            f"p = {n_features}), above the budget of {limit_bytes / mib:.4g} MiB "
            "(maxBucketMemoryMB): use fewer buckets (numBuckets) or features, or raise the "
            "budget if every executor task and the driver can hold that much"
        )
    return need


def default_num_buckets(num_folds: int = 0) -> int:
    """The smallest even multiple of ``num_folds`` (2 without folds) that is at least
    :data:`DEFAULT_MIN_BUCKETS`: hashed folds are then unions of buckets."""
    step = int(num_folds) if num_folds and num_folds >= 2 else 2
    step = step if step % 2 == 0 else 2 * step
    return step * max(1, math.ceil(DEFAULT_MIN_BUCKETS / step))


def max_complementary_pairs(num_buckets: int) -> int:
    """Distinct complementary pairs of halves of ``num_buckets`` (even) buckets:
    ``C(B, B/2) / 2``."""
    return math.comb(int(num_buckets), int(num_buckets) // 2) // 2


def check_pairs(num_buckets: int, num_pairs: int) -> None:
    """``ValueError`` unless ``num_buckets`` is even and ``>= 2`` and ``num_pairs`` distinct
    complementary pairs of its halves exist."""
    if num_buckets < 2 or num_buckets % 2:
        raise ValueError(f"numBuckets must be even and >= 2 to split into halves, "
                         f"got {num_buckets}")
    if num_pairs < 1:
        raise ValueError(f"numSubsamples must be >= 1 complementary pairs, got {num_pairs}")
    most = max_complementary_pairs(num_buckets)
    if num_pairs > most:
        raise ValueError(f"numBuckets={num_buckets} has only {most} distinct complementary "
                         f"pairs of halves; numSubsamples={num_pairs} asks for more: use more "
                         "buckets or fewer pairs")


def complementary_pairs(num_buckets: int, num_pairs: int, seed: int) -> np.ndarray:
    """``(num_pairs, num_buckets)`` booleans: row ``i`` marks the buckets of half ``A_i``, its
    complement ``Ā_i`` is ``~row``. Each row is the first half of a random permutation drawn
    from ``seed`` (numpy's PCG64); a pair equal to an earlier one (or to its swap) is drawn
    again, so the pairs are distinct."""
    check_pairs(num_buckets, num_pairs)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed) & (2**63 - 1),
                                                                       num_buckets])))
    half = num_buckets // 2
    out = np.zeros((num_pairs, num_buckets), dtype=bool)
    seen: set[bytes] = set()
    i = 0
    while i < num_pairs:
        mask = np.zeros(num_buckets, dtype=bool)
        mask[rng.permutation(num_buckets)[:half]] = True
        key = (mask if mask[0] else ~mask).tobytes()  # a pair is known by its half holding 0
        if key in seen:
            continue
        seen.add(key)
        out[i] = mask
        i += 1
    return out


def half_statistics(buckets: Sequence[SuffStats], mask: np.ndarray) -> SuffStats:
    """The statistics of the rows of the buckets in ``mask``: their merge (Chan's formula),
    exactly those of the rows themselves up to rounding. :class:`DataError` when the half
    holds no weight."""
    chosen = [buckets[b] for b in np.flatnonzero(mask)]
    half = merge_all(chosen, n_features=buckets[0].n_features)
    if not half.weight_sum > 0.0:
        raise DataError(f"a half-sample of {len(chosen)} of {len(buckets)} buckets holds no rows "
                        f"(of {sum(b.n_rows for b in buckets)} valid rows): too few rows for "
                        "stability selection, or use fewer buckets")
    return half


class SelectionTally:
    """Running count, per grid point and feature, of the half-sample supports that select it."""

    def __init__(self, n_alphas: int, n_features: int) -> None:
        self.counts = np.zeros((int(n_alphas), int(n_features)), dtype=np.int64)
        self.n_halves = 0

    def add(self, support: np.ndarray) -> None:
        """One half's support ``(m, p)`` (non-zero coefficients)."""
        mask = np.asarray(support, dtype=bool)
        if mask.shape != self.counts.shape:
            raise ValueError(f"support has shape {mask.shape}, expected {self.counts.shape}")
        self.counts += mask
        self.n_halves += 1

    @property
    def probabilities(self) -> np.ndarray:
        """``(m, p)``: the fraction of the halves added so far that select each feature."""
        if self.n_halves == 0:
            raise ValueError("no half-sample support was added")
        return self.counts / float(self.n_halves)


def selection_probabilities(supports: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
    """``(m, p)`` fraction of the half-sample supports ``(m, p)`` (boolean, one per half) that
    select each feature at each grid point."""
    stack = np.asarray(supports, dtype=bool)
    if stack.ndim != 3 or stack.shape[0] == 0:
        raise ValueError(f"supports must be a non-empty stack of (m, p) masks, got {stack.shape}")
    tally = SelectionTally(stack.shape[1], stack.shape[2])
    for support in stack:
        tally.add(support)
    return tally.probabilities


def pfer_bound(q: float, threshold: float, n_features: int) -> float:
    """Meinshausen–Bühlmann's bound ``q² / ((2 π_thr − 1) p)`` on the expected number of
    falsely selected features (module docstring); ``threshold`` must lie in ``(0.5, 1]``."""
    if not 0.5 < threshold <= 1.0:
        raise ValueError(f"the stability threshold must lie in (0.5, 1], got {threshold}")
    if n_features < 1:
        raise ValueError(f"n_features must be >= 1, got {n_features}")
    return float(q) ** 2 / ((2.0 * float(threshold) - 1.0) * int(n_features))


def stable_set(probabilities: np.ndarray, threshold: float) -> tuple[np.ndarray, float, float]:
    """At one grid point: ``(stable feature indices, q, bound)`` for the selection
    probabilities ``(p,)`` — the features with ``Π̂_j ≥ threshold``, the mean number selected
    per half ``q = Σ_j Π̂_j`` and :func:`pfer_bound`."""
    prob = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    q = float(prob.sum())
    bound = pfer_bound(q, threshold, prob.shape[0])
    # a probability is a count over 2N halves: compare with a rounding margin of that count
    stable = np.flatnonzero(prob >= float(threshold) - 1e-12)
    return stable, q, bound


@dataclass(frozen=True)
class StabilityPath:
    """Selection probabilities ``(m, p)`` of ``n_halves`` half-sample paths on one alpha grid
    (decreasing); ``converged`` says every half reached the duality-gap target everywhere."""

    alphas: np.ndarray
    probabilities: np.ndarray
    n_halves: int
    converged: bool


def stability_path(
    buckets: Sequence[SuffStats],
    alphas: np.ndarray,
    pairs: np.ndarray,
    *,
    penalty_factor: np.ndarray | None = None,
    **enet_kwargs,
) -> StabilityPath:
    """Every half of every complementary pair (``pairs`` from :func:`complementary_pairs`)
    fitted with :func:`lasso_spark.core.enet_path` on ``alphas`` (built one half at a time from
    the bucket statistics): the reference, on the driver, of what the estimators compute."""
    from lasso_spark.core.path import enet_path

    grid = np.asarray(alphas, dtype=np.float64)
    tally = SelectionTally(grid.shape[0], buckets[0].n_features)
    converged = True
    for mask in np.asarray(pairs, dtype=bool):
        for half_mask in (mask, ~mask):
            res = enet_path(half_statistics(buckets, half_mask), alphas=grid,
                            penalty_factor=penalty_factor, **enet_kwargs)
            tally.add(res.coef != 0.0)
            converged &= bool(np.all(res.converged))
    return StabilityPath(grid, tally.probabilities, tally.n_halves, converged)
