"""Fitting label models from statistics summed over partitions of L.

A distributed or streaming fit never holds the whole label matrix: each pass maps a function
over the partitions, every partition returns a dict of fixed-shape numpy arrays (vote counts,
the overlap matrix O = psi^T psi of the one-hot votes, E-step sufficient counts for
Dawid-Skene, ...), and the dicts are summed elementwise. A model that can be fitted this way
implements `FitsFromStatistics`:

1. `state = model.statistics_start(n_sources)`: the starting state (current parameters; empty
   for closed forms);
2. per pass: `summed = map_sum(fn)` with `fn(L_part) = model.partition_statistics(L_part,
   state)`, then `state, done = model.update_from_statistics(summed, state)`;
3. `model.finish_from_statistics(state)` sets the fitted attributes, after which `predict` and
   `predict_proba` work exactly as after `fit(L)`.

Closed forms (majority vote, matrix completion's moments, the triplet moments) are done after
one pass; iterative ones (weighted vote's re-weighting rounds, Dawid-Skene's EM) after their
rounds. `fit(L)` of those models runs the same updates on one partition, so a fit over many
partitions gives the parameters of the in-memory fit up to the order of floating-point sums.
A statistic whose size depends on the data (e.g. `auto`'s histogram of distinct rows) is a 0-d
object array holding a value whose `+` merges two partitions' values; `sum_statistics` adds it
like any other entry.

Partitions are dense int label matrices (-1 = abstain) or scipy.sparse matrices with stored
value = class + 1 (an implicit zero is an abstain; see `weasul.validation.to_sparse_votes`).
`fn` is a plain picklable callable (a `functools.partial` of a bound method), so a Dask
executor can ship it to process workers with cloudpickle; that is transport, nothing is
persisted with pickle.

`map_sum` for the common cases: in memory `lambda fn: fn(L)`; over a re-iterable collection of
chunks `map_sum_over(chunks)`; for a Dask array, a function that runs `fn` on every block on
the workers and tree-sums the dicts with `sum_statistics`. Iterative fits run one pass per
iteration; a model that also implements `PreparesPartitions` lets the executor prepare each
partition once (`prepare_partition`, kept on its worker) and pass `prepared=True`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, cast, runtime_checkable

import numpy as np

from weasul.errors import DataError, UnsupportedError

__all__ = [
    "FitsFromStatistics",
    "MapSum",
    "PartitionFn",
    "PreparesPartitions",
    "Statistics",
    "fit_from_statistics",
    "iterate_statistics",
    "map_sum_over",
    "sum_statistics",
]

#: Summable statistics or model state: names to numpy arrays.
Statistics = dict[str, np.ndarray]
#: What runs on one partition: L_part -> statistics.
PartitionFn = Callable[[Any], Statistics]
#: Apply a partition function to every partition and return the elementwise sum.
MapSum = Callable[[PartitionFn], Statistics]

#: A pass limit no model needs (EM stops at its max_iter): a guard against an update that
#: never says done.
MAX_PASSES = 100_000


@runtime_checkable
class FitsFromStatistics(Protocol):
    """A label model that fits from statistics summed over partitions of L (module docstring)."""

    def statistics_start(self, n_sources: int) -> Statistics:
        """The state before the first pass, for a label matrix with `n_sources` columns.

        Raises UnsupportedError when these params cannot be fitted from statistics, and
        DataError when something the statistics need is unknown (e.g. `n_classes`)."""
        ...

    def partition_statistics(self, L_part: Any, state: Mapping[str, np.ndarray]) -> Statistics:
        """Summable arrays of one partition `L_part` (n_part, n_sources), dense int (-1 =
        abstain) or scipy.sparse (stored value = class + 1), given the current `state`. The
        keys and shapes depend only on `state`, never on the partition (a partition may have
        zero rows). Raises DataError on a malformed partition."""
        ...

    def update_from_statistics(
        self, summed: Mapping[str, np.ndarray], state: Mapping[str, np.ndarray]
    ) -> tuple[Statistics, bool]:
        """The new state from the statistics summed over all partitions, and whether the fit
        is done. Raises DataError where `fit(L)` would (e.g. a source that never votes)."""
        ...

    def finish_from_statistics(self, state: Mapping[str, np.ndarray]) -> Any:
        """Set the fitted attributes from the final state; returns the model."""
        ...


@runtime_checkable
class PreparesPartitions(Protocol):
    """Optional, for iterative fits: a partition turned once into the form its statistics are
    computed from (e.g. Dawid-Skene's vote matrix of the distinct rows), kept where the
    partition lives (a Dask worker) across passes, so no pass rebuilds it.
    `prepared_statistics(prepare_partition(L), state) == partition_statistics(L, state)`."""

    def prepare_partition(self, L_part: Any) -> Any:
        """The prepared form of partition `L_part` (picklable; independent of the state)."""
        ...

    def prepared_statistics(self, prepared: Any, state: Mapping[str, np.ndarray]) -> Statistics:
        """`partition_statistics` of the partition `prepared` was made from."""
        ...


def sum_statistics(a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray]) -> Statistics:
    """Elementwise sum of two statistics dicts with the same keys and shapes (the reduction a
    tree-sum over partitions uses). Raises DataError when keys or shapes differ."""
    if set(a) != set(b):
        raise DataError(
            f"partition statistics have different keys ({sorted(a)} vs {sorted(b)}); every "
            "partition must be computed with the same state"
        )
    out: Statistics = {}
    for key in a:
        x, y = np.asarray(a[key]), np.asarray(b[key])
        if x.shape != y.shape:
            raise DataError(
                f"partition statistic {key!r} has shapes {x.shape} and {y.shape}; every partition "
                "must have the same number of sources"
            )
        out[key] = x + y
    return out


def map_sum_over(chunks: Iterable[Any] | Callable[[], Iterable[Any]]) -> MapSum:
    """A `map_sum` over label-matrix chunks: a list (or other re-iterable collection) of
    partitions, or a function returning a fresh iterator of them each time (e.g. reading
    row groups from disk), since iterative fits need several passes.

    Raises DataError for a one-shot iterator (a second pass would see nothing) and for no chunks.
    """
    if not callable(chunks) and iter(chunks) is chunks:
        raise DataError(
            "map_sum_over got a one-shot iterator; iterative fits (Dawid-Skene, weighted vote) "
            "read the data several times: pass a list of chunks or a function returning a fresh iterator"
        )

    def map_sum(fn: PartitionFn) -> Statistics:
        total: Statistics | None = None
        for part in chunks() if callable(chunks) else chunks:
            stats = fn(part)
            total = stats if total is None else sum_statistics(total, stats)
        if total is None:
            raise DataError("map_sum_over: no chunks; pass at least one label-matrix chunk")
        return total

    return map_sum


def _check_statistics(summed: Any, model: object) -> Statistics:
    if not isinstance(summed, Mapping) or not all(isinstance(k, str) for k in summed):
        raise DataError(
            f"map_sum returned {type(summed).__name__}; it must return the elementwise sum of the "
            f"dicts {type(model).__name__}.partition_statistics returns (str -> numpy array)"
        )
    return {k: np.asarray(v) for k, v in summed.items()}


def iterate_statistics(
    model: FitsFromStatistics,
    statistics: Callable[[Statistics], Statistics],
    state: Statistics,
    progress: Callable[[int], None] | None = None,
) -> Any:
    """The pass loop shared by `fit_from_statistics` and the models' in-memory `fit`: from the
    start `state`, `statistics(state)` returns the summed statistics of one pass, then
    `update_from_statistics` gives the next state, until done. Returns the fitted model."""
    for n_pass in range(1, MAX_PASSES + 1):
        summed = _check_statistics(statistics(state), model)
        state, done = model.update_from_statistics(summed, state)
        if progress is not None:
            progress(n_pass)
        if done:
            return model.finish_from_statistics(state)
    raise DataError(f"{type(model).__name__} did not finish within {MAX_PASSES} passes over the data")


def fit_from_statistics(
    model: object,
    map_sum: MapSum,
    n_sources: int,
    progress: Callable[[int], None] | None = None,
    *,
    prepared: bool = False,
) -> Any:
    """Fit `model` from statistics summed over partitions; returns the fitted model.

    map_sum: applies `fn(L_part) -> dict` to every partition of L and returns the elementwise
      sum (see the module docstring); called once per pass.
    n_sources: the number of columns of L (every partition has them all).
    progress: called with the number of passes done after each pass.
    prepared: the partitions `map_sum` passes to `fn` are `model.prepare_partition(L_part)`
      (`PreparesPartitions`), made once and kept between passes.

    Raises UnsupportedError when the model does not implement `FitsFromStatistics` (fit it in
    memory with `fit(L)`) or, with `prepared`, `PreparesPartitions`; DataError on bad data or
    statistics.
    """
    if not isinstance(model, FitsFromStatistics):
        raise UnsupportedError(
            f"{type(model).__name__} cannot be fitted from partition statistics (it does not "
            "implement weasul.statistics.FitsFromStatistics); fit it in memory with fit(L), or use "
            "majority-vote, weighted-vote, dawid-skene, matrix-completion or triplet"
        )
    if int(n_sources) < 1:
        raise DataError(f"n_sources must be at least 1, got {n_sources}")

    if prepared and not isinstance(model, PreparesPartitions):
        raise UnsupportedError(
            f"{type(model).__name__} has no prepare_partition/prepared_statistics "
            "(weasul.statistics.PreparesPartitions); pass the label-matrix partitions themselves"
        )
    statistics: Callable[..., Statistics] = (
        cast(PreparesPartitions, model).prepared_statistics if prepared else model.partition_statistics
    )

    def one_pass(state: Statistics) -> Statistics:
        return map_sum(functools.partial(statistics, state=state))

    return iterate_statistics(model, one_pass, model.statistics_start(int(n_sources)), progress)
