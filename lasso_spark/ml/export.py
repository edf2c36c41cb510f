"""Export a ``LassoModel`` as Spark MLlib's own ``LinearRegressionModel`` (and ``PipelineModel``).

No JVM handle is touched: the model is written in MLlib's on-disk format with DataFrame writes
and read back with MLlib's public loaders, so the same code runs on classic Spark and on Spark
Connect, and the directory loads in a Scala/Java job, MLflow's Spark flavor or any stack that
loads ``org.apache.spark.ml.regression.LinearRegressionModel``.

MLlib's format (``LinearRegressionModel.write`` in Spark ≥ 2.3, unchanged through 4.x)::

    metadata/   text, one JSON line: class, timestamp, sparkVersion, uid, paramMap,
                defaultParamMap (DefaultParamsWriter's layout)
    data/       Parquet, one row: intercept DOUBLE, coefficients VECTOR (VectorUDT), scale DOUBLE
                (scale is the Huber loss's σ; 1.0 for squared error)

A ``PipelineModel`` directory is ``metadata/`` (``paramMap.stageUids``) plus
``stages/<index>_<uid>/`` per stage, the index zero-padded to the digits of the stage count.

Which artefact, and why (``pipeline=None``, the default of :func:`save_mllib`):

* a model on a vector ``featuresCol`` → a bare ``LinearRegressionModel`` reading that column;
* a model on numeric ``inputCols`` → a ``PipelineModel`` of ``VectorAssembler(inputCols in the
  model's order, handleInvalid="error")`` then the ``LinearRegressionModel``: MLlib's model only
  reads a vector column, and the pipeline scores the very DataFrame the ``LassoModel`` scores, so
  a JVM job cannot assemble the columns in the wrong order. (Null or NaN inputs make the
  assembler fail the job; ``LassoModel.transform`` gives a null / NaN prediction instead.)

Only ``coefficients`` and ``intercept`` determine MLlib's predictions. The params written are a
record of the fit with MLlib's meaning: the columns, ``regParam`` (the chosen one for
``LassoCV``), ``elasticNetParam``, ``fitIntercept`` and ``standardization``. ``maxIter``,
``tol`` and ``solver`` keep MLlib's defaults (ours mean coordinate-descent epochs and a
duality-gap target); penalty factors, the path and the CV table have no MLlib counterpart.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from lasso_spark.ml.persistence import LassoModelWriter, write_text_line

if TYPE_CHECKING:
    from pyspark.ml import PipelineModel
    from pyspark.ml.regression import LinearRegressionModel

    from lasso_spark.ml.model import LassoModel

logger = logging.getLogger(__name__)

__all__ = [
    "MLlibWriter",
    "mllib_params",
    "reads_input_cols",
    "save_mllib",
    "to_mllib",
    "to_mllib_pipeline",
    "vector_column",
]

LINEAR_REGRESSION_CLASS = "org.apache.spark.ml.regression.LinearRegressionModel"
VECTOR_ASSEMBLER_CLASS = "org.apache.spark.ml.feature.VectorAssembler"
PIPELINE_CLASS = "org.apache.spark.ml.PipelineModel"


def _uid_suffix(model: LassoModel) -> str:
    return model.uid.rsplit("_", 1)[-1]


def reads_input_cols(model: LassoModel) -> bool:
    """True for a model on numeric ``inputCols``, False for one on a vector ``featuresCol``."""
    return bool(model.isSet(model.inputCols) and model.getInputCols())


def vector_column(model: LassoModel, featuresCol: str | None = None) -> str:
    """The vector column MLlib's model reads: the model's ``featuresCol``, or for an
    ``inputCols`` model the assembled column (``featuresCol`` argument, default the model's
    ``featuresCol`` default, ``"features"``), which may not clash with an input column."""
    if not reads_input_cols(model):
        if featuresCol is not None and featuresCol != model.getFeaturesCol():
            raise ValueError(
                f"this model reads the vector column {model.getFeaturesCol()!r}; "
                f"featuresCol={featuresCol!r} only names the assembled column of an inputCols model"
            )
        return model.getFeaturesCol()
    name = model.getFeaturesCol() if featuresCol is None else featuresCol
    taken = set(model.getInputCols()) | {model.getLabelCol(), model.getPredictionCol()}
    if name in taken:
        raise ValueError(
            f"the assembled vector column {name!r} clashes with an input, label or prediction "
            "column; pass featuresCol='<another name>'"
        )
    return name


def mllib_params(model: LassoModel, featuresCol: str | None = None) -> dict[str, Any]:
    """``paramMap`` of the exported ``LinearRegressionModel`` (see the module docstring)."""
    params: dict[str, Any] = {
        "featuresCol": vector_column(model, featuresCol),
        "labelCol": model.getLabelCol(),
        "predictionCol": model.getPredictionCol(),
        "regParam": float(model.regParam),
        "elasticNetParam": float(model.elasticNetParam),
        "fitIntercept": bool(model.getFitIntercept()),
        "standardization": bool(model.getStandardization()),
    }
    if model.isDefined(model.weightCol) and model.getWeightCol():
        params["weightCol"] = model.getWeightCol()
    return params


def _metadata_json(cls: str, uid: str, spark_version: str, params: dict[str, Any]) -> str:
    # defaultParamMap stays empty: the loading class supplies its own defaults, and a default
    # unknown to an older Spark would fail its load.
    return json.dumps({
        "class": cls,
        "timestamp": int(time.time() * 1000),
        "sparkVersion": spark_version,
        "uid": uid,
        "paramMap": params,
        "defaultParamMap": {},
    }, separators=(",", ":"))


class MLlibWriter(LassoModelWriter):
    """Writes a :class:`LassoModel` in MLlib's format (what ``model.saveMLlib(path)`` runs).

    ``pipeline``: None = chosen by the model's input (module docstring), True = always a
    ``PipelineModel``, False = always a bare ``LinearRegressionModel``. ``overwrite()`` deletes
    the directory first on classic Spark and overwrites every part on Spark Connect (the
    ``save`` of :class:`LassoModelWriter`; only ``saveImpl`` differs).
    """

    def __init__(self, instance: LassoModel, *, pipeline: bool | None = None,
                 featuresCol: str | None = None) -> None:
        super().__init__(instance)
        self.pipeline = reads_input_cols(instance) if pipeline is None else bool(pipeline)
        self.features_col = featuresCol
        vector_column(instance, featuresCol)  # fail before writing anything

    @property
    def mllib_class(self) -> str:
        return PIPELINE_CLASS if self.pipeline else LINEAR_REGRESSION_CLASS

    def _mode(self) -> str:
        return "overwrite" if self.shouldOverwrite else "error"

    def _write_metadata(self, path: str, metadata: str) -> None:
        write_text_line(self, os.path.join(path, "metadata"), metadata)

    def _write_linear_regression(self, path: str, uid: str) -> None:
        from pyspark.ml.linalg import DenseVector, VectorUDT
        from pyspark.sql.types import DoubleType, StructField, StructType

        m = self.instance
        spark = self.sparkSession
        schema = StructType([
            StructField("intercept", DoubleType(), False),
            StructField("coefficients", VectorUDT(), True),
            StructField("scale", DoubleType(), False),
        ])
        row = (float(m.intercept), DenseVector(m.coefficients.toArray()), 1.0)
        spark.createDataFrame([row], schema=schema).coalesce(1).write.mode(self._mode()) \
            .parquet(os.path.join(path, "data"))
        self._write_metadata(path, _metadata_json(
            LINEAR_REGRESSION_CLASS, uid, spark.version, mllib_params(m, self.features_col)))

    def saveImpl(self, path: str) -> None:
        m = self.instance
        suffix = _uid_suffix(m)
        lr_uid = f"LinearRegression_{suffix}"
        if not self.pipeline:
            self._write_linear_regression(path, lr_uid)
            logger.info("saved %s as an MLlib LinearRegressionModel to %s", m.uid, path)
            return
        stages: list[str] = []
        if reads_input_cols(m):
            stages.append(f"VectorAssembler_{suffix}")
        stages.append(lr_uid)
        digits = len(str(len(stages)))
        stages_dir = os.path.join(path, "stages")
        spark_version = self.sparkSession.version
        for index, stage_uid in enumerate(stages):
            stage_path = os.path.join(stages_dir, f"{str(index).zfill(digits)}_{stage_uid}")
            if stage_uid == lr_uid:
                self._write_linear_regression(stage_path, lr_uid)
            else:
                self._write_metadata(stage_path, _metadata_json(
                    VECTOR_ASSEMBLER_CLASS, stage_uid, spark_version, {
                        "inputCols": list(m.getInputCols()),
                        "outputCol": vector_column(m, self.features_col),
                        "handleInvalid": "error",
                    }))
        self._write_metadata(path, _metadata_json(
            PIPELINE_CLASS, f"PipelineModel_{suffix}", spark_version, {"stageUids": stages}))
        logger.info("saved %s as an MLlib PipelineModel (%s) to %s", m.uid,
                    " -> ".join(s.rsplit("_", 1)[0] for s in stages), path)


def save_mllib(model: LassoModel, path: str, *, overwrite: bool = False,
               pipeline: bool | None = None, featuresCol: str | None = None) -> str:
    """Write ``model`` in MLlib's format at ``path``; returns the MLlib class written
    (``org.apache.spark.ml.regression.LinearRegressionModel`` or ``...ml.PipelineModel``)."""
    writer = MLlibWriter(model, pipeline=pipeline, featuresCol=featuresCol)
    if overwrite:
        writer.overwrite()
    writer.save(path)
    return writer.mllib_class


def _is_local_master(spark: Any) -> bool:
    """True when the driver and the executors share this machine's disk (``local[...]`` and
    ``local-cluster[...]``; on Spark Connect the server's master)."""
    try:
        master = spark.conf.get("spark.master", None)
    except Exception:  # noqa: BLE001 - a conf we may not read: assume a cluster
        return False
    return bool(master) and str(master).startswith("local")


