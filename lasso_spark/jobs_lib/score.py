"""The score job: saved model + input → predictions (with pass-through columns), staged.

Output directory (``output.path``): the predictions dataset in ``output.format`` (Spark's part
files), ``_summary.json`` (rows read, scored, invalid — per column —, settings, timings; the
leading underscore keeps Spark's and Hive's readers from taking it for data) and ``_SUCCESS``.

Validation is the fit's: the model is verified when loaded (exit 3 when damaged), the feature
columns' types are checked before any job, and rows with a null, NaN or infinite feature (or a
vector of another size, or a prediction overflowing float64) are counted in the same job that
writes the predictions (``DataFrame.observe``: one pass). ``model.handle_invalid``: ``"error"``
(default) discards the staged output and exits 3 naming each bad column with its count,
``"skip"`` leaves the rows out, ``"keep"`` writes them with a null prediction. Only when some
rows are invalid does a second, aggregate-only pass count them per column. A sparse vector with
unsorted or repeated indices is rejected by the JVM when read (as MLlib does); the job reports
it as bad data (exit 3) with the count of such rows.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import posixpath
import time
from typing import Any

from lasso_spark.config import ScoreConfig
from lasso_spark.jobs_lib import contract
from lasso_spark.jobs_lib.dataio import check_remote_paths, read_input
from lasso_spark.jobs_lib.errors import ConfigError, InputDataError
from lasso_spark.jobs_lib.paths import check_paths, input_paths, local_path
from lasso_spark.jobs_lib.staging import StagedOutput, filesystem_for

logger = logging.getLogger(__name__)

SUMMARY_FILE = "_summary.json"


def resolve_model_path(spark: Any, path: str) -> str:
    """``path`` itself, or ``path/model`` when ``path`` is a fit job's output directory."""
    fs = filesystem_for(path, spark)
    if not fs.exists(path):
        raise ConfigError(f"model.path: path does not exist: {path}")
    nested = posixpath.join(path.rstrip("/"), "model")
    if fs.exists(posixpath.join(path.rstrip("/"), "summary.json")) and fs.exists(nested):
        return nested
    return path


def local_model_info(path: str) -> dict[str, Any]:
    """``--check`` of a local ``model.path`` without Spark: metadata and file checksums."""
    from lasso_spark.ml.persistence import inspect_local_model

    root = local_path(path, "model.path")
    if not os.path.exists(root):
        raise ConfigError(f"model.path: path does not exist: {path}")
    nested = os.path.join(root, "model")
    if os.path.isfile(os.path.join(root, "summary.json")) and os.path.isdir(nested):
        root = nested
    return inspect_local_model(root)


def _java_root(exc: BaseException) -> tuple[str, str, str] | None:
    """``(class, message, stack)`` of the innermost Java cause, when there is one."""
    java = getattr(exc, "java_exception", None) or getattr(exc, "_origin", None)
    if java is None:
        return None
    try:
        cause = java
        while cause.getCause() is not None:
            cause = cause.getCause()
        frames = " ".join(str(f) for f in cause.getStackTrace())
        return str(cause.getClass().getName()), str(cause.getMessage() or ""), frames
    except Exception:  # noqa: BLE001
        return None


def _malformed_vector_count(df: Any, column: str, size: int) -> int:
    """Rows whose sparse vector has unsorted, repeated or out-of-range indices (the failure
    path only: it reads the vectors' raw form through JSON, ~20x slower than scoring)."""
    from pyspark.sql import functions as F

    raw = F.from_json(F.to_json(F.struct(F.col(column).alias("v"))),
                      "v struct<type:tinyint,size:int,indices:array<int>,values:array<double>>")
    idx = raw.getField("v").getField("indices")
    sorted_ok = F.forall(
        F.sequence(F.lit(1), F.greatest(F.size(idx) - 1, F.lit(1))),
        lambda i: F.coalesce(F.try_element_at(idx, i) < F.try_element_at(idx, i + 1),
                             F.lit(True)),
    )
    in_range = F.forall(idx, lambda i: (i >= 0) & (i < F.lit(size)))
    sparse = raw.getField("v").getField("type") == F.lit(0)
    bad = sparse & ~(sorted_ok & in_range)
    return int(df.agg(F.count_if(F.coalesce(bad, F.lit(False)))).first()[0])


