"""The three distributed passes of wide mode (executor bodies and driver-side reduction).

1. :func:`diag_pass` — per fold, per-feature statistics (:class:`DiagStats`) plus the number of
   stored entries per feature and the invalid-row counters: ``O(K·p)`` back to the driver.
2. :func:`gram_pass` — per fold, ``Σ w (z − c)(z − c)ᵀ`` for ``z = (x_A, y)``, the working set
   ``A`` and the label, about a fixed center ``c`` (the pass-1 means): ``O(K·|A|²)``, or
   ``O(K·|N|·|A|)`` for the rows of the new features ``N`` only.
3. :func:`kkt_pass` — for ``T`` models ``(β_t, b0_t)`` on ``A``, each trained without one fold
   (or on all rows), ``Xᵀ(w ∘ r_t)`` over the model's training rows for ALL ``p`` features, and
   ``Σ w r_t``; ``r_t = y − b0_t − x_Aᵀβ_t``: ``O(T·p)``.

Centering without densifying (pass 2). A feature stored in more than half of the rows (pass-1
counts) is *dense*: its chunk columns are densified and centered, ``v = x − c`` (the label
too); a *sparse* feature keeps its raw stored values, ``v = x``. The pass sums the products
``P = Σ w v vᵀ`` (the kernel runs target by target, :func:`~.kernels.gram_rows`), ``s = Σ w v``
and ``W``; with ``cs`` the center of the sparse columns (0 for the dense ones and the label)
``Σ w (z − c)(z − c)ᵀ = P − s csᵀ − cs sᵀ + W cs csᵀ``. For a feature stored in at most half of
the rows ``c² ≤ σ²``, so this loses nothing to cancellation; products with a dense column are
formed from ``x − c`` itself. All of it is linear in the per-partition sums, so partitions are
summed and centered on the driver (:func:`finish_gram`). A pass computes the whole block (its
packed upper triangle) or only the rows of given positions (:func:`block_layout`): those of the
features new to a block already at hand, assembled with it by :func:`assemble_block`.

Passes 2 and 3 return one flat float64 vector per partition, summed over partitions by
:func:`lasso_spark.spark.sums.sum_pass` (sliced through a shuffle when large).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

import numpy as np
import pyarrow as pa
from pyspark.sql import DataFrame

from lasso_spark.spark.batch import BatchLayout, current_rss_bytes
from lasso_spark.spark.chunks import Chunk, ChunkReader
from lasso_spark.spark.sums import collect_records, emit, records, sum_pass
from lasso_spark.wide import kernels
from lasso_spark.wide.diag import DiagStats, merge_diag

logger = logging.getLogger(__name__)

__all__ = ["PassLog", "DiagResult", "assemble_block", "block_layout", "diag_pass", "finish_gram",
           "gram_pass", "gram_values", "kkt_pass"]

_KIND_COUNTS = -1  # counters record
_KIND_RSS = -2  # peak worker memory record


@dataclass
class PassLog:
    """One data pass: what it computed, on how many features/models, and how long it took;
    a Gram pass computes ``n_features`` rows of a block on ``block_features`` features."""

    kind: str
    seconds: float
    n_features: int = 0
    n_models: int = 0
    block_features: int = 0


def _fold_count(layout: BatchLayout) -> int:
    return max(layout.num_folds, 1)


def _entry_rows(ch: Chunk) -> np.ndarray:
    return np.repeat(np.arange(ch.n_rows), np.diff(ch.indptr))


# ====================================================================== pass 1: diagonal
def _chunk_diag(ch: Chunk, rows: np.ndarray, p: int) -> tuple[DiagStats, np.ndarray]:
    """Diagonal statistics of the chunk rows ``rows`` (bool mask), centered about their own
    weighted mean: ``Σ_stored w (x − μ)² + W_zero μ²`` with ``W_zero`` the weight of the rows
    where the feature is not stored (exactly 0 when it is stored in every row)."""
    m = int(np.count_nonzero(rows))
    erow = _entry_rows(ch)
    emask = rows[erow]
    cols = ch.cols[emask]
    vals = ch.vals[emask]
    cnt = np.bincount(cols, minlength=p)
    w = ch.w[rows]
    W = float(w.sum())
    if W == 0.0:
        st = DiagStats.empty(p)
        return DiagStats(m, 0.0, st.mean_x, 0.0, st.cxx_diag, st.cxy, 0.0), cnt
    ew = ch.w[erow[emask]]
    mu = np.bincount(cols, ew * vals, minlength=p) / W
    dev = vals - mu[cols]
    n_w = np.bincount(cols, ew, minlength=p)
    w_zero = np.where(cnt == m, 0.0, W - n_w)
    # low part of the double-double mean: Σ w (x − μ) / W over stored and unstored entries
    lo = (np.bincount(cols, ew * dev, minlength=p) - w_zero * mu) / W
    cxx = np.bincount(cols, ew * dev * dev, minlength=p) + w_zero * mu * mu - W * lo * lo
    y = ch.y[rows]
    my = float(w @ y) / W
    yc = ch.y - my
    s_all = float(w @ yc[rows])
    lo_y = s_all / W
    eyc = ew * yc[erow[emask]]
    cxy = np.bincount(cols, eyc * dev, minlength=p) + mu * (np.bincount(cols, eyc, minlength=p)
                                                          - s_all) - W * lo * lo_y
    cyy = float(w @ (yc[rows] ** 2)) - W * lo_y * lo_y
    return DiagStats(m, W, mu, my, cxx, cxy, cyy, lo, lo_y), cnt


def diag_body(batches: Iterator[pa.RecordBatch], layout: BatchLayout) -> Iterator[pa.RecordBatch]:
    p = layout.n_features
    F = _fold_count(layout)
    reader = ChunkReader(layout)
    acc = [DiagStats.empty(p) for _ in range(F)]
    nnz = np.zeros(p)
    peak = current_rss_bytes()
    for ch in reader.chunks(batches):
        for f in range(F):
            rows = ch.fold == f
            if rows.any():
                st, cnt = _chunk_diag(ch, rows, p)
                acc[f] = acc[f].merge(st)
                nnz += cnt
        peak = max(peak, current_rss_bytes())
    items = [(f, acc[f].pack().tobytes()) for f in range(F) if acc[f].n_rows > 0]
    items.append((F, nnz.tobytes()))
    items.append((_KIND_COUNTS, reader.counts.tobytes()))
    items.append((_KIND_RSS, np.array([peak], dtype=np.int64).tobytes()))
    yield records(items)


@dataclass
class DiagResult:
    """Pass-1 output: per-fold diagonal statistics, stored entries per feature, counters."""

    folds: list[DiagStats]
    nnz: np.ndarray
    counts: np.ndarray
    peak_worker_rss_bytes: int
    n_partitions: int = 0


def diag_pass(proj: DataFrame, layout: BatchLayout, description: str) -> DiagResult:
    p = layout.n_features
    F = _fold_count(layout)
    # per partition: each fold's packed statistics, the stored counts, counters and memory
    items = collect_records(proj, partial(diag_body, layout=layout), description,
                            8 * (F * (4 * p + 5) + p + layout.n_counters + 1))
    per_fold: list[list[DiagStats]] = [[] for _ in range(F)]
    nnz = np.zeros(p)
    counts = np.zeros(layout.n_counters, dtype=np.int64)
    peak = parts = 0
    for kind, data in items:
        if kind == _KIND_COUNTS:
            counts += np.frombuffer(data, dtype=np.int64)
        elif kind == _KIND_RSS:  # one per partition
            peak = max(peak, int(np.frombuffer(data, dtype=np.int64)[0]))
            parts += 1
        elif kind == F:
            nnz += np.frombuffer(data, dtype=np.float64)
        else:
            per_fold[kind].append(DiagStats.unpack(np.frombuffer(data, dtype=np.float64)))
    folds = [merge_diag(v, p) for v in per_fold]
    return DiagResult(folds, nnz, counts, peak, parts)


# ====================================================================== pass 2: Gram block
def block_layout(q: int, targets: np.ndarray | None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Which part of the ``(q+1) × (q+1)`` block a Gram pass computes, and where it goes:
    ``(target positions, row offsets, first column of each row, values per fold)``.

    ``targets=None``: the whole block as its packed upper triangle (row ``a`` holds columns
    ``a … q``, the label last); otherwise the full rows of the given positions (``< q``): the
    rows and, by symmetry, the columns of features new to a block already at hand."""
    if targets is None:
        t = np.arange(q + 1, dtype=np.int64)
        lens = q + 1 - t
        cstart = t.copy()
    else:
        t = np.asarray(targets, dtype=np.int64)
        lens = np.full(t.shape[0], q + 1, dtype=np.int64)
        cstart = np.zeros(t.shape[0], dtype=np.int64)
    rowoff = np.zeros(t.shape[0], dtype=np.int64)
    np.cumsum(lens[:-1], out=rowoff[1:])
    return t, rowoff, cstart, int(lens.sum())


