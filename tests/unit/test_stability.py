"""Stability selection on bucket statistics (core.stability, ml.stability), without Spark.

The buckets are assigned with the statistics pass's own hash (spark.fold_hash, numpy only), so
the halves here are the halves a Spark fit forms; the probabilities are compared EXACTLY with
paths fitted on each half's rows directly.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lasso_spark.core import SuffStats, cv_path, enet_path
from lasso_spark.core.errors import DataError
from lasso_spark.core.stability import (
    BucketMemoryError,
    SelectionTally,
    bucket_memory_bytes,
    check_bucket_memory,
    check_pairs,
    complementary_pairs,
    default_num_buckets,
    half_statistics,
    max_complementary_pairs,
    pfer_bound,
    selection_probabilities,
    stability_path,
    stable_set,
)
from lasso_spark.datagen import generate_block, make_truth
from lasso_spark.ml.stability import PROB_PREFIX, StabilityTable
from lasso_spark.paramspec import LASSO_CV, combination_problems
from lasso_spark.spark.batch import BatchLayout, PartitionAccumulator
from lasso_spark.spark.fold_hash import fold_ids

from .test_batch import _batch

B, K, SEED = 20, 5, 7


@pytest.fixture(scope="module")
def known_support():
    """12,288 rows x 20 AR(0.5) features, 4 of them in the truth; buckets by the pass's hash."""
    p = 20
    beta = make_truth(p, 4, seed=3)
    blocks = [generate_block(b, beta, seed=3, correlation="ar1", rho=0.5, noise_std=1.0,
                             intercept=0.5, feature_mean=0.0, feature_scale=1.0, weighted=False)
              for b in range(3)]
    X, y, _ = (np.concatenate(a) for a in zip(*blocks))
    bucket = fold_ids(np.column_stack([X, y]), B, SEED)
    return X, y, beta, bucket


def _bucket_stats(X, y, bucket, w=None):
    return [SuffStats.from_arrays(X[bucket == b], y[bucket == b],
                                  None if w is None else w[bucket == b]) for b in range(B)]


# ----------------------------------------------------------------------------- the halves
def test_complementary_pairs_are_halves_distinct_and_seeded():
    pairs = complementary_pairs(10, 100, seed=3)
    assert pairs.shape == (100, 10) and pairs.dtype == bool
    assert np.all(pairs.sum(axis=1) == 5)
    canonical = {(m if m[0] else ~m).tobytes() for m in pairs}  # a pair and its swap are one
    assert len(canonical) == 100
    assert np.array_equal(pairs, complementary_pairs(10, 100, seed=3))
    assert not np.array_equal(pairs, complementary_pairs(10, 100, seed=4))
    # every bucket is in about half of the first halves
    assert np.all(np.abs(pairs.mean(axis=0) - 0.5) < 0.2)


def test_all_distinct_pairs_of_few_buckets_and_the_limits():
    assert max_complementary_pairs(4) == 3 and max_complementary_pairs(40) == math.comb(40, 20) // 2
    pairs = complementary_pairs(4, 3, seed=0)  # every pair of 4 buckets, each once
    assert {(m if m[0] else ~m).tobytes() for m in pairs} == {
        np.array(v, bool).tobytes() for v in ([1, 1, 0, 0], [1, 0, 1, 0], [1, 0, 0, 1])}
    with pytest.raises(ValueError, match="only 3 distinct complementary pairs"):
        check_pairs(4, 4)
    with pytest.raises(ValueError, match="must be even"):
        check_pairs(7, 2)
    with pytest.raises(ValueError, match="numSubsamples must be >= 1"):
        check_pairs(8, 0)


@pytest.mark.parametrize("folds, buckets", [(0, 32), (2, 32), (3, 36), (4, 32), (5, 40),
                                            (7, 42), (10, 40), (20, 40)])
def test_default_bucket_count_is_an_even_multiple_of_the_folds(folds, buckets):
    assert default_num_buckets(folds) == buckets


