"""The score job: saved model + input → predictions (with pass-through columns), staged.

A logistic model writes the probability of label 1 (a double, in the model's probability
column) and the predicted label."""

from __future__ import annotations

import logging
import posixpath
import time
from typing import Any

from lasso_spark.config import ScoreConfig
from lasso_spark.jobs_lib import contract
from lasso_spark.jobs_lib.dataio import check_remote_paths, read_input
from lasso_spark.jobs_lib.errors import ConfigError, InputDataError
from lasso_spark.jobs_lib.staging import StagedOutput, filesystem_for

logger = logging.getLogger(__name__)


def resolve_model_path(spark: Any, path: str) -> str:
    """``path`` itself, or ``path/model`` when ``path`` is a fit job's output directory."""
    fs = filesystem_for(path, spark)
    if not fs.exists(path):
        raise ConfigError(f"model.path: path does not exist: {path}")
    nested = posixpath.join(path.rstrip("/"), "model")
    if fs.exists(posixpath.join(path.rstrip("/"), "summary.json")) and fs.exists(nested):
        return nested
    return path


def run_score(cfg: ScoreConfig, spark: Any) -> dict[str, Any]:
    """Score ``cfg.input`` with the saved model; write prediction + pass-through columns."""
    t0 = time.perf_counter()
    check_remote_paths(spark, cfg.input)
    fs = filesystem_for(cfg.output.path, spark)
    staged = StagedOutput(fs, cfg.output.path, cfg.output.mode)
    staged.check_target()

    model = contract.load_model(resolve_model_path(spark, cfg.model.path))
    if cfg.model.prediction_col:
        contract.set_prediction_col(model, cfg.model.prediction_col)
    pred = contract.prediction_col(model)

    df = read_input(spark, cfg.input)
    missing = [c for c in contract.model_input_columns(model) if c not in df.columns]
    passthrough = df.columns if cfg.output.passthrough is None else cfg.output.passthrough
    missing_pass = [c for c in passthrough if c not in df.columns]
    problems = []
    if missing:
        problems.append(f"model.path: the model needs column(s) {missing}, not in the input")
    if missing_pass:
        problems.append(f"output.passthrough: column(s) {missing_pass} not in the input")
    for col in contract.output_names(model):
        if col in passthrough:
            problems.append(f"output.passthrough: {col!r} clashes with a column the model "
                            "writes; set model.prediction_col or leave it out of passthrough")
    if problems:
        raise InputDataError("cannot score:\n" + "\n".join(f"  - {p}" for p in problems))

    out = model.transform(df).select(*passthrough, *contract.score_columns(model))
    if cfg.output.partitions:
        out = out.repartition(cfg.output.partitions)
    options = {k: str(v).lower() if isinstance(v, bool) else str(v)
               for k, v in cfg.output.options.items()}
    with staged:
        target = fs.spark_uri(staged.path("predictions"))
        out.write.format(cfg.output.format).options(**options).mode("error").save(target)
        # The dataset itself (Spark's parts, its _SUCCESS last) becomes the output directory.
        staged.commit(source=staged.path("predictions"))
    elapsed = time.perf_counter() - t0
    logger.info("wrote predictions to %s in %.1f s", cfg.output.path, elapsed)
    return {"output": cfg.output.path, "predictionCol": pred,
            "columns": [*passthrough, *contract.output_names(model)], "seconds": round(elapsed, 3)}
