"""Validate and resolve the input columns of a statistics pass, before any Spark job runs."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lasso_spark.spark.batch import BatchLayout, packed_projection

logger = logging.getLogger(__name__)

__all__ = ["ResolvedInput", "probe_vector_size", "resolve_input", "vector_feature_names"]

HANDLE_INVALID = ("error", "skip")
#: Rows densified at once are bounded so that one chunk ``[X | y]`` stays near this size.
CHUNK_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class ResolvedInput:
    """The projection to run ``mapInArrow`` on, its layout and the feature names."""

    columns: list[Column]
    layout: BatchLayout
    feature_names: list[str]


def _field(df: DataFrame, name: str, role: str,
           fields: dict[str, T.StructField] | None = None) -> T.StructField:
    """The top-level field ``name`` of ``df`` (``fields``: its schema by name, when the caller
    looks up many: ``StructType[name]`` scans the fields, quadratic over thousands)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"{role} must be a non-empty column name, got {name!r}")
    try:
        return df.schema[name] if fields is None else fields[name]
    except (KeyError, LookupError):
        # nested fields and quoting are not supported: names are top-level columns
        cols = ", ".join(df.columns)
        raise ValueError(f"{role} column {name!r} not found; the DataFrame has: {cols}") from None


def _is_vector(dtype: T.DataType) -> bool:
    # imported here: ``pyspark.ml`` loads pandas and every ML module (≈ 1 s in a new Python
    # worker), and the executor-side modules importing this one never call it
    from pyspark.ml.linalg import VectorUDT

    return isinstance(dtype, VectorUDT)


def _require_numeric(field: T.StructField, role: str) -> None:
    if not isinstance(field.dataType, T.NumericType):
        raise ValueError(
            f"{role} column {field.name!r} must be numeric, got {field.dataType.simpleString()}"
        )


def vector_feature_names(field: T.StructField) -> tuple[int | None, list[str] | None]:
    """``(size, names)`` from a vector column's ML attribute metadata (``None`` when absent).

    Names missing from the metadata are filled in as ``f"{column}[{i}]"``.
    """
    attr: Any = (field.metadata or {}).get("ml_attr")
    if not isinstance(attr, dict):
        return None, None
    size = attr.get("num_attrs")
    named: dict[int, str] = {}
    for group in (attr.get("attrs") or {}).values():
        for a in group or []:
            if isinstance(a, dict) and "idx" in a and a.get("name"):
                named[int(a["idx"])] = str(a["name"])
    if size is None and named:
        size = max(named) + 1
    if size is None:
        return None, None
    size = int(size)
    return size, [named.get(i, f"{field.name}[{i}]") for i in range(size)]


def _check_arguments(df: DataFrame, features_col: str | None, input_cols: Sequence[str] | None,
                     num_folds: int, fold_col: str | None, seed: int, handle_invalid: str,
                     num_buckets: int = 0) -> None:
    if not isinstance(df, DataFrame) and type(df).__name__ != "DataFrame":
        raise TypeError(f"df must be a pyspark DataFrame, got {type(df).__name__}")
    if handle_invalid not in HANDLE_INVALID:
        raise ValueError(f"handle_invalid must be one of {HANDLE_INVALID}, got {handle_invalid!r}")
    if isinstance(num_folds, bool) or not isinstance(num_folds, int) or num_folds < 0:
        raise ValueError(f"num_folds must be a non-negative int, got {num_folds!r}")
    if num_folds == 1:
        raise ValueError("num_folds must be 0 (no cross-validation) or at least 2, got 1")
    if fold_col is not None and num_folds < 2:
        raise ValueError(f"fold_col {fold_col!r} needs num_folds >= 2 (its values lie in [0, K))")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an int, got {seed!r}")
    if isinstance(num_buckets, bool) or not isinstance(num_buckets, int) or num_buckets < 0 \
            or num_buckets == 1:
        raise ValueError(f"num_buckets must be 0 (none) or an int >= 2, got {num_buckets!r}")
    if num_buckets and num_folds and fold_col is None and num_buckets % num_folds:
        raise ValueError(f"num_buckets ({num_buckets}) must be a multiple of num_folds "
                         f"({num_folds}) so that each hashed fold is a union of buckets")
    if (features_col is None) == (input_cols is None):
        raise ValueError("pass exactly one of features_col (a vector column) and input_cols")


def _other_columns(df: DataFrame, label_col: str, weight_col: str | None,
                   fold_col: str | None) -> list[str]:
    """Check the label, weight and fold columns; the names in use besides the features."""
    _require_numeric(_field(df, label_col, "label"), "label")
    used = [label_col]
    if weight_col is not None:
        _require_numeric(_field(df, weight_col, "weight"), "weight")
        used.append(weight_col)
    if fold_col is not None:
        fold = _field(df, fold_col, "fold")
        # a boolean column is a 2-fold split: false -> fold 0, true -> fold 1
        if not isinstance(fold.dataType, (T.IntegralType, T.BooleanType)):
            raise ValueError(
                f"fold column {fold_col!r} must be an integer (or boolean) type, "
                f"got {fold.dataType.simpleString()}"
            )
        used.append(fold_col)
    return used


