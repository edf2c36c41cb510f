"""``LogisticLassoModel``: a fitted binomial elastic-net model, its path and its CV table.

``transform`` adds MLlib ``LogisticRegressionModel``'s three columns as Spark SQL expressions (no
Python UDF): ``rawPrediction`` = dense vector ``[−m, m]`` with the margin ``m = b0 + xᵀβ``,
``probability`` = ``[1 − p, p]`` with ``p = 1 / (1 + e^−m)``, ``prediction`` = 1.0 when
``p > threshold`` else 0.0 — so ``BinaryClassificationEvaluator`` and
``MulticlassClassificationEvaluator`` work on it. Setting a column name to ``""`` skips that
column (as in MLlib). A null input gives null outputs.

Persistence: metadata JSON (pyspark.ml's format plus a ``lassoSpark`` block) and Parquet data,
written and verified by the same code as ``LassoModel`` (:mod:`lasso_spark.ml.persistence`):
the metadata records the SHA-256 of every data file and of the values, and loading checks them
(an edited, truncated, deleted or added file raises ``ModelLoadError``; format-1 models, saved
before the checksums, load with the structural checks); loading runs no stored code.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from pyspark.ml import Model
from pyspark.ml.linalg import DenseVector
from pyspark.ml.util import DefaultParamsReader, MLReadable, MLReader, MLWritable
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lasso_spark.core.errors import DataError
from lasso_spark.ml.fitted import FittedPathModel
from lasso_spark.ml.logistic_tables import LogisticCVTable, LogisticPathTable
from lasso_spark.ml.params import LogisticModelParams, ParamValidationError
from lasso_spark.ml.persistence import (
    LassoModelWriter,
    ModelLoadError,
    base_checksums,
    data_row,
    params_record,
    part_rows,
    read_verified_parts,
    rows_checksum,
    verify_value_checksums,
    write_metadata_last,
)
from lasso_spark.ml.predict import (
    ScoringColumns,
    invalid_count_columns,
    scoring_columns,
    staged_scoring,
)
from lasso_spark.ml.tables import LassoSummary

logger = logging.getLogger(__name__)

__all__ = ["LogisticLassoModel"]

#: 2: per-file SHA-256 and value checksums in the metadata (as LassoModel's); 1: without
FORMAT_VERSION = 2
_DATA_SCHEMA = (
    "featureNames ARRAY<STRING>, coefficients ARRAY<DOUBLE>, intercept DOUBLE, "
    "featureStd ARRAY<DOUBLE>"
)


class LogisticLassoModel(Model, FittedPathModel, LogisticModelParams,
                         MLReadable["LogisticLassoModel"], MLWritable):
    """A fitted logistic elastic-net model (see the module docstring)."""

    def __init__(
        self,
        coefficients: Sequence[float] | np.ndarray | None = None,
        intercept: float = 0.0,
        *,
        featureNames: Sequence[str] | None = None,
        regParam: float = 0.0,
        elasticNetParam: float = 1.0,
        path: LogisticPathTable | None = None,
        cv: LogisticCVTable | None = None,
        summary: LassoSummary | None = None,
        featureStd: Sequence[float] | np.ndarray | None = None,
    ) -> None:
        super().__init__()
        coef = np.asarray([] if coefficients is None else coefficients, dtype=np.float64)
        if coef.ndim != 1:
            raise ValueError(f"coefficients must be 1-d, got shape {coef.shape}")
        p = coef.shape[0]
        names = [f"x{j}" for j in range(p)] if featureNames is None else list(featureNames)
        if len(names) != p or len(set(names)) != p:
            raise ValueError(f"need {p} unique featureNames, got {len(names)}")
        if path is not None and path.n_features != p:
            raise ValueError(f"path has {path.n_features} features, coefficients {p}")
        self._coef = coef
        self._intercept = float(intercept)
        self._feature_names = names
        self._reg_param = float(regParam)
        self._elastic_net_param = float(elasticNetParam)
        self._path = path
        self._cv = cv
        self._summary = summary
        self._feature_std = None if featureStd is None else np.asarray(featureStd, dtype=float)

    @classmethod
    def fromPath(cls, path: LogisticPathTable, index: int, *, featureNames: Sequence[str],
                 cv: LogisticCVTable | None = None, summary: LassoSummary | None = None,
                 featureStd: Sequence[float] | np.ndarray | None = None) -> LogisticLassoModel:
        """The model at row ``index`` of ``path``."""
        if not 0 <= index < path.n_rows:
            raise IndexError(f"path row {index} outside 0..{path.n_rows - 1}")
        return cls(path.coef[index].copy(), float(path.intercepts[index]),
                   featureNames=featureNames, regParam=float(path.reg_params[index]),
                   elasticNetParam=path.elastic_net_param, path=path, cv=cv, summary=summary,
                   featureStd=featureStd)

    # ------------------------- attributes (the others: lasso_spark.ml.fitted.FittedPathModel)
    @property
    def numClasses(self) -> int:
        return 2

    @property
    def featureStd(self) -> np.ndarray | None:
        """The scale of each feature in the penalty: MLlib's weighted sample standard deviation
        of the training rows (1 with ``standardization = false``; 0 for constant features)."""
        return None if self._feature_std is None else self._feature_std.copy()

    def _path_rows(self, elasticNetParam: float | None = None) -> np.ndarray:
        """Rows of the path in increasing regParam (what the path plot draws)."""
        if self._path is None:
            raise ValueError("this model has no path")
        return np.argsort(self._path.reg_params, kind="stable")

    # ------------------------------------------------------------------ scoring
    def _feature_kwargs(self, dataset: DataFrame | None) -> dict[str, Any]:
        """The feature columns as :mod:`lasso_spark.ml.predict` takes them, checked against
        ``dataset``'s schema when given (before any job)."""
        if self._usesInputCols():
            cols = self.getInputCols()
            if len(cols) != self.numFeatures:
                raise ParamValidationError(
                    f"inputCols has {len(cols)} columns; the model has {self.numFeatures} features"
                )
            missing = [] if dataset is None else [c for c in cols if c not in dataset.columns]
            if missing:
                raise DataError(f"{len(missing)} input column(s) missing from the DataFrame: "
                                f"{missing[:10]}")
            return {"input_cols": cols}
        col = self.getFeaturesCol()
        if dataset is None:
            return {"features_col": col}
        if col not in dataset.columns:
            raise DataError(f"featuresCol {col!r} is not a column of the DataFrame")
        return {"features_col": col, "features_type": dataset.schema[col].dataType}

    def marginExpr(self, dataset: DataFrame | None = None):  # noqa: ANN201
        """The margin ``b0 + xᵀβ`` (log-odds of label 1) as a Spark Column expression (null for
        a row with a null, NaN or infinite feature)."""
        checks = scoring_columns(self._coef, self._intercept, **self._feature_kwargs(dataset))
        return F.when(checks.valid, checks.value)

    def scoringFrame(self, dataset: DataFrame) -> tuple[DataFrame, ScoringColumns, list[str]]:
        """``dataset`` with helper columns holding the features array and the margin (each
        computed once per row), the checks over them and the helper names to drop after use
        (what the score job builds on; the margin is ``checks.value``)."""
        tag = f"logit_{self.uid}".replace("-", "_")
        return staged_scoring(dataset, self._coef, self._intercept, tag=tag,
                              **self._feature_kwargs(dataset))

    def invalidCountColumns(self, dataset: DataFrame,
                            checks: ScoringColumns | None = None) -> dict[str, Column]:
        """Aggregate Columns counting the rows that cannot be scored, per column and problem."""
        kw = self._feature_kwargs(dataset)
        checks = checks or scoring_columns(self._coef, self._intercept, **kw)
        return invalid_count_columns(checks, num_features=self.numFeatures, **kw)

    def _transform(self, dataset: DataFrame) -> DataFrame:
        from pyspark.ml.functions import array_to_vector

        margin = "__lasso_spark_margin"
        while margin in dataset.columns:
            margin += "_"
        out = dataset.withColumn(margin, self.marginExpr(dataset))
        m = F.col(margin)
        prob1 = F.lit(1.0) / (F.lit(1.0) + F.exp(-m))
        if self.getRawPredictionCol():
            out = out.withColumn(self.getRawPredictionCol(), F.when(
                m.isNotNull(), array_to_vector(F.array(-m, m))))
        if self.getProbabilityCol():
            out = out.withColumn(self.getProbabilityCol(), F.when(
                m.isNotNull(), array_to_vector(F.array(F.lit(1.0) - prob1, prob1))))
        if self.getPredictionCol():
            out = out.withColumn(self.getPredictionCol(), F.when(
                m.isNotNull(), F.when(prob1 > F.lit(self.getThreshold()), 1.0).otherwise(0.0)))
        return out.drop(margin)

    def predictRaw(self, features: Sequence[float] | np.ndarray) -> DenseVector:
        m = self._margin(features)
        return DenseVector([-m, m])

    def predictProbability(self, features: Sequence[float] | np.ndarray) -> DenseVector:
        p = 1.0 / (1.0 + math.exp(-self._margin(features)))
        return DenseVector([1.0 - p, p])

    def predict(self, features: Sequence[float] | np.ndarray) -> float:
        """Predicted label (0.0 or 1.0) for one feature vector, like MLlib's ``predict``."""
        return 1.0 if self.predictProbability(features)[1] > self.getThreshold() else 0.0

    def _margin(self, features: Sequence[float] | np.ndarray) -> float:
        x = np.asarray(features, dtype=np.float64)
        if x.shape != (self.numFeatures,):
            raise ValueError(f"expected {self.numFeatures} features, got shape {x.shape}")
        return float(self._intercept + x @ self._coef)

    # ------------------------------------------------------------------ plots
    def plotPath(self, ax: Any = None, maxLabels: int = 10) -> Any:
        """Coefficients against log regParam; matplotlib Figure."""
        from lasso_spark.plotting import plot_path

        return plot_path(self, ax=ax, max_labels=maxLabels)

    def plotCV(self, ax: Any = None) -> Any:
        """Mean CV metric with standard-error bars, min and 1se marked; matplotlib Figure."""
        from lasso_spark.plotting import plot_cv

        return plot_cv(self, ax=ax)

    def __repr__(self) -> str:
        lines = [f"LogisticLassoModel(uid={self.uid})",
                 f"  regParam: {self._reg_param:.6g}, elasticNetParam: "
                 f"{self._elastic_net_param:.6g}",
                 f"  non-zeros: {self.numNonzeros} / {self.numFeatures}, intercept: "
                 f"{self._intercept:.6g}"]
        if self._cv is not None:
            i, name = self._cv.index_chosen, self._cv.metric
            lines.append(f"  CV {name} ({self._cv.selection_rule}): {self._cv.mean[name][i]:.6g}"
                         f" ± {self._cv.se[name][i]:.3g}")
        return "\n".join(lines)

    # ------------------------------------------------------------------ persistence
    @classmethod
    def is_saved_at(cls, path: str, spark: Any = None) -> bool:
        """Whether ``path`` holds a saved ``LogisticLassoModel`` (its metadata's class)."""
        return (saved_model_class(path, spark) or "").endswith(".LogisticLassoModel")

    def write(self):  # noqa: ANN201
        return LogisticLassoModelWriter(self)

    @classmethod
    def read(cls):  # noqa: ANN206
        return LogisticLassoModelReader(cls)


