"""Cross-validation fold paths, solved on the driver or as Spark tasks across executors.

One *fold fit* is: the training statistics of fold k (the merge of the other folds), the held-out
statistics of fold k, a decreasing alpha grid and an ``l1_ratio`` (one per elasticNetParam). Its
result is the held-out weighted MSE along the path, computed exactly from the held-out
statistics by :func:`lasso_spark.core.cv.heldout_mse`; the data are never read again. Every
result also carries the path's support (which coefficients are non-zero at each alpha): a
stability-selection half-sample is a fit with training statistics and no held-out statistics.

On executors each fit is one record carrying the packed statistics (``SuffStats.pack()`` float64
bytes, no serialized Python objects): on a classic session an RDD of the records sliced over the
tasks (``parallelize(...).mapPartitions``: no shuffle, no local relation, no Arrow — the first
such job in a new JVM pays fewer first-time costs), on Spark Connect, which has no SparkContext,
a small DataFrame run through ``mapInArrow``. Both run the same core code and return the MSE
vector as bytes. The arithmetic is the same function on the same
inputs, so the result is bit-for-bit the driver's.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lasso_spark.core import SuffStats
from lasso_spark.core.threads import one_blas_thread

logger = logging.getLogger(__name__)

__all__ = [
    "AUTO_MIN_SECONDS",
    "FoldFit",
    "FoldFitResult",
    "choose_parallelism",
    "run_fold_fits",
    "solve_fold",
    "sql_worker_environment",
]

#: ``parallelism="auto"`` ships fits to executors only from this many features on: below it a
#: whole fold path costs milliseconds on the driver, less than scheduling one Spark job.
AUTO_MIN_FEATURES = 1000
#: with a measured cost per fit, "auto" runs the fits as tasks when spreading them saves at least
#: this long: the cost of one fold-path job (scheduling, plus the workers' first import of the
#: solver: 0.9 s warm, 4.3 s the first time in a session on a quiet machine, benchmarks/README.md).
AUTO_MIN_SECONDS = 3.0
#: "auto" counts the statistics a task needs as shipped at this rate (driver → executors, as
#: Python bytes through ``parallelize`` / ``createDataFrame``; a cautious figure for one driver) …
SHIP_BYTES_PER_SECOND = 50e6
#: … and never ships more than this in one fold-path job: at p = 4000 the five folds'
#: training and held-out statistics are 1.3 GB, more than a default driver holds twice
SHIP_MAX_BYTES = 512 * 2**20

_RESULT_SCHEMA = ("fit_id long, mse binary, n_nonzero binary, converged boolean, seconds double, "
                  "support binary")


@dataclass(frozen=True)
class FoldFit:
    """One path to fit: fold ``fold`` of elasticNetParam index ``enp_index`` (``heldout`` is
    ``None`` for a fit that is not scored, e.g. a stability-selection half-sample)."""

    fit_id: int
    fold: int
    enp_index: int
    train: SuffStats
    heldout: SuffStats | None
    alphas: np.ndarray
    l1_ratio: float
    penalty_factor: np.ndarray | None = None


@dataclass(frozen=True)
class FoldFitResult:
    fit_id: int
    mse: np.ndarray  # (m,) held-out weighted MSE per alpha; (0,) without held-out statistics
    n_nonzero: np.ndarray  # (m,) non-zero coefficients per alpha
    converged: bool  # every alpha reached the duality-gap target
    seconds: float  # solve time of this fit (where it ran)
    support: np.ndarray  # (m, p) bool: the non-zero coefficients per alpha


@one_blas_thread()
def solve_fold(
    train: SuffStats,
    heldout: SuffStats | None,
    alphas: np.ndarray,
    l1_ratio: float,
    penalty_factor: np.ndarray | None,
    options: dict[str, Any],
) -> tuple[np.ndarray, np.ndarray, bool, np.ndarray]:
    """Fit the path on ``train`` and score it on ``heldout`` (if any): ``(mse, n_nonzero,
    converged, support)``.

    ``options["relax_gammas"]`` (the relaxed lasso): the MSE of the relaxed fits at every γ
    after the path's own, ``(len(gammas) · m,)`` γ by γ (:func:`lasso_spark.core.relax`);
    ``support`` is the lasso path's. BLAS on one thread throughout (path and scores), so
    that an executor's answer equals the driver's bit for bit whatever their thread counts."""
    from lasso_spark.core import enet_path, heldout_mse

    gammas = options.get("relax_gammas")
    path = enet_path(
        train,
        alphas=np.asarray(alphas, dtype=np.float64),
        l1_ratio=float(l1_ratio),
        penalty_factor=penalty_factor,
        **{k: v for k, v in options.items() if k != "relax_gammas"},
    )
    n_nonzero = np.asarray(path.n_nonzero, dtype=np.int64)
    support = path.coef != 0.0
    converged = bool(np.all(path.converged))
    if heldout is None:
        return np.zeros(0), n_nonzero, converged, support
    if gammas:
        from lasso_spark.core.relax import relaxed_path

        rel = relaxed_path(train, path, gammas)
        mse = np.concatenate([heldout_mse(heldout, rel.coef[k], rel.intercept[k])
                              for k in range(len(gammas))]).astype(np.float64)
        return mse, np.tile(n_nonzero, len(gammas)), converged, support
    mse = np.asarray(heldout_mse(heldout, path.coef, path.intercept), dtype=np.float64)
    return mse, n_nonzero, converged, support


def _solve_timed(fit: FoldFit, options: dict[str, Any]) -> FoldFitResult:
    t0 = time.perf_counter()
    mse, nnz, ok, support = solve_fold(
        fit.train, fit.heldout, fit.alphas, fit.l1_ratio, fit.penalty_factor, options
    )
    return FoldFitResult(fit.fit_id, mse, nnz, ok, time.perf_counter() - t0, support)


def choose_parallelism(
    setting: str | int, *, n_features: int, n_fits: int, max_tasks: int | None,
    seconds_per_fit: float | None = None, bytes_per_fit: int = 0,
    fits_per_job: int | None = None,
) -> int:
    """Number of Spark tasks for ``n_fits`` fold fits (1 = solve on the driver).

    ``"auto"`` with ``seconds_per_fit`` (the measured or estimated solve time of one fit:
    ``LassoCV`` passes the full-data path's, which has the same ``p``, grid and about the same
    active sets; stability selection the fold paths' mean) decides from the cost: with ``T``
    the fits' time on the driver and ``k = min(n_fits, slots)``, tasks (``k`` of them) when
    spreading saves ``T (1 − 1/k) ≥`` :data:`AUTO_MIN_SECONDS` plus the time to ship the fits'
    statistics (``n_fits · bytes_per_fit`` at :data:`SHIP_BYTES_PER_SECOND`), one job ships at
    most :data:`SHIP_MAX_BYTES` (``fits_per_job`` fits a job, default all) and the session has
    2 or more task slots, else the driver — whatever ``p``.
    Without an estimate, the size rule: the driver unless there are at least 2 fits and
    ``n_features >= AUTO_MIN_FEATURES`` (a fold path on the Gram costs O(p²) per sweep; below
    that size one Spark job costs more than all the fits together), then one task per fit up
    to ``max_tasks`` (the session's default parallelism). An int is an upper bound on tasks.
    """
    if n_fits <= 1:
        return 1
    if setting == "auto":
        if seconds_per_fit is not None:
            k = min(n_fits, max_tasks or 0)
            shipped = n_fits * max(int(bytes_per_fit), 0)
            per_job = min(n_fits, fits_per_job or n_fits) * max(int(bytes_per_fit), 0)
            cost = AUTO_MIN_SECONDS + shipped / SHIP_BYTES_PER_SECOND
            saving = n_fits * seconds_per_fit * (1.0 - 1.0 / max(k, 1))
            if k < 2 or per_job > SHIP_MAX_BYTES or saving < cost:
                return 1
            return k
        if n_features < AUTO_MIN_FEATURES:
            return 1
        cap = max_tasks if max_tasks and max_tasks > 0 else n_fits
        return max(1, min(n_fits, cap))
    return max(1, min(int(setting), n_fits))


def _default_parallelism(spark: Any) -> int | None:
    """The session's default parallelism, without touching SparkContext on Spark Connect."""
    try:
        value = spark.conf.get("spark.default.parallelism", None)
        if value:
            return int(value)
    except Exception:  # noqa: BLE001 - a missing conf is not an error
        pass
    try:
        return int(spark.sparkContext.defaultParallelism)
    except Exception:  # noqa: BLE001 - Spark Connect has no SparkContext
        return None


def session_max_tasks(spark: Any) -> int | None:
    return _default_parallelism(spark)


#: the worker environment variables Spark's SQL Python runners (``mapInArrow``: the statistics
#: pass) add from these SQL confs — ``(variable, conf, default)``, the variable set to "1" when
#: the conf is true. An RDD job's workers get none of them, and Spark keeps one Python worker
#: daemon per distinct environment: without them the fold-path job starts a second daemon and
#: new workers that import numpy, pyarrow and the solver again (≈ 4 s of the first fold-path job
#: in a session, benchmarks/README.md, issue 19)
_SQL_WORKER_FLAGS = (
    ("SPARK_SIMPLIFIED_TRACEBACK", "spark.sql.execution.pyspark.udf.simplifiedTraceback.enabled",
     "true"),
    ("SPARK_HIDE_TRACEBACK", "spark.sql.execution.pyspark.udf.hideTraceback.enabled", "false"),
    ("SPARK_TRACEBACK_WITH_LOCALS", "spark.sql.execution.pyspark.udf.tracebackWithLocals.enabled",
     "false"),
)


def _sql_worker_flags(conf: Mapping[str, str] | Any) -> dict[str, str | None]:
    """The value of each :data:`_SQL_WORKER_FLAGS` variable under ``conf`` (None: unset)."""
    out: dict[str, str | None] = {}
    for var, key, default in _SQL_WORKER_FLAGS:
        try:
            on = str(conf.get(key, default)).strip().lower() == "true"
        except Exception:  # noqa: BLE001 - an unreadable conf: Spark's default
            on = default == "true"
        out[var] = "1" if on else None
    return out


@contextlib.contextmanager
def sql_worker_environment(spark: Any, sc: Any) -> Iterator[None]:
    """Inside the block, RDD jobs started from ``sc`` give their Python workers the environment
    the session's SQL Python runners give theirs, so Spark serves them from the same worker
    daemon, and its idle workers (which ran the statistics pass and have numpy, pyarrow and
    lasso_spark imported) are reused. ``sc.environment`` is restored on exit; it is read when an
    RDD's Python function is wrapped, i.e. by the action, so the action belongs inside."""
    env = sc.environment
    saved = {var: env.get(var) for var, _, _ in _SQL_WORKER_FLAGS}
    try:
        _set_variables(env, _sql_worker_flags(spark.conf))
        yield
    finally:
        _set_variables(env, saved)


def _set_variables(env: dict[str, str], values: Mapping[str, str | None]) -> None:
    """Set each variable of ``values`` in ``env``; None removes it."""
    for var, value in values.items():
        if value is None:
            env.pop(var, None)
        else:
            env[var] = value


def run_fold_fits(
    fits: Sequence[FoldFit],
    options: dict[str, Any],
    *,
    spark: Any = None,
    parallelism: int = 1,
    job_description: str | None = None,
) -> list[FoldFitResult]:
    """Solve every fit, on the driver (``parallelism == 1``) or as ``parallelism`` Spark tasks.

    ``options`` are the keywords of :func:`lasso_spark.core.enet_path` besides the grid and the
    penalty. Results come back in the order of ``fits``.
    """
    if parallelism <= 1 or spark is None or len(fits) <= 1:
        return [_solve_timed(f, options) for f in fits]
    from lasso_spark.spark.progress import classic_context, job_label

    rows = [_pack_fit(f) for f in fits]
    text = job_description or f"lasso_spark: fold paths, {len(fits)} fits"
    sc = classic_context(spark)
    with job_label(spark, text):
        if sc is not None:
            # classic session: one RDD job, the packed fits sliced over ``parallelism`` tasks
            # (contiguous, even slices) — no local relation, no shuffle, no Arrow: the first
            # such job in a JVM costs what any job costs (benchmarks/README.md, issue 19)
            task = functools.partial(fold_path_rows, dict(options))
            with sql_worker_environment(spark, sc):
                out = sc.parallelize(rows, int(parallelism)).mapPartitions(task).collect()
        else:
            # Spark Connect has no SparkContext: a DataFrame of the fits, one input partition,
            # then round-robin, so the fits spread evenly over the tasks
            df = spark.createDataFrame(rows, schema=_INPUT_SCHEMA)
            df = df.coalesce(1).repartition(int(parallelism))
            arrow_task = functools.partial(fold_path_task, dict(options))
            out = [tuple(r) for r in df.mapInArrow(arrow_task, _RESULT_SCHEMA).collect()]
    shapes = {int(f.fit_id): (len(f.alphas), f.train.n_features) for f in fits}
    by_id: dict[int, FoldFitResult] = {}
    for fit_id, mse, nnz, converged, seconds, support in out:
        by_id[int(fit_id)] = FoldFitResult(
            int(fit_id),
            np.frombuffer(bytes(mse), dtype=np.float64).copy(),
            np.frombuffer(bytes(nnz), dtype=np.int64).copy(),
            bool(converged),
            float(seconds),
            _unpack_support(bytes(support), shapes[int(fit_id)]),
        )
    missing = [f.fit_id for f in fits if f.fit_id not in by_id]
    if missing:
        raise RuntimeError(f"fold-path tasks returned no result for fits {missing}")
    return [by_id[f.fit_id] for f in fits]


_INPUT_SCHEMA = (
    "fit_id long, train binary, heldout binary, alphas binary, l1_ratio double, "
    "penalty_factor binary"
)

#: one fit as shipped: (fit_id, train, heldout | None, alphas, l1_ratio, penalty_factor | None),
#: the statistics as ``SuffStats.pack()`` float64 bytes
PackedFit = tuple[int, bytes, bytes | None, bytes, float, bytes | None]
#: one result as shipped back: (fit_id, mse, n_nonzero, converged, seconds, support bits)
PackedResult = tuple[int, bytes, bytes, bool, float, bytes]


def _pack_fit(f: FoldFit) -> PackedFit:
    return (
        int(f.fit_id),
        f.train.pack().tobytes(),
        None if f.heldout is None else f.heldout.pack().tobytes(),
        np.asarray(f.alphas, dtype=np.float64).tobytes(),
        float(f.l1_ratio),
        None
        if f.penalty_factor is None
        else np.asarray(f.penalty_factor, dtype=np.float64).tobytes(),
    )


def _solve_packed(options: dict[str, Any], row: Sequence[Any]) -> PackedResult:
    """Executor side of one fit: the packed fit in, the packed result out."""
    fit_id, train, heldout, alphas, l1_ratio, pf = row
    fit = FoldFit(
        fit_id=int(fit_id),
        fold=-1,
        enp_index=-1,
        train=SuffStats.unpack(np.frombuffer(train, dtype=np.float64)),
        heldout=None if heldout is None
        else SuffStats.unpack(np.frombuffer(heldout, dtype=np.float64)),
        alphas=np.frombuffer(alphas, dtype=np.float64).copy(),
        l1_ratio=float(l1_ratio),
        penalty_factor=None if pf is None else np.frombuffer(pf, dtype=np.float64).copy(),
    )
    res = _solve_timed(fit, options)
    return (
        res.fit_id,
        np.ascontiguousarray(res.mse, dtype=np.float64).tobytes(),
        np.ascontiguousarray(res.n_nonzero, dtype=np.int64).tobytes(),
        res.converged,
        res.seconds,
        np.packbits(res.support).tobytes(),
    )


def fold_path_rows(options: dict[str, Any], rows: Iterator[PackedFit]) -> Iterator[PackedResult]:
    """Executor side of :func:`run_fold_fits` on a classic session (``mapPartitions``)."""
    for row in rows:
        yield _solve_packed(options, row)


def _unpack_support(data: bytes, shape: tuple[int, int]) -> np.ndarray:
    """The ``(m, p)`` support from its ``np.packbits`` bytes."""
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8), count=shape[0] * shape[1])
    return bits.astype(bool).reshape(shape)


def fold_path_task(options: dict[str, Any], batches: Iterator[Any]) -> Iterator[Any]:
    """Executor side of :func:`run_fold_fits` on Spark Connect (``mapInArrow``): packed
    statistics in, held-out MSE bytes out."""
    import pyarrow as pa

    schema = pa.schema(
        [
            ("fit_id", pa.int64()),
            ("mse", pa.binary()),
            ("n_nonzero", pa.binary()),
            ("converged", pa.bool_()),
            ("seconds", pa.float64()),
            ("support", pa.binary()),
        ]
    )
    keys = ("fit_id", "train", "heldout", "alphas", "l1_ratio", "penalty_factor")
    for batch in batches:
        cols = batch.to_pydict()
        out: dict[str, list[Any]] = {name: [] for name in schema.names}
        for row in zip(*(cols[k] for k in keys)):
            for name, value in zip(schema.names, _solve_packed(options, row)):
                out[name].append(value)
        yield pa.RecordBatch.from_pydict(out, schema=schema)
