"""Where a job reads and writes, resolved, and the rules that keep its outputs off its inputs.

An output may never equal, contain or lie inside anything the job reads — an input path (each
entry of a list, each glob), a catalog table's location, the model being scored, the config
file — whatever ``output.mode`` says: an overwrite deletes the old output, and with it the input.
Paths are compared after resolution:

* local paths (no scheme while Spark's default filesystem is local, or ``file:``): made
  absolute, ``..`` removed, symbolic links resolved (``os.path.realpath``); a glob is resolved
  up to its first wildcard and, in addition, every path it matches today is resolved; links
  inside an input directory add their targets;
* other schemes: qualified by Hadoop's ``FileSystem`` once a session exists (``fs.defaultFS``
  for scheme-less paths, the working directory for relative ones); before that, explicit
  ``scheme://authority/path`` URIs are compared as written (normalized).

Two paths overlap when they live on the same filesystem and one's components are a prefix of
the other's (a glob component matches like Hadoop's globs: ``* ? [..] {a,b}``). In addition an
output must not be a filesystem root or contain the working directory or the home directory.
Checks here need no Spark job; :func:`check_paths` runs before the job reads anything.
"""

from __future__ import annotations

import logging
import os
import posixpath
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from lasso_spark.jobs_lib.errors import (
    ConfigError,
    OutputNotWritableError,
    OutputOverlapError,
)

logger = logging.getLogger(__name__)

__all__ = [
    "Location",
    "input_paths",
    "check_outputs_writable",
    "expand_braces",
    "check_paths",
    "has_glob",
    "is_local",
    "local_path",
    "locate",
    "overlap",
]

GLOB_CHARS = frozenset("*?[{")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
#: entries of an input directory scanned for symbolic links pointing elsewhere
MAX_SCANNED_ENTRIES = 100_000


def has_glob(path: str) -> bool:
    return bool(GLOB_CHARS & set(path))


def is_local(path: str, schemeless_is_local: bool = True) -> bool:
    """True for ``file:`` URIs, and for scheme-less paths when the default FS is local."""
    m = _SCHEME.match(path)
    if m is None:
        return schemeless_is_local
    return m.group(1).lower() == "file"


def local_path(path: str, key: str = "path") -> str:
    """The OS path of a local path or ``file:`` URI (``file:/x``, ``file:///x``,
    ``file://localhost/x``); ConfigError for a ``file://`` URI naming another host."""
    if not path.lower().startswith("file:"):
        return path
    rest = path[5:]
    if rest.startswith("//"):
        authority, sep, tail = rest[2:].partition("/")
        if authority not in ("", "localhost"):
            raise ConfigError(
                f"{key}: {path!r} names host {authority!r}; local paths are file:///abs/path"
            )
        return "/" + tail if sep else "/"
    return rest


@dataclass(frozen=True)
class Location:
    """A resolved path: ``fs`` is ``"file"`` or ``"scheme://authority"``; ``parts`` are the
    components of the absolute path (glob patterns allowed when ``pattern``)."""

    key: str
    given: str
    fs: str
    parts: tuple[str, ...]
    pattern: bool = False

    @property
    def shown(self) -> str:
        path = "/" + "/".join(self.parts)
        return path if self.fs == "file" else self.fs + path


def _parts(path: str) -> tuple[str, ...]:
    return tuple(p for p in path.split("/") if p)


def expand_braces(pattern: str) -> list[str]:
    """``a{b,c}d`` → ``[abd, acd]`` (nested braces too); an unbalanced brace stays literal."""
    depth, start = 0, -1
    for i, ch in enumerate(pattern):
        if ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}" and depth:
            depth -= 1
            if depth == 0:
                inner, options, level, last = pattern[start + 1 : i], [], 0, 0
                for j, c in enumerate(inner):
                    level += c == "{"
                    level -= c == "}"
                    if c == "," and level == 0:
                        options.append(inner[last:j])
                        last = j + 1
                options.append(inner[last:])
                head, tail = pattern[:start], pattern[i + 1 :]
                return [x for o in options for x in expand_braces(head + o + tail)]
    return [pattern]


def _component_regex(component: str) -> re.Pattern[str]:
    """One path component of a Hadoop glob (braces already expanded) as a regex."""
    out, i = [], 0
    while i < len(component):
        ch = component[i]
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = component.find("]", i + 1)
            if end < 0:
                out.append(re.escape(ch))
            else:
                body = component[i + 1 : end]
                if body.startswith("^") or body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        elif ch == "\\" and i + 1 < len(component):
            i += 1
            out.append(re.escape(component[i]))
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out))


def _match(a: str, b: str) -> bool:
    """Whether components ``a`` and ``b`` can name the same entry (a glob matches; two globs
    are taken to overlap)."""
    ga, gb = has_glob(a), has_glob(b)
    if not ga and not gb:
        return a == b
    if ga and gb:
        return True
    pattern, literal = (a, b) if ga else (b, a)
    return _component_regex(pattern).fullmatch(literal) is not None


