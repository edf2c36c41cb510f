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
