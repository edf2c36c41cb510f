"""``lasso-spark fit|score|generate|demo`` — and the code behind ``jobs/*.py`` under spark-submit.

    lasso-spark fit --config conf/fit_lasso_cv.toml [--set model.numFolds=10 ...] [--check]
    spark-submit jobs/fit.py --config fit.toml [--set ...]

The console script starts an embedded Spark session (``[spark] master`` or ``local[*]``); under
spark-submit the session is spark-submit's. Configs are validated before Spark starts.

Exit codes: 0 success, 1 a failure a retry may fix, 2 bad config or command line (including an
output that exists or would overlap an input), 3 bad input data or a damaged model.
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
    exit_code_for,
    one_line,
)

logger = logging.getLogger("lasso_spark.cli")

#: how long the demo waits after its session start for the background imports (normally done
#: by then: they take ~1-2 s, the JVM's start ~6 s); the fit imports the same modules next
IMPORT_WARMUP_JOIN_SECONDS = 60.0

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
        epilog="exit codes: 0 success, 1 failure worth a retry, 2 bad config/usage (incl. an "
               "output that exists or overlaps an input), 3 bad input data or damaged model",
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
            help="validate the config, check input, output and model paths, print the config "
                 "resolved (defaults filled in) as JSON, and exit without starting Spark",
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
    # pyspark logs every failed query with its Java stack trace; the job reports it in one line
    for name in ("DataFrameQueryContextLogger", "SQLQueryContextLogger"):
        logging.getLogger(name).setLevel(logging.DEBUG if level == "DEBUG" else logging.CRITICAL)


def job_paths(command: str, cfg: Any) -> tuple[list[tuple[str, str]], list[tuple[str, str]],
                                              list[tuple[str, str]]]:
    """``(outputs, inputs, tables)`` of a job as ``(config key, path)`` pairs."""
    from lasso_spark.jobs_lib.paths import input_paths

    inputs: list[tuple[str, str]] = []
    tables: list[tuple[str, str]] = []
    inp = getattr(cfg, "input", None)
    if inp is not None:
        inputs, tables = input_paths(inp)
    if command == "score":
        inputs.append(("model.path", cfg.model.path))
    if command == "demo":
        from lasso_spark.jobs_lib.demo import demo_configs

        gen, fit = demo_configs(cfg)
        outputs = [("output (data)", gen.output.path), ("output (fit)", fit.output.path)]
    else:
        outputs = [("output.path", cfg.output.path)]
    return outputs, inputs, tables


def _output_modes(command: str, cfg: Any) -> list[tuple[str, str, str]]:
    if command == "demo":
        return []  # the demo always replaces its own two directories
    return [("output.path", cfg.output.path, cfg.output.mode)]


def _preflight(command: str, cfg: Any, schemeless_is_local: bool,
               config_file: str | None) -> list[str]:
    """Every check that needs no Spark, in the order of severity; returns what was checked.

    Outputs must not overlap what the job reads (inputs, model, the config file), must be
    creatable, and must not exist unless ``mode = "overwrite"``; a local model must be intact.
    """
    from lasso_spark.jobs_lib.paths import check_outputs_writable, check_paths, is_local
    from lasso_spark.jobs_lib.staging import LocalFS, StagedOutput

    done: list[str] = []
    outputs, inputs, tables = job_paths(command, cfg)
    protected = [*inputs, *([("--config", config_file)] if config_file else [])]
    check_paths(outputs, protected, schemeless_is_local=schemeless_is_local)
    done.append(f"outputs {[p for _, p in outputs]} overlap none of {[p for _, p in protected]}")
    check_outputs_writable(outputs, schemeless_is_local=schemeless_is_local)
    for key, path, mode in _output_modes(command, cfg):
        if is_local(path, schemeless_is_local):
            StagedOutput(LocalFS(), path, mode, key=key).check_target()
            done.append(f"{key} {path}: can be created"
                        + (" (replaced if it exists)" if mode == "overwrite" else
                           " (does not exist yet)"))
    plots = (isinstance(cfg, FitConfig) and cfg.output.plots) or (
        isinstance(cfg, DemoConfig) and cfg.plots
    )
    if plots and importlib.util.find_spec("matplotlib") is None:
        key = "output.plots" if command == "fit" else "plots"
        raise ConfigError(
            f"{key} = true needs matplotlib: pip install 'lasso_spark[plots]', or set {key} = false"
        )
    if command == "score" and is_local(cfg.model.path, schemeless_is_local):
        from lasso_spark.jobs_lib.score import local_model_info

        info = local_model_info(cfg.model.path)
        done.append(f"model.path {cfg.model.path}: a {info.get('modelClass', 'LassoModel')} "
                    f"with {info['numFeatures']} "
                    f"features, format {info['formatVersion']}, files intact")
    for key, path in inputs:
        if is_local(path, schemeless_is_local):
            done.append(f"{key} {path}: exists")
    return done


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
    Every failure is one line on stderr naming the key, column or path (the traceback only at
    ``--log-level DEBUG``) and an exit code from :func:`lasso_spark.jobs_lib.errors.exit_code_for`.
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
            check_paths=True, schemeless_is_local=schemeless_is_local,
        )
        checked = _preflight(args.command, cfg, schemeless_is_local, args.config)
        if args.check:
            from lasso_spark.jobs_lib.resolved import resolved_config

            for line in checked:
                logger.info("check: %s", line)
            print(json.dumps(resolved_config(args.command, cfg,
                                             under_spark_submit=not schemeless_is_local),
                             indent=2))
            return EXIT_OK
        if spark is None:
            local_defaults = None
            imports = None
            if args.command == "demo":
                import pyspark.sql  # noqa: F401  (before the warm-up: only one thread imports it)

                from lasso_spark.jobs_lib.demo import DEMO_LOCAL_CONF as local_defaults
                from lasso_spark.jobs_lib.warmup import start_import_warmup

                imports = start_import_warmup()  # the fit's driver imports, during the JVM start
            try:
                spark = build_session(cfg.spark, f"lasso_spark-{args.command}", args.master,
                                      local_defaults)
            finally:  # joined even when the session fails: no import left running behind
                if imports is not None and not imports.join(IMPORT_WARMUP_JOIN_SECONDS):
                    logger.debug("warm-up %s still running after the session start",
                                 imports.name)
            own_session = True
        result = _run(args.command, cfg, spark)
        if args.command == "demo":
            print(result)
        return EXIT_OK
    except Exception as exc:  # every failure becomes an exit code an orchestrator can use
        code = exit_code_for(exc)
        hint = "" if args.log_level == "DEBUG" else " (--log-level DEBUG shows the traceback)"
        logger.error("%s failed (exit %d): %s%s", args.command, code, one_line(exc),
                     hint if code == EXIT_FAILURE else "")
        logger.debug("traceback of the failure", exc_info=True)
        return code
    finally:
        if own_session and spark is not None:
            spark.stop()


if __name__ == "__main__":
    sys.exit(main())