def _invalid_message(counts: dict[str, int], n_read: int, handle: str) -> str:
    parts = [f"{c} rows with {what}" for what, c in counts.items() if c]
    text = "; ".join(parts)
    return (f"input: {text} (of {n_read} rows read; model.handle_invalid = {handle!r}: set "
            "'skip' to leave them out or 'keep' to write them with a null prediction)")


def _describe_counts(raw: dict[str, int]) -> dict[str, int]:
    """Counter names → what they count, for messages (``x3`` → null/NaN/inf in column 'x3')."""
    out: dict[str, int] = {}
    for key, c in raw.items():
        if key in ("rows", "invalid") or not c:
            continue
        column, _, kind = key.partition(": ")
        what = {
            "": f"null/NaN/inf in column {column!r}",
            "value": f"null/NaN/inf in column {column!r}",
            "null": f"a null vector in column {column!r}",
            "size": f"a vector of the wrong size in column {column!r}",
            "non-finite": f"a null/NaN/inf value in column {column!r}",
            "overflow": "a prediction overflowing float64 (values too large)",
        }[kind]
        out[what] = c
    return out


def run_score(cfg: ScoreConfig, spark: Any) -> dict[str, Any]:
    """Score ``cfg.input`` with the saved model; write prediction + pass-through columns."""
    from pyspark.sql import Observation

    t0 = time.perf_counter()
    inputs, tables = input_paths(cfg.input)
    inputs.append(("model.path", cfg.model.path))
    outputs = [("output.path", cfg.output.path)]

    def guard() -> None:
        check_paths(outputs, inputs, tables=tables, spark=spark)

    guard()
    check_remote_paths(spark, cfg.input)
    model_path = resolve_model_path(spark, cfg.model.path)
    fs = filesystem_for(cfg.output.path, spark)
    handle = cfg.model.handle_invalid
    with StagedOutput(fs, cfg.output.path, cfg.output.mode, guard=guard) as staged:
        model = contract.load_model(model_path, spark)
        contract.scoring_model(model, prediction_col=cfg.model.prediction_col,
                               handle_invalid=handle,
                               replace_prediction=cfg.output.replace_prediction)
        pred = contract.prediction_col(model)
        df = read_input(spark, cfg.input)
        needed = contract.model_input_columns(model)
        missing = [c for c in needed if c not in df.columns]
        passthrough = df.columns if cfg.output.passthrough is None else cfg.output.passthrough
        missing_pass = [c for c in passthrough if c not in df.columns]
        problems = []
        if missing:
            problems.append(f"model.path: the model needs column(s) {missing}, not in the input")
        if missing_pass:
            problems.append(f"output.passthrough: column(s) {missing_pass} not in the input")
        if pred in df.columns and not cfg.output.replace_prediction:
            if pred in passthrough:
                problems.append(
                    f"input: column {pred!r} already exists and would be replaced by the "
                    "prediction; set model.prediction_col to another name, leave it out of "
                    "output.passthrough, or set output.replace_prediction = true"
                )
            elif pred not in needed:  # not asked for: the prediction takes its place
                df = df.drop(pred)
        if problems:
            raise InputDataError("cannot score:\n" + "\n".join(f"  - {p}" for p in problems))
        written = contract.output_names(model, pred)  # a classifier's probability too
        passthrough = [c for c in passthrough if c not in written]

        frame, value, valid, counters, _ = contract.scoring_frame(model, df)  # no job yet
        obs = Observation("lasso_spark_score")
        observed = frame.observe(obs, counters["rows"].alias("rows"),
                                 counters["invalid"].alias("invalid"))
        if handle == "skip":
            observed = observed.where(valid)
        out = observed.select(*passthrough, *contract.output_columns(model, value, valid, pred))
        if cfg.output.partitions:
            out = out.repartition(cfg.output.partitions)
        options = {k: str(v).lower() if isinstance(v, bool) else str(v)
                   for k, v in cfg.output.options.items()}
        target = fs.spark_uri(staged.path("predictions"))
        try:
            out.write.format(cfg.output.format).options(**options).mode("error").save(target)
        except Exception as exc:
            _raise_if_malformed_vectors(exc, model, df)
            raise
        metrics = obs.get
        n_read, n_invalid = int(metrics["rows"]), int(metrics["invalid"])
        per_column: dict[str, int] = {}
        if n_invalid:  # name the columns: one aggregate pass, only when there are bad rows
            row = frame.agg(*[c.alias(f"c{i}") for i, c in enumerate(counters.values())]
                            ).first()
            raw = {name: int(row[i] or 0) for i, name in enumerate(counters)}
            per_column = {k: v for k, v in raw.items() if k not in ("rows", "invalid") and v}
            if handle == "error":
                raise InputDataError(_invalid_message(_describe_counts(raw), n_read, handle),
                                     per_column)
            logger.warning("%s", _invalid_message(_describe_counts(raw), n_read, handle))
        elapsed = time.perf_counter() - t0
        summary = _summary(cfg, model_path, pred, passthrough, n_read, n_invalid, per_column,
                           elapsed, spark)
        summary["columns"] = [*passthrough, *written]
        fs.write_bytes(posixpath.join(staged.path("predictions"), SUMMARY_FILE),
                       json.dumps(summary, indent=2).encode())
        # The dataset itself (Spark's parts, its _SUCCESS last) becomes the output directory.
        staged.commit(source=staged.path("predictions"))
    logger.info("wrote predictions to %s in %.1f s: %d rows read, %d scored, %d invalid (%s)",
                cfg.output.path, elapsed, n_read, summary["rows"]["scored"], n_invalid, handle)
    return summary


