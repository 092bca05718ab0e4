"""The paper's metrics (Sec. 4): decision recall at a fixed false positive rate, concept mAP,
and the Pareto-optimal points of the explainability-accuracy trade-off."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from weasul.errors import DataError

__all__ = ["threshold_at_fpr", "recall_at_fpr", "concept_map", "jaccard", "pareto_front"]


def threshold_at_fpr(y: np.ndarray, score: np.ndarray, fpr: float = 0.05) -> float:
    """The lowest threshold t with share(score > t among negatives) <= fpr."""
    y, score = np.asarray(y), np.asarray(score, dtype=np.float64)
    negatives = np.sort(score[y == 0])
    if len(negatives) == 0:
        raise DataError("recall at a false positive rate needs negative items")
    allowed = int(np.floor(fpr * len(negatives)))  # negatives that may lie above the threshold
    return float(negatives[len(negatives) - allowed - 1]) if allowed < len(negatives) else -np.inf


def recall_at_fpr(
    y: np.ndarray, score: np.ndarray, fpr: float = 0.05, threshold: float | None = None
) -> float:
    """Recall of the positive class at the threshold giving `fpr` false positive rate (the
    paper's recall@5% FPR); `threshold` (e.g. chosen on a validation split) overrides it."""
    y, score = np.asarray(y), np.asarray(score, dtype=np.float64)
    if not (y == 1).any():
        raise DataError("recall needs positive items")
    t = threshold_at_fpr(y, score, fpr) if threshold is None else threshold
    return float((score[y == 1] > t).mean())


def concept_map(golden: np.ndarray, scores: np.ndarray) -> float:
    """Mean over concepts of sklearn's average precision on the rows where the golden label is
    present (not -1); concepts with no positive (or no labelled) row are left out."""
    from sklearn.metrics import average_precision_score

    golden, scores = np.asarray(golden), np.asarray(scores, dtype=np.float64)
    if golden.shape != scores.shape or golden.ndim != 2:
        raise DataError(f"golden {golden.shape} and scores {scores.shape} must both be (n_items, n_concepts)")
    aps = []
    for c in range(golden.shape[1]):
        present = golden[:, c] >= 0
        truth = golden[present, c]
        if truth.size and truth.any():
            aps.append(float(average_precision_score(truth, scores[present, c])))
    if not aps:
        raise DataError("no concept has a positive golden label")
    return float(np.mean(aps))


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Mean per-item Jaccard similarity of two 0/1 label sets (items where both are empty count 1)."""
    a, b = np.asarray(a) == 1, np.asarray(b) == 1
    union = (a | b).sum(axis=1)
    inter = (a & b).sum(axis=1)
    return float(np.where(union > 0, inter / np.maximum(union, 1), 1.0).mean())


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the points no other point beats on both coordinates (higher is better)."""
    front = []
    for i, (x, y) in enumerate(points):
        dominated = any(
            (ox >= x and oy >= y) and (ox > x or oy > y) for j, (ox, oy) in enumerate(points) if j != i
        )
        if not dominated:
            front.append(i)
    return front
