"""Reading a job's input and resolving its columns against the schema (before any data pass)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from lasso_spark.config import ColumnsConfig, InputConfig
from lasso_spark.jobs_lib.errors import ConfigError, InputDataError
from lasso_spark.jobs_lib.staging import filesystem_for

logger = logging.getLogger(__name__)


def check_remote_paths(spark: Any, inp: InputConfig, key: str = "input.path") -> None:
    """Existence of input paths through Hadoop (covers scheme-less paths on a cluster's HDFS)."""
    missing = []
    for path in inp.paths():
        if any(ch in path for ch in "*?[{"):
            continue  # globs are resolved by Spark's reader
        fs = filesystem_for(path, spark)
        if not fs.exists(path):
            missing.append(f"{key}: path does not exist: {path}")
    if missing:
        raise ConfigError("input not found:", missing)


def read_input(spark: Any, inp: InputConfig) -> Any:
    """The configured input as a DataFrame (lazy; CSV gets header=true and, without a schema,
    inferSchema=true, which costs Spark one extra pass over the file)."""
    if inp.table is not None:
        return spark.read.table(inp.table)
    reader = spark.read.format(inp.format)
    options = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in inp.options.items()}
    if inp.format == "csv":
        options.setdefault("header", "true")
        if inp.schema_ is None:
            options.setdefault("inferSchema", "true")
    if inp.schema_ is not None:
        reader = reader.schema(inp.schema_)
    return reader.options(**options).load(inp.paths())


_NUMERIC = ("ByteType", "ShortType", "IntegerType", "LongType", "FloatType", "DoubleType",
            "DecimalType")


def _is_numeric(dtype: Any) -> bool:
    return type(dtype).__name__ in _NUMERIC


def _is_vector(dtype: Any) -> bool:
    return type(dtype).__name__ == "VectorUDT"


@dataclass(frozen=True)
class ResolvedColumns:
    """Columns of a fit, checked against the schema."""

    label: str
    weight: str | None
    id: list[str]
    features: list[str] | None  # numeric feature columns (inputCols), or None with a vector
    vector: str | None  # the vector column (featuresCol), or None

    def estimator_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"labelCol": self.label}
        if self.weight is not None:
            params["weightCol"] = self.weight
        if self.vector is not None:
            params["featuresCol"] = self.vector
        else:
            params["inputCols"] = list(self.features or [])
        return params


def resolve_columns(
    schema: Any, cols: ColumnsConfig, split_cols: tuple[str, ...] = ()
) -> ResolvedColumns:
    """Check the configured columns against ``schema``; choose features when not listed.

    Raises InputDataError naming every missing or mistyped column.
    """
    types = {f.name: f.dataType for f in schema.fields}
    problems: list[str] = []

    def need(key: str, name: str, check: Any, what: str) -> None:
        if name not in types:
            problems.append(f"{key}: column {name!r} not in the input")
        elif not check(types[name]):
            problems.append(f"{key}: column {name!r} is {types[name].simpleString()}, not {what}")

    need("columns.label", cols.label, _is_numeric, "numeric")
    if cols.weight is not None:
        need("columns.weight", cols.weight, _is_numeric, "numeric")
    for name in cols.id:
        need("columns.id", name, lambda _: True, "")
    features: list[str] | None = None
    if cols.vector is not None:
        need("columns.vector", cols.vector, _is_vector, "a vector")
    elif cols.features is not None:
        for name in cols.features:
            need("columns.features", name, _is_numeric, "numeric")
        features = list(cols.features)
    else:
        unknown = [c for c in cols.exclude if c not in types]
        if unknown:
            problems.append(f"columns.exclude: column(s) {unknown} not in the input")
        # the CV split columns (model.foldCol / model.validationCol) are never features
        skip = {cols.label, cols.weight, *cols.id, *cols.exclude, *split_cols}
        features = [n for n, t in types.items() if n not in skip and _is_numeric(t)]
        ignored = [n for n, t in types.items() if n not in skip and not _is_numeric(t)]
        if ignored:
            logger.info("non-numeric columns not used as features: %s", ignored)
        if not features:
            problems.append("columns: no numeric feature columns left after excluding "
                            "label, weight, id, columns.exclude and the fold column")
    if problems:
        raise InputDataError("input columns do not match the config:\n" +
                             "\n".join(f"  - {p}" for p in problems))
    logger.info("features: %s", cols.vector if features is None else f"{len(features)} columns")
    return ResolvedColumns(cols.label, cols.weight, list(cols.id), features, cols.vector)
