"""Crowd-label folders as label matrices: items x workers, -1 where a worker did not answer.

Folder layout (the uniform answer/truth tables of shared/data/crowd):

- `answer.csv`: `item,worker,label`, one row per answer, `label` an integer class id;
- `truth.csv` (optional): `item,label`, gold for some of the answered items;
- `classes.json` (optional): class id -> name; without it K is 1 + the largest label seen.

Split `train` holds every answered item (what a label model fits on, without gold); split
`test` holds the items with gold, with their rows of the same matrix and `y`. Items and
workers are ordered by first appearance. A worker who answers the same item more than once
keeps one answer, chosen by `duplicates` (`first` or `last` in file order).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field
from weasul.data import Dataset, Split
from weasul.errors import DataError
from weasul.interfaces import DatasetLoader
from weasul.params import WeasulParams
from weasul.validation import check_folder, check_label_matrix

__all__ = ["CrowdDataset"]


class CrowdDataset(DatasetLoader):
    """A crowd folder (`answer.csv`, `truth.csv`, `classes.json`) as splits `train` and `test`."""

    class Params(WeasulParams):
        path: str = Field(description="folder with answer.csv (item,worker,label), truth.csv, classes.json")
        duplicates: Literal["first", "last"] = Field(
            "first", description="which answer a worker keeps when it answered an item more than once"
        )

    params: Params

    @classmethod
    def examples(cls) -> list[DatasetLoader]:
        return []

    def load(self) -> Dataset:
        import pandas as pd

        folder = check_folder(self.params.path)
        answer_file = folder / "answer.csv"
        if not answer_file.is_file():
            raise DataError(f"{folder} has no answer.csv; is it a crowd folder (item,worker,label)?")
        answers = pd.read_csv(answer_file, dtype={"item": str, "worker": str})
        missing = {"item", "worker", "label"} - set(answers.columns)
        if missing:
            raise DataError(f"{answer_file} lacks column(s) {sorted(missing)}; expected item,worker,label")
        if answers.empty:
            raise DataError(f"{answer_file} has no answers")
        if not pd.api.types.is_integer_dtype(answers["label"]) or answers["label"].min() < 0:
            raise DataError(f"{answer_file}: label must be integer class ids 0..K-1")
        items = pd.Index(answers["item"].unique())
        workers = pd.Index(answers["worker"].unique())
        names = self._class_names(folder, int(answers["label"].max()))
        L = np.full((len(items), len(workers)), -1, dtype=np.int64)
        kept = answers.drop_duplicates(["item", "worker"], keep=self.params.duplicates)
        L[items.get_indexer(kept["item"]), workers.get_indexer(kept["worker"])] = kept["label"].to_numpy()
        L = check_label_matrix(L, n_classes=len(names), name=f"{folder.name} answers")
        splits = {"train": Split(L=L, items=pd.DataFrame({"item": items}))}
        truth_file = folder / "truth.csv"
        if truth_file.is_file():
            truth = pd.read_csv(truth_file, dtype={"item": str})
            rows = items.get_indexer(truth["item"])
            if (rows < 0).any():
                raise DataError(
                    f"{truth_file}: {int((rows < 0).sum())} gold item(s) have no answer in answer.csv"
                )
            y = truth["label"].to_numpy().astype(np.int64)
            if y.min() < 0 or y.max() >= len(names):
                raise DataError(f"{truth_file}: gold labels must be 0..{len(names) - 1}")
            splits["test"] = Split(L=L[rows], y=y, items=pd.DataFrame({"item": truth["item"]}))
        return Dataset(folder.name, splits, names)

    @staticmethod
    def _class_names(folder: Path, top: int) -> tuple[str, ...]:
        file = folder / "classes.json"
        if not file.is_file():
            return tuple(str(c) for c in range(max(2, top + 1)))
        names = json.loads(file.read_text())
        k = len(names)
        if top >= k:
            raise DataError(f"{file} names {k} classes but answer.csv has label {top}")
        return tuple(str(names[str(c)]) for c in range(k))
