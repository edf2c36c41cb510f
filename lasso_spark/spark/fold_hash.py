"""Fold ids from a hash of each row's values, computed inside the Arrow batches (numpy only).

The fold of a row is a function of the seed and the row's values only, so it is the same
whatever the partitioning, on a task retry, in Gram and in wide mode, and whether the features
arrive as numeric columns or as a dense or sparse vector. With ``z_0 … z_{p-1}`` the features,
``z_p`` the label and ``z_{p+1}`` the weight (when a weight column is used), ``u_j`` the IEEE-754
bits of ``z_j`` as an unsigned 64-bit integer (``-0.0`` read as ``0.0``) and all arithmetic modulo
``2⁶⁴``::

    t_j  = u_j · c_j            c_j odd, drawn from the seed by splitmix64
    h    = Σ_j (t_j ⊕ (t_j ≫ 29))
    fold = fmix64(h ⊕ s) mod K  s from the seed, fmix64 the splitmix64 finalizer

A zero contributes nothing to ``h``, so the sum runs over the stored entries of a sparse row.
Identical rows share a fold; distinct rows land in independent-looking folds (each column has
its own odd multiplier, and the final mix spreads every bit of ``h``). Rows whose values are
null, NaN or infinite also get a fold; they are dropped or reported before it is used.

Computing this in numpy over the batch costs about 0.04 µs per value — a small fraction of what
hashing every column in the JVM before the Arrow transfer costs (see ``benchmarks/README.md``).
"""

from __future__ import annotations

import functools
import logging

import numpy as np

logger = logging.getLogger(__name__)

__all__ = ["column_keys", "fold_ids", "fold_ids_csr"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_NEG_ZERO = np.uint64(1 << 63)
_MASK64 = (1 << 64) - 1


def _fmix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer, in place on a uint64 array (returned)."""
    x ^= x >> np.uint64(30)
    x *= _M1
    x ^= x >> np.uint64(27)
    x *= _M2
    x ^= x >> np.uint64(31)
    return x


@functools.lru_cache(maxsize=16)
def _keys(seed: int, width: int) -> tuple[np.ndarray, np.uint64]:
    base = np.array([seed & _MASK64], dtype=np.uint64)
    j = np.arange(1, width + 2, dtype=np.uint64)
    x = _fmix(base + j * _GOLDEN)
    keys = x[:width] | np.uint64(1)  # odd: multiplying by c_j is a bijection of the 64-bit words
    keys.setflags(write=False)
    return keys, x[width]


def column_keys(seed: int, width: int) -> np.ndarray:
    """The odd multipliers ``c_0 … c_{width-1}`` of a seed (read-only)."""
    return _keys(int(seed), int(width))[0]


def _bits(values: np.ndarray) -> np.ndarray:
    """``values`` (float64) as uint64 words, with -0.0 read as 0.0 (a view when no -0.0)."""
    u = np.ascontiguousarray(values, dtype=np.float64).view(np.uint64)
    neg_zero = u == _NEG_ZERO
    if neg_zero.any():
        u = np.where(neg_zero, np.uint64(0), u)
    return u


def _spread(u: np.ndarray, keys: np.ndarray) -> np.ndarray:
    t = u * keys
    t ^= t >> np.uint64(29)
    return t


def _finish(h: np.ndarray, seed: int, width: int, num_folds: int) -> np.ndarray:
    if num_folds < 2:
        raise ValueError(f"num_folds must be at least 2 to assign folds, got {num_folds}")
    h ^= _keys(int(seed), width)[1]
    return (_fmix(h) % np.uint64(num_folds)).astype(np.int64)


#: values hashed per numpy step of :func:`fold_ids` (the temporaries stay in the L2 cache)
_BLOCK_VALUES = 1 << 15


def fold_ids(
    Z: np.ndarray, num_folds: int, seed: int, weight: np.ndarray | None = None
) -> np.ndarray:
    """Fold id in ``[0, num_folds)`` of each row of ``Z = [X | y]`` (``n × (p+1)``, any order).

    ``weight`` is the weight column when the fit uses one (it is part of the row's values).
    ``Z`` is read in place in C or Fortran order (blocks of rows or of columns through small
    reused buffers, no copy of ``Z``); any other layout is copied first.
    """
    Z = np.asarray(Z, dtype=np.float64)
    n, width = Z.shape
    total = width + (weight is not None)
    keys = column_keys(seed, total)
    if Z.flags.c_contiguous or not Z.flags.f_contiguous:
        h = _row_sums(np.ascontiguousarray(Z).view(np.uint64), keys[:width])
    else:  # Fortran order (a batch of p + 1 columns): blocks of columns
        h = _row_sums(Z.T.view(np.uint64), keys[:width, None], by_rows=False)
    if weight is not None:
        h += _spread(_bits(weight), keys[width])
    return _finish(h, seed, total, num_folds)


def _row_sums(u: np.ndarray, keys: np.ndarray, by_rows: bool = True) -> np.ndarray:
    """``h_i = Σ_j g(u_ij · c_j)`` with ``g(t) = t ⊕ (t ≫ 29)`` and −0.0 read as 0.0: ``u`` is
    ``(n, width)`` (``by_rows``) or ``(width, n)``, both C-contiguous, read block by block."""
    n = u.shape[0] if by_rows else u.shape[1]
    width = u.shape[1] if by_rows else u.shape[0]
    h = np.zeros(n, dtype=np.uint64)
    step = max(1, _BLOCK_VALUES // max(n if not by_rows else width, 1))
    size = u.shape[0]
    shape = (min(step, size), u.shape[1])
    t_buf, s_buf = np.empty(shape, np.uint64), np.empty(shape, np.uint64)
    hit = np.empty(shape, bool)
    for start in range(0, size, step):
        stop = min(size, start + step)
        t, s, z = t_buf[: stop - start], s_buf[: stop - start], hit[: stop - start]
        k = keys[start:stop] if not by_rows else keys
        np.multiply(u[start:stop], k, out=t)
        # u · c = 2⁶³ exactly when u = 2⁶³ (−0.0), c being odd: that value counts as 0.0
        np.equal(t, _NEG_ZERO, out=z)
        if z.any():
            t[z] = 0
        np.right_shift(t, np.uint64(29), out=s)
        np.bitwise_xor(t, s, out=t)
        if by_rows:
            t.sum(axis=1, dtype=np.uint64, out=h[start:stop])
        else:
            h += t.sum(axis=0, dtype=np.uint64)
    return h


def fold_ids_csr(
    indptr: np.ndarray,
    cols: np.ndarray,
    vals: np.ndarray,
    y: np.ndarray,
    n_features: int,
    num_folds: int,
    seed: int,
    weight: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`fold_ids` of rows stored as CSR (``cols``/``vals`` of row ``i`` at
    ``indptr[i]:indptr[i+1]``): the same folds as the dense rows they stand for."""
    n = int(y.shape[0])
    width = n_features + 1
    total = width + (weight is not None)
    keys = column_keys(seed, total)
    t = _spread(_bits(vals), keys[np.asarray(cols, dtype=np.int64)])
    lens = np.diff(indptr)
    h = np.zeros(n, dtype=np.uint64)
    rows = np.flatnonzero(lens)
    if rows.size:
        h[rows] = np.add.reduceat(t, np.asarray(indptr[:-1], dtype=np.int64)[rows], dtype=np.uint64)
    h += _spread(_bits(y), keys[n_features])
    if weight is not None:
        h += _spread(_bits(weight), keys[width])
    return _finish(h, seed, total, num_folds)
