"""Cluster tier: one ``local-cluster[2,1,1024]`` run per test session, in a subprocess.

A process holds one SparkContext and the test run already has the ``local[2]`` one, so the
cluster scenarios (``scenario.py``) run in a child process on Parquet data written here; the
tests compare its saved results with ``local[2]`` and with the core on the collected rows.

``LASSO_SPARK_CLUSTER_MEMORY_ROWS`` sets the size of the memory-bound scenario (default
3,000,000 rows x 50 features ≈ 1.2 GB of doubles; 0 skips it). ``LASSO_SPARK_CLUSTER_RESULTS``
names the output directory of an earlier ``scenario.py`` run to check instead of starting one
(development aid; the data are regenerated identically from their seed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import REPO_ROOT, spark_env

SCENARIO = Path(__file__).with_name("scenario.py")
N_ROWS, N_FILES = 24_000, 6
TIMEOUT_S = 1800


def write_data(path: Path, seed: int = 5) -> dict[str, np.ndarray]:
    """Weighted regression data with hard numerics (feature means 1e4, scales 1e-2…1e2) as
    ``N_FILES`` Parquet files; returns the arrays."""
    from tests.cluster.scenario import FEATURES, LABEL, WEIGHT

    rng = np.random.default_rng(seed)
    p = len(FEATURES)
    scale = np.geomspace(1e-2, 1e2, p)
    X = 1e4 + rng.standard_normal((N_ROWS, p)) @ np.linalg.cholesky(
        0.4 + 0.6 * np.eye(p)
    ).T * scale
    beta = np.where(np.arange(p) % 3 == 0, rng.uniform(0.5, 2.0, p), 0.0) / scale
    w = rng.uniform(0.2, 3.0, N_ROWS)
    y = 3.0 + (X - 1e4) @ beta + rng.standard_normal(N_ROWS) / np.sqrt(w)
    path.mkdir(parents=True)
    for i, idx in enumerate(np.array_split(np.arange(N_ROWS), N_FILES)):
        cols = {name: X[idx, j] for j, name in enumerate(FEATURES)}
        cols[LABEL], cols[WEIGHT] = y[idx], w[idx]
        pq.write_table(pa.table(cols), path / f"part-{i:05d}.parquet", row_group_size=2000)
    return {"X": X, "y": y, "w": w}


def _memory_rows() -> int:
    return int(os.environ.get("LASSO_SPARK_CLUSTER_MEMORY_ROWS", "3000000"))


@pytest.fixture(scope="session")
def cluster_data(tmp_path_factory) -> tuple[Path, dict[str, np.ndarray]]:
    path = tmp_path_factory.mktemp("cluster") / "data.parquet"
    return path, write_data(path)


@pytest.fixture(scope="session")
def cluster_run(cluster_data, tmp_path_factory) -> tuple[Path, dict]:
    """Run every scenario once on the local-cluster; ``(output dir, results.json)``."""
    spark_env()
    data, _ = cluster_data
    reuse = os.environ.get("LASSO_SPARK_CLUSTER_RESULTS")
    if reuse:
        return Path(reuse), json.loads((Path(reuse) / "results.json").read_text())
    out = tmp_path_factory.mktemp("cluster-out")
    cmd = [sys.executable, str(SCENARIO), "--data", str(data), "--out", str(out),
           "--memory-rows", str(_memory_rows())]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=TIMEOUT_S, env=dict(os.environ))
    results_file = out / "results.json"
    if proc.returncode != 0 or not results_file.exists():
        pytest.fail(f"cluster scenario failed (exit {proc.returncode}):\n"
                    f"{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}")
    return out, json.loads(results_file.read_text())
