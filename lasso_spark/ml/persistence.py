"""Save / load ``LassoModel`` through Spark's writers: metadata JSON + Parquet, no code on load.

Layout under the model directory (any Hadoop-compatible path)::

    metadata/   one JSON line in pyspark.ml's DefaultParamsWriter format (class, uid, paramMap,
                defaultParamMap, sparkVersion) plus "lassoSpark": {formatVersion, numFeatures,
                regParam, elasticNetParam, hasPath, hasCV, cv: {...}, summary: {...}}
    data/       Parquet, one row: featureNames, coefficients, intercept, featureStd
    path/       Parquet, one row per path point (PathTable.ROW_SCHEMA); empty without a path
    cv/         Parquet, one row per CV point (CVTable.ROW_SCHEMA); empty without CV

Data is written before the metadata, so a directory without ``metadata/`` is incomplete and
refuses to load. Works in a ``Pipeline`` / ``PipelineModel`` next to JVM stages (pyspark saves
Python stages with ``stage.write().save(dir)`` and loads them with ``Class.load(dir)``).
``write().overwrite()`` deletes the directory first (classic Spark) or overwrites every part
(Spark Connect, where the JVM file system is out of reach).
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

import numpy as np
from pyspark.ml.util import DefaultParamsReader, DefaultParamsWriter, MLReader, MLWriter

from lasso_spark.ml.tables import CVTable, LassoSummary, PathTable

if TYPE_CHECKING:
    from lasso_spark.ml.model import LassoModel

logger = logging.getLogger(__name__)

__all__ = ["FORMAT_VERSION", "LassoModelReader", "LassoModelWriter"]

FORMAT_VERSION = 1
_DATA_SCHEMA = (
    "featureNames ARRAY<STRING>, coefficients ARRAY<DOUBLE>, intercept DOUBLE, "
    "featureStd ARRAY<DOUBLE>"
)


def _is_remote() -> bool:
    try:
        from pyspark.sql.utils import is_remote

        return bool(is_remote())
    except ImportError:  # pragma: no cover
        return False


class LassoModelWriter(MLWriter):
    """Writes a :class:`LassoModel` (see the module docstring for the layout)."""

    def __init__(self, instance: LassoModel) -> None:
        super().__init__()
        self.instance = instance

    def save(self, path: str) -> None:
        if not isinstance(path, str):
            raise TypeError(f"path must be a str, got {type(path).__name__}")
        if self.shouldOverwrite and not _is_remote():
            self._handleOverwrite(path)
        self.saveImpl(path)

    def _write(self, rows: list[tuple], schema: str, path: str) -> None:
        mode = "overwrite" if self.shouldOverwrite else "error"
        df = self.sparkSession.createDataFrame(rows, schema=schema)
        df.coalesce(1).write.mode(mode).parquet(path)

    def saveImpl(self, path: str) -> None:
        m = self.instance
        p = m.numFeatures
        std = m.featureStd
        self._write(
            [(m.featureNames, m._coef.tolist(), m.intercept,
              None if std is None else std.tolist())],
            _DATA_SCHEMA, os.path.join(path, "data"),
        )
        path_rows = [] if m.pathTable is None else m.pathTable.to_rows()
        self._write(path_rows, PathTable.ROW_SCHEMA, os.path.join(path, "path"))
        cv_rows = [] if m.cvTable is None else m.cvTable.to_rows()
        self._write(cv_rows, CVTable.ROW_SCHEMA, os.path.join(path, "cv"))
        extra = {
            "lassoSpark": {
                "formatVersion": FORMAT_VERSION,
                "numFeatures": p,
                "regParam": m.regParam,
                "elasticNetParam": m.elasticNetParam,
                "hasPath": m.pathTable is not None,
                "hasCV": m.cvTable is not None,
                "cv": None if m.cvTable is None else m.cvTable.meta(),
                "summary": m.summary.asDict() if m.hasSummary else None,
            }
        }
        self.save_metadata(path, extra)
        logger.info("saved LassoModel %s (%d features) to %s", m.uid, p, path)

    def save_metadata(self, path: str, extra: dict[str, Any]) -> None:
        """The ``metadata/`` JSON line (written last: the model is complete once it exists)."""
        m = self.instance
        metadata_path = os.path.join(path, "metadata")
        if self.shouldOverwrite and _is_remote():
            metadata_json = DefaultParamsWriter._get_metadata_to_save(
                m, self.sparkSession, extraMetadata=extra
            )
            self.sparkSession.createDataFrame([(metadata_json,)], schema="value STRING") \
                .coalesce(1).write.mode("overwrite").text(metadata_path)
        else:
            DefaultParamsWriter.saveMetadata(m, path, self.sparkSession, extraMetadata=extra)


class LassoModelReader(MLReader["LassoModel"]):
    """Reads what :class:`LassoModelWriter` wrote; runs no stored code."""

    def __init__(self, cls: type) -> None:
        super().__init__()
        self.cls = cls

    def load(self, path: str) -> LassoModel:
        if not isinstance(path, str):
            raise TypeError(f"path must be a str, got {type(path).__name__}")
        spark = self.sparkSession
        metadata = DefaultParamsReader.loadMetadata(path, spark)
        info: dict[str, Any] | None = metadata.get("lassoSpark")
        if info is None:
            raise ValueError(f"{path} holds a {metadata.get('class')}, not a lasso_spark model")
        if int(info["formatVersion"]) > FORMAT_VERSION:
            raise ValueError(
                f"{path} was saved in format {info['formatVersion']}; this lasso_spark reads "
                f"up to {FORMAT_VERSION}"
            )
        p = int(info["numFeatures"])
        data = spark.read.parquet(os.path.join(path, "data")).collect()
        if len(data) != 1:
            raise ValueError(f"{path}/data has {len(data)} rows, expected 1")
        row = data[0]
        path_table = None
        if info["hasPath"]:
            rows = spark.read.parquet(os.path.join(path, "path")).collect()
            path_table = PathTable.from_rows([tuple(r) for r in rows], p)
        cv_table = None
        if info["hasCV"]:
            rows = spark.read.parquet(os.path.join(path, "cv")).collect()
            cv_table = CVTable.from_rows([tuple(r) for r in rows], info["cv"])
        summary = None if info.get("summary") is None else LassoSummary.fromDict(info["summary"])
        model = self.cls(
            np.asarray(row["coefficients"], dtype=np.float64),
            float(row["intercept"]),
            featureNames=list(row["featureNames"]),
            regParam=float(info["regParam"]),
            elasticNetParam=float(info["elasticNetParam"]),
            path=path_table,
            cv=cv_table,
            summary=summary,
            featureStd=None if row["featureStd"] is None else list(row["featureStd"]),
        )
        model._resetUid(metadata["uid"])
        DefaultParamsReader.getAndSetParams(model, metadata)
        return model
