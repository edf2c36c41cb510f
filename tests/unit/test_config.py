"""Job configs: every example validates; every kind of mistake names its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from lasso_spark.config import (
    CONFIG_KINDS,
    FitConfig,
    apply_overrides,
    check_input_paths,
    load_config,
    parse_override,
    validate,
)
from lasso_spark.jobs_lib.errors import EXIT_CONFIG, ConfigError

CONF = Path(__file__).resolve().parents[2] / "conf"
KIND_OF = {"fit_lasso_cv": "fit", "fit_lasso": "fit", "fit_stability": "fit", "score": "score",
           "generate": "generate", "demo": "demo", "demo_small": "demo",
           "fit_logistic_lasso_cv": "fit", "fit_multinomial_lasso_cv": "fit"}


def base_fit(tmp_path: Path) -> dict:
    data = tmp_path / "in.parquet"
    data.mkdir(exist_ok=True)
    return {
        "input": {"path": str(data)},
        "columns": {"label": "y"},
        "model": {"kind": "lasso_cv", "numFolds": 5},
        "output": {"path": str(tmp_path / "out")},
    }


def problems(kind: str, data: dict) -> list[str]:
    with pytest.raises(ConfigError) as info:
        validate(kind, data)
    assert info.value.exit_code == EXIT_CONFIG
    return info.value.problems


def test_every_example_config_is_known_and_valid():
    files = sorted(CONF.glob("*.toml"))
    assert {f.stem for f in files} == set(KIND_OF), "add new conf/ examples to KIND_OF"
    for f in files:
        cfg = load_config(KIND_OF[f.stem], f, check_paths=False)
        assert isinstance(cfg, CONFIG_KINDS[KIND_OF[f.stem]])


def test_example_fit_maps_to_mllib_params():
    cfg = load_config("fit", CONF / "fit_lasso.toml", check_paths=False)
    params = cfg.model.estimator_params()
    assert params == {"regParam": 0.05, "elasticNetParam": 0.5, "standardization": True,
                      "maxIter": 1000, "tol": 1e-7, "penaltyFactors": {"x0": 0.0}}


def test_unknown_key_named_with_suggestion(tmp_path):
    data = base_fit(tmp_path)
    data["model"]["numFold"] = 3
    data["outptu"] = {}
    msgs = problems("fit", data)
    assert any(m.startswith("model.numFold: unknown key (did you mean 'numFolds'?)") for m in msgs)
    assert any(m.startswith("outptu: unknown key (did you mean 'output'?)") for m in msgs)


def test_wrong_type_and_range_named(tmp_path):
    data = base_fit(tmp_path)
    data["model"].update(numFolds="five", elasticNetParams=[0.5, 1.5])
    data["output"]["mode"] = "append"
    msgs = problems("fit", data)
    assert any(m.startswith("model.numFolds:") and "'five'" in m for m in msgs)
    assert any(m.startswith("model.elasticNetParams.1:") for m in msgs)
    assert any(m.startswith("output.mode:") and "'append'" in m for m in msgs)


def test_missing_required_keys_named(tmp_path):
    data = base_fit(tmp_path)
    del data["columns"]["label"]
    del data["output"]
    msgs = problems("fit", data)
    assert "columns.label: required key missing" in msgs
    assert "output: required key missing" in msgs


def test_union_type_error_reported_once(tmp_path):
    data = base_fit(tmp_path)
    data["input"]["path"] = ["a", 3]
    data["spark"] = {"conf": {"spark.x": [1]}}
    msgs = problems("fit", data)
    assert [m for m in msgs if m.startswith("input.path")] == [
        "input.path: wrong type (got ['a', 3]); expected str or list[str]"
    ]
    assert len([m for m in msgs if m.startswith("spark.conf.spark.x")]) == 1


@pytest.mark.parametrize(
    "model, fragment",
    [
        ({"kind": "lasso"}, "model.regParam is required"),
        ({"kind": "lasso", "regParam": 0.1, "numFolds": 3}, "model.numFolds only valid"),
        ({"kind": "lasso_cv", "regParam": 0.1}, "chosen by cross-validation"),
        ({"kind": "lasso_cv", "regParams": [0.1], "numRegParams": 5}, "either model.regParams"),
        ({"kind": "lasso_cv", "elasticNetParam": 1.0, "elasticNetParams": [1.0]}, "either"),
        ({"kind": "ridge"}, "model.kind"),
        ({"kind": "lasso_cv", "numFolds": 1}, "model.numFolds"),
        ({"kind": "lasso_cv", "selectionRule": "2se"}, "model.selectionRule"),
        ({"kind": "lasso", "regParam": 0.1, "validationCol": "v"}, "model.validationCol only"),
        ({"kind": "lasso_cv", "validationCol": 3}, "model.validationCol"),
    ],
)
def test_model_section_rules(tmp_path, model, fragment):
    data = base_fit(tmp_path)
    data["model"] = model
    assert any(fragment in m for m in problems("fit", data))


def test_columns_rules(tmp_path):
    data = base_fit(tmp_path)
    data["columns"] = {"label": "y", "features": ["a", "y"], "vector": "v"}
    assert any("at most one of columns.features and columns.vector" in m
               for m in problems("fit", data))
    data["columns"] = {"label": "y", "features": ["a", "y"]}
    assert any("label/weight/id" in m for m in problems("fit", data))
    data["columns"] = {"label": "y", "features": ["a"], "exclude": ["b"]}
    assert any("columns.exclude" in m for m in problems("fit", data))


def test_input_needs_exactly_one_source(tmp_path):
    data = base_fit(tmp_path)
    data["input"]["table"] = "db.t"
    assert any("exactly one of input.path or input.table" in m for m in problems("fit", data))


def test_missing_local_input_path_named(tmp_path):
    data = base_fit(tmp_path)
    data["input"]["path"] = [data["input"]["path"], str(tmp_path / "nope.parquet")]
    cfg = validate("fit", data)
    with pytest.raises(ConfigError) as info:
        check_input_paths(cfg)
    assert info.value.problems == [f"input.path: path does not exist: {tmp_path}/nope.parquet"]


def test_remote_paths_tables_and_globs(tmp_path):
    data = base_fit(tmp_path)
    for remote in ("s3a://bucket/x", "hdfs://nn/x", "abfss://c@a.dfs.core.windows.net/x"):
        data["input"]["path"] = remote
        check_input_paths(validate("fit", data))  # not checked locally
    data["input"] = {"table": "db.t"}
    check_input_paths(validate("fit", data))
    (tmp_path / "part-1.csv").write_text("y\n1\n")
    data["input"] = {"path": f"file://{tmp_path}/part-*.csv", "format": "csv"}
    check_input_paths(validate("fit", data))
    data["input"] = {"path": f"{tmp_path}/zzz-*.csv", "format": "csv"}
    with pytest.raises(ConfigError, match="input.path"):
        check_input_paths(validate("fit", data))
    # scheme-less paths are HDFS on a cluster: not checked locally under spark-submit
    check_input_paths(validate("fit", data), schemeless_is_local=False)


def test_score_model_path_checked(tmp_path):
    (tmp_path / "in").mkdir()
    data = {"model": {"path": str(tmp_path / "m")}, "input": {"path": str(tmp_path / "in")},
            "output": {"path": str(tmp_path / "o")}}
    with pytest.raises(ConfigError, match="model.path: path does not exist"):
        check_input_paths(validate("score", data))


@pytest.mark.parametrize(
    "text, key, value",
    [
        ("model.numFolds=10", ["model", "numFolds"], 10),
        ("model.tol=1e-8", ["model", "tol"], 1e-8),
        ("output.plots=false", ["output", "plots"], False),
        ("model.regParams=[0.1, 0.01]", ["model", "regParams"], [0.1, 0.01]),
        ('columns.label="y"', ["columns", "label"], "y"),
        ("input.path=/data/my file.parquet", ["input", "path"], "/data/my file.parquet"),
        ("output.path=s3a://b/x", ["output", "path"], "s3a://b/x"),
        ("spark.conf.spark-x= 3 ", ["spark", "conf", "spark-x"], 3),
    ],
)
def test_parse_override(text, key, value):
    assert parse_override(text) == (key, value)


def test_overrides_apply_and_validate(tmp_path):
    data = base_fit(tmp_path)
    apply_overrides(data, ["model.numFolds=3", "model.seed=7", "spark.conf.a=1"])
    cfg = FitConfig.model_validate(data)
    assert (cfg.model.numFolds, cfg.model.seed, cfg.spark.conf) == (3, 7, {"a": 1})
    with pytest.raises(ConfigError, match="model.kind is a value"):
        apply_overrides(data, ["model.kind.x=1"])
    for bad in ("numFolds", "=3", "a..b=1"):
        with pytest.raises(ConfigError, match="--set"):
            parse_override(bad)


def test_override_type_error_names_key(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text('[input]\npath = "s3a://b/x"\n[columns]\nlabel = "y"\n'
                 '[model]\nkind = "lasso_cv"\n[output]\npath = "o"\n')
    assert load_config("fit", f).model.numFolds is None
    with pytest.raises(ConfigError) as info:
        load_config("fit", f, ["model.numFolds=many"])
    assert info.value.problems[0].startswith("model.numFolds:")


def test_bad_toml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config("fit", tmp_path / "none.toml")
    f = tmp_path / "bad.toml"
    f.write_text("[model\nkind = 1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config("fit", f)


def test_demo_defaults_and_generate_consistency():
    cfg = load_config("demo", None)
    assert cfg.model.kind == "lasso_cv" and cfg.data.n_informative <= cfg.data.n_features
    with pytest.raises(ConfigError, match="n_informative"):
        load_config("demo", None, ["data.n_informative=40"])


def test_logistic_kinds_and_their_params(tmp_path):
    data = base_fit(tmp_path)
    data["model"] = {"kind": "logistic_lasso_cv", "numFolds": 3, "cvMetric": "auc",
                     "threshold": 0.3}
    cfg = validate("fit", data)
    assert cfg.model.estimator_params() == {"numFolds": 3, "cvMetric": "auc", "threshold": 0.3}
    data["model"] = {"kind": "logistic_lasso", "regParam": 0.1, "threshold": 0.7}
    assert validate("fit", data).model.estimator_params() == {"regParam": 0.1, "threshold": 0.7}
    data["model"] = {"kind": "logistic_lasso", "regParam": 0.1, "penaltyFactors": {"x0": 0}}
    assert any('model.penaltyFactors only valid with kind = "lasso" or kind = "lasso_cv"' in p
               for p in problems("fit", data))
    data["model"] = {"kind": "lasso_cv", "cvMetric": "auc"}
    assert any('model.cvMetric only valid with kind = "logistic_lasso_cv"' in p
               for p in problems("fit", data))
    data["model"] = {"kind": "logistic_lasso", "regParam": 0.1, "numFolds": 3}
    assert any('model.numFolds only valid with kind = "lasso_cv" or kind = "logistic_lasso_cv"'
               in p for p in problems("fit", data))
    data["model"] = {"kind": "logistic_lasso_cv", "regParam": 0.1}
    assert any("chosen by cross-validation" in p for p in problems("fit", data))
    data["model"] = {"kind": "logistic_lasso", "regParam": 0.1}
    data["output"] = {**data["output"], "mllib_model": True}
    assert any("output.mllib_model writes an MLlib LinearRegressionModel" in p
               for p in problems("fit", data))


def test_generate_id_col_false_means_no_id_column(tmp_path):
    f = tmp_path / "gen.toml"
    base = '[data]\nn_rows = 10\nn_features = 3\nn_informative = 2\n{}\n[output]\npath = "{}"\n'
    f.write_text(base.format("id_col = false", tmp_path / "out"))
    assert load_config("generate", f).data.id_col is None
    f.write_text(base.format('id_col = "row"', tmp_path / "out"))
    assert load_config("generate", f).data.id_col == "row"
    f.write_text(base.format("", tmp_path / "out"))
    assert load_config("generate", f).data.id_col == "id"
    f.write_text(base.format("id_col = true", tmp_path / "out"))
    with pytest.raises(ConfigError, match="data.id_col"):
        load_config("generate", f)
