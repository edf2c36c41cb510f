"""Sufficient statistics for weighted least squares, mergeable across partitions.

For rows ``(x_i, y_i, w_i)`` with ``W = Σ w_i`` a :class:`SuffStats` holds

    n_rows   number of rows
    weight_sum  W
    mean_x   μx = Σ w x / W                      (p,)
    mean_y   μy = Σ w y / W
    cxx      Cxx = Σ w (x − μx)(x − μx)ᵀ         (p, p)  centered co-moment
    cxy      cxy = Σ w (x − μx)(y − μy)          (p,)
    cyy      cyy = Σ w (y − μy)²

Two sets of statistics merge with Chan's pairwise formula, with ``δ = μ_b − μ_a``::

    W  = W_a + W_b
    μ  = μ_a + δ W_b / W
    C  = C_a + C_b + (W_a W_b / W) δ δᵀ

which never forms raw sums of squares. Each mean is carried as a double-double: ``mean_x`` is
the rounded mean and ``mean_x_lo`` the residual ``Σ w (x − mean_x) / W``, so that ``δ`` between two
nearly equal means of large magnitude (mean 1e6, standard deviation 1e-2) is exact to rounding of
``δ`` itself rather than of ``μ``. Merging is associative and commutative up to rounding.

In transport (:meth:`SuffStats.pack`, :class:`PackedStats`) the symmetric ``Cxx`` travels as its
upper triangle only, column by column (LAPACK's packed ``'U'`` storage: entry ``(i, j)``, ``i ≤ j``,
at ``j(j+1)/2 + i``), ``p(p+1)/2`` doubles instead of ``p²``; packed statistics merge in that
form with the same Chan update (:func:`merge_pair` with :func:`packed_outer`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

logger = logging.getLogger(__name__)

__all__ = [
    "PackedStats",
    "SuffStats",
    "feature_variance",
    "leave_one_out",
    "merge_all",
    "merge_means",
    "merge_pair",
    "merge_tree",
    "mirror_upper",
    "pack_upper",
    "packed_outer",
    "triangle_size",
    "unpack_upper",
]

T = TypeVar("T")


@dataclass(frozen=True)
class SuffStats:
    """Weighted means and centered co-moments of ``(X, y)``; see the module docstring."""

    n_rows: int
    weight_sum: float
    mean_x: np.ndarray
    mean_y: float
    cxx: np.ndarray
    cxy: np.ndarray
    cyy: float
    mean_x_lo: np.ndarray | None = None
    mean_y_lo: float = 0.0

    def __post_init__(self) -> None:
        if self.mean_x_lo is None:
            object.__setattr__(self, "mean_x_lo", np.zeros_like(self.mean_x))

    # ------------------------------------------------------------------ construction
    @classmethod
    def empty(cls, n_features: int) -> SuffStats:
        """Statistics of zero rows: the identity of :meth:`merge`."""
        p = int(n_features)
        return cls(
            n_rows=0,
            weight_sum=0.0,
            mean_x=np.zeros(p),
            mean_y=0.0,
            cxx=np.zeros((p, p)),
            cxy=np.zeros(p),
            cyy=0.0,
        )

    @classmethod
    def from_arrays(
        cls,
        X: np.ndarray,
        y: np.ndarray,
        sample_weight: np.ndarray | None = None,
    ) -> SuffStats:
        """Exact statistics of dense arrays (two passes over ``X``: mean, then co-moments).

        ``X`` is ``(n, p)``, ``y`` is ``(n,)``, ``sample_weight`` is ``(n,)`` non-negative
        (default all ones). Rows with weight 0 count in ``n_rows`` but not in ``W``.
        """
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-dimensional, got shape {X.shape}")
        n, p = X.shape
        if y.shape != (n,):
            raise ValueError(f"y must have shape ({n},), got {y.shape}")
        if sample_weight is None:
            w = np.ones(n)
        else:
            w = np.asarray(sample_weight, dtype=np.float64)
            if w.shape != (n,):
                raise ValueError(f"sample_weight must have shape ({n},), got {w.shape}")
            if np.any(w < 0):
                raise ValueError(f"sample_weight has {int(np.sum(w < 0))} negative values")
        for name, arr in (("X", X), ("y", y), ("sample_weight", w)):
            bad = ~np.isfinite(arr)
            if bad.any():
                rows = int(bad.any(axis=1).sum()) if arr.ndim == 2 else int(bad.sum())
                raise ValueError(f"{name} has non-finite values (NaN or ±inf) in {rows} rows")
        W = float(w.sum())
        if n == 0 or W == 0.0:
            out = cls.empty(p)
            return cls(n, 0.0, out.mean_x, 0.0, out.cxx, out.cxy, 0.0)
        mean_x = (w @ X) / W
        mean_y = float(w @ y) / W
        Xc = X - mean_x
        yc = y - mean_y
        # residuals of the rounded means: the low parts of double-double means
        lo_x = (w @ Xc) / W
        lo_y = float(w @ yc) / W
        Xw = Xc * w[:, None]
        # co-moments about the rounded mean, minus the (second-order) shift to the exact mean
        cxx = Xw.T @ Xc - W * np.outer(lo_x, lo_x)
        cxx = 0.5 * (cxx + cxx.T)
        cxy = Xw.T @ yc - W * lo_x * lo_y
        cyy = float(w @ (yc * yc)) - W * lo_y * lo_y
        return cls(n, W, mean_x, mean_y, cxx, cxy, cyy, lo_x, lo_y)

    # ------------------------------------------------------------------ algebra
    @property
    def n_features(self) -> int:
        return int(self.mean_x.shape[0])

    def merge(self, other: SuffStats) -> SuffStats:
        """Statistics of the union of both row sets (Chan's pairwise update)."""
        return merge_pair(self, other, np.outer)

    def __add__(self, other: SuffStats) -> SuffStats:
        return self.merge(other)

    # ------------------------------------------------------------------ derived quantities
    @property
    def var_x(self) -> np.ndarray:
        """Weighted population variance of each feature, ``diag(Cxx) / W``.

        A variance below the rounding floor of the feature's mean, ``(32 ε |μ|)²``, is what a
        constant column leaves behind and is returned as exactly 0.
        """
        return feature_variance(np.diag(self.cxx), self.weight_sum, self.mean_x)

    @property
    def std_x(self) -> np.ndarray:
        """Weighted population standard deviation of each feature."""
        return np.sqrt(self.var_x)

    @property
    def var_y(self) -> float:
        """Weighted population variance of the label, ``cyy / W``."""
        return self.cyy / self.weight_sum if self.weight_sum > 0 else 0.0

    @property
    def std_y(self) -> float:
        return float(np.sqrt(max(self.var_y, 0.0)))

    def uncentered(self) -> tuple[np.ndarray, np.ndarray, float]:
        """Raw weighted moments ``(Σ w x xᵀ, Σ w x y, Σ w y²)`` for fits without intercept."""
        W = self.weight_sum
        gxx = self.cxx + W * np.outer(self.mean_x, self.mean_x)
        gxy = self.cxy + W * self.mean_x * self.mean_y
        gyy = self.cyy + W * self.mean_y * self.mean_y
        return gxx, gxy, float(gyy)

    def subset(self, index: np.ndarray | list[int]) -> SuffStats:
        """Statistics restricted to the features in ``index`` (in that order)."""
        idx = np.asarray(index, dtype=np.int64)
        return SuffStats(
            self.n_rows,
            self.weight_sum,
            self.mean_x[idx],
            self.mean_y,
            self.cxx[np.ix_(idx, idx)],
            self.cxy[idx],
            self.cyy,
            self.mean_x_lo[idx],
            self.mean_y_lo,
        )

    # ------------------------------------------------------------------ transport
    def pack(self) -> np.ndarray:
        """One float64 vector ``[n, W, μy, μy_lo, cyy, μx (p), μx_lo (p), cxy (p), Cxx's upper
        triangle (p(p+1)/2, column by column)]`` (:class:`PackedStats`).

        A flat vector travels through Arrow binary columns, Spark broadcasts and ``.npy``
        files without serializing Python objects. :meth:`unpack` inverts it exactly.
        """
        return PackedStats.of(self).vector()

    @staticmethod
    def packed_size(n_features: int) -> int:
        """Length of :meth:`pack`'s vector: ``5 + 3p + p(p+1)/2``."""
        return 5 + 3 * int(n_features) + triangle_size(n_features)

    @staticmethod
    def memory_bytes(n_features: int) -> int:
        """Bytes of one :class:`SuffStats` in memory, ``8 (p² + 3p + 5)`` (``Cxx`` in full; the
        packed vector in transport is about half of it)."""
        p = int(n_features)
        return 8 * (p * p + 3 * p + 5)

    @classmethod
    def unpack(cls, vec: np.ndarray) -> SuffStats:
        """The statistics of a :meth:`pack` vector (``Cxx`` rebuilt in full, symmetric)."""
        return PackedStats.from_vector(vec).suff_stats()

    def allclose(self, other: SuffStats, rtol: float = 1e-10, atol: float = 0.0) -> bool:
        """Equal counts and statistics to ``rtol`` (relative to each array's largest entry)."""

        def close(a: np.ndarray | float, b: np.ndarray | float) -> bool:
            a = np.asarray(a, dtype=np.float64)
            b = np.asarray(b, dtype=np.float64)
            scale = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0))
            return bool(np.all(np.abs(a - b) <= atol + rtol * scale))

        return (
            self.n_rows == other.n_rows
            and close(self.weight_sum, other.weight_sum)
            and close(self.mean_x, other.mean_x)
            and close(self.mean_y, other.mean_y)
            and close(self.cxx, other.cxx)
            and close(self.cxy, other.cxy)
            and close(self.cyy, other.cyy)
        )


