"""Cross-validated probabilities from any classifier and encoder, and data -> issues in one call."""

from __future__ import annotations

import numpy as np
import pytest
from weasul.errors import DataError, SpecError
from weasul_confident import ConfidentLearning, cross_val_pred_probs, find_issues


def blobs(n=400, k=3, seed=0, flip=0.1):
    rng = np.random.default_rng(seed)
    true = rng.integers(0, k, n)
    centers = rng.normal(0, 4, (k, 5))
    X = centers[true] + rng.normal(0, 1, (n, 5))
    given = true.copy()
    flipped = rng.choice(n, int(flip * n), replace=False)
    given[flipped] = (true[flipped] + rng.integers(1, k, flipped.size)) % k
    return X, true, given, flipped


def test_probabilities_are_out_of_sample():
    X, true, given, flipped = blobs()
    # 1-nearest-neighbour memorises: in-sample it always agrees with the given label
    P = cross_val_pred_probs(
        X, given, estimator="sklearn.neighbors.KNeighborsClassifier", options={"n_neighbors": 1}
    )
    assert P.shape == (len(X), 3) and np.allclose(P.sum(axis=1), 1)
    agree = P.argmax(axis=1) == given
    assert agree[flipped].mean() < 0.2  # held out, the flipped items are predicted by their neighbours
    assert (P.argmax(axis=1) == true).mean() > 0.85


def test_sklearn_estimator_and_weasul_classifier_agree():
    from sklearn.linear_model import LogisticRegression
    from weasul.plugins import create

    X, _, given, _ = blobs(n=300)
    a = cross_val_pred_probs(X, given, estimator=LogisticRegression(max_iter=200), seed=1)
    b = cross_val_pred_probs(X, given, estimator=create("classifiers", "sklearn", hard=True), seed=1)
    c = cross_val_pred_probs(X, given, estimator="logistic-regression", seed=1)
    assert np.allclose(a, b, atol=1e-6) and np.allclose(b, c)


def test_find_issues_from_data_in_one_call():
    X, true, given, flipped = blobs(n=600)
    issues = find_issues(X, given, finder=ConfidentLearning(recipe="paper"))
    found = set(issues.ranked.tolist())
    assert len(found & set(flipped.tolist())) >= 0.8 * len(flipped)
    assert (given != true)[issues.ranked].mean() > 0.9
    assert issues.extra["pred_probs"].shape == (600, 3)


def test_encoder_is_fitted_per_fold_on_texts():
    rng = np.random.default_rng(0)
    words = {0: ["goal", "match", "striker", "league"], 1: ["virus", "protein", "cell", "gene"]}
    true = rng.integers(0, 2, 200)
    texts = [" ".join(rng.choice(words[c], 5)) + f" w{i}" for i, c in enumerate(true)]
    given = true.copy()
    given[:15] = 1 - given[:15]
    issues = find_issues(texts, given, encoder="tfidf", estimator="logistic-regression")
    assert set(range(15)) <= set(issues.ranked.tolist())


def test_class_missing_from_a_fold_gets_zero_probability():
    X, _, given, _ = blobs(n=100)
    given = given.copy()
    given[:1] = 3  # a fourth class with one item: never in its own training folds
    P = cross_val_pred_probs(X, given, n_classes=4)
    assert P.shape == (100, 4) and P[0, 3] == 0 and np.allclose(P.sum(axis=1), 1)


def test_bad_inputs():
    X, _, given, _ = blobs(n=50)
    with pytest.raises(DataError, match="labels has 49 items but X has 50"):
        cross_val_pred_probs(X, given[:-1])
    with pytest.raises(DataError, match="folds"):
        cross_val_pred_probs(X[:3], given[:3])
    with pytest.raises(SpecError, match="no fit/predict_proba"):
        cross_val_pred_probs(X, given, estimator=object())
    with pytest.raises(SpecError, match="not found"):
        cross_val_pred_probs(X, given, estimator="no-such-model")
