"""Arrow arrays as numpy, read from their buffers: no pandas import in a fresh Python worker.

pyarrow's own conversions both ways (``Array.to_numpy``, ``np.asarray(array)``, ``pa.array``
of a list or a numpy array) import pandas when it is installed: 0.27 s the first time in each
new Python worker, about as much as the rest of a first statistics pass at p = 50
(benchmarks/README.md, issue 19). The executors never need pandas, so the columns the passes
read and the results they return go through these functions instead: fixed-width numbers and
booleans straight from (or into) the data and validity buffers (zero-copy when there are no
nulls), anything else by pyarrow.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

__all__ = ["binary_array", "int_array", "is_valid", "numbers"]

_NUMPY_TYPES = {
    pa.float64(): np.float64,
    pa.float32(): np.float32,
    pa.int64(): np.int64,
    pa.int32(): np.int32,
    pa.int16(): np.int16,
    pa.int8(): np.int8,
    pa.uint64(): np.uint64,
    pa.uint32(): np.uint32,
    pa.uint16(): np.uint16,
    pa.uint8(): np.uint8,
}
_INT32_MAX = 2**31 - 1


def _single(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _bits(buf: pa.Buffer, offset: int, n: int) -> np.ndarray:
    """``n`` bits of an Arrow bitmap from bit ``offset`` (least significant bit first)."""
    if n == 0:
        return np.zeros(0, dtype=bool)
    start, shift = divmod(offset, 8)
    nbytes = (shift + n + 7) // 8
    raw = np.frombuffer(buf, dtype=np.uint8, count=nbytes, offset=start)
    return np.unpackbits(raw, bitorder="little")[shift : shift + n].astype(bool)


def is_valid(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """The rows of ``arr`` that are not null, as a boolean array (a new array)."""
    arr = _single(arr)
    n = len(arr)
    if arr.null_count == 0:
        return np.ones(n, dtype=bool)
    if arr.type == pa.null():
        return np.zeros(n, dtype=bool)
    validity = arr.buffers()[0]
    if validity is None:  # e.g. a union or dictionary array: pyarrow's own reading
        return ~np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    return _bits(validity, arr.offset, n)


def numbers(arr: pa.Array | pa.ChunkedArray, dtype: type = np.float64,
            null: float | int = np.nan) -> np.ndarray:
    """The values of a numeric or boolean array as ``dtype``, nulls replaced by ``null``.

    A fixed-width column of ``dtype`` without nulls is returned zero-copy (read-only); with
    nulls, or another width, as a converted copy. Other types (decimals, strings) go through
    pyarrow's ``to_numpy``.
    """
    arr = _single(arr)
    n = len(arr)
    buffers = arr.buffers()
    if pa.types.is_boolean(arr.type):
        values = _bits(buffers[1], arr.offset, n).astype(dtype)
    elif arr.type in _NUMPY_TYPES:
        width = _NUMPY_TYPES[arr.type]
        if n == 0:
            return np.zeros(0, dtype=dtype)
        raw = np.frombuffer(buffers[1], dtype=width, count=n,
                            offset=arr.offset * np.dtype(width).itemsize)
        values = raw if raw.dtype == np.dtype(dtype) and arr.null_count == 0 else raw.astype(dtype)
    else:  # e.g. decimals: objects, None for nulls
        values = np.asarray(arr.to_numpy(zero_copy_only=False), dtype=object)
        if arr.null_count:
            values = np.where(is_valid(arr), values, null)
        return values.astype(dtype)
    if arr.null_count:
        values[~is_valid(arr)] = null
    return values


def int_array(values: object, typ: pa.DataType | None = None) -> pa.Array:
    """A fixed-width Arrow array (``typ``, default int64) without nulls from ``values`` (a
    sequence or numpy array)."""
    typ = pa.int64() if typ is None else typ
    data = np.ascontiguousarray(values, dtype=_NUMPY_TYPES[typ]).reshape(-1)
    return pa.Array.from_buffers(typ, data.shape[0], [None, pa.py_buffer(data)])


def binary_array(items: list) -> pa.Array:
    """An Arrow ``binary`` array of the bytes-like ``items`` (one copy into its data buffer)."""
    sizes = np.fromiter((memoryview(b).nbytes for b in items), dtype=np.int64, count=len(items))
    offsets = np.zeros(len(items) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    if offsets[-1] > _INT32_MAX:  # beyond binary's 32-bit offsets: pyarrow's own conversion
        return pa.array([bytes(b) for b in items], pa.binary())
    data = pa.py_buffer(b"".join(items))
    return pa.Array.from_buffers(pa.binary(), len(items),
                                 [None, pa.py_buffer(offsets.astype(np.int32)), data])
