"""TOML job configurations, validated before Spark starts.

Four kinds of config, one pydantic model each: :class:`FitConfig` (``lasso-spark fit``),
:class:`ScoreConfig` (``score``), :class:`GenerateConfig` (``generate``) and
:class:`DemoConfig` (``demo``). Keys are snake_case except in a fit's ``[model]`` section, whose
keys are the estimator's MLlib parameter names (``regParam``, ``numFolds``, ...). Every section
forbids unknown keys; every error names the dotted key path (``model.numFolds``).

:func:`load_config` reads a file, applies ``--set key=value`` overrides (values parsed as TOML
literals, falling back to a plain string), validates, and checks that local input paths exist.
"""

from __future__ import annotations

import difflib
import glob
import logging
import os
import re
import sys
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from lasso_spark.jobs_lib.errors import ConfigError
from lasso_spark.paramspec import (
    DECLARATIONS,
    LASSO,
    LASSO_CV,
    LOGISTIC,
    LOGISTIC_CV,
    UNSET,
    ParamDecl,
    combination_problems,
    declared,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

logger = logging.getLogger(__name__)

__all__ = [
    "MODEL_KINDS",
    "ColumnsConfig",
    "ConfigError",
    "DemoConfig",
    "FitConfig",
    "GenerateConfig",
    "GenerateParams",
    "InputConfig",
    "ModelConfig",
    "OutputConfig",
    "ScoreConfig",
    "SparkConfig",
    "apply_overrides",
    "check_input_paths",
    "is_local_path",
    "load_config",
    "parse_override",
]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_GLOB_CHARS = set("*?[{")

Scalar = str | int | float | bool
#: a path or a name: never empty
Name = Annotated[str, Field(min_length=1)]
PositiveInt = Annotated[int, Field(ge=1)]
NonNegFloat = Annotated[float, Field(ge=0.0)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False, validate_default=True)


# --------------------------------------------------------------------------- sections
class InputConfig(_Section):
    """``[input]``: exactly one of ``path`` (file or directory, glob allowed) or ``table``."""

    path: str | list[str] | None = None
    table: str | None = None
    format: Literal["parquet", "csv", "orc", "json"] = "parquet"
    schema_: str | None = Field(default=None, alias="schema")
    options: dict[str, Scalar] = Field(default_factory=dict)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _one_source(self) -> InputConfig:
        if (self.path is None) == (self.table is None):
            raise ValueError("set exactly one of input.path or input.table")
        if isinstance(self.path, list) and not self.path:
            raise ValueError("input.path must not be an empty list")
        if any(not p.strip() for p in self.paths()) or self.table == "":
            raise ValueError("input.path / input.table must not be empty")
        return self

    def paths(self) -> list[str]:
        if self.path is None:
            return []
        return [self.path] if isinstance(self.path, str) else list(self.path)


class ColumnsConfig(_Section):
    """``[columns]``: label, optional weight and id columns, and how features are chosen.

    Features are ``features`` (a list of numeric columns), or ``vector`` (one vector column),
    or, when neither is given, every numeric column except label, weight, id and ``exclude``.
    """

    label: str
    weight: str | None = None
    id: list[str] = Field(default_factory=list)
    features: list[str] | None = None
    vector: str | None = None
    exclude: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _feature_mode(self) -> ColumnsConfig:
        if self.features is not None and self.vector is not None:
            raise ValueError("set at most one of columns.features and columns.vector")
        if self.exclude and (self.features is not None or self.vector is not None):
            raise ValueError("columns.exclude only applies when features are not listed")
        if self.features is not None:
            if not self.features:
                raise ValueError("columns.features must not be empty")
            dupes = sorted({c for c in self.features if self.features.count(c) > 1})
            if dupes:
                raise ValueError(f"columns.features lists {dupes} more than once")
            clash = {self.label, self.weight, *self.id} & set(self.features)
            if clash:
                raise ValueError(
                    f"columns.features contains label/weight/id column(s) {sorted(clash)}"
                )
        return self


#: ``model.kind`` → the estimator whose parameters the ``[model]`` section takes
MODEL_KINDS: dict[str, str] = {"lasso": LASSO, "lasso_cv": LASSO_CV,
                               "logistic_lasso": LOGISTIC, "logistic_lasso_cv": LOGISTIC_CV}
#: kinds that fit one regParam, which the config must therefore give
_SINGLE_FIT_KINDS = ("lasso", "logistic_lasso")


def _checked(convert: Any) -> AfterValidator:
    """Run a parameter's converter (:mod:`lasso_spark.paramspec`) after the type check, so a
    config accepts exactly the values the estimator accepts; errors keep the key's path."""

    def check(value: Any) -> Any:
        try:
            return convert(value)
        except (TypeError, ValueError) as exc:
            raise PydanticCustomError("param_value", "{reason}", {"reason": str(exc)}) from None

    return AfterValidator(check)


def _annotation(d: ParamDecl) -> Any:
    item = getattr(d.converter, "item", None)
    if item is not None:  # items checked one by one first: errors name the item (model.x.1)
        return Annotated[list[Annotated[float, _checked(item)]], _checked(d.converter)] | None
    return Annotated[d.config_type, _checked(d.converter)] | None


class _ModelBase(_Section):
    """``[model]``: estimator kind and its parameters, with pyspark.ml / MLlib names (every
    parameter declared in :mod:`lasso_spark.paramspec` with a config type). A key left out
    takes the estimator's own default. Types are strict (``standardization = 1`` is not a
    boolean), as the estimators' own checks are."""

    model_config = ConfigDict(extra="forbid", strict=True, validate_default=True)

    kind: Literal[tuple(MODEL_KINDS)]  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _kind_params(self) -> Any:
        owner = MODEL_KINDS[self.kind]
        given = self.estimator_params()
        wrong = [k for k in given if k not in {d.name for d in declared(owner)}]
        if wrong:
            valid_in = sorted(kind for kind, o in MODEL_KINDS.items()
                              if all(k in {d.name for d in declared(o)} for k in wrong))
            where = " or ".join(f'kind = "{k}"' for k in valid_in) or "another kind"
            raise ValueError(
                f'{", ".join("model." + k for k in wrong)} only valid with {where}'
            )
        if self.kind in _SINGLE_FIT_KINDS and "regParam" not in given:
            raise ValueError(f'model.regParam is required with kind = "{self.kind}"')
        problems = combination_problems(owner, given, key=lambda name: f"model.{name}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def estimator_params(self) -> dict[str, Any]:
        """Keyword arguments for the estimator of ``kind`` (``Lasso``, ``LassoCV``,
        ``LogisticLasso``, ``LogisticLassoCV``): every key that was set, MLlib names."""
        return self.model_dump(exclude_none=True, exclude={"kind"})

    def resolved_params(self) -> dict[str, Any]:
        """Every parameter of this kind's estimator with the value a fit will use: the keys set
        here, the estimator's defaults for the rest (``None`` where there is no default)."""
        owner = MODEL_KINDS[self.kind]
        out = {d.name: (None if d.default is UNSET else d.default) for d in declared(owner)
               if d.config_type is not None}
        out.update(self.estimator_params())
        return out


ModelConfig = create_model(
    "ModelConfig",
    __base__=_ModelBase,
    **{d.name: (_annotation(d), None) for d in DECLARATIONS if d.config_type is not None},
)


class OutputConfig(_Section):
    """``[output]`` of a fit: directory of results, refused if it exists unless overwrite."""

    path: Name
    mode: Literal["error", "overwrite"] = "error"
    plots: bool = True
    #: also write ``mllib_model/``: the model in Spark MLlib's format (``LassoModel.saveMLlib``)
    mllib_model: bool = False


class ScoreOutputConfig(_Section):
    """``[output]`` of a score job: the predictions dataset (``_summary.json`` inside it)."""

    path: Name
    format: Literal["parquet", "csv", "orc", "json"] = "parquet"
    mode: Literal["error", "overwrite"] = "error"
    options: dict[str, Scalar] = Field(default_factory=dict)
    partitions: PositiveInt | None = None
    #: input columns copied next to the prediction; omitted = every input column
    passthrough: list[str] | None = None
    #: an input column named like the prediction column: replaced when true, else an error
    replace_prediction: bool = False


class ScoreModelConfig(_Section):
    """``[model]`` of a score job: a saved model, or a fit job's output directory.

    ``handle_invalid``: rows with a null, NaN or infinite feature (or a vector of another size):
    ``"error"`` (the job fails, naming the columns and counts), ``"skip"`` (not written) or
    ``"keep"`` (written with a null prediction); counted in ``_summary.json`` either way.
    """

    path: Name
    prediction_col: Name | None = None
    handle_invalid: Literal["error", "skip", "keep"] = "error"


class GenerateOutputConfig(_Section):
    path: Name
    mode: Literal["error", "overwrite"] = "error"


class SparkConfig(_Section):
    """``[spark]``: ``master`` applies to embedded sessions only (spark-submit's wins)."""

    master: str | None = None
    app_name: str | None = None
    conf: dict[str, Scalar] = Field(default_factory=dict)
    log_level: Literal["ALL", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF"] = "WARN"


class GenerateParams(_Section):
    """``[data]``: arguments of :func:`lasso_spark.datagen.generate` (see there)."""

    n_rows: PositiveInt
    n_features: PositiveInt
    n_informative: Annotated[int, Field(ge=0)] = 10
    correlation: Literal["none", "ar1", "equi"] = "ar1"
    rho: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.5
    noise_std: NonNegFloat = 1.0
    intercept: float = 0.0
    coef_min: Annotated[float, Field(gt=0.0)] = 0.5
    coef_max: Annotated[float, Field(gt=0.0)] = 2.0
    feature_mean: float = 0.0
    feature_scale: Annotated[float, Field(gt=0.0)] = 1.0
    seed: int = 0
    num_partitions: PositiveInt | None = None
    weight_col: str | None = None
    id_col: str | None = "id"
    label_col: str = "y"
    vector_col: str | None = None
    keep_columns: bool = True

    @field_validator("id_col", mode="before")
    @classmethod
    def _no_id(cls, value: object) -> object:
        """TOML has no null: ``id_col = false`` writes no id column (``id_col=None``)."""
        if value is False:
            return None
        if value is True:
            raise ValueError("data.id_col must be a column name, or false for no id column")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> GenerateParams:
        if self.n_informative > self.n_features:
            raise ValueError(
                f"data.n_informative ({self.n_informative}) exceeds data.n_features "
                f"({self.n_features})"
            )
        if self.coef_min > self.coef_max:
            raise ValueError("data.coef_min must not exceed data.coef_max")
        if not self.keep_columns and self.vector_col is None:
            raise ValueError("data.keep_columns = false needs data.vector_col")
        return self


# --------------------------------------------------------------------------- job configs
class FitConfig(_Section):
    input: InputConfig
    columns: ColumnsConfig
    model: ModelConfig
    output: OutputConfig
    spark: SparkConfig = Field(default_factory=SparkConfig)

    @model_validator(mode="after")
    def _columns_vs_model(self) -> FitConfig:
        """The CV split columns are never features, label, weight or id."""
        c = self.columns
        roles = {c.label: "columns.label", **({c.weight: "columns.weight"} if c.weight else {}),
                 **{i: "columns.id" for i in c.id},
                 **({c.vector: "columns.vector"} if c.vector else {}),
                 **{f: "columns.features" for f in c.features or []}}
        for key in ("foldCol", "validationCol"):
            name = getattr(self.model, key)
            if name is not None and name in roles:
                raise ValueError(f"model.{key} {name!r} is also {roles[name]}")
        for name in c.exclude:
            if name == c.label or name == c.weight:
                raise ValueError(f"columns.exclude lists {name!r}, the "
                                 f"{'label' if name == c.label else 'weight'} column")
        if c.weight is not None and (c.weight == c.label or c.weight in c.id):
            raise ValueError(f"columns.weight {c.weight!r} is also the label or an id column")
        if c.label in c.id:
            raise ValueError(f"columns.id lists the label column {c.label!r}")
        if self.output.mllib_model and self.model.kind not in ("lasso", "lasso_cv"):
            raise ValueError(f'output.mllib_model writes an MLlib LinearRegressionModel: only '
                             f'with kind = "lasso" or "lasso_cv", not "{self.model.kind}"')
        return self


class ScoreConfig(_Section):
    model: ScoreModelConfig
    input: InputConfig
    output: ScoreOutputConfig
    spark: SparkConfig = Field(default_factory=SparkConfig)


class GenerateConfig(_Section):
    data: GenerateParams
    output: GenerateOutputConfig
    spark: SparkConfig = Field(default_factory=SparkConfig)


class DemoModelConfig(ModelConfig):  # type: ignore[misc, valid-type]
    #: the demo's data are a regression problem: the linear kinds only
    kind: Literal["lasso", "lasso_cv"] = "lasso_cv"


def _demo_data() -> GenerateParams:
    return GenerateParams(
        n_rows=100_000, n_features=30, n_informative=5, correlation="ar1", rho=0.5,
        noise_std=1.0, intercept=3.0, seed=42, num_partitions=4,
    )


class DemoConfig(_Section):
    """``lasso-spark demo``: generate data with a known sparse truth, fit it, report recovery."""

    output: str = "demo_output"
    data: GenerateParams = Field(default_factory=_demo_data)
    model: DemoModelConfig = Field(
        default_factory=lambda: DemoModelConfig(
            numFolds=5, numRegParams=100, seed=7, selectionRule="1se"
        )
    )
    plots: bool = True
    spark: SparkConfig = Field(default_factory=SparkConfig)


CONFIG_KINDS: dict[str, type[_Section]] = {
    "fit": FitConfig,
    "score": ScoreConfig,
    "generate": GenerateConfig,
    "demo": DemoConfig,
}

C = TypeVar("C", bound=BaseModel)


# --------------------------------------------------------------------------- overrides
def parse_override(text: str) -> tuple[list[str], Any]:
    """``"model.numFolds=10"`` → ``(["model", "numFolds"], 10)``.

    The value is parsed as a TOML literal (``10``, ``0.5``, ``true``, ``["a", "b"]``,
    ``"quoted"``); anything that is not valid TOML is taken as a plain string.
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"--set expects key=value, got {text!r}")
    parts = key.split(".")
    if any(not p or not re.fullmatch(r"[A-Za-z0-9_\-]+", p) for p in parts):
        raise ConfigError(f"--set: invalid key {key!r} (dotted names like model.numFolds)")
    raw = raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return parts, value


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``--set`` overrides to a raw config dict (in place; also returned)."""
    for text in overrides:
        parts, value = parse_override(text)
        node = data
        for depth, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                where = ".".join(parts[: depth + 1])
                raise ConfigError(f"--set {text!r}: {where} is a value, not a section")
            node = child
        node[parts[-1]] = value
    return data


# --------------------------------------------------------------------------- validation
def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names (aliases) of the section at ``loc`` (for 'did you mean')."""
    current: Any = model
    for part in loc:
        fields = getattr(current, "model_fields", None)
        if fields is None or part not in fields:
            return []
        annotation = fields[part].annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        current = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if current is None:
            return []
    return [f.alias or name for name, f in current.model_fields.items()]


_UNION_TAG = re.compile(r"^(str|int|float|bool|list\[.*\]|dict\[.*\]|none)$")


def _describe(model: type[BaseModel], error: dict[str, Any]) -> str:
    loc = tuple(str(p) for p in error["loc"])
    path = ".".join(loc) or "(top level)"
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        hint = difflib.get_close_matches(loc[-1], allowed, n=1)
        suffix = f" (did you mean {hint[0]!r}?)" if hint else ""
        return f"{path}: unknown key{suffix}; allowed: {', '.join(sorted(allowed))}"
    if kind == "missing":
        return f"{path}: required key missing"
    if kind == "value_error":  # our own cross-key checks: the message names the keys
        return error["msg"].removeprefix("Value error, ")
    got = error.get("input")
    shown = "a table" if isinstance(got, dict) else repr(got)
    return f"{path}: {error['msg']} (got {shown})"


def _problems(model: type[BaseModel], exc: ValidationError) -> list[str]:
    """One message per key; a value failing every member of a union is reported once."""
    out: list[str] = []
    unions: dict[tuple[str, ...], tuple[int, list[str]]] = {}
    for e in exc.errors():
        loc = tuple(str(p) for p in e["loc"])
        tag_at = next((i for i, p in enumerate(loc) if _UNION_TAG.match(p)), None)
        if tag_at is None or e["type"] in ("missing", "extra_forbidden"):
            out.append(_describe(model, e))
            continue
        key = loc[:tag_at]
        if key not in unions:
            unions[key] = (len(out), [])
            out.append("")
        tags = unions[key][1]
        if loc[tag_at] not in tags:
            tags.append(loc[tag_at])
        if tag_at == len(loc) - 1 and not out[unions[key][0]]:
            got = e.get("input")
            out[unions[key][0]] = "a table" if isinstance(got, dict) else repr(got)
    for key, (i, tags) in unions.items():
        got = out[i] or "a value of another type"
        out[i] = f"{'.'.join(key)}: wrong type (got {got}); expected {' or '.join(tags)}"
    return out


def validate(kind: str, data: dict[str, Any], source: str = "config") -> BaseModel:
    """Validate a raw dict as config ``kind`` (fit, score, generate, demo)."""
    model = CONFIG_KINDS[kind]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"invalid {kind} config ({source}):", _problems(model, exc)) from None


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file not found: {p}")
    try:
        with p.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {p} is not valid TOML: {exc}") from None


def is_local_path(path: str) -> bool:
    """True for paths without a URI scheme and for ``file:`` URIs."""
    m = _SCHEME.match(path)
    return m is None or m.group(1).lower() == "file"


def _strip_file_scheme(path: str) -> str:
    from lasso_spark.jobs_lib.paths import local_path

    return local_path(path)


def local_exists(path: str) -> bool:
    p = _strip_file_scheme(path)
    if _GLOB_CHARS & set(p):
        return bool(glob.glob(p))
    return os.path.exists(p)


def check_input_paths(cfg: BaseModel, *, schemeless_is_local: bool = True) -> None:
    """Fail with a ConfigError naming the key if a local input path does not exist.

    Remote URIs (``s3a://``, ``hdfs://``, ``abfss://``...) and catalog tables are not checked here.
    Scheme-less paths are local only when Spark's default filesystem is local, which
    ``schemeless_is_local`` asserts (embedded sessions); under spark-submit they are checked by
    the job through Hadoop's FileSystem once the session exists.
    """
    problems: list[str] = []
    items: list[tuple[str, str]] = []
    inp = getattr(cfg, "input", None)
    if isinstance(inp, InputConfig):
        items += [("input.path", p) for p in inp.paths()]
    if isinstance(cfg, ScoreConfig):
        items.append(("model.path", cfg.model.path))
    for key, path in items:
        explicit_file = _SCHEME.match(path) is not None and is_local_path(path)
        if not is_local_path(path) or not (explicit_file or schemeless_is_local):
            continue
        if not local_exists(path):
            problems.append(f"{key}: path does not exist: {path}")
    if problems:
        raise ConfigError("input not found:", problems)


def _with_demo_defaults(data: dict[str, Any]) -> dict[str, Any]:
    """Demo settings on top of the built-in ones: ``[data]`` keys merge into the defaults,
    a ``[model]`` section replaces the default model, so ``--set data.n_rows=1000`` works."""
    merged = DemoConfig().model_dump(mode="json", exclude_none=True)
    for key, value in data.items():
        if key == "data" and isinstance(value, dict):
            merged["data"] = {**merged["data"], **value}
        else:
            merged[key] = value
    return merged


def load_config(
    kind: str,
    path: str | os.PathLike[str] | None,
    overrides: list[str] | None = None,
    *,
    check_paths: bool = True,
    schemeless_is_local: bool = True,
) -> Any:
    """Read, override, validate a config of ``kind`` and check its local input paths."""
    if kind not in CONFIG_KINDS:
        raise ConfigError(f"unknown config kind {kind!r}; one of {sorted(CONFIG_KINDS)}")
    data: dict[str, Any] = read_toml(path) if path is not None else {}
    if kind == "demo":
        data = _with_demo_defaults(data)
    apply_overrides(data, list(overrides or []))
    cfg = validate(kind, data, source=str(path) if path is not None else "(defaults)")
    if check_paths:
        check_input_paths(cfg, schemeless_is_local=schemeless_is_local)
    logger.debug("resolved %s config: %s", kind, cfg.model_dump(mode="json", by_alias=True))
    return cfg
