"""Feature groups from a vector column's ML attribute metadata (``featureGroups="auto"``).

``VectorAssembler`` names the slots it copies from a vector input ``c`` with attributes
``c_<attribute name>`` (``OneHotEncoder`` writes *binary* attributes named by category), and a
numeric input ``c`` as ``c``. So a run of consecutive binary slots whose names share the source
prefix (the name up to its last ``_``; a category containing ``_`` extends the prefix and is
merged back into the run it continues) is one source column: one group. Every other slot
(numeric, nominal, or a binary slot alone) is its own group.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)

__all__ = ["groups_from_metadata"]


def _slots(attr: dict[str, Any]) -> dict[int, tuple[str, str]]:
    """``idx → (kind, name)`` of every attribute in the metadata."""
    out: dict[int, tuple[str, str]] = {}
    for kind, group in (attr.get("attrs") or {}).items():
        for a in group or []:
            if isinstance(a, dict) and "idx" in a:
                out[int(a["idx"])] = (str(kind), str(a.get("name", "")))
    return out


def groups_from_metadata(field: Any) -> list[list[int]]:
    """Slot-index groups of the vector column ``field`` (a ``StructField``); raises
    ``ValueError`` naming the column when it carries no ML attribute metadata."""
    attr = (field.metadata or {}).get("ml_attr")
    slots = _slots(attr) if isinstance(attr, dict) else {}
    if not slots:
        raise ValueError(
            f"featureGroups='auto' needs ML attribute metadata on the vector column "
            f"{field.name!r} (as VectorAssembler over OneHotEncoder outputs writes); it has none: "
            "give the groups as lists of slot indices instead")
    size = int(attr.get("num_attrs") or (max(slots) + 1))
    groups: list[list[int]] = []
    prefix: str | None = None
    for i in range(size):
        kind, name = slots.get(i, ("numeric", ""))
        cut = name.rsplit("_", 1)[0] if kind == "binary" and "_" in name else None
        if cut is not None and prefix is not None and groups and (
                cut == prefix or cut.startswith(prefix + "_")) and groups[-1][-1] == i - 1:
            groups[-1].append(i)
            continue
        groups.append([i])
        prefix = cut
    logger.debug("featureGroups='auto' on %r: %d groups over %d slots", field.name,
                 len(groups), size)
    return groups
