"""How the baseline label models fit from partition statistics (`weasul.statistics`).

`FromStatistics` is the mixin behind each model's `FitsFromStatistics` methods. A model
defines four private pieces:

- `_start(n_sources, n_classes)`: the state before the first pass;
- `_prepare(L, state)`: what one checked partition becomes before its statistics (e.g. its
  distinct vote patterns); done once per partition in memory, once per pass in a distributed fit;
- `_statistics_of(prepared, state)`: the summable arrays of that partition;
- `update_from_statistics` and `finish_from_statistics` (public, from the protocol).

`fit(L)` runs the same passes on one partition (`_fit_in_memory`), so a fit over many
partitions equals it up to the order of floating-point sums. Models done after one pass
get `partial_fit` (running sums of the statistics); `_streaming_refusal` says why a model or
a setting cannot stream.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from weasul.errors import DataError, UnsupportedError
from weasul.statistics import Statistics, iterate_statistics, sum_statistics
from weasul.validation import check_label_matrix, is_sparse

if TYPE_CHECKING:
    from typing import Self

__all__ = [
    "FromStatistics",
    "check_partition",
    "check_sources",
    "source_class_counts",
    "vote_entries",
]


def check_partition(L_part: Any, n_classes: int, n_sources: int) -> Any:
    """A checked partition: dense int64 (n, m) or CSR (stored class + 1); zero rows allowed
    (an empty partition contributes nothing), silent sources and voteless rows allowed (the
    summed statistics decide)."""
    shape = getattr(L_part, "shape", None)
    if shape is not None and len(shape) == 2 and shape[0] == 0:
        if shape[1] != n_sources:
            raise DataError(f"a partition has {shape[1]} sources (columns) but L has {n_sources}")
        return np.zeros((0, n_sources), dtype=np.int64)
    return check_label_matrix(
        L_part,
        n_classes=n_classes,
        n_sources=n_sources,
        name="partition of L",
        allow_silent_sources=True,
        allow_no_votes=True,
        accept_sparse=True,
    )


def vote_entries(L: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, sources, classes) of every vote of a checked dense or CSR L, row-major order."""
    if is_sparse(L):
        rows = np.repeat(np.arange(L.shape[0]), np.diff(L.indptr))
        return rows, np.asarray(L.indices, dtype=np.int64), np.asarray(L.data, dtype=np.int64) - 1
    rows, cols = np.nonzero(L != -1)
    return rows, cols, L[rows, cols]


def source_class_counts(L: Any, n_classes: int, weights: np.ndarray | None = None) -> np.ndarray:
    """(m, K) float: (weighted) number of votes of each source for each class."""
    rows, cols, vals = vote_entries(L)
    w = None if weights is None else weights[rows]
    m = L.shape[1]
    flat = np.bincount(cols * n_classes + vals, weights=w, minlength=m * n_classes)
    return flat.astype(np.float64, copy=False).reshape(m, n_classes)


def check_sources(votes: np.ndarray, n_rows: float, *, partial: bool) -> None:
    """The checks `fit(L)` makes, on summed statistics: at least two rows, a vote, no silent
    source. `partial` (`partial_fit` so far) allows silent sources and a single row."""
    if votes.sum() == 0:
        raise DataError("L has no votes at all (every entry is -1); check the labeling functions")
    if partial:
        return
    if n_rows < 2:
        raise DataError(f"L has {int(n_rows)} row(s); a label model needs at least two items to fit")
    silent = np.flatnonzero(votes.sum(axis=1) == 0)
    if silent.size:
        raise DataError(
            f"L column(s) {silent[:20].tolist()} never vote (all -1); drop those sources or fix them"
        )


def required_classes(model: Any) -> int:
    """`n_classes` of the model's params; statistics are summed, so K must be known up front."""
    k = model.params.n_classes
    if k is None:
        raise DataError(
            f"{type(model).__name__}: set n_classes to fit from partition statistics or with "
            "partial_fit; partitions are only summed, so K must be known before the first pass"
        )
    return int(k)


