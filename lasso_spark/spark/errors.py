"""Errors raised by the Spark statistics pass."""

from __future__ import annotations

from lasso_spark.core.errors import DataError

__all__ = ["InvalidInputError"]


class InvalidInputError(DataError):
    """The input DataFrame holds rows the statistics cannot use, or no usable rows at all.

    ``invalid_counts`` maps each bad column to its number of bad rows (empty when the problem is
    not tied to a column, e.g. zero rows).
    """

    def __init__(self, message: str, invalid_counts: dict[str, int] | None = None) -> None:
        super().__init__(message)
        self.invalid_counts: dict[str, int] = dict(invalid_counts or {})