def overlap(out: Location, other: Location) -> str | None:
    """``"equals"``, ``"contains"`` or ``"lies inside"`` when ``out`` and ``other`` overlap."""
    if out.fs != other.fs:
        return None
    n = min(len(out.parts), len(other.parts))
    if not all(_match(a, b) for a, b in zip(out.parts[:n], other.parts[:n])):
        return None
    if len(out.parts) == len(other.parts):
        return "equals"
    return "contains" if len(out.parts) < len(other.parts) else "lies inside"


# ------------------------------------------------------------------------------ resolution
def _local_locations(key: str, given: str, os_path: str, scan: bool) -> list[Location]:
    absolute = os.path.abspath(os_path)
    if not has_glob(absolute):
        real = os.path.realpath(absolute)
        found = [Location(key, given, "file", _parts(real))]
        if scan and os.path.isdir(real):
            found += _linked_targets(key, given, real)
        return found
    found: list[Location] = []
    import glob as _glob

    for pattern in expand_braces(absolute):
        parts = _parts(pattern)
        first = next(i for i, p in enumerate(parts) if has_glob(p)) if has_glob(pattern) else len(
            parts)
        base = os.path.realpath("/" + "/".join(parts[:first]))
        found.append(Location(key, given, "file", _parts(base) + parts[first:], pattern=True))
        for match in _glob.glob(pattern):  # what the glob names today, links resolved
            found.append(Location(key, given, "file", _parts(os.path.realpath(match))))
    return found


def _linked_targets(key: str, given: str, root: str) -> list[Location]:
    """Targets of symbolic links inside an input directory that point outside it."""
    found: list[Location] = []
    seen = 0
    for dirpath, dirnames, filenames in os.walk(root):
        for name in (*dirnames, *filenames):
            seen += 1
            full = os.path.join(dirpath, name)
            if os.path.islink(full):
                target = os.path.realpath(full)
                if not (target + "/").startswith(root.rstrip("/") + "/"):
                    found.append(Location(key, given, "file", _parts(target)))
        if seen > MAX_SCANNED_ENTRIES:
            logger.debug("stopped scanning %s for links after %d entries", root, seen)
            break
    return found


def _lexical_location(key: str, given: str) -> Location | None:
    """An explicit ``scheme://authority/path`` compared as written (no session)."""
    parsed = urlsplit(given)
    if not parsed.scheme:
        return None
    path = posixpath.normpath(parsed.path or "/")
    return Location(key, given, f"{parsed.scheme.lower()}://{parsed.netloc}", _parts(path),
                    pattern=has_glob(path))


def _hadoop_location(key: str, given: str, spark: Any, scan: bool) -> list[Location]:
    """Qualify ``given`` through Hadoop's FileSystem (default FS, working directory)."""
    try:
        jvm = spark._jvm
        conf = spark._jsparkSession.sessionState().newHadoopConf()
        hpath = jvm.org.apache.hadoop.fs.Path(given)
        fs = hpath.getFileSystem(conf)
        uri = fs.makeQualified(hpath).toUri()
    except Exception as exc:  # noqa: BLE001 - Py4J carries the Java error; name the key instead
        from lasso_spark.jobs_lib.errors import one_line

        raise ConfigError(f"{key}: cannot resolve {given!r}: {one_line(exc)}") from None
    scheme = str(uri.getScheme() or "file").lower()
    path = str(uri.getPath() or "/")
    if scheme == "file":
        return _local_locations(key, given, path, scan)
    authority = str(uri.getAuthority() or "")
    normalized = posixpath.normpath(path)
    return [Location(key, given, f"{scheme}://{authority}", _parts(normalized),
                     pattern=has_glob(normalized))]


def locate(
    key: str,
    path: str,
    spark: Any = None,
    *,
    schemeless_is_local: bool = True,
    scan: bool = False,
) -> list[Location]:
    """Every location ``path`` stands for (several for a glob); empty when it cannot be
    resolved yet (a scheme-less path on a cluster before the session exists).

    Spark's sessions only: Spark Connect has no Hadoop FileSystem on the client, so there the
    remote paths are compared as written."""
    if not isinstance(path, str) or not path:
        raise ConfigError(f"{key}: empty path")
    if "\x00" in path:
        raise ConfigError(f"{key}: path contains a NUL character")
    if _SCHEME.match(path) is None and spark is not None:
        schemeless_is_local = default_fs_is_local(spark)
    if is_local(path, schemeless_is_local):
        return _local_locations(key, path, local_path(path, key), scan)
    if spark is not None and hasattr(spark, "_jvm"):
        return _hadoop_location(key, path, spark, scan)
    lexical = _lexical_location(key, path)
    return [] if lexical is None else [lexical]


def default_fs_is_local(spark: Any) -> bool:
    """Whether scheme-less paths mean the local filesystem in this session (``fs.defaultFS``
    is ``file:``); True for sessions without a JVM gateway (Spark Connect clients)."""
    if not hasattr(spark, "_jvm"):
        return True
    try:
        conf = spark._jsparkSession.sessionState().newHadoopConf()
        fs = spark._jvm.org.apache.hadoop.fs.FileSystem.get(conf)
        return str(fs.getUri().getScheme() or "file").lower() == "file"
    except Exception:  # noqa: BLE001
        logger.debug("cannot read fs.defaultFS", exc_info=True)
        return True