def feature_variance(cxx_diag: np.ndarray, weight_sum: float, mean_x: np.ndarray) -> np.ndarray:
    """Population variance ``diag(Cxx) / W`` per feature, exactly 0 below the rounding floor
    ``(32 ε |μ|)²`` of the feature's mean (what a constant column leaves behind)."""
    if weight_sum == 0.0:
        return np.zeros(mean_x.shape[0])
    var = np.maximum(cxx_diag, 0.0) / weight_sum
    floor = (32.0 * np.finfo(np.float64).eps * np.abs(mean_x)) ** 2
    return np.where(var <= floor, 0.0, var)


def merge_means(mean_a, lo_a, mean_b, lo_b, frac_b):
    """Chan's mean update on double-double means ``(mean, lo)``.

    Returns ``(δ, mean, lo)``: ``δ = μ_b − μ_a`` (the hi parts of nearly equal means subtract
    exactly) and the merged mean ``μ_a + δ · frac_b`` with ``frac_b = W_b / W``, again as a
    double-double. Works on scalars and arrays alike.
    """
    delta = (mean_b - mean_a) + (lo_b - lo_a)
    mean, lo = _two_sum(mean_a, lo_a + delta * frac_b)
    return delta, mean, lo


def _two_sum(a, b):
    """``a + b`` as ``(s, e)`` with ``s = fl(a + b)`` and ``s + e == a + b`` exactly (Knuth)."""
    s = a + b
    bb = s - a
    e = (a - (s - bb)) + (b - bb)
    return s, e


