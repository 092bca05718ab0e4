"""TREC: the slice functions on the real questions, the label-leak clean-up, the experiment."""

from __future__ import annotations

import pytest
import weasul
from weasul.testing import shared_data
from weasul_slicing import slice_matrix
from weasul_slicing.trec_slices import SLICE_FUNCTIONS


@pytest.fixture(scope="module")
def trec():
    path = shared_data("wrench", "trec")
    return weasul.create("datasets", "wrench", path=str(path), drop_labeled_ids=True).load()


def test_trec_slices_pick_tail_patterns(trec):
    S = slice_matrix(SLICE_FUNCTIONS, trec.train.items)
    assert S.shape == (4965, 6)
    assert S.sum(axis=0).tolist() == [4965, 62, 221, 212, 91, 357]
    abbr = trec.class_names.index("ABBR")
    members = S[:, 1] == 1
    assert (trec.train.y[members] == abbr).mean() > 0.9  # the rare type, found from text only
    assert (S[:, 1:].sum(axis=1) > 0).mean() < 0.2  # tails, not the bulk


def test_test_split_has_no_fine_type_prefix(trec):
    # the core wrench loader strips the leaked fine type that starts every trec test question
    assert trec.test.items["text"].iloc[3] == "what is an atom ?"
    S = slice_matrix(SLICE_FUNCTIONS, trec.test.items)
    assert S[:, 2].sum() > 50  # 'what is X ?' definitions are common in TREC's test set


def test_agnews_split_and_keyword_slices():
    from weasul_slicing.agnews_slices import CLASS_NAMES, SLICE_FUNCTIONS, load_agnews

    splits = load_agnews(shared_data("text-domains", "news_agnews"))
    assert {s: len(f) for s, f in splits.items()} == {"train": 4600, "valid": 1000, "test": 2000}
    assert all((f["label"].value_counts() == len(f) // 4).all() for f in splits.values())  # stratified
    S = slice_matrix(SLICE_FUNCTIONS, splits["train"])
    assert S.sum(axis=0)[1:].tolist() == [163, 459, 109, 316, 132]
    y = splits["train"]["label"].to_numpy()
    # each keyword slice mixes topics (that is why the backbone errs there) ...
    for j in range(1, S.shape[1]):
        shares = [(y[S[:, j] == 1] == k).mean() for k in range(len(CLASS_NAMES))]
        assert max(shares) < 0.9 and sorted(shares)[-2] > 0.05, (j, shares)
    assert (S[:, 1:].any(axis=1)).mean() < 0.3  # ... and the tails stay a minority