def table_location(spark: Any, table: str) -> str | None:
    """The storage location of a catalog table (None for views and unknown tables)."""
    if spark is None:
        return None
    try:
        rows = spark.sql(f"DESCRIBE TABLE EXTENDED {table}").collect()
    except Exception:  # noqa: BLE001 - the reader reports an unknown table with its own error
        logger.debug("no location for table %s", table, exc_info=True)
        return None
    for row in rows:
        if str(row[0]).strip().lower() == "location" and row[1]:
            return str(row[1]).strip()
    return None


# ------------------------------------------------------------------------------ the checks
def input_paths(inp: Any) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """``(paths, tables)`` an ``[input]`` section reads, as ``(config key, value)`` pairs."""
    paths = inp.paths()
    keyed = [("input.path" if len(paths) == 1 else f"input.path[{i}]", p)
             for i, p in enumerate(paths)]
    tables = [("input.table", inp.table)] if inp.table is not None else []
    return keyed, tables


def _protected() -> list[Location]:
    """Local directories an output may never contain: the working and the home directory."""
    found = []
    for key, path in (("the working directory", os.getcwd()),
                      ("the home directory", os.path.expanduser("~"))):
        real = os.path.realpath(path)
        if real != "/" and os.path.isabs(real):
            found.append(Location(key, path, "file", _parts(real)))
    return found


def check_paths(
    outputs: Sequence[tuple[str, str]],
    inputs: Sequence[tuple[str, str]],
    *,
    tables: Sequence[tuple[str, str]] = (),
    spark: Any = None,
    schemeless_is_local: bool = True,
) -> None:
    """Refuse (:class:`OutputOverlapError`, exit 2) any output that equals, contains or lies
    inside an input, a table location or a protected directory, or that is a glob or a root.

    ``outputs`` / ``inputs`` are ``(config key, path)`` pairs. Without ``spark`` only what can
    be resolved without a session is compared (local paths, explicit URIs); with it, all.
    """
    problems: list[str] = []
    outs: list[Location] = []
    for key, path in outputs:
        if has_glob(path):
            problems.append(f"{key}: {path!r} contains a glob character (one of *?[{{); an "
                            "output must be one literal path")
            continue
        for loc in locate(key, path, spark, schemeless_is_local=schemeless_is_local):
            if not loc.parts:
                problems.append(f"{key}: {path!r} is the root of its filesystem; write into a "
                                "directory below it")
            else:
                outs.append(loc)
    ins: list[Location] = []
    for key, path in inputs:
        ins += locate(key, path, spark, schemeless_is_local=schemeless_is_local, scan=True)
    for key, table in tables:
        where = table_location(spark, table)
        if where is not None:
            ins += locate(f"{key} {table!r} (its location)", where, spark,
                          schemeless_is_local=schemeless_is_local)
    guarded = [*ins, *(_protected() if outs else [])]
    reported: set[tuple[str, str]] = set()
    for out in outs:
        for other in guarded:
            relation = overlap(out, other)
            if relation is None or (out.key, other.key) in reported:
                continue
            if other in ins:
                problems.append(
                    f"{out.key} {out.shown} {relation} {other.key} {other.shown}: writing there "
                    "could delete what the job reads, whatever output.mode says; choose "
                    f"another {out.key}"
                )
            elif relation != "lies inside":
                problems.append(f"{out.key} {out.shown} {relation} {other.key}; choose "
                                f"another {out.key}")
            else:
                continue
            reported.add((out.key, other.key))
    if problems:
        if len(problems) == 1:
            raise OutputOverlapError(problems[0])
        raise OutputOverlapError("outputs overlap what the job reads:", problems)


def _nearest_existing(path: str) -> str:
    current = path
    while not os.path.lexists(current):
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    return current


def check_outputs_writable(outputs: Iterable[tuple[str, str]], *,
                           schemeless_is_local: bool = True) -> None:
    """Local outputs: the directory that will hold the output (and its staging sibling) can be
    created — tried by creating and removing a probe directory there, so it holds for root and
    read-only mounts too. Remote outputs are tried when the job creates its staging directory.
    """
    for key, path in outputs:
        if not is_local(path, schemeless_is_local):
            continue
        final = os.path.abspath(local_path(path, key))
        parent = os.path.dirname(final.rstrip("/")) or "/"
        anchor = _nearest_existing(parent)
        if not os.path.isdir(anchor):
            raise OutputNotWritableError(
                f"{key}: cannot create {final}: {anchor} is a file, not a directory"
            )
        try:
            probe = tempfile.mkdtemp(prefix=".lasso_spark-write-probe-", dir=anchor)
            os.rmdir(probe)
        except OSError as exc:
            raise OutputNotWritableError(
                f"{key}: cannot create {final}: {anchor} is not writable "
                f"({exc.strerror or exc})"
            ) from None
