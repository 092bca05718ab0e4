"""Buckets: the distinct rows of a label matrix (one LF-vote pattern each).

Every query strategy of this package works per bucket, so its cost depends on the number of
buckets, not of rows: rows are turned into integer codes in one vectorised pass, and a code
range small enough for `np.bincount` avoids sorting altogether.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Buckets", "bucketize", "bucket_means"]

#: Largest code range counted with `np.bincount` (else codes are sorted with `np.unique`).
_DENSE_LIMIT = 1 << 22


@dataclass(frozen=True)
class Buckets:
    """patterns: (B, m) the distinct rows; inverse: (n,) bucket of each row; counts: (B,)."""

    patterns: np.ndarray
    inverse: np.ndarray
    counts: np.ndarray

    def __len__(self) -> int:
        return int(self.counts.size)

    def members(self, bucket: int) -> np.ndarray:
        """Row indices of one bucket, ascending."""
        return np.flatnonzero(self.inverse == bucket)


def bucketize(L: np.ndarray) -> Buckets:
    """Group the rows of an int label matrix (-1 = abstain) into buckets of equal rows.

    Buckets are ordered by their base-(K+1) code, which is the lexicographic order of the
    rows read from the last column to the first; the order is the same for any matrix that
    has the same set of distinct rows.
    """
    L = np.asarray(L)
    n, m = L.shape
    base = int(L.max()) + 2 if L.size else 2
    if m * np.log2(base) < 62:
        powers = base ** np.arange(m, dtype=np.int64)
        # one pass over L: integer mat-vec of the vote rows with the digit weights
        code = np.ascontiguousarray(L, dtype=np.int64) @ powers + int(powers.sum())
        scale = int(base**m)
        if scale <= max(_DENSE_LIMIT, 4 * n):
            counts_all = np.bincount(code, minlength=scale)
            present = np.flatnonzero(counts_all)
            lookup = np.empty(scale, dtype=np.int64)
            lookup[present] = np.arange(present.size)
            inverse = lookup[code]
            counts = counts_all[present]
            codes = present
        else:
            codes, inverse, counts = np.unique(code, return_inverse=True, return_counts=True)
        digits = (codes[:, None] // (base ** np.arange(m, dtype=np.int64))[None, :]) % base
        patterns = (digits - 1).astype(L.dtype if np.issubdtype(L.dtype, np.integer) else np.int64)
        return Buckets(patterns, inverse.astype(np.int64).ravel(), counts.astype(np.int64))
    patterns, inverse, counts = np.unique(L, axis=0, return_inverse=True, return_counts=True)
    return Buckets(patterns, inverse.astype(np.int64).ravel(), counts.astype(np.int64))


def bucket_means(buckets: Buckets, values: np.ndarray) -> np.ndarray:
    """(B, K) mean of per-row `values` (n, K) within each bucket (0 for empty buckets)."""
    values = np.asarray(values, dtype=np.float64)
    B = len(buckets)
    out = np.empty((B, values.shape[1]))
    for c in range(values.shape[1]):
        out[:, c] = np.bincount(buckets.inverse, weights=values[:, c], minlength=B)
    means: np.ndarray = out / np.maximum(buckets.counts, 1)[:, None]
    return means
