"""Save / load ``LassoModel``: metadata JSON + Parquet, no code on load, every part verified.

Layout under the model directory (any Hadoop-compatible path)::

    metadata/   one JSON line in pyspark.ml's DefaultParamsWriter format (class, uid, paramMap,
                defaultParamMap, sparkVersion) plus "lassoSpark": {formatVersion, numFeatures,
                regParam, elasticNetParam, hasPath, hasCV, cv: {...}, summary: {...},
                [hasStability, stability: {...}], files: {"data/part-…": sha256, …},
                checksums: {metadata, data, path, cv[, stability]}}
    data/       Parquet, one row: featureNames, coefficients, intercept, featureStd
    path/       Parquet, one row per path point (PathTable.ROW_SCHEMA); empty without a path
    cv/         Parquet, one row per CV point (CVTable.ROW_SCHEMA); empty without CV
    stability/  Parquet, one row per regParam of the stability selection
                (StabilityTable.ROW_SCHEMA); only when the model has one, which makes the
                model format 3 (a format-2 reader then asks for an upgrade instead of failing)

Data is written before the metadata, so a directory without ``metadata/`` is incomplete and refuses
to load. On a classic session every part is written from the driver through the path's Hadoop
``FileSystem`` (:mod:`lasso_spark.spark.hadoop`: one Parquet file with the Spark types of the
part's DDL schema, then ``_SUCCESS``; no Spark job); on Spark Connect each part is a Spark job's
``write``. Saving onto an existing path without ``overwrite()`` fails before anything is written,
as MLlib's writers do. ``files`` holds the SHA-256 of every data file as written and ``checksums``
the SHA-256 of the values themselves (coefficients, path, CV table, and the metadata without its
checksums), so an edited, truncated, emptied or deleted file is caught before it is parsed, and an
edit of the metadata before it is used. Loading reads the files' bytes on the driver (through
Hadoop's FileSystem; on Spark Connect with the ``binaryFile`` source), parses them with pyarrow,
and checks every shape, name and type against the metadata: any problem raises one
:class:`ModelLoadError` "model at PATH is damaged: what, where". Models of format 1 (before the
checksums) load with the same structural checks.

Works in a ``Pipeline`` / ``PipelineModel`` next to JVM stages (pyspark saves Python stages with
``stage.write().save(dir)`` and loads them with ``Class.load(dir)``). ``write().overwrite()``
deletes the directory first (classic Spark) or overwrites every part (Spark Connect, where the
JVM file system is out of reach).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import posixpath
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from pyspark.ml.util import DefaultParamsReader, MLReader, MLWriter

from lasso_spark.ml.stability import StabilityTable
from lasso_spark.ml.tables import CVTable, LassoSummary, PathTable
from lasso_spark.spark.hadoop import SUCCESS, HadoopFS, parquet_bytes, rows_table, write_table_dir

if TYPE_CHECKING:
    from lasso_spark.ml.model import LassoModel

logger = logging.getLogger(__name__)

__all__ = [
    "FORMAT_VERSION",
    "LassoModelReader",
    "LassoModelWriter",
    "ModelLoadError",
    "base_checksums",
    "data_row",
    "inspect_local_model",
    "params_record",
    "part_rows",
    "read_verified_parts",
    "rows_checksum",
    "verify_value_checksums",
    "write_metadata_last",
    "write_text_line",
]

#: 3: format 2 + the optional stability/ part (written only by models that have one; the others
#: stay format 2); 2: per-file SHA-256 and value checksums in the metadata; 1: without them
FORMAT_VERSION = 3
#: the format of a model without stability selection
_BASE_FORMAT = 2
MODEL_CLASS = "lasso_spark.ml.model.LassoModel"
#: the class the logistic model's metadata names (its reader: lasso_spark.ml.logistic_model)
LOGISTIC_MODEL_CLASS = "lasso_spark.ml.logistic_model.LogisticLassoModel"
MULTINOMIAL_MODEL_CLASS = "lasso_spark.ml.multinomial_model.MultinomialLassoModel"
_DATA_SCHEMA = (
    "featureNames ARRAY<STRING>, coefficients ARRAY<DOUBLE>, intercept DOUBLE, "
    "featureStd ARRAY<DOUBLE>"
)
_PARTS = ("data", "path", "cv")
#: parts present only when the metadata says so (``has<Part>``)
_OPTIONAL = {"stability": "hasStability"}
_COLUMNS = {
    "data": ("featureNames", "coefficients", "intercept", "featureStd"),
    "path": ("idx", "elasticNetParam", "regParam", "alpha", "l1Ratio", "intercept", "nonzeros",
             "dualityGap", "iterations", "converged", "coefficients"),
    "cv": ("idx", "elasticNetParam", "regParam", "nonzeros", "mseMean", "mseStdErr", "mseFolds"),
    "stability": ("idx", "regParam", "probabilities"),
}
#: columns written since the relaxed lasso (issue 16); models saved before have none of them
_OPTIONAL_COLUMNS = {"path": ("relaxGamma",), "cv": ("relaxGamma",)}


def _parts_of(info: Mapping[str, Any]) -> tuple[str, ...]:
    """The data parts a model's ``lassoSpark`` metadata announces."""
    return _PARTS + tuple(sub for sub, flag in _OPTIONAL.items() if info.get(flag) is True)


