"""Exceptions of the numeric core that callers map to user-facing outcomes.

:class:`DataError` marks a problem caused by the data rather than by the arguments or the code:
a fold with no rows, a constant label where a path is asked for, too few rows for the folds.
The jobs map it to exit code 3 ("fix the data; a retry will not help"). It is a ``ValueError``,
so code that catches ``ValueError`` keeps working.
"""

from __future__ import annotations

__all__ = ["DataError"]


class DataError(ValueError):
    """The data cannot give what was asked (the message names what and where)."""
