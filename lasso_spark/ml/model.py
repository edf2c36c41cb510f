"""``LassoModel``: a fitted Lasso / elastic-net model with its whole path and CV table.

The model minimizes the problem of :mod:`lasso_spark.core.objective` (MLlib's params map onto
it by :mod:`lasso_spark.ml.mapping`). ``coefficients`` and ``intercept`` are on the original
feature scale. ``path`` holds the fit at every regParam (and elasticNetParam) of the grid,
``cvResults`` the cross-validation table when the model comes from ``LassoCV``. ``transform``
is one Spark SQL expression (no Python UDF) and validates like fitting: the feature columns'
types are checked before any job, and rows with a null, NaN or infinite feature (or a vector of
another size) follow ``handleInvalid`` — ``"error"`` (default: the task fails naming the
column), ``"skip"`` (dropped) or ``"keep"`` (null prediction); :meth:`LassoModel.invalidCounts`
counts them per column in one job. An existing prediction column is refused unless
``replacePredictionCol`` is set.
Persistence: :mod:`lasso_spark.ml.persistence` (metadata JSON + Parquet, no code on load,
verified on load).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from pyspark.ml import Model
from pyspark.ml.linalg import DenseVector, VectorUDT
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.util import MLReadable, MLWritable
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lasso_spark.core.errors import DataError
from lasso_spark.ml.fitted import FittedPathModel
from lasso_spark.ml.params import LassoModelParams, ParamValidationError
from lasso_spark.ml.predict import (
    ScoringColumns,
    invalid_count_columns,
    scoring_columns,
    staged_scoring,
)
from lasso_spark.ml.stability import StabilityReport, StabilityTable
from lasso_spark.ml.tables import CVTable, LassoSummary, PathTable

logger = logging.getLogger(__name__)

__all__ = ["TRANSFORM_HANDLE_INVALID", "LassoModel"]

#: what ``transform`` does with a row it cannot score (the estimators take "error" / "skip")
TRANSFORM_HANDLE_INVALID = ("error", "skip", "keep")


def _transform_handle_invalid(value: Any) -> str:
    v = TypeConverters.toString(value)
    if v not in TRANSFORM_HANDLE_INVALID:
        raise ParamValidationError(
            f"handleInvalid must be one of {list(TRANSFORM_HANDLE_INVALID)}, got {v!r}"
        )
    return v


class LassoModel(Model, FittedPathModel, LassoModelParams, MLReadable["LassoModel"], MLWritable):
    """A fitted Lasso / elastic-net model (see the module docstring).

    Build it with :meth:`fromPath` (what the estimators call) or directly from arrays.
    """

    handleInvalid: Param[str] = Param(
        Params._dummy(),
        "handleInvalid",
        "rows whose features are null, NaN or infinite (or a vector of another size): 'error' "
        "(the job fails naming the column), 'skip' (dropped) or 'keep' (null prediction). "
        "Inherited from the estimator (which takes 'error' or 'skip').",
        typeConverter=_transform_handle_invalid,
    )
    replacePredictionCol: Param[bool] = Param(
        Params._dummy(),
        "replacePredictionCol",
        "when the DataFrame already has a column named predictionCol: False (default) refuses "
        "to transform it, like MLlib; True replaces that column.",
        typeConverter=TypeConverters.toBoolean,
    )

    def __init__(
        self,
        coefficients: Sequence[float] | np.ndarray | None = None,
        intercept: float = 0.0,
        *,
        featureNames: Sequence[str] | None = None,
        regParam: float = 0.0,
        elasticNetParam: float = 1.0,
        path: PathTable | None = None,
        cv: CVTable | None = None,
        summary: LassoSummary | None = None,
        featureStd: Sequence[float] | np.ndarray | None = None,
        stability: StabilityTable | None = None,
    ) -> None:
        super().__init__()
        self._setDefault(replacePredictionCol=False)
        coef = np.asarray([] if coefficients is None else coefficients, dtype=np.float64)
        if coef.ndim != 1:
            raise ValueError(f"coefficients must be 1-d, got shape {coef.shape}")
        p = coef.shape[0]
        names = [f"x{j}" for j in range(p)] if featureNames is None else list(featureNames)
        if len(names) != p:
            raise ValueError(f"{len(names)} featureNames for {p} coefficients")
        if len(set(names)) != p:
            raise ValueError("featureNames must be unique")
        if path is not None and path.n_features != p:
            raise ValueError(f"path has {path.n_features} features, coefficients {p}")
        std = None if featureStd is None else np.asarray(featureStd, dtype=np.float64)
        if std is not None and std.shape != (p,):
            raise ValueError(f"featureStd has shape {std.shape}, expected ({p},)")
        self._coef = coef
        self._intercept = float(intercept)
        self._feature_names = names
        self._reg_param = float(regParam)
        self._elastic_net_param = float(elasticNetParam)
        self._path = path
        self._cv = cv
        self._summary = summary
        self._feature_std = std
        if stability is not None and stability.n_features != p:
            raise ValueError(f"stability has {stability.n_features} features, coefficients {p}")
        self._stability = stability

    # ------------------------------------------------------------------ construction
    @classmethod
    def fromPath(
        cls,
        path: PathTable,
        index: int,
        *,
        featureNames: Sequence[str],
        cv: CVTable | None = None,
        summary: LassoSummary | None = None,
        featureStd: Sequence[float] | np.ndarray | None = None,
        stability: StabilityTable | None = None,
    ) -> LassoModel:
        """The model at row ``index`` of ``path`` (build ``path`` with ``PathTable.from_result``
        and, for CV, ``cv`` with ``CVTable.from_fold_mse``; ``index`` is usually
        ``cv.index_chosen``); ``stability`` from ``LassoCV(numSubsamples=...)``."""
        if not 0 <= index < path.n_rows:
            raise IndexError(f"path row {index} outside 0..{path.n_rows - 1}")
        return cls(
            path.coef[index].copy(),
            float(path.intercepts[index]),
            featureNames=featureNames,
            regParam=float(path.reg_params[index]),
            elasticNetParam=float(path.elastic_net_params[index]),
            path=path,
            cv=cv,
            summary=summary,
            featureStd=featureStd,
            stability=stability,
        )

    # ------------------ public attributes (the others: lasso_spark.ml.fitted.FittedPathModel)

    @property
    def featureGroupIndices(self) -> list[list[int]] | None:
        """The feature groups of a group-lasso fit as lists of feature indices (``"auto"``
        resolved), ``None`` without ``featureGroups``."""
        if self._summary is None or not self._summary.extra.get("featureGroups"):
            return None
        return [list(map(int, g)) for g in self._summary.extra["featureGroups"]]

    def featureBlocks(self) -> list[list[int]] | None:
        """Every penalty block of a group-lasso fit in feature order: its groups and each
        feature in no group alone (``None`` without ``featureGroups``)."""
        groups = self.featureGroupIndices
        if groups is None:
            return None
        grouped = {j for g in groups for j in g}
        blocks = groups + [[j] for j in range(self.numFeatures) if j not in grouped]
        return sorted(blocks, key=min)

    def groupNorms(self, elasticNetParam: float | None = None) -> pd.DataFrame:
        """Per path point (increasing regParam) the norm ``‖σ_g β_g‖₂`` of every block of
        :meth:`featureBlocks` (standardized scale), columns named by the blocks' first
        feature."""
        blocks = self.featureBlocks()
        if blocks is None:
            raise ValueError("this model has no featureGroups")
        rows = self._path_rows(elasticNetParam)
        coef = self._path.coef[rows]
        std = self._feature_std if self._feature_std is not None else np.ones(self.numFeatures)
        out = pd.DataFrame({"regParam": self._path.reg_params[rows]})
        for b in blocks:
            out["group:" + self._feature_names[b[0]]] = np.linalg.norm(coef[:, b] * std[b],
                                                                       axis=1)
        return out

    @property
    def relaxGamma(self) -> float:
        """The relaxed-lasso γ of this model (1: the lasso itself; chosen by CV for LassoCV
        with ``relax=True``)."""
        if self._summary is None:
            return 1.0
        return float(self._summary.extra.get("relaxGamma", 1.0))


    @property
    def featureStd(self) -> np.ndarray | None:
        """Weighted population standard deviation of each feature in the training data."""
        return None if self._feature_std is None else self._feature_std.copy()

    # ------------------------------------------------------------------ stability selection
    @property
    def stabilityTable(self) -> StabilityTable | None:
        return self._stability

    @property
    def hasStability(self) -> bool:
        return self._stability is not None

    def _require_stability(self) -> StabilityTable:
        if self._stability is None:
            raise ValueError("this model has no stability selection: fit it with "
                             "LassoCV(numSubsamples=N) (N complementary pairs of half-samples)")
        return self._stability

    @property
    def stabilityPath(self) -> pd.DataFrame | None:
        """Selection probability of every feature at every regParam of the stability grid:
        ``elasticNetParam, regParam, meanSelected, prob:<feature>``; None without it."""
        return None if self._stability is None else self._stability.to_pandas(
            self._feature_names)

    def stabilitySelection(self, threshold: float | None = None,
                           regParam: float | None = None) -> StabilityReport:
        """The stable features at ``threshold`` (default the fit's ``stabilityThreshold``) and
        ``regParam`` (default the cross-validation's 1se regParam whatever the model's
        ``selectionRule``, docs/stability.md says why; off the grid, the nearest grid point),
        with ``q`` (mean features per half-sample there) and the bound
        ``q² / ((2·threshold − 1)·p)`` on the expected number of false selections; ``.table``
        is the per-feature pandas table. From the probabilities the fit stored: no data pass,
        no solve."""
        return self._require_stability().report(self._feature_names, threshold, regParam)

    def plotStability(self, ax: Any = None, threshold: float | None = None,
                      regParam: float | None = None, maxLabels: int = 20) -> Any:
        """Selection probability against regParam per feature, the threshold line, the stable
        features labelled; matplotlib Figure (``pip install lasso_spark[plots]``)."""
        from lasso_spark.plotting import plot_stability

        return plot_stability(self.stabilitySelection(threshold, regParam),
                              self._require_stability(), self._feature_names, ax=ax,
                              max_labels=maxLabels)

    # ------------------------------------------------------------------ the path
    def _path_rows(self, elasticNetParam: float | None) -> np.ndarray:
        if self._path is None:
            raise ValueError("this model has no path")
        enp = self._elastic_net_param if elasticNetParam is None else float(elasticNetParam)
        rows = np.flatnonzero(np.isclose(self._path.elastic_net_params, enp, rtol=1e-12,
                                         atol=0.0) & (self._path.relax_gammas == 1.0))
        if rows.size == 0:
            have = sorted(set(self._path.elastic_net_params.tolist()))
            raise ValueError(f"the path has no elasticNetParam {enp}; it has {have}")
        return rows[np.argsort(self._path.reg_params[rows])]

    def _interpolate(self, regParam: float, elasticNetParam: float | None,
                     field: str) -> np.ndarray:
        rows = self._path_rows(elasticNetParam)
        values = getattr(self._path, field)
        grid = self._path.reg_params[rows]  # increasing
        r = float(regParam)
        hit = np.flatnonzero(np.isclose(grid, r, rtol=1e-9, atol=0.0))
        if hit.size:
            return values[rows[hit[0]]].copy()
        if not grid[0] <= r <= grid[-1]:
            raise ValueError(
                f"regParam {r} is outside the path's range [{grid[0]}, {grid[-1]}]"
            )
        k = int(np.searchsorted(grid, r))
        lo, hi = rows[k - 1], rows[k]
        t = (r - grid[k - 1]) / (grid[k] - grid[k - 1])
        return (1.0 - t) * values[lo] + t * values[hi]

    def coefficientsAt(self, regParam: float, elasticNetParam: float | None = None) -> DenseVector:
        """Path coefficients at ``regParam``: exact at grid points, linear interpolation in
        regParam between them (glmnet's ``coef(fit, s=)`` with ``exact=FALSE``)."""
        return DenseVector(self._interpolate(regParam, elasticNetParam, "coef"))

    def interceptAt(self, regParam: float, elasticNetParam: float | None = None) -> float:
        return float(self._interpolate(regParam, elasticNetParam, "intercepts"))

    # ------------------------------------------------------------------ params setters
    def setFeaturesCol(self, value: str) -> LassoModel:
        return self._set(featuresCol=value)

    def setInputCols(self, value: list[str]) -> LassoModel:
        return self._set(inputCols=value)

    def setPredictionCol(self, value: str) -> LassoModel:
        return self._set(predictionCol=value)

    def setHandleInvalid(self, value: str) -> LassoModel:
        return self._set(handleInvalid=value)

    def setReplacePredictionCol(self, value: bool) -> LassoModel:
        return self._set(replacePredictionCol=value)

    def getReplacePredictionCol(self) -> bool:
        return bool(self.getOrDefault(self.replacePredictionCol))

    # ------------------------------------------------------------------ scoring
    def _features_type(self, dataset: DataFrame | None) -> T.DataType | None:
        """Check the feature columns against ``dataset``'s schema (before any job); the
        type of the features column (None for numeric input columns or without a dataset)."""
        if self._usesInputCols():
            cols = self.getInputCols()
            if len(cols) != self.numFeatures:
                raise ParamValidationError(
                    f"inputCols has {len(cols)} columns; the model has {self.numFeatures} features"
                )
            if dataset is None:
                return None
            fields = {f.name: f.dataType for f in dataset.schema.fields}
            missing = [c for c in cols if c not in fields]
            if missing:
                raise DataError(
                    f"{len(missing)} input column(s) missing from the DataFrame: {missing[:10]}"
                )
            wrong = [(c, fields[c]) for c in cols if not isinstance(fields[c], T.NumericType)]
            if wrong:
                shown = ", ".join(f"{c!r} is {t.simpleString()}" for c, t in wrong[:5])
                raise DataError(
                    f"LassoModel: {len(wrong)} input column(s) are not numeric: {shown}; cast "
                    "them to a numeric type first"
                )
            return None
        col = self.getFeaturesCol()
        if dataset is None:
            return None
        fields = {f.name: f.dataType for f in dataset.schema.fields}
        if col not in fields:
            raise DataError(f"featuresCol {col!r} is not a column of the DataFrame")
        dtype = fields[col]
        is_array = isinstance(dtype, T.ArrayType) and isinstance(dtype.elementType,
                                                                 T.NumericType)
        if not (isinstance(dtype, VectorUDT) or is_array):
            raise DataError(
                f"LassoModel: featuresCol {col!r} is {dtype.simpleString()}; expected a "
                "pyspark.ml vector or an array of numbers (or set inputCols to numeric columns)"
            )
        return dtype

    def scoringColumns(self, dataset: DataFrame | None = None) -> ScoringColumns:
        """The prediction, whether each row is valid, and what is wrong with invalid rows, as
        Spark Columns (checked against ``dataset``'s schema when given)."""
        dtype = self._features_type(dataset)
        if self._usesInputCols():
            return scoring_columns(self._coef, self._intercept, input_cols=self.getInputCols())
        return scoring_columns(self._coef, self._intercept, features_col=self.getFeaturesCol(),
                               features_type=dtype)

    def scoringFrame(self, dataset: DataFrame) -> tuple[DataFrame, ScoringColumns, list[str]]:
        """``dataset`` with helper columns holding the features array and the prediction (each
        computed once per row), the checks over them, and the helper names to drop after use:
        what ``transform``, :meth:`invalidCounts` and the score job build on."""
        dtype = self._features_type(dataset)
        tag = f"lasso_{self.uid}".replace("-", "_")
        if self._usesInputCols():
            return staged_scoring(dataset, self._coef, self._intercept, tag=tag,
                                  input_cols=self.getInputCols())
        return staged_scoring(dataset, self._coef, self._intercept, tag=tag,
                              features_col=self.getFeaturesCol(), features_type=dtype)

    def _prediction(self, checks: ScoringColumns) -> Column:
        """The prediction column under ``handleInvalid`` (``"skip"`` / ``"keep"``: null)."""
        if self.getHandleInvalid() != "error":
            return F.when(checks.valid, checks.value)
        message = F.concat(
            F.lit("LassoModel: cannot score a row: "), checks.reason,
            F.lit(" (handleInvalid='error'; 'skip' drops such rows, 'keep' gives them a null "
                  "prediction, model.invalidCounts(df) counts them per column)"),
        )
        return F.when(checks.valid, checks.value).otherwise(F.raise_error(message).cast("double"))

    def predictionExpr(self, dataset: DataFrame | None = None) -> Column:
        """The prediction as one Spark Column expression (usable in ``select``/SQL), following
        ``handleInvalid`` for invalid rows: ``"error"`` raises naming the column, ``"keep"``
        and ``"skip"`` give null. ``transform`` computes the same faster (its costly parts
        once per row, see :meth:`scoringFrame`) and drops the rows under ``"skip"``."""
        return self._prediction(self.scoringColumns(dataset))

    def _transform(self, dataset: DataFrame) -> DataFrame:
        pred = self.getPredictionCol()
        if pred in dataset.columns and not self.getReplacePredictionCol():
            raise DataError(
                f"LassoModel: the DataFrame already has a column {pred!r}; set predictionCol to "
                "another name, drop the column, or setReplacePredictionCol(True)"
            )
        staged, checks, helpers = self.scoringFrame(dataset)
        if self.getHandleInvalid() == "skip":
            staged = staged.where(checks.valid)
        return staged.withColumn(pred, self._prediction(checks)).drop(*helpers)

    def invalidCounts(self, dataset: DataFrame) -> dict[str, int]:
        """Rows ``transform`` could not score, per column and problem, from one aggregate job:
        ``{"rows": n, "invalid": k, "<column>": bad rows, ...}`` (zero counts left out except
        ``rows`` and ``invalid``)."""
        staged, checks, _ = self.scoringFrame(dataset)
        cols = self.invalidCountColumns(dataset, checks)
        row = staged.agg(*[c.alias(f"c{i}") for i, c in enumerate(cols.values())]).first()
        counts = {name: int(row[i] or 0) for i, name in enumerate(cols)}
        return {k: v for k, v in counts.items() if v or k in ("rows", "invalid")}

    def invalidCountColumns(self, dataset: DataFrame,
                            checks: ScoringColumns | None = None) -> dict[str, Column]:
        """The aggregate Columns behind :meth:`invalidCounts` (for ``DataFrame.observe`` on the
        frame of :meth:`scoringFrame`, whose ``checks`` they use)."""
        dtype = self._features_type(dataset)
        checks = checks or self.scoringColumns(dataset)
        if self._usesInputCols():
            return invalid_count_columns(checks, input_cols=self.getInputCols(),
                                         num_features=self.numFeatures)
        return invalid_count_columns(checks, features_col=self.getFeaturesCol(),
                                     features_type=dtype, num_features=self.numFeatures)

    def predict(self, features: Sequence[float] | np.ndarray) -> float:
        """Prediction for one feature vector (driver side), like MLlib's ``predict``."""
        x = np.asarray(features, dtype=np.float64)
        if x.shape != (self.numFeatures,):
            raise ValueError(f"expected {self.numFeatures} features, got shape {x.shape}")
        return float(self._intercept + x @ self._coef)

    def evaluatePath(
        self,
        dataset: DataFrame,
        *,
        labelCol: str | None = None,
        weightCol: str | None = None,
        handleInvalid: str | None = None,
    ) -> pd.DataFrame:
        """Validation MSE, RMSE, MAE and R² of EVERY fit on the path, from one pass over
        ``dataset`` (one Spark job; predictions of all fits per Arrow batch on the executors).

        One row per (elasticNetParam, regParam): ``elasticNetParam, regParam, nonzeros, mse,
        rmse, mae, r2, numRowsUsed, numRowsSkipped``; weighted by the model's ``weightCol``
        (``weightCol=""`` for unweighted). See :func:`lasso_spark.ml.validation.evaluate_path`.
        """
        from lasso_spark.ml.validation import evaluate_path

        return evaluate_path(self, dataset, labelCol=labelCol, weightCol=weightCol,
                             handleInvalid=handleInvalid)

    def selectOnValidation(
        self, dataset: DataFrame, metric: str = "mse", **evaluate_kwargs: Any
    ) -> LassoModel:
        """A copy of this model at the path fit with the best validation ``metric`` on
        ``dataset`` ("mse", "rmse", "mae" or "r2"; ties: the larger regParam). The copy keeps
        the path and CV table; its summary gains ``validationMetric`` and ``validationScore``.
        """
        from lasso_spark.ml.validation import METRICS, best_index

        if metric not in METRICS:
            raise ValueError(f"metric must be one of {list(METRICS)}, got {metric!r}")
        if self._path is None:
            raise ValueError("this model has no path to select from")
        scores = self.evaluatePath(dataset, **evaluate_kwargs)
        i = best_index(scores, metric)
        summary = None
        if self._summary is not None:
            summary = LassoSummary.fromDict(self._summary.asDict())
            summary.extra.update(validationMetric=metric,
                                 validationScore=float(scores[metric].iloc[i]))
        model = LassoModel.fromPath(self._path, i, featureNames=self._feature_names,
                                    cv=self._cv, summary=summary, featureStd=self._feature_std,
                                    stability=self._stability)
        return self._copyValues(model)

    # ------------------------------------------------------------------ persistence
    def write(self):  # noqa: ANN201
        from lasso_spark.ml.persistence import LassoModelWriter

        return LassoModelWriter(self)

    @classmethod
    def read(cls):  # noqa: ANN206
        from lasso_spark.ml.persistence import LassoModelReader

        return LassoModelReader(cls)

    # ------------------------------------------------------------------ MLlib export
    def saveMLlib(self, path: str, overwrite: bool = False, pipeline: bool | None = None,
                  featuresCol: str | None = None) -> str:
        """Write this model in Spark MLlib's own format (loadable by JVM pipelines); returns the
        MLlib class written: a ``LinearRegressionModel`` for a ``featuresCol`` model, a
        ``PipelineModel`` (VectorAssembler → LinearRegressionModel) for an ``inputCols`` model
        (``pipeline=True``/``False`` forces one). See :mod:`lasso_spark.ml.export`."""
        from lasso_spark.ml.export import save_mllib

        return save_mllib(self, path, overwrite=overwrite, pipeline=pipeline,
                          featuresCol=featuresCol)

    def toMLlib(self, tmpDir: str | None = None, featuresCol: str | None = None) -> Any:
        """A native ``pyspark.ml.regression.LinearRegressionModel`` with this model's
        coefficients and intercept (works on Spark Connect). An ``inputCols`` model's MLlib
        twin reads a vector column ``featuresCol`` (default ``"features"``) assembled from
        ``getInputCols()`` in that order — or use :meth:`toMLlibPipeline`. On a cluster pass
        ``tmpDir`` on a shared filesystem. See :mod:`lasso_spark.ml.export`."""
        from lasso_spark.ml.export import to_mllib

        return to_mllib(self, tmpDir=tmpDir, featuresCol=featuresCol)

    def toMLlibPipeline(self, tmpDir: str | None = None, featuresCol: str | None = None) -> Any:
        """A ``pyspark.ml.PipelineModel`` that scores the same DataFrame as this model
        (VectorAssembler → LinearRegressionModel for ``inputCols``)."""
        from lasso_spark.ml.export import to_mllib_pipeline

        return to_mllib_pipeline(self, tmpDir=tmpDir, featuresCol=featuresCol)

    # ------------------------------------------------------------------ plots
    def plotPath(self, ax: Any = None, elasticNetParam: float | None = None,
                 maxLabels: int = 10) -> Any:
        """Coefficients against log regParam; matplotlib Figure (``pip install
        lasso_spark[plots]``)."""
        from lasso_spark.plotting import plot_path

        return plot_path(self, ax=ax, elastic_net_param=elasticNetParam, max_labels=maxLabels)

    def plotCV(self, ax: Any = None) -> Any:
        """Mean CV MSE with standard-error bars, min and 1se marked; matplotlib Figure."""
        from lasso_spark.plotting import plot_cv

        return plot_cv(self, ax=ax)

    # ------------------------------------------------------------------ notebook display
    def topCoefficients(self, k: int = 10) -> pd.DataFrame:
        """Non-zero coefficients ranked by |standardized coefficient| (coef · feature std;
        |coef| when the feature std is unknown)."""
        scale = self._feature_std if self._feature_std is not None else np.ones(self.numFeatures)
        std_coef = self._coef * scale
        order = np.argsort(-np.abs(std_coef), kind="stable")
        order = [j for j in order if self._coef[j] != 0.0][: int(k)]
        return pd.DataFrame({
            "feature": [self._feature_names[j] for j in order],
            "coefficient": self._coef[order],
            "standardized": std_coef[order],
        })

    def _cv_at_choice(self) -> tuple[float, float, str] | None:
        if self._cv is None:
            return None
        i = self._cv.index_chosen
        return float(self._cv.mse_mean[i]), float(self._cv.mse_se[i]), self._cv.selection_rule

    def _headline(self) -> list[tuple[str, str]]:
        rows = [
            ("regParam", f"{self._reg_param:.6g}"),
            ("elasticNetParam", f"{self._elastic_net_param:.6g}"),
            ("non-zeros", f"{self.numNonzeros} / {self.numFeatures}"),
            ("intercept", f"{self._intercept:.6g}"),
        ]
        cv = self._cv_at_choice()
        if cv is not None:
            if self._cv.validation:
                rows.append(("validation MSE", f"{cv[0]:.6g}"))
            else:
                rows.append((f"CV MSE ({cv[2]}, {self._cv.n_folds} folds)",
                             f"{cv[0]:.6g} ± {cv[1]:.3g}"))
        if self._path is not None:
            rows.append(("path", f"{self._path.n_rows} fits"))
        if self._stability is not None:
            rep = self.stabilitySelection()
            rows.append((f"stable features (probability >= {rep.threshold:g})",
                         f"{len(rep.stableFeatures)} / {rep.numFeatures}, E[false] <= "
                         f"{rep.expectedFalseSelectionsBound:.3g}"))
        if self._summary is not None and self._summary.numRows is not None:
            rows.append(("rows used / skipped",
                         f"{self._summary.numRowsUsed} / {self._summary.numRowsSkipped}"))
        return rows

    def __repr__(self) -> str:
        lines = [f"LassoModel(uid={self.uid})"]
        lines += [f"  {k}: {v}" for k, v in self._headline()]
        top = self.topCoefficients(5)
        if len(top):
            lines.append("  top coefficients (by |standardized|):")
            lines += [f"    {r.feature}: {r.coefficient:.6g}" for r in top.itertuples()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in self._headline()
        )
        top = self.topCoefficients(10)
        body = "".join(
            f"<tr><td>{html.escape(str(r.feature))}</td><td>{r.coefficient:.6g}</td>"
            f"<td>{r.standardized:.6g}</td></tr>"
            for r in top.itertuples()
        )
        return (
            f"<div><b>LassoModel</b> <code>{html.escape(self.uid)}</code>"
            f"<table>{head}</table>"
            "<table><tr><th>feature</th><th>coefficient</th><th>standardized</th></tr>"
            f"{body}</table></div>"
        )
