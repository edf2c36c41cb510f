"""CLI parsing and exit codes for everything that fails before Spark starts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lasso_spark.cli import build_parser, main
from lasso_spark.jobs_lib.errors import EXIT_CONFIG, EXIT_OK

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_spark(monkeypatch):
    """Fail the test if a SparkSession is requested."""
    import lasso_spark.jobs_lib.session as session

    def boom(*a, **k):
        raise AssertionError("Spark must not start")

    monkeypatch.setattr(session, "build_session", boom)


def fit_toml(tmp_path: Path, **sections: str) -> Path:
    data = tmp_path / "in.parquet"
    data.mkdir(exist_ok=True)
    text = {
        "input": f'path = "{data}"',
        "columns": 'label = "y"',
        "model": 'kind = "lasso_cv"\nnumFolds = 3',
        "output": f'path = "{tmp_path / "out"}"\nplots = false',
    }
    text.update(sections)
    f = tmp_path / "fit.toml"
    f.write_text("\n".join(f"[{k}]\n{v}" for k, v in text.items()))
    return f


def test_parser_commands_and_options():
    args = build_parser().parse_args(
        ["fit", "-c", "x.toml", "--set", "a.b=1", "--set", "c=2", "--master", "local[1]"]
    )
    assert (args.command, args.config, args.overrides, args.master) == (
        "fit", "x.toml", ["a.b=1", "c=2"], "local[1]")
    assert build_parser().parse_args(["demo"]).config is None


@pytest.mark.parametrize(
    "argv", [[], ["frobnicate"], ["fit"], ["fit", "--config"], ["score", "-c", "x", "--bogus"]]
)
def test_bad_usage_exits_2(argv, no_spark, capsys):
    assert main(argv) == EXIT_CONFIG
    assert "usage:" in capsys.readouterr().err


def test_help_exits_0(capsys):
    assert main(["--help"]) == EXIT_OK
    assert "exit codes" in capsys.readouterr().out


def test_check_prints_resolved_config(tmp_path, no_spark, capsys):
    f = fit_toml(tmp_path)
    assert main(["fit", "-c", str(f), "--set", "model.numFolds=4", "--check"]) == EXIT_OK
    resolved = json.loads(capsys.readouterr().out)
    assert resolved["model"]["numFolds"] == 4 and resolved["output"]["mode"] == "error"


@pytest.mark.parametrize(
    "sections, overrides, fragment",
    [
        ({"model": 'kind = "lasso_cv"\nnumFold = 3'}, [], "model.numFold: unknown key"),
        ({}, ["model.numFolds=abc"], "model.numFolds:"),
        ({"input": 'path = "/definitely/not/here"'}, [], "input.path: path does not exist"),
        ({}, ["output.mode=append"], "output.mode:"),
        ({}, ["model.kind=ridge"], "model.kind:"),
    ],
)
def test_bad_config_exits_2_naming_key(tmp_path, no_spark, caplog, sections, overrides, fragment):
    f = fit_toml(tmp_path, **sections)
    argv = ["fit", "-c", str(f), *(x for o in overrides for x in ("--set", o))]
    assert main(argv) == EXIT_CONFIG
    assert fragment in caplog.text


def test_existing_output_exits_2_before_spark(tmp_path, no_spark, caplog):
    f = fit_toml(tmp_path)
    (tmp_path / "out").mkdir()
    assert main(["fit", "-c", str(f)]) == EXIT_CONFIG
    assert 'output.mode = "overwrite"' in caplog.text


def test_missing_config_file_exits_2(tmp_path, no_spark, caplog):
    assert main(["score", "-c", str(tmp_path / "nope.toml")]) == EXIT_CONFIG
    assert "config file not found" in caplog.text


def test_console_module_and_job_script_exit_codes(tmp_path):
    """The real processes: python -m lasso_spark.cli and python jobs/fit.py, bad config → 2."""
    f = fit_toml(tmp_path, model='kind = "lasso"')
    for cmd in ([sys.executable, "-m", "lasso_spark.cli", "fit"],
                [sys.executable, str(ROOT / "jobs" / "fit.py")]):
        proc = subprocess.run([*cmd, "-c", str(f)], capture_output=True, text=True, cwd=ROOT,
                              timeout=60)
        assert proc.returncode == EXIT_CONFIG, proc.stderr
        assert "model.regParam is required" in proc.stderr


class _Stop(Exception):
    pass


@pytest.mark.parametrize("command", ["demo", "fit"])
def test_only_the_demo_asks_for_the_local_start_up_defaults(command, tmp_path, monkeypatch):
    import lasso_spark.jobs_lib.session as session
    from lasso_spark.jobs_lib.demo import DEMO_LOCAL_CONF

    seen = {}

    def capture(cfg, app_name, master=None, local_defaults=None):
        seen["defaults"] = local_defaults
        raise _Stop

    monkeypatch.setattr(session, "build_session", capture)
    argv = (["demo", "--output", str(tmp_path / "d")] if command == "demo"
            else ["fit", "-c", str(fit_toml(tmp_path))])
    assert main(argv) != EXIT_OK  # the job failed where the session was to start
    assert seen["defaults"] == (DEMO_LOCAL_CONF if command == "demo" else None)
    if command == "demo":
        assert DEMO_LOCAL_CONF["spark.ui.enabled"] == "false"


class _Builder:
    def __init__(self):
        self.conf = {}

    def appName(self, name):
        return self

    def master(self, m):
        self.conf["master"] = m
        return self

    def config(self, key, value):
        self.conf[key] = value
        return self

    def getOrCreate(self):
        raise _Stop


@pytest.mark.parametrize("master", ["local[2]", "spark://host:7077"])
def test_local_defaults_fill_only_unset_keys_of_local_sessions(master, monkeypatch):
    import pyspark.sql

    from lasso_spark.config import SparkConfig
    from lasso_spark.jobs_lib.session import build_session

    builder = _Builder()
    monkeypatch.setattr(pyspark.sql.SparkSession, "builder", builder)
    monkeypatch.delenv("PYSPARK_GATEWAY_PORT", raising=False)
    cfg = SparkConfig(master=master, conf={"spark.sql.shuffle.partitions": 3})
    with pytest.raises(_Stop):
        build_session(cfg, "app", local_defaults={"spark.ui.enabled": "false",
                                                  "spark.sql.shuffle.partitions": "8"})
    assert builder.conf["spark.sql.shuffle.partitions"] == 3  # the config's own value wins
    if master.startswith("local"):
        assert builder.conf["spark.ui.enabled"] == "false"
    else:
        assert "spark.ui.enabled" not in builder.conf


@pytest.mark.parametrize("command", ["demo", "fit"])
def test_the_demo_starts_its_driver_imports_before_the_session_and_survives_their_failure(
        command, tmp_path, monkeypatch):
    import lasso_spark.jobs_lib.session as session
    import lasso_spark.jobs_lib.warmup as warmup

    order: list[str] = []
    started: list[warmup.Warmup] = []

    def failing_imports():
        order.append("imports")

        def work() -> None:
            raise ImportError("broken install")

        started.append(warmup.Warmup("driver imports", work).start())
        return started[-1]

    def capture(cfg, app_name, master=None, local_defaults=None):
        order.append("session")
        raise _Stop

    monkeypatch.setattr(warmup, "start_import_warmup", failing_imports)
    monkeypatch.setattr(session, "build_session", capture)
    argv = (["demo", "--output", str(tmp_path / "d")] if command == "demo"
            else ["fit", "-c", str(fit_toml(tmp_path))])
    assert main(argv) != EXIT_OK  # the job failed where the session was to start, not before
    assert order == (["imports", "session"] if command == "demo" else ["session"])
    assert all(w.join(0) and isinstance(w.error, ImportError) for w in started)
