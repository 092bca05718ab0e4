"""One csv read through the core `table` loader, split 65/15/20 (stratified, seeded).

The paper's four sets in `../shared/data/tabular/` each come as one file; `datasets/tabular-split`
gives them (or any such csv) the paper's train/valid/test splits. `PAPER_SETS` names each set's
file, label column and categorical columns (numeric codes such as a browser id are declared
categorical; the rest follows the dtypes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field, field_validator
from weasul.data import Dataset, Split
from weasul.errors import DataError
from weasul.interfaces import DatasetLoader
from weasul.params import WeasulParams

__all__ = ["PAPER_SETS", "PaperSet", "TabularSplit", "stratified_split"]


@dataclass(frozen=True)
class PaperSet:
    """One of the paper's data sets as found in the shared folder."""

    file: str
    label_column: str
    categorical: tuple[str, ...]
    drop: tuple[str, ...] = ()
    to_numeric: dict[str, float] = field(default_factory=dict)
    paper_auc: tuple[float, float] = (0.0, 0.0)  # Table 1: MLP, TabTransformer (AUC %)

    def loader_params(self, folder: str | Path, seed: int = 0) -> dict[str, Any]:
        """Params of `datasets/tabular-split` for this set."""
        return {
            "path": str(Path(folder) / self.file),
            "label_column": self.label_column,
            "drop": list(self.drop),
            "to_numeric": dict(self.to_numeric),
            "seed": seed,
        }


PAPER_SETS: dict[str, PaperSet] = {
    "income": PaperSet(
        "income_evaluation.csv",
        "income",
        (
            "sex",
            "workclass",
            "race",
            "education",
            "native-country",
            "marital-status",
            "occupation",
            "relationship",
        ),
        paper_auc=(90.5, 90.6),
    ),
    "bank": PaperSet(
        "bank-full.csv",
        "y",
        ("poutcome", "job", "marital", "education", "default", "housing", "loan", "contact", "month"),
        paper_auc=(92.9, 93.4),
    ),
    "blastchar": PaperSet(
        "blastchar.csv",
        "Churn",
        (
            "gender",
            "SeniorCitizen",
            "Partner",
            "Dependents",
            "PhoneService",
            "MultipleLines",
            "InternetService",
            "OnlineSecurity",
            "OnlineBackup",
            "DeviceProtection",
            "TechSupport",
            "StreamingTV",
            "StreamingMovies",
            "Contract",
            "PaperlessBilling",
            "PaymentMethod",
        ),
        drop=("customerID",),
        to_numeric={"TotalCharges": 0.0},  # 11 blanks, all customers with tenure 0
        paper_auc=(83.9, 83.5),
    ),
    "shoppers": PaperSet(
        "online_shoppers_intention.csv",
        "Revenue",
        ("Month", "OperatingSystems", "Browser", "Region", "TrafficType", "VisitorType", "Weekend"),
        paper_auc=(91.9, 92.7),
    ),
}


def stratified_split(y: np.ndarray, fractions: list[float], seed: int) -> list[np.ndarray]:
    """Row indices per part, each class shared out by `fractions` (summing to 1), seeded."""
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[] for _ in fractions]
    bounds = np.cumsum(fractions)[:-1]
    for c in np.unique(y):
        rows = rng.permutation(np.flatnonzero(y == c))
        cuts = np.round(bounds * len(rows)).astype(int)
        for i, chunk in enumerate(np.split(rows, cuts)):
            parts[i].append(chunk)
    return [np.sort(np.concatenate(p)) for p in parts]


class TabularSplit(DatasetLoader):
    """One csv or parquet file (read by the core `table` loader), split stratified and seeded
    into train/valid/test (default 65/15/20, as in the paper). Column names and text cells are
    stripped of surrounding spaces; the label column leaves `items` unless `keep_label`."""

    class Params(WeasulParams):
        path: str = Field(description="the csv or parquet file")
        label_column: str = Field(description="the target column (after stripping spaces)")
        class_names: list[str] | None = None
        fractions: list[float] = Field(default_factory=lambda: [0.65, 0.15, 0.20])
        split_names: list[str] = Field(default_factory=lambda: ["train", "valid", "test"])
        seed: int = 0
        drop: list[str] = Field(default_factory=list, description="columns to remove (ids)")
        to_numeric: dict[str, float] = Field(
            default_factory=dict, description="column -> value for cells that are not numbers"
        )
        max_rows: int | None = Field(None, ge=10, description="a seeded stratified sample of this many rows")
        keep_label: bool = False

        @field_validator("fractions")
        @classmethod
        def _sums_to_one(cls, v: list[float]) -> list[float]:
            if not v or min(v) <= 0 or abs(sum(v) - 1) > 1e-6:
                raise ValueError("fractions must be positive and sum to 1")
            return v

    params: Params

    @classmethod
    def examples(cls) -> list[DatasetLoader]:
        return []  # needs a file; tested on a generated csv

    def load(self) -> Dataset:
        import pandas as pd
        from weasul.plugins import create

        p = self.params
        if len(p.split_names) != len(p.fractions):
            raise DataError(f"split_names {p.split_names} and fractions {p.fractions} differ in length")
        header = _header(p.path)
        raw_label = next((c for c in header if c.strip() == p.label_column), None)
        if raw_label is None:
            raise DataError(
                f"{p.path}: no column '{p.label_column}'; it has {[c.strip() for c in header][:20]}"
            )
        table = create("datasets", "table", files={"all": [p.path]}, label_column=raw_label)
        whole = table.load()
        frame = whole["all"].items
        y = whole["all"].y
        assert frame is not None and y is not None
        frame = frame.rename(columns=lambda c: str(c).strip())
        for column in frame.columns:
            if pd.api.types.is_object_dtype(frame[column]) or pd.api.types.is_string_dtype(frame[column]):
                frame[column] = frame[column].map(lambda v: v.strip() if isinstance(v, str) else v)
        for column, fill in p.to_numeric.items():
            if column not in frame:
                raise DataError(f"{p.path}: to_numeric names no column '{column}'")
            frame[column] = pd.to_numeric(frame[column], errors="coerce").fillna(fill)
        absent = [c for c in p.drop if c not in frame]
        if absent:
            raise DataError(f"{p.path}: drop names no column(s) {absent}")
        frame = frame.drop(columns=[*p.drop, *([] if p.keep_label else [p.label_column])])
        rows = np.arange(len(frame))
        if p.max_rows is not None and p.max_rows < len(frame):
            rows = stratified_split(y, [p.max_rows / len(frame), 1 - p.max_rows / len(frame)], p.seed + 7)[0]
        parts = stratified_split(y[rows], p.fractions, p.seed)
        splits = {}
        for name, part in zip(p.split_names, parts, strict=True):
            idx = rows[part]
            splits[name] = Split(y=y[idx], items=frame.iloc[idx].reset_index(drop=True))
        names = tuple(p.class_names) if p.class_names else tuple(str(c).strip() for c in whole.class_names)
        return Dataset("tabular-split", splits, names)


def _header(path: str) -> list[str]:
    file = Path(path).expanduser()
    if not file.is_file():
        raise DataError(f"data file '{path}' does not exist")
    if file.suffix == ".parquet":
        import pyarrow.parquet as pq  # type: ignore[import-untyped]

        return list(pq.read_schema(file).names)
    with file.open(encoding="utf-8", errors="replace") as handle:
        return handle.readline().rstrip("\r\n").split(",")
