"""The fit job: config → input → ``Lasso``/``LassoCV`` → staged output directory.

Output directory (``output.path``)::

    model/                  LassoModel.save (loadable with LassoModel.load)
    mllib_model/            LassoModel.saveMLlib: Spark MLlib's format (output.mllib_model = true)
    coefficients.parquet    feature: string, coefficient: double, standardizedCoefficient: double
                            (a multinomial model: also class: long, one row per feature × class)
    path.parquet            model.path (one row per regParam [× elasticNetParam])
    cv.parquet              model.cvResults (kind = "lasso_cv" only)
    stability.parquet       model.stabilitySelection().table (model.numSubsamples > 0 only)
    stability_path.parquet  model.stabilityPath (model.numSubsamples > 0 only)
    plots/path.png          model.plotPath()            (output.plots = true)
    plots/cv.png            model.plotCV()              (output.plots = true, lasso_cv only)
    plots/stability.png     model.plotStability()       (output.plots = true, numSubsamples > 0)
    summary.json            see :func:`build_summary` (and ``columns``: which columns were
                            features, how they were chosen, why the others were not)
    _SUCCESS                written last, then the directory is moved into place
"""

from __future__ import annotations

import io
import json
import logging
import platform
import re
import time
from datetime import datetime, timezone
from typing import Any

from lasso_spark.config import FitConfig
from lasso_spark.jobs_lib import contract
from lasso_spark.jobs_lib.dataio import (
    ResolvedColumns,
    check_remote_paths,
    read_input,
    resolve_columns,
)
from lasso_spark.jobs_lib.errors import ConfigError
from lasso_spark.jobs_lib.paths import check_paths, input_paths
from lasso_spark.jobs_lib.staging import StagedOutput, filesystem_for
from lasso_spark.spark.hadoop import parquet_bytes, write_table_dir

logger = logging.getLogger(__name__)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def coefficients_table(model: Any, std: list[float]) -> Any:
    """One row per feature (``feature``, ``coefficient``, ``standardizedCoefficient``); for a
    multinomial model one row per feature and class, feature-major, with a ``class`` column."""
    import numpy as np
    import pandas as pd

    B = contract.coefficient_matrix(model)  # (K, p)
    K, p = B.shape
    names = list(model.featureNames) or [f"f{j}" for j in range(p)]
    coef = B.T.ravel()  # feature-major
    table = {"feature": np.repeat(names, K).tolist()}
    if contract.is_multinomial(model):
        table["class"] = np.tile(np.arange(K, dtype=np.int64), p)
    table["coefficient"] = coef
    table["standardizedCoefficient"] = coef * np.repeat(np.asarray(std, dtype=float), K)
    return pd.DataFrame(table)


def _write_table(staged: StagedOutput, name: str, pdf: Any) -> None:
    """The table ``name`` in Spark's layout (a directory: one part file, then ``_SUCCESS``),
    written inside the staging directory through the output's filesystem — any Hadoop path,
    no Spark job: these tables are the model's few rows, already on the driver. Column types
    as Spark's ``createDataFrame(pdf)`` gives them: string, double, long, boolean."""
    import pyarrow as pa

    table = pa.Table.from_pandas(pdf, preserve_index=False)
    write_table_dir(staged.fs, staged.path(name), parquet_bytes(table))


def _png(fig: Any) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _write_stability(fs: Any, staged: StagedOutput, model: Any, plots: bool,
                     outputs: list[str]) -> dict[str, Any] | None:
    """The stability-selection outputs of a ``LassoCV(numSubsamples > 0)`` model (appended to
    ``outputs``); its report for summary.json, or None without stability selection."""
    if not getattr(model, "hasStability", False):
        return None
    report = model.stabilitySelection()
    _write_table(staged, "stability.parquet", report.table)
    _write_table(staged, "stability_path.parquet", model.stabilityPath)
    outputs += ["stability.parquet", "stability_path.parquet"]
    if plots:
        fs.write_bytes(staged.path("plots", "stability.png"), _png(model.plotStability()))
        outputs.append("plots/stability.png")
    return report.asDict()


def build_summary(
    cfg: FitConfig, model: Any, spark: Any, timings: dict[str, float], extra: dict[str, Any]
) -> dict[str, Any]:
    """The JSON a workflow reads: choice, CV error, rows, timings, versions, resolved config."""
    import lasso_spark

    coef = contract.coefficient_matrix(model)
    used, skipped = contract.rows_used_skipped(model)
    if contract.is_multinomial(model):  # K intercepts; a feature counts if any class uses it
        icpt: dict[str, Any] = {"family": "multinomial", "numClasses": int(coef.shape[0]),
                                "interceptVector": contract.intercepts(model)}
    else:
        icpt = {"intercept": contract.intercepts(model)[0]}
    return {
        "status": "success",
        "kind": cfg.model.kind,
        "regParam": float(model.regParam),
        "elasticNetParam": float(model.elasticNetParam),
        **icpt,
        "numFeatures": int(coef.shape[1]),
        "nonZeros": int((coef != 0).any(axis=0).sum()),
        "cvError": contract.cv_error_at_choice(model),
        "rows": {"used": used, "skipped": skipped},
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "modelSummary": contract.summary_dict(model),
        "versions": {
            "lasso_spark": lasso_spark.__version__,
            "spark": spark.version,
            "python": platform.python_version(),
        },
        "config": cfg.model_dump(mode="json", by_alias=True),
        **extra,
    }


