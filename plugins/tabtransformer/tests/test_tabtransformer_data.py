"""datasets/tabular-split on a generated csv: stripping, splits, label handling, errors."""

from __future__ import annotations

import numpy as np
import pytest
import weasul
from weasul.errors import DataError
from weasul_tabtransformer.data import stratified_split


@pytest.fixture()
def csv(tmp_path, make):
    frame, y = make(400, seed=2)
    frame[" label"] = np.where(y == 1, " yes", " no")
    frame["id"] = np.arange(len(frame))
    frame["amount"] = frame["size"].round(2).astype(str)
    frame.loc[[3, 7], "amount"] = " "
    frame.columns = [f" {c}" if c in ("color", "shape") else c for c in frame.columns]
    path = tmp_path / "table.csv"
    frame.to_csv(path, index=False)
    return path, y


def test_splits_65_15_20_stratified_and_label_left_out(csv):
    path, y = csv
    ds = weasul.create(
        "datasets",
        "tabular-split",
        path=str(path),
        label_column="label",
        drop=["id"],
        to_numeric={"amount": 0.0},
    ).load()
    assert [len(ds[s]) for s in ("train", "valid", "test")] == [260, 60, 80]
    assert ds.class_names == ("no", "yes")
    for split in ds.splits.values():
        assert abs(split.y.mean() - y.mean()) < 0.03
        assert list(split.items.columns) == ["color", "shape", "tag", "size", "amount"]
        assert set(split.items["color"]) <= set("abcd")  # the leading spaces are stripped
    amounts = np.concatenate([s.items["amount"].to_numpy() for s in ds.splits.values()])
    assert amounts.dtype.kind == "f" and (amounts == 0.0).sum() >= 2
    again = weasul.create("datasets", "tabular-split", path=str(path), label_column="label", seed=1).load()
    assert not again.train.items.equals(ds.train.items.drop(columns="amount"))


def test_max_rows_and_keep_label(csv):
    path, _ = csv
    ds = weasul.create(
        "datasets", "tabular-split", path=str(path), label_column="label", max_rows=100, keep_label=True
    ).load()
    assert sum(len(s) for s in ds.splits.values()) == 100
    assert "label" in ds.train.items.columns


def test_errors_name_the_file_and_column(csv, tmp_path):
    path, _ = csv
    with pytest.raises(DataError, match="no column 'target'"):
        weasul.create("datasets", "tabular-split", path=str(path), label_column="target").load()
    with pytest.raises(DataError, match="does not exist"):
        weasul.create("datasets", "tabular-split", path=str(tmp_path / "none.csv"), label_column="x").load()
    with pytest.raises(DataError, match="drop names no column"):
        weasul.create("datasets", "tabular-split", path=str(path), label_column="label", drop=["nope"]).load()


def test_stratified_split_partitions_every_row():
    y = np.array([0] * 70 + [1] * 30)
    parts = stratified_split(y, [0.65, 0.15, 0.2], seed=0)
    assert sorted(np.concatenate(parts).tolist()) == list(range(100))
    assert [int(y[p].sum()) for p in parts] == [20, 4, 6]
