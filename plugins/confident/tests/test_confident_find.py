"""Behaviour of `find` on generated data with a known answer, bad inputs, and large inputs."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from weasul.errors import DataError, SpecError, WeasulError
from weasul_confident import ConfidentLearning

NOISE = np.array([[0.8, 0.15, 0.0], [0.2, 0.85, 0.1], [0.0, 0.0, 0.9]])  # P(given=i | true=j)


def noisy_data(n=6000, seed=0, k=3, signal=3.0, dtype=np.float64):
    """True labels, probabilities from a good model of them, and given labels flipped with NOISE."""
    rng = np.random.default_rng(seed)
    true = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), true] += signal
    P = np.exp(logits)
    P /= P.sum(axis=1, keepdims=True)
    cum = NOISE.cumsum(axis=0)  # column j: cumulative P(given | true=j)
    given = (rng.random(n)[:, None] > cum[:, true].T).sum(axis=1)
    return true, given, P.astype(dtype)


@pytest.mark.parametrize("recipe", ["cleanlab-default", "paper"])
def test_recovers_planted_noise(recipe):
    true, given, P = noisy_data()
    wrong = given != true
    issues = ConfidentLearning(recipe=recipe).find(given, P)
    flagged = np.zeros(len(given), bool)
    flagged[issues.ranked] = True
    precision = wrong[flagged].mean()
    recall = flagged[wrong].mean()
    assert precision > 0.8 and recall > 0.6, (precision, recall)
    # the estimated noise matrix is close to the planted one
    assert np.abs(issues.noise_matrix - NOISE).max() < 0.06
    # per-class noise rates P(true != i | given = i) match the empirical ones
    empirical = np.array([wrong[given == i].mean() for i in range(3)])
    assert np.abs(issues.noise_rates - empirical).max() < 0.05
    # the top of the ranking is almost surely wrong
    assert wrong[issues.ranked[:100]].mean() > 0.95


def test_scores_rank_and_suggest():
    true, given, P = noisy_data(n=2000)
    issues = ConfidentLearning(rank_by="normalized_margin").find(given, P)
    margin = P[np.arange(len(P)), given] - np.where(np.eye(3, dtype=bool)[given], -1, P).max(axis=1)
    assert np.allclose(issues.scores, (margin + 1) / 2)
    assert np.all(np.diff(issues.scores[issues.ranked]) >= 0)
    assert np.array_equal(issues.suggested, P.argmax(axis=1))
    assert issues.ranked.dtype == np.int64 and len(set(issues.ranked.tolist())) == len(issues)


def test_ties_go_to_the_lower_index():
    labels = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    P = np.tile([[0.9, 0.1], [0.1, 0.9]], (4, 1))
    P[[2, 5, 6]] = P[[2, 5, 6]][:, ::-1]  # three items whose model disagrees, equally
    issues = ConfidentLearning(recipe="paper").find(labels, P)
    assert issues.ranked.tolist() == [2, 5, 6]


BAD = {
    "rows not summing to 1": (lambda y, P: (y, P * 0.5), "sums to"),
    "NaN": (lambda y, P: (y, np.where(P > 0.9, np.nan, P)), "NaN"),
    "label outside 0..K-1": (lambda y, P: (np.where(y == 0, 3, y), P), "label 3"),
    "negative label": (lambda y, P: (np.where(y == 0, -1, y), P), "label -1"),
    "a class with no items": (lambda y, P: (np.where(y == 2, 1, y), P), "class(es) [2]"),
    "mismatched lengths": (lambda y, P: (y[:-1], P), "labels has 299 items but pred_probs has 300"),
    "logits instead of probabilities": (lambda y, P: (y, np.log(P)), "outside [0, 1]"),
    "1-D probabilities": (lambda y, P: (y, P[:, 0]), "2-D"),
    "empty": (lambda y, P: (y[:0], P[:0]), "needs items"),
    "float labels": (lambda y, P: (y + 0.5, P), "non-integer"),
}


@pytest.mark.parametrize("case", list(BAD))
@pytest.mark.parametrize("low_memory", [False, True])
def test_bad_input_says_what_to_fix(case, low_memory):
    _, given, P = noisy_data(n=300)
    make, words = BAD[case]
    labels, probs = make(given, P)
    with pytest.raises(DataError, match=__import__("re").escape(words)):
        ConfidentLearning(low_memory=low_memory, batch_size=100).find(labels, probs)


def test_missing_class_allowed_on_request():
    _, given, P = noisy_data(n=300)
    given = np.where(given == 2, 1, given)
    issues = ConfidentLearning(allow_missing_classes=True).find(given, P)
    assert issues.noise_matrix.shape == (3, 3)


def test_bad_params_are_spec_errors():
    with pytest.raises(SpecError, match="low_memory supports filter_by count_then_rank"):
        ConfidentLearning(low_memory=True, filter_by="both")
    with pytest.raises(SpecError, match="recipe"):
        ConfidentLearning(recipe="papr")
    with pytest.raises(WeasulError):
        ConfidentLearning(frac_noise=0)


def wide_data(n, k=20, seed=0):
    """Many classes, so the (n, K) matrix dominates memory over the (n,) outputs."""
    rng = np.random.default_rng(seed)
    true = rng.integers(0, k, n)
    P = rng.dirichlet(np.full(k, 0.3), n)
    P[np.arange(n), true] += 2.0
    P /= P.sum(axis=1, keepdims=True)
    given = np.where(rng.random(n) < 0.1, rng.integers(0, k, n), true)
    return given, P


def test_float32_is_not_copied_to_float64():
    given, P64 = wide_data(50_000)
    P32 = P64.astype(np.float32)
    ConfidentLearning().find(given[:100], P32[:100])  # warm-up imports outside the measurement
    peaks = {}
    for name, P in (("f64", P64), ("f32", P32)):
        tracemalloc.start()
        issues = ConfidentLearning().find(given, P)
        peaks[name] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert len(issues) > 0
    # a float64 copy of the float32 input alone would take 2x its size on top of cleanlab's work
    assert peaks["f32"] < 3.2 * P32.nbytes, peaks
    assert peaks["f32"] < 0.7 * peaks["f64"], peaks


def test_low_memory_reads_a_memmap_batch_by_batch(tmp_path):
    given, P = wide_data(20_000)
    np.save(tmp_path / "probs.npy", P)
    mm = np.load(tmp_path / "probs.npy", mmap_mode="r")
    in_memory = ConfidentLearning(recipe="paper").find(given, P)
    tracemalloc.start()
    batched = ConfidentLearning(recipe="paper", low_memory=True, batch_size=2000).find(given, mm)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert np.array_equal(batched.ranked, in_memory.ranked)
    assert np.allclose(batched.scores, in_memory.scores)
    assert np.array_equal(batched.confident_joint, in_memory.confident_joint)
    assert peak < 0.5 * P.nbytes  # never the whole matrix at once


def test_low_memory_default_matches_cleanlab_batched():
    from cleanlab.experimental.label_issues_batched import find_label_issues_batched

    _, given, P = noisy_data(n=20_000)
    ours = ConfidentLearning(low_memory=True, batch_size=4000).find(given, P)
    theirs = find_label_issues_batched(given, P, batch_size=4000, verbose=False)
    # cleanlab returns them in index order; ours are ranked by score
    assert set(ours.ranked.tolist()) == set(theirs.tolist())
    assert np.all(np.diff(ours.scores[ours.ranked]) >= 0)
