"""Issue 13, "no collapse": Dawid-Skene refuses labeling functions that fire together given the
class (`max_em_gain`), matrix completion takes its class prior from the multi-class sources'
votes, and a zero class prior gives Dawid-Skene no warnings. The real sets:
test_baselines_real_sets.py (slow)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from weasul.errors import DataError
from weasul.statistics import fit_from_statistics, map_sum_over
from weasul_baselines import DawidSkene, MajorityVote, MatrixCompletion


def _one_class_lfs(topic: float, seed: int, n: int = 5000, k: int = 4, per: int = 6):
    """One-class LFs (each votes its class or abstains). With `topic` > 0 a hidden topic,
    independent of y, drives which LFs fire (keyword rules sharing words): they are dependent
    given y. Returns L, y."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    cls = np.repeat(np.arange(k), per)
    hit = rng.uniform(0.1, 0.4, cls.size)
    p = np.where(y[:, None] == cls[None, :], hit, hit * rng.uniform(0.05, 0.3, cls.size))
    if topic:
        t, group = rng.integers(0, 3, n), rng.integers(0, 3, cls.size)
        p = np.where(t[:, None] == group[None, :], np.minimum(1.0, p + topic), 0.3 * p)
    return np.where(rng.random((n, cls.size)) < p, cls[None, :], -1), y


def _acc(model, L, y):
    return float((model.predict(L) == y).mean())


@pytest.mark.parametrize("seed", [0, 1])
def test_dawid_skene_refuses_lfs_that_fire_together(seed):
    L, y = _one_class_lfs(topic=0.4, seed=seed)
    with pytest.raises(DataError, match=r"nats per vote.*fire together.*Use majority-vote"):
        DawidSkene(n_classes=4).fit(L)
    # what the refusal prevents: EM's latent class becomes the topic
    bare = DawidSkene(n_classes=4, max_em_gain=None).fit(L)
    assert bare.em_gain_ > 0.3  # nats per vote (measured 0.49, 0.53; trec 0.24, the fine LF sets <= 0.10)
    assert _acc(bare, L, y) < _acc(MajorityVote(n_classes=4).fit(L), L, y) - 0.15
    # the same decision from partition statistics
    with pytest.raises(DataError, match="fire together"):
        fit_from_statistics(DawidSkene(n_classes=4), map_sum_over(np.array_split(L, 3)), L.shape[1])


@pytest.mark.parametrize("seed", [0, 1])
def test_dawid_skene_keeps_independent_lfs(seed):
    L, y = _one_class_lfs(topic=0.0, seed=seed)
    ds = DawidSkene(n_classes=4).fit(L)
    assert ds.models_abstain_.all() and ds.em_gain_ < 0.05
    assert _acc(ds, L, y) >= _acc(MajorityVote(n_classes=4).fit(L), L, y) - 0.01


def test_dawid_skene_zero_class_prior_without_warnings():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 3000)
    L = np.where(rng.random((3000, 5)) < 0.8, y[:, None], 1 - y[:, None])
    L[rng.random((3000, 5)) < 0.4] = -1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        P = DawidSkene(n_classes=2, class_prior=[0.0, 1.0]).fit(L).predict_proba(L)
    np.testing.assert_array_equal(P[:, 0], 0.0)
    np.testing.assert_allclose(P[:, 1], 1.0)


def _imbalanced(seed: int = 0, n: int = 20000):
    """Spouse-like: 8% positives; two two-sided LFs voting on almost every row, five one-class
    LFs voting positive on a few rows. Returns L, y."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.08).astype(int)
    L = np.full((n, 7), -1)
    for j, acc in enumerate([0.9, 0.85]):
        L[:, j] = np.where(rng.random(n) < acc, y, 1 - y)
        L[rng.random(n) < 0.03, j] = -1
    for j in range(2, 7):
        fires = rng.random(n) < np.where(y == 1, 0.25, 0.02)
        L[fires, j] = 1
    return L, y


def test_matrix_completion_class_prior_from_multi_class_sources():
    L, y = _imbalanced()
    mc = MatrixCompletion(n_classes=2).fit(L)
    # the two-sided LFs' vote shares (0.84, 0.80 negative; their errors pull them towards 50/50,
    # truth 0.92) agree, so little shrinkage: 0.796
    assert 0.78 < mc.class_prior_[0] < 0.86
    uniform = MatrixCompletion(n_classes=2, class_prior=[0.5, 0.5]).fit(L)
    assert _acc(mc, L, y) > _acc(uniform, L, y) + 0.10  # measured 0.867 vs 0.729
    # with the true prior it beats majority vote (0.972 vs 0.957): the prior is what limits it
    true = MatrixCompletion(n_classes=2, class_prior=[1 - y.mean(), y.mean()]).fit(L)
    assert _acc(true, L, y) > _acc(MajorityVote(n_classes=2).fit(L), L, y)
    # the same prior from partition statistics
    streamed = fit_from_statistics(
        MatrixCompletion(n_classes=2), map_sum_over(np.array_split(L, 4)), L.shape[1]
    )
    np.testing.assert_allclose(streamed.class_prior_, mc.class_prior_, atol=1e-12)


@pytest.mark.xfail(
    strict=True,
    reason="vote shares understate the imbalance (0.80 for 0.92): 0.867 vs majority vote 0.957; "
    "second moments do not identify the class balance",
)
def test_matrix_completion_near_majority_vote_on_imbalanced_two_sided_lfs():
    L, y = _imbalanced()
    mv = _acc(MajorityVote(n_classes=2).fit(L), L, y)
    assert _acc(MatrixCompletion(n_classes=2).fit(L), L, y) >= mv - 0.05


def test_matrix_completion_uniform_prior_when_every_source_votes_one_class():
    """One-class LFs' vote shares measure how often they fire, not the class balance."""
    L, _ = _one_class_lfs(topic=0.0, seed=0)
    np.testing.assert_allclose(MatrixCompletion(n_classes=4).fit(L).class_prior_, 0.25)


def test_matrix_completion_prior_stays_uniform_when_two_sided_lfs_disagree():
    """Balanced classes, three two-sided threshold LFs, one voting class 0 on most rows: their
    shares disagree (as on Active WeaSuL's two-Gaussian sets, where the pooled share 0.58 stopped
    expert answers from moving the model), so the estimate shrinks to uniform; one two-sided LF
    alone cannot tell its bias from the class balance."""
    rng = np.random.default_rng(0)
    n = 20000
    y = rng.integers(0, 2, n)
    x = y[:, None] + rng.normal(0, 0.6, (n, 3))
    L = (x > np.array([0.5, 0.45, 1.2])).astype(int)  # the third votes 0 on about 80% of the rows
    assert (L[:, 2] == 0).mean() > 0.75
    np.testing.assert_allclose(MatrixCompletion(n_classes=2).fit(L).class_prior_, 0.5)
    one = np.column_stack(
        [L[:, 2], np.where(rng.random(n) < 0.3, 1, -1), np.where(rng.random(n) < 0.3, 0, -1)]
    )
    np.testing.assert_allclose(MatrixCompletion(n_classes=2).fit(one).class_prior_, 0.5)
