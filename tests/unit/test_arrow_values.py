"""Arrow arrays read from their buffers (`lasso_spark.spark.arrow_values`) equal pyarrow's own
conversions, for every width, with nulls, offsets (slices) and chunks."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from lasso_spark.spark.arrow_values import binary_array, int_array, is_valid, numbers


def _reference(arr, dtype, null):
    out = np.asarray(arr.to_numpy(zero_copy_only=False), dtype=np.float64 if arr.null_count
                     else None)
    mask = np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    out = np.where(mask, null, out) if mask.any() else out
    return out.astype(dtype)


TYPES = [pa.float64(), pa.float32(), pa.int64(), pa.int32(), pa.int16(), pa.int8(),
         pa.uint8(), pa.uint32(), pa.bool_(), pa.decimal128(10, 2)]


@pytest.mark.parametrize("typ", TYPES, ids=str)
@pytest.mark.parametrize("with_nulls", [False, True])
@pytest.mark.parametrize("start", [0, 3, 13])
def test_numbers_match_pyarrow(typ, with_nulls, start):
    rng = np.random.default_rng(0)
    n = 70
    raw = rng.integers(0, 100, n)
    values = [bool(v % 2) if pa.types.is_boolean(typ) else int(v) for v in raw]
    if with_nulls:
        values = [None if i % 7 == 3 else v for i, v in enumerate(values)]
    arr = pa.array(values, type=typ).slice(start, n - start - 5)
    for dtype, null in ((np.float64, np.nan), (np.int64, -1)):
        got = numbers(arr, dtype, null=null)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, _reference(arr, dtype, null))
    np.testing.assert_array_equal(is_valid(arr), ~arr.is_null().to_numpy(zero_copy_only=False))


def test_float64_without_nulls_is_zero_copy_and_nulls_become_nan():
    arr = pa.array(np.arange(10.0)).slice(2, 5)
    got = numbers(arr)
    assert got.ctypes.data == arr.buffers()[1].address + 2 * 8  # a view of the Arrow buffer
    np.testing.assert_array_equal(got, np.arange(2.0, 7.0))
    with_null = pa.array([1.0, None, 3.0])
    got = numbers(with_null)
    assert got[0] == 1.0 and np.isnan(got[1]) and got[2] == 3.0


def test_chunked_empty_and_struct_fields():
    chunked = pa.chunked_array([[1, 2], [None, 4]], type=pa.int32())
    np.testing.assert_array_equal(numbers(chunked, np.int64, null=-9), [1, 2, -9, 4])
    np.testing.assert_array_equal(is_valid(chunked), [True, True, False, True])
    assert numbers(pa.array([], type=pa.float64())).shape == (0,)
    assert is_valid(pa.array([], type=pa.float64())).shape == (0,)
    st = pa.StructArray.from_arrays([pa.array([1, None, 3, 4], type=pa.int8())], names=["t"],
                                    mask=pa.array([False, False, True, False])).slice(1)
    np.testing.assert_array_equal(is_valid(st), [True, False, True])  # the struct's own nulls
    np.testing.assert_array_equal(numbers(st.field("t"), np.int64, null=-1), [-1, 3, 4])
    assert not is_valid(pa.nulls(3)).any()


def test_built_arrays_equal_pyarrows():
    assert int_array([3, -1, 7], pa.int32()).equals(pa.array([3, -1, 7], pa.int32()))
    assert int_array(np.arange(4)).equals(pa.array(np.arange(4), pa.int64()))
    assert int_array([]).equals(pa.array([], pa.int64()))
    items = [b"", np.arange(3.0).tobytes(), memoryview(np.arange(2, dtype=np.int64)), b"xy"]
    assert binary_array(items).equals(pa.array([bytes(b) for b in items], pa.binary()))
    assert binary_array([]).equals(pa.array([], pa.binary()))