class LogisticLassoModelWriter(LassoModelWriter):
    """Writes a :class:`LogisticLassoModel`: ``data/``, ``path/``, ``cv/`` Parquet, then
    ``metadata/`` with the SHA-256 of every data file and of the values (the checks of
    :mod:`lasso_spark.ml.persistence`, which ``LassoModel`` uses too)."""

    def saveImpl(self, path: str) -> None:
        m = self.instance
        std = m.featureStd
        self._write([(m.featureNames, m._coef.tolist(), m.intercept,
                      None if std is None else std.tolist())], _DATA_SCHEMA,
                    os.path.join(path, "data"))
        self._write([] if m.pathTable is None else m.pathTable.to_rows(),
                    LogisticPathTable.ROW_SCHEMA, os.path.join(path, "path"))
        self._write([] if m.cvTable is None else m.cvTable.to_rows(),
                    LogisticCVTable.ROW_SCHEMA, os.path.join(path, "cv"))
        record = params_record(m, str(self.sparkSession.version), {
            "formatVersion": FORMAT_VERSION, "model": "logistic",
            "numFeatures": m.numFeatures, "regParam": m.regParam,
            "elasticNetParam": m.elasticNetParam, "hasPath": m.pathTable is not None,
            "hasCV": m.cvTable is not None,
            "cv": None if m.cvTable is None else m.cvTable.meta(),
            "summary": m.summary.asDict() if m.hasSummary else None,
        })
        record["lassoSpark"]["checksums"] = _value_checksums(m, record)
        write_metadata_last(self, path, record)


