"""Resource limits (issue 15, item 12): a label model asked for a huge K refuses with the memory
figure before allocating, instead of a MemoryError."""

from __future__ import annotations

import numpy as np
import pytest
import weasul
from weasul.errors import DataError


def test_dawid_skene_with_a_huge_k_refuses_with_the_figure():
    pytest.importorskip("weasul_baselines")
    L = np.array([[0, 1], [1, 1], [0, 0], [1, -1]])
    model = weasul.create("label_models", "dawid-skene", n_classes=100_000)
    with pytest.raises(DataError, match=r"n_classes=100000 and 2 sources needs about \d+\.\d GiB"):
        model.fit(L)
    # a reasonable K still fits
    assert weasul.create("label_models", "dawid-skene", n_classes=3).fit(L).predict_proba(L).shape == (4, 3)
