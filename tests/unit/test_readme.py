"""The README's commands exist: make targets, console-script invocations, example configs."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from lasso_spark.cli import main
from tests.unit.model_factory import write_local_model

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_make_targets_exist():
    makefile = (ROOT / "Makefile").read_text()
    for target in re.findall(r"^make (\w+)", README, flags=re.M):
        assert re.search(rf"^{target}:", makefile, flags=re.M), target
    assert re.search(r"^demo:.*\n\t.*lasso-spark demo", makefile, flags=re.M)


def _workdir(root: Path, command: str) -> Path:
    """A working directory holding what the README's earlier commands leave for ``command``:
    the generated data for fit and score, a fit output (with its model) for score."""
    import shutil

    work = root / command
    shutil.copytree(ROOT / "conf", work / "conf")
    if command in ("fit", "score"):
        (work / "data" / "bench_2m_50" / "data.parquet").mkdir(parents=True)
    if command == "score":
        fit_out = work / "out" / "fit_lasso_cv"
        fit_out.mkdir(parents=True)
        (fit_out / "summary.json").write_text("{}")
        write_local_model(fit_out / "model")
    return work


def test_console_commands_validate(capsys, monkeypatch, tmp_path):
    # --check checks that inputs exist and outputs do not: each command runs where the earlier
    # ones would have left their outputs (the generated data, a fit output with its model)
    lines = re.findall(r"^lasso-spark (\w+ +.*?)(?:#.*)?$", README, flags=re.M)
    assert len(lines) >= 5
    for i, line in enumerate(lines):
        argv = shlex.split(line)
        if "--check" not in argv:
            argv.append("--check")
        monkeypatch.chdir(_workdir(tmp_path / str(i), argv[0]))
        assert main(argv) == 0, line
    for ref in set(re.findall(r"conf/[\w.]+\.toml", README)):
        assert (ROOT / ref).is_file(), ref


def _code_blocks(lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", README, flags=re.M | re.S)


def test_environment_is_activated_before_the_first_command():
    """A new user copies the usage commands into a plain shell: `lasso-spark` is only on PATH
    inside the environment, so the activation comes first."""
    first = README.index("\nlasso-spark ")
    activate = README.find(". .venv/bin/activate")
    assert 0 <= activate < first
    assert ".venv/bin/lasso-spark" in README
    # the environment the README names is the one the Makefile creates
    assert re.search(r"^VENV\s*\?=\s*\.venv$", (ROOT / "Makefile").read_text(), flags=re.M)


def test_python_api_section_sets_pyspark_python_and_names_the_error():
    api = README[README.index("### From Python"):]
    assert api.index('os.environ.setdefault("PYSPARK_PYTHON", sys.executable)') < api.index(
        "SparkSession.builder")
    assert "ModuleNotFoundError: No module" in api


def test_relative_links_exist():
    links = re.findall(r"\]\(((?!https?:|#)[^)]+)\)", README)
    assert "examples/quickstart.ipynb" in links
    for link in links:
        assert (ROOT / link.split("#")[0]).exists(), link


def test_model_methods_named_in_the_python_examples_exist():
    from lasso_spark.ml import LassoModel

    names = set()
    for block in _code_blocks("python"):
        names.update(re.findall(r"\bmodel\.(\w+)", block))
    assert {"toMLlib", "toMLlibPipeline", "saveMLlib", "evaluatePath", "plotCV"} <= names
    missing = [n for n in sorted(names) if not hasattr(LassoModel, n)]
    assert not missing, missing


def test_fit_output_keys_documented_both_ways():
    from lasso_spark.config import OutputConfig

    documented = set(re.findall(r"^\| `output\.(\w+)` \|", README, flags=re.M))
    assert documented == set(OutputConfig.model_fields), documented