def _block_entries(ch: Chunk, loc_map: np.ndarray, is_sparse: np.ndarray, dpos: np.ndarray,
                   dense_index: np.ndarray, center: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The chunk's rows on the block, CSR ``(eptr, epos, evals, row of each entry)``: the
    stored sparse features of the block (raw values) then every dense column of it, the label
    last (centered: ``x − c``, in every row)."""
    m = ch.n_rows
    q = center.shape[0] - 1
    loc = loc_map[ch.cols]
    erow = _entry_rows(ch)
    inb = np.flatnonzero(loc >= 0)
    sp = inb[is_sparse[loc[inb]]]
    nd = dense_index.shape[0]
    Dc = np.empty((m, nd))
    Dc[:] = -center[dense_index]
    Dc[:, -1] = ch.y - center[q]
    if nd > 1:
        de = inb[~is_sparse[loc[inb]]]
        Dc[erow[de], dpos[loc[de]]] = ch.vals[de] - center[loc[de]]
    sp_row = erow[sp]
    n_sp = np.bincount(sp_row, minlength=m)
    eptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(n_sp + nd, out=eptr[1:])
    first = np.zeros(m, dtype=np.int64)
    np.cumsum(n_sp[:-1], out=first[1:])
    at = eptr[sp_row] + (np.arange(sp.shape[0]) - first[sp_row])
    epos = np.empty(int(eptr[-1]), dtype=np.int64)
    evals = np.empty(int(eptr[-1]))
    epos[at] = loc[sp]
    evals[at] = ch.vals[sp]
    dat = (eptr[:-1] + n_sp)[:, None] + np.arange(nd)
    epos[dat] = dense_index[None, :]
    evals[dat] = Dc
    return eptr, epos, evals, np.repeat(np.arange(m), n_sp + nd)


def gram_body(
    batches: Iterator[pa.RecordBatch],
    layout: BatchLayout,
    index: np.ndarray,
    center: np.ndarray,
    dense: np.ndarray,
    slice_len: int = 0,
    targets: np.ndarray | None = None,
) -> Iterator[pa.RecordBatch]:
    """Per fold, the raw products ``Σ w v_a v_b`` of the block's rows ``targets``
    (:func:`block_layout`), ``v`` the raw value of a sparse feature and ``x − c`` of a dense
    one or the label, plus ``Σ w v`` per column and ``W``: centered by :func:`finish_gram`."""
    p = layout.n_features
    F = _fold_count(layout)
    q = index.shape[0]
    loc_map = np.full(p, -1, dtype=np.int64)
    loc_map[index] = np.arange(q)
    is_sparse = ~np.asarray(dense, dtype=bool)
    dense_index = np.append(np.flatnonzero(dense), q).astype(np.int64)
    dpos = np.full(q + 1, -1, dtype=np.int64)
    dpos[dense_index] = np.arange(dense_index.shape[0])
    t, rowoff, cstart, size = block_layout(q, targets)
    tmap = np.full(q + 1, -1, dtype=np.int64)
    tmap[t] = np.arange(t.shape[0])
    payload = np.zeros(F * size + F * (q + 1) + F)  # [products, Σ w v, W]: emitted as is
    out = payload[: F * size].reshape(F, size)
    s = payload[F * size : F * size + F * (q + 1)]
    W = payload[F * size + F * (q + 1) :]
    reader = ChunkReader(layout)
    for ch in reader.chunks(batches):
        eptr, epos, evals, erow = _block_entries(ch, loc_map, is_sparse, dpos, dense_index,
                                                 center)
        te = np.flatnonzero(tmap[epos] >= 0)
        key = tmap[epos[te]]
        order = np.argsort(key, kind="stable")
        tent = te[order]
        tptr = np.zeros(t.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(key, minlength=t.shape[0]), out=tptr[1:])
        kernels.gram_rows(eptr, epos, evals, ch.w, ch.fold, tptr, erow[tent], tent, rowoff,
                          cstart, out)
        ef = ch.fold[erow]
        s += np.bincount(ef * (q + 1) + epos, ch.w[erow] * evals, minlength=F * (q + 1))
        W += np.bincount(ch.fold, ch.w, minlength=F)
    yield from emit(payload, slice_len)


def gram_values(F: int, q: int, targets: np.ndarray | None) -> int:
    """Length of a Gram pass's summed result (:func:`gram_body`)."""
    return F * block_layout(q, targets)[3] + F * (q + 1) + F


def gram_pass(
    proj: DataFrame,
    layout: BatchLayout,
    index: np.ndarray,
    center: np.ndarray,
    dense: np.ndarray,
    description: str,
    targets: np.ndarray | None = None,
    n_partitions: int = 0,
) -> np.ndarray:
    """Per fold ``Σ w (z − c)(z − c)ᵀ`` with ``z = (x[index], y)`` and ``center = c`` (length
    ``q+1``, label last); ``dense`` (q,) marks the dense features. ``targets=None``: the whole
    block ``(F, q+1, q+1)``; else only its rows ``targets`` (``(F, len(targets), q+1)``)."""
    F = _fold_count(layout)
    q = index.shape[0]
    body = partial(gram_body, layout=layout, index=index, center=center, dense=dense,
                   targets=targets)
    total = sum_pass(proj, body, gram_values(F, q, targets), description, n_partitions)
    return finish_gram(total, F, center, dense, targets)


def finish_gram(total: np.ndarray, F: int, center: np.ndarray, dense: np.ndarray,
                targets: np.ndarray | None = None) -> np.ndarray:
    """Center the summed partition payloads of the Gram pass (module docstring): with ``cs``
    the center of the sparse columns (0 for dense ones and the label) and ``s = Σ w v``,
    ``C = P − s csᵀ − cs sᵀ + W cs csᵀ``."""
    q = dense.shape[0]
    t, rowoff, cstart, size = block_layout(q, targets)
    P = total[: F * size].reshape(F, size)
    s = total[F * size : F * size + F * (q + 1)].reshape(F, q + 1)
    W = total[-F:]
    cs = np.where(np.append(~np.asarray(dense, dtype=bool), False), center, 0.0)
    if targets is not None:
        R = P.reshape(F, t.shape[0], q + 1).copy()
        for f in range(F):
            R[f] -= np.outer(s[f, t], cs) + np.outer(cs[t], s[f]) - W[f] * np.outer(cs[t], cs)
        return R
    C = np.empty((F, q + 1, q + 1))
    for f in range(F):
        Cf = C[f]
        for a in range(q + 1):
            row = P[f, rowoff[a] : rowoff[a] + q + 1 - a]
            Cf[a, a:] = row
            Cf[a:, a] = row
        Cf -= np.outer(s[f], cs) + np.outer(cs, s[f]) - W[f] * np.outer(cs, cs)
    return C


def assemble_block(C_old: np.ndarray, index_old: np.ndarray, index: np.ndarray,
                   new_pos: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The block ``(F, q+1, q+1)`` on ``index`` from a block on ``index_old`` (same center) and
    a Gram pass's rows ``rows`` (``(F, len(new_pos), q+1)``) of the positions ``new_pos`` of
    ``index`` not in ``index_old``: old × old entries are copied, the new rows and columns
    filled from ``rows`` (their new × new part symmetrized)."""
    F, q = C_old.shape[0], index.shape[0]
    old = np.ones(q, dtype=bool)
    old[new_pos] = False
    keep = np.append(np.flatnonzero(old), q)
    src = np.append(np.searchsorted(index_old, index[old]), index_old.shape[0])
    C = np.empty((F, q + 1, q + 1))
    for f in range(F):
        C[f][np.ix_(keep, keep)] = C_old[f][np.ix_(src, src)]
        C[f][new_pos, :] = rows[f]
        C[f][:, new_pos] = rows[f].T
        nn = rows[f][:, new_pos]
        C[f][np.ix_(new_pos, new_pos)] = 0.5 * (nn + nn.T)
    return C


# ====================================================================== pass 3: Xᵀr
def kkt_body(
    batches: Iterator[pa.RecordBatch],
    layout: BatchLayout,
    index: np.ndarray,
    B: np.ndarray,
    b0: np.ndarray,
    model_fold: np.ndarray,
    slice_len: int = 0,
) -> Iterator[pa.RecordBatch]:
    p = layout.n_features
    T = B.shape[1]
    loc_map = np.full(p, -1, dtype=np.int64)
    loc_map[index] = np.arange(index.shape[0])
    acc = np.zeros((p, T))
    S = np.zeros(T)
    reader = ChunkReader(layout)
    for ch in reader.chunks(batches):
        R = np.empty((ch.n_rows, T))
        kernels.residuals(ch.indptr, loc_map[ch.cols], ch.vals, ch.y, B, b0, R)
        R *= ch.w[:, None]
        R[ch.fold[:, None] == model_fold[None, :]] = 0.0  # held-out rows of each model
        S += R.sum(axis=0)
        kernels.xt_r(ch.indptr, ch.cols, ch.vals, R, acc)
    payload = np.concatenate([acc.ravel(), S])
    del acc
    yield from emit(payload, slice_len)


def kkt_pass(
    proj: DataFrame,
    layout: BatchLayout,
    index: np.ndarray,
    B: np.ndarray,
    b0: np.ndarray,
    model_fold: np.ndarray,
    description: str,
    n_partitions: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """``(XᵀWR (p, T), ΣWR (T,))`` for models ``(B[:, t] on index, b0[t])``; model ``t`` is
    trained on every row whose fold differs from ``model_fold[t]`` (−1: all rows)."""
    p = layout.n_features
    T = B.shape[1]
    body = partial(kkt_body, layout=layout, index=index, B=np.ascontiguousarray(B), b0=b0,
                   model_fold=model_fold)
    total = sum_pass(proj, body, p * T + T, description, n_partitions)
    return total[: p * T].reshape(p, T), total[p * T :]


def timed_pass(log: list[PassLog], kind: str, n_features: int, n_models: int,
               block_features: int = 0):
    """Context helper: append a :class:`PassLog` with the elapsed time."""

    class _Timer:
        def __enter__(self):
            self.t0 = time.perf_counter()
            return self

        def __exit__(self, *exc):
            log.append(PassLog(kind, time.perf_counter() - self.t0, n_features, n_models,
                               block_features))
            return False

    return _Timer()
