"""Edits of a saved model directory that the damage tests make (LassoModel and
LogisticLassoModel): the metadata file, an edit of its JSON, dropping Hadoop's ``.crc`` files
(so that the model's own checksums must catch what follows), back to format 1."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

__all__ = ["drop_crc", "edit_meta", "meta_file", "to_format_1"]


def meta_file(model: Path) -> Path:
    return next(p for p in (model / "metadata").iterdir() if p.name.startswith("part-"))


def edit_meta(model: Path, change: Callable[[dict], object]) -> None:
    m = meta_file(model)
    record = json.loads(m.read_text())
    change(record)
    m.write_text(json.dumps(record))


def drop_crc(model: Path) -> None:
    for p in model.rglob(".*.crc"):
        p.unlink()


def to_format_1(record: dict) -> None:
    """A metadata record as saved before the checksums (format 1)."""
    for key in ("files", "checksums"):
        record["lassoSpark"].pop(key)
    record["lassoSpark"]["formatVersion"] = 1
