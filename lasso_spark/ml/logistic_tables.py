"""Plain-data tables of a fitted logistic model: its regularization path and its CV results.

No Spark here: numpy arrays, pandas views and plain rows for persistence.

Path DataFrame (``LogisticPathTable.to_pandas``), one row per regParam (decreasing)::

    regParam, nonzeros, intercept, logLoss, devianceRatio, dualityGap, kktResidual,
    iterations, converged, coef:<feature name> ...

``logLoss`` is the weighted mean training log-loss (the deviance divided by ``2W``),
``devianceRatio`` glmnet's ``dev.ratio`` (``1 − logLoss / logLoss of the null model``),
``dualityGap`` the certified gap on the logistic objective, ``iterations`` the outer iterations
(data passes) that regParam took. CV DataFrame (``LogisticCVTable.to_pandas``)::

    regParam, nonzeros, <m>Mean, <m>StdErr, <m>Fold0 … <m>Fold{K-1}   for each metric m

with ``m`` in ``deviance`` (cv.glmnet's: ``−2`` mean held-out log-likelihood, probabilities
clipped to ``[1e-5, 1 − 1e-5]``), ``misclassification`` (held-out weighted error rate at the
model's threshold) and, when the CV metric is ``auc``, ``auc`` (from held-out score histograms,
with ``aucBound`` bounding the histogram's error per fold in ``aucBoundFold<k>``). A validation
split has ``<m>Validation`` instead of the fold columns and NaN standard errors.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import pandas as pd

from lasso_spark.ml.tables import COEF_PREFIX

logger = logging.getLogger(__name__)

__all__ = ["CV_METRICS", "LogisticCVTable", "LogisticPathTable", "MultinomialPathTable"]

#: CV metrics (glmnet's type.measure names) and whether larger is better
CV_METRICS = {"deviance": False, "misclassification": False, "auc": True}


def _arr(x: Any, dtype: Any = np.float64) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(x, dtype=dtype))


@dataclass(frozen=True)
class _PathColumns:
    """The columns both families' path tables share: one value per regParam, except ``coef``
    and ``intercepts``, whose shapes each family's ``__post_init__`` checks."""

    reg_params: np.ndarray
    coef: np.ndarray
    intercepts: np.ndarray
    log_loss: np.ndarray
    dev_ratio: np.ndarray
    duality_gaps: np.ndarray
    kkt_residuals: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray
    elastic_net_param: float = 1.0

    def _check_per_row(self, m: int, shaped: tuple[str, ...]) -> None:
        for f in dataclasses.fields(self):
            if f.name in shaped or f.name == "elastic_net_param":
                continue
            dtype = {"iterations": np.int64, "converged": bool}.get(f.name, np.float64)
            value = _arr(getattr(self, f.name), dtype).reshape(-1)
            if value.shape != (m,):
                raise ValueError(f"path field {f.name} has shape {value.shape}, expected ({m},)")
            object.__setattr__(self, f.name, value)

    @classmethod
    def from_path(cls, path: Any, elastic_net_param: float,
                  rows: np.ndarray | None = None) -> Self:
        """From the core's ``LogisticPath`` or ``MultinomialPath`` (optionally some rows)."""
        idx = np.arange(path.n_reg_params) if rows is None else np.asarray(rows)
        return cls(path.reg_params[idx], path.coef[idx], path.intercept[idx],
                   path.log_loss[idx], path.dev_ratio[idx], path.duality_gap[idx],
                   path.kkt_residual[idx], path.n_iter[idx], path.converged[idx],
                   float(elastic_net_param))

    def rows(self, idx: np.ndarray) -> Self:
        """The table restricted to rows ``idx``."""
        return type(self)(
            self.reg_params[idx], self.coef[idx], self.intercepts[idx], self.log_loss[idx],
            self.dev_ratio[idx], self.duality_gaps[idx], self.kkt_residuals[idx],
            self.iterations[idx], self.converged[idx], self.elastic_net_param)

    @property
    def elastic_net_params(self) -> np.ndarray:
        return np.full(self.n_rows, self.elastic_net_param)

    @property
    def n_rows(self) -> int:
        return int(self.coef.shape[0])

    def _head_frame(self, **after_nonzeros: Any) -> pd.DataFrame:
        """The per-regParam columns of ``to_pandas``: regParam, nonzeros, ``after_nonzeros``,
        then the fit's diagnostics."""
        return pd.DataFrame({
            "regParam": self.reg_params,
            "nonzeros": self.nonzeros,  # type: ignore[attr-defined]
            **after_nonzeros,
            "logLoss": self.log_loss,
            "devianceRatio": self.dev_ratio,
            "dualityGap": self.duality_gaps,
            "kktResidual": self.kkt_residuals,
            "iterations": self.iterations,
            "converged": self.converged,
        })


