"""The generate job: synthetic data with a known truth → ``data.parquet/`` + ``truth.json``.

Output directory (``output.path``)::

    data.parquet/   id, x0..x{p-1}, y [, weight] [, vector]   (lasso_spark.datagen.generate)
    truth.json      lasso_spark.datagen.Truth: coefficients, intercept, noise_std, support, ...
    _SUCCESS        written last, then the directory is moved into place
"""

from __future__ import annotations

import logging
import time
from typing import Any

from lasso_spark.config import GenerateConfig
from lasso_spark.datagen import generate, truth_for
from lasso_spark.jobs_lib.paths import check_paths
from lasso_spark.jobs_lib.staging import StagedOutput, filesystem_for

logger = logging.getLogger(__name__)

DATA_DIR = "data.parquet"
TRUTH_FILE = "truth.json"


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
        df = generate(spark, **params)
        truth = truth_for(**params)
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
