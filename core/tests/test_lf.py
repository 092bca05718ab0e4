"""Labeling functions: decorator, applier (local and Dask), analysis."""

import numpy as np
import pandas as pd
import pytest
from weasul.errors import DataError
from weasul.executor import Executor, ExecutorSpec
from weasul.lf import ABSTAIN, apply_lfs, labeling_function, lf_summary


@labeling_function()
def has_link(row):
    return 1 if "http" in row.text else ABSTAIN


@labeling_function(resources={"words": {"great", "love"}})
def praise(row, words):
    return 0 if set(row.text.split()) & words else ABSTAIN


FRAME = pd.DataFrame({"text": ["love it", "see http://x", "great http://y", "meh"] * 50})


def test_apply_and_summary():
    L = apply_lfs([has_link, praise], FRAME)
    assert L[:4].tolist() == [[-1, 0], [1, -1], [1, 0], [-1, -1]]
    y = np.array([0, 1, 1, 0] * 50)
    rows = {r["lf"]: r for r in lf_summary(L, y, ["has_link", "praise"])}
    assert rows["has_link"]["coverage"] == 0.5
    assert rows["has_link"]["overlaps"] == 0.25 and rows["has_link"]["conflicts"] == 0.25
    assert rows["has_link"]["emp_acc"] == 1.0 and rows["praise"]["emp_acc"] == 0.5
    assert rows["praise"]["polarity"] == [0]


def test_bad_lf_output_and_duplicates():
    @labeling_function()
    def seven(row):
        return 7

    with pytest.raises(DataError, match="'seven' returned a value outside"):
        apply_lfs([has_link, seven], FRAME, n_classes=2)
    with pytest.raises(DataError, match="unique"):
        apply_lfs([has_link, has_link], FRAME)
    with pytest.raises(DataError, match="empty"):
        apply_lfs([has_link], FRAME.iloc[:0])


def test_dask_applier_gives_the_same_matrix():
    pytest.importorskip("distributed")
    local = apply_lfs([has_link, praise], FRAME)
    with Executor(ExecutorSpec(kind="dask", n_workers=2, partitions=5)) as executor:
        distributed = apply_lfs([has_link, praise], FRAME, executor=executor)
    assert np.array_equal(local, distributed)
