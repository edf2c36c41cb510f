"""Background imports (`lasso_spark.core.prefetch`): done once, failures left to the caller."""

from __future__ import annotations

import subprocess
import sys


def run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_imports_in_a_thread_once_and_ignores_failures():
    code = (
        "import sys\n"
        "from lasso_spark.core.prefetch import SOLVER_MODULES, import_in_background\n"
        "assert 'scipy.linalg' not in sys.modules\n"
        "t = import_in_background(('lasso_spark_no_such_module', *SOLVER_MODULES))\n"
        "t.join()\n"
        "again = import_in_background(SOLVER_MODULES)\n"
        "print(all(m in sys.modules for m in SOLVER_MODULES), 'scipy.linalg' in sys.modules,\n"
        "      again is None, 'numba' in sys.modules)\n")
    assert run(code) == "True True True False"


def test_gram_backend_imports_no_solver_before_a_fit():
    code = ("import sys; import lasso_spark.ml.backends.gram\n"
            "print('scipy.linalg' in sys.modules, 'lasso_spark.core.relax' in sys.modules)")
    assert run(code) == "False False"
