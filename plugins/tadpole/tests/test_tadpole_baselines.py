"""The paper's distance and Moore-Lewis baselines."""

from __future__ import annotations

import numpy as np
import pytest
from weasul.errors import DataError
from weasul_tadpole import DistanceScorer, MooreLewisScorer
from weasul_tadpole.baselines import NGramLM, tokenize


def test_distance_score_is_difference_of_centroid_distances():
    rng = np.random.default_rng(0)
    X_in = rng.normal(size=(50, 3))
    X_out = rng.normal(size=(40, 3)) + 2
    model = DistanceScorer().fit(X_in, reference=X_out)
    Q = rng.normal(size=(7, 3))
    expected = np.linalg.norm(Q - X_in.mean(0), axis=1) - np.linalg.norm(Q - X_out.mean(0), axis=1)
    np.testing.assert_allclose(model.score(Q), expected)
    np.testing.assert_allclose(DistanceScorer().fit(X_in).score(Q), np.linalg.norm(Q - X_in.mean(0), axis=1))
    with pytest.raises(DataError):
        model.score(Q[:, :2])


def test_bigram_lm_is_a_distribution():
    lm = NGramLM([np.array([1, 3, 4, 2]), np.array([1, 3, 5, 2]), np.array([1, 4, 2])], vocab_size=6)
    for h in range(6):
        total = np.exp(lm.logprob(np.full(6, h), np.arange(6))).sum()
        assert total == pytest.approx(1.0, abs=1e-9)
    # a seen bigram is likelier than an unseen one from the same history
    assert lm.logprob(np.array([3]), np.array([4]))[0] > lm.logprob(np.array([3]), np.array([2]))[0]


def test_moore_lewis_prefers_in_domain_sentences():
    task = [
        "the patient was treated with a high dose of the drug",
        "the gene mutation causes a rare disease in the patient",
        "mutations in the gene were found in every patient",
        "the drug reduced the symptoms of the disease",
    ]
    general = [
        "the team won the match in the final minute",
        "stocks fell as the market reacted to the news",
        "the film was a charming comedy with a great cast",
        "the team lost the final match at home",
    ]
    model = MooreLewisScorer().fit(task, reference=general)
    s = model.score(
        ["a new drug for the disease was given to each patient", "the market rallied after the match"]
    )
    assert s[0] < s[1]
    assert tokenize("Gene-X, 42!") == ["gene", "-", "x", ",", "42", "!"]
    with pytest.raises(DataError):
        model.score([])
    with pytest.raises(DataError):
        MooreLewisScorer().fit(["fine", None])
