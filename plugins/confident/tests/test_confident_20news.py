"""The paper's 20 Newsgroups case (cleanlab/label-errors): the `paper` recipe flags exactly the 93
items of Table 1, `cleanlab-default` gives cleanlab's own result, the human votes give Table 2."""

from __future__ import annotations

import json

import numpy as np
import pytest
from weasul.testing import shared_data
from weasul_confident import ConfidentLearning, noise_prevalence, validate_votes


@pytest.fixture(scope="module")
def news():
    root = shared_data("label-errors")
    P = np.load(root / "cross_validated_predicted_probabilities" / "20news_test_set_pyx.npy")
    labels = np.load(root / "original_test_labels" / "20news_test_set_original_labels.npy")
    mturk = json.loads((root / "mturk" / "20news_mturk.json").read_text())
    return labels, P, mturk


def test_paper_recipe_flags_the_93_items_of_table_1(news):
    labels, P, mturk = news
    issues = ConfidentLearning(recipe="paper").find(labels, P)
    assert len(issues) == 93
    assert sorted(issues.ranked.tolist()) == sorted(item["id"] for item in mturk)
    # ranked by normalised margin, lowest first
    margin = issues.scores[issues.ranked]
    assert np.all(np.diff(margin) >= 0)
    # the CL-guessed label of the paper is the argmax of the probabilities
    guessed = {item["id"]: item["our_guessed_label"] for item in mturk}
    assert all(issues.suggested[i] == g for i, g in guessed.items())
    assert issues.extra["n_estimated"] == 93


def test_paper_recipe_low_memory_gives_the_same_93(news):
    labels, P, mturk = news
    issues = ConfidentLearning(recipe="paper", low_memory=True, batch_size=1000).find(
        labels, P.astype(np.float32)
    )
    assert sorted(issues.ranked.tolist()) == sorted(item["id"] for item in mturk)


def test_cleanlab_default_is_cleanlab_own_result(news):
    from cleanlab.filter import find_label_issues

    labels, P, _ = news
    mask = find_label_issues(labels, P)
    ranked = find_label_issues(labels, P, return_indices_ranked_by="self_confidence")
    issues = ConfidentLearning().find(labels, P)
    assert len(issues) == int(mask.sum()) == 95
    assert set(issues.ranked.tolist()) == set(np.flatnonzero(mask).tolist())
    # same order wherever the self-confidence scores are distinct (ties go to the lower index)
    s = issues.scores
    assert np.all(np.diff(s[issues.ranked]) >= 0)
    assert np.allclose(s[issues.ranked], s[ranked])


def test_filter_and_rank_choices_pass_through_to_cleanlab(news):
    from cleanlab.filter import find_label_issues

    labels, P, _ = news
    for filter_by in ("prune_by_class", "both", "confident_learning", "predicted_neq_given"):
        ours = ConfidentLearning(filter_by=filter_by, rank_by="normalized_margin").find(labels, P)
        theirs = find_label_issues(
            labels, P, filter_by=filter_by, return_indices_ranked_by="normalized_margin"
        )
        assert set(ours.ranked.tolist()) == set(theirs.tolist()), filter_by


def test_noise_estimates_are_consistent(news):
    labels, P, _ = news
    issues = ConfidentLearning().find(labels, P)
    counts = np.bincount(labels, minlength=20)
    joint = issues.extra["calibrated_joint"]
    assert np.allclose(joint.sum(axis=1), counts, atol=1)  # calibrated rows = class sizes
    assert np.allclose(issues.noise_matrix.sum(axis=0), 1, atol=1e-6)  # columns are P(given | true)
    assert np.all((issues.noise_rates >= 0) & (issues.noise_rates < 0.1))
    # estimated issues per class times class size add up to the calibrated off-diagonal
    assert abs((issues.noise_rates * counts).sum() - (joint.sum() - np.trace(joint))) < 1e-6


def test_table_2_row_and_noise_prevalence(news):
    _, _, mturk = news
    votes = {k: [item["mturk"][k] for item in mturk] for k in ("given", "guessed", "neither", "both")}
    counts = validate_votes(**votes).counts()
    assert counts == {
        "non-error": 11,
        "errors": 82,
        "non-agreement": 43,
        "correctable": 22,
        "multi-label": 12,
        "neither": 5,
    }
    unknown = counts["errors"] - counts["correctable"]
    assert noise_prevalence(7532, counts["correctable"], unknown) == pytest.approx(22 / 7472)
