"""SparkSession for a job: embedded ``local[*]`` or the one spark-submit prepared."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import Any

from lasso_spark.config import SparkConfig

logger = logging.getLogger(__name__)


def under_spark_submit() -> bool:
    """True when this Python process was launched by spark-submit (it hands over a JVM gateway)."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def build_session(cfg: SparkConfig, default_app_name: str, master: str | None = None,
                  local_defaults: Mapping[str, str] | None = None) -> Any:
    """Create (or join) the job's SparkSession.

    Under spark-submit the master and deploy settings are spark-submit's; ``cfg.master`` is
    ignored (with a warning if it is set) and ``cfg.conf`` is applied on top. Otherwise an
    embedded session is started on ``master`` or ``cfg.master`` or ``local[*]``, bound to
    127.0.0.1 when local, with executors running this same Python interpreter, and with
    ``local_defaults`` for every key ``cfg.conf`` does not set (e.g. the demo's start-up
    settings; never applied under spark-submit or to a cluster master).
    """
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(cfg.app_name or default_app_name)
    if under_spark_submit():
        if cfg.master or master:
            logger.warning(
                "running under spark-submit: spark.master=%s from the config is ignored; "
                "pass --master to spark-submit instead", master or cfg.master,
            )
    else:
        chosen = master or cfg.master or "local[*]"
        builder = builder.master(chosen)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        if chosen.startswith("local"):
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            for key in ("spark.driver.host", "spark.driver.bindAddress"):
                if key not in cfg.conf:
                    builder = builder.config(key, "127.0.0.1")
            if "spark.ui.showConsoleProgress" not in cfg.conf:
                builder = builder.config("spark.ui.showConsoleProgress", "false")
            for key, value in (local_defaults or {}).items():
                if key not in cfg.conf:
                    builder = builder.config(key, value)
    for key, value in cfg.conf.items():
        builder = builder.config(key, str(value).lower() if isinstance(value, bool) else value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(cfg.log_level)
    import lasso_spark

    logger.info(
        "Spark %s session, master %s; lasso_spark %s from %s", spark.version,
        spark.conf.get("spark.master", "?"), lasso_spark.__version__,
        os.path.dirname(os.path.abspath(lasso_spark.__file__)),
    )
    return spark