class ModelLoadError(ValueError):
    """A saved model cannot be loaded: ``"model at PATH is damaged: what, where"``.

    ``path`` is the model directory, ``what`` the problem (naming the file or key).
    """

    def __init__(self, path: str, what: str, *, damaged: bool = True) -> None:
        self.path = path
        self.what = what
        verb = "is damaged" if damaged else "cannot be loaded"
        super().__init__(f"model at {path} {verb}: {what}")


# ---------------------------------------------------------------------------------- checksums
def _sha(*chunks: bytes) -> str:
    h = hashlib.sha256()
    for c in chunks:
        h.update(len(c).to_bytes(8, "little"))
        h.update(c)
    return h.hexdigest()


def _f8(values: Any) -> bytes:
    return np.ascontiguousarray(np.asarray(values, dtype="<f8")).tobytes()


def _i8(values: Any) -> bytes:
    return np.ascontiguousarray(np.asarray(values, dtype="<i8")).tobytes()


def _text(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def base_checksums(model: Any, metadata: Mapping[str, Any]) -> dict[str, str]:
    """SHA-256 of the parts every lasso_spark model has: ``data`` (feature names,
    coefficients, intercept, featureStd) and ``metadata`` (class, params and the
    ``lassoSpark`` section without its checksums)."""
    std = model.featureStd
    return {
        "data": _sha(_text(model.featureNames), _f8(model.coefficients.toArray()),
                     _f8([model.intercept]), b"none" if std is None else _f8(std)),
        "metadata": _sha(_text({k: metadata.get(k) for k in ("class", "paramMap",
                                                             "defaultParamMap")}),
                         _text({k: v for k, v in metadata["lassoSpark"].items()
                                if k not in ("checksums", "files")})),
    }


def rows_checksum(rows: list[tuple], meta: Any = None) -> str:
    """SHA-256 of a table part's rows (as ``to_rows`` gives them, in any order) and its
    metadata: what the part's Parquet must decode to."""
    return _sha(*sorted(_text(list(r)) for r in rows), _text(meta))


def _value_checksums(model: LassoModel, metadata: Mapping[str, Any]) -> dict[str, str]:
    """SHA-256 of the model's values, part by part (what the files must decode to)."""
    out = base_checksums(model, metadata)
    t = model.pathTable
    if t is not None:
        out["path"] = _sha(_f8(t.elastic_net_params), _f8(t.reg_params), _f8(t.alphas),
                           _f8(t.l1_ratios), _f8(t.intercepts), _i8(t.nonzeros),
                           _f8(t.duality_gaps), _i8(t.iterations), _i8(t.converged),
                           _f8(t.coef))
    c = model.cvTable
    if c is not None:
        out["cv"] = _sha(_f8(c.elastic_net_params), _f8(c.reg_params), _i8(c.nonzeros),
                         _f8(c.mse_mean), _f8(c.mse_se), _f8(c.mse_folds), _text(c.meta()))
    st = model.stabilityTable
    if st is not None:
        out["stability"] = _sha(_f8(st.reg_params), _f8(st.probabilities), _text(st.meta()))
    return out


# ---------------------------------------------------------------------------------- file access
def _is_remote() -> bool:
    try:
        from pyspark.sql.utils import is_remote

        return bool(is_remote())
    except ImportError:  # pragma: no cover
        return False


def _java_cause(exc: BaseException) -> str:
    java = getattr(exc, "java_exception", None)
    if java is None:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    try:
        cause = java
        while cause.getCause() is not None:
            cause = cause.getCause()
        return str(cause.toString()).splitlines()[0]
    except Exception:  # noqa: BLE001
        return type(exc).__name__


class _Files:
    """The data files of one model directory: names → bytes, read on the driver."""

    def __init__(self, spark: Any, root: str, model_path: str) -> None:
        self.spark = spark
        self.root = root.rstrip("/")
        self.model_path = model_path
        self._hadoop = None if _is_remote() or not hasattr(spark, "_jvm") else spark._jvm

    def read_dir(self, sub: str) -> dict[str, bytes] | None:
        """Files of ``root/sub`` (Spark's hidden ``_``/``.`` files left out); None if absent."""
        where = posixpath.join(self.root, sub)
        if self._hadoop is not None:
            return self._read_hadoop(where, sub)
        return self._read_binary(where, sub)

    def _read_hadoop(self, where: str, sub: str) -> dict[str, bytes] | None:
        jvm = self._hadoop
        conf = self.spark._jsparkSession.sessionState().newHadoopConf()
        hpath = jvm.org.apache.hadoop.fs.Path(where)
        fs = hpath.getFileSystem(conf)
        if not fs.exists(hpath):
            return None
        if not fs.getFileStatus(hpath).isDirectory():
            raise ModelLoadError(self.model_path, f"{sub}/ is a file, not a directory")
        out: dict[str, bytes] = {}
        for status in fs.listStatus(hpath):
            name = str(status.getPath().getName())
            if name.startswith(("_", ".")) or status.isDirectory():
                continue
            stream = None
            try:
                stream = fs.open(status.getPath())
                out[name] = bytes(jvm.org.apache.commons.io.IOUtils.toByteArray(stream))
            except Exception as exc:  # noqa: BLE001 - e.g. Hadoop's ChecksumException
                raise ModelLoadError(
                    self.model_path, f"{sub}/{name} cannot be read: {_java_cause(exc)} (the file "
                    "was edited or corrupted after it was saved)") from None
            finally:
                if stream is not None:
                    stream.close()
        return out

    def _read_binary(self, where: str, sub: str) -> dict[str, bytes] | None:
        try:
            rows = self.spark.read.format("binaryFile").load(where).select(
                "path", "content").collect()
        except Exception as exc:  # noqa: BLE001
            condition = getattr(exc, "getCondition", None) or getattr(exc, "getErrorClass", None)
            if condition is not None and condition() == "PATH_NOT_FOUND":
                return None
            raise ModelLoadError(self.model_path,
                                 f"{sub}/ cannot be read: {_java_cause(exc)}") from None
        return {posixpath.basename(str(r["path"])): bytes(r["content"]) for r in rows}

    def file_hashes(self, sub: str) -> dict[str, str]:
        files = self.read_dir(sub) or {}
        return {f"{sub}/{name}": hashlib.sha256(data).hexdigest() for name, data in files.items()}


# ---------------------------------------------------------------------------------- writing
class LassoModelWriter(MLWriter):
    """Writes a :class:`LassoModel` (see the module docstring for the layout)."""

    def __init__(self, instance: LassoModel) -> None:
        super().__init__()
        self.instance = instance

    #: the model directory's filesystem on a classic session (parts written from the driver,
    #: no Spark job); None on Spark Connect, where every part is a Spark job's write
    direct: HadoopFS | None = None

    def save(self, path: str) -> None:
        if not isinstance(path, str):
            raise TypeError(f"path must be a str, got {type(path).__name__}")
        spark = self.sparkSession
        remote = _is_remote() or not hasattr(spark, "_jvm")
        self.direct = None if remote else HadoopFS(spark, path)
        if self.shouldOverwrite and not remote:
            self._handleOverwrite(path)
        elif self.direct is not None and self.direct.exists(path):
            # what MLlib's writers say (Spark's own jobs would fail on the first part instead)
            raise FileExistsError(f"Path {path} already exists. To overwrite it, use "
                                  "write().overwrite().save(path).")
        self.saveImpl(path)

    def _write(self, rows: list[tuple], schema: str, path: str) -> None:
        """One part: ``rows`` with the DDL ``schema`` as Parquet under ``path``."""
        if self.direct is not None:
            write_table_dir(self.direct, path, parquet_bytes(rows_table(rows, schema)))
            return
        mode = "overwrite" if self.shouldOverwrite else "error"
        df = self.sparkSession.createDataFrame(rows, schema=schema)
        df.coalesce(1).write.mode(mode).parquet(path)

    def saveImpl(self, path: str) -> None:
        m = self.instance
        std = m.featureStd
        self._write(
            [(m.featureNames, m._coef.tolist(), m.intercept,
              None if std is None else std.tolist())],
            _DATA_SCHEMA, os.path.join(path, "data"),
        )
        path_rows = [] if m.pathTable is None else m.pathTable.to_rows()
        self._write(path_rows, PathTable.ROW_SCHEMA, os.path.join(path, "path"))
        cv_rows = [] if m.cvTable is None else m.cvTable.to_rows()
        self._write(cv_rows, CVTable.ROW_SCHEMA, os.path.join(path, "cv"))
        if m.stabilityTable is not None:
            self._write(m.stabilityTable.to_rows(), StabilityTable.ROW_SCHEMA,
                        os.path.join(path, "stability"))
        record = metadata_record(m, str(self.sparkSession.version))
        write_metadata_last(self, path, record)
        logger.info("saved LassoModel %s (%d features) to %s", m.uid, m.numFeatures, path)


def write_metadata_last(writer: MLWriter, path: str, record: dict[str, Any]) -> None:
    """Record the SHA-256 of every data file of the parts ``record`` announces, then write
    ``metadata/`` (last: a directory without it is an unfinished save and refuses to load)."""
    files = _Files(writer.sparkSession, path, path)
    record["lassoSpark"]["files"] = {
        name: digest for sub in _parts_of(record["lassoSpark"])
        for name, digest in files.file_hashes(sub).items()
    }
    line = json.dumps(record, separators=(",", ":"))
    write_text_line(writer, os.path.join(path, "metadata"), line)


def write_text_line(writer: MLWriter, directory: str, line: str) -> None:
    """``directory`` as Spark's text writer leaves one line (a part file, then ``_SUCCESS``):
    from the driver on a classic session, by a Spark job on Spark Connect."""
    direct = getattr(writer, "direct", None)
    if direct is not None:
        direct.write_bytes(posixpath.join(directory, "part-00000"), (line + "\n").encode())
        direct.write_bytes(posixpath.join(directory, SUCCESS), b"")
        return
    mode = "overwrite" if writer.shouldOverwrite else "error"
    writer.sparkSession.createDataFrame([(line,)], schema="value STRING") \
        .coalesce(1).write.mode(mode).text(directory)


def params_record(model: Any, spark_version: str, lasso_spark: dict[str, Any]) -> dict[str, Any]:
    """pyspark's DefaultParamsWriter fields of ``model`` (class, timestamp, sparkVersion, uid,
    paramMap, defaultParamMap) and the ``lassoSpark`` block, as JSON will read them back."""
    import time

    record: dict[str, Any] = {
        "class": f"{type(model).__module__}.{type(model).__name__}",
        "timestamp": int(round(time.time() * 1000)),
        "sparkVersion": spark_version,
        "uid": model.uid,
        "paramMap": {p.name: v for p, v in model._paramMap.items()},
        "defaultParamMap": {p.name: v for p, v in model._defaultParamMap.items()},
        "lassoSpark": lasso_spark,
    }
    return json.loads(json.dumps(record))  # exactly what the reader will see


def metadata_record(model: LassoModel, spark_version: str) -> dict[str, Any]:
    """The metadata JSON of ``model`` (:func:`params_record`) with its value checksums;
    ``lassoSpark.files`` is filled in once the files are written."""
    record = params_record(model, spark_version, {
        "formatVersion": _BASE_FORMAT if model.stabilityTable is None else FORMAT_VERSION,
        "numFeatures": model.numFeatures,
        "regParam": model.regParam,
        "elasticNetParam": model.elasticNetParam,
        "hasPath": model.pathTable is not None,
        "hasCV": model.cvTable is not None,
        "cv": None if model.cvTable is None else model.cvTable.meta(),
        "summary": model.summary.asDict() if model.hasSummary else None,
        **({} if model.stabilityTable is None else {
            "hasStability": True, "stability": model.stabilityTable.meta()}),
    })
    record["lassoSpark"]["checksums"] = _value_checksums(model, record)
    return record


# ---------------------------------------------------------------------------------- reading
def _parse_metadata(path: str, files: Mapping[str, bytes] | None) -> dict[str, Any]:
    if files is None:
        raise ModelLoadError(path, "metadata/ is missing (not a saved LassoModel, or a save that "
                                   "did not finish)")
    lines = [ln for data in files.values() for ln in data.decode("utf-8", "replace").splitlines()
             if ln.strip()]
    if not lines:
        raise ModelLoadError(path, "metadata/ is empty")
    if len(lines) > 1:
        raise ModelLoadError(path, f"metadata/ holds {len(lines)} lines, expected 1")
    try:
        meta = json.loads(lines[0])
    except json.JSONDecodeError as exc:
        raise ModelLoadError(path, f"metadata/ is not valid JSON ({exc.msg} at character "
                                   f"{exc.pos} of {len(lines[0])})") from None
    if not isinstance(meta, dict):
        raise ModelLoadError(path, "metadata/ is not a JSON object")
    return meta


def _check_metadata(path: str, meta: Mapping[str, Any], accepted: tuple[str, ...]
                    ) -> dict[str, Any]:
    """The ``lassoSpark`` section, checked key by key (ModelLoadError naming the key);
    ``accepted`` the classes the metadata may name."""
    cls = meta.get("class")
    if cls not in accepted:
        names = " or ".join(c.rsplit(".", 1)[-1] for c in accepted)
        raise ModelLoadError(path, f"metadata/ describes a {cls!r}, not a lasso_spark {names}")
    info = meta.get("lassoSpark")
    if not isinstance(info, dict):
        raise ModelLoadError(path, "metadata/ has no 'lassoSpark' section (saved by another "
                                   "library, or edited)")
    for key in ("paramMap", "defaultParamMap"):
        if not isinstance(meta.get(key), dict):
            raise ModelLoadError(path, f"metadata/ key {key!r} is missing or not an object")
    if not isinstance(meta.get("uid"), str):
        raise ModelLoadError(path, "metadata/ key 'uid' is missing or not a string")
    version = info.get("formatVersion")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelLoadError(path, f"metadata/ lassoSpark.formatVersion is {version!r}, not a "
                                   "positive integer")
    if version > FORMAT_VERSION:
        raise ModelLoadError(path, f"saved in format {version}; this lasso_spark reads formats "
                                   f"1 to {FORMAT_VERSION}: upgrade lasso_spark", damaged=False)
    expect = {"numFeatures": int, "regParam": (int, float), "elasticNetParam": (int, float),
              "hasPath": bool, "hasCV": bool}
    for key, types in expect.items():
        value = info.get(key)
        ok = isinstance(value, types) and not (types is int and isinstance(value, bool))
        if not ok or (isinstance(value, float) and not math.isfinite(value)):
            raise ModelLoadError(path, f"metadata/ lassoSpark.{key} is {value!r}")
    if info["numFeatures"] < 0:
        raise ModelLoadError(path, f"metadata/ lassoSpark.numFeatures is {info['numFeatures']}")
    if info["hasCV"]:
        cv = info.get("cv")
        if not isinstance(cv, dict) or not all(
            k in cv for k in ("numFolds", "indexMin", "index1se", "selectionRule")
        ):
            raise ModelLoadError(path, "metadata/ lassoSpark.cv is missing keys (numFolds, "
                                       "indexMin, index1se, selectionRule)")
    if info.get("summary") is not None and not isinstance(info["summary"], dict):
        raise ModelLoadError(path, "metadata/ lassoSpark.summary is not an object")
    _check_stability_metadata(path, info, version)
    if version >= 2:
        for key in ("files", "checksums"):
            if not isinstance(info.get(key), dict):
                raise ModelLoadError(path, f"metadata/ lassoSpark.{key} is missing")
    return info


def _check_stability_metadata(path: str, info: Mapping[str, Any], version: int) -> None:
    """``hasStability`` (optional, format 3) and the keys of ``stability`` it announces."""
    flag = info.get("hasStability", False)
    if not isinstance(flag, bool):
        raise ModelLoadError(path, f"metadata/ lassoSpark.hasStability is {flag!r}")
    if not flag:
        return
    if version < 3:
        raise ModelLoadError(path, f"metadata/ says hasStability in format {version} (stability "
                                   "selection is saved from format 3 on)")
    meta = info.get("stability")
    if not isinstance(meta, dict) or not all(k in meta for k in StabilityTable.META_KEYS):
        raise ModelLoadError(path, "metadata/ lassoSpark.stability is missing keys "
                                   f"({', '.join(StabilityTable.META_KEYS)})")


def _check_files(path: str, info: Mapping[str, Any], parts: Mapping[str, dict[str, bytes] | None],
                 ) -> None:
    """Every data file present, none added, each with the SHA-256 recorded at save time."""
    subs = _parts_of(info)
    for sub in subs:
        if parts.get(sub) is None:
            raise ModelLoadError(path, f"{sub}/ is missing")
    recorded: dict[str, str] | None = info.get("files")
    if recorded is None:  # format 1
        return
    present = {f"{sub}/{name}": data for sub in subs for name, data in (parts[sub] or {}).items()}
    missing = sorted(set(recorded) - set(present))
    if missing:
        raise ModelLoadError(path, f"{len(missing)} data file(s) deleted: {missing[:3]}")
    extra = sorted(set(present) - set(recorded))
    if extra:
        raise ModelLoadError(path, f"{len(extra)} data file(s) not written by the save: "
                                   f"{extra[:3]}")
    for name, digest in recorded.items():
        data = present[name]
        if hashlib.sha256(data).hexdigest() != digest:
            what = "is empty" if not data else f"({len(data)} bytes) does not match its checksum"
            raise ModelLoadError(path, f"{name} {what} (edited, truncated or corrupted)")


def part_rows(path: str, sub: str, files: Mapping[str, bytes],
              columns: tuple[str, ...] | None = None) -> list[tuple]:
    """Rows of a part's Parquet files, in the written column order, checked by name
    (``columns``: the part's columns, default the LassoModel part's)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = []
    for name in sorted(files):
        try:
            tables.append(pq.read_table(pa.BufferReader(files[name])))
        except Exception as exc:  # noqa: BLE001 - pyarrow raises ArrowInvalid and friends
            raise ModelLoadError(path, f"{sub}/{name} is not a readable Parquet file "
                                       f"({str(exc).splitlines()[0][:200]})") from None
    if not tables:
        return []
    want = _COLUMNS[sub] if columns is None else tuple(columns)
    extra = _OPTIONAL_COLUMNS.get(sub, ()) if columns is None else ()
    if extra and tuple(tables[0].column_names) == want + extra:
        want = want + extra
    for name, t in zip(sorted(files), tables):
        if tuple(t.column_names) != want:
            raise ModelLoadError(path, f"{sub}/{name} has columns {t.column_names}, expected "
                                       f"{list(want)}")
    table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
    cols = [table.column(c).to_pylist() for c in want]
    return list(zip(*cols))


def data_row(path: str, rows: list[tuple], p: int) -> tuple[list[str], np.ndarray, float,
                                                             np.ndarray | None]:
    if len(rows) != 1:
        raise ModelLoadError(path, f"data/ has {len(rows)} rows, expected 1")
    names, coef, intercept, std = rows[0]
    if coef is None or names is None or intercept is None:
        raise ModelLoadError(path, "data/ has a null featureNames, coefficients or intercept")
    if len(coef) != p:
        raise ModelLoadError(path, f"data/ holds {len(coef)} coefficients but metadata/ says "
                                   f"numFeatures = {p}")
    if len(names) != p or any(not isinstance(n, str) for n in names):
        raise ModelLoadError(path, f"data/ holds {len(names)} feature names for {p} features")
    if len(set(names)) != p:
        raise ModelLoadError(path, "data/ featureNames are not unique")
    values = np.asarray([np.nan if c is None else c for c in coef], dtype=np.float64)
    if not (np.isfinite(values).all() and math.isfinite(intercept)):
        raise ModelLoadError(path, "data/ holds non-finite coefficients or intercept")
    std_arr = None
    if std is not None:
        if len(std) != p:
            raise ModelLoadError(path, f"data/ holds {len(std)} featureStd values for {p} "
                                       "features")
        std_arr = np.asarray([np.nan if s is None else s for s in std], dtype=np.float64)
    return list(names), values, float(intercept), std_arr


def read_verified_parts(spark: Any, path: str, accepted: tuple[str, ...]
                        ) -> tuple[dict[str, Any], dict[str, Any], dict[str, dict[str, bytes]]]:
    """``(metadata, its lassoSpark section, part → file name → bytes)`` of the model at
    ``path``: the metadata checked key by key (``accepted``: the classes it may name), every
    part present and every data file equal to the SHA-256 recorded at save time."""
    if not isinstance(path, str):
        raise TypeError(f"path must be a str, got {type(path).__name__}")
    files = _Files(spark, path, path)
    meta = _parse_metadata(path, files.read_dir("metadata"))
    info = _check_metadata(path, meta, accepted)
    parts = {sub: files.read_dir(sub) for sub in _parts_of(info)}
    _check_files(path, info, parts)
    return meta, info, parts  # type: ignore[return-value]


def verify_value_checksums(path: str, info: Mapping[str, Any],
                           actual: Callable[[], Mapping[str, str]]) -> None:
    """The loaded model's value checksums (``actual()``) against those recorded at save time;
    a format-1 model (none recorded) passes with its structural checks."""
    recorded = info.get("checksums")
    if recorded is None:
        logger.info("model at %s is format 1 (no checksums): loaded with structural checks",
                    path)
        return
    values = actual()
    for part in ("metadata", *_parts_of(info)):
        if recorded.get(part) != values.get(part):
            where = "metadata/" if part == "metadata" else f"{part}/"
            raise ModelLoadError(path, f"{where} values do not match the checksum recorded at "
                                       "save time (edited after the save)")


class LassoModelReader(MLReader["LassoModel"]):
    """Reads what :class:`LassoModelWriter` wrote; runs no stored code; verifies everything."""

    def __init__(self, cls: type) -> None:
        super().__init__()
        self.cls = cls

    def load(self, path: str) -> LassoModel:
        if not isinstance(path, str):
            raise TypeError(f"path must be a str, got {type(path).__name__}")
        meta, info, parts = read_verified_parts(
            self.sparkSession, path, (f"{self.cls.__module__}.{self.cls.__name__}", MODEL_CLASS))
        model = self._build(path, meta, info, parts)
        verify_value_checksums(path, info, lambda: _value_checksums(model, meta))
        return model

    def _build(self, path: str, meta: Mapping[str, Any], info: Mapping[str, Any],
               parts: Mapping[str, dict[str, bytes] | None]) -> LassoModel:
        p = int(info["numFeatures"])
        rows = part_rows(path, "data", parts["data"] or {})
        names, coef, intercept, std = data_row(path, rows, p)
        path_table = None
        if info["hasPath"]:
            rows = part_rows(path, "path", parts["path"] or {})
            if not rows:
                raise ModelLoadError(path, "path/ is empty but metadata/ says hasPath")
            bad = [r[0] for r in rows if r[10] is None or len(r[10]) != p]
            if bad:
                raise ModelLoadError(path, f"path/ rows {bad[:3]} do not hold {p} coefficients")
            if sorted(r[0] for r in rows) != list(range(len(rows))):
                raise ModelLoadError(path, "path/ row indices are not 0..m-1")
            try:
                path_table = PathTable.from_rows(rows, p)
            except (TypeError, ValueError) as exc:
                raise ModelLoadError(path, f"path/ is inconsistent: {exc}") from None
        cv_table = None
        if info["hasCV"]:
            rows = part_rows(path, "cv", parts["cv"] or {})
            k = info["cv"]["numFolds"]
            if not rows:
                raise ModelLoadError(path, "cv/ is empty but metadata/ says hasCV")
            bad = [r[0] for r in rows if r[6] is None or len(r[6]) != k]
            if bad:
                raise ModelLoadError(path, f"cv/ rows {bad[:3]} do not hold {k} fold errors")
            for key in ("indexMin", "index1se"):
                i = info["cv"][key]
                if not isinstance(i, int) or not 0 <= i < len(rows):
                    raise ModelLoadError(path, f"metadata/ lassoSpark.cv.{key} = {i!r} is "
                                               f"outside the {len(rows)} CV rows")
            try:
                cv_table = CVTable.from_rows(rows, info["cv"])
            except (TypeError, ValueError, KeyError) as exc:
                raise ModelLoadError(path, f"cv/ is inconsistent: {exc}") from None
        try:
            summary = (None if info.get("summary") is None
                       else LassoSummary.fromDict(info["summary"]))
        except TypeError as exc:
            raise ModelLoadError(path, f"metadata/ lassoSpark.summary: {exc}") from None
        stability = _stability_table(path, info, parts, p)
        try:
            model = self.cls(
                coef, intercept, featureNames=names, regParam=float(info["regParam"]),
                elasticNetParam=float(info["elasticNetParam"]), path=path_table, cv=cv_table,
                summary=summary, featureStd=std, stability=stability,
            )
            model._resetUid(meta["uid"])
            DefaultParamsReader.getAndSetParams(model, dict(meta))
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            raise ModelLoadError(path, f"metadata/ params do not fit the model: {exc}") from None
        if model.isSet(model.inputCols) and len(model.getInputCols()) != p:
            raise ModelLoadError(path, f"metadata/ paramMap.inputCols has "
                                       f"{len(model.getInputCols())} columns for {p} features")
        return model


def _stability_table(path: str, info: Mapping[str, Any],
                     parts: Mapping[str, dict[str, bytes] | None], p: int
                     ) -> StabilityTable | None:
    """The stability selection a model saved (``hasStability``), checked row by row."""
    if not info.get("hasStability"):
        return None
    rows = part_rows(path, "stability", parts.get("stability") or {})
    if not rows:
        raise ModelLoadError(path, "stability/ is empty but metadata/ says hasStability")
    try:
        return StabilityTable.from_rows(rows, info["stability"], p)
    except (TypeError, ValueError) as exc:
        raise ModelLoadError(path, f"stability/ is inconsistent: {exc}") from None


def inspect_local_model(path: str) -> dict[str, Any]:
    """Spark-free check of a model directory on the local filesystem (``--check``): the
    metadata, and every data file against its recorded SHA-256 (a ``LassoModel`` or a
    ``LogisticLassoModel`` or a format-3 ``MultinomialLassoModel``). Returns the
    ``lassoSpark`` section with ``modelClass`` (the short
    class name), ``paramMap`` and ``defaultParamMap`` added; raises :class:`ModelLoadError`."""

    def read(sub: str) -> dict[str, bytes] | None:
        where = os.path.join(path, sub)
        if not os.path.isdir(where):
            return None
        out = {}
        for name in sorted(os.listdir(where)):
            full = os.path.join(where, name)
            if name.startswith(("_", ".")) or os.path.isdir(full):
                continue
            with open(full, "rb") as fh:
                out[name] = fh.read()
        return out

    meta = _parse_metadata(path, read("metadata"))
    info = _check_metadata(path, meta, (MODEL_CLASS, LOGISTIC_MODEL_CLASS,
                                        MULTINOMIAL_MODEL_CLASS))
    _check_files(path, info, {sub: read(sub) for sub in _parts_of(info)})
    return {**info, "modelClass": str(meta["class"]).rsplit(".", 1)[-1],
            "paramMap": meta["paramMap"], "defaultParamMap": meta["defaultParamMap"]}
