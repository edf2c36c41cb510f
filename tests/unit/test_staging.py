"""Staged outputs: complete or absent, existing output refused unless overwrite."""

from __future__ import annotations

import os

import pytest

from lasso_spark.jobs_lib.errors import EXIT_CONFIG, OutputExistsError
from lasso_spark.jobs_lib.staging import LocalFS, StagedOutput


def siblings(tmp_path):
    return sorted(p.name for p in tmp_path.iterdir())


def write_all(staged: StagedOutput, n: int = 3) -> None:
    for i in range(n):
        staged.fs.write_bytes(staged.path("sub", f"f{i}.txt"), f"{i}".encode())
    staged.write_success()


def test_commit_moves_everything_into_place(tmp_path):
    final = tmp_path / "out"
    with StagedOutput(LocalFS(), str(final)) as staged:
        assert staged.staging.startswith(str(tmp_path / ".out._staging-"))
        assert staged.uri == "file://" + staged.staging
        write_all(staged)
        assert not final.exists()
        staged.commit()
    assert sorted(os.listdir(final)) == ["_SUCCESS", "sub"]
    assert (final / "sub" / "f2.txt").read_text() == "2"
    assert siblings(tmp_path) == ["out"]


def test_failure_leaves_no_partial_output(tmp_path):
    final = tmp_path / "out"
    with pytest.raises(RuntimeError, match="injected"):
        with StagedOutput(LocalFS(), str(final)) as staged:
            write_all(staged)
            raise RuntimeError("injected")
    assert siblings(tmp_path) == []


def test_existing_output_refused_before_and_at_commit(tmp_path):
    final = tmp_path / "out"
    final.mkdir()
    (final / "keep").write_text("old")
    with pytest.raises(OutputExistsError) as info:
        StagedOutput(LocalFS(), str(final), "error", key="output.path").__enter__()
    assert info.value.exit_code == EXIT_CONFIG
    assert "output.path" in str(info.value) and 'output.mode = "overwrite"' in str(info.value)
    # appears while the job runs: still refused, staging cleaned up
    other = tmp_path / "late"
    with pytest.raises(OutputExistsError):
        with StagedOutput(LocalFS(), str(other)) as staged:
            write_all(staged)
            other.mkdir()
            staged.commit()
    assert siblings(tmp_path) == ["late", "out"]
    assert (final / "keep").read_text() == "old"


def test_overwrite_replaces_old_output(tmp_path):
    final = tmp_path / "out"
    final.mkdir()
    (final / "stale").write_text("old")
    with StagedOutput(LocalFS(), str(final), "overwrite") as staged:
        write_all(staged)
        staged.commit()
    assert sorted(os.listdir(final)) == ["_SUCCESS", "sub"]
    assert siblings(tmp_path) == ["out"]


def test_overwrite_failure_keeps_old_output(tmp_path):
    final = tmp_path / "out"
    final.mkdir()
    (final / "stale").write_text("old")
    with pytest.raises(RuntimeError):
        with StagedOutput(LocalFS(), str(final), "overwrite") as staged:
            write_all(staged)
            raise RuntimeError("injected")
    assert os.listdir(final) == ["stale"] and siblings(tmp_path) == ["out"]


def test_failed_rename_restores_old_output(tmp_path, monkeypatch):
    final = tmp_path / "out"
    final.mkdir()
    (final / "stale").write_text("old")
    fs = LocalFS()
    real = fs.rename

    def flaky(src, dst):
        if "._staging-" in src:
            raise OSError("injected rename failure")
        real(src, dst)

    monkeypatch.setattr(fs, "rename", flaky)
    with pytest.raises(OSError, match="injected"):
        with StagedOutput(fs, str(final), "overwrite") as staged:
            write_all(staged)
            staged.commit()
    assert os.listdir(final) == ["stale"] and siblings(tmp_path) == ["out"]


def test_commit_of_subdirectory(tmp_path):
    final = tmp_path / "preds"
    with StagedOutput(LocalFS(), f"file://{final}") as staged:
        staged.fs.write_bytes(staged.path("data", "part-0"), b"x")
        staged.commit(source=staged.path("data"))
    assert os.listdir(final) == ["part-0"] and siblings(tmp_path) == ["preds"]


def test_bad_mode_and_path():
    with pytest.raises(ValueError, match="mode"):
        StagedOutput(LocalFS(), "/tmp/x", "append")
    with pytest.raises(ValueError, match="final component"):
        StagedOutput(LocalFS(), "/")
