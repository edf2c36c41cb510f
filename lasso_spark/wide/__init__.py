"""Wide-data mode: paths and CV beyond the reach of a full Gram.

One pass gives per-feature statistics and ``Xᵀy``; the strong rule picks working sets; Gram
blocks are computed only for them and ``Xᵀr`` passes over all features certify every solution.
This package depends on :mod:`lasso_spark.spark` (the Arrow readers) and :mod:`lasso_spark.core`,
never the reverse. Names are imported on first use, so importing it loads neither numba nor
pyspark until a wide fit runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lasso_spark.lazy import lazy_names

_LAZY = {
    "DiagStats": "diag",
    "merge_diag": "diag",
    "PassLog": "passes",
    "WidePathResult": "path",
    "wide_enet_path": "path",
}

__all__ = ["DiagStats", "PassLog", "WidePathResult", "merge_diag", "wide_enet_path"]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from lasso_spark.wide.diag import DiagStats, merge_diag
    from lasso_spark.wide.passes import PassLog
    from lasso_spark.wide.path import WidePathResult, wide_enet_path


__getattr__, __dir__ = lazy_names("lasso_spark.wide", _LAZY, globals())
