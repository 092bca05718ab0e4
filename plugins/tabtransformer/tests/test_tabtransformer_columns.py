"""Column layout: dtype inference, the reserved slot, declared array columns, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from weasul.errors import DataError
from weasul_tabtransformer.columns import TableSchema, fit_schema


def test_kinds_follow_dtypes_and_drop():
    frame = pd.DataFrame(
        {"c": ["u", "v", "u"], "b": [True, False, True], "x": [1.0, 2.0, 3.0], "y": [0, 1, 0]}
    )
    schema = fit_schema(frame, drop=["y"])
    assert schema.categorical == ("c", "b") and schema.continuous == ("x",)
    assert schema.vocab == (("u", "v"), ("False", "True"))
    assert schema.cardinalities == [3, 3]  # seen values + the reserved slot


def test_missing_and_unseen_values_share_the_reserved_slot():
    schema = fit_schema(pd.DataFrame({"c": ["u", "v", None], "x": [0.0, 1.0, 2.0]}))
    codes, cont = schema.transform(
        pd.DataFrame({"c": ["v", "u", None, "never seen"], "x": [1.0, 1.0, 1.0, 1.0]})
    )
    assert codes[:, 0].tolist() == [2, 1, 0, 0]
    assert schema.vocab == (("u", "v"),)
    np.testing.assert_allclose(cont[:, 0], (1.0 - 1.0) / np.std([0.0, 1.0, 2.0]))


def test_arrays_are_continuous_unless_columns_are_declared():
    X = np.array([[0, 1.5], [1, 2.5], [2, 0.5], [1, 1.0]])
    assert fit_schema(X).continuous == ("0", "1")
    schema = fit_schema(X, categorical=["0"])
    assert schema.categorical == ("0",) and schema.continuous == ("1",)
    codes, _ = schema.transform(X)
    assert codes[:, 0].tolist() == [1, 2, 3, 2]


def test_errors_name_the_problem():
    frame = pd.DataFrame({"c": ["u", "v"], "x": [0.0, np.nan]})
    with pytest.raises(DataError, match="'x' contains NaN"):
        fit_schema(frame)
    with pytest.raises(DataError, match="not in X"):
        fit_schema(frame, categorical=["nope"])
    with pytest.raises(DataError, match="both categorical and continuous"):
        fit_schema(frame, categorical=["c"], continuous=["c"])
    schema = fit_schema(frame.fillna(1.0))
    with pytest.raises(DataError, match="lacks column"):
        schema.transform(frame[["c"]])
    with pytest.raises(DataError, match="non-number"):
        fit_schema(pd.DataFrame({"x": ["1", "two"]}), continuous=["x"])
    with pytest.raises(DataError, match="empty"):
        fit_schema(np.zeros((0, 3)))


def test_schema_json_round_trip_is_exact():
    frame = pd.DataFrame({"c": ["u", "v", "w"], "x": [0.1, 0.2, 0.7]})
    schema = fit_schema(frame)
    again = TableSchema.from_json(schema.to_json())
    assert again == schema
    for a, b in zip(schema.transform(frame), again.transform(frame), strict=True):
        assert np.array_equal(a, b)


def test_mostly_unseen_values_are_reported(caplog):
    schema = fit_schema(pd.DataFrame({"c": ["u", "v"]}))
    with caplog.at_level("WARNING"):
        schema.transform(pd.DataFrame({"c": [" u", " v", "u"]}))
    assert "67% of the values were not seen" in caplog.text
