"""Regression (issue 13): the accuracy prior has a fixed total weight, so estimates sharpen with n.

With the old default (l2 = 1e-2 per item, total weight growing with n) the estimates on this
example were about 0.6 for every LF and the model scored 0.616 at 100k rows (majority vote
0.634): the prior flattened accuracies that the data pinned down.
"""

from __future__ import annotations

import numpy as np
import pytest
import weasul
from weasul_factor_graph import FactorGraph

THETA = np.array([1.5, 0.5, 0.2, 0.2, 0.05])
TRUE_ACC = np.exp(THETA) / (np.exp(THETA) + np.exp(-THETA))  # [.95, .73, .60, .60, .52]


def _repro(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, n)
    L = np.where(rng.random((n, 5)) < TRUE_ACC, y[:, None], 1 - y[:, None])
    L[rng.random((n, 5)) < [0.8, 0.88, 0.28, 0.38, 0.45]] = -1
    return L, y


def test_default_prior_recovers_accuracies_at_100k_rows():
    L, y = _repro(100_000)
    fg = weasul.create("label_models", "factor-graph", n_classes=2).fit(L)
    np.testing.assert_allclose(fg.lf_accuracies(), TRUE_ACC, atol=0.03)
    mv = weasul.create("label_models", "majority-vote", n_classes=2).fit(L)
    assert (fg.predict(L) == y).mean() > (mv.predict(L) == y).mean() + 0.03


def test_estimates_do_not_get_worse_with_more_data():
    errors = []
    for n in (10_000, 100_000):
        L, _ = _repro(n)
        errors.append(np.abs(FactorGraph(n_classes=2).fit(L).lf_accuracies() - TRUE_ACC).max())
    assert errors[1] < errors[0]


def test_per_item_l2_is_still_available():
    L, _ = _repro(20_000)
    flat = FactorGraph(n_classes=2, l2=1e-2).fit(L).lf_accuracies()
    sharp = FactorGraph(n_classes=2).fit(L).lf_accuracies()
    # the per-item penalty pulls the best LF far towards the prior's 0.8 (weight 0.7)
    assert flat[0] < TRUE_ACC[0] - 0.15
    assert sharp[0] == pytest.approx(TRUE_ACC[0], abs=0.06)
