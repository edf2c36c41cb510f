"""The data-safety and error contract of the jobs, tried as an adversary would (issue 18).

Nothing lost: an output never equals, contains or lies inside an input, the model being read
or the config file, whatever ``output.mode`` says (exit 2, inputs intact). Nothing silent: a
column is never dropped from the features without an error, bad rows are counted. One error
contract: every data or config problem exits 2 (config) or 3 (data) with ONE line naming the
key / column / path and the count, never a traceback; a damaged model is exit 3.

The job cases run in-process through the CLI's ``main`` on the shared session; a few run as
real processes at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lasso_spark.cli import main
from lasso_spark.jobs_lib.errors import EXIT_CONFIG, EXIT_INPUT, EXIT_OK
from tests.saved_model_edits import drop_crc, edit_meta, meta_file, to_format_1

pytestmark = [pytest.mark.spark, pytest.mark.jobs]

ROOT = Path(__file__).resolve().parents[2]
MODEL = 'kind = "lasso_cv"\nnumFolds = 3\nnumRegParams = 8\nseed = 1'


# ----------------------------------------------------------------------------- helpers
def run(spark, caplog, argv) -> tuple[int, str]:
    """Exit code and the one ERROR line (asserting there is at most one, and no traceback)."""
    caplog.clear()
    code = main([str(a) for a in argv], spark=spark)
    errors = [r.getMessage() for r in caplog.records
              if r.levelname == "ERROR" and r.name.startswith("lasso_spark")]
    if code == EXIT_OK:
        assert not errors, errors
        return code, ""
    assert len(errors) == 1, errors
    assert "\n" not in errors[0], errors[0]
    assert "Traceback" not in caplog.text
    return code, errors[0]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def fit_toml(path: Path, inp, out, *, model: str = MODEL, fmt: str = "parquet",
             columns: str = 'label = "y"\nid = ["id"]', mode: str = "error",
             extra_input: str = "") -> Path:
    source = f"table = {json.dumps(inp[6:])}" if str(inp).startswith("table:") else (
        f"path = {json.dumps(inp if isinstance(inp, list) else str(inp))}")
    return write(path, f'[input]\n{source}\nformat = "{fmt}"\n{extra_input}[columns]\n{columns}\n'
                       f'[model]\n{model}\n[output]\npath = {json.dumps(str(out))}\n'
                       f'mode = "{mode}"\nplots = false\n')


def score_toml(path: Path, model, inp, out, *, mode: str = "error", model_extra: str = "",
               output_extra: str = 'passthrough = ["id"]\n', fmt: str = "parquet") -> Path:
    return write(path, f'[model]\npath = {json.dumps(str(model))}\n{model_extra}[input]\n'
                       f'path = {json.dumps(str(inp))}\n[output]\npath = {json.dumps(str(out))}\n'
                       f'mode = "{mode}"\nformat = "{fmt}"\n{output_extra}')


def snapshot(path: Path) -> dict[str, bytes]:
    """Every file under ``path`` with its bytes (links followed): to prove nothing changed."""
    out = {}
    for dirpath, _, files in os.walk(path, followlinks=True):
        for f in files:
            full = os.path.join(dirpath, f)
            out[os.path.relpath(full, path)] = Path(full).read_bytes()
    return out


def frame(n: int, p: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    pdf = pd.DataFrame(X, columns=[f"x{j}" for j in range(p)])
    pdf["y"] = X @ np.linspace(1.0, -1.0, p) + 0.3 * rng.normal(size=n)
    pdf.insert(0, "id", np.arange(n))
    return pdf


def parquet(spark, pdf: pd.DataFrame, path: Path) -> Path:
    spark.createDataFrame(pdf).coalesce(1).write.parquet(str(path))
    return path


@pytest.fixture(scope="module")
def base(spark, tmp_path_factory):
    """A small dataset and a fit of it (model reused by every scoring case)."""
    root = tmp_path_factory.mktemp("contract")
    pdf = frame(120, 4, 0)
    data = parquet(spark, pdf, root / "data.parquet")
    f = fit_toml(root / "fit.toml", data, root / "fit")
    assert main(["fit", "-c", str(f)], spark=spark) == EXIT_OK
    return {"root": root, "data": data, "fit": root / "fit", "pdf": pdf}


@pytest.fixture
def data_copy(base, tmp_path):
    target = tmp_path / "in.parquet"
    shutil.copytree(base["data"], target)
    return target


# ============================================================ 1. outputs never destroy inputs
def test_score_output_equal_to_input_refused_whatever_the_mode(spark, caplog, base, data_copy,
                                                               tmp_path):
    before = snapshot(data_copy)
    for mode in ("overwrite", "error"):
        f = score_toml(tmp_path / "s.toml", base["fit"], data_copy, data_copy, mode=mode)
        code, msg = run(spark, caplog, ["score", "-c", f])
        assert code == EXIT_CONFIG
        assert f"output.path {data_copy} equals input.path {data_copy}" in msg
    assert snapshot(data_copy) == before


def test_fit_output_containing_the_input_csv_refused(spark, caplog, base, tmp_path):
    csv = tmp_path / "csvdir" / "a.csv"
    csv.parent.mkdir()
    base["pdf"].to_csv(csv, index=False)
    f = fit_toml(tmp_path / "f.toml", csv, csv.parent, fmt="csv", mode="overwrite")
    code, msg = run(spark, caplog, ["fit", "-c", f])
    assert code == EXIT_CONFIG and "contains input.path" in msg
    assert csv.read_text().startswith("id,x0")


def test_fit_output_inside_the_input_refused(spark, caplog, data_copy, tmp_path):
    before = snapshot(data_copy)
    f = fit_toml(tmp_path / "f.toml", data_copy, data_copy / "fit")
    code, msg = run(spark, caplog, ["fit", "-c", f])
    assert code == EXIT_CONFIG and "lies inside input.path" in msg
    assert snapshot(data_copy) == before


@pytest.mark.parametrize("where", ["model", "parent"])
def test_score_output_on_the_model_refused(spark, caplog, base, tmp_path, where):
    fit = tmp_path / "runs" / "fit"
    shutil.copytree(base["fit"], fit)
    before = snapshot(fit)
    out = fit if where == "model" else fit.parent
    f = score_toml(tmp_path / "s.toml", fit, base["data"], out, mode="overwrite")
    code, msg = run(spark, caplog, ["score", "-c", f])
    assert code == EXIT_CONFIG and "model.path" in msg
    assert ("equals" if where == "model" else "contains") in msg
    assert snapshot(fit) == before


@pytest.mark.parametrize("spelling", ["symlink", "file-uri-slash", "relative", "dotdot",
                                      "file-colon"])
def test_same_input_spelled_differently_refused(spark, caplog, base, data_copy, tmp_path,
                                                monkeypatch, spelling):
    monkeypatch.chdir(tmp_path)
    if spelling == "symlink":
        os.symlink(data_copy, tmp_path / "link")
        out = str(tmp_path / "link")
    else:
        out = {"file-uri-slash": f"file://{data_copy}/", "relative": "in.parquet",
               "dotdot": f"{tmp_path}/x/../in.parquet", "file-colon": f"file:{data_copy}"}[
                   spelling]
    before = snapshot(data_copy)
    f = score_toml(tmp_path / "s.toml", base["fit"], data_copy, out, mode="overwrite")
    code, msg = run(spark, caplog, ["score", "-c", f])
    assert code == EXIT_CONFIG and "equals input.path" in msg
    assert snapshot(data_copy) == before


def test_input_spelled_as_file_uri_output_plain(spark, caplog, base, data_copy, tmp_path):
    f = score_toml(tmp_path / "s.toml", base["fit"], f"file://{data_copy}", data_copy.parent,
                   mode="overwrite")
    code, msg = run(spark, caplog, ["score", "-c", f])
    assert code == EXIT_CONFIG and "contains input.path" in msg


def test_globs_and_lists_of_inputs(spark, caplog, base, tmp_path):
    g = tmp_path / "g"
    shutil.copytree(base["data"], g / "p1")
    before = snapshot(g)
    for out in (g, g / "p1", g / "p2"):  # the glob's base, a match, a future match
        f = fit_toml(tmp_path / "f.toml", f"{g}/p*", out, mode="overwrite")
        code, msg = run(spark, caplog, ["fit", "-c", f])
        assert code == EXIT_CONFIG and "input.path" in msg and "p*" in msg, out
    f = fit_toml(tmp_path / "f.toml", [str(base["data"]), str(g / "p1")], g / "p1",
                 mode="overwrite")
    code, msg = run(spark, caplog, ["fit", "-c", f])
    assert code == EXIT_CONFIG and "equals input.path[1]" in msg
    assert snapshot(g) == before


def test_catalog_table_location_protected(spark, caplog, base, tmp_path):
    spark.read.parquet(str(base["data"])).write.mode("overwrite").saveAsTable("contract_t")
    location = spark.sql("DESCRIBE TABLE EXTENDED contract_t").where(
        "col_name = 'Location'").first()[1]
    f = fit_toml(tmp_path / "f.toml", "table:contract_t", location, mode="overwrite")
    code, msg = run(spark, caplog, ["fit", "-c", f])
    assert code == EXIT_CONFIG and "input.table 'contract_t' (its location)" in msg
    assert spark.read.table("contract_t").count() == 120
    f = fit_toml(tmp_path / "f.toml", "table:no_such_table", tmp_path / "o")
    code, msg = run(spark, caplog, ["fit", "-c", f])
    assert code == EXIT_CONFIG and "input.table 'no_such_table'" in msg


def test_generate_output_containing_its_config_refused(spark, caplog, tmp_path):
    g = write(tmp_path / "gen" / "gen.toml",
              f'[data]\nn_rows = 20\nn_features = 2\nn_informative = 1\n[output]\n'
              f'path = "{tmp_path / "gen"}"\nmode = "overwrite"\n')
    code, msg = run(spark, caplog, ["generate", "-c", g])
    assert code == EXIT_CONFIG and "contains --config" in msg
    assert g.exists()


def test_generate_output_on_the_working_directory_refused(spark, caplog, tmp_path,
                                                          monkeypatch):
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "notes.txt").write_text("mine")
    monkeypatch.chdir(tmp_path / "work")
    g = write(tmp_path / "gen.toml", '[data]\nn_rows = 20\nn_features = 2\nn_informative = 1\n'
                                     '[output]\npath = ".."\nmode = "overwrite"\n')
    code, msg = run(spark, caplog, ["generate", "-c", g])
    assert code == EXIT_CONFIG and "the working directory" in msg
    assert (tmp_path / "work" / "notes.txt").read_text() == "mine"


def test_demo_outputs_checked(spark, caplog, tmp_path):
    cfg = write(tmp_path / "d" / "data" / "demo.toml", "[data]\nn_rows = 50\nn_features = 3\n"
                                                       "n_informative = 1\n")
    code, msg = run(spark, caplog, ["demo", "-c", cfg, "--output", tmp_path / "d"])
    assert code == EXIT_CONFIG and "output (data)" in msg and "contains --config" in msg
    assert cfg.exists()


def test_output_path_forms_refused(spark, caplog, base, tmp_path):
    for out, fragment in (("/", "root of its filesystem"), (f"{tmp_path}/o*", "glob"),
                          (f"file:///{tmp_path}/../", "")):
        f = fit_toml(tmp_path / "f.toml", base["data"], out, mode="overwrite")
        code, msg = run(spark, caplog, ["fit", "-c", f])
        assert code == EXIT_CONFIG and fragment in msg, (out, msg)


def test_staging_commit_rechecks_before_replacing(spark, caplog, base, tmp_path, monkeypatch):
    """An output that becomes an input while the job runs is neither moved nor deleted."""
    from lasso_spark.jobs_lib import fit as fit_job

    out = tmp_path / "out"
    out.mkdir()
    (out / "old").write_text("previous")
    real = fit_job.coefficients_table

    def sneaky(model, std):  # during the job, the input glob starts matching the output
        os.symlink(out, tmp_path / "in_late")
        return real(model, std)

    monkeypatch.setattr(fit_job, "coefficients_table", sneaky)
    shutil.copytree(base["data"], tmp_path / "in_0")
    f = fit_toml(tmp_path / "f.toml", f"{tmp_path}/in_*", out, mode="overwrite")
    code, msg = run(spark, caplog, ["fit", "-c", f])
    assert code == EXIT_CONFIG and "equals input.path" in msg
    assert (out / "old").read_text() == "previous"
    assert not [p for p in os.listdir(tmp_path) if "._staging-" in p]


# ============================================================ 2. nothing dropped silently
def oops_csv(base, tmp_path) -> Path:
    pdf = base["pdf"].copy()
    pdf["w"] = 1.0
    pdf["x2"] = pdf["x2"].astype(str)
    pdf.loc[[3, 7, 9], "x2"] = "oops"
    csv = tmp_path / "oops" / "a.csv"
    csv.parent.mkdir()
    pdf.to_csv(csv, index=False)
    return csv


def test_automatic_features_refuse_a_non_numeric_column(spark, caplog, base, tmp_path):
    csv = oops_csv(base, tmp_path)
    f = fit_toml(tmp_path / "f.toml", csv, tmp_path / "out", fmt="csv")
    code, msg = run(spark, caplog, ["fit", "-c", f])
    assert code == EXIT_INPUT
    assert "column 'x2' is string, not numeric" in msg
    assert "columns.features" in msg and "columns.exclude" in msg
    assert not (tmp_path / "out").exists()


def test_summary_says_which_columns_were_features_and_why_not(spark, caplog, base, tmp_path):
    csv = oops_csv(base, tmp_path)
    f = fit_toml(tmp_path / "f.toml", csv, tmp_path / "out", fmt="csv",
                 columns='label = "y"\nweight = "w"\nid = ["id"]\nexclude = ["x2"]')
    assert run(spark, caplog, ["fit", "-c", f])[0] == EXIT_OK
    cols = json.loads((tmp_path / "out" / "summary.json").read_text())["columns"]
    assert cols["features"] == ["x0", "x1", "x3"] and cols["chosenBy"] == "automatic"
    assert cols["notFeatures"] == {"id": "columns.id", "x2": "columns.exclude",
                                   "y": "columns.label", "w": "columns.weight"}


def test_undeclared_weight_named_column_is_warned_about(spark, caplog, base, tmp_path):
    csv = oops_csv(base, tmp_path)
    f = fit_toml(tmp_path / "f.toml", csv, tmp_path / "out", fmt="csv",
                 columns='label = "y"\nid = ["id"]\nexclude = ["x2"]')
    assert run(spark, caplog, ["fit", "-c", f])[0] == EXIT_OK
    assert "automatic feature selection uses ['w']" in caplog.text


def test_split_columns_are_never_features(spark, caplog, base, tmp_path):
    pdf = base["pdf"].copy()
    pdf["fold"] = np.arange(len(pdf)) % 3
    data = parquet(spark, pdf, tmp_path / "f.parquet")
    model = 'kind = "lasso_cv"\nnumFolds = 3\nnumRegParams = 5\nfoldCol = "fold"'
    f = fit_toml(tmp_path / "f.toml", data, tmp_path / "out", model=model)
    assert run(spark, caplog, ["fit", "-c", f])[0] == EXIT_OK
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert "fold" not in summary["features"]
    assert summary["columns"]["notFeatures"]["fold"] == "model.foldCol"
    f = fit_toml(tmp_path / "f2.toml", data, tmp_path / "out2", model=model,
                 columns='label = "y"\nfeatures = ["x0", "fold"]')
    code, msg = run(spark, caplog, ["fit", "-c", f])
    assert code == EXIT_CONFIG and "model.foldCol 'fold' is also columns.features" in msg


# ============================================================ 3. one error contract
def small(spark, tmp_path: Path, name: str, y, X=None) -> Path:
    y = np.asarray(y, dtype=float)
    X = np.random.default_rng(len(y)).normal(size=(len(y), 3)) if X is None else X
    pdf = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    pdf["y"] = y
    return parquet(spark, pdf, tmp_path / name)


def empty_fold_data(n: int, p: int, k: int, seed: int, want_empty: bool):
    """Rows whose hash folds (seed) leave a fold empty, or fill every fold."""
    from lasso_spark.spark.fold_hash import fold_ids

    for s in range(1000):
        rng = np.random.default_rng(s)
        X, y = rng.normal(size=(n, p)), rng.normal(size=n)
        counts = np.bincount(fold_ids(np.column_stack([X, y]), k, seed), minlength=k)
        if (counts == 0).any() == want_empty:
            return X, y
    raise AssertionError("no such data")


@pytest.mark.parametrize("case, fragment", [
    ("constant label", "the label 'y' is constant over the 30 valid rows"),
    ("fewer rows than folds", "of 5 have no rows (or zero total weight) among the 3 valid"),
    ("hash fold empty at n >= K", "of 5 have no rows (or zero total weight) among the 6 valid"),
    ("1e300 in a feature", "1 row with null/NaN/inf in column 'x1'"),
    ("1e300 in the label", "1 row with null/NaN/inf in column 'y'"),
    ("sums of squares overflow", "overflow float64"),
    ("all labels NaN", "30 rows with null/NaN/inf in column 'y'"),
])
def test_data_problems_exit_3_in_one_line(spark, caplog, tmp_path, case, fragment):
    rng = np.random.default_rng(1)
    model = 'kind = "lasso_cv"\nnumFolds = 5\nnumRegParams = 5\nseed = 1'
    if case == "constant label":
        data = small(spark, tmp_path, "d", np.full(30, 2.0))
    elif case == "fewer rows than folds":
        data = small(spark, tmp_path, "d", [1.0, 2.0, 3.0])
    elif case == "hash fold empty at n >= K":
        X, y = empty_fold_data(6, 3, 5, 1, want_empty=True)
        data = small(spark, tmp_path, "d", y, X)
    elif case == "1e300 in a feature":
        X = rng.normal(size=(30, 3))
        X[4, 1] = 1e300
        data = small(spark, tmp_path, "d", rng.normal(size=30), X)
    elif case == "1e300 in the label":
        y = rng.normal(size=30)
        y[2] = -1e300
        data = small(spark, tmp_path, "d", y)
    elif case == "sums of squares overflow":  # each |x| < 1.34e154, x² finite, Σx² is not
        X = rng.normal(size=(30, 3))
        X[:, 0] = np.where(np.arange(30) % 2, 1.3e154, -1.3e154)
        data = small(spark, tmp_path, "d", rng.normal(size=30), X)
    else:
        data = small(spark, tmp_path, "d", np.full(30, np.nan))
    f = fit_toml(tmp_path / "f.toml", data, tmp_path / "out", model=model,
                 columns='label = "y"')
    code, msg = run(spark, caplog, ["fit", "-c", f])
    assert code == EXIT_INPUT and fragment in msg, msg
    assert not (tmp_path / "out").exists()


def test_hash_folds_when_every_fold_gets_a_row_p_greater_than_n(spark, caplog, tmp_path):
    """Hash folds are a function of each row (one pass): at small n a fold may be empty (a
    clear exit 3, above); when every fold gets a row the fit works, even with p > n."""
    X, y = empty_fold_data(10, 20, 5, 1, want_empty=False)
    data = small(spark, tmp_path, "d", y, X)
    model = 'kind = "lasso_cv"\nnumFolds = 5\nnumRegParams = 5\nseed = 1'
    f = fit_toml(tmp_path / "f.toml", data, tmp_path / "out", model=model,
                 columns='label = "y"')
    assert run(spark, caplog, ["fit", "-c", f])[0] == EXIT_OK
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert min(summary["modelSummary"]["foldRows"]) >= 1
    assert summary["numFeatures"] == 20


def test_penalty_factor_names_checked_before_the_data_pass(spark, caplog, base, tmp_path,
                                                          monkeypatch):
    from lasso_spark.jobs_lib import contract

    def no_fit(*a, **k):
        raise AssertionError("the estimator must not be built")

    monkeypatch.setattr(contract, "build_estimator", no_fit)
    f = fit_toml(tmp_path / "f.toml", base["data"], tmp_path / "out",
                 model='kind = "lasso"\nregParam = 0.1\n[model.penaltyFactors]\nnope = 0.0')
    code, msg = run(spark, caplog, ["fit", "-c", f])
    assert code == EXIT_CONFIG
    assert "model.penaltyFactors: 1 key(s) name no feature: ['nope']" in msg


@pytest.mark.parametrize("case", ["file in the way", "read-only filesystem"])
def test_unwritable_output_found_before_the_fit(spark, caplog, base, tmp_path, monkeypatch,
                                                case):
    from lasso_spark.jobs_lib import contract

    monkeypatch.setattr(contract, "build_estimator", lambda *a, **k: 1 / 0)
    if case == "file in the way":
        (tmp_path / "afile").write_text("x")
        out = tmp_path / "afile" / "out"
    else:
        if not os.path.isdir("/proc/self"):
            pytest.skip("no /proc")
        out = Path("/proc/self/lasso_out")
    f = fit_toml(tmp_path / "f.toml", base["data"], out)
    code, msg = run(spark, caplog, ["fit", "-c", f])
    assert code == EXIT_CONFIG and msg.count("output.path: cannot create") == 1, msg


@pytest.mark.parametrize("case, code_expected, fragment", [
    ("empty csv", EXIT_INPUT, "no columns at all"),
    ("header-only csv", EXIT_INPUT, "not numeric"),
    ("empty directory", EXIT_INPUT, "UNABLE_TO_INFER_SCHEMA"),
    ("missing path", EXIT_CONFIG, "input.path: path does not exist"),
    ("glob matching nothing", EXIT_CONFIG, "input.path: path does not exist"),
    ("bad schema", EXIT_CONFIG, "input.schema: not a valid DDL schema"),
    ("unknown key", EXIT_CONFIG, "model.numFold: unknown key (did you mean 'numFolds'?)"),
    ("wrong type", EXIT_CONFIG, "model.numFolds: Input should be a valid integer"),
    ("missing label", EXIT_INPUT, "columns.label: column 'target' not in the input"),
    ("label is a string", EXIT_INPUT, "columns.label: column 'id' is string, not numeric"),
])
def test_input_and_config_problems(spark, caplog, base, tmp_path, case, code_expected,
                                   fragment):
    out = tmp_path / "out"
    inp, fmt, model, extra, columns = base["data"], "parquet", MODEL, "", 'label = "y"'
    if case == "empty csv":
        inp, fmt = write(tmp_path / "e" / "e.csv", ""), "csv"
    elif case == "header-only csv":
        inp, fmt = write(tmp_path / "h" / "h.csv", "x0,x1,y\n"), "csv"
    elif case == "empty directory":
        (tmp_path / "empty").mkdir()
        inp = tmp_path / "empty"
    elif case == "missing path":
        inp = tmp_path / "nope"
    elif case == "glob matching nothing":
        inp = f"{tmp_path}/nothing*"
    elif case == "bad schema":
        inp, fmt = write(tmp_path / "c" / "c.csv", "x0,y\n1,2\n"), "csv"
        extra = 'schema = "x0 DUBBLE,, y"\n'
    elif case == "unknown key":
        model = MODEL.replace("numFolds", "numFold")
    elif case == "wrong type":
        model = MODEL.replace("numFolds = 3", 'numFolds = "three"')
    elif case == "missing label":
        columns = 'label = "target"'
    elif case == "label is a string":
        inp = write(tmp_path / "s" / "s.csv", "id,x0,y\na,1,2\nb,2,3\n")
        fmt, columns = "csv", 'label = "id"'
    f = fit_toml(tmp_path / "f.toml", inp, out, model=model, fmt=fmt, columns=columns,
                 extra_input=extra)
    code, msg = run(spark, caplog, ["fit", "-c", f])
    assert code == code_expected and fragment in msg, msg
    assert not out.exists()


# ============================================================ 4. damaged models exit 3
def data_part(model: Path, sub: str = "data") -> Path:
    return next(p for p in (model / sub).iterdir() if p.name.endswith(".parquet"))


DAMAGE = {
    "metadata edited (Hadoop .crc)": (lambda m: meta_file(m).write_text(
        meta_file(m).read_text() + " "), "ChecksumException"),
    "metadata truncated": (lambda m: (drop_crc(m), meta_file(m).write_text(
        meta_file(m).read_text()[:50])), "metadata/ is not valid JSON"),
    "metadata empty": (lambda m: (drop_crc(m), meta_file(m).write_text("")),
                       "metadata/ is empty"),
    "metadata missing": (lambda m: shutil.rmtree(m / "metadata"), "metadata/ is missing"),
    "numFeatures edited": (lambda m: (drop_crc(m), edit_meta(
        m, lambda r: r["lassoSpark"].__setitem__("numFeatures", 7))),
        "data/ holds 4 coefficients but metadata/ says numFeatures = 7"),
    "regParam edited": (lambda m: (drop_crc(m), edit_meta(
        m, lambda r: r["lassoSpark"].__setitem__("regParam", 1.0))),
        "metadata/ values do not match the checksum"),
    "inputCols shortened": (lambda m: (drop_crc(m), edit_meta(
        m, lambda r: r["paramMap"].__setitem__("inputCols", ["x0", "x1"]))),
        "metadata/ paramMap.inputCols has 2 columns for 4 features"),
    "penaltyFactors edited": (lambda m: (drop_crc(m), edit_meta(
        m, lambda r: r["paramMap"].__setitem__("penaltyFactors", {"x0": 0.0}))),
        "metadata/ values do not match the checksum"),
    "lassoSpark key missing": (lambda m: (drop_crc(m), edit_meta(
        m, lambda r: r.pop("lassoSpark"))), "metadata/ has no 'lassoSpark' section"),
    "future format": (lambda m: (drop_crc(m), edit_meta(
        m, lambda r: r["lassoSpark"].__setitem__("formatVersion", 99))),
        "cannot be loaded: saved in format 99"),
    "data directory deleted": (lambda m: shutil.rmtree(m / "data"), "data/ is missing"),
    "a data file deleted": (lambda m: data_part(m, "path").unlink(),
                            "1 data file(s) deleted"),
    "a data file truncated": (lambda m: (drop_crc(m), data_part(m).write_bytes(
        data_part(m).read_bytes()[:100])), "does not match its checksum"),
    "a data file emptied": (lambda m: (drop_crc(m), data_part(m).write_bytes(b"")), "is empty"),
    "a file added": (lambda m: (m / "cv" / "part-99.parquet").write_bytes(b"PAR1"),
                     "not written by the save"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_model_exits_3_naming_the_part(spark, caplog, base, tmp_path, damage):
    model = tmp_path / "model"
    shutil.copytree(base["fit"] / "model", model)
    change, fragment = DAMAGE[damage]
    change(model)
    f = score_toml(tmp_path / "s.toml", model, base["data"], tmp_path / "pred")
    code, msg = run(spark, caplog, ["score", "-c", f])
    assert code == EXIT_INPUT and f"model at {model}" in msg and fragment in msg, msg
    assert not (tmp_path / "pred").exists()


def test_api_load_raises_model_load_error(spark, base, tmp_path):
    from lasso_spark.ml import LassoModel
    from lasso_spark.ml.persistence import ModelLoadError

    model = tmp_path / "model"
    shutil.copytree(base["fit"] / "model", model)
    drop_crc(model)
    edit_meta(model, lambda r: r["lassoSpark"].__setitem__("numFeatures", 7))
    with pytest.raises(ModelLoadError, match=f"model at {model} is damaged: data/ holds 4"):
        LassoModel.load(str(model))


def test_mllib_model_directory_is_not_a_lasso_model(spark, caplog, base, tmp_path):
    from pyspark.ml.feature import VectorAssembler
    from pyspark.ml.regression import LinearRegression

    df = VectorAssembler(inputCols=["x0", "x1"], outputCol="features").transform(
        spark.read.parquet(str(base["data"])))
    LinearRegression(labelCol="y", maxIter=2).fit(df).save(str(tmp_path / "mllib"))
    f = score_toml(tmp_path / "s.toml", tmp_path / "mllib", base["data"], tmp_path / "pred")
    code, msg = run(spark, caplog, ["score", "-c", f])
    assert code == EXIT_INPUT and "LinearRegressionModel" in msg and "not a lasso_spark" in msg


def test_format_1_model_still_loads(spark, caplog, base, tmp_path):
    """Saved before the checksums (format 1): loaded with the structural checks."""
    model = tmp_path / "model"
    shutil.copytree(base["fit"] / "model", model)
    drop_crc(model)
    edit_meta(model, to_format_1)
    f = score_toml(tmp_path / "s.toml", model, base["data"], tmp_path / "pred")
    assert run(spark, caplog, ["score", "-c", f])[0] == EXIT_OK
    assert "format 1 (no checksums)" in caplog.text


# ============================================================ 5. scoring validates like fitting
def scored(spark, path: Path) -> pd.DataFrame:
    return spark.read.parquet(str(path)).toPandas().sort_values("id").reset_index(drop=True)


def expected_predictions(base, X: np.ndarray) -> np.ndarray:
    summary = json.loads((base["fit"] / "summary.json").read_text())
    coef = pd.read_parquet(base["fit"] / "coefficients.parquet")["coefficient"].to_numpy()
    return summary["intercept"] + X @ coef


def with_nulls(spark, base, tmp_path) -> Path:
    pdf = base["pdf"].copy()
    pdf.loc[:4, "x0"] = np.nan  # NaN in parquet: invalid like null
    pdf.loc[5:6, "x3"] = np.inf
    df = spark.createDataFrame(pdf)
    from pyspark.sql import functions as F

    df = df.withColumn("x1", F.when(F.col("id") == 7, None).otherwise(F.col("x1")))
    df.coalesce(1).write.parquet(str(tmp_path / "bad.parquet"))
    return tmp_path / "bad.parquet"


def test_score_error_counts_bad_rows_per_column(spark, caplog, base, tmp_path):
    bad = with_nulls(spark, base, tmp_path)
    f = score_toml(tmp_path / "s.toml", base["fit"], bad, tmp_path / "pred")
    code, msg = run(spark, caplog, ["score", "-c", f])
    assert code == EXIT_INPUT
    for part in ("5 rows with null/NaN/inf in column 'x0'", "1 rows with null/NaN/inf in "
                 "column 'x1'", "2 rows with null/NaN/inf in column 'x3'", "of 120 rows read"):
        assert part in msg, msg
    assert not (tmp_path / "pred").exists()


@pytest.mark.parametrize("handle", ["skip", "keep"])
def test_score_skip_and_keep_are_counted_in_the_summary(spark, caplog, base, tmp_path, handle):
    bad = with_nulls(spark, base, tmp_path)
    f = score_toml(tmp_path / "s.toml", base["fit"], bad, tmp_path / "pred",
                   model_extra=f'handle_invalid = "{handle}"\n')
    assert run(spark, caplog, ["score", "-c", f])[0] == EXIT_OK
    summary = json.loads((tmp_path / "pred" / "_summary.json").read_text())
    assert summary["rows"]["read"] == 120 and summary["rows"]["invalid"] == 8
    assert summary["rows"]["scored"] == 112
    assert summary["invalidCounts"] == {"x0": 5, "x1": 1, "x3": 2}
    out = scored(spark, tmp_path / "pred")
    assert len(out) == (112 if handle == "skip" else 120)
    assert out["prediction"].isna().sum() == (0 if handle == "skip" else 8)
    good = base["pdf"].iloc[8:]
    got = out.set_index("id").loc[good["id"], "prediction"].to_numpy()
    np.testing.assert_allclose(got, expected_predictions(base, good[
        ["x0", "x1", "x2", "x3"]].to_numpy()), rtol=1e-12)


def test_score_summary_of_a_clean_run(spark, caplog, base, tmp_path):
    f = score_toml(tmp_path / "s.toml", base["fit"], base["data"], tmp_path / "pred")
    assert run(spark, caplog, ["score", "-c", f])[0] == EXIT_OK
    summary = json.loads((tmp_path / "pred" / "_summary.json").read_text())
    assert summary["rows"] == {"read": 120, "scored": 120, "invalid": 0, "written": 120,
                               "nullPredictions": 0}
    assert summary["handleInvalid"] == "error" and summary["columns"] == ["id", "prediction"]
    # Spark reads the dataset back without taking _summary.json for data
    assert spark.read.parquet(str(tmp_path / "pred")).count() == 120


def test_score_existing_prediction_column(spark, caplog, base, tmp_path):
    pdf = base["pdf"].copy()
    pdf["prediction"] = -1.0
    data = parquet(spark, pdf, tmp_path / "p.parquet")
    f = score_toml(tmp_path / "s.toml", base["fit"], data, tmp_path / "pred", output_extra="")
    code, msg = run(spark, caplog, ["score", "-c", f])
    assert code == EXIT_INPUT and "column 'prediction' already exists" in msg
    f = score_toml(tmp_path / "s.toml", base["fit"], data, tmp_path / "pred",
                   output_extra="replace_prediction = true\n")
    assert run(spark, caplog, ["score", "-c", f])[0] == EXIT_OK
    out = scored(spark, tmp_path / "pred")
    assert (out["prediction"] != -1.0).all() and list(out.columns).count("prediction") == 1
    # not passed through: the old column is simply not written
    f = score_toml(tmp_path / "s2.toml", base["fit"], data, tmp_path / "pred2")
    assert run(spark, caplog, ["score", "-c", f])[0] == EXIT_OK


def test_score_refuses_a_string_feature_before_the_job(spark, caplog, base, tmp_path,
                                                       monkeypatch):
    pdf = base["pdf"].astype({"x2": str})
    data = parquet(spark, pdf, tmp_path / "s.parquet")
    f = score_toml(tmp_path / "s.toml", base["fit"], data, tmp_path / "pred")
    code, msg = run(spark, caplog, ["score", "-c", f])
    assert code == EXIT_INPUT and "'x2' is string" in msg


def vector_model(spark, tmp_path: Path, p: int = 3) -> Path:
    from lasso_spark.ml import LassoModel

    model = LassoModel([1.0, 0.0, -2.0][:p], 0.5, featureNames=[f"f{j}" for j in range(p)])
    model.setFeaturesCol("features")
    model.save(str(tmp_path / "vmodel"))
    return tmp_path / "vmodel"


def test_score_array_features(spark, caplog, tmp_path):
    from pyspark.sql import functions as F

    model = vector_model(spark, tmp_path)
    df = spark.createDataFrame(
        [(0, [1.0, 2.0, 3.0]), (1, [0.0, 1.0, 1.0]), (2, [1.0, 2.0]), (3, [1.0, None, 2.0]),
         (4, None)], "id long, features array<double>")
    df.write.parquet(str(tmp_path / "a.parquet"))
    f = score_toml(tmp_path / "s.toml", model, tmp_path / "a.parquet", tmp_path / "pred",
                   model_extra='handle_invalid = "keep"\n')
    assert run(spark, caplog, ["score", "-c", f])[0] == EXIT_OK
    out = scored(spark, tmp_path / "pred")
    assert out["prediction"].iloc[:2].tolist() == [0.5 + 1 - 6, 0.5 - 2]
    assert out["prediction"].iloc[2:].isna().all()
    summary = json.loads((tmp_path / "pred" / "_summary.json").read_text())
    assert summary["invalidCounts"] == {"features: size": 1, "features: non-finite": 1,
                                        "features: null": 1}
    # an array of strings is refused before any job
    spark.range(2).select("id", F.array(F.lit("a"), F.lit("b"), F.lit("c")).alias(
        "features")).write.parquet(str(tmp_path / "s.parquet"))
    f = score_toml(tmp_path / "s2.toml", model, tmp_path / "s.parquet", tmp_path / "pred2")
    code, msg = run(spark, caplog, ["score", "-c", f])
    assert code == EXIT_INPUT and "featuresCol 'features' is array<string>" in msg


def malformed_vectors(spark, tmp_path: Path) -> Path:
    from pyspark.ml.linalg import VectorUDT
    from pyspark.sql import types as T

    rows = [(0, 0, 3, [0, 2], [1.0, 2.0]), (1, 0, 3, [2, 1], [1.0, 2.0]),
            (2, 0, 3, [1, 1], [1.0, 2.0]), (3, 1, None, None, [1.0, 2.0, 3.0])]
    raw = spark.createDataFrame(rows, "id long, type tinyint, size int, indices array<int>, "
                                      "values array<double>")
    from pyspark.sql import functions as F

    raw.select("id", F.struct("type", "size", "indices", "values").alias("features")) \
        .write.parquet(str(tmp_path / "raw.parquet"))
    schema = T.StructType([T.StructField("id", T.LongType()),
                           T.StructField("features", VectorUDT())])
    spark.read.schema(schema).parquet(str(tmp_path / "raw.parquet")).write.parquet(
        str(tmp_path / "v.parquet"))
    return tmp_path / "v.parquet"


def test_score_rejects_malformed_sparse_vectors_like_mllib(spark, caplog, tmp_path):
    model = vector_model(spark, tmp_path)
    f = score_toml(tmp_path / "s.toml", model, malformed_vectors(spark, tmp_path),
                   tmp_path / "pred")
    code, msg = run(spark, caplog, ["score", "-c", f])
    assert code == EXIT_INPUT
    assert "2 rows with a malformed sparse vector in column 'features'" in msg
    assert "strictly increasing" in msg
    assert not (tmp_path / "pred").exists()


def test_score_prediction_overflow_is_invalid(spark, caplog, tmp_path):
    from lasso_spark.ml import LassoModel

    LassoModel([1e300, 1.0], 0.0, featureNames=["x0", "x1"]).setInputCols(
        ["x0", "x1"]).save(str(tmp_path / "m"))
    spark.createDataFrame([(0, 1e10, 1.0), (1, 1.0, 1.0)], "id long, x0 double, x1 double") \
        .write.parquet(str(tmp_path / "d.parquet"))
    f = score_toml(tmp_path / "s.toml", tmp_path / "m", tmp_path / "d.parquet", tmp_path / "p")
    code, msg = run(spark, caplog, ["score", "-c", f])
    assert code == EXIT_INPUT and "1 rows with a prediction overflowing float64" in msg


# ============================================================ a few real processes
def proc(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "lasso_spark.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_process_overlap_refused_before_spark_starts(base, tmp_path):
    data = tmp_path / "in.parquet"
    shutil.copytree(base["data"], data)
    f = score_toml(tmp_path / "s.toml", base["fit"], data, data, mode="overwrite")
    r = proc(["score", "-c", str(f)], tmp_path)
    assert r.returncode == EXIT_CONFIG, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "equals input.path" in lines[0], r.stderr
    assert "Traceback" not in r.stderr and (data / "_SUCCESS").exists()


@pytest.mark.slow
def test_process_data_error_one_line_no_traceback(base, tmp_path):
    pdf = pd.DataFrame({"x0": np.arange(20.0), "y": np.full(20, 1.0)})
    (tmp_path / "c").mkdir()
    pdf.to_csv(tmp_path / "c" / "c.csv", index=False)
    f = fit_toml(tmp_path / "f.toml", tmp_path / "c" / "c.csv", tmp_path / "out", fmt="csv",
                 columns='label = "y"', extra_input='schema = "x0 DOUBLE, y DOUBLE"\n')
    r = proc(["fit", "-c", str(f), "--master", "local[1]"], tmp_path)
    assert r.returncode == EXIT_INPUT, r.stderr
    ours = [ln for ln in r.stderr.splitlines() if "lasso_spark.cli" in ln]
    assert len(ours) == 1 and "the label 'y' is constant" in ours[0], r.stderr
    assert "Traceback" not in r.stderr


def test_paths_resolved_through_hadoop_when_the_default_fs_is_not_local(spark, caplog, base,
                                                                       tmp_path, monkeypatch):
    """Under spark-submit on a cluster scheme-less paths are qualified by Hadoop's FileSystem
    (fs.defaultFS, working directory): the same refusals, and an unknown scheme is exit 2."""
    from lasso_spark.jobs_lib import paths

    monkeypatch.setattr(paths, "default_fs_is_local", lambda spark: False)
    data = tmp_path / "in.parquet"
    shutil.copytree(base["data"], data)
    with pytest.raises(paths.OutputOverlapError, match="equals input.path"):
        paths.check_paths([("output.path", f"{data}/")], [("input.path", str(data))],
                          spark=spark)
    loc = paths.locate("input.path", f"{tmp_path}/x/../in.parquet", spark)
    assert [p.shown for p in loc] == [str(data)]
    with pytest.raises(paths.ConfigError, match="input.path: cannot resolve 'nosuchfs://h/x'"):
        paths.locate("input.path", "nosuchfs://h/x", spark)
    f = fit_toml(tmp_path / "f.toml", "nosuchfs://h/x", tmp_path / "out")
    code, msg = run(spark, caplog, ["fit", "-c", f])
    assert code == EXIT_CONFIG and "nosuchfs" in msg
