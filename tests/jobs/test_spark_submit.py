"""The README's cluster route: ``spark-submit jobs/fit.py`` with the package shipped by --py-files.

Runs from a scratch directory with PYTHONPATH cleared, so the only lasso_spark the driver and the
executors can import is the zip handed to spark-submit.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from lasso_spark.datagen import generate

pytestmark = [pytest.mark.jobs, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def spark_submit() -> str:
    exe = Path(sys.executable).with_name("spark-submit")
    if not exe.exists():
        import pyspark

        exe = Path(pyspark.__file__).with_name("bin") / "spark-submit"
    return str(exe)


def zip_package(target: Path) -> None:
    with zipfile.ZipFile(target, "w") as zf:
        for path in (ROOT / "lasso_spark").rglob("*.py"):
            zf.write(path, path.relative_to(ROOT).as_posix())


def test_fit_job_under_spark_submit_with_py_files(spark, tmp_path):
    generate(spark, 2000, 5, n_informative=2, seed=4, num_partitions=2).write.parquet(
        str(tmp_path / "data.parquet"))
    zip_package(tmp_path / "lasso_spark.zip")
    shutil.copytree(ROOT / "jobs", tmp_path / "jobs")
    (tmp_path / "fit.toml").write_text(
        f'[input]\npath = "{tmp_path}/data.parquet"\n[columns]\nlabel = "y"\nid = ["id"]\n'
        f'[model]\nkind = "lasso_cv"\nnumFolds = 3\nnumRegParams = 15\nseed = 2\n'
        f'[output]\npath = "{tmp_path}/out"\nplots = false\n')
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(SPARK_LOCAL_IP="127.0.0.1", PYSPARK_PYTHON=sys.executable,
               PYSPARK_DRIVER_PYTHON=sys.executable)
    proc = subprocess.run(
        [spark_submit(), "--master", "local[2]",
         "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
         "--conf", "spark.ui.enabled=false",
         "--py-files", "lasso_spark.zip", "jobs/fit.py", "--config", "fit.toml"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    # the job imported the shipped zip, not this checkout
    log = proc.stdout + proc.stderr
    assert f"lasso_spark 0.1.0 from {tmp_path}" in log, log[-3000:]
    assert "lasso_spark.zip" in log.split("lasso_spark 0.1.0 from", 1)[1].splitlines()[0]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["kind"] == "lasso_cv" and summary["rows"]["used"] == 2000
    coef = spark.read.parquet(str(tmp_path / "out" / "coefficients.parquet")).toPandas()
    assert np.isclose(summary["nonZeros"], int((coef["coefficient"] != 0).sum()))
