"""parallelism="auto": the fold paths run where their measured cost says, and the summary
says where they ran and how long each took."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.spark

P = 8
COLS = [f"x{j}" for j in range(P)]


@pytest.fixture(scope="module")
def frame(spark):
    rng = np.random.default_rng(4)
    n = 2000
    X = rng.normal(size=(n, 2)) @ rng.normal(size=(2, P)) + rng.normal(size=(n, P))
    pdf = pd.DataFrame(X, columns=COLS)
    pdf["label"] = X[:, :3] @ np.array([1.0, -2.0, 0.5]) + rng.normal(size=n)
    return spark.createDataFrame(pdf).repartition(2)


def _fit(frame, **kw):
    from lasso_spark import LassoCV

    return LassoCV(inputCols=COLS, labelCol="label", numFolds=3, numRegParams=20, seed=1,
                   **kw).fit(frame)


def test_auto_runs_cheap_fold_paths_on_the_driver_and_reports_them(frame):
    from lasso_spark.spark.fold_paths import AUTO_MIN_SECONDS

    s = _fit(frame).summary.extra
    assert s["foldPathsWhere"] == "driver" and s["foldPathTasks"] == 1
    # the decision's estimate is the measured full-data path: far below the threshold here
    assert s["foldPathEstimateSeconds"] == s["fullPathSeconds"] > 0.0
    # spreading 3 fits over local[2]'s 2 slots would save less than one job costs
    assert s["numFits"] * s["foldPathEstimateSeconds"] * (1 - 1 / 2) < AUTO_MIN_SECONDS
    each = s["foldPathSolveSeconds"]
    assert len(each) == s["numFits"] == 3 and all(t > 0.0 for t in each)
    assert sum(each) <= s["foldPathSeconds"] + 1e-6


def test_auto_ships_costly_fold_paths_to_tasks_whatever_p(frame, monkeypatch):
    """p = 8 is far below the size rule's AUTO_MIN_FEATURES: only the cost can send the fold
    paths to Spark tasks (here: a threshold below the measured cost)."""
    from lasso_spark.spark import fold_paths

    assert P < fold_paths.AUTO_MIN_FEATURES
    driver = _fit(frame)
    monkeypatch.setattr(fold_paths, "AUTO_MIN_SECONDS", 0.0)
    tasks = _fit(frame)
    s = tasks.summary.extra
    assert s["foldPathsWhere"] == "spark tasks" and s["foldPathTasks"] == 2  # local[2]
    assert len(s["foldPathSolveSeconds"]) == 3
    pd.testing.assert_frame_equal(driver.cvResults, tasks.cvResults, check_exact=True)
    assert driver.regParam == tasks.regParam
