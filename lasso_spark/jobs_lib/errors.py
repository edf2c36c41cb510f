"""Job errors and the exit codes an orchestrator sees.

    0  success
    1  any other failure (Spark, I/O, bug)          -> worth a retry
    2  bad configuration or command line            -> fix the config; retrying will not help
    3  bad input data (missing column, invalid rows) -> fix the data; retrying will not help
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG = 2
EXIT_INPUT = 3


class JobError(Exception):
    """Base class of errors raised by the job layer."""

    exit_code = EXIT_FAILURE


class ConfigError(JobError, ValueError):
    """The configuration (file, ``--set`` override or command line) is invalid.

    ``problems`` lists one message per offending key, each starting with the dotted key path.
    """

    exit_code = EXIT_CONFIG

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = list(problems or [])
        if self.problems:
            message = message + "\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(message)


class OutputExistsError(ConfigError):
    """The output location exists and ``output.mode`` is not ``"overwrite"``."""


class InputDataError(JobError, ValueError):
    """The input data does not fit the configuration (missing column, wrong type, bad rows)."""

    exit_code = EXIT_INPUT


def exit_code_for(exc: BaseException) -> int:
    """Map an exception raised by a job to the process exit code."""
    if isinstance(exc, JobError):
        return exc.exit_code
    from lasso_spark.jobs_lib import contract

    if contract.is_invalid_input(exc):
        return EXIT_INPUT
    try:
        from pyspark.errors import AnalysisException
    except ImportError:  # pragma: no cover - pyspark is a dependency of the jobs
        return EXIT_FAILURE
    # Missing path, unknown table, unresolved column, wrong type: the input does not match.
    if isinstance(exc, AnalysisException):
        return EXIT_INPUT
    return EXIT_FAILURE
