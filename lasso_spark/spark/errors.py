"""Errors raised when the data cannot be fitted or scored as asked (no pyspark import here).

Every problem caused by the data itself is a :class:`DataError` (a ``ValueError``), raised on
the driver where it is detected, with a message naming the column and the count of bad rows:
the jobs map it to exit code 3 by type (:mod:`lasso_spark.jobs_lib.errors`). Problems caused by
a parameter are ``lasso_spark.ml.ParamValidationError``; a damaged saved model is
``lasso_spark.ml.ModelLoadError``.
"""

from __future__ import annotations

__all__ = ["DataError", "InvalidInputError"]


class DataError(ValueError):
    """The data cannot be fitted or scored as asked: a column of the wrong type, too few rows
    for the folds, a constant label under cross-validation, values too large for float64...

    ``counts`` maps each offending column (or ``"rows"``) to its number of bad rows when the
    problem is counted (empty otherwise).
    """

    def __init__(self, message: str, counts: dict[str, int] | None = None) -> None:
        super().__init__(message)
        self.counts: dict[str, int] = dict(counts or {})


class InvalidInputError(DataError):
    """The input DataFrame holds rows the statistics cannot use, or no usable rows at all.

    ``invalid_counts`` maps each bad column to its number of bad rows (empty when the problem is
    not tied to a column, e.g. zero rows).
    """

    def __init__(self, message: str, invalid_counts: dict[str, int] | None = None) -> None:
        super().__init__(message, invalid_counts)
        self.invalid_counts: dict[str, int] = dict(invalid_counts or {})
