"""The `crowd` data set loader: answer/truth tables -> label matrices."""

from __future__ import annotations

import json

import numpy as np
import pytest
import weasul
from weasul.errors import DataError
from weasul_baselines.crowd import CrowdDataset

ANSWERS = """item,worker,label
a,w1,0
a,w2,1
b,w1,1
b,w1,0
c,w3,2
b,w2,1
"""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "answer.csv").write_text(ANSWERS)
    (tmp_path / "truth.csv").write_text("item,label\nb,1\nc,2\n")
    (tmp_path / "classes.json").write_text(json.dumps({"0": "no", "1": "yes", "2": "maybe"}))
    return tmp_path


def test_matrix_splits_and_duplicates(folder):
    ds = weasul.create("datasets", "crowd", path=str(folder)).load()
    assert ds.class_names == ("no", "yes", "maybe")
    # items a, b, c x workers w1, w2, w3 in order of first appearance; w1 answered b twice
    np.testing.assert_array_equal(ds.train.L, [[0, 1, -1], [1, 1, -1], [-1, -1, 2]])
    np.testing.assert_array_equal(ds.test.L, [[1, 1, -1], [-1, -1, 2]])
    np.testing.assert_array_equal(ds.test.y, [1, 2])
    last = CrowdDataset(path=str(folder), duplicates="last").load()
    assert last.train.L[1, 0] == 0


def test_errors(folder, tmp_path_factory):
    (folder / "truth.csv").write_text("item,label\nzzz,1\n")
    with pytest.raises(DataError, match="no answer"):
        CrowdDataset(path=str(folder)).load()
    (folder / "classes.json").write_text(json.dumps({"0": "no", "1": "yes"}))
    with pytest.raises(DataError, match="label 2"):
        CrowdDataset(path=str(folder)).load()
    empty = tmp_path_factory.mktemp("empty")
    with pytest.raises(DataError, match="answer.csv"):
        CrowdDataset(path=str(empty)).load()


def test_real_crowd_set_shape():
    from weasul.testing import shared_data

    ds = CrowdDataset(path=str(shared_data("crowd", "music-genre"))).load()
    assert ds.train.L.shape == (700, 44) and ds.n_classes == 10
    assert int((ds.train.L != -1).sum()) == 2945  # every answer, no repeated pairs in this set
    mv = weasul.create("label_models", "majority-vote", n_classes=10).fit(ds.train.L)
    assert (mv.predict(ds.test.L) == ds.test.y).mean() == pytest.approx(
        0.711, abs=0.002
    )  # shared/data/README.md
