"""Data set loaders: WRENCH json, npy files, csv/parquet tables."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

from weasul.lazy import missing_table_extra, require_parquet
from weasul.data import Dataset, Split
from weasul.errors import DataError
from weasul.interfaces import DatasetLoader
from weasul.params import WeasulParams
from weasul.validation import check_folder, check_label_matrix, check_labels

__all__ = ["WrenchDataset", "NpyDataset", "TableDataset", "TREC_FINE_TYPES", "remove_fine_type_prefix"]

_log = logging.getLogger(__name__)

#: TREC's fine question types. WRENCH's trec test.json starts every question with one of
#: them ("def What is an atom ?"), a label leak that train and valid do not have.
TREC_FINE_TYPES = frozenset(
    "abb exp animal body color cremat currency dismed event food instru lang letter other plant product religion "
    "sport substance symbol techmeth termeq veh word def desc manner reason gr ind title city country mount state "
    "code count date dist money ord perc period speed temp volsize weight".split()
)


def remove_fine_type_prefix(texts: Any) -> tuple[list[str], bool]:
    """Drop a leaked TREC fine-type first word and lower-case, when every text starts with one
    (so the split looks like train and valid); returns (texts, whether it was removed)."""
    texts = [str(t) for t in texts]
    parts = [t.split(None, 1) for t in texts]
    if not texts or not all(p and p[0] in TREC_FINE_TYPES for p in parts):
        return texts, False
    return [(p[1] if len(p) > 1 else "").lower() for p in parts], True


class WrenchDataset(DatasetLoader):
    """WRENCH benchmark json: `{id: {data, label, weak_labels}}` per split plus `label.json`."""

    class Params(WeasulParams):
        path: str = Field(description="folder with train.json, valid.json, test.json, label.json")
        splits: list[str] = ["train", "valid", "test"]
        text_field: str = "text"
        drop_labeled_ids: bool = Field(
            False, description="drop train rows listed in labeled_ids.json (WRENCH-size trec)"
        )
        remove_label_leaks: bool = Field(
            True, description="strip the fine-type word that starts every question of trec's test split"
        )

    params: Params

    @classmethod
    def examples(cls) -> list[DatasetLoader]:
        return []

    def load(self) -> Dataset:
        try:
            import pandas as pd
        except ImportError as err:
            raise missing_table_extra("the wrench loader (its items table)", err) from err

        folder = check_folder(self.params.path)
        label_file = folder / "label.json"
        if not label_file.is_file():
            raise DataError(f"{folder} has no label.json; is it a WRENCH data set folder?")
        names = json.loads(label_file.read_text())
        class_names = tuple(names[str(i)] for i in range(len(names)))
        drop: set[str] = set()
        if self.params.drop_labeled_ids and (folder / "labeled_ids.json").is_file():
            drop = set(json.loads((folder / "labeled_ids.json").read_text())["labeled_ids"])
        splits = {}
        for split in self.params.splits:
            file = folder / f"{split}.json"
            if not file.is_file():
                raise DataError(f"{folder} has no {split}.json")
            try:
                rows: dict[str, Any] = json.loads(file.read_text())
            except json.JSONDecodeError as err:
                raise DataError(f"{file} is not valid json: {err}") from err
            keep = [(k, v) for k, v in rows.items() if not (split == "train" and k in drop)]
            L = np.array([v["weak_labels"] for _, v in keep], dtype=np.int64)
            y = np.array([-1 if v.get("label") is None else v["label"] for _, v in keep], dtype=np.int64)
            items = pd.DataFrame([{"id": k, **v["data"]} for k, v in keep])
            if self.params.remove_label_leaks and self.params.text_field in items:
                cleaned, leaked = remove_fine_type_prefix(items[self.params.text_field])
                if leaked:
                    _log.warning(
                        "%s/%s: every text starts with its fine label (a leak); removed it",
                        folder.name,
                        split,
                    )
                    items[self.params.text_field] = cleaned
            text = (
                items[self.params.text_field].to_numpy(dtype=object)
                if self.params.text_field in items
                else None
            )
            L = check_label_matrix(
                L, n_classes=len(class_names), name=f"{split}.weak_labels", allow_silent_sources=True
            )
            splits[split] = Split(L=L, y=None if (y < 0).any() else y, text=text, items=items)
        return Dataset(folder.name, splits, class_names)


class NpyDataset(DatasetLoader):
    """`L_<split>.npy`, `Y_<split>.npy` (or `y_`), `X_<split>.npy` / `.npz` (sparse CSR) files."""

    class Params(WeasulParams):
        path: str
        splits: list[str] = ["train", "valid", "test"]
        class_names: list[str] | None = None
        abstain: int = Field(-1, description="the value that means abstain in the files (0 for FlyingSquid)")
        signed: bool = Field(False, description="votes are -1/+1 (FlyingSquid); map to classes 0/1")

    params: Params

    @classmethod
    def examples(cls) -> list[DatasetLoader]:
        return []

    def _read(self, folder: Path, stem: str) -> Any:
        for candidate in (stem, stem.replace("Y_", "y_")):
            if (folder / f"{candidate}.npy").is_file():
                return np.load(folder / f"{candidate}.npy", allow_pickle=False)
            if (folder / f"{candidate}.npz").is_file():
                import scipy.sparse

                return scipy.sparse.load_npz(folder / f"{candidate}.npz")
        return None

    def _labels(self, arr: np.ndarray) -> np.ndarray:
        arr = np.asarray(arr).astype(np.int64).reshape(len(arr), -1)
        if self.params.signed:
            out = np.full(arr.shape, -1, dtype=np.int64)
            out[arr == 1] = 1
            out[arr == -1] = 0
            return out
        if self.params.abstain != -1:
            arr = np.where(arr == self.params.abstain, -1, arr)
        return arr

    def load(self) -> Dataset:
        folder = check_folder(self.params.path)
        splits = {}
        for split in self.params.splits:
            L, y, X = (self._read(folder, f"{p}_{split}") for p in ("L", "Y", "X"))
            if L is None and y is None and X is None:
                continue
            L = (
                None
                if L is None
                else check_label_matrix(self._labels(L), name=f"L_{split}", allow_silent_sources=True)
            )
            y = None if y is None else check_labels(self._labels(y).ravel(), name=f"Y_{split}")
            splits[split] = Split(L=L, y=y, X=X)
        if not splits:
            raise DataError(f"{folder} has no L_/Y_/X_ files for splits {self.params.splits}")
        k = self.params.class_names or [
            str(c)
            for c in range(max(2, 1 + max(int(s.L.max()) if s.L is not None else 0 for s in splits.values())))
        ]
        return Dataset(folder.name, splits, tuple(k))


class TableDataset(DatasetLoader):
    """csv or parquet files, one per split, with a text column and an optional label column."""

    class Params(WeasulParams):
        files: dict[str, list[str]] = Field(description="split -> csv/parquet files, concatenated")
        text_column: str | None = None
        label_column: str | None = None
        class_names: list[str] | None = None
        label_values: list[Any] | None = Field(
            None, description="the raw label value of each class, in class order"
        )
        encoding: str = "utf-8"

    params: Params

    @classmethod
    def examples(cls) -> list[DatasetLoader]:
        return []

    def _read(self, file: str) -> Any:
        try:
            import pandas as pd
        except ImportError as err:
            raise missing_table_extra("the table loader", err) from err

        path = Path(file).expanduser()
        if not path.is_file():
            raise DataError(f"data file '{file}' does not exist")
        if path.suffix == ".parquet":
            require_parquet("reading parquet files")
            return pd.read_parquet(path)
        try:
            return pd.read_csv(path, encoding=self.params.encoding)
        except (UnicodeDecodeError, pd.errors.ParserError) as err:
            raise DataError(f"cannot read {file} as csv: {err}") from err

    def load(self) -> Dataset:
        try:
            import pandas as pd
        except ImportError as err:
            raise missing_table_extra("the table loader", err) from err

        p = self.params
        splits = {}
        class_names = tuple(p.class_names or ())
        for split, files in p.files.items():
            frame = pd.concat([self._read(f) for f in files], ignore_index=True)
            for column in (p.text_column, p.label_column):
                if column is not None and column not in frame:
                    raise DataError(f"{files}: no column '{column}'; columns are {list(frame.columns)}")
            y = None
            if p.label_column is not None:
                raw = frame[p.label_column]
                values = p.label_values or sorted(raw.unique().tolist())
                lookup = {v: i for i, v in enumerate(values)}
                unknown = set(raw.unique()) - set(lookup)
                if unknown:
                    raise DataError(
                        f"{split}: label values {sorted(map(str, unknown))} are not in label_values"
                    )
                y = raw.map(lookup).to_numpy(dtype=np.int64)
                class_names = class_names or tuple(str(v) for v in values)
            text = frame[p.text_column].astype(str).to_numpy(dtype=object) if p.text_column else None
            splits[split] = Split(y=y, text=text, items=frame)
        return Dataset("table", splits, class_names)