def test_half_statistics_are_the_statistics_of_the_half_rows(known_support):
    X, y, _, bucket = known_support
    w = np.random.default_rng(1).uniform(0.2, 3.0, len(y))
    stats = _bucket_stats(X, y, bucket, w)
    for mask in complementary_pairs(B, 4, seed=2):
        for half in (mask, ~mask):
            rows = np.isin(bucket, np.flatnonzero(half))
            ref = SuffStats.from_arrays(X[rows], y[rows], w[rows])
            assert half_statistics(stats, half).allclose(ref, rtol=1e-12)


def test_half_without_rows_is_a_data_error():
    empty = [SuffStats.empty(2)] * 4
    with pytest.raises(DataError, match="holds no rows"):
        half_statistics(empty, np.array([True, True, False, False]))


# ------------------------------------------------------------------- probabilities, exactly
def test_probabilities_equal_paths_fitted_on_each_half_directly(known_support):
    """The bucket merge changes nothing: each half's rows fitted with the core give the same
    supports, so the probabilities are EQUAL (not close)."""
    X, y, _, bucket = known_support
    alphas = enet_path(SuffStats.from_arrays(X, y), n_alphas=40).alphas
    pairs = complementary_pairs(B, 15, seed=5)
    got = stability_path(_bucket_stats(X, y, bucket), alphas, pairs, l1_ratio=0.9)
    supports = []
    for mask in pairs:
        for half in (mask, ~mask):
            rows = np.isin(bucket, np.flatnonzero(half))
            res = enet_path(SuffStats.from_arrays(X[rows], y[rows]), alphas=alphas, l1_ratio=0.9)
            supports.append(res.coef != 0.0)
    assert got.n_halves == 30 and got.converged
    assert np.array_equal(got.probabilities, selection_probabilities(supports))
    assert 0.0 < got.probabilities.mean() < 1.0  # a non-trivial path


def test_true_features_reach_one_and_noise_stays_low(known_support):
    """At the CV's 1se alpha (folds = buckets mod K, as a LassoCV pass forms them) the 4 true
    features are selected by every half and no noise feature by more than a few."""
    X, y, beta, bucket = known_support
    folds = [SuffStats.from_arrays(X[bucket % K == k], y[bucket % K == k]) for k in range(K)]
    cv = cv_path(folds, n_alphas=60)
    res = stability_path(_bucket_stats(X, y, bucket), cv.alphas, complementary_pairs(B, 25, 11))
    prob = res.probabilities[cv.index_1se]
    truth = beta != 0.0
    assert np.all(prob[truth] >= 0.98), prob[truth]
    assert prob[~truth].max() <= 0.2, prob[~truth]
    stable, q, bound = stable_set(prob, 0.75)
    assert np.array_equal(stable, np.flatnonzero(truth))
    assert q == pytest.approx(prob.sum()) and bound == pytest.approx(q * q / (0.5 * 20))
    # at the min alpha the halves over-select: why the reports default to 1se
    assert res.probabilities[cv.index_min][~truth].max() > 0.5


def test_selection_tally_and_bound():
    tally = SelectionTally(2, 3)
    tally.add(np.array([[1, 0, 0], [1, 1, 0]], bool))
    tally.add(np.array([[1, 0, 0], [1, 0, 1]], bool))
    assert np.array_equal(tally.probabilities, [[1, 0, 0], [1, 0.5, 0.5]])
    with pytest.raises(ValueError, match="expected"):
        tally.add(np.ones((3, 3), bool))
    assert pfer_bound(3.0, 0.75, 30) == pytest.approx(9.0 / 15.0)
    for bad in (0.5, 1.2):
        with pytest.raises(ValueError, match=r"\(0.5, 1\]"):
            pfer_bound(1.0, bad, 10)
    # a probability equal to the threshold (a count over the halves) is stable
    stable, q, _ = stable_set(np.array([60 / 100, 59 / 100, 1.0]), 0.6)
    assert stable.tolist() == [0, 2] and q == pytest.approx(2.19)


