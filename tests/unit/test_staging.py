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


def test_guard_runs_on_entry_and_again_before_an_overwrite(tmp_path):
    """An input that becomes the output while the job runs is never moved aside or deleted."""
    from lasso_spark.jobs_lib.errors import OutputOverlapError
    from lasso_spark.jobs_lib.paths import check_paths

    final = tmp_path / "out"
    final.mkdir()
    (final / "old").write_text("previous output")
    data = tmp_path / "data"
    data.mkdir()
    (data / "rows.csv").write_text("x\n1\n")
    calls = []

    def guard():
        calls.append(1)
        # the output must not overlap what the job reads: inputs under tmp_path/link*
        check_paths([("output.path", str(final))], [("input.path", str(tmp_path / "link*"))])

    with pytest.raises(OutputOverlapError):
        with StagedOutput(LocalFS(), str(final), "overwrite", guard=guard) as staged:
            write_all(staged)
            os.symlink(final, tmp_path / "link")  # the output is now (also) an input
            staged.commit()
    assert len(calls) == 2
    assert (final / "old").read_text() == "previous output"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "link", "out"]


def test_never_reuses_or_deletes_what_is_at_the_staging_path(tmp_path, monkeypatch):
    from lasso_spark.jobs_lib.errors import OutputNotWritableError

    staged = StagedOutput(LocalFS(), str(tmp_path / "out"))
    os.makedirs(staged.staging)
    (tmp_path / os.path.basename(staged.staging) / "keep").write_text("not ours")
    with pytest.raises(OutputNotWritableError, match="exists"):
        with staged:
            pass
    assert (tmp_path / os.path.basename(staged.staging) / "keep").read_text() == "not ours"


def test_commit_source_must_be_inside_staging(tmp_path):
    other = tmp_path / "elsewhere"
    other.mkdir()
    with pytest.raises(ValueError, match="not inside"):
        with StagedOutput(LocalFS(), str(tmp_path / "out")) as staged:
            staged.commit(source=str(other))
    assert other.exists() and not (tmp_path / "out").exists()


def test_unwritable_output_is_a_config_error(tmp_path):
    from lasso_spark.jobs_lib.errors import OutputNotWritableError

    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputNotWritableError, match="cannot create") as info:
        with StagedOutput(LocalFS(), str(tmp_path / "file" / "out")):
            pass
    assert info.value.exit_code == EXIT_CONFIG
    assert (tmp_path / "file").read_text() == "x"


def test_symlinked_output_is_replaced_as_a_link(tmp_path):
    target = tmp_path / "target"
    target.mkdir()
    (target / "keep").write_text("the link's target is never deleted")
    os.symlink(target, tmp_path / "out")
    with StagedOutput(LocalFS(), str(tmp_path / "out"), "overwrite") as staged:
        write_all(staged)
        staged.commit()
    assert (target / "keep").exists()
    assert not os.path.islink(tmp_path / "out") and (tmp_path / "out" / "_SUCCESS").exists()
