"""The best score any label model can reach: the headroom an active-learning strategy can win.

A label model's prediction is a function of the LF votes, so all items of one bucket (one vote
pattern) get the same label. The best such rule labels each bucket with its majority class.
`vote_ceiling` scores that rule on the test set twice: with the majority taken from the
training labels (what a perfectly informed label model could learn) and with the majority
taken from the test labels themselves (hindsight: no function of the votes has a higher
accuracy; F1 can trade accuracy for recall, so for F1 it is a reference, not a bound).
When two strategies both reach the ceiling, no accuracy figure can put one ahead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from weasul.errors import DataError
from weasul.steps import classification_metrics
from weasul.validation import check_label_matrix

from weasul_active_weasul._buckets import bucketize

__all__ = ["vote_ceiling"]


def _majority_per_bucket(
    inverse: np.ndarray, y: np.ndarray, n_buckets: int, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """(majority class, has any item) per bucket."""
    counts = np.zeros((n_buckets, n_classes))
    np.add.at(counts, (inverse, y), 1.0)
    return counts.argmax(axis=1), counts.sum(axis=1) > 0


def vote_ceiling(L_train: Any, y_train: Any, L_test: Any, y_test: Any, n_classes: int = 2) -> dict[str, dict[str, float]]:
    """Test metrics of the per-bucket majority rule: {"train_majority": {...}, "hindsight": {...}}.

    Test buckets never seen in training get the overall training majority class.
    """
    L_train = check_label_matrix(L_train, name="L_train", allow_silent_sources=True)
    L_test = check_label_matrix(L_test, name="L_test", allow_silent_sources=True)
    y_train, y_test = np.asarray(y_train, dtype=np.int64), np.asarray(y_test, dtype=np.int64)
    if y_train.shape != (len(L_train),) or y_test.shape != (len(L_test),):
        raise DataError("y_train and y_test need one label per row of L_train and L_test")
    if L_train.shape[1] != L_test.shape[1]:
        raise DataError(f"L_train has {L_train.shape[1]} LFs but L_test has {L_test.shape[1]}")
    for name, y in (("y_train", y_train), ("y_test", y_test)):
        if y.size and (y.min() < 0 or y.max() >= n_classes):
            raise DataError(f"{name} must hold classes 0..{n_classes - 1}")
    buckets = bucketize(np.vstack([L_train, L_test]))
    train_b, test_b = buckets.inverse[: len(L_train)], buckets.inverse[len(L_train):]
    learnt, seen = _majority_per_bucket(train_b, y_train, len(buckets), n_classes)
    learnt[~seen] = np.bincount(y_train, minlength=n_classes).argmax()
    hindsight, _ = _majority_per_bucket(test_b, y_test, len(buckets), n_classes)
    eye = np.eye(n_classes)
    return {
        "train_majority": classification_metrics(y_test, eye[learnt[test_b]]),
        "hindsight": classification_metrics(y_test, eye[hindsight[test_b]]),
    }
