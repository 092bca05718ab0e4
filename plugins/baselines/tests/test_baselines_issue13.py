"""Regressions for issue 13: priors and identifiability checks of Dawid-Skene and triplet."""

from __future__ import annotations

import numpy as np
import pytest
import weasul
from weasul.errors import DataError
from weasul_baselines import DawidSkene, MajorityVote, Triplet


def _one_class_lfs(n=6000, seed=0):
    """sms-like: 13.5% spam; every LF votes one class; spam LFs cover a third of the spam."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.135).astype(int)
    cls = np.array([1] * 6 + [0] * 3)
    hit = np.array([0.08] * 6 + [0.1] * 3)
    fires = rng.random((n, cls.size)) < np.where(y[:, None] == cls[None, :], hit, 0.004)
    return np.where(fires, cls[None, :], -1), y


def _crowd(n=1500, m=60, k=4, per_item=5, seed=0):
    """Each item is answered by `per_item` random workers of accuracy 0.55-0.9."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    acc = rng.uniform(0.55, 0.9, m)
    L = np.full((n, m), -1)
    for i in range(n):
        workers = rng.choice(m, per_item, replace=False)
        right = rng.random(per_item) < acc[workers]
        L[i, workers] = np.where(right, y[i], (y[i] + rng.integers(1, k, per_item)) % k)
    return L, y


def test_dawid_skene_class_prior_does_not_collapse_on_one_class_lfs():
    L, y = _one_class_lfs()
    ds = DawidSkene(n_classes=2).fit(L)
    assert ds.models_abstain_.all()  # one-class LFs: abstains carry the information
    assert ds.class_prior_[1] > 0.05  # was 0.03 on WRENCH sms (training share 0.135)
    covered = (L != -1).any(axis=1)
    mv = MajorityVote(n_classes=2).fit(L).predict(L)
    assert (ds.predict(L)[covered] == y[covered]).mean() >= (mv[covered] == y[covered]).mean() - 0.01
    # without the class-prior pseudo-items EM lets ham absorb spam
    bare = DawidSkene(n_classes=2, class_prior_strength=0).fit(L)
    assert bare.class_prior_[1] < ds.class_prior_[1]


@pytest.mark.parametrize("name", ["music-genre", "JeroenVuurens"])
def test_dawid_skene_crowd_abstains_are_not_evidence(name):
    """Crowd workers answer several classes; modelling their abstains collapsed DS on real
    crowd sets (music-genre 0.48, JeroenVuurens 0.58; majority vote 0.71, 0.81)."""
    from weasul.testing import shared_data
    from weasul_baselines.crowd import CrowdDataset

    ds_ = CrowdDataset(path=str(shared_data("crowd", name))).load()
    L, k = ds_.train.L, ds_.n_classes
    L = L[:, (L != -1).any(axis=0)]
    test = ds_.test.L[:, (ds_.train.L != -1).any(axis=0)]
    ds = DawidSkene(n_classes=k).fit(L)
    assert not ds.models_abstain_.any()
    mv_acc = (MajorityVote(n_classes=k).fit(L).predict(test) == ds_.test.y).mean()
    ds_acc = (ds.predict(test) == ds_.test.y).mean()
    assert ds_acc > mv_acc + 0.01, (ds_acc, mv_acc)
    forced = DawidSkene(n_classes=k, model_abstain=True, max_em_gain=None).fit(L)
    assert (forced.predict(test) == ds_.test.y).mean() < mv_acc - 0.1
    # that collapse is what `max_em_gain` refuses (EM gains 2-4 nats per row over majority vote's labels)
    with pytest.raises(DataError, match="fire together"):
        DawidSkene(n_classes=k, model_abstain=True).fit(L)


def test_non_identifiable_two_sources_give_a_tie():
    """Two sources that always disagree: nothing says which is right, so every row is a tie
    (as Snorkel's answer), not a confident arbitrary choice."""
    L = np.array([[0, 1], [1, 0]])
    for name in ("majority-vote", "weighted-vote", "dawid-skene", "factor-graph"):
        P = weasul.create("label_models", name, n_classes=2).fit(L).predict_proba(L)
        np.testing.assert_allclose(P, 0.5, atol=1e-6, err_msg=name)


def test_zero_class_prior_is_handled_or_refused():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 3000)
    L = np.where(rng.random((3000, 5)) < 0.8, y[:, None], 1 - y[:, None])
    L[rng.random((3000, 5)) < 0.4] = -1
    with pytest.raises(DataError, match="probability 0"):
        weasul.create("label_models", "triplet", n_classes=2, class_prior=[0.0, 1.0]).fit(L)
    for name in ("majority-vote", "weighted-vote", "dawid-skene"):
        P = weasul.create("label_models", name, n_classes=2, class_prior=[0.0, 1.0]).fit(L).predict_proba(L)
        assert np.isfinite(P).all(), name
        np.testing.assert_allclose(P.sum(axis=1), 1.0)


def test_triplet_refuses_crowd_like_overlap_and_estimates_class_balance():
    L, _ = _crowd(k=2)
    with pytest.raises(DataError, match="vote together"):
        Triplet(n_classes=2).fit(L)
    # imbalanced data (spouse-like): the balance comes from the vote shares, not 50/50
    rng = np.random.default_rng(1)
    y = (rng.random(20000) < 0.1).astype(int)
    acc = np.array([0.9, 0.85, 0.8, 0.75, 0.7])
    L = np.where(rng.random((20000, 5)) < acc, y[:, None], 1 - y[:, None])
    L[rng.random((20000, 5)) < 0.3] = -1
    tr = Triplet(n_classes=2).fit(L)
    assert tr.class_prior_[1] < 0.3
    assert (tr.predict(L) == y).mean() > (
        Triplet(n_classes=2, class_prior=[0.5, 0.5]).fit(L).predict(L) == y
    ).mean()


def test_dawid_skene_sms_class_prior():
    """WRENCH sms: the learned P(spam) was 0.03 (training share 0.135)."""
    from weasul.testing import shared_data

    folder = shared_data("wrench", "sms")
    ds_ = weasul.create("datasets", "wrench", path=str(folder)).load()
    L = ds_.train.L[:, (ds_.train.L != -1).any(axis=0)]
    assert DawidSkene(n_classes=2).fit(L).class_prior_[1] > 0.08
