"""Executor-side profile of wide mode's pass bodies, per Arrow batch, without Spark (issue 21).

One batch of ``--rows`` rows in VectorUDT's Arrow form (``bench_wide``'s data: ~``--nnz`` stored
entries a row at ``p·u²`` positions, or Zipf with ``--zipf``), then the stages each pass runs
on it, best of ``--repeats``:

* decode + CSR: ``ChunkReader`` (Arrow buffers → valid-row CSR chunk, fold hashing);
* pass 1: ``diag_body`` (per-fold per-feature statistics, records);
* pass 2: ``gram_body`` on the ``q`` most frequent features, whole block (packed upper
  triangle) and the rows of 10 % new features (the incremental block), with
  the emission of the payload (zero-copy Arrow records) included;
* pass 3: ``kkt_body`` for ``T`` fits (residuals and ``Xᵀr`` for all features).

    python -m benchmarks.profile_wide_passes                       # 10k rows, p = 10k
    python -m benchmarks.profile_wide_passes --folds 3 --q 1000 5000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pyarrow as pa

from benchmarks.bench_wide import _positions


def _batch(n: int, p: int, nnz: int, zipf: float, seed: int = 0) -> pa.RecordBatch:
    r = np.random.default_rng(seed)
    idx = np.sort(_positions(r, n, nnz, p, zipf), axis=1)
    keep = np.ones_like(idx, dtype=bool)
    keep[:, 1:] = idx[:, 1:] != idx[:, :-1]
    vals = r.exponential(1.0, size=(n, nnz))[keep]
    lens = keep.sum(axis=1)
    offs = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(lens, out=offs[1:])
    y = r.normal(size=n) + 3.0
    feats = pa.StructArray.from_arrays(
        [pa.array(np.zeros(n, dtype=np.int8)), pa.array(np.full(n, p, dtype=np.int32)),
         pa.ListArray.from_arrays(pa.array(offs), pa.array(idx[keep].astype(np.int32))),
         pa.ListArray.from_arrays(pa.array(offs), pa.array(vals))],
        names=["type", "size", "indices", "values"])
    return pa.RecordBatch.from_arrays([feats, pa.array(y)], names=["features", "label"])


def _best(repeats: int, body, batch: pa.RecordBatch, *args, **kwargs) -> float:
    """Best wall time of running the pass body ``body`` over ``[batch]`` to its last record."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        list(body(iter([batch]), *args, **kwargs))
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--features", type=int, default=10_000)
    ap.add_argument("--nnz", type=int, default=50)
    ap.add_argument("--zipf", type=float, default=0.0)
    ap.add_argument("--folds", type=int, default=0)
    ap.add_argument("--q", type=int, nargs="+", default=[500, 2000, 5000])
    ap.add_argument("--models", type=int, default=40, help="fits T of the X'r pass")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)

    from lasso_spark.spark.batch import BatchLayout
    from lasso_spark.spark.chunks import ChunkReader
    from lasso_spark.wide.passes import diag_body, gram_body, kkt_body

    p, F = args.features, max(args.folds, 1)
    batch = _batch(args.rows, p, args.nnz, args.zipf)
    layout = BatchLayout(n_features=p, feature_columns=("features",), label_column="label",
                         vector=True, num_folds=args.folds)
    (ch,) = list(ChunkReader(layout).chunks(iter([batch])))
    order = np.argsort(-np.bincount(ch.cols, minlength=p), kind="stable")
    ms = 1e3
    print(f"one batch: {ch.n_rows} rows x {p} features, {ch.cols.size} stored entries, "
          f"{args.folds} folds; best of {args.repeats}")
    t = _best(args.repeats, lambda b: ChunkReader(layout).chunks(b), batch)
    print(f"  decode + CSR (ChunkReader)         {t * ms:8.1f} ms")
    t = _best(args.repeats, diag_body, batch, layout)
    print(f"  pass 1 diag body                   {t * ms:8.1f} ms")
    for q in args.q:
        index = np.sort(order[:q])
        center = np.zeros(q + 1)
        dense = np.zeros(q, dtype=bool)
        new = np.arange(0, q, 10)
        gram_args = (gram_body, batch, layout, index, center, dense)
        full = _best(args.repeats, *gram_args, slice_len=1 << 20)
        rows = _best(args.repeats, *gram_args, slice_len=1 << 20, targets=new)
        print(f"  pass 2 Gram body q={q:5d}: whole block {full * ms:8.1f} ms "
              f"({F * (q + 1) * (q + 2) * 4 / 1e6:.0f} MB), rows of {new.size} new "
              f"{rows * ms:8.1f} ms ({F * new.size * (q + 1) * 8 / 1e6:.0f} MB)")
        B = np.random.default_rng(1).normal(size=(q, args.models)) * 0.01
        b0 = np.zeros(args.models)
        mf = np.resize(np.arange(-1, args.folds) if args.folds else np.array([-1]),
                       args.models)
        t = _best(args.repeats, kkt_body, batch, layout, index, B, b0, mf)
        print(f"  pass 3 X'r body  q={q:5d}, T={args.models}: {t * ms:8.1f} ms")


if __name__ == "__main__":
    main()
