"""Score a corpus in chunks: memory stays flat in corpus size; chunks run on Dask when asked.

`iter_scores` is the streaming core (a generator of per-chunk scores); `score_corpus`
collects them; `score_rows` does the same for an embedded feature matrix. With an
`Executor(ExecutorSpec(kind="dask"))`, a window of chunks (2 per worker) is scored
partition-wise at a time, so the corpus is never materialised on the client.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any

import numpy as np
from weasul.errors import DataError
from weasul.progress import track

if TYPE_CHECKING:
    from weasul.executor import Executor
    from weasul.interfaces import AnomalyScorer, Encoder

__all__ = ["iter_chunks", "iter_scores", "score_corpus", "score_rows"]


def iter_chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive lists of `size` items (the last may be shorter)."""
    if size < 1:
        raise DataError(f"chunk size must be >= 1, got {size}")
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


class _EncodeScore:
    """A picklable `texts -> scores` function (for Dask workers in other processes)."""

    def __init__(self, encoder: Encoder | None, scorer: AnomalyScorer) -> None:
        self.encoder, self.scorer = encoder, scorer

    def __call__(self, chunk: Any) -> np.ndarray:
        X = chunk if self.encoder is None else self.encoder.encode(chunk)
        return np.asarray(self.scorer.score(X), dtype=np.float64)


def _run(
    func: Callable[[Any], np.ndarray], chunks: Iterable[Any], executor: Executor | None
) -> Iterator[np.ndarray]:
    if executor is None or executor.spec.kind == "local":
        for chunk in chunks:
            yield func(chunk)
        return
    window = executor.spec.partitions or 2 * executor.spec.n_workers
    it = iter(chunks)
    while group := list(islice(it, window)):
        stacked = executor.map_chunks(func, group)
        sizes = np.cumsum([len(c) for c in group])[:-1]
        yield from np.split(stacked, sizes)


def iter_scores(
    texts: Iterable[str],
    *,
    encoder: Encoder | None,
    scorer: AnomalyScorer,
    chunk_size: int = 2048,
    executor: Executor | None = None,
    total: int | None = None,
) -> Iterator[np.ndarray]:
    """Yield (len(chunk),) anomaly scores per chunk of `texts`, in order.

    `encoder=None` means the items are already feature rows. Nothing but one window of chunks
    is held in memory at a time.
    """
    scorer.check_fitted()
    n_chunks = None if total is None else -(-total // chunk_size)
    chunks = track(iter_chunks(texts, chunk_size), total=n_chunks, desc="scoring corpus")
    yield from _run(_EncodeScore(encoder, scorer), chunks, executor)


def score_corpus(
    texts: Iterable[str],
    *,
    encoder: Encoder | None,
    scorer: AnomalyScorer,
    chunk_size: int = 2048,
    executor: Executor | None = None,
    total: int | None = None,
) -> np.ndarray:
    """(n,) float64 anomaly scores of a (possibly streamed) corpus; see `iter_scores`."""
    parts = list(
        iter_scores(
            texts, encoder=encoder, scorer=scorer, chunk_size=chunk_size, executor=executor, total=total
        )
    )
    if not parts:
        raise DataError("the corpus is empty; nothing to score")
    return np.concatenate(parts)


def score_rows(
    X: np.ndarray, scorer: AnomalyScorer, *, chunk_size: int = 8192, executor: Executor | None = None
) -> np.ndarray:
    """(n,) scores of feature rows, scored in row chunks (partition-wise on Dask when asked)."""
    chunks = (X[i : i + chunk_size] for i in range(0, len(X), chunk_size))
    parts = list(_run(_EncodeScore(None, scorer), chunks, executor))
    if not parts:
        raise DataError("X is empty; nothing to score")
    return np.concatenate(parts)
