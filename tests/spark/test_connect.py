"""Lasso, LassoCV, LogisticLassoCV (binomial and multinomial) and their models on Spark Connect
(fit, transform, save, overwrite, load; the multinomial fitMultiple).

Runs in a subprocess: a Connect session cannot share the test process with the classic session
fixture. Starting a local Connect server costs ~30 s; set LASSO_SPARK_SKIP_CONNECT=1 to skip it in
a quick local loop (CI runs it).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.spark, pytest.mark.slow]


@pytest.mark.skipif(os.environ.get("LASSO_SPARK_SKIP_CONNECT") == "1",
                    reason="LASSO_SPARK_SKIP_CONNECT=1")
def test_estimators_and_model_on_spark_connect():
    script = Path(__file__).with_name("connect_check.py")
    root = str(Path(__file__).resolve().parents[2])
    # SPARK_TESTING: pyspark's local Connect server binds an ephemeral port (not 15002), so
    # test runs on one machine cannot collide
    env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1", PYSPARK_PYTHON=sys.executable,
               PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]),
               SPARK_TESTING="1")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith("OK")
