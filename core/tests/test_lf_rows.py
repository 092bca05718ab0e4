"""What an LF sees (`weasul.lf.Row`) and how a failing LF is reported."""

import pickle

import numpy as np
import pandas as pd
import pytest
from weasul.errors import DataError
from weasul.lf import ABSTAIN, apply_lfs, labeling_function, load_functions

FRAME = pd.DataFrame(
    {
        "comment text": ["Check my channel", "nice", None],
        "class": [1, 0, 1],
        "CONTENT": ["a", "b", "c"],
        "2nd": [True, False, True],
    },
    index=[10, 11, 12],
)


def test_every_column_by_key_and_attribute() -> None:
    seen = []

    @labeling_function()
    def look(row):
        seen.append(
            (
                row["comment text"],
                getattr(row, "comment text"),
                row.comment_text,
                row["class"],
                getattr(row, "class"),
                row.class_,
                row.CONTENT,
                row._2nd,
                row.get("missing", "default"),
                "class" in row,
                sorted(row.keys()),
            )
        )
        return ABSTAIN

    apply_lfs([look], FRAME)
    first = seen[0]
    assert first[:8] == ("Check my channel",) * 3 + (1, 1, 1, "a", True)
    assert first[8:10] == ("default", True)
    assert first[10] == sorted(["comment text", "class", "CONTENT", "2nd"])


def test_rows_survive_pickle_and_become_series() -> None:
    rows = []

    @labeling_function()
    def keep(row):
        rows.append(row)
        return 0

    apply_lfs([keep], FRAME)
    copy = pickle.loads(pickle.dumps(rows[1]))
    assert copy.class_ == 0 and copy["comment text"] == "nice"
    series = rows[1].to_series()
    assert series.name == 11 and series["class"] == 0 and list(series.index) == list(FRAME.columns)


def test_an_lf_that_raises_is_named_with_row_and_value() -> None:
    @labeling_function()
    def shouty(row):
        return 1 if row["comment text"].isupper() else 0

    with pytest.raises(DataError) as info:
        apply_lfs([shouty], FRAME)
    message = str(info.value)
    assert "labeling function 'shouty' raised AttributeError" in message
    assert "on row 12" in message and "'comment text': nan" in message


def test_an_lf_that_returns_a_string_or_an_out_of_range_class() -> None:
    @labeling_function()
    def wordy(row):
        return "SPAM"

    with pytest.raises(DataError, match=r"'wordy' returned 'SPAM' \(str\) on row 10; return a class index"):
        apply_lfs([wordy], FRAME)

    @labeling_function()
    def nine(row):
        return 9 if row["class"] == 0 else ABSTAIN

    with pytest.raises(DataError, match=r"'nine' returned a value outside -1..K-1: 9 on row 11 \(K = 2\)"):
        apply_lfs([nine], FRAME, n_classes=2)


def test_bools_and_numpy_ints_are_votes() -> None:
    @labeling_function()
    def member(row):
        return row["2nd"]

    @labeling_function()
    def numpy_vote(row):
        return np.int64(1)

    assert apply_lfs([member, numpy_vote], FRAME).tolist() == [[1, 1], [0, 1], [1, 1]]


def test_a_snorkel_module_given_to_the_python_pack_gets_a_hint(tmp_path) -> None:
    pytest.importorskip("snorkel")
    path = tmp_path / "snorkel_lfs.py"
    path.write_text(
        "from snorkel.labeling import labeling_function\n\n@labeling_function()\ndef lf(x):\n    return 1\n"
    )
    with pytest.raises(DataError, match="use labeling_functions/snorkel"):
        load_functions(path=str(path))
