"""The README's commands exist: make targets, console-script invocations, example configs."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from lasso_spark.cli import main

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_make_targets_exist():
    makefile = (ROOT / "Makefile").read_text()
    for target in re.findall(r"^make (\w+)", README, flags=re.M):
        assert re.search(rf"^{target}:", makefile, flags=re.M), target
    assert re.search(r"^demo:.*\n\t.*lasso-spark demo", makefile, flags=re.M)


def test_console_commands_validate(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    lines = re.findall(r"^lasso-spark (\w+ +.*?)(?:#.*)?$", README, flags=re.M)
    assert len(lines) >= 5
    for line in lines:
        argv = shlex.split(line)
        if "--check" not in argv:
            argv.append("--check")
        assert main(argv) == 0, line
    for ref in set(re.findall(r"conf/[\w.]+\.toml", README)):
        assert (ROOT / ref).is_file(), ref
