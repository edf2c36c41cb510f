"""The pass's Arrow batch size (lasso_spark.spark.arrow_batches) on a stand-in for spark.conf."""

from __future__ import annotations

import pytest

from lasso_spark.spark.arrow_batches import (
    BATCH_BYTES,
    MAX_RECORDS_KEY,
    MIN_ROWS,
    batch_rows_at_most,
    rows_per_batch,
)


class _Conf:
    def __init__(self, values=None, fail=False):
        self.values = dict(values or {})
        self.calls = []
        self.fail = fail

    def get(self, key, default=None):
        if self.fail:
            raise RuntimeError("no conf")
        return self.values.get(key, default)

    def set(self, key, value):
        self.calls.append(("set", key, value))
        self.values[key] = value

    def unset(self, key):
        self.calls.append(("unset", key))
        self.values.pop(key, None)


class _Session:
    def __init__(self, conf):
        self.conf = conf


def test_rows_per_batch_fill_the_byte_target():
    assert rows_per_batch(1501) == BATCH_BYTES // (8 * 1501)
    assert rows_per_batch(51) == BATCH_BYTES // (8 * 51)
    assert rows_per_batch(10**7) == MIN_ROWS
    assert rows_per_batch(100, batch_bytes=8 * 100 * 500) == 500


@pytest.mark.parametrize("value, seen, restored", [
    (None, "1000", None),  # Spark's default 10,000: lowered, then unset again
    ("5000", "1000", "5000"),  # larger: lowered, then restored
    ("0", "1000", "0"),  # no limit: lowered, then restored
    ("300", "300", "300"),  # already smaller: untouched
])
def test_batch_rows_lowered_in_the_block_and_restored(value, seen, restored):
    conf = _Conf({} if value is None else {MAX_RECORDS_KEY: value})
    with batch_rows_at_most(_Session(conf), 1000):
        assert conf.values.get(MAX_RECORDS_KEY) == seen
    assert conf.values.get(MAX_RECORDS_KEY) == restored
    if value == "300":
        assert conf.calls == []


def test_batch_rows_restored_when_the_block_raises():
    conf = _Conf({MAX_RECORDS_KEY: "10000"})
    with pytest.raises(ZeroDivisionError), batch_rows_at_most(_Session(conf), 64):
        assert conf.values[MAX_RECORDS_KEY] == "64"
        1 / 0  # noqa: B018
    assert conf.values[MAX_RECORDS_KEY] == "10000"


def test_an_unreadable_conf_changes_nothing():
    conf = _Conf(fail=True)
    with batch_rows_at_most(_Session(conf), 64):
        pass
    assert conf.calls == []
    with batch_rows_at_most(object(), 64):  # no conf at all
        pass


def test_overlapping_blocks_of_concurrent_fits_restore_the_first_value():
    # two fits' passes in threads on one session, ending in either order: the value before
    # the first comes back after the last (a per-block restore would leave the other's)
    for first_out in (0, 1):
        conf = _Conf({MAX_RECORDS_KEY: "5000"})
        session = _Session(conf)
        a, b = batch_rows_at_most(session, 1000), batch_rows_at_most(session, 300)
        a.__enter__()
        assert conf.values[MAX_RECORDS_KEY] == "1000"
        b.__enter__()
        assert conf.values[MAX_RECORDS_KEY] == "300"
        (a if first_out == 0 else b).__exit__(None, None, None)
        assert conf.values[MAX_RECORDS_KEY] == "300"  # the other pass still runs
        (b if first_out == 0 else a).__exit__(None, None, None)
        assert conf.values[MAX_RECORDS_KEY] == "5000"
    # a block that needed no change, inside one that did, changes nothing at its end
    conf = _Conf({})
    session = _Session(conf)
    with batch_rows_at_most(session, 1000):
        with batch_rows_at_most(session, 2000):
            assert conf.values[MAX_RECORDS_KEY] == "1000"
        assert conf.values[MAX_RECORDS_KEY] == "1000"
    assert MAX_RECORDS_KEY not in conf.values
