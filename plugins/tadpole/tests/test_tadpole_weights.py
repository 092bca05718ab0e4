"""Relevance weights and segment selection (paper Sec. 3.2) on hand-checkable inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from weasul.errors import DataError
from weasul_tadpole import relevance_weights, segment_ids, select_lowest, select_segments, write_corpus


def test_continuous_weights_follow_the_formula():
    scores = np.array([0.0, 1.0, 2.0, 3.0, 10.0])
    z = (scores - scores.mean()) / scores.std()
    for C, alpha in [(1.0, 0.0), (3.0, 0.5), (0.2, -1.0)]:
        expected = 1 / (1 + np.exp(-C * (alpha - z)))
        np.testing.assert_allclose(relevance_weights(scores, C=C, alpha=alpha), expected, rtol=1e-12)
    w = relevance_weights(scores, C=2.0)
    assert np.all(np.diff(w) < 0), "lower anomaly score must give a higher weight"


def test_continuous_weight_limits():
    scores = np.random.default_rng(0).normal(size=1000)
    np.testing.assert_allclose(relevance_weights(scores, C=0.0), 0.5)
    sharp = relevance_weights(scores, C=1e6, alpha=0.3)
    z = (scores - scores.mean()) / scores.std()
    np.testing.assert_array_equal(sharp > 0.5, z < 0.3)
    assert set(np.round(sharp, 6)) <= {0.0, 1.0}
    np.testing.assert_allclose(relevance_weights(np.ones(4)), 0.5)  # constant scores: z = 0


def test_weights_refuse_bad_scores():
    with pytest.raises(DataError):
        relevance_weights([])
    with pytest.raises(DataError):
        relevance_weights([0.0, np.nan])
    with pytest.raises(DataError):
        relevance_weights([0.0, 1.0], C=-1)


def test_select_lowest():
    keep = select_lowest([5.0, 1.0, 3.0, 0.0, 9.0], 0.4)
    np.testing.assert_array_equal(keep, [False, True, False, True, False])
    with pytest.raises(DataError):
        select_lowest([1.0], 0.0)


def test_segment_ids_with_and_without_groups():
    np.testing.assert_array_equal(segment_ids(7, 3), [0, 0, 0, 1, 1, 1, 2])
    groups = np.array([0, 0, 0, 0, 1, 1, 2])
    np.testing.assert_array_equal(segment_ids(7, 3, groups), [0, 0, 0, 1, 2, 2, 3])


def test_select_segments_keeps_whole_lowest_segments():
    # segments of 3: means 5, 1, 9, 2 -> keep segments 1 and 3 for a 50% budget
    scores = np.array([5, 5, 5, 0, 1, 2, 9, 9, 9, 2, 2, 2], dtype=float)
    keep = select_segments(scores, fraction=0.5, segment_length=3)
    np.testing.assert_array_equal(keep, [0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1])
    # a budget that is not a multiple of the segment size rounds up to whole segments
    keep = select_segments(scores, fraction=0.3, segment_length=3)
    assert keep.sum() == 6 and keep[3:6].all() and keep[9:].all()


def test_segments_beat_sentences_on_contiguous_domains():
    rng = np.random.default_rng(0)
    # 40 blocks of 15 sentences, every 5th block in-domain (low scores) with noisy sentences
    in_block = np.repeat(np.arange(40) % 5 == 0, 15)
    scores = np.where(in_block, 0.0, 1.0) + rng.normal(scale=0.8, size=in_block.size)
    seg = select_segments(scores, fraction=0.2, segment_length=15)
    sent = select_lowest(scores, 0.2)
    assert in_block[seg].mean() > in_block[sent].mean()
    assert in_block[seg].mean() > 0.9


def test_write_corpus_text_and_parquet(tmp_path):
    texts = [f"sentence {i}." for i in range(6)]
    keep = np.array([1, 1, 0, 1, 0, 1], dtype=bool)
    path = write_corpus(texts, keep, tmp_path / "kept.txt")
    assert path.read_text().split("\n") == [
        "sentence 0.",
        "sentence 1.",
        "",
        "sentence 3.",
        "",
        "sentence 5.",
        "",
    ]
    path = write_corpus(
        texts, keep, tmp_path / "kept.parquet", weights=np.linspace(0, 1, 6), scores=np.arange(6.0)
    )
    frame = pd.read_parquet(path)
    assert list(frame.columns) == ["index", "text", "keep", "weight", "score"]
    assert frame["keep"].tolist() == keep.tolist() and frame["text"].tolist() == texts
    with pytest.raises(DataError):
        write_corpus(texts, keep[:3], tmp_path / "bad.txt")
