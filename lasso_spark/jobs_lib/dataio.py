"""Reading a job's input and resolving its columns against the schema (before any data pass)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from lasso_spark.config import ColumnsConfig, InputConfig
from lasso_spark.jobs_lib.errors import ConfigError, InputDataError, one_line
from lasso_spark.jobs_lib.staging import filesystem_for
from lasso_spark.spark.hadoop import HadoopFS

logger = logging.getLogger(__name__)


def check_remote_paths(spark: Any, inp: InputConfig, key: str = "input.path") -> None:
    """Existence of input paths through Hadoop (covers scheme-less paths on a cluster's HDFS);
    a glob must match something."""
    missing = []
    for path in inp.paths():
        fs = filesystem_for(path, spark)
        if any(ch in path for ch in "*?[{"):
            if isinstance(fs, HadoopFS) and not fs.glob_matches(path):
                missing.append(f"{key}: glob matches nothing: {path}")
            continue  # local globs were checked before the session started
        try:
            found = fs.exists(path)
        except Exception as exc:  # noqa: BLE001 - a Java error through Py4J
            raise ConfigError(f"{key}: cannot check {path}: {one_line(exc)}") from None
        if not found:
            missing.append(f"{key}: path does not exist: {path}")
    if missing:
        raise ConfigError("input not found:", missing)


def read_input(spark: Any, inp: InputConfig) -> Any:
    """The configured input as a DataFrame (lazy; CSV gets header=true and, without a schema,
    inferSchema=true, which costs Spark one extra pass over the file)."""
    if inp.table is not None:
        try:
            return spark.read.table(inp.table)
        except Exception as exc:
            from pyspark.errors import AnalysisException

            if isinstance(exc, AnalysisException):
                raise ConfigError(f"input.table {inp.table!r}: {one_line(exc)}") from None
            raise
    reader = spark.read.format(inp.format)
    options = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in inp.options.items()}
    if inp.format == "csv":
        options.setdefault("header", "true")
        if inp.schema_ is None:
            options.setdefault("inferSchema", "true")
    try:
        if inp.schema_ is not None:
            reader = reader.schema(inp.schema_)
        return reader.options(**options).load(inp.paths())
    except Exception as exc:
        from pyspark.errors import AnalysisException, ParseException

        if isinstance(exc, ParseException):
            raise ConfigError(f"input.schema: not a valid DDL schema: {one_line(exc)}") from None
        if isinstance(exc, AnalysisException):  # e.g. no data files to infer a schema from
            raise InputDataError(f"input.path {inp.paths()}: {one_line(exc)}") from None
        raise


_NUMERIC = ("ByteType", "ShortType", "IntegerType", "LongType", "FloatType", "DoubleType",
            "DecimalType")


def _is_numeric(dtype: Any) -> bool:
    return type(dtype).__name__ in _NUMERIC


def _is_vector(dtype: Any) -> bool:
    return type(dtype).__name__ == "VectorUDT"


@dataclass(frozen=True)
class ResolvedColumns:
    """Columns of a fit, checked against the schema; ``not_features`` says why each other
    column of the input is not a feature (``"columns.id"``, ``"columns.exclude"``, ...)."""

    label: str
    weight: str | None
    id: list[str]
    features: list[str] | None  # numeric feature columns (inputCols), or None with a vector
    vector: str | None  # the vector column (featuresCol), or None
    not_features: dict[str, str] = field(default_factory=dict)
    how: str = "columns.features"

    def estimator_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"labelCol": self.label}
        if self.weight is not None:
            params["weightCol"] = self.weight
        if self.vector is not None:
            params["featuresCol"] = self.vector
        else:
            params["inputCols"] = list(self.features or [])
        return params

    def report(self) -> dict[str, Any]:
        """For summary.json: which columns were used, how chosen, and why the others were not."""
        return {
            "label": self.label,
            "weight": self.weight,
            "id": list(self.id),
            "features": self.features if self.features is not None else self.vector,
            "chosenBy": self.how,
            "notFeatures": dict(self.not_features),
        }


#: names that usually are not features: warned about when automatic selection takes them
_SUSPECT = re.compile(r"^(id|.*_id|row_?id|index|idx|w|weight|weights|sample_weight|fold|"
                      r"fold_?id|split|is_?validation)$", re.IGNORECASE)


def resolve_columns(
    schema: Any, cols: ColumnsConfig, split_cols: tuple[tuple[str, str], ...] | tuple[str, ...]
    = ()
) -> ResolvedColumns:
    """Check the configured columns against ``schema``; choose features when not listed.

    ``split_cols`` are the CV split columns, as ``(config key, column)`` pairs (or names): never
    features. Automatic selection (neither ``columns.features`` nor ``columns.vector``) takes
    every other column and refuses a non-numeric one, naming it and its type: a column typed
    string by a few bad cells is not dropped silently. Raises InputDataError naming every
    missing or mistyped column.
    """
    splits = [(c if isinstance(c, tuple) else ("model.foldCol", c)) for c in split_cols]
    types = {f.name: f.dataType for f in schema.fields}
    if not types:
        raise InputDataError("input: no columns at all (an empty file, or a directory without "
                             "data files?)")
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
    for key, name in splits:
        need(key, name, lambda _: True, "")
    reasons: dict[str, str] = {cols.label: "columns.label"}
    if cols.weight is not None:
        reasons[cols.weight] = "columns.weight"
    reasons.update({c: "columns.id" for c in cols.id})
    reasons.update({c: key for key, c in splits})
    features: list[str] | None = None
    how = "columns.features"
    if cols.vector is not None:
        need("columns.vector", cols.vector, _is_vector, "a vector")
        how = "columns.vector"
    elif cols.features is not None:
        for name in cols.features:
            need("columns.features", name, _is_numeric, "numeric")
        clash = [(c, reasons[c]) for c in cols.features if c in reasons]
        for c, why in clash:
            problems.append(f"columns.features: column {c!r} is also {why}")
        features = list(cols.features)
    else:
        how = "automatic"
        unknown = [c for c in cols.exclude if c not in types]
        if unknown:
            problems.append(f"columns.exclude: column(s) {unknown} not in the input")
        reasons.update({c: "columns.exclude" for c in cols.exclude if c not in reasons})
        candidates = [n for n in types if n not in reasons]
        features = [n for n in candidates if _is_numeric(types[n])]
        wrong = [n for n in candidates if not _is_numeric(types[n])]
        for n in wrong:
            problems.append(
                f"columns: column {n!r} is {types[n].simpleString()}, not numeric, and features "
                "are chosen automatically; list the features in columns.features or add it to "
                "columns.exclude"
            )
        if not features and not wrong:
            problems.append("columns: no numeric feature columns left after excluding "
                            "label, weight, id, columns.exclude and the fold column")
        suspects = [n for n in features if _SUSPECT.match(n)]
        if suspects and not problems:
            logger.warning(
                "automatic feature selection uses %s as feature(s): if a column is a weight, "
                "an id or a fold, declare it (columns.weight / columns.id / model.foldCol) or "
                "add it to columns.exclude", suspects,
            )
    if problems:
        raise InputDataError("input columns do not match the config:\n" +
                             "\n".join(f"  - {p}" for p in problems))
    not_features = {n: reasons.get(n, "not listed in columns.features") for n in types
                    if n not in (features or []) and n != cols.vector}
    if features is not None:
        logger.info("features (%s): %d columns %s%s", how, len(features), features[:20],
                    "..." if len(features) > 20 else "")
    else:
        logger.info("features: vector column %r", cols.vector)
    if not_features:
        logger.info("columns not used as features: %s", not_features)
    return ResolvedColumns(cols.label, cols.weight, list(cols.id), features, cols.vector,
                           not_features, how)
