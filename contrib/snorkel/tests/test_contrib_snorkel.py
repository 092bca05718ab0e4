"""The Snorkel adapter: conformance, same probabilities as Snorkel itself, reference accuracy."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("snorkel")

import weasul
from weasul.testing import parametrize_with_checks, shared_data
from weasul_contrib_snorkel import SnorkelLabelModel


@parametrize_with_checks(SnorkelLabelModel.examples())
def test_conformance(plugin, check):
    check(plugin)


def _generated(n=2000, m=6, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    accs = np.linspace(0.6, 0.9, m)
    votes = np.where(rng.random((n, m)) < accs, y[:, None], 1 - y[:, None])
    return np.where(rng.random((n, m)) < 0.5, votes, -1), y


def test_same_probabilities_as_snorkel():
    from snorkel.labeling.model import LabelModel

    L, y = _generated()
    ours = weasul.create("label_models", "snorkel-label-model", n_classes=2, n_epochs=100).fit(L)
    theirs = LabelModel(cardinality=2, verbose=False)
    theirs.fit(L, n_epochs=100, seed=123, progress_bar=False)
    np.testing.assert_allclose(ours.predict_proba(L), theirs.predict_proba(L), atol=1e-5)
    assert (ours.predict(L) == y).mean() > 0.8


def test_youtube_reference_accuracy():
    folder = shared_data("wrench", "youtube")
    ds = weasul.create("datasets", "wrench", path=str(folder)).load()
    lm = SnorkelLabelModel(n_classes=2, tie_break="random").fit(ds.train.L)
    acc = float((lm.predict(ds.test.L) == ds.test.y).mean())
    assert abs(acc - 0.864) < 0.01, acc  # shared/data/README.md reference (Snorkel 0.10, seed 123)
