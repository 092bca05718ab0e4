"""Which columns are categorical or continuous, and how rows become network inputs.

A `TableSchema` is learned from the training rows: the categorical columns with their seen
values (vocabulary) and the continuous columns with their mean and standard deviation.
`transform` turns rows into int codes (n, m) and standardised floats (n, c). Code 0 is the
reserved slot of a categorical column: missing values, and values unseen at fit time, both
map to it (the paper's extra "missing value" embedding), so MLM pre-training, which masks
values as missing, trains the same slot that unseen values use. Seen values are 1..d_i.

Inputs: a pandas DataFrame (columns by name; kinds inferred from dtypes unless declared), or a
numeric array (n, d) whose columns are named "0".."d-1" (all continuous unless declared
categorical). pandas is imported inside the functions (this module is imported by the light
entry-point module).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from weasul.errors import DataError

__all__ = ["TableSchema", "fit_schema", "as_frame"]

_log = logging.getLogger(__name__)


def as_frame(X: Any) -> Any:
    """X as a pandas DataFrame with str column names; arrays get "0".."d-1".

    Raises:
        DataError: not 2-D, empty, or unreadable.
    """
    import pandas as pd

    if isinstance(X, pd.DataFrame):
        frame = X
    else:
        if hasattr(X, "toarray"):
            X = X.toarray()
        try:
            arr = np.asarray(X)
        except (TypeError, ValueError) as err:
            raise DataError(f"X cannot be read as a table: {err}") from err
        if arr.ndim != 2:
            raise DataError(f"X must be 2-D (n_items, n_columns) or a DataFrame, got shape {arr.shape}")
        frame = pd.DataFrame(arr, columns=[str(i) for i in range(arr.shape[1])])
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise DataError(f"X is empty (shape {frame.shape}); pass at least one row and one column")
    if any(not isinstance(c, str) for c in frame.columns):
        frame = frame.rename(columns=str)
    return frame


def _is_categorical_dtype(series: Any) -> bool:
    import pandas as pd

    return bool(
        isinstance(series.dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(series)
        or pd.api.types.is_object_dtype(series)
        or pd.api.types.is_string_dtype(series)
    )


def _as_strings(series: Any) -> tuple[np.ndarray, np.ndarray]:
    """(values as str, missing mask) of one categorical column."""
    missing = series.isna().to_numpy()
    values = series.astype(str).to_numpy(dtype=object)
    return values, missing


@dataclass(frozen=True)
class TableSchema:
    """The fitted column layout: categorical columns with vocabularies, continuous with scaling."""

    categorical: tuple[str, ...]
    vocab: tuple[tuple[str, ...], ...]
    continuous: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]

    @property
    def cardinalities(self) -> list[int]:
        """Embedding rows per categorical column: its seen values plus the reserved slot 0."""
        return [len(v) + 1 for v in self.vocab]

    def transform(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Rows as (codes int64 (n, m), continuous float32 (n, c)).

        Raises:
            DataError: a column of the schema is absent, a continuous value is not a finite number.
        """
        frame = as_frame(X)
        absent = [c for c in (*self.categorical, *self.continuous) if c not in frame.columns]
        if absent:
            raise DataError(
                f"X lacks column(s) {absent[:10]} that the model was fitted with; it has "
                f"{[str(c) for c in frame.columns][:20]}"
            )
        import pandas as pd

        n = len(frame)
        codes = np.zeros((n, len(self.categorical)), dtype=np.int64)
        for j, (name, vocab) in enumerate(zip(self.categorical, self.vocab, strict=True)):
            values, missing = _as_strings(frame[name])
            found = pd.Index(list(vocab)).get_indexer(values).astype(np.int64) + 1
            found[missing] = 0  # -1 + 1 = 0 already for unseen values
            unseen = float(((found == 0) & ~missing).mean())
            if unseen > 0.5:
                _log.warning(
                    "column '%s': %.0f%% of the values were not seen at fit time (reserved slot); "
                    "is the column written differently (spaces, case)?",
                    name,
                    100 * unseen,
                )
            codes[:, j] = found
        cont = np.zeros((n, len(self.continuous)), dtype=np.float64)
        for j, name in enumerate(self.continuous):
            cont[:, j] = _numeric(frame[name], name)
        if self.continuous:
            cont = (cont - np.asarray(self.mean)) / np.asarray(self.std)
        return codes, cont.astype(np.float32)

    def to_json(self) -> str:
        return json.dumps(
            {
                "categorical": self.categorical,
                "vocab": self.vocab,
                "continuous": self.continuous,
                "mean": self.mean,
                "std": self.std,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> TableSchema:
        raw = json.loads(text)
        return cls(
            tuple(raw["categorical"]),
            tuple(tuple(v) for v in raw["vocab"]),
            tuple(raw["continuous"]),
            tuple(float(v) for v in raw["mean"]),
            tuple(float(v) for v in raw["std"]),
        )


def _numeric(series: Any, name: str) -> np.ndarray:
    import pandas as pd

    if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
        converted = pd.to_numeric(series, errors="coerce")
        bad = np.flatnonzero(converted.isna().to_numpy() & series.notna().to_numpy())
        if bad.size:
            raise DataError(
                f"continuous column '{name}' has a non-number at row {int(bad[0])}; "
                "declare the column categorical or clean it"
            )
        series = converted
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    if not np.isfinite(values).all():
        row = int(np.flatnonzero(~np.isfinite(values))[0])
        raise DataError(
            f"continuous column '{name}' contains NaN or inf (first at row {row}); impute it, or "
            "declare the column categorical (missing categorical values get their own embedding)"
        )
    return np.asarray(values, dtype=np.float64)


def fit_schema(
    X: Any,
    *,
    categorical: Sequence[str] | None = None,
    continuous: Sequence[str] | None = None,
    drop: Sequence[str] = (),
) -> TableSchema:
    """Learn the column layout from training rows `X` (DataFrame or array).

    Declared lists win; an undeclared column is categorical when its dtype is object, string,
    category or bool, continuous when numeric. Columns in `drop` are ignored (a label column).

    Raises:
        DataError: a declared column is absent, a column is declared twice, no column is left.
    """
    frame = as_frame(X)
    names = [c for c in frame.columns if c not in set(drop)]
    declared = [*(categorical or ()), *(continuous or ())]
    absent = [c for c in [*declared, *drop] if c not in frame.columns]
    if absent:
        raise DataError(f"declared column(s) {absent} are not in X; it has {list(frame.columns)[:20]}")
    twice = sorted({c for c in declared if declared.count(c) > 1})
    if twice:
        raise DataError(f"column(s) {twice} are declared both categorical and continuous")
    if categorical is not None and continuous is not None:
        cat, cont = list(categorical), list(continuous)
    elif categorical is not None:
        cat = list(categorical)
        cont = [c for c in names if c not in set(cat)]
    elif continuous is not None:
        cont = list(continuous)
        cat = [c for c in names if c not in set(cont)]
    else:
        cat = [c for c in names if _is_categorical_dtype(frame[c])]
        cont = [c for c in names if c not in set(cat)]
    if not cat and not cont:
        raise DataError("X has no columns left to learn from; check drop, categorical and continuous")
    vocab = []
    for name in cat:
        values, missing = _as_strings(frame[name])
        vocab.append(tuple(sorted(set(values[~missing].tolist()))))
    if cont:
        matrix = np.column_stack([_numeric(frame[c], c) for c in cont])
        mean = matrix.mean(axis=0)
        std = matrix.std(axis=0)
        std = np.where(std > 1e-12, std, 1.0)
    else:
        mean = std = np.zeros(0)
    return TableSchema(
        tuple(cat),
        tuple(vocab),
        tuple(cont),
        tuple(float(v) for v in mean),
        tuple(float(v) for v in std),
    )
