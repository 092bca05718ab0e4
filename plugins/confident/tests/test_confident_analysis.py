"""The paper's analyses: vote categories, prevalence, corrected accuracy, interpolation, flips."""

from __future__ import annotations

import numpy as np
import pytest
from weasul.errors import DataError
from weasul_confident import (
    accuracy_sets,
    noise_prevalence,
    prevalence_curve,
    rank_changes,
    ranking_flips,
    validate_votes,
)


def test_vote_categories():
    v = validate_votes(
        given=[5, 3, 2, 0, 1, 1, 0],
        guessed=[0, 2, 3, 0, 1, 1, 2],
        neither=[0, 0, 0, 0, 3, 0, 1],
        both=[0, 0, 0, 5, 0, 3, 2],
    )
    assert v.category.tolist() == [
        "non-error",
        "non-error",
        "correctable",
        "multi-label",
        "neither",
        "multi-label",
        "non-agreement",
    ]
    assert v.counts()["errors"] == 5
    with pytest.raises(DataError):
        validate_votes(given=[1], guessed=[1, 2], neither=[0], both=[0])


def test_noise_prevalence():
    assert noise_prevalence(100, 5, 10) == pytest.approx(5 / 90)
    with pytest.raises(DataError):
        noise_prevalence(10, 11, 0)


def _setup(seed=0):
    rng = np.random.default_rng(seed)
    n = 1000
    given = rng.integers(0, 4, n)
    corrected = given.copy()
    C = rng.choice(n, 60, replace=False)
    corrected[C] = (given[C] + 1) % 4
    unknown = np.zeros(n, bool)
    unknown[rng.choice(np.setdiff1d(np.arange(n), C), 20, replace=False)] = True
    # model a fits the original labels on C, model b the corrected ones
    a = np.where(rng.random(n) < 0.9, corrected, (corrected + 2) % 4)
    a[C] = given[C]
    b = np.where(rng.random(n) < 0.85, corrected, (corrected + 2) % 4)
    return given, corrected, unknown, {"a": a, "b": b}, C


def test_accuracy_sets():
    given, corrected, unknown, preds, C = _setup()
    t = accuracy_sets(preds, given, corrected, unknown=unknown)
    assert t["a"]["original_C"] == 1.0 and t["a"]["corrected_C"] == 0.0
    assert t["b"]["original_C"] == 0.0 and t["b"]["corrected_C"] > 0.7
    assert t["a"]["n_C"] == 60 and t["a"]["n_U"] == 20 and t["a"]["n_B"] == 920
    assert t["a"]["original_D"] > t["b"]["original_D"]
    assert rank_changes(t) == {"a": (1, 2), "b": (2, 1)}
    probs = np.eye(4)[preds["a"]]
    assert accuracy_sets({"p": probs}, given, corrected)["p"]["original_C"] == 1.0


def test_interpolation_is_the_expectation_of_random_removal():
    """A(N) = N A_C + (1-N) A_B matches the mean accuracy over random removals of B."""
    rng = np.random.default_rng(1)
    n_C, n_B = 50, 950
    hit_C = rng.random(n_C) < 0.3
    hit_B = rng.random(n_B) < 0.9
    for x in (0.0, 0.5, 0.9):
        keep = int(round((1 - x) * n_B))
        sims = [
            (hit_C.sum() + hit_B[rng.choice(n_B, keep, replace=False)].sum()) / (n_C + keep)
            for _ in range(400)
        ]
        N = n_C / (n_C + keep)
        assert prevalence_curve(hit_C.mean(), hit_B.mean(), N) == pytest.approx(np.mean(sims), abs=2e-3)


def test_ranking_flip_is_where_the_lines_cross():
    models = {"big": (0.2, 0.95), "small": (0.6, 0.90)}
    flips = ranking_flips(models, n_C=30, n_B=970)
    assert len(flips) == 1
    f = flips[0]
    N = f["prevalence"]
    assert prevalence_curve(0.2, 0.95, N) == pytest.approx(prevalence_curve(0.6, 0.90, N))
    assert N == pytest.approx(0.05 / 0.45)
    assert f["leader_after"] == "small"
    assert 30 / (30 + (1 - f["removed_share"]) * 970) == pytest.approx(N)
    # lines that never cross inside [|C|/|P|, 1] give no flip
    assert ranking_flips({"a": (0.9, 0.9), "b": (0.5, 0.5)}, 30, 970) == []
