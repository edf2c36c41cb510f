"""Job errors and the exit codes an orchestrator sees: the one map from exception types to codes.

    0  success
    1  a failure a retry may fix (Spark, the cluster, I/O, or a bug)
    2  bad configuration or command line, including an output that exists without
       ``mode = "overwrite"``, or that would overlap an input      -> fix the config
    3  bad input data or a damaged saved model                     -> fix the data

:func:`exit_code_for` decides by exception type only (:data:`EXIT_CODES`, first match wins);
:func:`one_line` is the single line a job prints for codes 2 and 3 (the traceback only at
``--log-level DEBUG``).
"""

from __future__ import annotations

import logging
from typing import Any

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


class OutputOverlapError(ConfigError):
    """An output path equals, contains or lies inside an input or model path."""


class OutputNotWritableError(ConfigError):
    """The output location cannot be created (permissions, a file in the way, read-only)."""


class InputDataError(JobError, ValueError):
    """The input data does not fit the configuration (missing column, wrong type, bad rows)."""

    exit_code = EXIT_INPUT

    def __init__(self, message: str, counts: dict[str, int] | None = None) -> None:
        super().__init__(message)
        self.counts: dict[str, int] = dict(counts or {})


def _exit_codes() -> list[tuple[tuple[type[BaseException], ...], int]]:
    """``(exception types, exit code)`` in match order (imported lazily: pyspark is heavy)."""
    from lasso_spark.core.errors import DataError
    from lasso_spark.ml.params import ParamValidationError
    from lasso_spark.ml.persistence import ModelLoadError

    table: list[tuple[tuple[type[BaseException], ...], int]] = [
        ((ModelLoadError, DataError), EXIT_INPUT),
        ((ParamValidationError,), EXIT_CONFIG),
    ]
    try:
        from pyspark.errors import AnalysisException
    except ImportError:  # pragma: no cover - pyspark is a dependency of the jobs
        return table
    # A query that does not resolve against the input (unknown column, unreadable schema) is a
    # mismatch between the data and the job; every path and column is checked before this.
    table.append(((AnalysisException,), EXIT_INPUT))
    return table


def exit_code_for(exc: BaseException) -> int:
    """The process exit code for an exception raised by a job (by type; first match wins)."""
    if isinstance(exc, JobError):
        return exc.exit_code
    for types, code in _exit_codes():
        if isinstance(exc, types):
            return code
    return EXIT_FAILURE


def _java_summary(exc: Any) -> str | None:
    """``Class: message`` of the innermost cause of a Py4J Java error (None otherwise)."""
    java = getattr(exc, "java_exception", None)
    if java is None:
        return None
    try:
        cause = java
        for _ in range(20):
            nxt = cause.getCause()
            if nxt is None:
                break
            cause = nxt
        return str(cause.toString())
    except Exception:  # noqa: BLE001 - a summary must never fail
        return None


def one_line(exc: BaseException) -> str:
    """The error as one line: a config error's problems joined by ``; ``, a Java error by its
    innermost cause, anything else as ``Type: first line``."""
    if isinstance(exc, ConfigError) and exc.problems:
        head = str(exc).split("\n", 1)[0].rstrip(":")
        return f"{head}: " + "; ".join(exc.problems)
    java = _java_summary(exc)
    text = java if java is not None else str(exc)
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    first = lines[0] if lines else ""
    if isinstance(exc, (JobError, ValueError)) and java is None:
        # our own messages: bullet lists become one line
        if not lines:
            return type(exc).__name__
        items = [ln.removeprefix("- ") for ln in lines]
        if len(items) > 1 and items[0].endswith(":"):
            return items[0] + " " + "; ".join(items[1:])
        return "; ".join(items)
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
