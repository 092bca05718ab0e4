"""Slice functions: the labeling-function decorator and applier, locally and on Dask."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from weasul.errors import DataError, SpecError
from weasul.executor import Executor, ExecutorSpec
from weasul.lf import LabelingFunction, labeling_function
from weasul.steps import StepContext, run_step
from weasul_slicing import SliceFunctions, slice_matrix, slice_names, slicing_function


@slicing_function()
def short(row):
    return len(row.text) < 10


@slicing_function()
def question(row):
    return 1 if row.text.endswith("?") else -1


@slicing_function(name="digits")
def has_digit(row):
    return 1 if any(c.isdigit() for c in row.text) else None


FRAME = pd.DataFrame({"text": ["hi?", "a long sentence here", "what is 42?", "x", "no digits at all!"]})


def test_slicing_function_is_a_labeling_function():
    assert slicing_function is labeling_function
    assert isinstance(short, LabelingFunction) and has_digit.name == "digits"


def test_slice_matrix_has_base_column_and_membership():
    S = slice_matrix([short, question, has_digit], FRAME)
    expected = np.array([[1, 1, 1, 0], [1, 0, 0, 0], [1, 0, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]])
    assert S.dtype == np.int8 and S.tolist() == expected.tolist()
    assert slice_names([short, question, has_digit]) == ["base", "short", "question", "digits"]
    framed = slice_matrix([short, question, has_digit], FRAME, as_frame=True)
    assert list(framed.columns) == ["base", "short", "question", "digits"]
    assert framed.to_numpy().tolist() == expected.tolist()


def test_dask_executor_gives_the_same_matrix():
    big = pd.concat([FRAME] * 7, ignore_index=True)
    local = slice_matrix([short, question, has_digit], big)
    with Executor(ExecutorSpec(kind="dask", n_workers=2, partitions=3)) as ex:
        remote = slice_matrix([short, question, has_digit], big, executor=ex)
    assert np.array_equal(local, remote)


def test_bad_slice_functions_are_data_errors():
    @slicing_function()
    def base(row):
        return 1

    @slicing_function()
    def two(row):
        return 2

    with pytest.raises(DataError, match="reserved"):
        slice_matrix([base], FRAME)
    with pytest.raises(DataError):
        slice_matrix([two], FRAME)
    with pytest.raises(DataError):
        slice_matrix([short, short], FRAME)
    with pytest.raises(DataError):
        slice_matrix([], FRAME)
    with pytest.raises(DataError):
        slice_matrix([short], FRAME.iloc[:0])


def test_slice_functions_plugin_from_file_and_module(tmp_path):
    file = tmp_path / "my_slices.py"
    file.write_text(
        "from weasul_slicing import slicing_function\n"
        "@slicing_function()\n"
        "def loud(row):\n    return row.text.endswith('!')\n"
        "@slicing_function()\n"
        "def tiny(row):\n    return len(row.text) < 3\n"
    )
    pack = SliceFunctions(path=str(file))
    assert [f.name for f in pack.functions()] == ["loud", "tiny"]
    assert pack.names() == ["base", "loud", "tiny"]
    assert [f.name for f in SliceFunctions(path=str(file), only=["tiny"]).functions()] == ["tiny"]
    out = run_step(pack, {"items": {"train": FRAME, "test": FRAME.iloc[:2]}}, StepContext("s", tmp_path))
    S = out.artifacts["S"]
    assert set(S) == {"train", "test"} and list(S["train"].columns) == ["base", "loud", "tiny"]
    assert out.metrics["train"]["slice_sizes"] == {"base": 5, "loud": 1, "tiny": 1}
    assert len(SliceFunctions(module="weasul_slicing.synthetic").functions()) == 4
    with pytest.raises(DataError):
        SliceFunctions(path=str(file), only=["nope"]).functions()
    with pytest.raises(DataError):
        SliceFunctions(path=str(tmp_path / "missing.py")).functions()
    with pytest.raises(SpecError):
        SliceFunctions()
    with pytest.raises(SpecError):
        SliceFunctions(path=str(file), module="weasul_slicing.synthetic")
