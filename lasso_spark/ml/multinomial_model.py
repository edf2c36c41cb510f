"""``MultinomialLassoModel``: a fitted multinomial elastic-net model (``LogisticLasso`` /
``LogisticLassoCV`` with ``family="multinomial"``).

``coefficientMatrix`` (K × p, original feature scale) and ``interceptVector`` (K) as MLlib's
``LogisticRegressionModel`` reports them (intercepts centered; at regParam 0 each feature's
coefficients centered across classes: :mod:`lasso_spark.core.multinomial_path`).
``transform`` adds MLlib's three columns as Spark SQL expressions (no Python UDF):
``rawPrediction`` = dense vector of the K margins ``b_k + xᵀβ_k``, ``probability`` = their
softmax, ``prediction`` = the first class of largest margin (as a double) — so
``MulticlassClassificationEvaluator`` works on it. A column name ``""`` skips that column; a row
with a null, NaN or infinite feature gets nulls.

``path`` (pandas, :class:`~lasso_spark.ml.logistic_tables.MultinomialPathTable`'s columns),
``cvResults`` (pandas, the CV table of ``LogisticLassoCV``), ``summary``, ``plotPath()`` (one
line per feature: the norm ``‖σ_j β_j·‖₂`` of its K coefficients on the standardized scale, the
quantity glmnet's grouped penalty acts on; a feature is "non-zero" when any class uses it) and
``plotCV()`` as ``LogisticLassoModel`` has them.

Persistence: pyspark.ml's metadata JSON (with a ``lassoSpark`` block: the format, K, p, the
summary, the CV table's choice) and Parquet: ``data/`` one row (feature names, coefficient
matrix, intercepts, feature scale, the path's regParams), ``path/`` one row per path regParam,
``cv/`` one row per (regParam, metric); loading runs no stored code. Format-1 models (saved
before ``path/`` and ``cv/``) load with no path and no CV table.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from pyspark.ml import Model
from pyspark.ml.linalg import DenseMatrix, DenseVector
from pyspark.ml.util import (
    DefaultParamsReader,
    DefaultParamsWriter,
    MLReadable,
    MLReader,
    MLWritable,
    MLWriter,
)
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lasso_spark.core.errors import DataError
from lasso_spark.ml.fitted import PathModelAttributes
from lasso_spark.ml.logistic_tables import LogisticCVTable, MultinomialPathTable
from lasso_spark.ml.params import LogisticModelParams, ParamValidationError
from lasso_spark.ml.predict import scoring_columns
from lasso_spark.ml.tables import LassoSummary
from lasso_spark.paramspec import MULTINOMIAL_GROUPING_OPTIONS

logger = logging.getLogger(__name__)

__all__ = ["MultinomialLassoModel"]

#: 2: ``path/`` and ``cv/`` parts; 1: without them
FORMAT_VERSION = 2
_DATA_SCHEMA = ("featureNames ARRAY<STRING>, coefficientMatrix ARRAY<ARRAY<DOUBLE>>, "
                "interceptVector ARRAY<DOUBLE>, featureStd ARRAY<DOUBLE>, "
                "pathRegParams ARRAY<DOUBLE>")


class MultinomialLassoModel(Model, PathModelAttributes, LogisticModelParams,
                            MLReadable["MultinomialLassoModel"], MLWritable):
    """A fitted multinomial elastic-net model (module docstring)."""

    def __init__(self, coefficientMatrix: Any = None, interceptVector: Any = None, *,
                 featureNames: Sequence[str] | None = None, regParam: float = 0.0,
                 elasticNetParam: float = 1.0, path: MultinomialPathTable | None = None,
                 cv: LogisticCVTable | None = None, summary: LassoSummary | None = None,
                 featureStd: Any = None, pathRegParams: Any = None,
                 multinomialGrouping: str = "ungrouped") -> None:
        super().__init__()
        if multinomialGrouping not in MULTINOMIAL_GROUPING_OPTIONS:
            raise ValueError(f"multinomialGrouping must be one of "
                             f"{MULTINOMIAL_GROUPING_OPTIONS}, got {multinomialGrouping!r}")
        self._grouping = str(multinomialGrouping)
        B = np.asarray(np.zeros((2, 0)) if coefficientMatrix is None else coefficientMatrix,
                       dtype=np.float64)
        if B.ndim != 2 or B.shape[0] < 2:
            raise ValueError(f"coefficientMatrix must be K x p with K >= 2, got {B.shape}")
        K, p = B.shape
        b = np.zeros(K) if interceptVector is None else np.asarray(interceptVector, dtype=float)
        if b.shape != (K,):
            raise ValueError(f"interceptVector must have {K} values, got {b.shape}")
        names = [f"x{j}" for j in range(p)] if featureNames is None else list(featureNames)
        if len(names) != p or len(set(names)) != p:
            raise ValueError(f"need {p} unique featureNames, got {len(names)}")
        if path is not None and (path.n_classes, path.n_features) != (K, p):
            raise ValueError(f"path has {path.n_classes} x {path.n_features} coefficients, "
                             f"the model {K} x {p}")
        self._B, self._b, self._feature_names = B, b, names
        self._reg_param, self._elastic_net_param = float(regParam), float(elasticNetParam)
        self._path, self._cv, self._summary = path, cv, summary
        self._feature_std = None if featureStd is None else np.asarray(featureStd, dtype=float)
        if pathRegParams is None and path is not None:
            pathRegParams = path.reg_params
        self._path_reg_params = (None if pathRegParams is None
                                 else np.asarray(pathRegParams, dtype=float))

    @classmethod
    def fromOutcome(cls, out: Any, row: int, *, warm_path: bool) -> MultinomialLassoModel:
        """The model at path row ``row`` of a multinomial backend outcome."""
        path = out.path
        keep = (np.flatnonzero(path.reg_params >= path.reg_params[row]) if warm_path
                else np.arange(path.n_reg_params))
        table = MultinomialPathTable.from_path(path, float(out.elastic_net_param), keep)
        return cls(path.coef[row], path.intercept[row], featureNames=out.feature_names,
                   regParam=float(path.reg_params[row]),
                   elasticNetParam=float(out.elastic_net_param), path=table, cv=out.cv,
                   summary=out.summary, featureStd=out.feature_std,
                   multinomialGrouping=out.multinomial_grouping)

    # ------------------------------------------------------------------ attributes
    @property
    def numClasses(self) -> int:
        return int(self._B.shape[0])

    @property
    def numFeatures(self) -> int:
        return int(self._B.shape[1])

    @property
    def multinomialGrouping(self) -> str:
        """The penalty it was fitted with: 'ungrouped' or 'grouped' (glmnet's
        type.multinomial)."""
        return self._grouping

    @property
    def coefficientMatrix(self) -> DenseMatrix:
        """K × p coefficients on the original feature scale (MLlib's ``coefficientMatrix``)."""
        K, p = self._B.shape
        return DenseMatrix(K, p, self._B.ravel(order="F").tolist())

    @property
    def interceptVector(self) -> DenseVector:
        return DenseVector(self._b.tolist())

    @property
    def numNonzeros(self) -> int:
        """Features used by at least one class."""
        return int(np.count_nonzero(np.any(self._B != 0.0, axis=0)))

    @property
    def featureStd(self) -> np.ndarray | None:
        """The scale of each feature in the penalty (as ``LogisticLassoModel.featureStd``)."""
        return None if self._feature_std is None else self._feature_std.copy()

    @property
    def pathTable(self) -> MultinomialPathTable | None:
        """The path as a :class:`~lasso_spark.ml.logistic_tables.MultinomialPathTable`."""
        return self._path

    @property
    def pathRegParams(self) -> np.ndarray | None:
        return None if self._path_reg_params is None else self._path_reg_params.copy()

    def _path_rows(self, elasticNetParam: float | None = None) -> np.ndarray:
        """Rows of the path in increasing regParam (what the path plot draws)."""
        if self._path is None:
            raise ValueError("this model has no path")
        return np.argsort(self._path.reg_params, kind="stable")

    # ------------------------------------------------------------------ plots
    def plotPath(self, ax: Any = None, maxLabels: int = 10) -> Any:
        """One line per feature: ``‖σ_j β_j·‖₂`` over the K classes (standardized scale)
        against log regParam; matplotlib Figure."""
        from lasso_spark.plotting import plot_path

        return plot_path(self, ax=ax, max_labels=maxLabels)

    def plotCV(self, ax: Any = None) -> Any:
        """Mean CV metric with standard-error bars, min and 1se marked; matplotlib Figure."""
        from lasso_spark.plotting import plot_cv

        return plot_cv(self, ax=ax)

    # ------------------------------------------------------------------ scoring
    def _feature_kwargs(self, dataset: DataFrame) -> dict[str, Any]:
        if self.isDefined("inputCols") and self.getOrDefault("inputCols"):
            cols = self.getOrDefault("inputCols")
            if len(cols) != self.numFeatures:
                raise ParamValidationError(f"inputCols has {len(cols)} columns; the model has "
                                           f"{self.numFeatures} features")
            missing = [c for c in cols if c not in dataset.columns]
            if missing:
                raise DataError(f"{len(missing)} input column(s) missing from the DataFrame: "
                                f"{missing[:10]}")
            return {"input_cols": cols}
        col = self.getFeaturesCol()
        if col not in dataset.columns:
            raise DataError(f"featuresCol {col!r} is not a column of the DataFrame")
        return {"features_col": col, "features_type": dataset.schema[col].dataType}

    def _transform(self, dataset: DataFrame) -> DataFrame:
        from pyspark.ml.functions import array_to_vector

        kw = self._feature_kwargs(dataset)
        checks = [scoring_columns(self._B[k], float(self._b[k]), **kw)
                  for k in range(self.numClasses)]
        raw = "__lasso_spark_margins"
        while raw in dataset.columns:
            raw += "_"
        out = dataset.withColumn(raw, F.when(checks[0].valid,
                                             F.array(*[c.value for c in checks])))
        m = F.col(raw)
        top = F.array_max(m)
        e = F.transform(m, lambda v: F.exp(v - top))
        total = F.aggregate(e, F.lit(0.0), lambda acc, v: acc + v)
        if self.getRawPredictionCol():
            out = out.withColumn(self.getRawPredictionCol(),
                                 F.when(m.isNotNull(), array_to_vector(m)))
        if self.getProbabilityCol():
            out = out.withColumn(self.getProbabilityCol(), F.when(
                m.isNotNull(), array_to_vector(F.transform(e, lambda v: v / total))))
        if self.getPredictionCol():
            out = out.withColumn(self.getPredictionCol(), F.when(
                m.isNotNull(), (F.array_position(m, top) - 1).cast("double")))
        return out.drop(raw)

    def predictRaw(self, features: Sequence[float] | np.ndarray) -> DenseVector:
        x = np.asarray(features, dtype=np.float64)
        if x.shape != (self.numFeatures,):
            raise ValueError(f"expected {self.numFeatures} features, got shape {x.shape}")
        return DenseVector((self._b + self._B @ x).tolist())

    def predictProbability(self, features: Sequence[float] | np.ndarray) -> DenseVector:
        m = self.predictRaw(features).toArray()
        e = np.exp(m - m.max())
        return DenseVector((e / e.sum()).tolist())

    def predict(self, features: Sequence[float] | np.ndarray) -> float:
        return float(np.argmax(self.predictRaw(features).toArray()))

    def __repr__(self) -> str:
        nz = int(np.count_nonzero(np.any(self._B != 0.0, axis=0)))
        return (f"MultinomialLassoModel(uid={self.uid}, numClasses={self.numClasses}, "
                f"regParam={self._reg_param:.6g}, features used: {nz} / {self.numFeatures})")

    # ------------------------------------------------------------------ persistence
    def write(self) -> MLWriter:
        return _Writer(self)

    @classmethod
    def read(cls) -> MLReader:
        return _Reader(cls)


class _Writer(MLWriter):
    def __init__(self, instance: MultinomialLassoModel) -> None:
        super().__init__()
        self.instance = instance

    def saveImpl(self, path: str) -> None:
        m = self.instance
        extra = {"lassoSpark": {
            "formatVersion": FORMAT_VERSION, "model": "multinomial",
            "numClasses": m.numClasses, "numFeatures": m.numFeatures, "regParam": m.regParam,
            "elasticNetParam": m._elastic_net_param, "multinomialGrouping": m._grouping,
            "summary": None if m._summary is None else json.loads(json.dumps(
                m._summary.asDict())),
            "hasPath": m.pathTable is not None, "hasCV": m.cvTable is not None,
            "cv": None if m.cvTable is None else m.cvTable.meta(),
        }}
        std = m.featureStd
        row = (m.featureNames, m._B.tolist(), m._b.tolist(),
               None if std is None else std.tolist(),
               None if m._path_reg_params is None else m._path_reg_params.tolist())
        spark = self.sparkSession
        for sub, rows, schema in (
                ("data", [row], _DATA_SCHEMA),
                ("path", [] if m.pathTable is None else m.pathTable.to_rows(),
                 MultinomialPathTable.ROW_SCHEMA),
                ("cv", [] if m.cvTable is None else m.cvTable.to_rows(),
                 LogisticCVTable.ROW_SCHEMA)):
            spark.createDataFrame(rows, schema).coalesce(1).write.parquet(
                os.path.join(path, sub))
        DefaultParamsWriter.saveMetadata(m, path, self.sparkSession, extraMetadata=extra)


class _Reader(MLReader):
    def __init__(self, cls: type) -> None:
        super().__init__()
        self.cls = cls

    def load(self, path: str) -> MultinomialLassoModel:
        meta = DefaultParamsReader.loadMetadata(path, self.sparkSession)
        info = meta.get("lassoSpark") or {}
        if info.get("model") != "multinomial" or info.get("formatVersion", 0) > FORMAT_VERSION:
            raise ValueError(f"{path} is not a multinomial lasso_spark model this version "
                             f"reads (lassoSpark block: {info})")
        rows = self.sparkSession.read.parquet(os.path.join(path, "data")).collect()
        if len(rows) != 1:
            raise ValueError(f"{path}/data holds {len(rows)} rows, expected 1")
        r = rows[0]
        B = np.asarray(r["coefficientMatrix"], dtype=float)
        if B.shape != (info["numClasses"], info["numFeatures"]):
            raise ValueError(f"{path}/data: coefficient matrix {B.shape}, metadata says "
                             f"{(info['numClasses'], info['numFeatures'])}")
        summary = None if info.get("summary") is None else LassoSummary.fromDict(info["summary"])
        enp = float(info["elasticNetParam"])
        table = cv = None
        if info.get("hasPath"):
            rows = self.sparkSession.read.parquet(os.path.join(path, "path")).collect()
            table = MultinomialPathTable.from_rows([tuple(x) for x in rows], B.shape[0],
                                                   B.shape[1], enp)
        if info.get("hasCV"):
            rows = self.sparkSession.read.parquet(os.path.join(path, "cv")).collect()
            cv = LogisticCVTable.from_rows([tuple(x) for x in rows], info["cv"])
        model = self.cls(B, r["interceptVector"], featureNames=r["featureNames"],
                         regParam=float(info["regParam"]), elasticNetParam=enp, path=table,
                         cv=cv, summary=summary, featureStd=r["featureStd"],
                         pathRegParams=r["pathRegParams"],
                         multinomialGrouping=info.get("multinomialGrouping", "ungrouped"))
        model._resetUid(meta["uid"])
        DefaultParamsReader.getAndSetParams(model, meta)
        return model
