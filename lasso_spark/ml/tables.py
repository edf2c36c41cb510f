"""Plain-data pieces of a fitted model: the path, the CV table and the fit summary.

No Spark here: these hold numpy arrays, convert to pandas, and (de)serialize to plain
JSON-able rows for persistence. ``LassoModel`` wraps them.

Path DataFrame columns (``PathTable.to_pandas``), one row per (elasticNetParam, regParam)::

    elasticNetParam, regParam, alpha, l1Ratio, nonzeros, intercept, dualityGap, iterations,
    converged, coef:<feature name> ...

Coefficient columns are ``"coef:" + feature name``; no fixed column contains ``:``, so they
cannot collide. CV DataFrame columns (``CVTable.to_pandas``)::

    elasticNetParam, regParam, nonzeros, mseMean, mseStdErr, mseFold0 ... mseFold{K-1}

or, for a validation split (``LassoCV`` with ``validationCol``), ``mseValidation`` instead of the
fold columns (``mseMean`` is then the validation MSE and ``mseStdErr`` NaN).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lasso_spark.core.cv import select_min_1se

logger = logging.getLogger(__name__)

__all__ = ["COEF_PREFIX", "CVTable", "LassoSummary", "PathTable"]

COEF_PREFIX = "coef:"


def _arr(x: Any, dtype: Any = np.float64) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(x, dtype=dtype))


@dataclass(frozen=True)
class PathTable:
    """A regularization path: row ``i`` is the fit at ``(elastic_net_params[i], reg_params[i])``.

    ``coef`` is (m, p) on the ORIGINAL feature scale; ``alphas``/``l1_ratios`` are the core's.
    """

    elastic_net_params: np.ndarray
    reg_params: np.ndarray
    alphas: np.ndarray
    l1_ratios: np.ndarray
    coef: np.ndarray
    intercepts: np.ndarray
    nonzeros: np.ndarray
    duality_gaps: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray

    def __post_init__(self) -> None:
        coef = np.atleast_2d(_arr(self.coef))
        object.__setattr__(self, "coef", coef)
        m = coef.shape[0]
        for f in dataclasses.fields(self):
            if f.name == "coef":
                continue
            dtype = {"nonzeros": np.int64, "iterations": np.int64, "converged": bool}.get(
                f.name, np.float64
            )
            value = _arr(getattr(self, f.name), dtype).reshape(-1)
            if value.shape != (m,):
                raise ValueError(f"path field {f.name} has shape {value.shape}, expected ({m},)")
            object.__setattr__(self, f.name, value)

    @property
    def n_rows(self) -> int:
        return int(self.coef.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.coef.shape[1])

    @classmethod
    def from_result(
        cls,
        result: Any,
        *,
        reg_params: Sequence[float] | np.ndarray,
        elastic_net_param: float,
        l1_ratio: float | None = None,
    ) -> PathTable:
        """From the core's ``PathResult`` (alphas, coef, intercept, dual_gap, n_iter, n_nonzero,
        converged) and the regParam of each alpha; ``l1_ratio`` = the core's ρ (default: the
        result's ``l1_ratio`` attribute, else NaN)."""
        alphas = _arr(result.alphas)
        m = alphas.shape[0]
        coef = np.atleast_2d(_arr(result.coef))
        l1 = getattr(result, "l1_ratio", None) if l1_ratio is None else l1_ratio
        n_nonzero = getattr(result, "n_nonzero", None)
        converged = getattr(result, "converged", None)
        return cls(
            elastic_net_params=np.full(m, float(elastic_net_param)),
            reg_params=_arr(reg_params),
            alphas=alphas,
            l1_ratios=np.full(m, np.nan if l1 is None else float(np.mean(l1))),
            coef=coef,
            intercepts=_arr(result.intercept),
            nonzeros=(np.count_nonzero(coef, axis=1) if n_nonzero is None else n_nonzero),
            duality_gaps=_arr(result.dual_gap),
            iterations=_arr(result.n_iter, np.int64),
            converged=np.ones(m, bool) if converged is None else converged,
        )

    @classmethod
    def concat(cls, tables: Sequence[PathTable]) -> PathTable:
        if not tables:
            raise ValueError("no path to concatenate")
        return cls(**{
            f.name: np.concatenate([getattr(t, f.name) for t in tables], axis=0)
            for f in dataclasses.fields(cls)
        })

    def index_of(self, reg_param: float, elastic_net_param: float | None = None,
                 rtol: float = 1e-9) -> int:
        """Row of ``(elastic_net_param, reg_param)``; -1 if absent."""
        rows = np.ones(self.n_rows, bool)
        if elastic_net_param is not None:
            rows &= np.isclose(self.elastic_net_params, elastic_net_param, rtol=rtol, atol=0.0)
        hit = np.flatnonzero(rows & np.isclose(self.reg_params, reg_param, rtol=rtol,
                                               atol=1e-300))
        return int(hit[0]) if hit.size else -1

    def to_pandas(self, feature_names: Sequence[str]) -> pd.DataFrame:
        head = pd.DataFrame({
            "elasticNetParam": self.elastic_net_params,
            "regParam": self.reg_params,
            "alpha": self.alphas,
            "l1Ratio": self.l1_ratios,
            "nonzeros": self.nonzeros,
            "intercept": self.intercepts,
            "dualityGap": self.duality_gaps,
            "iterations": self.iterations,
            "converged": self.converged,
        })
        coefs = pd.DataFrame(self.coef, columns=[COEF_PREFIX + n for n in feature_names])
        return pd.concat([head, coefs], axis=1)

    def to_rows(self) -> list[tuple]:
        return [
            (i, float(self.elastic_net_params[i]), float(self.reg_params[i]),
             float(self.alphas[i]), float(self.l1_ratios[i]), float(self.intercepts[i]),
             int(self.nonzeros[i]), float(self.duality_gaps[i]), int(self.iterations[i]),
             bool(self.converged[i]), self.coef[i].tolist())
            for i in range(self.n_rows)
        ]

    ROW_SCHEMA = (
        "idx INT, elasticNetParam DOUBLE, regParam DOUBLE, alpha DOUBLE, l1Ratio DOUBLE, "
        "intercept DOUBLE, nonzeros BIGINT, dualityGap DOUBLE, iterations BIGINT, "
        "converged BOOLEAN, coefficients ARRAY<DOUBLE>"
    )

    @classmethod
    def from_rows(cls, rows: Sequence[Any], n_features: int) -> PathTable:
        rows = sorted(rows, key=lambda r: r[0])
        coef = np.array([r[10] for r in rows], dtype=np.float64).reshape(len(rows), n_features)
        return cls(
            elastic_net_params=[r[1] for r in rows], reg_params=[r[2] for r in rows],
            alphas=[r[3] for r in rows], l1_ratios=[r[4] for r in rows],
            intercepts=[r[5] for r in rows], nonzeros=[r[6] for r in rows],
            duality_gaps=[r[7] for r in rows], iterations=[r[8] for r in rows],
            converged=[r[9] for r in rows], coef=coef,
        )