@dataclass(frozen=True)
class LogisticPathTable(_PathColumns):
    """A logistic regularization path (see the module docstring); ``coef`` (m, p) on the
    original feature scale."""

    def __post_init__(self) -> None:
        coef = np.atleast_2d(_arr(self.coef))
        object.__setattr__(self, "coef", coef)
        self._check_per_row(coef.shape[0], ("coef",))

    @property
    def n_features(self) -> int:
        return int(self.coef.shape[1])

    @property
    def nonzeros(self) -> np.ndarray:
        return np.count_nonzero(self.coef, axis=1)

    def to_pandas(self, feature_names: Sequence[str]) -> pd.DataFrame:
        head = self._head_frame(intercept=self.intercepts)
        coefs = pd.DataFrame(self.coef, columns=[COEF_PREFIX + n for n in feature_names])
        return pd.concat([head, coefs], axis=1)

    ROW_SCHEMA = (
        "idx INT, regParam DOUBLE, intercept DOUBLE, logLoss DOUBLE, devianceRatio DOUBLE, "
        "dualityGap DOUBLE, kktResidual DOUBLE, iterations BIGINT, converged BOOLEAN, "
        "coefficients ARRAY<DOUBLE>"
    )

    def to_rows(self) -> list[tuple]:
        return [
            (i, float(self.reg_params[i]), float(self.intercepts[i]), float(self.log_loss[i]),
             float(self.dev_ratio[i]), float(self.duality_gaps[i]),
             float(self.kkt_residuals[i]), int(self.iterations[i]), bool(self.converged[i]),
             self.coef[i].tolist())
            for i in range(self.n_rows)
        ]

    @classmethod
    def from_rows(cls, rows: Sequence[Any], n_features: int,
                  elastic_net_param: float) -> LogisticPathTable:
        rows = sorted(rows, key=lambda r: r[0])
        coef = np.array([r[9] for r in rows], dtype=np.float64).reshape(len(rows), n_features)
        cols = list(zip(*[r[1:9] for r in rows])) if rows else [[]] * 8
        return cls(cols[0], coef, cols[1], cols[2], cols[3], cols[4], cols[5], cols[6],
                   cols[7], float(elastic_net_param))