def _numeric_features(df: DataFrame, input_cols: Sequence[str], used: list[str]
                      ) -> tuple[int, list[str]]:
    if isinstance(input_cols, str):
        raise ValueError("input_cols must be a list of column names, not one string")
    names = list(input_cols)
    if not names:
        raise ValueError("input_cols is empty: give at least one feature column")
    dup = sorted({c for c in names if names.count(c) > 1})
    if dup:
        raise ValueError(f"input_cols lists columns more than once: {dup}")
    fields: dict[str, T.StructField] = {}
    for f in df.schema.fields:
        fields.setdefault(f.name, f)  # the first of duplicate names, as StructType[name]
    for c in names:
        _require_numeric(_field(df, c, "feature", fields), "feature")
    clash = sorted(set(names) & set(used))
    if clash:
        raise ValueError(f"columns {clash} are used both as features and as label/weight/fold")
    return len(names), names


def _vector_features(df: DataFrame, features_col: str, used: list[str],
                     num_features: int | None) -> tuple[int, list[str]]:
    field = _field(df, features_col, "features")
    if not _is_vector(field.dataType):
        raise ValueError(
            f"features column {features_col!r} must be a pyspark.ml.linalg vector column, "
            f"got {field.dataType.simpleString()}; use input_cols for numeric columns"
        )
    if features_col in used:
        raise ValueError(f"column {features_col!r} is used both as features and label/weight")
    size, meta_names = vector_feature_names(field)
    if num_features is not None:
        if size is not None and size != num_features:
            raise ValueError(
                f"num_features={num_features} disagrees with the ML attribute metadata of "
                f"{features_col!r} ({size} features)"
            )
        size = int(num_features)
    if size is None:
        size = probe_vector_size(df, features_col)
    if size < 1:
        raise ValueError(f"features column {features_col!r} has vectors of size {size}")
    return size, meta_names or [f"{features_col}[{i}]" for i in range(size)]


def resolve_input(
    df: DataFrame,
    *,
    features_col: str | None,
    input_cols: Sequence[str] | None,
    label_col: str,
    weight_col: str | None,
    num_folds: int,
    fold_col: str | None,
    seed: int,
    handle_invalid: str,
    num_features: int | None,
    num_buckets: int = 0,
    binary_label: bool = False,
    class_labels: int = 0,
) -> ResolvedInput:
    """Check every argument against the schema and build the projection (no job runs here,
    except the one-row probe documented in :func:`lasso_spark.spark.compute_stats`).
    ``binary_label``: a finite label other than 0 or 1 is an invalid row (classifiers);
    ``class_labels = C > 0``: one that is not an integer in ``[0, C)`` (multinomial)."""
    _check_arguments(df, features_col, input_cols, num_folds, fold_col, seed, handle_invalid,
                     num_buckets)
    used = _other_columns(df, label_col, weight_col, fold_col)
    vector = input_cols is None
    if vector:
        p, feature_names = _vector_features(df, features_col, used, num_features)
        feature_columns: tuple[str, ...] = (features_col,)
        exprs = [F.col(features_col), F.col(label_col).cast("double")]
    else:
        p, feature_names = _numeric_features(df, input_cols, used)
        feature_columns = tuple(feature_names)
        # narrow rows: one array column [x..., y] is cheaper to hand to Python than p + 1
        # columns; wide rows the other way round (BatchLayout.packed), as the fields of ONE
        # struct column written as one SQL expression: a Column per feature costs py4j calls
        # and name resolutions that grow with the schema's width (minutes at p = 4000)
        casts = ", ".join(f"CAST({sql_identifier(c)} AS DOUBLE)"
                          for c in (*feature_names, label_col))
        exprs = [F.expr(f"array({casts})" if packed_projection(p) else f"struct({casts})")]
    if weight_col is not None:
        exprs.append(F.col(weight_col).cast("double"))
    if fold_col is not None:
        exprs.append(F.col(fold_col).cast("long"))
    exprs = [e.alias(f"_c{i}") for i, e in enumerate(exprs)]
    layout = BatchLayout(
        n_features=p,
        feature_columns=feature_columns,
        label_column=label_col,
        vector=vector,
        weight_column=weight_col,
        num_folds=num_folds,
        fold_column=fold_col,
        chunk_rows=max(256, CHUNK_BYTES // (8 * (p + 1))),
        seed=int(seed),
        num_buckets=int(num_buckets),
        binary_label=bool(binary_label),
        class_labels=int(class_labels),
        packed=vector or packed_projection(p),
    )
    return ResolvedInput(columns=exprs, layout=layout, feature_names=list(feature_names))


def sql_identifier(name: str) -> str:
    """``name`` quoted for a Spark SQL expression (backticks, inner backticks doubled)."""
    return "`" + name.replace("`", "``") + "`"


def probe_vector_size(df: DataFrame, features_col: str) -> int:
    """Size of the first non-null vector (a one-row job; avoided by metadata or num_features)."""
    logger.info(
        "vector column %r has no ML attribute metadata: probing one row for its size "
        "(pass num_features= to avoid this small extra job)",
        features_col,
    )
    row = df.select(features_col).where(F.col(features_col).isNotNull()).limit(1).collect()
    if not row:
        raise ValueError(f"features column {features_col!r} has no non-null vector (no rows?)")
    return int(row[0][0].size)
