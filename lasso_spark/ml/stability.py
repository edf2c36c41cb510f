"""Stability selection results of a ``LassoCV`` fit: the probabilities along the grid and reports.

``LassoCV(numSubsamples=N)`` computes, from its one statistics pass, the selection probability
of every feature at every regParam of the chosen elasticNetParam's grid over ``2N`` half-samples
(complementary pairs of halves of the row buckets; :mod:`lasso_spark.core.stability` has the
mathematics). The fitted :class:`~lasso_spark.ml.LassoModel` carries them as a
:class:`StabilityTable`; :meth:`StabilityTable.report` gives the stable set at a threshold and a
regParam with Meinshausen–Bühlmann's bound on the expected number of false selections.

Pandas columns of :meth:`StabilityTable.to_pandas` (``LassoModel.stabilityPath``), one row per
regParam (decreasing, as fitted)::

    elasticNetParam, regParam, meanSelected, prob:<feature> ...

and of :attr:`StabilityReport.table` (``LassoModel.stabilitySelection().table``), one row per
feature, most probable first::

    feature, selectionProbability, maxProbability, stable

No Spark here; persistence rows follow the same plain-data habits as :mod:`lasso_spark.ml.tables`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lasso_spark.core.stability import stable_set

logger = logging.getLogger(__name__)

__all__ = ["PROB_PREFIX", "StabilityReport", "StabilityTable"]

PROB_PREFIX = "prob:"


@dataclass(frozen=True)
class StabilityReport:
    """The stable set at one ``threshold`` and one regParam of the grid, with
    ``q`` (the mean number of features a half-sample selects there) and Meinshausen–Bühlmann's
    bound ``q² / ((2·threshold − 1)·p)`` on the expected number of falsely selected features."""

    threshold: float
    regParam: float
    elasticNetParam: float
    stableFeatures: list[str]
    q: float
    expectedFalseSelectionsBound: float
    numSubsamples: int
    numHalfSamples: int
    numBuckets: int
    numFeatures: int
    table: pd.DataFrame

    def asDict(self) -> dict[str, Any]:
        """JSON-able (the per-feature table as ``{feature: probability}``)."""
        return {
            "threshold": self.threshold,
            "regParam": self.regParam,
            "elasticNetParam": self.elasticNetParam,
            "stableFeatures": list(self.stableFeatures),
            "q": self.q,
            "expectedFalseSelectionsBound": self.expectedFalseSelectionsBound,
            "numSubsamples": self.numSubsamples,
            "numHalfSamples": self.numHalfSamples,
            "numBuckets": self.numBuckets,
            "numFeatures": self.numFeatures,
            "selectionProbabilities": {
                str(f): float(v) for f, v in zip(self.table["feature"],
                                                 self.table["selectionProbability"])
            },
        }

    def __repr__(self) -> str:
        return (f"StabilityReport({len(self.stableFeatures)} stable of {self.numFeatures} at "
                f"threshold {self.threshold:g}, regParam {self.regParam:.6g}: "
                f"{self.stableFeatures[:10]}{'...' if len(self.stableFeatures) > 10 else ''}; "
                f"q = {self.q:.3g}, E[false selections] <= "
                f"{self.expectedFalseSelectionsBound:.3g})")


@dataclass(frozen=True)
class StabilityTable:
    """Selection probabilities ``(m, p)`` over ``2 · num_pairs`` half-samples at the regParams
    ``reg_params`` (decreasing) of one ``elastic_net_param``; ``threshold`` and ``reg_param``
    are the defaults of :meth:`report` (the fit's ``stabilityThreshold`` and the model's
    regParam); ``converged``: every half path reached the duality-gap target."""

    reg_params: np.ndarray
    probabilities: np.ndarray
    elastic_net_param: float
    num_pairs: int
    num_buckets: int
    threshold: float
    reg_param: float
    seed: int = 0
    converged: bool = True

    def __post_init__(self) -> None:
        regs = np.ascontiguousarray(np.asarray(self.reg_params, dtype=np.float64).reshape(-1))
        prob = np.ascontiguousarray(np.atleast_2d(np.asarray(self.probabilities,
                                                             dtype=np.float64)))
        if prob.shape[0] != regs.shape[0]:
            raise ValueError(f"probabilities have {prob.shape[0]} rows for {regs.shape[0]} "
                             "regParams")
        if np.any((prob < 0.0) | (prob > 1.0)):
            raise ValueError("selection probabilities must lie in [0, 1]")
        object.__setattr__(self, "reg_params", regs)
        object.__setattr__(self, "probabilities", prob)

    @property
    def n_features(self) -> int:
        return int(self.probabilities.shape[1])

    @property
    def n_halves(self) -> int:
        return 2 * int(self.num_pairs)

    @property
    def mean_selected(self) -> np.ndarray:
        """``(m,)``: the mean number of features a half-sample selects at each regParam."""
        return self.probabilities.sum(axis=1)

    def index_of(self, reg_param: float | None = None) -> int:
        """The grid row of ``reg_param`` (default: the model's); off the grid, the nearest
        grid point on the log scale (the report names the regParam it used)."""
        r = self.reg_param if reg_param is None else float(reg_param)
        if not (np.isfinite(r) and r > 0.0):
            raise ValueError(f"regParam must be a positive number, got {r}")
        return int(np.argmin(np.abs(np.log(self.reg_params) - np.log(r))))

    def report(self, feature_names: Sequence[str], threshold: float | None = None,
               reg_param: float | None = None) -> StabilityReport:
        """The stable set at ``threshold`` (default the fit's) and ``reg_param`` (default the
        model's; see :meth:`index_of`), with ``q`` and the bound
        (:func:`lasso_spark.core.stability.stable_set`)."""
        names = list(feature_names)
        if len(names) != self.n_features:
            raise ValueError(f"{len(names)} feature names for {self.n_features} features")
        thr = self.threshold if threshold is None else float(threshold)
        i = self.index_of(reg_param)
        prob = self.probabilities[i]
        stable, q, bound = stable_set(prob, thr)
        order = np.lexsort((np.arange(prob.shape[0]), -prob))
        is_stable = np.zeros(prob.shape[0], dtype=bool)
        is_stable[stable] = True
        table = pd.DataFrame({
            "feature": [names[j] for j in order],
            "selectionProbability": prob[order],
            "maxProbability": self.probabilities.max(axis=0)[order],
            "stable": is_stable[order],
        })
        return StabilityReport(
            threshold=thr, regParam=float(self.reg_params[i]),
            elasticNetParam=float(self.elastic_net_param),
            stableFeatures=[names[j] for j in order if is_stable[j]], q=q,
            expectedFalseSelectionsBound=bound, numSubsamples=int(self.num_pairs),
            numHalfSamples=self.n_halves, numBuckets=int(self.num_buckets),
            numFeatures=self.n_features, table=table,
        )

    def to_pandas(self, feature_names: Sequence[str]) -> pd.DataFrame:
        head = pd.DataFrame({
            "elasticNetParam": np.full(self.reg_params.shape[0], self.elastic_net_param),
            "regParam": self.reg_params,
            "meanSelected": self.mean_selected,
        })
        probs = pd.DataFrame(self.probabilities,
                             columns=[PROB_PREFIX + n for n in feature_names])
        return pd.concat([head, probs], axis=1)

    # ------------------------------------------------------------------ persistence
    ROW_SCHEMA = "idx INT, regParam DOUBLE, probabilities ARRAY<DOUBLE>"

    def to_rows(self) -> list[tuple]:
        return [(i, float(self.reg_params[i]), self.probabilities[i].tolist())
                for i in range(self.reg_params.shape[0])]

    def meta(self) -> dict[str, Any]:
        return {"elasticNetParam": float(self.elastic_net_param),
                "numSubsamples": int(self.num_pairs), "numBuckets": int(self.num_buckets),
                "threshold": float(self.threshold), "regParam": float(self.reg_param),
                "seed": int(self.seed), "converged": bool(self.converged)}

    META_KEYS = ("elasticNetParam", "numSubsamples", "numBuckets", "threshold", "regParam")

    @classmethod
    def from_rows(cls, rows: Sequence[Any], meta: Mapping[str, Any], n_features: int
                  ) -> StabilityTable:
        """The table of :meth:`to_rows` and :meth:`meta`; ``ValueError`` naming what does not
        fit (a missing key, row indices, a row's length, a non-finite value)."""
        if not isinstance(meta, Mapping):
            raise ValueError("stability metadata is not an object")
        missing = [k for k in cls.META_KEYS if k not in meta]
        if missing:
            raise ValueError(f"stability metadata lacks {missing}")
        rows = sorted(rows, key=lambda r: r[0])
        if not rows or [r[0] for r in rows] != list(range(len(rows))):
            raise ValueError(f"stability rows have indices {[r[0] for r in rows][:5]}..., "
                             f"expected 0..m-1 (m >= 1)")
        bad = [r[0] for r in rows if r[2] is None or len(r[2]) != n_features]
        if bad:
            raise ValueError(f"stability rows {bad[:3]} do not hold {n_features} probabilities")
        prob = np.array([[np.nan if v is None else v for v in r[2]] for r in rows],
                        dtype=np.float64).reshape(len(rows), n_features)
        regs = np.array([np.nan if r[1] is None else r[1] for r in rows], dtype=np.float64)
        if not (np.isfinite(prob).all() and np.isfinite(regs).all() and (regs > 0).all()):
            raise ValueError("stability rows hold non-finite probabilities or regParams")
        return cls(
            reg_params=regs, probabilities=prob,
            elastic_net_param=float(meta["elasticNetParam"]),
            num_pairs=int(meta["numSubsamples"]), num_buckets=int(meta["numBuckets"]),
            threshold=float(meta["threshold"]), reg_param=float(meta["regParam"]),
            seed=int(meta.get("seed", 0)), converged=bool(meta.get("converged", True)),
        )
