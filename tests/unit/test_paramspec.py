"""One declaration per parameter: the estimators' Params and the fit config's [model] section are
derived from it, so they take the same keys, the same defaults and the same values."""

from __future__ import annotations

import pytest

from lasso_spark.config import MODEL_KINDS, ModelConfig
from lasso_spark.paramspec import DECLARATIONS, UNSET, declared

COLUMN_PARAMS = {"featuresCol", "inputCols", "labelCol", "weightCol", "predictionCol",
                 "probabilityCol", "rawPredictionCol"}
CANDIDATES = [0, 1, 2, 5, -1, 0.0, 0.5, 1.0, 1.5, 1e-9, -0.1, float("inf"), True, False,
              "auto", "4", "min", "1se", "error", "skip", "gram", "wide", "x", [0.1, 0.01],
              [0.0, 0.1], [0.5, 2.0], [], {"a": 0.0, "b": 2.0}, {"a": -1.0}, None]


def _estimator(owner):
    from lasso_spark import Lasso, LassoCV, LogisticLasso, LogisticLassoCV

    return {"Lasso": Lasso, "LassoCV": LassoCV, "LogisticLasso": LogisticLasso,
            "LogisticLassoCV": LogisticLassoCV}[owner]()


def _required(kind):
    return {"regParam": 0.1} if kind in ("lasso", "logistic_lasso") else {}


@pytest.mark.parametrize("kind", sorted(MODEL_KINDS))
def test_config_keys_and_defaults_are_the_estimators(kind):
    owner = MODEL_KINDS[kind]
    est = _estimator(owner)
    params = {p.name for p in est.params} - COLUMN_PARAMS
    assert params == {d.name for d in declared(owner)} - COLUMN_PARAMS
    cfg = ModelConfig.model_validate({"kind": kind, **_required(kind)})
    resolved = cfg.resolved_params()
    assert set(resolved) == params
    for name in params:
        expected = est.getOrDefault(name) if est.hasDefault(name) else None
        if name in _required(kind):
            expected = _required(kind)[name]
        assert resolved[name] == expected, name


def _params_accept(owner, name, value):
    est = _estimator(owner)
    try:
        est._set(**{name: value})
    except (TypeError, ValueError):
        return False, None
    return True, est.getOrDefault(name)


def _config_accepts(kind, name, value):
    from pydantic import ValidationError

    data = {"kind": kind, **_required(kind), name: value}
    try:
        return True, getattr(ModelConfig.model_validate(data), name)
    except ValidationError as exc:
        # a valid value may still break a cross-key rule of the config; only the key's own
        # errors count here
        own = [e for e in exc.errors() if e["loc"] and e["loc"][0] == name]
        return (not own), None


@pytest.mark.parametrize("decl", [d for d in DECLARATIONS if d.config_type is not None],
                         ids=lambda d: d.name)
def test_config_and_params_accept_the_same_values(decl):
    kind = next(k for k, o in MODEL_KINDS.items() if o in decl.owners)
    owner = MODEL_KINDS[kind]
    for value in CANDIDATES:
        if value is None:
            continue
        ok_p, got_p = _params_accept(owner, decl.name, value)
        ok_c, got_c = _config_accepts(kind, decl.name, value)
        assert ok_p == ok_c, f"{decl.name}={value!r}: Params {ok_p}, config {ok_c}"
        if ok_p and got_c is not None:
            assert got_c == got_p, f"{decl.name}={value!r}: {got_p!r} vs {got_c!r}"


def test_every_declared_default_passes_its_own_check():
    for d in DECLARATIONS:
        if d.default is not UNSET:
            assert d.converter(d.default) == d.default, d.name


def test_a_name_declared_twice_is_one_config_key_with_one_check():
    """The families' own maxIter / tol: disjoint owners, the same converter and config type (the
    one [model] key checks them alike), each owner's own default."""
    by_name = {}
    for d in DECLARATIONS:
        by_name.setdefault(d.name, []).append(d)
    twice = {n: ds for n, ds in by_name.items() if len(ds) > 1}
    assert set(twice) == {"maxIter", "tol"}
    for ds in twice.values():
        owners = [o for d in ds for o in d.owners]
        assert len(owners) == len(set(owners))
        assert len({id(d.converter) for d in ds}) == 1
        assert len({d.config_type for d in ds}) == 1
    from lasso_spark import LassoCV, LogisticLassoCV

    assert (LassoCV().getMaxIter(), LogisticLassoCV().getMaxIter()) == (100_000, 100)
    assert (LassoCV().getTol(), LogisticLassoCV().getTol()) == (1e-7, 1e-6)
    cfg = ModelConfig.model_validate({"kind": "logistic_lasso_cv"})
    assert cfg.resolved_params()["maxIter"] == 100 and cfg.resolved_params()["tol"] == 1e-6


def test_estimator_keywords_are_the_declarations():
    import inspect

    from lasso_spark import Lasso, LassoCV, LogisticLasso, LogisticLassoCV

    for cls, owner in ((Lasso, "Lasso"), (LassoCV, "LassoCV"), (LogisticLasso, "LogisticLasso"),
                       (LogisticLassoCV, "LogisticLassoCV")):
        names = list(inspect.signature(cls.__init__).parameters)[1:]
        assert names == [d.name for d in declared(owner)]
        assert list(inspect.signature(cls.setParams).parameters)[1:] == names
        with pytest.raises(TypeError, match="did you mean 'numFolds'"):
            LassoCV(numFold=3)
        est = cls(labelCol="y")
        assert est.setParams(tol=1e-9) is est and est.getTol() == 1e-9
        assert est.setMaxIter(7).getMaxIter() == 7