def test_bucket_memory_check_names_the_figures():
    need = bucket_memory_bytes(40, 1000)
    assert need == 40 * (1000 * 1000 + 3 * 1000 + 5) * 8
    assert check_bucket_memory(40, 1000, need) == need
    with pytest.raises(BucketMemoryError, match=r"306\.1 MiB .*40 cells.*p = 1000.*of 100 MiB"):
        check_bucket_memory(40, 1000, 100 * 1024 * 1024)


# ------------------------------------------------------------------- the statistics pass
def test_partition_cells_are_buckets_and_folds_their_unions(known_support):
    """One hash: bucket = h mod B, fold = h mod K = bucket mod K (K | B)."""
    X, y, _, _ = known_support
    X, y = X[:3000], y[:3000]
    w = np.random.default_rng(3).uniform(0.5, 2.0, len(y))
    lay = BatchLayout(n_features=X.shape[1], feature_columns=tuple(f"x{j}" for j in range(20)),
                      label_column="y", weight_column="w", num_folds=K, seed=SEED,
                      num_buckets=B, chunk_rows=700)
    acc = PartitionAccumulator(lay)
    acc.add_batch(_batch(X, y, w))
    bucket = fold_ids(np.column_stack([X, y]), B, SEED, w)
    assert lay.n_stats == B
    for b in range(B):
        ref = SuffStats.from_arrays(X[bucket == b], y[bucket == b], w[bucket == b])
        assert acc.stats[b].allclose(ref, rtol=1e-12)
    assert np.array_equal(bucket % K, fold_ids(np.column_stack([X, y]), K, SEED, w))
    assert lay.fold_cells(2) == [2, 7, 12, 17] and lay.bucket_cells(3) == [3]


def test_fold_column_with_buckets_keeps_fold_x_bucket_cells(known_support):
    X, y, _, _ = known_support
    X, y = X[:2000], y[:2000]
    fold = np.random.default_rng(4).integers(0, 3, len(y))
    fold[:5] = 9  # out of range: counted, never accumulated
    lay = BatchLayout(n_features=20, feature_columns=tuple(f"x{j}" for j in range(20)),
                      label_column="y", num_folds=3, fold_column="f", seed=SEED, num_buckets=4)
    acc = PartitionAccumulator(lay)
    acc.add_batch(_batch(X, y, fold=fold))
    bucket = fold_ids(np.column_stack([X, y]), 4, SEED)
    assert lay.n_stats == 12 and lay.bucket_cells(1) == [1, 5, 9]
    assert lay.fold_cells(2) == [8, 9, 10, 11]
    for k in range(3):
        for b in range(4):
            rows = (fold == k) & (bucket == b)
            assert acc.stats[k * 4 + b].allclose(SuffStats.from_arrays(X[rows], y[rows]),
                                                 rtol=1e-12)
    assert acc.counts[1] == 5


def test_hashed_folds_must_divide_the_buckets():
    with pytest.raises(ValueError, match=r"num_buckets \(32\) must be a multiple of num_folds"):
        BatchLayout(n_features=2, feature_columns=("a", "b"), label_column="y", num_folds=5,
                    num_buckets=32)


def test_param_rules_for_buckets():
    assert combination_problems(LASSO_CV, {"numSubsamples": 10, "numBuckets": 32}) == [
        "numBuckets (32) must be a multiple of numFolds (5) so that each hashed fold is a union "
        "of buckets, e.g. 40"]
    assert "must be even" in combination_problems(
        LASSO_CV, {"numSubsamples": 10, "numBuckets": 15, "numFolds": 3})[0]
    # a fold column keeps fold x bucket cells: any even count; off: nothing to check
    assert combination_problems(LASSO_CV, {"numSubsamples": 10, "numBuckets": 32,
                                           "foldCol": "f"}) == []
    assert combination_problems(LASSO_CV, {"numBuckets": 33}) == []


