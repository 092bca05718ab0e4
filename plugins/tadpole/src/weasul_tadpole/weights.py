"""From anomaly scores to a task-adapted pretraining corpus (paper Sec. 3.2).

Continuous weights: `lambda(s) = sigmoid(C * (alpha - z(s)))` with `z` the anomaly score
standardised over the corpus. Discrete weights: keep the `fraction` of the corpus with the
lowest scores, by segments of `segment_length` consecutive sentences (default 15) so that a
language model never sees two sentences joined that were not adjacent in the corpus.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
from weasul.errors import DataError

__all__ = ["relevance_weights", "segment_ids", "select_segments", "select_lowest", "write_corpus"]


def _scores(scores: Any) -> np.ndarray:
    arr = np.asarray(scores, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise DataError(f"scores must be a non-empty 1-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise DataError("scores contain NaN or inf; check the anomaly scorer")
    return arr


def relevance_weights(scores: Any, *, C: float = 1.0, alpha: float = 0.0) -> np.ndarray:
    """(n,) weights in (0, 1): `1 / (1 + exp(-C * (alpha - z)))`, `z` = standardised scores.

    Low anomaly score -> weight near 1. `C` sets the sharpness (C -> inf gives 0/1 weights
    keeping the rows with z < alpha; C = 0 gives 0.5 everywhere, i.e. no adaptation); `alpha`
    shifts how much of the corpus counts as in-domain. Constant scores give z = 0.
    """
    s = _scores(scores)
    if C < 0:
        raise DataError(f"C must be >= 0, got {C}")
    sd = s.std()
    z = (s - s.mean()) / sd if sd > 0 else np.zeros_like(s)
    x = C * (alpha - z)
    # numerically stable logistic
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out


def select_lowest(scores: Any, fraction: float) -> np.ndarray:
    """(n,) bool: the `round(fraction * n)` rows with the lowest scores (ties by position)."""
    s = _scores(scores)
    if not 0 < fraction <= 1:
        raise DataError(f"fraction must be in (0, 1], got {fraction}")
    k = max(1, int(round(fraction * s.size)))
    keep = np.zeros(s.size, dtype=bool)
    keep[np.argsort(s, kind="stable")[:k]] = True
    return keep


def segment_ids(n: int, segment_length: int, groups: Any = None) -> np.ndarray:
    """(n,) int segment id of each sentence: runs of `segment_length` consecutive sentences.

    With `groups` (n,) (e.g. document ids, equal ids contiguous), a segment never crosses a
    group boundary; the last segment of a group may be shorter.
    """
    if segment_length < 1:
        raise DataError(f"segment_length must be >= 1, got {segment_length}")
    if groups is None:
        return np.arange(n) // segment_length
    g = np.asarray(groups)
    if g.shape != (n,):
        raise DataError(f"groups must have shape ({n},), got {g.shape}")
    starts = np.r_[True, g[1:] != g[:-1]]
    group_no = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    pos_in_group = np.arange(n) - first[group_no]
    # a new segment starts at every group start and every segment_length-th sentence of a group
    new = starts | (pos_in_group % segment_length == 0)
    return np.cumsum(new) - 1


def select_segments(
    scores: Any, *, fraction: float = 0.2, segment_length: int = 15, groups: Any = None
) -> np.ndarray:
    """(n,) bool: sentences of the segments with the lowest mean anomaly score.

    Segments (see `segment_ids`) are ranked by mean score and taken lowest first until at
    least `fraction` of the sentences are kept (the paper's discrete relevance weights).
    """
    s = _scores(scores)
    if not 0 < fraction <= 1:
        raise DataError(f"fraction must be in (0, 1], got {fraction}")
    seg = segment_ids(s.size, segment_length, groups)
    n_seg = int(seg[-1]) + 1
    sizes = np.bincount(seg, minlength=n_seg)
    means = np.bincount(seg, weights=s, minlength=n_seg) / sizes
    order = np.argsort(means, kind="stable")
    target = fraction * s.size
    kept_sizes = np.cumsum(sizes[order])
    n_keep = int(np.searchsorted(kept_sizes, target - 1e-9) + 1)
    chosen = np.zeros(n_seg, dtype=bool)
    chosen[order[:n_keep]] = True
    return cast(np.ndarray, chosen[seg])


def write_corpus(
    texts: Sequence[str],
    keep: Any,
    path: str | Path,
    *,
    weights: Any = None,
    scores: Any = None,
    format: Literal["text", "parquet"] | None = None,
) -> Path:
    """Write the kept sentences in corpus order.

    `text`: one sentence per line, a blank line wherever kept sentences were not adjacent in
    the corpus (so the pieces are never joined). `parquet`: every sentence with its index,
    `keep`, `weight` and `score` columns (the weights for continuous-weight training).
    The format follows the suffix (`.parquet` or anything else = text) unless given.
    """
    keep = np.asarray(keep, dtype=bool)
    if keep.shape != (len(texts),):
        raise DataError(f"keep must have shape ({len(texts)},), got {keep.shape}")
    path = Path(path)
    fmt = format or ("parquet" if path.suffix == ".parquet" else "text")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        import pandas as pd

        frame = pd.DataFrame({"index": np.arange(len(texts)), "text": list(texts), "keep": keep})
        if weights is not None:
            frame["weight"] = np.asarray(weights, dtype=np.float64)
        if scores is not None:
            frame["score"] = np.asarray(scores, dtype=np.float64)
        frame.to_parquet(path, index=False)
        return path
    idx = np.flatnonzero(keep)
    with path.open("w", encoding="utf-8") as handle:
        prev = None
        for i in idx:
            if prev is not None and i != prev + 1:
                handle.write("\n")
            handle.write(texts[int(i)].replace("\n", " ").strip() + "\n")
            prev = i
    return path
