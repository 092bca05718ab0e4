"""MIG and group-MIG on latents with known answers."""

import numpy as np
import pytest
from weasul.disentanglement import group_mig, mig
from weasul.errors import DataError


def _factors(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 8, size=(n, 3))


def test_a_perfect_code_scores_one():
    v = _factors()
    z = v + np.random.default_rng(1).normal(0, 0.01, v.shape)  # one dimension per factor
    assert mig(z, v, bins=8) == pytest.approx(1.0, abs=0.01)
    assert group_mig(z, v, latent_groups=[1, 0, 0], factor_groups=[1, 0, 0], bins=8) == pytest.approx(1.0, abs=0.01)


def test_group_mig_is_one_when_groups_are_separated_and_negative_when_swapped():
    v = _factors()
    z = np.column_stack([v[:, 0], v[:, 1] + v[:, 2] * 8]).astype(float)  # content dim, one style dim
    assert group_mig(z, v[:, :1], [1, 0], [1], bins=8) == pytest.approx(1.0, abs=0.01)
    assert group_mig(z, v[:, :1], [0, 1], [1], bins=8) == pytest.approx(-1.0, abs=0.01)


def test_a_code_without_information_scores_near_zero():
    v = _factors()
    z = np.random.default_rng(2).normal(size=(len(v), 4))
    assert abs(mig(z, v)) < 0.02


def test_bad_inputs_are_data_errors():
    with pytest.raises(DataError, match="finite"):
        mig(np.full((10, 2), np.nan), np.zeros((10, 1)))
    with pytest.raises(DataError, match="at least two latent"):
        mig(np.zeros((10, 1)), np.zeros((10, 1)))
    with pytest.raises(DataError, match="one entry per latent"):
        group_mig(np.zeros((10, 2)), np.zeros((10, 1)), [1], [1])