def check_penalty_factors(cfg: FitConfig, cols: ResolvedColumns, schema: Any) -> None:
    """``model.penaltyFactors`` keys must name features (checked before the data pass)."""
    factors = cfg.model.penaltyFactors or {}
    if not factors:
        return
    if cols.features is not None:
        known = set(cols.features)
        unknown = [k for k in factors if k not in known]
        shown = cols.features
    else:
        from lasso_spark.spark.inputs import vector_feature_names

        _, names = vector_feature_names(schema[cols.vector])
        pattern = re.compile(re.escape(str(cols.vector)) + r"\[\d+\]")
        unknown = [k for k in factors
                   if not (names is not None and k in names) and not pattern.fullmatch(k)]
        shown = names or [f"{cols.vector}[0]", f"{cols.vector}[1]", "..."]
    if unknown:
        raise ConfigError(
            f"model.penaltyFactors: {len(unknown)} key(s) name no feature: {unknown[:5]}; "
            f"features are {list(shown)[:10]}{'...' if len(shown) > 10 else ''}"
        )


def run_fit(cfg: FitConfig, spark: Any) -> dict[str, Any]:
    """Run the fit job on ``spark``; returns the summary written to ``summary.json``.

    Before anything is read: the output must not overlap the input (whatever the mode), the
    input must exist, the output must be creatable (its staging directory is created first)
    and must not exist unless ``mode = "overwrite"``; the columns and ``penaltyFactors`` are
    checked against the schema before the data pass.
    """
    started, t0 = _now(), time.perf_counter()
    inputs, tables = input_paths(cfg.input)
    outputs = [("output.path", cfg.output.path)]

    def guard() -> None:
        check_paths(outputs, inputs, tables=tables, spark=spark)

    guard()
    check_remote_paths(spark, cfg.input)
    fs = filesystem_for(cfg.output.path, spark)
    with StagedOutput(fs, cfg.output.path, cfg.output.mode, guard=guard) as staged:
        df = read_input(spark, cfg.input)
        split_cols = tuple((f"model.{k}", getattr(cfg.model, k))
                           for k in ("foldCol", "validationCol") if getattr(cfg.model, k))
        cols = resolve_columns(df.schema, cfg.columns, split_cols)
        check_penalty_factors(cfg, cols, df.schema)
        params = {**cols.estimator_params(), **cfg.model.estimator_params()}
        shown = {k: v for k, v in params.items() if k != "inputCols"}
        logger.info("fitting %s on %s with %s", cfg.model.kind,
                    f"{len(cols.features)} feature columns" if cols.features else cols.vector,
                    shown)
        estimator = contract.build_estimator(cfg.model.kind, params)

        t_fit = time.perf_counter()
        model = estimator.fit(df)
        timings = {"fit": time.perf_counter() - t_fit}
        logger.info("fit done in %.1f s: regParam=%g", timings["fit"], model.regParam)

        std = contract.feature_std(model)

        t_write = time.perf_counter()
        model.save(staged.fs.spark_uri(staged.path("model")))
        _write_table(staged, "coefficients.parquet", coefficients_table(model, std))
        _write_table(staged, "path.parquet", model.path)
        outputs_written = ["model", "coefficients.parquet", "path.parquet"]
        if cfg.output.mllib_model:
            contract.save_mllib(model, fs.spark_uri(staged.path("mllib_model")))
            outputs_written.append("mllib_model")
        cv = getattr(model, "cvResults", None)
        if cv is not None:
            _write_table(staged, "cv.parquet", cv)
            outputs_written.append("cv.parquet")
        stability = _write_stability(fs, staged, model, cfg.output.plots, outputs_written)
        if cfg.output.plots:
            fs.write_bytes(staged.path("plots", "path.png"), _png(model.plotPath()))
            outputs_written.append("plots/path.png")
            if cv is not None:
                fs.write_bytes(staged.path("plots", "cv.png"), _png(model.plotCV()))
                outputs_written.append("plots/cv.png")
        timings["write"] = time.perf_counter() - t_write
        timings["total"] = time.perf_counter() - t0
        summary = build_summary(cfg, model, spark, timings, {
            "startedAt": started,
            "finishedAt": _now(),
            "output": cfg.output.path,
            "outputs": [*outputs_written, "summary.json", "_SUCCESS"],
            "features": cols.features if cols.features is not None else cols.vector,
            "columns": cols.report(),
            **({"stability": stability} if stability is not None else {}),
        })
        fs.write_bytes(staged.path("summary.json"), json.dumps(summary, indent=2).encode())
        staged.write_success()
        staged.commit()
    logger.info(
        "wrote %s: regParam=%g, %d non-zero of %d", cfg.output.path, summary["regParam"],
        summary["nonZeros"], summary["numFeatures"],
    )
    return summary