def _summary(cfg: ScoreConfig, model_path: str, pred: str, passthrough: list[str], n_read: int,
             n_invalid: int, per_column: dict[str, int], elapsed: float, spark: Any
             ) -> dict[str, Any]:
    import lasso_spark

    handle = cfg.model.handle_invalid
    return {
        "status": "success",
        "model": model_path,
        "output": cfg.output.path,
        "predictionCol": pred,
        "columns": [*passthrough, pred],
        "handleInvalid": handle,
        "rows": {
            "read": n_read,
            "scored": n_read - n_invalid,
            "invalid": n_invalid,
            "written": n_read - n_invalid if handle == "skip" else n_read,
            "nullPredictions": n_invalid if handle == "keep" else 0,
        },
        "invalidCounts": per_column,
        "seconds": round(elapsed, 3),
        "versions": {"lasso_spark": lasso_spark.__version__, "spark": spark.version,
                     "python": platform.python_version()},
    }


def _raise_if_malformed_vectors(exc: BaseException, model: Any, df: Any) -> None:
    """The JVM's rejection of a malformed sparse vector, as bad data (exit 3) with its count."""
    root = _java_root(exc)
    if root is None or contract.model_uses_input_cols(model):
        return
    cls, message, frames = root
    if cls != "java.lang.IllegalArgumentException" or "SparseVector" not in frames:
        return
    column = contract.model_input_columns(model)[0]
    try:
        n = _malformed_vector_count(df, column, int(model.numFeatures))
        counted = f"{n} rows with"
    except Exception:  # noqa: BLE001 - the count is a courtesy; the error stands without it
        n, counted = 0, "rows with"
    raise InputDataError(
        f"input: {counted} a malformed sparse vector in column {column!r} ({message}); MLlib "
        "rejects such vectors too: indices must be strictly increasing and within the size",
        {column: n},
    ) from None
