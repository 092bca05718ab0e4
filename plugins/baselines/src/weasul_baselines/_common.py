"""Helpers shared by the baseline label models: input checks, class prior, tie-breaking."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
from weasul.errors import DataError
from weasul.validation import check_label_matrix, infer_n_classes, is_sparse

from weasul_baselines._statistics import vote_entries

__all__ = [
    "check_fit_matrix",
    "resolve_prior",
    "vote_counts",
    "dense_rows",
    "one_hot_votes",
    "row_hash",
    "break_ties",
    "row_max",
    "row_sum",
]

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
#: Up to this many columns `row_max` / `row_sum` loop over the columns: numpy's reduction
#: along a short last axis costs about 80 ns a row (1.6 ms for 20,000 x 2), the loop 1-2 ns
#: an entry; from about 8 columns on the two are alike.
_FEW_COLUMNS = 8


def row_max(x: np.ndarray) -> np.ndarray:
    """(n,) maximum of each row of a 2-D array with at least one column: `x.max(axis=1)`."""
    if x.shape[1] > _FEW_COLUMNS:
        return cast(np.ndarray, x.max(axis=1))
    out = x[:, 0].copy()
    for c in range(1, x.shape[1]):  # loop over the few columns
        np.maximum(out, x[:, c], out=out)
    return out


def row_sum(x: np.ndarray) -> np.ndarray:
    """(n,) sum of each row of a 2-D array: `x.sum(axis=1)` (for a float array with few
    columns summed left to right, which may differ from numpy's order in the last bit)."""
    if x.shape[1] > _FEW_COLUMNS or x.shape[1] == 0 or x.dtype.kind != "f":
        return cast(np.ndarray, x.sum(axis=1))
    out = x[:, 0].copy()
    for c in range(1, x.shape[1]):  # loop over the few columns
        out += x[:, c]
    return out


def check_fit_matrix(
    L: object, n_classes: int | None, *, accept_sparse: bool = False, allow_silent_sources: bool = False
) -> tuple[Any, int]:
    """Check a training label matrix and return it (int64, or CSR with `accept_sparse`) with K.

    Refuses one-row matrices: nothing can be estimated from a single item. `allow_silent_sources`
    for a caller that checks them on its own statistics (the column-wise check is a slow pass:
    about half of the whole check at 1M x 10).
    """
    arr = check_label_matrix(
        L, n_classes=n_classes, accept_sparse=accept_sparse, allow_silent_sources=allow_silent_sources
    )
    if arr.shape[0] < 2:
        raise DataError(
            f"L has a single row (shape {arr.shape}); a label model needs at least two items to fit"
        )
    if is_sparse(arr):
        return arr, n_classes if n_classes is not None else max(2, int(arr.data.max()))
    return arr, infer_n_classes(arr, n_classes)


def resolve_prior(class_prior: Sequence[float] | None, n_classes: int) -> np.ndarray | None:
    """The user's class prior as a checked (K,) array, or None when not given."""
    if class_prior is None:
        return None
    prior = np.asarray(class_prior, dtype=np.float64)
    if prior.shape != (n_classes,):
        raise DataError(f"class_prior has {prior.size} entries but n_classes={n_classes}; give one per class")
    if not np.all(np.isfinite(prior)) or prior.min() < 0 or prior.sum() <= 0:
        raise DataError("class_prior must be non-negative finite numbers with a positive sum")
    if abs(prior.sum() - 1) > 1e-6:
        raise DataError(f"class_prior sums to {prior.sum():.6f}; it must sum to 1")
    return prior


def vote_counts(L: Any, n_classes: int, weights: np.ndarray | None = None) -> np.ndarray:
    """(n, K) float: number (or weight sum) of votes per class for each row, abstains ignored.
    `L` dense (-1 = abstain) or CSR (stored class + 1)."""
    n = L.shape[0]
    rows, cols, vals = vote_entries(L)
    w = None if weights is None else np.asarray(weights, dtype=np.float64)[cols]
    flat = np.bincount(rows * n_classes + vals, weights=w, minlength=n * n_classes)
    return flat.astype(np.float64, copy=False).reshape(n, n_classes)


def dense_rows(L: Any, rows: np.ndarray) -> np.ndarray:
    """Rows `rows` of a dense or CSR label matrix as dense int64 (-1 = abstain)."""
    if not is_sparse(L):
        return cast(np.ndarray, L[rows])
    sub = L[rows]
    out = np.full(sub.shape, -1, dtype=np.int64)
    r = np.repeat(np.arange(sub.shape[0]), np.diff(sub.indptr))
    out[r, sub.indices] = np.asarray(sub.data) - 1
    return out


def one_hot_votes(L: np.ndarray, n_classes: int) -> np.ndarray:
    """(n, m*K) 0/1 float64 indicator: column j*K + c is 1 where source j votes c."""
    n, m = L.shape
    out = np.zeros((n, m * n_classes), dtype=np.float64)
    rows, cols = np.nonzero(L != -1)
    out[rows, cols * n_classes + L[rows, cols]] = 1.0
    return out


def _splitmix64(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        x = (x + np.uint64(0x9E3779B97F4A7C15)) & _MASK64
        x = ((x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK64
        x = ((x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK64
        return x ^ (x >> np.uint64(31))


def row_hash(L: np.ndarray, seed: int) -> np.ndarray:
    """(n,) uint64 hash of each row's content and `seed`: equal rows hash equally, whatever
    their position, so a random tie-break gives the same answer to the same vote pattern."""
    n, m = L.shape
    h = np.full(n, np.uint64(seed) & _MASK64, dtype=np.uint64)
    vals = (L + 1).astype(np.uint64)
    for j in range(m):  # loop over sources (columns), not rows
        h = _splitmix64(h ^ _splitmix64(vals[:, j] + np.uint64(j) * np.uint64(0x100000001B3)))
    return h


def break_ties(scores: np.ndarray, L: np.ndarray, seed: int, rtol: float = 1e-9) -> np.ndarray:
    """Index of the maximum of each row of `scores`, ties broken at random by a hash of the row
    of `L` and `seed` (reproducible, order-independent)."""
    n, k = scores.shape
    top = scores.max(axis=1, keepdims=True)
    tied = scores >= top - rtol * np.maximum(1.0, np.abs(top))
    h = row_hash(L, seed)
    keys = _splitmix64(h[:, None] ^ (np.arange(1, k + 1, dtype=np.uint64)[None, :] * np.uint64(0x9E3779B1)))
    keys = np.where(tied, keys, np.uint64(0))
    return cast(np.ndarray, keys.argmax(axis=1))


def row_codes(L: np.ndarray, n_classes: int) -> np.ndarray:
    """(n,) int64 code of each row of a dense L in base K+1 (digit = vote + 1, first source
    most significant); needs m * log2(K+1) <= 62 so that every code fits."""
    n, m = L.shape
    base = n_classes + 1
    space = base**m
    weights = base ** np.arange(m - 1, -1, -1, dtype=np.int64)
    if space <= 1 << 24 and base <= 127:
        # exact in float32: one narrow copy and a BLAS matrix-vector product
        small = L.astype(np.int8)
        small += 1
        return (small.astype(np.float32) @ weights.astype(np.float32)).astype(np.int64)
    if space <= 1 << 53:
        return ((L + 1).astype(np.float64) @ weights.astype(np.float64)).astype(np.int64)
    code = np.zeros(n, dtype=np.int64)
    for j in range(m):  # loop over sources
        code *= base
        code += L[:, j] + 1
    return code


def compress_rows(L: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct rows of `L` with their counts: (patterns (u, m), counts (u,), inverse (n,)).

    Label models depend on a row only through its vote pattern, so statistics and posteriors
    are computed once per pattern (1M rows x 10 binary sources have at most 3^10 patterns).
    Rows are coded in base K+1; when that code does not fit in 62 bits every row is its own
    pattern (no compression).
    """
    n, m = L.shape
    base = n_classes + 1
    if m * np.log2(base) > 62:
        return L, np.ones(n, dtype=np.float64), np.arange(n)
    space = base**m
    code = row_codes(L, n_classes)
    if space <= 1 << 22:
        counts_all = np.bincount(code, minlength=space)
        uniq = np.flatnonzero(counts_all)
        counts = counts_all[uniq].astype(np.float64)
        lookup = np.zeros(space, dtype=np.int64)
        lookup[uniq] = np.arange(uniq.size)
        inverse = lookup[code]
    else:
        uniq, inverse, counts_i = np.unique(code, return_inverse=True, return_counts=True)
        counts = counts_i.astype(np.float64)
        if uniq.size > 0.5 * n:
            return L, np.ones(n, dtype=np.float64), np.arange(n)
    patterns = np.empty((uniq.size, m), dtype=np.int64)
    rest = uniq.copy()
    for j in range(m - 1, -1, -1):
        patterns[:, j] = rest % base - 1
        rest //= base
    return patterns, counts, inverse
