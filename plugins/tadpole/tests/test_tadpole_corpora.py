"""Readers of the shared text-domains corpora (skipped when the shared data is absent)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from weasul.errors import DataError
from weasul_tadpole import CORPORA, load_corpus
from weasul_tadpole.corpora import split_sentences
from weasul_tadpole.experiments._common import PAPER_SHARES, build_mix


def _root() -> Path:
    try:
        from weasul.testing import shared_data

        return Path(shared_data("text-domains"))
    except ImportError:
        base = os.environ.get("WEASUL_SHARED_DATA") or str(
            Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
        )
        path = Path(base) / "text-domains"
        if not path.is_dir():
            pytest.skip(f"shared data not found at {path}; set WEASUL_SHARED_DATA")
        return path


@pytest.fixture(scope="module")
def corpora():
    root = _root()
    return {name: load_corpus(name, root) for name in CORPORA}


def test_sizes_and_disjoint_parts(corpora):
    # CSAbstruct repeats 12% of its test sentences in train; those are dropped from the task part
    expected_docs = {"bio": (592, 100, 100), "cs": (1668, 200, 289), "finance": (3878, 484, 480)}
    for name, (g, t, h) in expected_docs.items():
        c = corpora[name]
        assert (len(c.general), len(c.task), len(c.heldout)) == (g, t, h)
    assert (
        len(corpora["movies"].general) + len(corpora["movies"].task) + len(corpora["movies"].heldout) == 10662
    )
    for c in corpora.values():
        general = set(c.sentences(c.general))
        task = set(c.sentences(c.task))
        heldout = set(c.sentences(c.heldout))
        assert not general & task and not general & heldout and not task & heldout, c.name
        assert all(isinstance(s, str) and s.strip() for s in task)


def test_text_is_clean(corpora):
    news = corpora["news"].sentences(corpora["news"].general, limit=2000)
    assert not any("\\" in s or "#36;" in s for s in news)
    finance = corpora["finance"].sentences(corpora["finance"].general)
    assert not any(s.endswith(("@neutral", "@positive", "@negative")) for s in finance)


def test_mix_has_the_requested_shares_and_whole_documents(corpora):
    sizes = {k: int(round(v * 1000)) for k, v in PAPER_SHARES.items()}
    mix = build_mix(corpora, sizes, seed=0)
    shares = mix.shares()
    for name, share in PAPER_SHARES.items():
        assert shares[name] == pytest.approx(share, abs=0.002)
    # documents are contiguous: each doc id forms one run
    changes = np.flatnonzero(np.r_[True, mix.doc[1:] != mix.doc[:-1]])
    assert len(changes) == len(np.unique(mix.doc))
    smaller = build_mix(corpora, {k: v // 2 for k, v in sizes.items()}, seed=0)
    assert set(smaller.texts) <= set(mix.texts)


def test_split_sentences_and_errors(tmp_path):
    assert split_sentences("One fact. Another fact (2001)! A 3rd? e.g. this stays.") == [
        "One fact.",
        "Another fact (2001)!",
        "A 3rd? e.g. this stays.",
    ]
    with pytest.raises(DataError, match="unknown corpus"):
        load_corpus("poetry", tmp_path)
    with pytest.raises(DataError, match="not found|missing"):
        load_corpus("bio", tmp_path / "nowhere")
