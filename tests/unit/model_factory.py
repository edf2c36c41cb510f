"""A realistic LassoModel without Spark: path from scikit-learn's lasso_path on standardized
data, CV table from a brute-force K-fold loop. Shared by unit and Spark tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.linear_model import lasso_path

from lasso_spark.ml import CVTable, LassoModel, LassoSummary, PathTable


class FakePathResult:
    """Duck-typed like the core's PathResult."""

    def __init__(self, alphas, coef, intercept, dual_gap, n_iter):
        self.alphas = alphas
        self.coef = coef
        self.intercept = intercept
        self.dual_gap = dual_gap
        self.n_iter = n_iter
        self.n_nonzero = np.count_nonzero(coef, axis=1)
        self.converged = np.ones(len(alphas), bool)


def make_data(n: int = 120, p: int = 6, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 3, size=p) + rng.normal(size=p)
    beta = np.zeros(p)
    beta[: max(1, p // 2)] = rng.normal(size=max(1, p // 2)) * 2
    y = 1.5 + X @ beta + rng.normal(size=n)
    return X, y


def _path(X, y, alphas):
    mu, sd = X.mean(0), X.std(0)
    Xs = (X - mu) / sd
    yc = y - y.mean()
    alphas_out, coefs, gaps = lasso_path(Xs, yc, alphas=alphas, tol=1e-12, max_iter=100000)[:3]
    coef = (coefs / sd[:, None]).T  # (m, p), original scale
    intercept = y.mean() - coef @ mu
    return FakePathResult(alphas_out, coef, intercept, np.abs(gaps) / len(y),
                          np.full(len(alphas_out), 7)), sd


def make_model(n: int = 120, p: int = 6, m: int = 12, k: int = 4, seed: int = 0,
               names: list[str] | None = None) -> tuple[LassoModel, np.ndarray, np.ndarray]:
    """(model, X, y) with a path of m regParams, a k-fold CV table and a summary."""
    X, y = make_data(n, p, seed)
    amax = np.max(np.abs(((X - X.mean(0)) / X.std(0)).T @ (y - y.mean()))) / n
    alphas = amax * np.logspace(0, -2.5, m)
    result, sd = _path(X, y, alphas)
    path = PathTable.from_result(result, reg_params=alphas, elastic_net_param=1.0, l1_ratio=1.0)
    folds = np.arange(n) % k
    mse = np.empty((k, m))
    for f in range(k):
        tr, te = folds != f, folds == f
        res_f, _ = _path(X[tr], y[tr], alphas)
        pred = res_f.intercept[None, :] + X[te] @ res_f.coef.T
        mse[f] = np.mean((y[te, None] - pred) ** 2, axis=0)

    mean, se = mse.mean(0), mse.std(0, ddof=1) / np.sqrt(k)
    cv = CVTable.from_fold_mse(1.0, alphas, path.nonzeros, mse, mean, se, "min")
    i_min = int(np.argmin(mean))
    assert (cv.index_min, cv.index_1se) == (i_min, int(np.flatnonzero(
        mean <= mean.min() + se[i_min])[0]))
    summary = LassoSummary(numRows=n + 3, numRowsSkipped=3, invalidCounts={"label": 3},
                           weightSum=float(n), numFeatures=p, numFolds=k, statsSeconds=1.25,
                           solveSeconds=0.5, extra={"trainingMSE": 0.9})
    model = LassoModel.fromPath(path, cv.index_chosen,
                                featureNames=names or [f"f{j}" for j in range(p)],
                                cv=cv, summary=summary, featureStd=sd)
    return model, X, y


def write_local_model(target: Path) -> None:
    """A saved LassoModel as LassoModelWriter lays it out, written without Spark (pyarrow)."""
    import hashlib
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    from lasso_spark.ml.persistence import metadata_record

    model = LassoModel([0.5, 0.0], 1.0, featureNames=["x0", "x1"], regParam=0.1)
    tables = {
        "data": pa.table({"featureNames": [model.featureNames], "coefficients": [[0.5, 0.0]],
                          "intercept": [1.0], "featureStd": pa.array([None],
                                                                     pa.list_(pa.float64()))}),
        "path": pa.table({"idx": pa.array([], pa.int32())}),
        "cv": pa.table({"idx": pa.array([], pa.int32())}),
    }
    record = metadata_record(model, "4.0")
    files = {}
    for sub, table in tables.items():
        (target / sub).mkdir(parents=True)
        pq.write_table(table, target / sub / "part-00000.parquet")
        data = (target / sub / "part-00000.parquet").read_bytes()
        files[f"{sub}/part-00000.parquet"] = hashlib.sha256(data).hexdigest()
    record["lassoSpark"]["files"] = files
    (target / "metadata").mkdir()
    (target / "metadata" / "part-00000").write_text(json.dumps(record))
