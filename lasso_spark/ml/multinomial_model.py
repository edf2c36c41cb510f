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
summary, the CV table's choice, the SHA-256 of every data file and of the values) and Parquet:
``data/`` one row (feature names, coefficient matrix, intercepts, feature scale, the path's
regParams), ``path/`` one row per path regParam, ``cv/`` one row per (regParam, metric),
written as every lasso_spark model's (:mod:`lasso_spark.ml.persistence`: from the driver on a
classic session, metadata last) and checked on load (a damaged model raises
``ModelLoadError``); loading runs no stored code. Format-2 models (no checksums) load with
pyspark's reader; format-1 models (saved before ``path/`` and ``cv/``) with no path and no
CV table.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from pyspark.ml import Model
from pyspark.ml.linalg import DenseMatrix, DenseVector
from pyspark.ml.util import (
    DefaultParamsReader,
    MLReadable,
    MLReader,
    MLWritable,
    MLWriter,
)
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lasso_spark.core.errors import DataError
from lasso_spark.ml.fitted import PathModelAttributes
from lasso_spark.ml.logistic_model import saved_model_class
from lasso_spark.ml.logistic_tables import LogisticCVTable, MultinomialPathTable
from lasso_spark.ml.params import LogisticModelParams, ParamValidationError
from lasso_spark.ml.persistence import (
    LassoModelWriter,
    ModelLoadError,
    base_checksums,
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
from lasso_spark.paramspec import MULTINOMIAL_GROUPING_OPTIONS

logger = logging.getLogger(__name__)

__all__ = ["MultinomialLassoModel"]

#: 3: every file and value with its SHA-256 (the checks of :mod:`lasso_spark.ml.persistence`);
#: 2: ``path/`` and ``cv/`` parts; 1: without them
FORMAT_VERSION = 3
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

    def scoringFrame(self, dataset: DataFrame) -> tuple[DataFrame, ScoringColumns, list[str]]:
        """``dataset`` with helper columns holding the features array (vector input, read once)
        and the K margins as one ``array<double>`` (``checks.value``), the checks over them
        (a row is valid when every class's margin is finite) and the helper names to drop
        after use (what the score job builds on, as ``LogisticLassoModel.scoringFrame``)."""
        kw = self._feature_kwargs(dataset)
        tag = f"softmax_{self.uid}".replace("-", "_")
        frame, first, helpers = staged_scoring(dataset, self._B[0], float(self._b[0]),
                                               tag=f"{tag}_0", **kw)
        if first.array is not None:  # the other classes read the staged features array
            arr_name = helpers[0]
            kw = {"features_col": arr_name, "features_type": T.ArrayType(T.DoubleType())}
        values, valid = [first.value], first.valid
        for k in range(1, self.numClasses):
            c = scoring_columns(self._B[k], float(self._b[k]), **kw)
            values.append(c.value)
            valid = valid & c.valid
        margins = f"__{tag}_margins"
        frame = frame.withColumn(margins, F.array(*values))
        checks = ScoringColumns(F.col(margins), valid, first.reason, first.array)
        return frame, checks, [*helpers, margins]

    def invalidCountColumns(self, dataset: DataFrame,
                            checks: ScoringColumns | None = None) -> dict[str, Column]:
        """Aggregate Columns counting the rows that cannot be scored, per column and problem
        (``checks`` from :meth:`scoringFrame`)."""
        kw = self._feature_kwargs(dataset)
        if checks is None:
            checks = self.scoringFrame(dataset)[1]
        return invalid_count_columns(checks, num_features=self.numFeatures, **kw)

    @staticmethod
    def softmaxColumns(margins: Column) -> tuple[Column, Column]:
        """``(probabilities, prediction)`` of an ``array<double>`` Column of K margins: their
        softmax as an ``array<double>`` and the first class of largest margin as a double
        (null where ``margins`` is null)."""
        top = F.array_max(margins)
        e = F.transform(margins, lambda v: F.exp(v - top))
        total = F.aggregate(e, F.lit(0.0), lambda acc, v: acc + v)
        prob = F.when(margins.isNotNull(), F.transform(e, lambda v: v / total))
        pred = F.when(margins.isNotNull(), (F.array_position(margins, top) - 1).cast("double"))
        return prob, pred

    def _transform(self, dataset: DataFrame) -> DataFrame:
        from pyspark.ml.functions import array_to_vector

        frame, checks, helpers = self.scoringFrame(dataset)
        raw = "__lasso_spark_margins"
        while raw in frame.columns:
            raw += "_"
        out = frame.withColumn(raw, F.when(checks.valid, checks.value))
        m = F.col(raw)
        prob, pred = self.softmaxColumns(m)
        if self.getRawPredictionCol():
            out = out.withColumn(self.getRawPredictionCol(),
                                 F.when(m.isNotNull(), array_to_vector(m)))
        if self.getProbabilityCol():
            out = out.withColumn(self.getProbabilityCol(), array_to_vector(prob))
        if self.getPredictionCol():
            out = out.withColumn(self.getPredictionCol(), pred)
        return out.drop(raw, *helpers)

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
    @classmethod
    def is_saved_at(cls, path: str, spark: Any = None) -> bool:
        """Whether ``path`` holds a saved ``MultinomialLassoModel`` (its metadata's class)."""
        return (saved_model_class(path, spark) or "").endswith(".MultinomialLassoModel")

    def write(self) -> MLWriter:
        return _Writer(self)

    @classmethod
    def read(cls) -> MLReader:
        return _Reader(cls)


class _ChecksumView:
    """The model's data as :func:`lasso_spark.ml.persistence.base_checksums` reads a model:
    the K × p matrix row-major as the coefficients; the K intercepts followed by the path's
    regParams (NaN when there are none) as the intercept."""

    def __init__(self, m: MultinomialLassoModel) -> None:
        self.featureNames = m.featureNames
        self.coefficients = DenseVector(m._B.ravel().tolist())
        self.intercept = np.concatenate([m._b, [np.nan] if m._path_reg_params is None
                                         else m._path_reg_params])
        self.featureStd = m.featureStd


def _value_checksums(m: MultinomialLassoModel, metadata: dict[str, Any]) -> dict[str, str]:
    """SHA-256 of the model's values, part by part (data and metadata as every lasso_spark
    model's; the tables as the rows they are written as)."""
    out = base_checksums(_ChecksumView(m), metadata)
    if m.pathTable is not None:
        out["path"] = rows_checksum(m.pathTable.to_rows())
    if m.cvTable is not None:
        out["cv"] = rows_checksum(m.cvTable.to_rows(), m.cvTable.meta())
    return out


class _Writer(LassoModelWriter):
    """``data/``, ``path/``, ``cv/`` Parquet, then ``metadata/`` with the SHA-256 of every data
    file and of the values (:mod:`lasso_spark.ml.persistence`'s checks, as every model's)."""

    def saveImpl(self, path: str) -> None:
        m = self.instance
        std = m.featureStd
        row = (m.featureNames, m._B.tolist(), m._b.tolist(),
               None if std is None else std.tolist(),
               None if m._path_reg_params is None else m._path_reg_params.tolist())
        self._write([row], _DATA_SCHEMA, os.path.join(path, "data"))
        self._write([] if m.pathTable is None else m.pathTable.to_rows(),
                    MultinomialPathTable.ROW_SCHEMA, os.path.join(path, "path"))
        self._write([] if m.cvTable is None else m.cvTable.to_rows(),
                    LogisticCVTable.ROW_SCHEMA, os.path.join(path, "cv"))
        record = params_record(m, str(self.sparkSession.version), {
            "formatVersion": FORMAT_VERSION, "model": "multinomial",
            "numClasses": m.numClasses, "numFeatures": m.numFeatures,
            "regParam": m.regParam, "elasticNetParam": m._elastic_net_param,
            "multinomialGrouping": m._grouping,
            "summary": None if m._summary is None else m._summary.asDict(),
            "hasPath": m.pathTable is not None, "hasCV": m.cvTable is not None,
            "cv": None if m.cvTable is None else m.cvTable.meta(),
        })
        record["lassoSpark"]["checksums"] = _value_checksums(m, record)
        write_metadata_last(self, path, record)


def _columns(schema: str) -> tuple[str, ...]:
    """Column names of a ``"name TYPE, …"`` schema."""
    return tuple(part.split(" ", 1)[0] for part in schema.split(", "))


class _Reader(MLReader):
    """Reads what :class:`_Writer` wrote (format 3, verified file by file and value by
    value), and formats 1–2 (pyspark's metadata, no checksums); runs no stored code."""

    def __init__(self, cls: type) -> None:
        super().__init__()
        self.cls = cls

    def load(self, path: str) -> MultinomialLassoModel:
        try:
            meta, info, parts = read_verified_parts(
                self.sparkSession, path, (f"{self.cls.__module__}.{self.cls.__name__}",))
        except ModelLoadError as exc:  # a format 1-2 model has no checksums to verify
            try:
                meta = DefaultParamsReader.loadMetadata(path, self.sparkSession)
            except Exception:  # noqa: BLE001 - the verified reader's error says what is wrong
                raise exc from None
            info = meta.get("lassoSpark") or {}
            if info.get("model") == "multinomial" and info.get("formatVersion") in (1, 2):
                return self._load_unverified(path, meta, info)
            raise
        if info.get("model") != "multinomial" or info["formatVersion"] > FORMAT_VERSION:
            raise ModelLoadError(path, f"not a multinomial lasso_spark model this version "
                                       f"reads (format {info['formatVersion']}, model "
                                       f"{info.get('model')!r})", damaged=False)

        def rows_of(sub: str, schema: str) -> list[tuple]:
            return part_rows(path, sub, parts[sub] or {}, _columns(schema))

        try:
            data = rows_of("data", _DATA_SCHEMA)
            if len(data) != 1:
                raise ModelLoadError(path, f"data/ has {len(data)} rows, expected 1")
            for flag, sub in (("hasPath", "path"), ("hasCV", "cv")):
                if info[flag] and not parts[sub]:
                    raise ModelLoadError(path, f"{sub}/ is empty but metadata/ says {flag}")
            model = self._build(path, meta, info, data[0],
                                rows_of("path", MultinomialPathTable.ROW_SCHEMA)
                                if info["hasPath"] else None,
                                rows_of("cv", LogisticCVTable.ROW_SCHEMA)
                                if info["hasCV"] else None)
        except ModelLoadError:
            raise
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
            raise ModelLoadError(path, f"the saved values are inconsistent: {exc}") from None
        verify_value_checksums(path, info, lambda: _value_checksums(model, meta))
        return model

    def _load_unverified(self, path: str, meta: dict[str, Any], info: dict[str, Any]
                         ) -> MultinomialLassoModel:
        spark = self.sparkSession
        rows = spark.read.parquet(os.path.join(path, "data")).collect()
        if len(rows) != 1:
            raise ValueError(f"{path}/data holds {len(rows)} rows, expected 1")

        def table(sub: str, flag: str) -> list[tuple] | None:
            if not info.get(flag):
                return None
            return [tuple(x) for x in spark.read.parquet(os.path.join(path, sub)).collect()]

        return self._build(path, meta, info, tuple(rows[0]), table("path", "hasPath"),
                           table("cv", "hasCV"))

    def _build(self, path: str, meta: dict[str, Any], info: dict[str, Any], row: tuple,
               path_rows: list[tuple] | None, cv_rows: list[tuple] | None
               ) -> MultinomialLassoModel:
        names, matrix, icpt, std, reg_params = row
        B = np.asarray(matrix, dtype=float)
        if B.shape != (info["numClasses"], info["numFeatures"]):
            raise ModelLoadError(path, f"data/: coefficient matrix {B.shape}, metadata says "
                                       f"{(info['numClasses'], info['numFeatures'])}")
        summary = None if info.get("summary") is None else LassoSummary.fromDict(info["summary"])
        enp = float(info["elasticNetParam"])
        table = None if path_rows is None else MultinomialPathTable.from_rows(
            path_rows, B.shape[0], B.shape[1], enp)
        cv = None if cv_rows is None else LogisticCVTable.from_rows(cv_rows, info["cv"])
        model = self.cls(B, icpt, featureNames=names, regParam=float(info["regParam"]),
                         elasticNetParam=enp, path=table, cv=cv, summary=summary,
                         featureStd=std, pathRegParams=reg_params,
                         multinomialGrouping=info.get("multinomialGrouping", "ungrouped"))
        model._resetUid(meta["uid"])
        DefaultParamsReader.getAndSetParams(model, meta)
        return model