@dataclass(frozen=True)
class CVTable:
    """Cross-validation results, one row per (elasticNetParam, regParam).

    ``mse_folds`` is (m, K): held-out weighted MSE of each fold; ``mse_se`` is glmnet's cvsd,
    the standard deviation of the fold MSEs over sqrt(K).
    """

    elastic_net_params: np.ndarray
    reg_params: np.ndarray
    nonzeros: np.ndarray
    mse_mean: np.ndarray
    mse_se: np.ndarray
    mse_folds: np.ndarray
    index_min: int
    index_1se: int
    selection_rule: str = "min"
    validation: bool = False  # one validation split (LassoCV validationCol), not K folds

    def __post_init__(self) -> None:
        folds = np.atleast_2d(_arr(self.mse_folds))
        object.__setattr__(self, "mse_folds", folds)
        m = folds.shape[0]
        for name in ("elastic_net_params", "reg_params", "mse_mean", "mse_se"):
            value = _arr(getattr(self, name)).reshape(-1)
            if value.shape != (m,):
                raise ValueError(f"cv field {name} has shape {value.shape}, expected ({m},)")
            object.__setattr__(self, name, value)
        object.__setattr__(self, "nonzeros", _arr(self.nonzeros, np.int64).reshape(-1))
        if self.selection_rule not in ("min", "1se"):
            raise ValueError(f"selection_rule must be 'min' or '1se', got {self.selection_rule!r}")
        for name in ("index_min", "index_1se"):
            i = int(getattr(self, name))
            if not 0 <= i < m:
                raise ValueError(f"{name}={i} outside the {m} CV rows")
            object.__setattr__(self, name, i)

    @property
    def n_folds(self) -> int:
        return int(self.mse_folds.shape[1])

    @property
    def index_chosen(self) -> int:
        return self.index_min if self.selection_rule == "min" else self.index_1se

    @classmethod
    def from_fold_mse(
        cls,
        elastic_net_param: float,
        reg_params: Sequence[float] | np.ndarray,
        nonzeros: Sequence[int] | np.ndarray,
        mse_path: np.ndarray,
        mse_mean: np.ndarray,
        mse_se: np.ndarray,
        selection_rule: str = "min",
        validation: bool = False,
    ) -> CVTable:
        """The table of one elasticNetParam from the held-out MSE of every fold ``(K, m)`` and
        its mean and standard error per regParam; min / 1se chosen within it."""
        regs = _arr(reg_params)
        mean, se = _arr(mse_mean), _arr(mse_se)
        i_min, i_1se = select_min_1se(mean, se, regs)
        if validation:
            i_1se = i_min
        return cls(
            elastic_net_params=np.full(regs.shape[0], float(elastic_net_param)),
            reg_params=regs, nonzeros=nonzeros, mse_mean=mean, mse_se=se,
            mse_folds=np.atleast_2d(_arr(mse_path)).T, index_min=i_min, index_1se=i_1se,
            selection_rule=selection_rule, validation=validation,
        )

    @classmethod
    def concat(cls, tables: Sequence[CVTable], selection_rule: str | None = None) -> CVTable:
        """Stack tables of several elasticNetParams and choose min / 1se over all rows."""
        if not tables:
            raise ValueError("no CV table to concatenate")
        cols = {
            name: np.concatenate([getattr(t, name) for t in tables], axis=0)
            for name in ("elastic_net_params", "reg_params", "nonzeros", "mse_mean", "mse_se",
                         "mse_folds")
        }
        i_min, i_1se = select_min_1se(cols["mse_mean"], cols["mse_se"], cols["reg_params"],
                                      cols["elastic_net_params"])
        if tables[0].validation:
            i_1se = i_min
        return cls(**cols, index_min=i_min, index_1se=i_1se,
                   selection_rule=selection_rule or tables[0].selection_rule,
                   validation=tables[0].validation)

    def to_pandas(self) -> pd.DataFrame:
        out = pd.DataFrame({
            "elasticNetParam": self.elastic_net_params,
            "regParam": self.reg_params,
            "nonzeros": self.nonzeros,
            "mseMean": self.mse_mean,
            "mseStdErr": self.mse_se,
        })
        if self.validation:
            out["mseValidation"] = self.mse_folds[:, 0]
            return out
        for k in range(self.n_folds):
            out[f"mseFold{k}"] = self.mse_folds[:, k]
        return out

    ROW_SCHEMA = (
        "idx INT, elasticNetParam DOUBLE, regParam DOUBLE, nonzeros BIGINT, mseMean DOUBLE, "
        "mseStdErr DOUBLE, mseFolds ARRAY<DOUBLE>"
    )

    def to_rows(self) -> list[tuple]:
        return [
            (i, float(self.elastic_net_params[i]), float(self.reg_params[i]),
             int(self.nonzeros[i]), float(self.mse_mean[i]), float(self.mse_se[i]),
             self.mse_folds[i].tolist())
            for i in range(self.mse_folds.shape[0])
        ]

    def meta(self) -> dict[str, Any]:
        return {"indexMin": self.index_min, "index1se": self.index_1se,
                "selectionRule": self.selection_rule, "numFolds": self.n_folds,
                "validation": self.validation}

    @classmethod
    def from_rows(cls, rows: Sequence[Any], meta: Mapping[str, Any]) -> CVTable:
        rows = sorted(rows, key=lambda r: r[0])
        k = int(meta["numFolds"])
        return cls(
            elastic_net_params=[r[1] for r in rows], reg_params=[r[2] for r in rows],
            nonzeros=[r[3] for r in rows], mse_mean=[r[4] for r in rows],
            mse_se=[r[5] for r in rows],
            mse_folds=np.array([r[6] for r in rows], dtype=np.float64).reshape(len(rows), k),
            index_min=int(meta["indexMin"]), index_1se=int(meta["index1se"]),
            selection_rule=str(meta["selectionRule"]),
            validation=bool(meta.get("validation", False)),
        )


