"""Chunked and partition-wise (Dask) scoring give the same scores as one pass."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from weasul.executor import Executor, ExecutorSpec
from weasul.interfaces import Encoder
from weasul.params import WeasulParams
from weasul_tadpole import KNNScorer, iter_scores, score_corpus, score_rows
from weasul_tadpole.streaming import iter_chunks


class HashEncoder(Encoder):
    """A cheap deterministic text encoder for streaming tests (bag of hashed characters)."""

    input_kind = "text"  # type: ignore[assignment]

    class Params(WeasulParams):
        dim: int = 16

    def fit(self, X, y=None, *, groups=None):
        self.dim_ = self.params.dim
        return self

    def encode(self, X):
        out = np.zeros((len(X), self.dim_))
        for i, text in enumerate(X):
            codes = np.frombuffer(text.encode(), dtype=np.uint8)
            np.add.at(out[i], codes % self.dim_, 1.0)
        return out / np.maximum(out.sum(axis=1, keepdims=True), 1)


def _corpus(n: int):
    for i in range(n):
        yield ("alpha beta gamma " if i % 3 else "zzz yyy xxx ") + str(i)


@pytest.fixture(scope="module")
def fitted():
    enc = HashEncoder().fit(None)
    scorer = KNNScorer(n_neighbors=3).fit(enc.encode(["alpha beta gamma " + str(i) for i in range(50)]))
    return enc, scorer


def test_chunks():
    assert [len(c) for c in iter_chunks(range(10), 4)] == [4, 4, 2]


def test_streamed_scores_equal_one_pass(fitted):
    enc, scorer = fitted
    texts = list(_corpus(1000))
    direct = scorer.score(enc.encode(texts))
    streamed = score_corpus(_corpus(1000), encoder=enc, scorer=scorer, chunk_size=97)
    np.testing.assert_allclose(streamed, direct)
    assert streamed[0] > np.median(streamed)  # "zzz" lines are the anomalies


def test_dask_partitions_equal_local(fitted):
    enc, scorer = fitted
    local = score_corpus(_corpus(600), encoder=enc, scorer=scorer, chunk_size=50)
    with Executor(ExecutorSpec(kind="dask", n_workers=2, processes=False)) as ex:
        dask = score_corpus(_corpus(600), encoder=enc, scorer=scorer, chunk_size=50, executor=ex)
        X = enc.encode(list(_corpus(600)))
        rows = score_rows(X, scorer, chunk_size=64, executor=ex)
    np.testing.assert_allclose(dask, local)
    np.testing.assert_allclose(rows, local)


def test_memory_is_flat_in_corpus_size(fitted):
    enc, scorer = fitted

    def peak(n: int) -> int:
        tracemalloc.start()
        total = 0
        for part in iter_scores(_corpus(n), encoder=enc, scorer=scorer, chunk_size=200):
            total += part.size
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert total == n
        return top

    small, large = peak(2_000), peak(8_000)
    assert large < 1.5 * small
