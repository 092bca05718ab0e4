"""A huge n_classes is refused with the memory figure before any table is allocated (found by
tests/test_hostile_inputs.py's slow profile: n_classes=100000 raised numpy's MemoryError for a
74.5 GiB accuracy table)."""

import numpy as np
import pytest
from weasul.errors import DataError
from weasul_factor_graph import FactorGraph
from weasul_factor_graph.learned import FactorGraphStructure


def test_a_huge_n_classes_is_refused_with_the_figure():
    L = np.array([[0, 1, -1], [1, 1, 0], [0, -1, 0]])
    with pytest.raises(
        DataError,
        match=r"n_classes=100000, 3 LFs and 0 dependencies \(.*\) needs about \d+\.\d GiB.*set n_classes",
    ):
        FactorGraph(n_classes=100000).fit(L)
    assert FactorGraph(n_classes=3).fit(L).predict_proba(L).shape == (3, 3)


def test_structure_learning_refuses_a_huge_n_classes_with_the_figure():
    L = np.array([[1, 0], [0, 0], [1, 1], [-1, 0]])
    with pytest.raises(
        DataError, match=r"n_classes=100000, 2 LFs and \d+ dependencies \(.*\) needs about \d+\.\d GiB"
    ):
        FactorGraphStructure(n_classes=100000).fit(L)
