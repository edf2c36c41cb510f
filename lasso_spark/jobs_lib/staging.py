"""Outputs that are complete or absent: staged in a sibling directory, moved into place last.

A job writes everything under ``StagedOutput.uri`` (a hidden sibling of the final path,
``.<name>._staging-<uuid>``), writes ``_SUCCESS`` last, and calls :meth:`StagedOutput.commit`,
which renames the staging directory onto the final path (moving a previous output aside first
when ``mode = "overwrite"``, deleting it after). Any exception inside the ``with`` block deletes
the staging directory and leaves the final path untouched.

Local paths use the standard library (``os.replace``); other filesystems go through Hadoop's
``FileSystem`` API via the session's JVM gateway. On object stores (s3a, gs) a rename is a copy,
so the final move is not atomic there; readers should wait for ``_SUCCESS``.
"""

from __future__ import annotations

import logging
import os
import posixpath
import re
import shutil
import uuid
from types import TracebackType
from typing import Any, Protocol

from lasso_spark.jobs_lib.errors import OutputExistsError

logger = logging.getLogger(__name__)

SUCCESS = "_SUCCESS"


class FileSystem(Protocol):
    def exists(self, path: str) -> bool: ...
    def mkdirs(self, path: str) -> None: ...
    def delete(self, path: str) -> None: ...
    def rename(self, src: str, dst: str) -> None: ...
    def write_bytes(self, path: str, data: bytes) -> None: ...
    def read_bytes(self, path: str) -> bytes: ...
    def spark_uri(self, path: str) -> str: ...


def _local(path: str) -> str:
    return re.sub(r"^file:(//)?", "", path) if path.startswith("file:") else path


class LocalFS:
    """The local filesystem (paths may carry a ``file:`` scheme)."""

    def exists(self, path: str) -> bool:
        return os.path.lexists(_local(path))

    def mkdirs(self, path: str) -> None:
        os.makedirs(_local(path), exist_ok=True)

    def delete(self, path: str) -> None:
        p = _local(path)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p)
        elif os.path.lexists(p):
            os.remove(p)

    def rename(self, src: str, dst: str) -> None:
        os.replace(_local(src), _local(dst))

    def write_bytes(self, path: str, data: bytes) -> None:
        p = _local(path)
        os.makedirs(os.path.dirname(p) or ".", exist_ok=True)
        with open(p, "wb") as fh:
            fh.write(data)

    def read_bytes(self, path: str) -> bytes:
        with open(_local(path), "rb") as fh:
            return fh.read()

    def spark_uri(self, path: str) -> str:
        return "file://" + os.path.abspath(_local(path))


class HadoopFS:
    """Hadoop ``FileSystem`` of a path, through a classic SparkSession's JVM gateway."""

    def __init__(self, spark: Any, path: str) -> None:
        jvm = spark._jvm
        self._jvm = jvm
        self._conf = spark._jsparkSession.sessionState().newHadoopConf()
        self._fs = jvm.org.apache.hadoop.fs.Path(path).getFileSystem(self._conf)

    def _p(self, path: str) -> Any:
        return self._jvm.org.apache.hadoop.fs.Path(path)

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


def filesystem_for(path: str, spark: Any | None = None) -> FileSystem:
    """LocalFS when ``path`` resolves to the local filesystem, else a HadoopFS.

    Without a session, scheme-less paths are taken as local. With one, Hadoop qualifies the path
    against ``fs.defaultFS`` (so ``/data/x`` on a YARN cluster is HDFS).
    """
    if spark is None:
        return LocalFS()
    hfs = HadoopFS(spark, path)
    scheme = str(hfs._fs.getUri().getScheme() or "file")
    return LocalFS() if scheme == "file" else hfs


def _split(path: str) -> tuple[str, str]:
    stripped = path.rstrip("/")
    parent, name = posixpath.split(stripped)
    if not name:
        raise ValueError(f"output path {path!r} has no final component")
    return parent, name


class StagedOutput:
    """Context manager around a staging directory for the output at ``final``."""

    def __init__(self, fs: FileSystem, final: str, mode: str = "error", key: str = "output.path"):
        if mode not in ("error", "overwrite"):
            raise ValueError(f"mode must be 'error' or 'overwrite', got {mode!r}")
        self.fs = fs
        self.final = final.rstrip("/")
        self.mode = mode
        self.key = key
        parent, name = _split(self.final)
        token = uuid.uuid4().hex[:12]
        self.staging = posixpath.join(parent, f".{name}._staging-{token}") if parent else (
            f".{name}._staging-{token}"
        )
        self._old = self.staging.replace("._staging-", "._replaced-")
        self.committed = False

    @property
    def uri(self) -> str:
        """The staging directory as a URI Spark writers accept."""
        return self.fs.spark_uri(self.staging)

    def path(self, *parts: str) -> str:
        return posixpath.join(self.staging, *parts)

    def check_target(self) -> None:
        if self.mode != "overwrite" and self.fs.exists(self.final):
            raise OutputExistsError(
                f'{self.key}: {self.final} already exists; set {self.key.rsplit(".", 1)[0]}'
                '.mode = "overwrite" to replace it'
            )

    def __enter__(self) -> StagedOutput:
        self.check_target()
        self.fs.mkdirs(self.staging)
        logger.info("staging output in %s", self.staging)
        return self

    def write_success(self) -> None:
        self.fs.write_bytes(self.path(SUCCESS), b"")

    def commit(self, source: str | None = None) -> None:
        """Move the staging directory (or ``source``, a directory inside it) onto the final path,
        moving a previous output aside first and deleting it after."""
        self.check_target()
        src = self.staging if source is None else source
        replaced = False
        if self.fs.exists(self.final):
            self.fs.rename(self.final, self._old)
            replaced = True
        try:
            self.fs.rename(src, self.final)
        except BaseException:
            if replaced:  # put the previous output back
                self.fs.rename(self._old, self.final)
            raise
        self.committed = True
        if replaced:
            self.fs.delete(self._old)
        if src != self.staging:
            self.fs.delete(self.staging)
        logger.info("output committed to %s", self.final)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self.committed:
            try:
                self.fs.delete(self.staging)
            except Exception:  # never mask the original error
                logger.exception("could not delete staging directory %s", self.staging)
            if exc is None:
                logger.warning("staged output %s was not committed; discarded", self.staging)