@dataclass(frozen=True)
class MultinomialPathTable(_PathColumns):
    """A multinomial regularization path: ``coef`` (m, K, p) on the original feature scale and
    ``intercepts`` (m, K), as :class:`lasso_spark.core.multinomial_path.MultinomialPath` reports
    them (centered as MLlib's); the other arrays as :class:`LogisticPathTable`'s. Its DataFrame
    (``to_pandas``), one row per regParam (decreasing)::

        regParam, nonzeros, logLoss, devianceRatio, dualityGap, kktResidual, iterations,
        converged, intercept:<k> (k = 0 … K−1), coef:<feature>:<k> (feature-major)

    with ``nonzeros`` the features whose coefficient is non-zero in at least one class."""

    def __post_init__(self) -> None:
        coef = _arr(self.coef)
        if coef.ndim != 3:
            raise ValueError(f"multinomial path coef must be (m, K, p), got {coef.shape}")
        m, K, _ = coef.shape
        object.__setattr__(self, "coef", coef)
        icpt = _arr(self.intercepts).reshape(m, K)
        object.__setattr__(self, "intercepts", icpt)
        self._check_per_row(m, ("coef", "intercepts"))

    @property
    def n_classes(self) -> int:
        return int(self.coef.shape[1])

    @property
    def n_features(self) -> int:
        return int(self.coef.shape[2])

    @property
    def nonzeros(self) -> np.ndarray:
        """Features non-zero in at least one class, per row."""
        return np.count_nonzero(np.any(self.coef != 0.0, axis=1), axis=1)

    def to_pandas(self, feature_names: Sequence[str]) -> pd.DataFrame:
        K = self.n_classes
        head = self._head_frame()
        icpt = pd.DataFrame(self.intercepts, columns=[f"intercept:{k}" for k in range(K)])
        names = [f"{COEF_PREFIX}{n}:{k}" for n in feature_names for k in range(K)]
        coefs = pd.DataFrame(self.coef.transpose(0, 2, 1).reshape(self.n_rows, -1),
                             columns=names)
        return pd.concat([head, icpt, coefs], axis=1)

    ROW_SCHEMA = (
        "idx INT, regParam DOUBLE, logLoss DOUBLE, devianceRatio DOUBLE, dualityGap DOUBLE, "
        "kktResidual DOUBLE, iterations BIGINT, converged BOOLEAN, intercepts ARRAY<DOUBLE>, "
        "coefficients ARRAY<DOUBLE>"
    )

    def to_rows(self) -> list[tuple]:
        """One row per regParam; ``coefficients`` the K × p matrix row-major (class-major)."""
        return [
            (i, float(self.reg_params[i]), float(self.log_loss[i]), float(self.dev_ratio[i]),
             float(self.duality_gaps[i]), float(self.kkt_residuals[i]),
             int(self.iterations[i]), bool(self.converged[i]), self.intercepts[i].tolist(),
             self.coef[i].ravel().tolist())
            for i in range(self.n_rows)
        ]

    @classmethod
    def from_rows(cls, rows: Sequence[Any], n_classes: int, n_features: int,
                  elastic_net_param: float) -> MultinomialPathTable:
        rows = sorted(rows, key=lambda r: r[0])
        m = len(rows)
        coef = np.array([r[9] for r in rows], dtype=np.float64).reshape(m, n_classes, n_features)
        icpt = np.array([r[8] for r in rows], dtype=np.float64).reshape(m, n_classes)
        cols = list(zip(*[r[1:8] for r in rows])) if rows else [[]] * 7
        return cls(cols[0], coef, icpt, cols[1], cols[2], cols[3], cols[4], cols[5], cols[6],
                   float(elastic_net_param))


