"""The demo: generate data with a known sparse truth, fit it with the fit job, report recovery."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from lasso_spark.config import (
    ColumnsConfig,
    DemoConfig,
    FitConfig,
    GenerateConfig,
    GenerateOutputConfig,
    InputConfig,
    ModelConfig,
    OutputConfig,
)
from lasso_spark.datagen import truth_for
from lasso_spark.jobs_lib.fit import run_fit
from lasso_spark.jobs_lib.generate import DATA_DIR, run_generate
from lasso_spark.jobs_lib.staging import filesystem_for
from lasso_spark.jobs_lib.warmup import start_worker_warmup
from lasso_spark.spark.hadoop import TABLE_PART

logger = logging.getLogger(__name__)

#: start-up settings of the demo's embedded local session, for keys its ``[spark.conf]`` does not
#: set: no web UI (a Jetty server and its listeners the demo never shows) and a shuffle width
#: for 2–8 local cores instead of 200 (the demo's jobs barely shuffle). Neither changes what
#: the demo computes or writes. The JVM compiles with C1 only (``-XX:TieredStopAtLevel=1``):
#: a short-lived session over little data spends its first jobs waiting for the JIT, and C2's
#: compiler threads compete with the work on a small machine (measured in benchmarks/README.md,
#: issue 19); long fits over big data want C2, so this is the demo's default only. The serial
#: collector (``-XX:+UseSerialGC``) starts no parallel GC threads for the demo's small heap
#: (A/B in benchmarks/README.md: ≈ 1 s less on average in 4 pairs, noisy).
DEMO_LOCAL_CONF: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
}


def demo_configs(cfg: DemoConfig) -> tuple[GenerateConfig, FitConfig]:
    """The generate and fit configs the demo runs (both overwrite under ``cfg.output``)."""
    root = os.path.abspath(cfg.output)
    gen = GenerateConfig(
        data=cfg.data,
        output=GenerateOutputConfig(path=os.path.join(root, "data"), mode="overwrite"),
        spark=cfg.spark,
    )
    d = cfg.data
    fit = FitConfig(
        input=InputConfig(path=os.path.join(root, "data", DATA_DIR)),
        columns=ColumnsConfig(
            label=d.label_col, weight=d.weight_col, id=[d.id_col] if d.id_col else [],
            vector=d.vector_col if not d.keep_columns else None,
            exclude=[d.vector_col] if d.vector_col and d.keep_columns else [],
        ),
        model=ModelConfig.model_validate(cfg.model.model_dump(exclude_none=True)),
        output=OutputConfig(path=os.path.join(root, "fit"), mode="overwrite", plots=cfg.plots),
        spark=cfg.spark,
    )
    return gen, fit


def recovery_report(truth_coef: list[float], names: list[str], coef: dict[str, float]) -> dict:
    """Which true non-zeros were found, which were missed, which zeros were selected."""
    true_set = {n for n, b in zip(names, truth_coef) if b != 0.0}
    found = {n for n, c in coef.items() if c != 0.0}
    return {
        "recovered": sorted(true_set & found, key=names.index),
        "missed": sorted(true_set - found, key=names.index),
        "false_positives": sorted(found - true_set, key=names.index),
    }


def timing_line(generated: dict[str, Any], summary: dict[str, Any]) -> str:
    """Where the demo's time went: the generate job, the fit (statistics pass, solve) and the
    fit job's outputs (model, tables, plots)."""
    t, m = summary.get("timings", {}), summary.get("modelSummary", {})
    inner = ", ".join(f"{label} {m[key]:.1f} s" for key, label in (
        ("statsSeconds", "statistics pass"), ("solveSeconds", "solve")) if m.get(key) is not None)
    gen = generated.get("seconds", 0.0)
    line = f"  time     generate {gen:.1f} s, fit {t.get('fit', 0.0):.1f} s"
    return line + (f" ({inner})" if inner else "") + f", outputs {t.get('write', 0.0):.1f} s"


def format_report(summary: dict[str, Any], truth: Any, coef: dict[str, float], root: str,
                  generated: dict[str, Any] | None = None) -> str:
    rep = recovery_report(truth.coefficients, truth.feature_names, coef)
    lines = [
        "",
        f"lasso_spark demo: {truth.n_rows} rows, {len(truth.feature_names)} features, "
        f"{len(truth.support)} truly non-zero",
        f"  chosen regParam       {summary['regParam']:.6g} "
        f"({summary['nonZeros']} non-zero coefficients)",
    ]
    if summary.get("cvError"):
        lines.append(f"  CV mean squared error {summary['cvError']['meanMSE']:.6g} "
                     f"(noise variance {truth.noise_std ** 2:.6g})")
    lines.append(f"  recovered  {len(rep['recovered'])}/{len(truth.support)}: "
                 f"{', '.join(rep['recovered']) or '-'}")
    lines.append(f"  missed     {', '.join(rep['missed']) or 'none'}")
    lines.append(f"  false positives {len(rep['false_positives'])}: "
                 f"{', '.join(rep['false_positives']) or 'none'}")
    lines.append("")
    lines.append(f"  {'feature':<10}{'true':>10}{'fitted':>12}")
    for j in truth.support:
        n = truth.feature_names[j]
        lines.append(f"  {n:<10}{truth.coefficients[j]:>10.4f}{coef.get(n, 0.0):>12.4f}")
    lines += [
        "",
        f"  data     {os.path.join(root, 'data')}  (truth.json beside data.parquet)",
        f"  outputs  {os.path.join(root, 'fit')}  (model/, coefficients.parquet, path.parquet, "
        "cv.parquet, summary.json)",
    ]
    if summary["config"]["output"]["plots"]:
        lines.append(f"  plots    {os.path.join(root, 'fit', 'plots')}/path.png, cv.png")
    if generated is not None:
        lines.append(timing_line(generated, summary))
    return "\n".join(lines)


def _read_small_table(spark: Any, directory: str) -> Any:
    """A table the fit job wrote from the driver (one part file), read back without a Spark job."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = filesystem_for(directory, spark).read_bytes(os.path.join(directory, TABLE_PART))
    return pq.read_table(pa.BufferReader(data)).to_pandas()


#: seconds the demo waits at its end for a warm-up still running (it has normally ended long
#: before: the fit's statistics pass runs after it)
WARMUP_JOIN_SECONDS = 10.0


def run_demo(cfg: DemoConfig, spark: Any) -> str:
    """Generate, fit, report. Spark's first Python workers start in the background while the
    driver generates the data (:mod:`lasso_spark.jobs_lib.warmup`; it changes no output)."""
    gen, fit = demo_configs(cfg)
    workers = start_worker_warmup(spark)
    generated = run_generate(gen, spark)
    summary = run_fit(fit, spark)
    if not workers.join(WARMUP_JOIN_SECONDS):
        logger.debug("warm-up %s still running at the demo's end", workers.name)
    truth = truth_for(**cfg.data.model_dump())
    coef_df = _read_small_table(spark, os.path.join(fit.output.path, "coefficients.parquet"))
    names = list(coef_df["feature"])
    if fit.columns.vector:  # named features[j]; the generator packs x0..x{p-1} in that order
        names = list(truth.feature_names)
    coef = dict(zip(names, coef_df["coefficient"].astype(float)))
    logger.debug("demo summary: %s", json.dumps(summary))
    return format_report(summary, truth, coef, os.path.abspath(cfg.output), generated)
