"""The numba cache policy (lasso_spark.core.jit): a user's NUMBA_CACHE_DIR is honoured, and a
package that cannot cache beside its modules (a zip on --py-files, a read-only install) caches
in a writable directory that the next process reuses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import lasso_spark

PKG = Path(lasso_spark.__file__).resolve().parent

_PROBE = """
import json, os
from lasso_spark.core import jit, kernels
d = kernels.cd_sweep.compiled()
import lasso_spark
print(json.dumps({"cache": jit.cache_dir(), "hits": sum(d.stats.cache_hits.values()),
                  "misses": sum(d.stats.cache_misses.values()), "pkg": lasso_spark.__file__,
                  "env": os.environ.get("NUMBA_CACHE_DIR")}))
"""


def _probe(env: dict, cwd: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_CACHE_DIR", "PYTHONPATH", "XDG_CACHE_HOME")} | env
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                         env=env, cwd=cwd, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_zipped_package_caches_in_user_cache_and_reuses_it(tmp_path):
    z = tmp_path / "lasso_spark.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in sorted(PKG.rglob("*.py")):
            zf.write(f, ("lasso_spark" / f.relative_to(PKG)).as_posix())
    xdg = tmp_path / "xdg"
    env = {"PYTHONPATH": str(z), "XDG_CACHE_HOME": str(xdg)}
    first = _probe(env, tmp_path)
    assert ".zip" in first["pkg"]
    assert first["cache"] == str(xdg / "lasso_spark" / "numba")
    assert first["hits"] == 0  # compiled: the cache was empty
    assert any((xdg / "lasso_spark" / "numba").rglob("*.nbi"))
    second = _probe(env, tmp_path)
    assert second["hits"] == 1  # loaded, not compiled, in a new process
    assert second["env"] is None  # the environment was not changed


def test_user_numba_cache_dir_is_honoured(tmp_path):
    mine = tmp_path / "mine"
    first = _probe({"NUMBA_CACHE_DIR": str(mine)}, tmp_path)
    assert first["cache"] == str(mine) and first["env"] == str(mine)
    assert any(mine.rglob("*.nbi"))
    assert _probe({"NUMBA_CACHE_DIR": str(mine)}, tmp_path)["hits"] == 1