def _value_checksums(model: LogisticLassoModel, metadata: dict[str, Any]) -> dict[str, str]:
    """SHA-256 of the model's values, part by part (data and metadata as ``LassoModel``'s;
    the tables as the rows they are written as)."""
    out = base_checksums(model, metadata)
    if model.pathTable is not None:
        out["path"] = rows_checksum(model.pathTable.to_rows())
    if model.cvTable is not None:
        out["cv"] = rows_checksum(model.cvTable.to_rows(), model.cvTable.meta())
    return out


def _columns(schema: str) -> tuple[str, ...]:
    """Column names of a ``"name TYPE, …"`` schema."""
    return tuple(part.split()[0] for part in schema.split(", "))


def saved_model_class(path: str, spark: Any = None) -> str | None:
    """The class a saved model's ``metadata/`` names (None when it cannot be read)."""
    from pyspark.sql import SparkSession

    spark = spark or SparkSession.getActiveSession()
    if spark is None:
        return None
    try:
        return str(DefaultParamsReader.loadMetadata(path, spark).get("class", ""))
    except Exception:  # noqa: BLE001 - the caller's loader reports what is wrong
        logger.debug("no readable metadata at %s", path, exc_info=True)
        return None


class LogisticLassoModelReader(MLReader["LogisticLassoModel"]):
    """Reads what :class:`LogisticLassoModelWriter` wrote; runs no stored code."""

    def __init__(self, cls: type) -> None:
        super().__init__()
        self.cls = cls

    def load(self, path: str) -> LogisticLassoModel:
        meta, info, parts = read_verified_parts(
            self.sparkSession, path, (f"{self.cls.__module__}.{self.cls.__name__}",))
        if info.get("model") != "logistic":
            raise ModelLoadError(path, f"metadata/ lassoSpark.model is {info.get('model')!r}, "
                                       "not 'logistic'")
        if info["formatVersion"] > FORMAT_VERSION:
            raise ModelLoadError(path, f"saved in format {info['formatVersion']}; this "
                                       f"lasso_spark reads logistic models up to format "
                                       f"{FORMAT_VERSION}: upgrade lasso_spark", damaged=False)
        p = int(info["numFeatures"])
        names, coef, intercept, std = data_row(
            path, part_rows(path, "data", parts["data"] or {}, _columns(_DATA_SCHEMA)), p)
        try:
            def table_rows(sub: str, flag: str, schema: str) -> list[tuple] | None:
                """The rows of part ``sub`` when the metadata's ``flag`` says it has any."""
                if not info[flag]:
                    return None
                rows = part_rows(path, sub, parts[sub] or {}, _columns(schema))
                if not rows:
                    raise ModelLoadError(path, f"{sub}/ is empty but metadata/ says {flag}")
                return rows

            rows = table_rows("path", "hasPath", LogisticPathTable.ROW_SCHEMA)
            table = (None if rows is None
                     else LogisticPathTable.from_rows(rows, p, float(info["elasticNetParam"])))
            rows = table_rows("cv", "hasCV", LogisticCVTable.ROW_SCHEMA)
            cv = None if rows is None else LogisticCVTable.from_rows(rows, info["cv"])
            summary = (None if info.get("summary") is None
                       else LassoSummary.fromDict(info["summary"]))
            model = self.cls(coef, intercept, featureNames=names,
                             regParam=float(info["regParam"]),
                             elasticNetParam=float(info["elasticNetParam"]), path=table, cv=cv,
                             summary=summary, featureStd=std)
            model._resetUid(meta["uid"])
            DefaultParamsReader.getAndSetParams(model, meta)
        except ModelLoadError:
            raise
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
            raise ModelLoadError(path, f"the saved values are inconsistent: {exc}") from None
        verify_value_checksums(path, info, lambda: _value_checksums(model, meta))
        return model
