"""Diversity of the sampled buckets (paper Sec. 4.3, Fig. 6B).

After t queries with n_i of them from bucket i, r_i = n_i / t and the diversity is the entropy
H = -sum_i r_i log r_i (natural log): high when the queries spread over many buckets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from weasul.errors import DataError
from weasul.validation import check_label_matrix

from weasul_active_weasul._buckets import bucketize

__all__ = ["bucket_entropy", "diversity_curve", "DiversityCallback"]


def _entropy(counts: np.ndarray) -> float:
    total = counts.sum()
    if total == 0:
        return 0.0
    r = counts[counts > 0] / total
    return float(-(r * np.log(r)).sum())


def _queried(L: np.ndarray, queried: Sequence[int] | np.ndarray) -> np.ndarray:
    idx = np.asarray(queried, dtype=np.int64).ravel()
    if idx.size and (idx.min() < 0 or idx.max() >= len(L)):
        raise DataError(f"queried indices must be in 0..{len(L) - 1}, got {int(idx.min())}..{int(idx.max())}")
    return idx


def bucket_entropy(L: Any, queried: Sequence[int] | np.ndarray) -> float:
    """Entropy of the buckets (distinct rows of `L`) that the `queried` items fall in."""
    L = check_label_matrix(L, allow_silent_sources=True)
    idx = _queried(L, queried)
    buckets = bucketize(L)
    return _entropy(np.bincount(buckets.inverse[idx], minlength=len(buckets)))


def diversity_curve(L: Any, queried: Sequence[int] | np.ndarray) -> np.ndarray:
    """(t,) the entropy after each of the first 1..t queries, in query order."""
    L = check_label_matrix(L, allow_silent_sources=True)
    idx = _queried(L, queried)
    buckets = bucketize(L)
    counts = np.zeros(len(buckets))
    out = np.empty(idx.size)
    for step, b in enumerate(buckets.inverse[idx]):
        counts[b] += 1
        out[step] = _entropy(counts)
    return out


class DiversityCallback:
    """An `active_loop` callback that adds `diversity` (entropy of the labelled items' buckets)."""

    def __init__(self, L: Any) -> None:
        self._inverse = bucketize(check_label_matrix(L, allow_silent_sources=True)).inverse

    def __call__(self, record: dict[str, Any], model: Any, state: Any) -> None:
        idx = np.fromiter(state.labelled.keys(), dtype=np.int64, count=len(state.labelled))
        record["diversity"] = _entropy(np.bincount(self._inverse[idx])) if idx.size else 0.0
