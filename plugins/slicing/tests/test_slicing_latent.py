"""The latent-region set: known rules, and membership that is not a column of X."""

from __future__ import annotations

import numpy as np
import pytest
from weasul.errors import DataError
from weasul_slicing import LatentSlices, make_latent_slices, slice_matrix
from weasul_slicing.latent import SLICE_FUNCTIONS, geometry, items_frame, regions


def test_generator_follows_its_rules():
    X, y, Z = make_latent_slices(3000, seed=4)
    g = geometry()
    R = regions(Z)
    assert X.shape == (3000, 16) and Z.shape == (3000, 4)
    # each region holds about 3% of the items
    assert np.allclose(R.mean(axis=0), 0.03, atol=0.01), R.mean(axis=0)
    out = ~R.any(axis=1)
    assert np.array_equal(y[out], (Z[out] @ g["w"] > 0).astype(int))
    only1 = R[:, 0] & ~R[:, 1:].any(axis=1)
    assert (y[only1] == (Z[only1] @ g["w"] <= 0)).all()  # region 1 flips the base rule
    # X is the noisy tanh view of z, never z itself nor membership
    clean = np.tanh(Z @ g["A"] + g["b"])
    assert 0.08 < np.std(X - clean) < 0.12
    S = slice_matrix(SLICE_FUNCTIONS, items_frame(Z))
    assert np.array_equal(S[:, 1:], R.astype(np.int8))
    for j in range(1, 4):
        corr = np.abs([np.corrcoef(X[:, c], S[:, j])[0, 1] for c in range(X.shape[1])])
        assert corr.max() < 0.5, corr.max()  # no single feature gives membership away
    with pytest.raises(DataError):
        make_latent_slices(10, n_tail=4)


def test_loader_gives_three_splits_with_raw_latents_as_items():
    ds = LatentSlices(n_train=300, n_valid=50, n_test=200, seed=1).load()
    assert {s: len(ds[s]) for s in ("train", "valid", "test")} == {"train": 300, "valid": 50, "test": 200}
    assert list(ds.train.items.columns) == ["z0", "z1", "z2", "z3"] and ds.train.X.shape[1] == 16
