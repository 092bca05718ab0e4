"""The generated data set: known slices, known rules."""

from __future__ import annotations

import numpy as np
import pytest
from weasul.errors import DataError
from weasul_slicing import SyntheticSlices, make_slice_data, slice_matrix
from weasul_slicing.synthetic import SLICE_FUNCTIONS, _directions, items_frame


def test_generator_follows_its_rules():
    X, y, intent = make_slice_data(2000, d=10, n_tail=3, tail_share=0.02, seed=3)
    assert X.shape == (2000, 13) and set(np.unique(intent)) == {0, 1, 2, 3}
    assert [(intent == j).sum() for j in (1, 2, 3)] == [40, 40, 40]
    F = X[:, :10]
    base = intent == 0
    assert np.array_equal(y[base], (F[base].sum(axis=1) > 0).astype(int))
    V = _directions(10, 3)
    for j in (1, 2, 3):
        m = intent == j
        assert np.array_equal(y[m], (F[m] @ V[j - 1] > 0).astype(int))
        assert np.array_equal(X[:, 9 + j], m.astype(float))
    # the base rule gets tail slice 1 (its flip) wrong
    m = intent == 1
    assert ((F[m].sum(axis=1) > 0).astype(int) == y[m]).mean() == 0
    S = slice_matrix(SLICE_FUNCTIONS[:3], items_frame(X, intent, 10))
    assert np.array_equal(S[:, 1:], X[:, 10:].astype(np.int8))
    with pytest.raises(DataError):
        make_slice_data(100, n_tail=5)
    with pytest.raises(DataError):
        make_slice_data(10, n_tail=4, tail_share=0.3)


def test_loader_gives_three_splits():
    ds = SyntheticSlices(n_train=300, n_valid=50, n_test=200, seed=2).load()
    assert {s: len(ds[s]) for s in ("train", "valid", "test")} == {"train": 300, "valid": 50, "test": 200}
    assert list(ds.train.items.columns)[-1] == "intent" and ds.n_classes == 2
    assert not np.array_equal(ds.train.X[:50], ds.valid.X)
