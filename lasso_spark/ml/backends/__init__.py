"""Backends: one :class:`FitRequest` in, one :class:`FitOutcome` (path table, CV table) out.

``Lasso`` and ``LassoCV`` build a request from their Params
(:func:`~lasso_spark.ml.backends.request.request_from_params`) and hand it to the backend
:func:`choose_backend` picks:

* :mod:`.gram` — one statistics pass, every path solved on the ``p × p`` Gram (the default up to
  ``WIDE_AUTO_MIN_FEATURES`` features);
* :mod:`.wide` — per-feature statistics, Gram blocks of working sets and ``Xᵀr`` passes over all
  features (for many features);
* :mod:`.logistic` — the binomial family (``FitRequest.family == "binomial"``): a statistics
  pass, then one pass per proximal-Newton iteration for every model in flight.

A new family or solver plugs in here as another module with the same
``fit(dataset, request) -> FitOutcome`` function. Backends import Spark only inside their
passes; the shared planning steps are :mod:`.plan`.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from lasso_spark.ml.backends.outcome import FitOutcome
from lasso_spark.ml.backends.request import FitRequest, request_from_params

logger = logging.getLogger(__name__)

__all__ = [
    "WIDE_AUTO_MIN_FEATURES",
    "Backend",
    "FitOutcome",
    "FitRequest",
    "choose_backend",
    "request_from_params",
]

#: ``solverMode="auto"`` switches to wide mode above this many features (MLlib's cap for its
#: normal-equation solver; a Gram of 4096² doubles is 134 MB per fold).
WIDE_AUTO_MIN_FEATURES = 4096


@dataclass(frozen=True)
class Backend:
    """The backend chosen for one request: the module ``lasso_spark.ml.backends.<name>`` and
    what is known of the input (``num_features``, 0 = resolved by the backend)."""

    name: str
    num_features: int = 0

    @property
    def module(self) -> ModuleType:
        return importlib.import_module(f"lasso_spark.ml.backends.{self.name}")

    @property
    def shares_pass(self) -> bool:
        """Whether requests with equal ``stats_key()`` can share one statistics pass (the
        module has ``statistics`` and ``fit_from_stats``), as ``fitMultiple`` does."""
        return hasattr(self.module, "fit_from_stats")

    def fit(self, dataset: Any, request: FitRequest) -> FitOutcome:
        return self.module.fit(dataset, request, num_features=self.num_features)


def _num_features(request: FitRequest, dataset: Any) -> int | None:
    """``p`` before any pass: ``len(inputCols)``, the vector column's ML attribute metadata,
    else a one-row probe job (as :func:`lasso_spark.compute_stats` does); None when the column
    is missing (the Gram backend reports it)."""
    from lasso_spark.spark.inputs import probe_vector_size, vector_feature_names

    if request.input.input_cols is not None:
        return len(request.input.input_cols)
    col = request.input.features_col
    try:
        field = dataset.schema[col]
    except (KeyError, LookupError):
        return None
    p, _ = vector_feature_names(field)
    return probe_vector_size(dataset, col) if p is None else p


def choose_backend(request: FitRequest, dataset: Any) -> Backend:
    """The backend of ``request.solver.mode``: ``"gram"``, ``"wide"`` or ``"auto"`` (wide above
    :data:`WIDE_AUTO_MIN_FEATURES` features); :mod:`.logistic` for ``family="binomial"``."""
    if request.family == "binomial":
        return Backend("logistic")
    if request.family == "multinomial":  # family "multinomial" or "auto" (2 classes: binomial)
        return Backend("multinomial")
    mode = request.solver.mode
    if mode == "gram":
        return Backend("gram")
    if mode == "wide":
        return Backend("wide", 0)
    p = _num_features(request, dataset)
    if p is not None and p > WIDE_AUTO_MIN_FEATURES:
        logger.info("lasso_spark: %d features > %d: wide mode", p, WIDE_AUTO_MIN_FEATURES)
        return Backend("wide", int(p))
    return Backend("gram")
