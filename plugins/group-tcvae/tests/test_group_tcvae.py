"""The sprite pairs, the models on images, save/load, the step, and the reproduction."""

from __future__ import annotations

import numpy as np
import pytest
from weasul.errors import DataError
from weasul.steps import StepContext, run_step
from weasul_group_tcvae import GVAE, MLVAE, GroupTCVAE
from weasul_group_tcvae.sprites import make_pairs


def test_pairs_share_exactly_the_chosen_factors():
    s = make_pairs(300, shared=("shape", "scale"), seed=0)
    assert s.images.shape == (600, 1, 64, 64) and set(np.unique(s.images)) <= {0.0, 1.0}
    first, second = s.factors[0::2], s.factors[1::2]
    names = list(s.factor_names)
    for k, name in enumerate(names):
        same = (first[:, k] == second[:, k]).mean()
        assert same == 1.0 if name in ("shape", "scale") else same < 0.5, name
    assert s.content.tolist() == [1, 1, 0, 0, 0]
    assert (s.groups[0::2] == s.groups[1::2]).all()
    colour = make_pairs(4, colour=True, size=32, seed=1)
    assert colour.images.shape == (8, 3, 32, 32) and colour.factor_names[-2:] == ("object_hue", "background_hue")
    with pytest.raises(DataError, match="proper, non-empty subset"):
        make_pairs(3, shared=("colour",))


def test_image_shape_is_checked():
    with pytest.raises(DataError, match="multiple of 16"):
        GroupTCVAE(image_shape=[1, 20, 20]).fit(np.zeros((4, 400)))
    with pytest.raises(DataError, match="needs 256"):
        GroupTCVAE(image_shape=[1, 16, 16]).fit(np.zeros((4, 100)))
    with pytest.raises(DataError, match="one id per item"):
        GroupTCVAE(epochs=1).fit(np.zeros((4, 3)), groups=np.zeros(3))


@pytest.fixture(scope="module")
def small():
    return make_pairs(150, size=16, seed=3)


def test_save_load_round_trips_exactly(small, tmp_path):
    X = small.images.reshape(len(small.images), -1)
    model = GroupTCVAE(image_shape=[1, 16, 16], content_dim=2, style_dim=3, epochs=2).fit(X, groups=small.groups)
    loaded = GroupTCVAE.load(model.save(tmp_path / "m.safetensors"))
    np.testing.assert_array_equal(model.encode(X), loaded.encode(X))
    assert loaded.params == model.params and loaded.encode(X).shape == (300, 5)
    with pytest.raises(DataError, match="not written by MLVAE"):
        MLVAE.load(tmp_path / "m.safetensors")


def test_the_step_passes_groups(small, tmp_path):
    X = small.images.reshape(len(small.images), -1)
    out = run_step(
        GVAE(image_shape=[1, 16, 16], epochs=1),
        {"X": {"train": X, "test": X[:10]}, "groups": {"train": small.groups}},
        StepContext("enc", tmp_path),
    )
    assert out.artifacts["X"]["test"].shape == (10, 10)


@pytest.mark.slow
def test_group_tcvae_has_the_highest_group_mig_on_seed_zero_of_the_reproduction():
    """Seed 0 of `python -m weasul_group_tcvae.reproduce` (2,000 pairs, 10 epochs, 32 px):
    group-tcVAE's group-MIG above both averaging baselines (the paper's Fig. 4 statement).
    Measured: 0.162 vs GVAE 0.119 and ML-VAE 0.005."""
    from weasul_group_tcvae.reproduce import run

    result = run(seeds=1, models=("group-tcVAE", "ML-VAE", "GVAE"))["results"]
    scores = {name: r["group_mig"][0] for name, r in result.items()}
    assert scores["group-tcVAE"] > max(scores["ML-VAE"], scores["GVAE"]), scores
