"""Labelled tasks on the shared text domains, and the Table 3 corpus helpers (no torch needed)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from weasul.errors import DataError
from weasul_tadpole.experiments.table3 import _pages, _runs


def _root() -> Path:
    base = os.environ.get("WEASUL_SHARED_DATA") or str(
        Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
    )
    path = Path(base) / "text-domains"
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path}; set WEASUL_SHARED_DATA")
    return path


@pytest.mark.parametrize(
    ("name", "n_classes", "min_sizes"),
    [
        ("cs", 5, (1000, 500, 1000)),
        ("news", 4, (700, 200, 450)),
        ("finance", 3, (450, 150, 300)),
        ("movies", 2, (1000, 350, 700)),
    ],
)
def test_task_splits_are_labelled_and_never_in_the_general_corpus(name, n_classes, min_sizes):
    from weasul_tadpole.corpora import load_corpus
    from weasul_tadpole.tasks import load_task

    root = _root()
    task, corpus = load_task(name, root), load_corpus(name, root)
    sizes = tuple(len(getattr(task, s)) for s in ("train", "dev", "test"))
    assert all(n >= m for n, m in zip(sizes, min_sizes, strict=True)), sizes
    assert len(task.classes) == n_classes
    general = {s for doc in corpus.general for s in doc}
    texts = [set(task.texts(s)) for s in ("train", "dev", "test")]
    assert not (texts[0] & texts[1]) and not (texts[0] & texts[2]) and not (texts[1] & texts[2])
    for split in texts:
        assert not any(t in general for t in split)
    for split in ("train", "test"):
        counts = np.bincount(task.labels(split), minlength=n_classes)
        assert (counts > 0).all() and counts.max() / counts.sum() < 0.65  # every class present, none dominant


def test_unknown_task_is_refused():
    from weasul_tadpole.tasks import load_task

    with pytest.raises(DataError, match="unknown task 'bio'"):
        load_task("bio")


def test_pages_join_consecutive_documents_up_to_the_segment_length():
    docs = [["a"], ["b", "c"], ["d"] * 3, ["e"], ["f"]]
    assert _pages(docs, 3) == [["a", "b", "c"], ["d"] * 3, ["e", "f"]]


def test_runs_split_kept_sentences_at_gaps_and_page_boundaries():
    texts = list("abcdef")
    doc = np.array([0, 0, 0, 1, 1, 1])
    keep = np.array([True, True, False, True, True, True])
    assert _runs(keep, texts, doc) == [["a", "b"], ["d", "e", "f"]]
    keep = np.array([False, True, True, True, False, True])
    assert _runs(keep, texts, doc) == [["b", "c"], ["d"], ["f"]]
