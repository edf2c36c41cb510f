"""Import hygiene: the statistics path never loads the solver's numba kernels, core never Spark."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

import lasso_spark.core as core


def run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_statistics_kernel_does_not_load_numba():
    assert run("import sys; import lasso_spark.spark.batch; print('numba' in sys.modules)") == (
        "False")


def test_logistic_pass_kernel_loads_neither_numba_nor_pyspark():
    code = ("import sys; import lasso_spark.core.binomial; "
            "print('numba' in sys.modules, 'pyspark' in sys.modules)")
    assert run(code) == "False False"


def test_core_does_not_load_pyspark():
    code = ("import sys; import lasso_spark.core as c; c.enet_path; c.cv_path; "
            "c.adaptive_penalty_factors; print('pyspark' in sys.modules)")
    assert run(code) == "False"


def test_solver_names_resolve_lazily_and_are_listed():
    assert core.enet_path.__module__ == "lasso_spark.core.path"
    assert core.CVResult.__module__ == "lasso_spark.core.cv"
    assert set(core.__all__) <= set(dir(core))
    assert set(core.__all__) == {"SuffStats", "merge_all", *core._LAZY}
    # numba (≈1 s to import) loads only when a fit runs a coordinate-descent kernel: the default
    # Newton solver on a problem that needs no fallback never loads it.
    out = run("import sys; from lasso_spark.core import enet_path; print('numba' in sys.modules)")
    assert out == "False"


def test_newton_fit_without_fallback_loads_no_numba():
    code = (
        "import sys, numpy as np\n"
        "from lasso_spark.core import SuffStats, enet_path\n"
        "rng = np.random.default_rng(0)\n"
        "X = rng.standard_normal((400, 20))\n"
        "y = X[:, :3] @ [2.0, -1.0, 0.5] + rng.standard_normal(400)\n"
        "res = enet_path(SuffStats.from_arrays(X, y), n_alphas=30)\n"
        "print(res.diagnostics.fallback_alphas, 'numba' in sys.modules)\n")
    assert run(code) == "0 False"


def test_statistics_pass_body_does_not_import_pandas(tmp_path):
    """pyarrow's ``to_numpy`` imports pandas (0.27 s in each new Python worker): the pass reads
    its columns from the Arrow buffers instead (``lasso_spark.spark.arrow_values``)."""
    import pyarrow as pa

    rng = np.random.default_rng(0)
    rows = rng.standard_normal((50, 4))
    values = pa.array(rows.ravel())
    packed = pa.ListArray.from_arrays(pa.array(np.arange(0, rows.size + 1, 4, dtype=np.int32)),
                                      values)
    batch = pa.RecordBatch.from_arrays([packed], names=["v"])
    path = tmp_path / "batch.arrow"
    with pa.OSFile(str(path), "wb") as fh, pa.ipc.new_stream(fh, batch.schema) as writer:
        writer.write_batch(batch)
    code = (
        "import sys, pyarrow as pa\n"
        "from lasso_spark.spark.batch import BatchLayout, partition_stats\n"
        f"reader = pa.ipc.open_stream(pa.OSFile({str(path)!r}))\n"
        "layout = BatchLayout(n_features=3, feature_columns=('a', 'b', 'c'), label_column='y',"
        " num_folds=2, seed=1)\n"
        "out = list(partition_stats(iter(reader), layout=layout))\n"
        "print(len(out) > 0, 'pandas' in sys.modules)\n")
    assert run(code) == "True False"
