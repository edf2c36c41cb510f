"""The layers of docs/architecture.md, checked on the source: one-way imports, no cycles, no
private names across modules, and executors of the Arrow passes that never load numba."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "lasso_spark"

#: what each layer may import at module level (besides itself); docs/architecture.md
ALLOWED = {
    "core": set(),
    "paramspec": set(),
    "spark": {"core"},
    "wide": {"core", "spark"},
    "ml": {"core", "spark", "wide", "paramspec", "plotting"},
    "datagen": set(),
    "plotting": set(),
    "config": {"paramspec", "jobs_lib"},
    "jobs_lib": {"config", "datagen", "core", "spark", "ml", "paramspec", "plotting"},
    "cli": {"config", "jobs_lib"},
}


def _modules() -> dict[str, Path]:
    out = {}
    for f in PACKAGE.rglob("*.py"):
        parts = f.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = f
    return out


def _imports(path: Path) -> list[tuple[str, list[str], bool]]:
    """``(module, names, at module level)`` of every lasso_spark import in ``path`` (imports
    under ``if TYPE_CHECKING:`` are for type checkers only and are skipped)."""
    out: list[tuple[str, list[str], bool]] = []

    def visit(nodes: list[ast.stmt], top: bool) -> None:
        for n in nodes:
            if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test):
                continue
            if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("lasso_spark"):
                out.append((n.module, [a.name for a in n.names], top))
            elif isinstance(n, ast.Import):
                out.extend((a.name, [], top) for a in n.names if a.name.startswith("lasso_spark"))
            inner = isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            for attr in ("body", "orelse", "finalbody"):
                visit(getattr(n, attr, None) or [], top and not inner)
            for h in getattr(n, "handlers", None) or []:
                visit(h.body, top and not inner)

    visit(ast.parse(path.read_text()).body, True)
    return out


def _layer(module: str) -> str:
    return module.split(".")[1] if module.count(".") else "lasso_spark"


MODULES = _modules()


def _targets(mod: str, names: list[str]) -> list[str]:
    """The modules an import statement loads: ``from pkg import submodule`` names them."""
    return [f"{mod}.{n}" for n in names if f"{mod}.{n}" in MODULES] or [mod]


def _edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        for mod, names, top in _imports(path):
            if top:
                edges.setdefault(name, set()).update(t for t in _targets(mod, names)
                                                     if t != name)
    return edges


def test_layers_import_one_way():
    """Also inside functions: a lazy import of an upper layer is a hidden seam all the same."""
    bad = []
    for src, path in MODULES.items():
        layer = _layer(src)
        for mod, names, _ in _imports(path):
            for t in _targets(mod, names):
                if t in ("lasso_spark", "lasso_spark.lazy"):  # the root: version, lazy names
                    continue
                if _layer(t) != layer and _layer(t) not in ALLOWED.get(layer, set()):
                    bad.append(f"{src} -> {t}")
    assert not bad, "imports against the layers:\n" + "\n".join(sorted(bad))


def test_no_import_cycles_at_module_level():
    edges = _edges()
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for t in sorted(edges.get(n, ())):
            if state.get(t) == 1:
                return stack[stack.index(t):] + [t]
            if t not in state and (cycle := dfs(t)):
                return cycle
        state[n] = 2
        stack.pop()
        return None

    for n in sorted(MODULES):
        if n not in state and (cycle := dfs(n)):
            pytest.fail("import cycle: " + " -> ".join(cycle))


def test_no_private_name_imported_from_another_module():
    """``from lasso_spark.m import _x``: never for a name of another module; a private
    submodule (``lasso_spark.core._x``) only from inside its own package."""
    bad = []
    for name, path in MODULES.items():
        for mod, names, _ in _imports(path):
            for n in names:
                if not n.startswith("_"):
                    continue
                if f"{mod}.{n}" in MODULES and name.startswith(mod + "."):
                    continue  # a package's own private module
                bad.append(f"{name}: from {mod} import {n}")
    assert not bad, "\n".join(bad)


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT).stdout.strip()


def test_spark_and_wide_packages_load_no_numba_on_import():
    code = ("import sys; import lasso_spark.spark, lasso_spark.wide, lasso_spark.spark.chunks, "
            "lasso_spark.spark.score_batch, lasso_spark.spark.folds; print('numba' in sys.modules)")
    assert _run(code) == "False"


#: modules whose functions run inside Python workers (mapInArrow bodies and what they call)
EXECUTOR_MODULES = tuple(f"lasso_spark.{m}" for m in (
    "spark.batch", "spark.moments", "spark.folds", "spark.fold_paths", "spark.score_batch",
    "spark.sums", "spark.stats", "spark.logistic", "wide.passes"))


def test_executor_modules_load_neither_pandas_nor_pyspark_ml():
    """A new Python worker imports the module of the function it unpickles: ``pyspark.ml``
    (which loads pandas and every ML module, ≈ 1 s) must not come with it."""
    code = ("import sys; import " + ", ".join(EXECUTOR_MODULES) + "\n"
            "print(sorted(m for m in ('pandas', 'pyspark.ml') if m in sys.modules))")
    assert _run(code) == "[]"


EXECUTOR = """
import sys
import numpy as np
import pyarrow as pa
from lasso_spark.spark.batch import BatchLayout
from lasso_spark.spark.folds import fold_batches
from lasso_spark.spark.score_batch import partition_scores

rng = np.random.default_rng(0)
X = rng.standard_normal((50, 3))
y = X @ np.array([1.0, 0.0, -1.0])
packed = pa.array(list(np.column_stack([X, y])), type=pa.list_(pa.float64()))
batch = pa.RecordBatch.from_arrays([packed], names=["_c0"])
layout = BatchLayout(n_features=3, feature_columns=("a", "b", "c"), label_column="y",
                     num_folds=3, seed=1)
user = pa.RecordBatch.from_arrays([pa.array(np.arange(50)), packed], names=["id", "_c0"])
folds = list(fold_batches(iter([user]), layout, 1, "fold"))
score_layout = BatchLayout(n_features=3, feature_columns=("a", "b", "c"), label_column="y")
coef = np.array([[1.0, 0.0, -1.0], [0.5, 0.0, 0.0]])
scores = list(partition_scores(iter([batch]), score_layout, coef, np.zeros(2)))
assert folds[0].num_rows == 50 and scores[0].num_rows == 1
print('numba' in sys.modules)
"""


def test_fold_assignment_and_path_scoring_executors_load_no_numba():
    """What an executor runs for ``assign_folds`` and ``evaluatePath`` (the mapInArrow bodies
    on an Arrow batch) loads no numba / LLVM."""
    assert _run(EXECUTOR) == "False"


def test_lazy_package_names_are_not_shadowed_by_submodules():
    """A submodule named like a lazy name (``core/design.py`` beside ``core.design``) would
    replace the name by the module once imported."""
    code = ("import importlib, types, pkgutil, lasso_spark.core as c, lasso_spark.wide as w\n"
            "import lasso_spark.spark as s\n"
            "for pkg in (c, w, s):\n"
            "    for m in pkgutil.iter_modules(pkg.__path__):\n"
            "        importlib.import_module(pkg.__name__ + '.' + m.name)\n"
            "    bad = [n for n in pkg._LAZY if isinstance(getattr(pkg, n), types.ModuleType)]\n"
            "    assert not bad, bad\n"
            "print('ok')")
    assert _run(code) == "ok"