def _json_safe(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else None
    return value


@dataclass
class LassoSummary:
    """What a fit did: rows, invalid rows, data passes and timings (seconds).

    ``invalidCounts`` maps a column name to the number of rows rejected because of it.
    ``extra`` holds anything else JSON-able (e.g. trainingMSE, r2, fold sizes).
    """

    numRows: int | None = None
    numRowsSkipped: int = 0
    invalidCounts: dict[str, int] = field(default_factory=dict)
    weightSum: float | None = None
    numFeatures: int | None = None
    numFolds: int | None = None
    numDataPasses: int = 1
    statsSeconds: float | None = None
    solveSeconds: float | None = None
    totalSeconds: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def numRowsUsed(self) -> int | None:
        return None if self.numRows is None else self.numRows - self.numRowsSkipped

    def asDict(self) -> dict[str, Any]:
        """JSON-able dict (NaN/inf become None)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        out["numRowsUsed"] = self.numRowsUsed
        out.update(self.extra)
        return _json_safe(out)

    @classmethod
    def fromDict(cls, data: Mapping[str, Any]) -> LassoSummary:
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        known = {k: v for k, v in data.items() if k in names}
        extra = {k: v for k, v in data.items() if k not in names | {"numRowsUsed", "extra"}}
        extra.update(data.get("extra", {}) or {})
        return cls(**known, extra=extra)
