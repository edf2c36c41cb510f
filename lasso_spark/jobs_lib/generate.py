"""The generate job: synthetic data with a known truth → ``data.parquet/`` + ``truth.json``.

Output directory (``output.path``)::

    data.parquet/   id, x0..x{p-1}, y [, weight] [, vector]   (lasso_spark.datagen.generate)
    truth.json      lasso_spark.datagen.Truth: coefficients, intercept, noise_std, support, ...
    _SUCCESS        written last, then the directory is moved into place

Data of at most :data:`DRIVER_WRITE_BYTES` without a vector column is written from the driver
(``lasso_spark.datagen.generate_tables``, one Parquet part per partition through the output's
filesystem): the same rows, partitions and file layout Spark's writer gives, without the cost of a
first Spark job. Larger data, or data with a vector column, is written by Spark.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from lasso_spark.config import GenerateConfig
from lasso_spark.datagen import generate, generate_tables, truth_for
from lasso_spark.jobs_lib.paths import check_paths
from lasso_spark.jobs_lib.staging import FileSystem, StagedOutput, filesystem_for
from lasso_spark.spark.hadoop import SUCCESS, parquet_bytes

logger = logging.getLogger(__name__)

DATA_DIR = "data.parquet"
TRUTH_FILE = "truth.json"
#: the largest data (8 bytes a value) the job writes from the driver instead of by a Spark job
DRIVER_WRITE_BYTES = 64 * 2**20


def written_by_driver(params: dict[str, Any]) -> bool:
    """True when the generate job writes ``params``' data from the driver (small, no vector)."""
    cells = params["n_rows"] * (params["n_features"] + 3)
    return params.get("vector_col") is None and 8 * cells <= DRIVER_WRITE_BYTES


def _write_from_driver(fs: FileSystem, directory: str, params: dict[str, Any],
                       num_partitions: int) -> int:
    fs.mkdirs(directory)
    keys = ("keep_columns", "vector_col", "num_partitions")
    kwargs = {k: v for k, v in params.items() if k not in keys}
    parts = 0
    for i, table in enumerate(generate_tables(num_partitions=num_partitions, **kwargs)):
        fs.write_bytes(f"{directory}/part-{i:05d}-lasso_spark.snappy.parquet",
                       parquet_bytes(table))
        parts += 1
    fs.write_bytes(f"{directory}/{SUCCESS}", b"")
    return parts


def _write_truth(staged: StagedOutput, text: str) -> None:
    staged.fs.write_bytes(staged.path(TRUTH_FILE), text.encode())


def run_generate(cfg: GenerateConfig, spark: Any) -> dict[str, Any]:
    t0 = time.perf_counter()

    def guard() -> None:  # no inputs, but never a root, the working or the home directory
        check_paths([("output.path", cfg.output.path)], [], spark=spark)

    fs = filesystem_for(cfg.output.path, spark)
    staged = StagedOutput(fs, cfg.output.path, cfg.output.mode, guard=guard)
    params = cfg.data.model_dump()
    with staged:
        truth = truth_for(**params)
        if written_by_driver(params):
            k = params.get("num_partitions") or spark.sparkContext.defaultParallelism
            parts = _write_from_driver(fs, staged.path(DATA_DIR), params, k)
            logger.info("wrote %d rows in %d parts from the driver (no Spark job: at most %d "
                        "MiB, no vector column)", cfg.data.n_rows, parts,
                        DRIVER_WRITE_BYTES >> 20)
        else:
            df = generate(spark, **params)
            df.write.mode("error").parquet(fs.spark_uri(staged.path(DATA_DIR)))
        _write_truth(staged, truth.to_json())
        staged.write_success()
        staged.commit()
    elapsed = time.perf_counter() - t0
    logger.info(
        "generated %d rows x %d features in %.1f s -> %s (true support: %s)",
        cfg.data.n_rows, cfg.data.n_features, elapsed, cfg.output.path,
        [truth.feature_names[j] for j in truth.support],
    )
    return {"output": cfg.output.path, "data": f"{cfg.output.path.rstrip('/')}/{DATA_DIR}",
            "support": truth.support, "seconds": round(elapsed, 3)}