def _load_via_files(model: LassoModel, loader: Any, tmpDir: str | None, pipeline: bool,
                    featuresCol: str | None) -> Any:
    """Write ``model`` in MLlib's format to a fresh directory, ``loader.load`` it, and delete
    the directory when it is on this machine (the loaded model no longer needs it)."""
    writer = MLlibWriter(model, pipeline=pipeline, featuresCol=featuresCol)
    local = _is_local_master(writer.sparkSession)
    name = f"lasso_spark-mllib-{uuid.uuid4().hex[:12]}"
    if tmpDir is None:
        if not local:
            raise ValueError(
                "toMLlib() writes MLlib's model files and loads them back: on a cluster pass "
                "tmpDir='<a directory the driver and every executor can read, e.g. "
                "hdfs:///tmp>', or use model.saveMLlib(path) and LinearRegressionModel.load(path)"
            )
        target = os.path.join(tempfile.mkdtemp(prefix="lasso_spark-"), name)
    else:
        target = tmpDir.rstrip("/") + "/" + name
    parsed = urlparse(target)
    cleanup = parsed.path if local and parsed.scheme in ("", "file") else None
    try:
        writer.save(target)
        return loader.load(target)
    finally:
        if cleanup is not None:
            shutil.rmtree(os.path.dirname(cleanup) if tmpDir is None else cleanup,
                          ignore_errors=True)
        else:
            logger.warning("MLlib export files left in %s: delete them when convenient", target)


def to_mllib(model: LassoModel, tmpDir: str | None = None,
             featuresCol: str | None = None) -> LinearRegressionModel:
    """A native ``pyspark.ml.regression.LinearRegressionModel`` with the model's coefficients
    and intercept (written in MLlib's format under ``tmpDir`` and loaded back with
    ``LinearRegressionModel.load``). For an ``inputCols`` model it reads a vector column
    (``featuresCol``, default ``"features"``) that you assemble from ``model.getInputCols()`` in
    that order, or use :func:`to_mllib_pipeline`."""
    from pyspark.ml.regression import LinearRegressionModel

    return _load_via_files(model, LinearRegressionModel, tmpDir, False, featuresCol)


def to_mllib_pipeline(model: LassoModel, tmpDir: str | None = None,
                      featuresCol: str | None = None) -> PipelineModel:
    """A ``pyspark.ml.PipelineModel`` scoring the same DataFrame as ``model``: for an
    ``inputCols`` model ``VectorAssembler`` → ``LinearRegressionModel``, else the
    ``LinearRegressionModel`` alone."""
    from pyspark.ml import PipelineModel

    return _load_via_files(model, PipelineModel, tmpDir, True, featuresCol)
