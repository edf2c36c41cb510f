"""examples/quickstart.ipynb runs top to bottom in a fresh kernel (its own local[2] session) and
computes what it says: the true support recovered, the loaded model equal to the fitted one, the
MLlib twin predicting the same values."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import nbclient  # the dev extra carries nbclient, nbformat and ipykernel
import nbformat
import pytest

pytestmark = [pytest.mark.spark, pytest.mark.slow]

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "quickstart.ipynb"
KERNEL = "lasso-spark-test"

REPORT = """import json
print("RESULT " + json.dumps({
    "true_support": true_support, "selected": selected, "recovered": recovered,
    "false_positives": false_positives, "loaded_same": bool(same), "max_diff": max_diff,
    "n_compared": int(len(both)), "mse_at_choice": float(at_choice["mse"]),
    "n_scores": int(len(scores)), "n_path": int(len(model.path)),
    "stages": [type(s).__name__ for s in pipeline.stages], "mllib": type(lr).__name__,
    "mean_abs_prediction": float(both["prediction"].abs().mean()),
}))"""


def _kernel_spec(root: Path) -> None:
    """A kernel running this interpreter (the project's environment), whatever else is
    installed as "python3" on the machine."""
    spec = root / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "lasso_spark tests", "language": "python",
    }))


def test_committed_notebook_has_no_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def test_quickstart_notebook_runs_and_recovers_the_truth(tmp_path, monkeypatch):
    _kernel_spec(tmp_path / "jupyter")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert "spark.stop()" in nb.cells[-1].source
    nb.cells.insert(len(nb.cells) - 1, nbformat.v4.new_code_cell(REPORT))
    # the notebook sets PYSPARK_PYTHON itself, as a user's kernel would have to
    # (and draws with the kernel's inline backend)
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON", "MPLBACKEND")}
    work = tmp_path / "work"
    work.mkdir()
    client = nbclient.NotebookClient(nb, kernel_name=KERNEL, timeout=600,
                                     resources={"metadata": {"path": str(work)}})
    t0 = time.perf_counter()
    client.execute(env=env)  # raises CellExecutionError on any failing cell
    print(f"quickstart notebook: {time.perf_counter() - t0:.1f} s")

    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code:
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
    display = next(c for c in code if c.source.rstrip().endswith("\nmodel"))
    html = "".join(o.get("data", {}).get("text/html", "") for o in display.outputs)
    assert "<b>LassoModel</b>" in html and "regParam" in html
    plots = [c for c in code if ".plotPath()" in c.source or ".plotCV()" in c.source]
    assert len(plots) == 2
    for cell in plots:
        assert any("image/png" in o.get("data", {}) for o in cell.outputs), cell.source

    report = next(c for c in code if c.source == REPORT)
    line = next(ln for o in report.outputs if o.output_type == "stream"
                for ln in o.text.splitlines() if ln.startswith("RESULT "))
    got = json.loads(line[len("RESULT "):])
    assert len(got["true_support"]) == 4
    assert got["recovered"] == got["true_support"]  # every true feature kept ...
    assert got["false_positives"] == []  # ... and no other (1se rule, 9000 rows, noise 1)
    assert got["loaded_same"] is True
    assert got["mllib"] == "LinearRegressionModel"
    assert got["stages"] == ["VectorAssembler", "LinearRegressionModel"]
    assert got["n_compared"] == 3000
    assert got["max_diff"] <= 1e-12 * max(1.0, got["mean_abs_prediction"])
    assert got["n_scores"] == got["n_path"] > 10
    assert 0.9 < got["mse_at_choice"] < 1.15  # noise variance 1