class FromStatistics:
    """Mixin: the `FitsFromStatistics` protocol from a model's `_start`, `_prepare` and
    `_statistics_of`, the in-memory fit through the same passes, and `partial_fit`."""

    params: Any

    # --- what a model defines -------------------------------------------------------------
    def _start(self, n_sources: int, n_classes: int) -> Statistics:
        raise NotImplementedError

    def _prepare(self, L: Any, state: Mapping[str, np.ndarray]) -> Any:
        return L

    def _statistics_of(self, prepared: Any, state: Mapping[str, np.ndarray]) -> Statistics:
        raise NotImplementedError

    def _streaming_refusal(self) -> str | None:
        """Why this model (with these params) has no `partial_fit`; None when it has."""
        return None

    def update_from_statistics(
        self, summed: Mapping[str, np.ndarray], state: Mapping[str, np.ndarray]
    ) -> tuple[Statistics, bool]:
        raise NotImplementedError

    def finish_from_statistics(self, state: Mapping[str, np.ndarray]) -> Self:
        raise NotImplementedError

    # --- the protocol ---------------------------------------------------------------------
    def statistics_start(self, n_sources: int) -> Statistics:
        """The state before the first pass over partitions of an L with `n_sources` columns.
        Raises DataError when `n_classes` is not set (K must be known before summing)."""
        return self._start(int(n_sources), required_classes(self))

    def partition_statistics(self, L_part: Any, state: Mapping[str, np.ndarray]) -> Statistics:
        """Summable statistics of one partition (dense int, -1 = abstain, or scipy.sparse with
        stored class + 1) given `state`; see `weasul.statistics.FitsFromStatistics`."""
        L = check_partition(L_part, int(state["n_classes"]), int(state["n_sources"]))
        return self._statistics_of(self._prepare(L, state), state)

    def prepare_partition(self, L_part: Any) -> Any:
        """Partition `L_part` in the form its statistics are computed from (e.g. distinct vote
        patterns and their vote matrix), to keep between passes (`weasul.statistics.PreparesPartitions`).
        Needs `n_classes`; raises DataError on a malformed partition."""
        k = required_classes(self)
        shape = getattr(L_part, "shape", None)
        if shape is None or len(shape) != 2:
            raise DataError("a partition of L must be 2-D (n_items, n_sources)")
        L = check_partition(L_part, k, int(shape[1]))
        return self._prepare(L, {"n_classes": np.array(k), "n_sources": np.array(shape[1])})

    def prepared_statistics(self, prepared: Any, state: Mapping[str, np.ndarray]) -> Statistics:
        """`partition_statistics` of a partition made by `prepare_partition`."""
        return self._statistics_of(prepared, state)

    # --- in memory and streaming ----------------------------------------------------------
    def _fit_in_memory(self, L: Any, n_classes: int) -> Self:
        """Fit on one checked partition through the statistics passes; `partial_fit` then
        continues from its sums (one-pass models)."""
        start = self._start(L.shape[1], n_classes)
        prepared = self._prepare(L, start)
        summed_first: list[Statistics] = []

        def one_pass(state: Statistics) -> Statistics:
            stats = self._statistics_of(prepared, state)
            if not summed_first:
                summed_first.append(stats)
            return stats

        iterate_statistics(self, one_pass, start)
        self._stream = (start, summed_first[0]) if self._streaming_refusal() is None else None
        return self

    def partial_fit(self, L_chunk: Any) -> Self:
        """Add the rows of `L_chunk` (n, m) to everything fitted so far (`fit` and earlier
        `partial_fit` calls) and refit: after the last chunk the parameters equal those of
        `fit` on all rows. Dense (-1 = abstain) or scipy.sparse chunks (stored class + 1).
        Sources may be silent in the chunks seen so far. Needs `n_classes` unless `fit` ran first.
        The running sums live in memory only: a saved and loaded model starts them anew.

        Raises UnsupportedError for models that need several passes over all rows (the
        message names them), DataError on a malformed chunk or a chunk with other sources
        (the chunk is then ignored), and DataError when the rows so far do not identify the
        model (e.g. triplet on a few rows: the chunk is kept, later chunks may succeed).
        """
        reason = self._streaming_refusal()
        if reason is not None:
            raise UnsupportedError(f"{type(self).__name__}.partial_fit: {reason}")
        shape = getattr(L_chunk, "shape", None)
        if shape is None or len(shape) != 2:
            raise DataError("partial_fit takes a 2-D label-matrix chunk (n_items, n_sources)")
        stream: tuple[Statistics, Statistics] | None = getattr(self, "_stream", None)
        if stream is None:
            start = self.statistics_start(shape[1])
            summed = self.partition_statistics(L_chunk, start)
        else:
            start, summed = stream
            if shape[1] != int(start["n_sources"]):
                raise DataError(
                    f"this chunk has {shape[1]} sources but earlier rows had {int(start['n_sources'])}; "
                    "every chunk needs the same sources in the same order"
                )
            summed = sum_statistics(summed, self.partition_statistics(L_chunk, start))
        # the rows count even when the estimate below refuses them (too few rows so far)
        self._stream = (start, summed)
        state, done = self.update_from_statistics(summed, {**start, "partial": np.array(True)})
        if not done:  # a one-pass model's update is always done
            raise UnsupportedError(f"{type(self).__name__}.partial_fit: the fit needs several passes")
        return self.finish_from_statistics(state)
