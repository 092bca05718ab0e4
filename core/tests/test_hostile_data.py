"""Bad data files (issue 15, items 1, 2, 6 and the loader messages): refused with the file, the
row and the fix, never loaded as a silently wrong answer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from weasul.builtin.datasets import NpyDataset, TableDataset, WrenchDataset
from weasul.errors import DataError

pytest.importorskip("pandas")


def _csv(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


# -- item 1: table labels come from all splits together ---------------------------------------


def test_table_labels_are_indexed_over_all_splits(tmp_path):
    train = _csv(tmp_path / "train.csv", "text,label\na,0\nb,1\nc,1\n")
    test = _csv(tmp_path / "test.csv", "text,label\nd,1\ne,1\n")
    data = TableDataset(
        files={"train": [train], "test": [test]}, text_column="text", label_column="label"
    ).load()
    assert data.test.y.tolist() == [1, 1]
    assert data.train.y.tolist() == [0, 1, 1]
    assert data.class_names == ("0", "1")


def test_table_class_names_are_the_raw_values(tmp_path):
    test = _csv(tmp_path / "test.csv", "text,label\nd,spam\ne,spam\n")
    data = TableDataset(
        files={"test": [test]}, text_column="text", label_column="label", class_names=["ham", "spam"]
    ).load()
    assert data.test.y.tolist() == [1, 1]


def test_table_split_with_unseen_label_value_is_an_error(tmp_path):
    train = _csv(tmp_path / "train.csv", "text,label\na,0\nb,1\n")
    test = _csv(tmp_path / "test.csv", "text,label\nd,2\n")
    with pytest.raises(DataError, match=r"test.csv: row 0 has label '2', not one of label_values"):
        TableDataset(
            files={"train": [train], "test": [test]},
            text_column="text",
            label_column="label",
            label_values=[0, 1],
        ).load()


def test_table_more_values_than_class_names_is_an_error(tmp_path):
    train = _csv(tmp_path / "train.csv", "text,label\na,0\nb,1\nc,2\n")
    with pytest.raises(DataError, match="3 label values.*2 class_names"):
        TableDataset(
            files={"train": [train]}, text_column="text", label_column="label", class_names=["a", "b"]
        ).load()


def test_table_missing_label_names_the_rows_not_label_values(tmp_path):
    train = _csv(tmp_path / "train.csv", "text,label\na,0\nb,\nc,1\n")
    with pytest.raises(DataError) as info:
        TableDataset(files={"train": [train]}, text_column="text", label_column="label").load()
    message = str(info.value)
    assert "train.csv" in message and "row 1" in message and "label_values" not in message


# -- item 6: missing text cells -----------------------------------------------------------------


def test_empty_csv_text_cells_are_empty_strings_not_nan(tmp_path):
    train = _csv(tmp_path / "train.csv", 'text,label\n,0\nNA,1\n"",0\nnan,1\n')
    data = TableDataset(files={"train": [train]}, text_column="text", label_column="label").load()
    assert data.train.text.tolist() == ["", "NA", "", "nan"]
    assert data.train.items["text"].tolist() == ["", "NA", "", "nan"]
    assert all(isinstance(t, str) for t in data.train.text)


def test_null_parquet_text_cells_are_refused(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    path = tmp_path / "train.parquet"
    pd.DataFrame({"text": ["a", None, "c"], "label": [0, 1, 0]}).to_parquet(path)
    with pytest.raises(DataError, match=r"train.parquet.*text.*missing.*row\(s\) \[1\]"):
        TableDataset(files={"train": [str(path)]}, text_column="text", label_column="label").load()


def test_wrench_null_text_is_refused(tmp_path):
    folder = _wrench(tmp_path, {"0": {"data": {"text": None}, "label": 0, "weak_labels": [0, 1]}})
    with pytest.raises(DataError, match=r"train.json.*'0'.*text"):
        WrenchDataset(path=str(folder), splits=["train"]).load()


# -- item 2: WRENCH and npy labels and votes ----------------------------------------------------


def _wrench(tmp_path: Path, rows: dict, labels: dict | None = None) -> Path:
    folder = tmp_path / "w"
    folder.mkdir(exist_ok=True)
    (folder / "label.json").write_text(json.dumps(labels or {"0": "neg", "1": "pos"}))
    (folder / "train.json").write_text(json.dumps(rows))
    return folder


def _row(label, votes=(0, 1), text="t"):
    return {"data": {"text": text}, "label": label, "weak_labels": list(votes)}


@pytest.mark.parametrize(
    "label, message",
    [
        (5, r"train.json: item '1' has label 5 but label.json names 2 classes"),
        (-3, r"train.json: item '1' has label -3"),
        (0.6, r"train.json: item '1' has label 0.6; labels are whole numbers"),
        ("1", r"train.json: item '1' has label '1'"),
        (None, r"train.json: 1 of 2 items have no label \(first: '1'\)"),
    ],
)
def test_wrench_bad_gold_labels_are_refused(tmp_path, label, message):
    folder = _wrench(tmp_path, {"0": _row(0), "1": _row(label)})
    with pytest.raises(DataError, match=message):
        WrenchDataset(path=str(folder), splits=["train"]).load()


def test_wrench_unlabelled_split_loads_without_y(tmp_path):
    folder = _wrench(tmp_path, {"0": _row(None), "1": _row(None)})
    assert WrenchDataset(path=str(folder), splits=["train"]).load().train.y is None


@pytest.mark.parametrize(
    "votes, message",
    [
        ((0.6, 1), "non-integer"),
        ((1.9, 1), "non-integer"),
        ((0, None), "'1'.*weak_labels"),
        ((0, 1, 1), r"item '1' has 3 weak labels but item '0' has 2"),
        ((0, 2), "n_classes=2"),
    ],
)
def test_wrench_bad_votes_are_refused_not_truncated(tmp_path, votes, message):
    folder = _wrench(tmp_path, {"0": _row(0), "1": _row(1, votes)})
    with pytest.raises(DataError, match=message):
        WrenchDataset(path=str(folder), splits=["train"]).load()


def test_wrench_row_without_data_names_the_row(tmp_path):
    folder = _wrench(tmp_path, {"0": _row(0), "1": {"label": 1, "weak_labels": [0, 1]}})
    with pytest.raises(DataError, match=r"train.json: item '1' has no 'data'"):
        WrenchDataset(path=str(folder), splits=["train"]).load()


def test_wrench_label_json_with_a_gap_names_the_missing_key(tmp_path):
    folder = _wrench(tmp_path, {"0": _row(0)}, labels={"0": "a", "2": "c"})
    with pytest.raises(DataError, match=r"label.json.*0\.\.1.*'1'"):
        WrenchDataset(path=str(folder), splits=["train"]).load()


def test_wrench_invalid_label_json_names_the_file(tmp_path):
    folder = _wrench(tmp_path, {"0": _row(0)})
    (folder / "label.json").write_text("{not json")
    with pytest.raises(DataError, match=r"label.json is not valid json"):
        WrenchDataset(path=str(folder), splits=["train"]).load()


def _npy(tmp_path: Path, **arrays) -> Path:
    folder = tmp_path / "n"
    folder.mkdir(exist_ok=True)
    for name, arr in arrays.items():
        np.save(folder / f"{name}.npy", np.asarray(arr))
    return folder


L2 = [[0, 1], [1, 1], [0, -1]]


@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"L_train": L2, "Y_train": [0, 5, 1]}, r"Y_train has label 5.*classes 0\.\.1.*class_names"),
        ({"L_train": L2, "Y_train": [0, -3, 1]}, r"Y_train has label -3"),
        ({"L_train": L2, "Y_train": [0.0, np.nan, 1.0]}, r"Y_train contains NaN"),
        ({"L_train": L2, "Y_train": [0.0, 0.6, 1.0]}, r"Y_train has non-integer"),
        ({"L_train": [[0.0, 1.9], [1, 1], [0, -1]], "Y_train": [0, 1, 1]}, r"L_train has non-integer"),
        ({"L_train": [[0, 1], [1, 1], [0, -3]]}, r"L_train has value -3"),
    ],
)
def test_npy_bad_labels_and_votes_are_refused(tmp_path, arrays, message):
    with pytest.raises(DataError, match=message):
        NpyDataset(path=str(_npy(tmp_path, **arrays)), splits=["train"]).load()


def test_npy_signed_votes_outside_minus_one_zero_one_are_refused(tmp_path):
    folder = _npy(tmp_path, L_train=[[1, -1], [0, 3]], Y_train=[1, -1])
    with pytest.raises(DataError, match=r"L_train has value 3; signed votes"):
        NpyDataset(path=str(folder), splits=["train"], signed=True).load()


def test_npy_class_names_bound_the_labels(tmp_path):
    folder = _npy(tmp_path, L_train=L2, Y_train=[0, 2, 1])
    data = NpyDataset(path=str(folder), splits=["train"], class_names=["a", "b", "c"]).load()
    assert data.train.y.tolist() == [0, 2, 1] and data.n_classes == 3
    with pytest.raises(DataError, match="Y_train has label 2"):
        NpyDataset(path=str(folder), splits=["train"], class_names=["a", "b"]).load()


# -- messages: files ------------------------------------------------------------------------------


def test_zero_byte_csv_names_the_file(tmp_path):
    train = _csv(tmp_path / "train.csv", "")
    with pytest.raises(DataError, match=r"train.csv is empty"):
        TableDataset(files={"train": [train]}, text_column="text").load()


def test_directory_given_as_a_data_file_says_so(tmp_path):
    with pytest.raises(DataError, match="is a folder, not a file"):
        TableDataset(files={"train": [str(tmp_path)]}, text_column="text").load()


def test_error_messages_echo_no_file_content(tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("TOPSECRET-LINE\n\x00\x01garbage\n")
    with pytest.raises(DataError) as info:
        TableDataset(files={"train": [str(secret)]}, text_column="text").load()
    assert "TOPSECRET" not in str(info.value) and "secret.csv" in str(info.value)
