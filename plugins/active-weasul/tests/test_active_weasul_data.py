"""The paper's data sets: generated synthetic set and the shared spam and VRD folders."""

import numpy as np
import pytest
import weasul
from weasul.testing import shared_data
from weasul_active_weasul.reproduce import paper_curves


def test_two_gaussians_matches_the_paper_setup():
    data = weasul.create("datasets", "two-gaussians").load()
    assert data.train.L.shape == (10_000, 3) and data.test.L.shape == (3_000, 3)
    assert abs(data.train.y.mean() - 0.5) < 0.02
    L, y = data.train.L, data.train.y
    assert (L[:, 2] <= L[:, 1]).all()  # LF 2 (x1 < -1) implies LF 1 (x1 < -0.3): dependent
    assert 0.9 < (L[:, 0] == y).mean() < 0.99


def test_spam_drops_all_abstain_training_rows():
    data = weasul.create("datasets", "spam", path=str(shared_data("activeweasul", "spam"))).load()
    assert data.train.L.shape == (1162, 7) and data.test.L.shape == (250, 7)
    assert data.train.X.shape[1] == data.test.X.shape[1] == 64101
    assert abs(data.train.y.mean() - 0.587) < 0.01


def test_vrd_labeling_functions_and_features():
    data = weasul.create("datasets", "vrd", path=str(shared_data("activeweasul", "vrd"))).load()
    L, y = data.train.L, data.train.y
    assert L.shape == (794, 3) and data.test.L.shape == (185, 3)
    assert np.isfinite(data.train.X).all() and data.train.X.shape[1] == data.test.X.shape[1]
    # the category LF is the most precise one (paper Table 1, LF 3)
    precision = [(y[L[:, j] == 1] == 1).mean() for j in range(3)]
    assert np.argmax(precision) == 2


def test_paper_curves_are_read():
    curves = paper_curves(shared_data("activeweasul", "paper_results", "figure_3AB.csv"), "accuracy")
    aw = curves["generative"]["Active WeaSuL"]
    assert aw[0] == pytest.approx(0.8133, abs=1e-3) and aw[4] == pytest.approx(0.958, abs=0.01)