def merge_pair(a: Any, b: Any, cross: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Any:
    """Chan's pairwise update of two statistics of the same class (module docstring).

    ``a`` and ``b`` carry ``n_rows, weight_sum, mean_x, mean_y, cxx, cxy, cyy, mean_x_lo,
    mean_y_lo`` as :class:`SuffStats` does, except that the second moment of the features may be
    held in another shape; ``cross(δ, δ)`` gives the correction term in that shape (``np.outer``
    for the full co-moment, ``np.multiply`` for its diagonal, as wide mode keeps it). The field
    holding the features' second moment is the class's first field after ``mean_y``.
    """
    if b.mean_x.shape[0] != a.mean_x.shape[0]:
        raise ValueError(
            f"cannot merge statistics of {a.mean_x.shape[0]} and {b.mean_x.shape[0]} features"
        )
    n = a.n_rows + b.n_rows
    wa, wb = a.weight_sum, b.weight_sum
    if wb == 0.0:
        return dataclasses.replace(a, n_rows=n)
    if wa == 0.0:
        return dataclasses.replace(b, n_rows=n)
    W = wa + wb
    f = wa * wb / W
    dx, mean_x, lo_x = merge_means(a.mean_x, a.mean_x_lo, b.mean_x, b.mean_x_lo, wb / W)
    dy, mean_y, lo_y = merge_means(a.mean_y, a.mean_y_lo, b.mean_y, b.mean_y_lo, wb / W)
    moment = dataclasses.fields(a)[4].name  # cxx (SuffStats) or cxx_diag (wide's DiagStats)
    return type(a)(
        n,
        W,
        mean_x,
        float(mean_y),
        getattr(a, moment) + getattr(b, moment) + f * cross(dx, dx),
        a.cxy + b.cxy + f * dx * dy,
        a.cyy + b.cyy + f * dy * dy,
        lo_x,
        float(lo_y),
    )


def merge_tree(items: Iterable[T], empty: Callable[[], T]) -> T:
    """Merge many statistics pairwise in a balanced tree (rounding grows as log of the count);
    ``empty()`` when there are none. Works for any class with a ``merge`` method."""
    out = list(items)
    if not out:
        return empty()
    while len(out) > 1:
        nxt = [out[i].merge(out[i + 1]) for i in range(0, len(out) - 1, 2)]
        if len(out) % 2:
            nxt.append(out[-1])
        out = nxt
    return out[0]


def merge_all(stats: Iterable[SuffStats], n_features: int | None = None) -> SuffStats:
    """Merge many :class:`SuffStats` (:func:`merge_tree`); no statistics need ``n_features``."""

    def empty() -> SuffStats:
        if n_features is None:
            raise ValueError("merge_all of no statistics needs n_features")
        return SuffStats.empty(n_features)

    return merge_tree(stats, empty)


def leave_one_out(items: Sequence[T]) -> list[T]:
    """``out[k]`` = the merge of every item but ``items[k]`` (at least 2 items), by prefix and
    suffix merges: ``3K − 6`` merges for ``K`` items instead of ``K(K − 2)``. Each result is
    Chan's merge of the same items in another order (rounding grows with ``K``, not ``log K``:
    immaterial for the fold counts of cross-validation)."""
    K = len(items)
    if K < 2:
        raise ValueError(f"leave_one_out needs at least 2 items, got {K}")
    prefix = [items[0]]  # prefix[i] = items[0..i]
    for it in items[1 : K - 1]:
        prefix.append(prefix[-1].merge(it))
    suffix = [items[K - 1]]  # suffix[K - 1 - i] = items[i..K-1]
    for it in items[K - 2 : 0 : -1]:
        suffix.append(it.merge(suffix[-1]))
    suffix.reverse()  # suffix[i - 1] = items[i..K-1]
    out = [suffix[0]]
    out += [prefix[k - 1].merge(suffix[k]) for k in range(1, K - 1)]
    out.append(prefix[K - 2])
    return out


# ---------------------------------------------------------------------- packed transport
def triangle_size(n: int) -> int:
    """Entries of the upper triangle of an ``n × n`` matrix, diagonal included."""
    n = int(n)
    return n * (n + 1) // 2


def pack_upper(C: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """The upper triangle of the square ``C``, column by column (``C[:j+1, j]`` for each ``j``),
    into ``out`` (length ``n(n+1)/2``; allocated when ``None``); only that triangle is read.

    Each column piece is contiguous when ``C`` is Fortran-ordered; for a C-ordered *symmetric*
    matrix pass ``C.T`` (the same values, Fortran-ordered)."""
    n = C.shape[0]
    if C.shape != (n, n):
        raise ValueError(f"pack_upper needs a square matrix, got shape {C.shape}")
    if out is None:
        out = np.empty(triangle_size(n))
    elif out.shape != (triangle_size(n),):
        raise ValueError(f"out must have length {triangle_size(n)}, got {out.shape}")
    o = 0
    for j in range(n):
        out[o : o + j + 1] = C[: j + 1, j]
        o += j + 1
    return out


def unpack_upper(tri: np.ndarray, n: int) -> np.ndarray:
    """The symmetric ``n × n`` matrix (C-contiguous) of a :func:`pack_upper` triangle."""
    n = int(n)
    if tri.shape != (triangle_size(n),):
        raise ValueError(f"a packed triangle of order {n} has {triangle_size(n)} entries, "
                         f"got {tri.shape}")
    F = np.empty((n, n), order="F")
    o = 0
    for j in range(n):
        F[: j + 1, j] = tri[o : o + j + 1]
        o += j + 1
    return mirror_upper(F).T  # symmetric: its transpose is the same matrix, C-ordered


def mirror_upper(C: np.ndarray, block: int = 256) -> np.ndarray:
    """``C`` made symmetric in place from its upper triangle, block by block (no ``n × n``
    temporary); returned."""
    q = C.shape[0]
    for a in range(0, q, block):
        b = min(q, a + block)
        C[a:b, :a] = C[:a, a:b].T
        diag = C[a:b, a:b]
        upper = np.triu(diag)
        diag[...] = upper + np.triu(diag, 1).T
    return C


def packed_outer(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The upper triangle of ``u vᵀ`` in :func:`pack_upper`'s order (Chan's correction term of
    :class:`PackedStats`, ``u = v = δ``)."""
    n = u.shape[0]
    out = np.empty(triangle_size(n))
    o = 0
    for j in range(n):
        np.multiply(u[: j + 1], v[j], out=out[o : o + j + 1])
        o += j + 1
    return out


@dataclass(frozen=True)
class PackedStats:
    """:class:`SuffStats` in its transport form: the same fields with ``Cxx`` held as its upper
    triangle (``cxx_upper``, :func:`pack_upper`). Merges in that form (half the memory and
    flops of the full co-moment) and converts to :class:`SuffStats` once, where it is solved.

    The vector (:meth:`vector`, :meth:`from_vector`) is ``[n, W, μy, μy_lo, cyy, μx, μx_lo, cxy,
    cxx_upper]``; :meth:`from_vector` keeps views of the vector it is given (merges never write
    into their inputs)."""

    n_rows: int
    weight_sum: float
    mean_x: np.ndarray
    mean_y: float
    cxx_upper: np.ndarray
    cxy: np.ndarray
    cyy: float
    mean_x_lo: np.ndarray
    mean_y_lo: float = 0.0

    @classmethod
    def of(cls, s: SuffStats) -> PackedStats:
        """The packed form of ``s`` (its ``cxx`` must be symmetric, as every SuffStats' is)."""
        C = s.cxx
        upper = pack_upper(C.T if C.flags.c_contiguous else C)
        return cls(s.n_rows, s.weight_sum, s.mean_x, s.mean_y, upper, s.cxy, s.cyy,
                   s.mean_x_lo, s.mean_y_lo)

    @classmethod
    def empty(cls, n_features: int) -> PackedStats:
        p = int(n_features)
        return cls(0, 0.0, np.zeros(p), 0.0, np.zeros(triangle_size(p)), np.zeros(p), 0.0,
                   np.zeros(p), 0.0)

    @property
    def n_features(self) -> int:
        return int(self.mean_x.shape[0])

    def merge(self, other: PackedStats) -> PackedStats:
        """Chan's pairwise update (:func:`merge_pair`) on the packed triangle."""
        return merge_pair(self, other, packed_outer)

    def vector(self, out: np.ndarray | None = None) -> np.ndarray:
        """The flat float64 vector (into ``out`` of length ``SuffStats.packed_size(p)``)."""
        p = self.n_features
        if out is None:
            out = np.empty(SuffStats.packed_size(p))
        out[:5] = (self.n_rows, self.weight_sum, self.mean_y, self.mean_y_lo, self.cyy)
        out[5 : 5 + p] = self.mean_x
        out[5 + p : 5 + 2 * p] = self.mean_x_lo
        out[5 + 2 * p : 5 + 3 * p] = self.cxy
        out[5 + 3 * p :] = self.cxx_upper
        return out

    @classmethod
    def from_vector(cls, vec: np.ndarray) -> PackedStats:
        vec = np.asarray(vec, dtype=np.float64)
        m = vec.shape[0] - 5 if vec.ndim == 1 else -1
        # m = 3p + p(p+1)/2 → p² + 7p − 2m = 0
        p = int(round((np.sqrt(49.0 + 8.0 * m) - 7.0) / 2.0)) if m >= 0 else -1
        if p < 0 or SuffStats.packed_size(p) != vec.shape[0]:
            raise ValueError(f"not a packed SuffStats vector (shape {vec.shape})")
        return cls(
            n_rows=int(vec[0]),
            weight_sum=float(vec[1]),
            mean_y=float(vec[2]),
            mean_y_lo=float(vec[3]),
            cyy=float(vec[4]),
            mean_x=vec[5 : 5 + p],
            mean_x_lo=vec[5 + p : 5 + 2 * p],
            cxy=vec[5 + 2 * p : 5 + 3 * p],
            cxx_upper=vec[5 + 3 * p :],
        )

    def suff_stats(self) -> SuffStats:
        """These statistics with ``Cxx`` in full (arrays copied: no view of the vector)."""
        p = self.n_features
        return SuffStats(
            n_rows=int(self.n_rows),
            weight_sum=float(self.weight_sum),
            mean_x=np.array(self.mean_x, dtype=np.float64),
            mean_y=float(self.mean_y),
            cxx=unpack_upper(self.cxx_upper, p),
            cxy=np.array(self.cxy, dtype=np.float64),
            cyy=float(self.cyy),
            mean_x_lo=np.array(self.mean_x_lo, dtype=np.float64),
            mean_y_lo=float(self.mean_y_lo),
        )
