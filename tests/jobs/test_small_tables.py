"""The fit job's small tables (coefficients, path, cv, stability) are written without a Spark
job, in Spark's layout, inside the staging directory; Spark reads back the same schema and rows
as ``createDataFrame(pdf)`` of the same table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytestmark = [pytest.mark.spark, pytest.mark.jobs]


def _table() -> pd.DataFrame:
    return pd.DataFrame({
        "feature": ["x0", "x1", "coef:x2"],
        "coefficient": [0.5, 0.0, -1.25],
        "nonzeros": np.array([1, 0, 3], dtype=np.int64),
        "converged": [True, False, True],
        "mseFold0": [np.nan, 1.0, 2.0],
    })


def test_small_table_reads_back_as_spark_wrote_it(spark, tmp_path):
    from lasso_spark.jobs_lib.fit import _write_table
    from lasso_spark.jobs_lib.staging import LocalFS, StagedOutput
    from lasso_spark.spark.hadoop import TABLE_PART

    pdf = _table()
    final = tmp_path / "out"
    tracker = spark.sparkContext.statusTracker()
    before = set(tracker.getJobIdsForGroup(None))
    with StagedOutput(LocalFS(), str(final), "error") as staged:
        _write_table(staged, "t.parquet", pdf)
        assert not final.exists()  # staged, not published
        assert (tmp_path / staged.staging.rsplit("/", 1)[-1] / "t.parquet" / TABLE_PART).exists()
        staged.write_success()
        staged.commit()
    assert set(tracker.getJobIdsForGroup(None)) == before  # no Spark job wrote it
    assert sorted(p.name for p in (final / "t.parquet").iterdir()) == ["_SUCCESS", TABLE_PART]
    back = spark.read.parquet(str(final / "t.parquet"))
    assert back.schema == spark.createDataFrame(pdf).schema
    pd.testing.assert_frame_equal(back.toPandas(), pdf, check_exact=True)
    pd.testing.assert_frame_equal(pd.read_parquet(final / "t.parquet"), pdf, check_exact=True)
