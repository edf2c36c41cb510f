"""End-to-end job tests need the estimators; ONE guard skips them until lasso_spark.ml has them."""

from __future__ import annotations

import pytest


@pytest.fixture
def estimators():
    """Skip when ``lasso_spark.ml`` has no ``LassoCV`` yet (remove this guard at merge)."""
    import lasso_spark.ml as ml

    if not hasattr(ml, "LassoCV"):
        pytest.skip("lasso_spark.ml has no LassoCV on this branch")
    return ml
