"""recall at a false positive rate, concept mAP with absent labels, the Pareto front."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_curve
from weasul.errors import DataError
from weasul_concepts.metrics import concept_map, jaccard, pareto_front, recall_at_fpr, threshold_at_fpr


def test_recall_at_fpr_known_answer():
    # 100 negatives scored 0..99, positives at 50.5, 95.5, 98.5, 120: above the 95th negative
    # (threshold 94: 5 negatives above it) are 95.5, 98.5 and 120
    y = np.r_[np.zeros(100, int), np.ones(4, int)]
    s = np.r_[np.arange(100.0), [50.5, 95.5, 98.5, 120.0]]
    assert threshold_at_fpr(y, s, 0.05) == 94.0
    assert recall_at_fpr(y, s, 0.05) == 0.75
    assert recall_at_fpr(y, s, 0.05, threshold=99.0) == 0.25


def test_recall_at_fpr_agrees_with_the_roc_curve():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 2000)
    s = rng.normal(y * 1.5, 1)
    fpr, tpr, _ = roc_curve(y, s)
    assert recall_at_fpr(y, s, 0.05) == pytest.approx(tpr[fpr <= 0.05].max(), abs=2e-3)


def test_concept_map_masks_absent_labels_and_matches_sklearn():
    rng = np.random.default_rng(1)
    G = rng.integers(0, 2, (300, 3))
    S = rng.random((300, 3)) + 0.5 * G
    full = np.mean([average_precision_score(G[:, c], S[:, c]) for c in range(3)])
    assert concept_map(G, S) == pytest.approx(full)
    masked = G.copy()
    masked[:100] = -1  # absent labels: only rows 100.. count, whatever their scores
    S2 = S.copy()
    S2[:100] = rng.random((100, 3))
    expected = np.mean([average_precision_score(G[100:, c], S[100:, c]) for c in range(3)])
    assert concept_map(masked, S2) == pytest.approx(expected)
    with pytest.raises(DataError):
        concept_map(np.zeros((5, 2), int), np.zeros((5, 2)))


def test_jaccard_and_pareto_front():
    assert jaccard(np.array([[1, 0, 1], [0, 0, 0]]), np.array([[1, 1, 0], [0, 0, 0]])) == pytest.approx(
        (1 / 3 + 1) / 2
    )
    points = [(0.5, 0.5), (0.6, 0.4), (0.4, 0.4), (0.5, 0.6)]
    assert pareto_front(points) == [1, 3]
