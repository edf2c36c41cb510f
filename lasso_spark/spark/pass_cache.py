"""The cache the logistic and multinomial passes read (``cacheInput``).

Those fits read their input once per outer iteration (a few dozen passes), so what a pass
costs to hand its rows to Python matters as much as its arithmetic. :func:`pass_cache` decides
what to persist (``MEMORY_AND_DISK``) and returns the resolved input the later passes read:

* numeric feature columns, input not persisted: the passes' own projection (the packed ``_c0,
  _c1, …`` columns of :func:`lasso_spark.spark.inputs.resolve_input`), as it is. The statistics
  pass reads the same plan, so Spark's cache manager answers it from the cache and that pass
  fills it: the input is read once (MLlib ``LogisticRegression`` caches its instances when the
  input is not persisted, the same rule);
* a vector features column (``VectorUDT``), persisted or not: the features unpacked into ONE
  ``array<double>`` column ``[x…, y]`` by Spark's ``vector_to_array`` (in the JVM), read by
  later passes with the packed numeric layout. Handing a vector column's structs to Python
  costs several times what the packed array costs per pass (``benchmarks/README.md``, issue 20:
  at 200,000 × 50 in ``local[2]``, 1.5–2.4 s against 0.42–0.56 s a scan), on a persisted input
  as on any other. The statistics pass reads the input as it is (invalid vectors are named and
  counted by kind there, as always) and the first pass after it fills the cache. A row whose
  vector is invalid (null, wrong size) holds NaN features in the cache, so it stays invalid
  and every pass drops the same rows (the passes compare their counts with the statistics
  pass's);
* numeric columns of a persisted input: nothing (the input is read as it is, MLlib's rule).

The caller unpersists the returned frame when the fit ends, also on failure.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from lasso_spark.spark.inputs import ResolvedInput

logger = logging.getLogger(__name__)

__all__ = ["pass_cache", "persisted"]


def persisted(df: object) -> bool:
    """Whether ``df`` is persisted itself (MLlib's ``dataset.storageLevel != NONE`` test)."""
    try:
        level = df.storageLevel
    except Exception:  # noqa: BLE001 - a DataFrame kind without the property: not cached
        return False
    return bool(level.useMemory or level.useDisk or level.useOffHeap)


def pass_cache(df: object, resolved: ResolvedInput) -> tuple[object | None, ResolvedInput]:
    """``(cached, resolved)``: the persisted frame the passes read (``None``: nothing to cache,
    the passes read ``df``) and the resolved input that reads it (module docstring). The
    cache is filled lazily, by the first pass over it."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    layout = resolved.layout
    if layout.vector:
        frame, resolved = _packed_vectors(df, resolved)
    elif persisted(df):
        return None, resolved
    else:
        frame = df.select(*resolved.columns)
    cached = frame.persist(StorageLevel.MEMORY_AND_DISK)
    logger.info("lasso_spark: the passes read a cache of %s (MEMORY_AND_DISK)",
                "the features unpacked from the vector column" if layout.vector
                else "the used columns")
    return cached, replace(resolved, columns=[F.col(c) for c in cached.columns])


def _packed_vectors(df: object, resolved: ResolvedInput) -> tuple[object, ResolvedInput]:
    """The projection with its vector column ``_c0`` and label ``_c1`` replaced by one
    ``array<double>`` ``[x…, y]`` (an invalid vector: ``p`` NaNs), and the packed layout that
    reads it."""
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import functions as F

    layout = resolved.layout
    p = layout.n_features
    proj = df.select(*resolved.columns)
    names = proj.columns  # _c0 (vector), _c1 (label), then weight and fold columns
    x = vector_to_array(F.col(names[0]))
    valid = F.col(names[0]).isNotNull() & (F.size(x) == p)
    nan = F.array_repeat(F.lit(float("nan")), p)
    packed = F.concat(F.when(valid, x).otherwise(nan), F.array(F.col(names[1])))
    frame = proj.select(packed.alias(names[0]), *names[2:])
    packed_layout = replace(layout, vector=False, packed=True,
                            feature_columns=tuple(resolved.feature_names))
    return frame, replace(resolved, layout=packed_layout)
