"""Helpers shared by the cluster test tier and ``bench_scale``: a local-cluster session and a
sampler of executor memory read from ``/proc``.

``local-cluster[N,C,M]`` runs a standalone Master and N Workers inside the driver JVM; each
Worker launches its executor as a separate JVM (``CoarseGrainedExecutorBackend``) through
``$SPARK_HOME/bin/spark-class``, and each executor forks its own Python workers. With the
pyspark wheel ``SPARK_HOME`` is the installed ``pyspark`` package directory (it ships ``bin/``
and ``jars/``); :func:`cluster_session` sets it when it is unset.

Memory is measured from outside Spark: :class:`ExecutorMemorySampler` polls ``/proc`` for the
executor JVMs that descend from *this* driver JVM (other Spark applications on the machine are
ignored) and for the Python processes under each of them, keeping the peak resident set size
(RSS) of each executor's JVM, of its Python processes together, and of both.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

__all__ = [
    "ExecutorMemorySampler",
    "ExecutorPeak",
    "cluster_session",
    "driver_jvm_pid",
    "local_session",
    "executor_jvm_pid",
]

REPO_ROOT = Path(__file__).resolve().parents[1]
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _spark_env() -> None:
    import pyspark

    os.environ.setdefault("SPARK_HOME", os.path.dirname(pyspark.__file__))
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    paths = [str(REPO_ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))


def cluster_session(
    executors: int = 2,
    cores: int = 1,
    memory_mb: int = 1024,
    conf: dict[str, str] | None = None,
    app_name: str = "lasso_spark-cluster",
) -> Any:
    """A SparkSession on ``local-cluster[executors,cores,memory_mb]`` bound to 127.0.0.1.

    ``spark.executor.memory`` is ``memory_mb`` (the Worker's whole allowance); ``conf`` is
    applied last. Executor Python workers run this interpreter with this checkout first on
    ``PYTHONPATH``.
    """
    _spark_env()
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(f"local-cluster[{executors},{cores},{memory_mb}]")
        .appName(app_name)
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.executor.memory", f"{memory_mb}m")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(2 * executors * cores))
        .config("spark.executorEnv.PYTHONPATH", os.environ["PYTHONPATH"])
    )
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def local_session(app_name: str, driver_memory: str = "4g", shuffle_partitions: int = 8) -> Any:
    """A ``local[2]`` SparkSession bound to 127.0.0.1, no UI, ``driver_memory`` for the driver
    (the benchmarks' in-process session); this checkout first on the workers' ``PYTHONPATH``."""
    _spark_env()
    sys.path.insert(0, str(REPO_ROOT))
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName(app_name)
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.memory", driver_memory)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def wait_for_executors(spark: Any, n: int, timeout: float = 300.0) -> int:
    """Block until ``n`` executors are registered (the driver's block manager not counted)."""
    sc = spark.sparkContext
    deadline = time.monotonic() + timeout
    while True:
        count = sc._jsc.sc().getExecutorMemoryStatus().size() - 1
        if count >= n or time.monotonic() > deadline:
            return int(count)
        time.sleep(0.5)


def driver_jvm_pid(spark: Any) -> int:
    return int(spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid())


def _stat(pid: int) -> tuple[int, int] | None:
    """``(ppid, rss_bytes)`` of a process, None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            text = fh.read()
    except OSError:
        return None
    rest = text[text.rfind(b")") + 2 :].split()
    return int(rest[1]), int(rest[21]) * _PAGE


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read()
    except OSError:
        return b""


def executor_jvm_pid(pid: int | None = None) -> int | None:
    """The executor JVM above process ``pid`` (default: this one), e.g. from a Python worker."""
    pid = os.getpid() if pid is None else pid
    while pid > 1:
        if b"CoarseGrainedExecutorBackend" in _cmdline(pid):
            return pid
        st = _stat(pid)
        if st is None:
            return None
        pid = st[0]
    return None


@dataclass
class ExecutorPeak:
    """Peak resident memory of one executor JVM and of the Python processes it forked."""

    jvm_pid: int
    jvm_rss: int = 0
    python_rss: int = 0
    total_rss: int = 0
    max_python_processes: int = 0


@dataclass
class ExecutorMemorySampler:
    """Background thread sampling the RSS of the driver JVM's executor process trees.

    Use as a context manager; ``peaks`` maps executor JVM pid → :class:`ExecutorPeak`
    (a replaced executor gets its own entry).
    """

    driver_pid: int
    interval: float = 0.2
    peaks: dict[int, ExecutorPeak] = field(default_factory=dict)
    samples: int = 0

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="executor-rss", daemon=True)

    def __enter__(self) -> ExecutorMemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def sample(self) -> None:
        procs: dict[int, tuple[int, int]] = {}
        for name in os.listdir("/proc"):
            if name.isdigit():
                st = _stat(int(name))
                if st is not None:
                    procs[int(name)] = st
        children: dict[int, list[int]] = {}
        for pid, (ppid, _) in procs.items():
            children.setdefault(ppid, []).append(pid)

        def descendants(root: int) -> list[int]:
            out, stack = [], list(children.get(root, []))
            while stack:
                pid = stack.pop()
                out.append(pid)
                stack.extend(children.get(pid, []))
            return out

        for pid in descendants(self.driver_pid):
            if b"CoarseGrainedExecutorBackend" not in _cmdline(pid):
                continue
            sub = descendants(pid)
            py = [q for q in sub if b"python" in _cmdline(q).split(b"\0")[0]]
            jvm_rss = procs[pid][1]
            py_rss = sum(procs[q][1] for q in py if q in procs)
            peak = self.peaks.setdefault(pid, ExecutorPeak(pid))
            peak.jvm_rss = max(peak.jvm_rss, jvm_rss)
            peak.python_rss = max(peak.python_rss, py_rss)
            peak.total_rss = max(peak.total_rss, jvm_rss + py_rss)
            peak.max_python_processes = max(peak.max_python_processes, len(py))
        self.samples += 1

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sample()
            except Exception:  # a process vanishing mid-scan must not end the sampling
                logger.debug("sampling failed", exc_info=True)
            self._stop.wait(self.interval)

    def summary(self) -> dict[str, float]:
        """Largest per-executor peaks (bytes) over all executors seen."""
        peaks = list(self.peaks.values())
        return {
            "executors_seen": len(peaks),
            "jvm_rss": max((p.jvm_rss for p in peaks), default=0),
            "python_rss": max((p.python_rss for p in peaks), default=0),
            "total_rss": max((p.total_rss for p in peaks), default=0),
            "samples": self.samples,
        }
