"""Output / input path rules without Spark: resolution, overlap, globs, links, protected dirs."""

from __future__ import annotations

import os

import pytest

from lasso_spark.jobs_lib.errors import (
    EXIT_CONFIG,
    ConfigError,
    OutputNotWritableError,
    OutputOverlapError,
)
from lasso_spark.jobs_lib.paths import (
    check_outputs_writable,
    check_paths,
    expand_braces,
    local_path,
    locate,
    overlap,
)


def refused(outputs, inputs, fragment=None, **kw):
    with pytest.raises(OutputOverlapError) as info:
        check_paths(outputs, inputs, **kw)
    assert info.value.exit_code == EXIT_CONFIG
    if fragment:
        assert fragment in str(info.value)
    return str(info.value)


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "data" / "in.parquet").mkdir(parents=True)
    (tmp_path / "data" / "in.parquet" / "part-0.parquet").write_bytes(b"x")
    (tmp_path / "csv").mkdir()
    (tmp_path / "csv" / "a.csv").write_text("x,y\n1,2\n")
    return tmp_path


def test_file_uri_forms():
    assert local_path("file:///a/b") == "/a/b"
    assert local_path("file:/a/b") == "/a/b"
    assert local_path("file://localhost/a/b") == "/a/b"
    assert local_path("/a/b") == "/a/b"
    with pytest.raises(ConfigError, match="names host 'other'"):
        local_path("file://other/a")


@pytest.mark.parametrize("relation, out, inp", [
    ("equals", "data/in.parquet", "data/in.parquet"),
    ("contains", "csv", "csv/a.csv"),
    ("lies inside", "data/in.parquet/out", "data/in.parquet"),
])
def test_equal_contains_inside(tree, relation, out, inp):
    msg = refused([("output.path", str(tree / out))], [("input.path", str(tree / inp))])
    assert relation in msg and "whatever output.mode says" in msg


def test_spellings_of_the_same_path(tree, monkeypatch):
    monkeypatch.chdir(tree)
    inp = [("input.path", str(tree / "data" / "in.parquet"))]
    for out in ("data/in.parquet", "data/in.parquet/", f"file://{tree}/data/in.parquet/",
                f"file:{tree}/data/./in.parquet", f"{tree}/csv/../data/in.parquet",
                "./data//in.parquet"):
        refused([("output.path", out)], inp, "equals")
    # and the other way round: the input spelled oddly, the output plainly
    refused([("output.path", str(tree / "data"))], [("input.path", "file:data/in.parquet/")],
            "contains")


def test_symlinks_resolved(tree):
    os.symlink(tree / "data" / "in.parquet", tree / "link")
    refused([("output.path", str(tree / "link"))], [("input.path", str(tree / "data"))],
            "lies inside")
    # an output under a linked parent that points into the input
    os.symlink(tree / "data", tree / "dlink")
    refused([("output.path", str(tree / "dlink" / "in.parquet" / "x"))],
            [("input.path", str(tree / "data" / "in.parquet"))], "lies inside")
    # a link inside the input directory pointing elsewhere protects its target
    (tree / "elsewhere").mkdir()
    (tree / "elsewhere" / "real.parquet").write_bytes(b"x")
    os.symlink(tree / "elsewhere" / "real.parquet", tree / "data" / "in.parquet" / "part-1")
    refused([("output.path", str(tree / "elsewhere"))],
            [("input.path", str(tree / "data" / "in.parquet"))], "contains")


def test_globs_and_lists(tree):
    base = str(tree / "data")
    glob = [("input.path", f"{base}/in*")]
    refused([("output.path", base)], glob, "contains")            # the glob's base
    refused([("output.path", f"{base}/in.parquet")], glob)        # a match
    refused([("output.path", f"{base}/inx/out")], glob, "lies inside")  # inside a future match
    check_paths([("output.path", f"{base}/out")], glob)           # not matched: allowed
    refused([("output.path", f"{base}/b")], [("input.path", f"{base}/{{a,b}}")])
    check_paths([("output.path", f"{base}/c")], [("input.path", f"{base}/{{a,b}}")])
    refused([("output.path", f"{base}/q")], [("input.path", f"{base}/[p-r]")])
    refused([("output.path", str(tree / "csv"))],
            [("input.path[0]", base), ("input.path[1]", str(tree / "csv" / "a.csv"))],
            "input.path[1]")


def test_glob_matches_are_followed(tree):
    os.symlink(tree / "csv", tree / "data" / "linked")
    refused([("output.path", str(tree / "csv"))], [("input.path", f"{tree}/data/l*")])


def test_outputs_must_be_literal_and_not_a_root(tree):
    msg = refused([("output.path", str(tree / "o*"))], [])
    assert "glob character" in msg
    assert "root of its filesystem" in refused([("output.path", "/")], [])
    assert "root of its filesystem" in refused([("output.path", "file:///")], [])


def test_protected_directories(tree, monkeypatch):
    monkeypatch.chdir(tree / "data")
    assert "the working directory" in refused([("output.path", str(tree))], [])
    check_paths([("output.path", str(tree / "data" / "out"))], [])  # below it is fine
    monkeypatch.setenv("HOME", str(tree / "csv"))
    assert "the home directory" in refused([("output.path", str(tree / "csv"))], [])


def test_remote_uris_compared_as_written_without_a_session():
    refused([("output.path", "s3a://bucket/data")], [("input.path", "s3a://bucket/data/x")],
            "contains")
    refused([("output.path", "hdfs://nn:8020/a/b/../c")], [("input.path", "hdfs://nn:8020/a/c")])
    check_paths([("output.path", "s3a://other/data")], [("input.path", "s3a://bucket/data")])
    check_paths([("output.path", "s3a://bucket/data")], [("input.path", "/data")])
    # scheme-less on a cluster: resolved only once the session exists
    assert locate("input.path", "/data", schemeless_is_local=False) == []


def test_overlap_is_symmetric_in_kind():
    a = locate("o", "/x/y")[0]
    b = locate("i", "/x/y/z")[0]
    assert overlap(a, b) == "contains" and overlap(b, a) == "lies inside"
    assert overlap(a, locate("i", "/x/yz")[0]) is None


def test_brace_expansion():
    assert expand_braces("a{b,c}d") == ["abd", "acd"]
    assert expand_braces("{x,y{1,2}}") == ["x", "y1", "y2"]
    assert expand_braces("no{brace") == ["no{brace"]


def test_writability(tmp_path):
    check_outputs_writable([("output.path", str(tmp_path / "new" / "deep" / "out"))])
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputNotWritableError, match="is a file, not a directory") as info:
        check_outputs_writable([("output.path", str(tmp_path / "file" / "out"))])
    assert info.value.exit_code == EXIT_CONFIG
    if os.path.isdir("/proc/self"):  # a read-only filesystem, even for root
        with pytest.raises(OutputNotWritableError, match="not writable"):
            check_outputs_writable([("output.path", "/proc/self/lasso_out")])
    check_outputs_writable([("output.path", "s3a://bucket/out")])  # tried by the job itself
