"""TREC: the slice functions on the real questions, the label-leak clean-up, the experiment."""

from __future__ import annotations

import numpy as np
import pytest
import weasul
from weasul.testing import shared_data
from weasul_slicing import slice_matrix
from weasul_slicing.experiments import compare, summarise, trec_data
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


@pytest.mark.slow
def test_trec_experiment_table_with_tfidf():
    path = shared_data("wrench", "trec")
    data = trec_data(str(path), encoder="tfidf")
    assert data.X_train.shape == (4965, 256)
    rows = compare(lambda seed: data, [0], epochs=10, num_threads=1)
    summary = {r["model"]: r for r in summarise(rows)}
    assert len(summary) == 7
    assert all(0.5 < r["overall"] <= 1 for r in summary.values())
    assert np.isfinite(summary["SBL a1 tau=0.1"]["abbreviation"])
