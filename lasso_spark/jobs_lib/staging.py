"""Outputs that are complete or absent: staged in a sibling directory, moved into place last.

A job writes everything under ``StagedOutput.uri`` (a hidden sibling of the final path,
``.<name>._staging-<uuid>``), writes ``_SUCCESS`` last, and calls :meth:`StagedOutput.commit`,
which renames the staging directory onto the final path (moving a previous output aside first
when ``mode = "overwrite"``, deleting it after). Any exception inside the ``with`` block deletes
the staging directory and leaves the final path untouched.

Nothing but the job's own directories is ever deleted: the staging and the moved-aside
directories get fresh unique names (an existing one is an error, never reused), a rename never
lands inside an existing directory, symbolic links are removed as links (their targets are
never followed), and the ``guard`` a job passes (:func:`lasso_spark.jobs_lib.paths.check_paths`:
the output must not overlap an input) runs when the staging directory is created and again just
before the previous output is moved aside, so an input can not be deleted in any order of events.

Local paths use the standard library (``os.replace``); other filesystems go through Hadoop's
``FileSystem`` API via the session's JVM gateway. On object stores (s3a, gs) a rename is a copy,
so the final move is not atomic there; readers should wait for ``_SUCCESS``.
"""

from __future__ import annotations

import logging
import os
import posixpath
import shutil
import uuid
from collections.abc import Callable
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import urlsplit

from lasso_spark.jobs_lib.errors import (
    ConfigError,
    OutputExistsError,
    OutputNotWritableError,
    one_line,
)
from lasso_spark.jobs_lib.paths import local_path
from lasso_spark.spark.hadoop import SUCCESS, HadoopFS

logger = logging.getLogger(__name__)



class FileSystem(Protocol):
    def exists(self, path: str) -> bool: ...
    def mkdirs(self, path: str) -> None: ...
    def delete(self, path: str) -> None: ...
    def rename(self, src: str, dst: str) -> None: ...
    def write_bytes(self, path: str, data: bytes) -> None: ...
    def read_bytes(self, path: str) -> bytes: ...
    def spark_uri(self, path: str) -> str: ...
    def normalize(self, path: str) -> str: ...


def _local(path: str) -> str:
    return local_path(path)


class LocalFS:
    """The local filesystem (paths may carry a ``file:`` scheme)."""

    def exists(self, path: str) -> bool:
        return os.path.lexists(_local(path))

    def mkdirs(self, path: str) -> None:
        os.makedirs(_local(path), exist_ok=True)

    def normalize(self, path: str) -> str:
        """Absolute, ``..`` removed, symbolic links kept (the job operates on the link)."""
        return os.path.abspath(_local(path))

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


def filesystem_for(path: str, spark: Any | None = None) -> FileSystem:
    """LocalFS when ``path`` resolves to the local filesystem, else a HadoopFS.

    Without a session, scheme-less paths are taken as local. With one, Hadoop qualifies the path
    against ``fs.defaultFS`` (so ``/data/x`` on a YARN cluster is HDFS).
    """
    if spark is None:
        return LocalFS()
    hfs = HadoopFS(spark, path)
    return LocalFS() if hfs.scheme == "file" else hfs


def _split(path: str, key: str = "output.path") -> tuple[str, str]:
    stripped = path.rstrip("/")
    parent, name = posixpath.split(stripped)
    uri = urlsplit(path)
    uri_root = bool(uri.scheme) and len(uri.scheme) > 1 and uri.path.strip("/") == ""
    if not name or name in (".", "..") or stripped.endswith(":") or uri_root:
        raise ConfigError(f"{key}: output path {path!r} has no final component")
    return parent, name


class StagedOutput:
    """Context manager around a staging directory for the output at ``final``.

    ``guard`` (no arguments) raises when the output must not be written — the job's check that
    the output does not overlap what it reads; it runs on entry and before the commit.
    """

    def __init__(self, fs: FileSystem, final: str, mode: str = "error", key: str = "output.path",
                 guard: Callable[[], None] | None = None):
        if mode not in ("error", "overwrite"):
            raise ValueError(f"mode must be 'error' or 'overwrite', got {mode!r}")
        self.fs = fs
        _split(final, key)  # a root or an empty path is refused before anything is normalized
        self.final = fs.normalize(final).rstrip("/") if hasattr(fs, "normalize") else (
            final.rstrip("/"))
        self.mode = mode
        self.key = key
        self.guard = guard
        parent, name = _split(self.final, key)
        token = uuid.uuid4().hex[:12]
        self.staging = posixpath.join(parent, f".{name}._staging-{token}") if parent else (
            f".{name}._staging-{token}"
        )
        self._old = self.staging.replace("._staging-", "._replaced-")
        self.committed = False
        self._created = False

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
        if self.guard is not None:
            self.guard()
        self.check_target()
        if self.fs.exists(self.staging):  # never reuse (and later delete) what is there
            raise OutputNotWritableError(f"{self.key}: staging directory {self.staging} exists")
        try:
            self.fs.mkdirs(self.staging)
        except Exception as exc:  # noqa: BLE001 - OSError locally, a Java error through Hadoop
            raise OutputNotWritableError(
                f"{self.key}: cannot create {self.staging} next to {self.final}: {one_line(exc)}"
            ) from None
        self._created = True
        logger.info("staging output in %s", self.staging)
        return self

    def write_success(self) -> None:
        self.fs.write_bytes(self.path(SUCCESS), b"")

    def commit(self, source: str | None = None) -> None:
        """Move the staging directory (or ``source``, a directory inside it) onto the final path,
        moving a previous output aside first and deleting it after."""
        if self.guard is not None:
            self.guard()
        self.check_target()
        src = self.staging if source is None else source
        if not (src == self.staging or src.startswith(self.staging.rstrip("/") + "/")):
            raise ValueError(f"commit source {src} is not inside {self.staging}")
        replaced = False
        if self.fs.exists(self.final):
            if self.fs.exists(self._old):
                raise OutputNotWritableError(f"{self.key}: {self._old} exists; not replacing")
            self.fs.rename(self.final, self._old)
            replaced = True
        try:
            if self.fs.exists(self.final):  # appeared meanwhile: a rename would land inside it
                raise OutputExistsError(f"{self.key}: {self.final} appeared while committing")
            self.fs.rename(src, self.final)
        except BaseException:
            if replaced and not self.fs.exists(self.final):  # put the previous output back
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
        if not self.committed and self._created:
            try:
                self.fs.delete(self.staging)
            except Exception:  # never mask the original error
                logger.exception("could not delete staging directory %s", self.staging)
            if exc is None:
                logger.warning("staged output %s was not committed; discarded", self.staging)
