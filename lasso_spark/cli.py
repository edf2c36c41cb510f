"""``lasso-spark fit|score|generate|demo`` — and the code behind ``jobs/*.py`` under spark-submit.

    lasso-spark fit --config conf/fit_lasso_cv.toml [--set model.numFolds=10 ...] [--check]
    spark-submit jobs/fit.py --config fit.toml [--set ...]

The console script starts an embedded Spark session (``[spark] master`` or ``local[*]``); under
spark-submit the session is spark-submit's. Configs are validated before Spark starts.

Exit codes: 0 success, 1 other failure, 2 bad config or command line, 3 bad input data.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any

from lasso_spark.config import DemoConfig, FitConfig, load_config
from lasso_spark.jobs_lib.errors import (
    EXIT_CONFIG,
    EXIT_FAILURE,
    EXIT_OK,
    ConfigError,
    JobError,
    exit_code_for,
)

logger = logging.getLogger("lasso_spark.cli")

COMMANDS = {
    "fit": "fit Lasso / LassoCV on a dataset and write model, coefficients, path, CV, plots",
    "score": "score a dataset with a saved model",
    "generate": "write synthetic regression data with a known sparse truth",
    "demo": "generate data with a known truth, fit LassoCV, report what was recovered",
}


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog or "lasso-spark",
        description="Lasso / elastic-net paths with K-fold CV on Spark, from one pass.",
        epilog="exit codes: 0 success, 1 failure, 2 bad config/usage, 3 bad input data",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument(
            "--config", "-c", required=name != "demo", metavar="PATH",
            help="TOML job config" + (" (default: built-in demo settings)" if name == "demo"
                                      else ""),
        )
        p.add_argument(
            "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
            help="override a config key, e.g. --set model.numFolds=10 (value parsed as TOML)",
        )
        p.add_argument(
            "--master", default=None,
            help="Spark master of the embedded session (ignored under spark-submit)",
        )
        p.add_argument(
            "--check", action="store_true",
            help="validate the config, print it resolved as JSON, and exit without Spark",
        )
        p.add_argument(
            "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"],
            help="level of lasso_spark's log lines on stderr (default INFO)",
        )
        if name == "demo":
            p.add_argument("--output", default=None, help="demo output directory")
    return parser


def setup_logging(level: str) -> None:
    """Handlers live here (and in jobs/), never in the library."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    logging.getLogger("lasso_spark").setLevel(level)
    logging.getLogger("py4j").setLevel(logging.WARNING)


def _preflight(command: str, cfg: Any, schemeless_is_local: bool) -> None:
    """Checks that need no Spark: plotting dependency, existing local output."""
    from lasso_spark.jobs_lib.staging import LocalFS, StagedOutput

    plots = (isinstance(cfg, FitConfig) and cfg.output.plots) or (
        isinstance(cfg, DemoConfig) and cfg.plots
    )
    if plots and importlib.util.find_spec("matplotlib") is None:
        key = "output.plots" if command == "fit" else "plots"
        raise ConfigError(
            f"{key} = true needs matplotlib: pip install 'lasso_spark[plots]', or set {key} = false"
        )
    out = getattr(cfg, "output", None)
    path = getattr(out, "path", None)
    if path and schemeless_is_local and "://" not in path:
        StagedOutput(LocalFS(), path, out.mode).check_target()


def _run(command: str, cfg: Any, spark: Any) -> Any:
    if command == "fit":
        from lasso_spark.jobs_lib.fit import run_fit

        return run_fit(cfg, spark)
    if command == "score":
        from lasso_spark.jobs_lib.score import run_score

        return run_score(cfg, spark)
    if command == "generate":
        from lasso_spark.jobs_lib.generate import run_generate

        return run_generate(cfg, spark)
    from lasso_spark.jobs_lib.demo import run_demo

    return run_demo(cfg, spark)


def main(
    argv: Sequence[str] | None = None, *, spark: Any = None, prog: str | None = None
) -> int:
    """Entry point of the console script and of ``jobs/*.py``; returns the exit code.

    ``spark``: an existing session to run on (tests); otherwise one is built and stopped here.
    """
    parser = build_parser(prog)
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # argparse: --help (0) or bad usage (2)
        return EXIT_OK if exc.code in (0, None) else EXIT_CONFIG
    setup_logging(args.log_level)

    from lasso_spark.jobs_lib.session import build_session, under_spark_submit

    schemeless_is_local = spark is not None or not under_spark_submit()
    own_session = False
    try:
        overrides = list(args.overrides)
        if args.command == "demo" and args.output:
            overrides.append(f"output={json.dumps(args.output)}")
        cfg = load_config(
            args.command, args.config, overrides,
            check_paths=not args.check, schemeless_is_local=schemeless_is_local,
        )
        if args.check:
            print(json.dumps(cfg.model_dump(mode="json", by_alias=True), indent=2))
            return EXIT_OK
        _preflight(args.command, cfg, schemeless_is_local)
        if spark is None:
            spark = build_session(cfg.spark, f"lasso_spark-{args.command}", args.master)
            own_session = True
        result = _run(args.command, cfg, spark)
        if args.command == "demo":
            print(result)
        return EXIT_OK
    except Exception as exc:  # every failure becomes an exit code an orchestrator can use
        code = exit_code_for(exc)
        if code == EXIT_FAILURE and not isinstance(exc, JobError):
            logger.exception("%s failed", args.command)
        else:
            logger.error("%s", exc)
        return code
    finally:
        if own_session and spark is not None:
            spark.stop()


if __name__ == "__main__":
    sys.exit(main())
