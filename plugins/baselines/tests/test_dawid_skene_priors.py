"""Dawid-Skene's confusion prior on crowd answers (issue 13, `confusion_prior`): the pooled
confusion matrix of the other workers (default on crowd matrices), the population Dirichlet
fitted by empirical Bayes (opt-in), the fixed accuracy-0.7 centre (labeling functions)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import weasul
from weasul.statistics import fit_from_statistics, map_sum_over
from weasul_baselines import DawidSkene
from weasul_baselines.dawid_skene import _pooled_rows, _population

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import real_sets  # noqa: E402


def _shared_confusion(seed: int, n: int = 1500, m: int = 300, k: int = 4, per_item: int = 5):
    """Sparse workers (about 25 answers each, 5 per item) of skill 0.45-0.85 who share one
    confusion structure: half of each worker's errors take class y for class (y + 1) % k."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    acc = 0.45 + 0.4 * np.arange(m) / m
    L = np.full((n, m), -1)
    for i in range(n):
        for j in rng.choice(m, size=per_item, replace=False):
            shift = 0.5 * (1 - acc[j])
            p = np.full(k, (1 - acc[j] - shift) / (k - 2))
            p[y[i]], p[(y[i] + 1) % k] = acc[j], shift
            L[i, j] = rng.choice(k, p=p)
    return L, y


def _acc(model, L, y):
    return float((model.predict(L) == y).mean())


def test_auto_centre_is_pooled_on_crowd_answers_and_fixed_on_labeling_functions():
    L, _ = _shared_confusion(0, n=300, m=40)
    assert DawidSkene(n_classes=4).fit(L).confusion_prior_ == "pooled"
    lfs = np.array([[0, -1, -1], [-1, 1, -1], [0, -1, 1], [-1, 1, 1], [0, 1, -1]] * 20)  # one class each
    assert DawidSkene(n_classes=2).fit(lfs).confusion_prior_ == "fixed"
    assert DawidSkene(n_classes=4, confusion_prior="population").fit(L).population_alpha_.shape == (4, 4)


def test_pooled_rows_hold_none_of_the_sources_own_answers():
    counts = np.zeros((3, 2, 2))
    counts[0] = [[9, 1], [0, 10]]
    counts[1] = [[3, 1], [1, 3]]
    counts[2] = [[1, 3], [2, 2]]
    rows = _pooled_rows(counts)
    others = counts[1] + counts[2] + 1e-3
    np.testing.assert_allclose(rows[0], others / others.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(rows.sum(axis=2), 1.0)


def test_population_recovers_a_known_dirichlet():
    """2,000 sources, each row's answers drawn from a Dirichlet-multinomial with known alpha:
    the fixed point recovers alpha (mean and strength) from the counts."""
    rng = np.random.default_rng(0)
    alpha = np.array([[6.0, 1.5, 0.5], [1.0, 4.0, 1.0], [0.3, 0.7, 3.0]])
    m = 2000
    counts = np.zeros((m, 3, 3))
    for j in range(m):
        for y in range(3):
            counts[j, y] = rng.multinomial(rng.integers(3, 30), rng.dirichlet(alpha[y]))
    est = _population(counts, np.ones((3, 3)))
    np.testing.assert_allclose(est.sum(axis=1), alpha.sum(axis=1), rtol=0.1)
    np.testing.assert_allclose(est / est.sum(axis=1, keepdims=True), alpha / alpha.sum(axis=1, keepdims=True), atol=0.02)


def test_population_strength_is_capped_where_sources_agree_more_than_multinomial_draws():
    """Every source answers exactly 8:2 in each row (less spread than any Dirichlet-multinomial):
    the maximum is at infinite strength; the strength grows each M-step (each call continues
    from the last) and stops at the row's votes over all sources."""
    counts = np.tile(np.array([[8.0, 2.0], [2.0, 8.0]]), (50, 1, 1))
    est, totals = np.ones((2, 2)), []
    for _ in range(100):
        est = _population(counts, est)
        totals.append(est.sum(axis=1).max())
    assert np.all(np.diff(totals) >= -1e-9) and max(totals) <= 500.0 + 1e-9
    np.testing.assert_allclose(est.sum(axis=1), 500.0)
    np.testing.assert_allclose(est[0] / est[0].sum(), [0.8, 0.2], atol=0.005)


@pytest.mark.slow
def test_population_prior_beats_the_fixed_centre_on_sparse_workers_who_share_confusions():
    """Known answer: with 25 answers per worker and a shared confusion (class y read as y + 1),
    fitting the prior's mean and strength to the workers lifts Dawid-Skene from under majority
    vote to about it (measured 0.833 / 0.847 / 0.853 -> 0.890 / 0.863 / 0.889; MV 0.875 /
    0.861 / 0.868)."""
    gains, margins = [], []
    for seed in (0, 1, 2):
        L, y = _shared_confusion(seed)
        fixed = _acc(DawidSkene(n_classes=4, confusion_prior="fixed").fit(L), L, y)
        population = _acc(DawidSkene(n_classes=4, confusion_prior="population").fit(L), L, y)
        mv = _acc(weasul.create("label_models", "majority-vote", n_classes=4).fit(L), L, y)
        gains.append(population - fixed)
        margins.append(population - mv)
    assert np.mean(gains) >= 0.025 and min(gains) > 0
    assert min(margins) >= -0.01


@pytest.mark.parametrize("centre", ["pooled", "population"])
def test_partition_statistics_fit_equals_the_in_memory_fit(centre):
    L, _ = _shared_confusion(1, n=600, m=60)
    ds = DawidSkene(n_classes=4, confusion_prior=centre).fit(L)
    parts = fit_from_statistics(
        DawidSkene(n_classes=4, confusion_prior=centre), map_sum_over(np.array_split(L, 3)), L.shape[1]
    )
    np.testing.assert_allclose(parts.confusion_, ds.confusion_, atol=1e-10)
    assert parts.n_iter_ == ds.n_iter_


def test_web_relevance_pooled_prior_lifts_dawid_skene_and_auto():
    """crowd/web-relevance (5 grades, 177 workers, median 19 answers): with the fixed centre
    Dawid-Skene scored 0.803 and `auto`, which picks it, fell under Snorkel's 0.816 - 1 point;
    the pooled centre gives 0.821, the population prior 0.847 (the issue's bar: 0.806)."""
    if real_sets.data_root() is None:
        pytest.skip("shared data folder not found (set WEASUL_SHARED_DATA or check out ../shared/data)")
    try:
        data = real_sets.load("crowd/web-relevance")
    except FileNotFoundError as err:
        pytest.skip(f"crowd/web-relevance: {err}")
    k = data.n_classes

    def score(model):
        return real_sets.score(data.y_test, model.fit(data.L_fit).predict(data.L_test), k, data.metric)

    assert score(DawidSkene(n_classes=k)) >= 0.815
    assert score(DawidSkene(n_classes=k, confusion_prior="population")) >= 0.84
    auto = weasul.create("label_models", "auto", n_classes=k)
    assert score(auto) >= 0.806 and auto.chosen_ == "dawid-skene"