# ------------------------------------------------------------------- the table and reports
def _table() -> StabilityTable:
    prob = np.array([[0.0, 0.1, 0.0], [0.5, 0.8, 0.1], [1.0, 0.9, 0.3]])
    return StabilityTable(reg_params=[1.0, 0.1, 0.01], probabilities=prob,
                          elastic_net_param=1.0, num_pairs=5, num_buckets=8, threshold=0.75,
                          reg_param=0.1, seed=3)


def test_report_defaults_nearest_grid_point_and_table():
    t = _table()
    r = t.report(["a", "b", "c"])
    assert r.regParam == 0.1 and r.threshold == 0.75 and r.stableFeatures == ["b"]
    assert r.q == pytest.approx(1.4) and r.expectedFalseSelectionsBound == pytest.approx(
        1.96 / (0.5 * 3))
    assert list(r.table.columns) == ["feature", "selectionProbability", "maxProbability",
                                     "stable"]
    assert r.table["feature"].tolist() == ["b", "a", "c"]  # most probable first
    assert r.table["maxProbability"].tolist() == [0.9, 1.0, 0.3]
    r2 = t.report(["a", "b", "c"], threshold=0.6, reg_param=0.012)  # nearest: 0.01
    assert r2.regParam == 0.01 and r2.stableFeatures == ["a", "b"]
    d = r2.asDict()
    assert d["numHalfSamples"] == 10 and d["selectionProbabilities"] == {"a": 1.0, "b": 0.9,
                                                                         "c": 0.3}
    with pytest.raises(ValueError, match="feature names"):
        t.report(["a"])


def test_table_pandas_and_rows_round_trip():
    t = _table()
    pdf = t.to_pandas(["a", "b", "c"])
    assert list(pdf.columns) == ["elasticNetParam", "regParam", "meanSelected",
                                 *(PROB_PREFIX + n for n in "abc")]
    assert np.allclose(pdf["meanSelected"], [0.1, 1.4, 2.2])
    back = StabilityTable.from_rows(list(reversed(t.to_rows())), t.meta(), 3)
    assert np.array_equal(back.probabilities, t.probabilities)
    assert np.array_equal(back.reg_params, t.reg_params)
    assert back.meta() == t.meta()
    pd.testing.assert_frame_equal(back.to_pandas(["a", "b", "c"]), pdf)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        StabilityTable([1.0], [[1.5]], 1.0, 1, 2, 0.75, 1.0)


def test_example_config_reaches_lassocv_params():
    from pathlib import Path

    from lasso_spark.config import load_config

    conf = Path(__file__).resolve().parents[2] / "conf" / "fit_stability.toml"
    params = load_config("fit", conf, check_paths=False).model.estimator_params()
    assert params["numSubsamples"] == 50 and params["stabilityThreshold"] == 0.75
    assert params["maxBucketMemoryMB"] == 1024 and "numBuckets" not in params
    from lasso_spark.jobs_lib.resolved import resolved_config  # --check's printout

    model = resolved_config("fit", load_config("fit", conf, check_paths=False))["model"]
    assert model["numSubsamples"] == 50 and model["stabilityThreshold"] == 0.75
    assert model["numBuckets"].startswith("auto: the smallest even multiple of numFolds")


def test_table_from_damaged_rows_names_the_problem():
    t = _table()
    rows, meta = t.to_rows(), t.meta()
    with pytest.raises(ValueError, match=r"lacks \['threshold'\]"):
        StabilityTable.from_rows(rows, {k: v for k, v in meta.items() if k != "threshold"}, 3)
    with pytest.raises(ValueError, match="indices"):
        StabilityTable.from_rows(rows[:1] + rows[2:], meta, 3)
    with pytest.raises(ValueError, match=r"rows \[1\] do not hold 3 probabilities"):
        StabilityTable.from_rows([rows[0], (1, 0.1, [0.5]), rows[2]], meta, 3)
    with pytest.raises(ValueError, match="non-finite"):
        StabilityTable.from_rows([rows[0], (1, 0.1, [0.5, None, 0.1]), rows[2]], meta, 3)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        StabilityTable.from_rows([rows[0], (1, 0.1, [0.5, 2.0, 0.1]), rows[2]], meta, 3)


