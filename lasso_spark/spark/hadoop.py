"""Small files written and read on the driver, through a classic session's Hadoop ``FileSystem``.

A model's parts and the fit job's tables are a few rows already on the driver: writing each
with ``createDataFrame(rows).write.parquet`` costs a Spark job (seconds in a new session) for
kilobytes. Here they become one Parquet file's bytes (pyarrow, the Spark column types of a DDL
schema) written in Spark's directory layout (one part file, then ``_SUCCESS``) through the
path's Hadoop ``FileSystem``, so any Hadoop path works (file, hdfs, s3a, ...). Spark Connect has
no JVM gateway on the client: there the callers keep the Spark jobs.
"""

from __future__ import annotations

import posixpath
from typing import Any

#: the name of the one part file of a small table (Spark's ``part-*`` pattern, so readers that
#: glob for part files find it)
TABLE_PART = "part-00000-lasso_spark.snappy.parquet"
SUCCESS = "_SUCCESS"


class HadoopFS:
    """Hadoop ``FileSystem`` of a path, through a classic SparkSession's JVM gateway."""

    def __init__(self, spark: Any, path: str) -> None:
        jvm = spark._jvm
        self._jvm = jvm
        self._conf = spark._jsparkSession.sessionState().newHadoopConf()
        self._fs = jvm.org.apache.hadoop.fs.Path(path).getFileSystem(self._conf)

    def _p(self, path: str) -> Any:
        return self._jvm.org.apache.hadoop.fs.Path(path)

    @property
    def scheme(self) -> str:
        return str(self._fs.getUri().getScheme() or "file")

    def exists(self, path: str) -> bool:
        return bool(self._fs.exists(self._p(path)))

    def mkdirs(self, path: str) -> None:
        if not self._fs.mkdirs(self._p(path)):
            raise OSError(f"could not create directory {path}")

    def delete(self, path: str) -> None:
        self._fs.delete(self._p(path), True)

    def rename(self, src: str, dst: str) -> None:
        if not self._fs.rename(self._p(src), self._p(dst)):
            raise OSError(f"could not rename {src} to {dst}")

    def write_bytes(self, path: str, data: bytes) -> None:
        out = self._fs.create(self._p(path), True)
        try:
            out.write(bytearray(data))
        finally:
            out.close()

    def read_bytes(self, path: str) -> bytes:
        stream = self._fs.open(self._p(path))
        try:
            return bytes(self._jvm.org.apache.commons.io.IOUtils.toByteArray(stream))
        finally:
            stream.close()

    def spark_uri(self, path: str) -> str:
        return str(self._fs.makeQualified(self._p(path)).toString())

    def glob_matches(self, pattern: str) -> bool:
        found = self._fs.globStatus(self._p(pattern))
        return found is not None and len(found) > 0

    def normalize(self, path: str) -> str:
        return self.spark_uri(path)


def parquet_bytes(table: Any) -> bytes:
    """A pyarrow table as the bytes of one snappy-compressed Parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="snappy")
    return sink.getvalue().to_pybytes()


def rows_table(rows: list[tuple], schema: str) -> Any:
    """``rows`` as a pyarrow table with the Arrow types Spark gives the DDL ``schema``
    (``"idx INT, coefficients ARRAY<DOUBLE>"`` → int32, list<double>; all nullable, as
    ``createDataFrame(rows, schema)`` makes them), so Spark reads the file back with that
    schema. Needs the active classic session (Spark parses the DDL)."""
    import pyarrow as pa
    from pyspark.sql.pandas.types import to_arrow_schema
    from pyspark.sql.types import DataType

    arrow_schema = to_arrow_schema(DataType.fromDDL(schema))
    columns = list(zip(*rows)) if rows else [[] for _ in arrow_schema.names]
    return pa.Table.from_arrays(
        [pa.array(list(col), type=field.type) for col, field in zip(columns, arrow_schema)],
        schema=arrow_schema)


def write_table_dir(fs: HadoopFS | Any, directory: str, data: bytes) -> None:
    """``directory`` in Spark's layout for one small table: the part file, then ``_SUCCESS``.
    ``fs`` is any object with ``write_bytes(path, data)`` (a :class:`HadoopFS` or the jobs'
    local filesystem)."""
    fs.write_bytes(posixpath.join(directory, TABLE_PART), data)
    fs.write_bytes(posixpath.join(directory, SUCCESS), b"")