@dataclass(frozen=True)
class LogisticCVTable:
    """CV results per regParam: ``folds[metric]`` is (m, K) (K = 1 for a validation split),
    ``mean``/``se`` per metric; ``index_min`` / ``index_1se`` for ``metric``."""

    reg_params: np.ndarray
    nonzeros: np.ndarray
    folds: dict[str, np.ndarray]
    mean: dict[str, np.ndarray]
    se: dict[str, np.ndarray]
    metric: str
    index_min: int
    index_1se: int
    selection_rule: str = "min"
    validation: bool = False
    auc_bound: np.ndarray | None = None  # (m, K) when the AUC was computed
    elastic_net_param: float = 1.0

    def __post_init__(self) -> None:
        if self.metric not in CV_METRICS:
            raise ValueError(f"metric must be one of {list(CV_METRICS)}, got {self.metric!r}")
        if self.metric not in self.folds:
            raise ValueError(f"the CV table has no {self.metric!r} values")
        m = _arr(self.reg_params).shape[0]
        for name in ("index_min", "index_1se"):
            if not 0 <= int(getattr(self, name)) < m:
                raise ValueError(f"{name} outside the {m} CV rows")

    @property
    def n_folds(self) -> int:
        return int(self.folds[self.metric].shape[1])

    @property
    def elastic_net_params(self) -> np.ndarray:
        return np.full(len(self.reg_params), self.elastic_net_param)

    @property
    def index_chosen(self) -> int:
        return self.index_min if self.selection_rule == "min" else self.index_1se

    def to_pandas(self) -> pd.DataFrame:
        out = pd.DataFrame({"regParam": self.reg_params, "nonzeros": self.nonzeros})
        for name in CV_METRICS:
            if name not in self.folds:
                continue
            out[f"{name}Mean"] = self.mean[name]
            out[f"{name}StdErr"] = self.se[name]
            F = self.folds[name]
            if self.validation:
                out[f"{name}Validation"] = F[:, 0]
            else:
                for k in range(F.shape[1]):
                    out[f"{name}Fold{k}"] = F[:, k]
        if self.auc_bound is not None:
            for k in range(self.auc_bound.shape[1]):
                out[f"aucBoundFold{k}"] = self.auc_bound[:, k]
        return out

    ROW_SCHEMA = "idx INT, regParam DOUBLE, nonzeros BIGINT, metric STRING, values ARRAY<DOUBLE>"

    def to_rows(self) -> list[tuple]:
        rows = []
        items = dict(self.folds)
        if self.auc_bound is not None:
            items["aucBound"] = self.auc_bound
        for name, F in items.items():
            for i in range(F.shape[0]):
                rows.append((i, float(self.reg_params[i]), int(self.nonzeros[i]), name,
                             F[i].tolist()))
        return rows

    def meta(self) -> dict[str, Any]:
        return {"metric": self.metric, "indexMin": self.index_min, "index1se": self.index_1se,
                "selectionRule": self.selection_rule, "validation": self.validation,
                "numFolds": self.n_folds, "elasticNetParam": self.elastic_net_param}

    @classmethod
    def from_rows(cls, rows: Sequence[Any], meta: Mapping[str, Any]) -> LogisticCVTable:
        by: dict[str, list] = {}
        for r in rows:
            by.setdefault(r[3], []).append(r)
        first = sorted(by[meta["metric"]], key=lambda r: r[0])
        folds = {name: np.array([r[4] for r in sorted(v, key=lambda r: r[0])], dtype=float)
                 for name, v in by.items()}
        bound = folds.pop("aucBound", None)
        table = cv_table(
            np.array([r[1] for r in first]), np.array([r[2] for r in first], dtype=np.int64),
            folds, str(meta["metric"]), str(meta["selectionRule"]), bool(meta["validation"]),
            bound,
        )
        table = dataclasses.replace(table, elastic_net_param=float(meta["elasticNetParam"]))
        if (table.index_min, table.index_1se) != (int(meta["indexMin"]), int(meta["index1se"])):
            logger.warning("stored CV choice differs from the recomputed one; keeping the stored")
            table = dataclasses.replace(table, index_min=int(meta["indexMin"]),
                                        index_1se=int(meta["index1se"]))
        return table


def cv_table(
    reg_params: np.ndarray,
    nonzeros: np.ndarray,
    folds: Mapping[str, np.ndarray],
    metric: str,
    selection_rule: str,
    validation: bool,
    auc_bound: np.ndarray | None = None,
) -> LogisticCVTable:
    """Means, standard errors and the min / 1se choice (core ``select_alphas``: glmnet's rule,
    unweighted mean over folds; the AUC is maximized) from per-fold metrics ``(m, K)``."""
    from lasso_spark.core.cv import select_alphas

    mean, se, choice = {}, {}, {}
    for name, F in folds.items():
        sign = -1.0 if CV_METRICS[name] else 1.0  # select_alphas minimizes
        values = sign * np.asarray(F, dtype=np.float64)
        mu, sd, i_min, i_1se = select_alphas(np.where(np.isfinite(values), values, np.inf).T)
        mean[name], se[name] = sign * mu, sd
        if validation:
            mean[name], se[name], i_1se = values[:, 0] * sign, np.full(F.shape[0], np.nan), i_min
        choice[name] = (i_min, i_1se)
    i_min, i_1se = choice[metric]
    return LogisticCVTable(np.asarray(reg_params, dtype=float), nonzeros, dict(folds), mean, se,
                           metric, i_min, i_1se, selection_rule, validation, auc_bound)
