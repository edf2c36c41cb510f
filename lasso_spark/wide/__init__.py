"""Wide-data mode (issue 8): paths and CV beyond the reach of a full Gram.

One pass gives per-feature statistics and ``Xᵀy``; the strong rule picks working sets; Gram
blocks are computed only for them and ``Xᵀr`` passes over all features certify every solution.
"""

from lasso_spark.wide.diag import DiagStats, merge_diag
from lasso_spark.wide.passes import PassLog
from lasso_spark.wide.path import WidePathResult, wide_enet_path

__all__ = ["DiagStats", "PassLog", "WidePathResult", "merge_diag", "wide_enet_path"]
