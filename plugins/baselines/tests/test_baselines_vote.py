"""Majority vote and weighted vote: tie-break policy, class prior, learned weights, errors."""

from __future__ import annotations

import numpy as np
import pytest
import weasul
from weasul.errors import DataError, NotFittedError, WeasulError
from weasul_baselines import MajorityVote, WeightedVote


def _generated(n=3000, m=8, k=2, accs=None, coverage=0.5, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    accs = np.asarray(accs if accs is not None else np.linspace(0.55, 0.9, m))
    wrong = (y[:, None] + rng.integers(1, k, (n, m))) % k
    votes = np.where(rng.random((n, m)) < accs[None, :], y[:, None], wrong)
    return np.where(rng.random((n, m)) < coverage, votes, -1), y


def test_entry_point_resolves():
    assert isinstance(weasul.create("label_models", "majority-vote"), MajorityVote)
    assert isinstance(weasul.create("label_models", "weighted-vote"), WeightedVote)


def test_majority_vote_counts_and_lowest_tie_break():
    L = np.array([[0, 1, -1], [1, 1, 0], [2, 2, 1], [-1, -1, -1], [2, 1, 0]])
    mv = MajorityVote(n_classes=3).fit(L)
    P = mv.predict_proba(L)
    np.testing.assert_allclose(P[1], [1 / 3, 2 / 3, 0])
    np.testing.assert_allclose(P[3], [1 / 3] * 3)  # no vote: the (uniform) prior
    assert mv.predict(L).tolist() == [0, 1, 2, 0, 0]  # ties to the lowest class


def test_random_tie_break_is_seeded_and_position_free():
    L = np.array([[0, 1]] * 50 + [[1, 0]] * 50 + [[-1, -1]] * 50)
    picks = set()
    for seed in range(20):
        mv = MajorityVote(tie_break="random", seed=seed).fit(L)
        pred = mv.predict(L)
        # the same vote pattern gets the same answer wherever it sits
        assert len(set(pred[:50])) == 1 and len(set(pred[100:])) == 1
        again = MajorityVote(tie_break="random", seed=seed).fit(L).predict(L[::-1])[::-1]
        assert (again == pred).all()
        picks.add(int(pred[0]))
    assert picks == {0, 1}  # both classes drawn over seeds
    P = MajorityVote(tie_break="random").fit(L).predict_proba(L)
    np.testing.assert_allclose(P, 0.5, atol=1e-5)


def test_class_prior_on_empty_rows():
    L = np.array([[0, -1], [-1, 1], [-1, -1]])
    mv = MajorityVote(class_prior=[0.2, 0.8]).fit(L)
    np.testing.assert_allclose(mv.predict_proba(L)[2], [0.2, 0.8])
    assert mv.predict(L)[2] == 1
    with pytest.raises(DataError):
        MajorityVote(class_prior=[0.2, 0.3, 0.5]).fit(L)


@pytest.mark.parametrize("cls", [MajorityVote, WeightedVote])
def test_bad_inputs_raise_weasul_errors(cls):
    L, _ = _generated(n=50, m=4)
    cases = {
        "dtype": L.astype(str),
        "label >= K": np.where(L == 1, 2, L),
        "silent column": np.column_stack([L, np.full(len(L), -1)]),
        "one row": L[:1],
    }
    for _what, bad in cases.items():
        with pytest.raises(WeasulError):
            cls(n_classes=2).fit(bad)
    with pytest.raises(NotFittedError):
        cls().predict_proba(L)
    fitted = cls(n_classes=2).fit(L)
    with pytest.raises(DataError, match="sources"):
        fitted.predict_proba(L[:, :3])
    with pytest.raises(DataError):
        fitted.predict_proba(np.where(L == 1, 5, L))


def test_weighted_vote_learns_accuracies_without_gold():
    accs = [0.95, 0.9, 0.55, 0.55, 0.55, 0.55, 0.55]
    L, y = _generated(n=6000, m=7, accs=accs, coverage=0.7, seed=1)
    mv_acc = (MajorityVote().fit(L).predict(L) == y).mean()
    wv = WeightedVote().fit(L)
    wv_acc = (wv.predict(L) == y).mean()
    assert wv.weights_[:2].min() > wv.weights_[2:].max()
    assert wv_acc > mv_acc + 0.03, (wv_acc, mv_acc)
    # with gold, the weights are log-odds of the measured accuracies
    wg = WeightedVote().fit(L, y_dev=y)
    np.testing.assert_allclose(wg.weights_, np.log(np.array(accs) / (1 - np.array(accs))), atol=0.15)
    fixed = WeightedVote(weights=[1.0] * 7).fit(L)
    assert (fixed.predict(L) == MajorityVote().fit(L).predict(L)).mean() > 0.97


def test_weighted_vote_issue13_repro_ties_and_negative_weights():
    """Regression: ties among the other sources used to count as votes for class 0 and a
    negative weight hid "the others voted"; weights came out [0, 0, 0] and every row class 0."""
    L = np.array([[1, 1, 0], [-1, -1, -1], [1, 0, 1]])
    wv = weasul.create("label_models", "weighted-vote", n_classes=2).fit(L)
    assert wv.predict(L).tolist() == [1, 0, 1]  # majority vote's answer
    assert (wv.weights_ > 0).all()
    assert wv.weights_[0] > wv.weights_[1]  # source 0 is never outvoted


def test_weighted_vote_one_sided_sources_are_not_turned_adversarial():
    """Sources that each vote one class: agreement alone cannot say which group is right, so
    no group may end with negative weights (youtube-like data used to score 0.48)."""
    rng = np.random.default_rng(0)
    n = 4000
    y = rng.integers(0, 2, n)
    hit = np.array([0.3, 0.25, 0.2, 0.3, 0.25, 0.2])  # P(fires | its class)
    cls = np.array([1, 1, 1, 0, 0, 0])
    false = 0.03
    fires = rng.random((n, 6)) < np.where(y[:, None] == cls[None, :], hit, false)
    L = np.where(fires, cls[None, :], -1)
    wv = WeightedVote(n_classes=2).fit(L)
    assert (wv.weights_ >= 0).all()
    covered = fires.any(axis=1)
    mv = MajorityVote(n_classes=2).fit(L)
    acc = (wv.predict(L)[covered] == y[covered]).mean()
    assert acc >= (mv.predict(L)[covered] == y[covered]).mean() - 0.01
    assert acc > 0.85