def test_auto_parallelism_from_the_measured_cost_of_the_fits():
    from lasso_spark.spark.fold_paths import AUTO_MIN_SECONDS, choose_parallelism

    cheap = AUTO_MIN_SECONDS / 100 / 2  # 100 fits: half the threshold on the driver
    assert choose_parallelism("auto", n_features=50, n_fits=100, max_tasks=8,
                              seconds_per_fit=cheap) == 1
    assert choose_parallelism("auto", n_features=50, n_fits=100, max_tasks=8,
                              seconds_per_fit=4 * cheap) == 8
    assert choose_parallelism("auto", n_features=50, n_fits=3, max_tasks=8,
                              seconds_per_fit=10.0) == 3
    # one task slot (or Spark Connect without a known parallelism): the driver
    for slots in (1, None):
        assert choose_parallelism("auto", n_features=5000, n_fits=100, max_tasks=slots,
                                  seconds_per_fit=10.0) == 1
    # an explicit setting wins over the estimate
    assert choose_parallelism(1, n_features=50, n_fits=100, max_tasks=8,
                              seconds_per_fit=10.0) == 1


def test_auto_parallelism_weighs_the_saving_against_one_job():
    """Tasks only when spreading the fits over k = min(fits, slots) saves a job's cost: the
    same driver time goes to tasks with many slots and stays on the driver with two."""
    from lasso_spark.spark.fold_paths import AUTO_MIN_SECONDS, choose_parallelism

    per_fit = 1.5 * AUTO_MIN_SECONDS / 5  # 5 fits: 1.5 jobs' cost on the driver
    assert choose_parallelism("auto", n_features=50, n_fits=5, max_tasks=2,
                              seconds_per_fit=per_fit) == 1  # saves 0.75 of a job
    assert choose_parallelism("auto", n_features=50, n_fits=5, max_tasks=8,
                              seconds_per_fit=per_fit) == 5  # saves 1.2 jobs


def test_auto_parallelism_counts_the_statistics_it_would_ship():
    """The fits' statistics travel from the driver to the tasks: their transfer is part of the
    cost, and a job never ships more than SHIP_MAX_BYTES (p = 4000: 5 folds × 2 × 128 MB)."""
    from lasso_spark.core import SuffStats
    from lasso_spark.spark.fold_paths import (
        AUTO_MIN_SECONDS,
        SHIP_BYTES_PER_SECOND,
        SHIP_MAX_BYTES,
        choose_parallelism,
    )

    per_fit = 4 * AUTO_MIN_SECONDS / 5  # 5 fits on 8 slots: saves 3.2 jobs' cost
    kw = dict(n_features=50, n_fits=5, max_tasks=8, seconds_per_fit=per_fit)
    assert choose_parallelism("auto", **kw, bytes_per_fit=0) == 5
    slow = int(3 * AUTO_MIN_SECONDS * SHIP_BYTES_PER_SECOND / 5)  # 3 jobs' cost to ship
    assert slow * 5 < SHIP_MAX_BYTES
    assert choose_parallelism("auto", **kw, bytes_per_fit=slow // 2) == 5
    assert choose_parallelism("auto", **kw, bytes_per_fit=slow) == 1
    wide = 2 * 8 * SuffStats.packed_size(4000)
    hours = dict(kw, seconds_per_fit=3600.0)
    assert choose_parallelism("auto", **hours, bytes_per_fit=wide) == 1  # 0.64 GB in one job
    # the same fits in rounds of one fit a job stay under the cap
    assert choose_parallelism("auto", **hours, bytes_per_fit=wide, fits_per_job=1) == 5
    assert choose_parallelism(4, **hours, bytes_per_fit=wide) == 4  # an int is the user's call
