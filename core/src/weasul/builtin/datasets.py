"""Data set loaders: WRENCH json, npy files, csv/parquet tables.

With the Dask executor (`partitioned: true`) the table loader reads its files as partitions
on the workers (byte ranges of a csv, row ranges of a parquet file; `weasul.partitioned.
PartitionedTable`), so no split is ever read whole into this process; the npy loader reads
label matrices written as .npy partitions. WRENCH json files are single json documents and
are always read whole.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import io
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import Field

from weasul.data import Dataset, Split
from weasul.errors import DataError
from weasul.interfaces import DatasetLoader
from weasul.lazy import missing_table_extra, require_parquet
from weasul.params import WeasulParams
from weasul.storage import check_file
from weasul.validation import check_folder, check_label_matrix, check_labels

if TYPE_CHECKING:
    from weasul.executor import Executor

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


def _read_json(file: Path) -> Any:
    """Parse a json file; a DataError names the file and the position, never its content."""
    try:
        return json.loads(file.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        where = f" (line {err.lineno}, column {err.colno})" if isinstance(err, json.JSONDecodeError) else ""
        raise DataError(f"{file} is not valid json{where}; check the file") from None


def _short(value: Any, limit: int = 40) -> str:
    """A value from a data file, cut short: messages locate a problem, they do not echo files."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _missing_rows(values: Any) -> list[int]:
    """Row numbers (0-based) whose cell is None or NaN."""
    import pandas as pd

    return [int(i) for i in np.flatnonzero(pd.isna(pd.Series(values, dtype=object)).to_numpy())]


def _wrench_label(value: Any, key: str, file: Path, n_classes: int) -> int:
    """One WRENCH gold label: None or -1 = unlabelled, else a whole number in 0..K-1."""
    if value is None:
        return -1
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DataError(
            f"{file}: item '{_short(key)}' has label {_short(value)!r}; labels are class numbers 0..{n_classes - 1}"
        )
    if not np.isfinite(value) or value != int(value):
        raise DataError(
            f"{file}: item '{_short(key)}' has label {_short(value)}; labels are whole numbers 0..{n_classes - 1}"
        )
    label = int(value)
    if label < -1 or label >= n_classes:
        raise DataError(
            f"{file}: item '{_short(key)}' has label {label} but label.json names {n_classes} classes; "
            f"use 0..{n_classes - 1} (or null / -1 for an unlabelled item)"
        )
    return label


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

    def _class_names(self, folder: Path) -> tuple[str, ...]:
        label_file = folder / "label.json"
        if not label_file.is_file():
            raise DataError(f"{folder} has no label.json; is it a WRENCH data set folder?")
        names = _read_json(label_file)
        if not isinstance(names, dict) or not names:
            raise DataError(f'{label_file} must map class numbers to names, e.g. {{"0": "ham", "1": "spam"}}')
        missing = [str(i) for i in range(len(names)) if str(i) not in names]
        if missing:
            raise DataError(
                f"{label_file} must have the keys 0..{len(names) - 1} (one per class); "
                f"missing {', '.join(repr(k) for k in missing)}"
            )
        return tuple(str(names[str(i)]) for i in range(len(names)))

    def _split(self, file: Path, rows: Any, drop: set[str], n_classes: int) -> Split:
        import pandas as pd

        if not isinstance(rows, dict) or not rows:
            raise DataError(f"{file} must be a non-empty object {{id: {{data, label, weak_labels}}}}")
        keep = [(str(k), v) for k, v in rows.items() if not (file.stem == "train" and k in drop)]
        width: tuple[str, int] | None = None
        for key, row in keep:
            if not isinstance(row, dict):
                raise DataError(
                    f"{file}: item '{_short(key)}' is not an object with data, label and weak_labels"
                )
            for field in ("data", "weak_labels"):
                if field not in row:
                    raise DataError(
                        f"{file}: item '{_short(key)}' has no '{field}'; every item needs data and weak_labels"
                    )
            if not isinstance(row["data"], dict):
                raise DataError(f"{file}: item '{_short(key)}' has 'data' that is not an object")
            votes = row["weak_labels"]
            if not isinstance(votes, list) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in votes
            ):
                raise DataError(
                    f"{file}: item '{_short(key)}' has weak_labels that are not a list of numbers (-1 = abstain)"
                )
            if width is None:
                width = (key, len(votes))
            elif len(votes) != width[1]:
                raise DataError(
                    f"{file}: item '{_short(key)}' has {len(votes)} weak labels but item '{_short(width[0])}' has {width[1]}; "
                    "every item needs one vote per labeling function"
                )
        L = np.array([v["weak_labels"] for _, v in keep])
        y = np.array([_wrench_label(v.get("label"), k, file, n_classes) for k, v in keep], dtype=np.int64)
        unlabelled = np.flatnonzero(y < 0)
        if 0 < unlabelled.size < y.size:
            raise DataError(
                f"{file}: {unlabelled.size} of {y.size} items have no label (first: '{_short(keep[unlabelled[0]][0])}'); "
                "label them, drop them, or leave every label null to use the split unlabelled"
            )
        items = pd.DataFrame([{"id": k, **v["data"]} for k, v in keep])
        text = None
        field = self.params.text_field
        if field in items:
            missing = _missing_rows(items[field])
            if missing:
                raise DataError(
                    f"{file}: item '{_short(keep[missing[0]][0])}' has no {field} ({len(missing)} item(s) in all); "
                    f"give every item a '{field}' string (\"\" for an empty one)"
                )
            if self.params.remove_label_leaks:
                cleaned, leaked = remove_fine_type_prefix(items[field])
                if leaked:
                    _log.warning("%s: every text starts with its fine label (a leak); removed it", file)
                    items[field] = cleaned
            text = items[field].astype(str).to_numpy(dtype=object)
        L = check_label_matrix(L, n_classes=n_classes, name=f"{file}: weak_labels", allow_silent_sources=True)
        return Split(L=L, y=None if unlabelled.size else y, text=text, items=items)

    def load(self) -> Dataset:
        try:
            import pandas  # noqa: F401
        except ImportError as err:
            raise missing_table_extra("the wrench loader (its items table)", err) from err

        folder = check_folder(self.params.path)
        class_names = self._class_names(folder)
        drop: set[str] = set()
        if self.params.drop_labeled_ids and (folder / "labeled_ids.json").is_file():
            drop = set(_read_json(folder / "labeled_ids.json")["labeled_ids"])
        splits = {}
        for split in self.params.splits:
            file = folder / f"{split}.json"
            if not file.is_file():
                raise DataError(f"{folder} has no {split}.json")
            splits[split] = self._split(file, _read_json(file), drop, len(class_names))
        return Dataset(folder.name, splits, class_names)


def _whole_numbers(values: Any, name: str) -> np.ndarray:
    """An integer array from a numeric one; NaN, inf and fractions are refused, never truncated."""
    arr: np.ndarray = np.asarray(values)
    if arr.dtype == bool or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise DataError(f"{name} has dtype {arr.dtype}; expected whole numbers")
    if np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)):
            raise DataError(
                f"{name} contains NaN or inf at index {int(np.flatnonzero(~np.isfinite(arr.ravel()))[0])}"
            )
        if not np.all(arr == np.round(arr)):
            raise DataError(f"{name} has non-integer values; labels and votes are whole numbers")
    return arr.astype(np.int64)


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
            if (folder / f"{candidate}.parts").is_dir():  # .npy partitions (weasul.partitioned)
                from weasul.partitioned import PartitionedArray

                return PartitionedArray.read(folder / f"{candidate}.parts")
            for suffix in (".npy", ".npz"):
                file = folder / f"{candidate}{suffix}"
                if not file.is_file():
                    continue
                try:
                    if suffix == ".npy":
                        return np.load(file, allow_pickle=False)
                    import scipy.sparse

                    return scipy.sparse.load_npz(file)
                except (ValueError, OSError, EOFError, KeyError) as err:
                    raise DataError(
                        f"{file} is not a readable numpy file ({type(err).__name__}); rewrite it"
                    ) from None
        return None

    def _labels(self, values: Any, name: str) -> np.ndarray:
        arr = _whole_numbers(values, name)
        arr = arr.reshape(len(arr), -1) if arr.ndim else arr
        if self.params.signed:
            bad = arr[~np.isin(arr, (-1, 0, 1))]
            if bad.size:
                raise DataError(f"{name} has value {int(bad[0])}; signed votes are -1, +1 and 0 (abstain)")
            out = np.full(arr.shape, -1, dtype=np.int64)
            out[arr == 1] = 1
            out[arr == -1] = 0
            return out
        if self.params.abstain != -1:
            return np.where(arr == self.params.abstain, -1, arr)
        return arr

    def load(self) -> Dataset:
        folder = check_folder(self.params.path)
        raw = {}
        for split in self.params.splits:
            L, y, X = (self._read(folder, f"{p}_{split}") for p in ("L", "Y", "X"))
            if L is not None or y is not None or X is not None:
                raw[split] = (L, y, X)
        if not raw:
            raise DataError(f"{folder} has no L_/Y_/X_ files for splits {self.params.splits}")
        given = self.params.class_names
        parted = {s: L for s, (L, _, _) in raw.items() if getattr(L, "partitioned", False)}
        if parted and (not given or self.params.signed or self.params.abstain != -1):
            raise DataError(
                f"partitioned L_{next(iter(parted))}: give class_names (and keep abstain -1, signed false); "
                "its classes are not read from the whole matrix"
            )
        raw = {  # gold labels are small: read them whole
            s: (None if s in parted else L, np.asarray(y) if getattr(y, "partitioned", False) else y, X)
            for s, (L, y, X) in raw.items()
        }
        Ls = {
            s: check_label_matrix(
                self._labels(L, f"L_{s}"),
                n_classes=len(given) if given else None,
                name=f"L_{s}",
                allow_silent_sources=True,
            )
            for s, (L, _, _) in raw.items()
            if L is not None
        }
        # each partition checked in turn, one in memory at a time; L stays on disk
        Ls.update({s: L.check("label_matrix", f"L_{s}", len(given or ())) for s, L in parted.items()})
        ys = {s: self._labels(y, f"Y_{s}").ravel() for s, (_, y, _) in raw.items() if y is not None}
        if given:
            k = len(given)
        elif Ls:
            k = max(2, 1 + max(int(L.max()) for L in Ls.values()))
        else:
            k = max(2, 1 + max(int(y.max(initial=0)) for y in ys.values()))
        for split, y in ys.items():
            if y.size and y.max() >= k:
                source = "class_names" if given else "the label matrices"
                raise DataError(
                    f"Y_{split} has label {int(y.max())} but {source} use classes 0..{k - 1}; "
                    "fix the labels or pass class_names naming every class"
                )
        splits = {
            s: Split(L=Ls.get(s), y=check_labels(ys[s], name=f"Y_{s}") if s in ys else None, X=X)
            for s, (_, _, X) in raw.items()
        }
        names = tuple(given) if given else tuple(str(c) for c in range(k))
        return Dataset(folder.name, splits, names)


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
        blocksize: int = Field(
            64 * 2**20,
            ge=1,
            description="bytes per partition when the Dask executor reads the files as partitions",
        )

    params: Params

    @classmethod
    def examples(cls) -> list[DatasetLoader]:
        return []

    def _read(self, file: str) -> Any:
        try:
            import pandas as pd
        except ImportError as err:
            raise missing_table_extra("the table loader", err) from err

        path = check_file(file)
        if path.suffix == ".parquet":
            require_parquet("reading parquet files")
            try:
                frame = pd.read_parquet(path)
            except (OSError, ValueError) as err:
                raise DataError(f"cannot read {file} as parquet ({type(err).__name__}); rewrite it") from None
        else:
            frame = self._read_csv(path, file)
        self._check_columns(frame, file)
        p = self.params
        if p.text_column is not None:
            missing = _missing_rows(frame[p.text_column])
            if missing:
                raise self._missing_error(file, "text", missing, len(missing))
        if p.label_column is not None:
            missing = _missing_rows(frame[p.label_column])
            if missing:
                raise self._missing_error(file, "label", missing, len(missing))
        return frame

    def _check_columns(self, frame: Any, file: str) -> None:
        p = self.params
        for role, column in (("text_column", p.text_column), ("label_column", p.label_column)):
            if column is not None and column not in frame:
                raise DataError(
                    f"{file}: no column '{column}' ({role}); the file has {len(frame.columns)} column(s): "
                    "check the header row"
                )

    def _missing_error(self, file: str, role: str, rows: list[int], count: int) -> DataError:
        """The message for missing cells of the text or label column at `rows` of `file`."""
        p = self.params
        if role == "text":
            return DataError(
                f"{file}: text column '{p.text_column}' has missing cells at row(s) {rows[:10]}; "
                "fill them ('' for an empty text) or drop those rows"
            )
        return DataError(
            f"{file}: label column '{p.label_column}' is empty at row {rows[0]} "
            f"({count} row(s) in all); label those rows or drop them"
        )

    def _read_csv(self, path: Path, file: str, data: bytes | None = None) -> Any:
        """`path` read as csv (or `data`, the header line and a range of its rows)."""
        import pandas as pd

        if data is None and path.stat().st_size == 0:
            raise DataError(f"{file} is empty (0 bytes); a csv needs a header row and data rows")

        def source() -> Any:
            return path if data is None else io.BytesIO(data)

        try:
            frame = pd.read_csv(source(), encoding=self.params.encoding)
            if not isinstance(frame.index, pd.RangeIndex):  # pandas took the first field as an index
                raise DataError(
                    f"{file}: row 0 has {len(frame.columns) + 1} fields but the header names {len(frame.columns)}; "
                    "add the missing column name to the header or check the separator and quoting"
                )
            text = self.params.text_column
            if text is not None and text in frame and frame[text].isna().any():
                # an empty csv cell is an empty text, and "NA" / "nan" are words: read the column as is
                raw = pd.read_csv(
                    source(), encoding=self.params.encoding, usecols=[text], dtype=str, keep_default_na=False
                )
                frame[text] = raw[text]
        except UnicodeDecodeError:
            raise DataError(
                f"cannot read {file} as {self.params.encoding} text; set encoding (is it csv?)"
            ) from None
        except pd.errors.EmptyDataError:
            raise DataError(f"{file} has no columns; a csv needs a header row") from None
        except pd.errors.ParserError as err:
            line = re.search(r"line (\d+)", str(err))
            where = f" near line {line.group(1)}" if line else ""
            raise DataError(
                f"cannot read {file} as csv{where}: rows have different numbers of fields"
            ) from None
        return frame

    def _label_values(self, frames: dict[str, Any]) -> list[Any]:
        """The raw value of each class: label_values, the class names when the labels are those
        names, or the sorted values of every split together (so each split maps them alike)."""
        seen: set[Any] = set()
        for frame in frames.values():
            seen.update(frame[self.params.label_column].unique().tolist())
        return self._label_values_of(seen)

    def _label_values_of(self, seen: set[Any]) -> list[Any]:
        """`_label_values` from the set of label values seen in every split."""
        p = self.params
        if p.label_values is not None:
            return list(p.label_values)
        if p.class_names and seen <= set(p.class_names):
            return list(p.class_names)
        try:
            values = sorted(seen)
        except TypeError:
            raise DataError(
                f"label column '{p.label_column}' mixes numbers and text; set label_values to the value of each class"
            ) from None
        if p.class_names and len(values) != len(p.class_names):
            raise DataError(
                f"label column '{p.label_column}' has {len(values)} label values over all splits but "
                f"{len(p.class_names)} class_names were given; set label_values to the value of each class"
            )
        return values

    def load(self) -> Dataset:
        try:
            import pandas as pd
        except ImportError as err:
            raise missing_table_extra("the table loader", err) from err

        p = self.params
        parts = {split: [(f, self._read(f)) for f in files] for split, files in p.files.items()}
        frames = {split: pd.concat([fr for _, fr in pieces], ignore_index=True) for split, pieces in parts.items()}
        values = self._label_values(frames) if p.label_column is not None else []
        lookup = {v: i for i, v in enumerate(values)}
        splits = {}
        for split, frame in frames.items():
            y = None
            if p.label_column is not None:
                raw = frame[p.label_column]
                unknown = set(raw.unique()) - set(lookup)
                if unknown:
                    file, row, value = next(
                        (f, i, v) for f, fr in parts[split] for i, v in enumerate(fr[p.label_column]) if v in unknown
                    )
                    raise DataError(
                        f"{file}: row {row} has label {_short(str(value))!r}, not one of label_values "
                        f"{[str(v) for v in values]} ({len(unknown)} unknown value(s) in split '{split}'); "
                        "add it to label_values or fix the label"
                    )
                y = raw.map(lookup).to_numpy(dtype=np.int64)
            text = frame[p.text_column].astype(str).to_numpy(dtype=object) if p.text_column else None
            splits[split] = Split(y=y, text=text, items=frame)
        class_names = tuple(p.class_names or (str(v) for v in values))
        return Dataset("table", splits, class_names)

    # --- read as partitions on the executor's workers (weasul.partitioned.LoadsPartitioned) ---
    def load_partitioned(self, executor: Executor) -> Dataset:
        """The splits as `PartitionedTable`s read on the workers: `executor.partitions` per
        split (default: one per `blocksize` bytes, at least two per worker), each a byte range
        of a csv that starts at a line (a quoted field spanning that line break is refused) or
        a row range of a parquet file. The workers check every partition as `load` checks a
        file (the same messages, rows counted in the file) and map the labels; only the gold
        labels (one int64 per row) come back whole. The same rows, labels and class names as `load`."""
        from weasul.partitioned import PartitionedTable

        try:
            import pandas  # noqa: F401
        except ImportError as err:
            raise missing_table_extra("the table loader", err) from err
        p = self.params
        plans = {split: self._plan(files, executor) for split, files in p.files.items()}
        everything = [part for parts in plans.values() for part in parts]
        found = executor.map_list(functools.partial(_scan_part, self), everything)
        scans = dict(zip(everything, found, strict=True))
        offsets = {split: self._checked_scans(parts, scans) for split, parts in plans.items()}
        values: list[Any] = []
        if p.label_column is not None:
            values = self._label_values_of({v for scan in scans.values() for v in scan["labels"]})
        lookup = {v: i for i, v in enumerate(values)}
        read = functools.partial(_read_part, self)
        splits = {}
        for split, parts in plans.items():
            y = None
            if p.label_column is not None:
                unknown = {v for part in parts for v in scans[part]["labels"]} - set(lookup)
                if unknown:
                    raise self._unknown_label(parts, offsets[split], unknown, values, split)
                codes = executor.map_list(functools.partial(_label_codes, self, lookup), parts)
                y = np.concatenate(codes) if codes else np.empty(0, dtype=np.int64)
            table = PartitionedTable(
                tuple(parts),
                read,
                tuple(scans[part]["rows"] for part in parts),
                tuple(scans[parts[0]]["columns"]),
                tuple(scans[part]["sha256"] for part in parts),
            )
            text = table.text(p.text_column) if p.text_column else None
            splits[split] = Split(y=y, text=text, items=table)  # type: ignore[arg-type]
        class_names = tuple(p.class_names or (str(v) for v in values))
        return Dataset("table", splits, class_names)

    def _plan(self, files: list[str], executor: Executor) -> list[_TablePart]:
        """The partitions of one split's files: `executor.partitions` in all, else one per
        `blocksize` bytes and at least two per worker, shared out by file size."""
        paths = [(file, check_file(file)) for file in files]
        sizes = [_data_bytes(file, path) for file, path in paths]
        total = sum(sizes)
        wanted = executor.spec.partitions or max(2 * executor.n_workers, -(-total // self.params.blocksize))
        parts: list[_TablePart] = []
        for (file, path), size in zip(paths, sizes, strict=True):
            k = max(1, round(wanted * size / total)) if total else 1
            parts += _parquet_parts(file, path, k) if path.suffix == ".parquet" else _csv_parts(file, path, k)
        return parts

    def class_names_without_reading(self) -> tuple[str, ...] | None:
        """The class names `load` gives, when the params fix them (class_names, label_values,
        or no label column); None when they come from the label values in the files."""
        p = self.params
        if p.class_names or p.label_values is not None or p.label_column is None:
            return tuple(p.class_names or (str(v) for v in p.label_values or ()))
        return None

    def _checked_scans(self, parts: list[_TablePart], scans: dict[_TablePart, dict[str, Any]]) -> list[int]:
        """Raise the first problem the workers found, in file order, with rows counted in its
        file (a quoted field across a partition's first line break first: it breaks the
        parse); returns each partition's first row in its file."""
        quotes, file = 0, None
        for part in parts:  # under csv quoting ("" inside quotes), an odd count is an open quote
            if part.file != file:
                file, quotes = part.file, part.header_quotes
            if quotes % 2:
                raise DataError(
                    f"{part.file}: a quoted field spans the line break at byte {part.start}, where a partition "
                    "starts; read it in fewer partitions (executor.partitions, data blocksize) or convert it "
                    "to parquet"
                )
            quotes += scans[part]["quotes"]
        offsets, row, file = [], 0, None
        for part in parts:
            scan = scans[part]
            if part.file != file:
                file, row = part.file, 0
            offsets.append(row)
            if "error" in scan:
                raise DataError(scan["error"])
            for role in ("text", "label"):
                if scan[f"missing_{role}"]:
                    rows = [row + r for r in scan[f"missing_{role}"]]
                    count = sum(scans[q].get(f"n_missing_{role}", 0) for q in parts if q.file == part.file)
                    raise self._missing_error(part.file, role, rows, count)
            row += scan["rows"]
        return offsets

    def _unknown_label(
        self, parts: list[_TablePart], offsets: list[int], unknown: set[Any], values: list[Any], split: str
    ) -> DataError:
        """The message of `load` for the first row whose label is not a known value (that
        partition is read again here to find it)."""
        column = str(self.params.label_column)
        for part, offset in zip(parts, offsets, strict=True):
            labels = _read_part(self, part)[column]
            hits = [i for i, v in enumerate(labels) if v in unknown]
            if hits:
                return DataError(
                    f"{part.file}: row {offset + hits[0]} has label {_short(str(labels.iloc[hits[0]]))!r}, not one "
                    f"of label_values {[str(v) for v in values]} ({len(unknown)} unknown value(s) in split "
                    f"'{split}'); add it to label_values or fix the label"
                )
        return DataError(f"split '{split}' has unknown label values {sorted(map(str, unknown))[:5]}")


@dataclass(frozen=True)
class _TablePart:
    """One partition of a table file: bytes [start, stop) of a csv (whose header line ends at
    `header_end`; `header_quotes` quote characters in it), or rows [start, stop) of a parquet file."""

    file: str
    path: str
    kind: str
    start: int
    stop: int
    header_end: int = 0
    header_quotes: int = 0


def _csv_parts(file: str, path: Path, k: int) -> list[_TablePart]:
    """`k` byte ranges of the rows of a csv, each starting at a line start."""
    size = path.stat().st_size
    if size == 0:
        raise DataError(f"{file} is empty (0 bytes); a csv needs a header row and data rows")
    with open(path, "rb") as handle:
        header = handle.readline()
        starts = {len(header)}
        for j in range(1, k):
            offset = len(header) + (size - len(header)) * j // k
            handle.seek(offset - 1)  # a range that starts right after a line break stays there
            handle.readline()
            starts.add(min(handle.tell(), size))
    bounds = [*sorted(starts), size]
    ranges = [(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a] or [(len(header), size)]
    return [_TablePart(file, str(path.resolve()), "csv", a, b, len(header), header.count(b'"')) for a, b in ranges]


def _data_bytes(file: str, path: Path) -> int:
    """The bytes a file's rows take to read: a csv's size, a parquet file's uncompressed size."""
    if path.suffix != ".parquet":
        return path.stat().st_size
    require_parquet("reading parquet files")
    pq: Any = importlib.import_module("pyarrow.parquet")
    try:
        meta = pq.ParquetFile(path).metadata
    except (OSError, ValueError) as err:
        raise DataError(f"cannot read {file} as parquet ({type(err).__name__}); rewrite it") from None
    return int(sum(meta.row_group(g).total_byte_size for g in range(meta.num_row_groups)))


def _parquet_parts(file: str, path: Path, k: int) -> list[_TablePart]:
    """`k` row ranges of a parquet file of near-equal size (from its metadata)."""
    require_parquet("reading parquet files")
    pq: Any = importlib.import_module("pyarrow.parquet")
    try:
        n = pq.ParquetFile(path).metadata.num_rows
    except (OSError, ValueError) as err:
        raise DataError(f"cannot read {file} as parquet ({type(err).__name__}); rewrite it") from None
    bounds = np.linspace(0, n, max(1, min(k, n)) + 1).astype(int)
    pairs = zip(bounds[:-1], bounds[1:], strict=True)
    return [_TablePart(file, str(path.resolve()), "parquet", int(a), int(b)) for a, b in pairs]


# --- worker-side functions (module level: process workers import them) ---
def _csv_bytes(part: _TablePart) -> tuple[bytes, bytes]:
    with open(part.path, "rb") as handle:
        header = handle.read(part.header_end)
        handle.seek(part.start)
        return header, handle.read(part.stop - part.start)


def _read_part(loader: TableDataset, part: _TablePart) -> Any:
    """One partition as a DataFrame, parsed as `load` parses the whole file."""
    if part.kind == "csv":
        header, body = _csv_bytes(part)
        return loader._read_csv(Path(part.path), part.file, header + body)
    pq: Any = importlib.import_module("pyarrow.parquet")
    try:
        handle = pq.ParquetFile(part.path)
        groups: list[int] = []
        first = at = 0
        for g in range(handle.metadata.num_row_groups):
            n = handle.metadata.row_group(g).num_rows
            if at < part.stop and at + n > part.start:
                first = first if groups else at
                groups.append(g)
            at += n
        if not groups:
            return handle.schema_arrow.empty_table().to_pandas()
        table = handle.read_row_groups(groups, use_pandas_metadata=True)
        return table.slice(part.start - first, part.stop - part.start).to_pandas()
    except (OSError, ValueError) as err:
        raise DataError(f"cannot read {part.file} as parquet ({type(err).__name__}); rewrite it") from None


def _scan_part(loader: TableDataset, part: _TablePart) -> dict[str, Any]:
    """What the client needs to know of one partition: rows, columns, a content hash, missing
    text and label cells (rows within the partition), the label values seen and, for a csv,
    the quote characters in its bytes; or the error that reading it raised."""
    import pandas as pd

    quotes = 0
    try:
        if part.kind == "csv":
            header, body = _csv_bytes(part)
            quotes = body.count(b'"')
            frame = loader._read_csv(Path(part.path), part.file, header + body)
            digest = hashlib.sha256(header + body).hexdigest()
        else:
            frame = _read_part(loader, part)
            try:
                hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()
            except TypeError:  # unhashable cells (lists): their json text
                hashed = frame.to_json(orient="split", index=False, default_handler=str).encode()
            digest = hashlib.sha256(hashed + repr(list(frame.dtypes.astype(str))).encode()).hexdigest()
        loader._check_columns(frame, part.file)
    except DataError as err:
        return {"error": str(err), "quotes": quotes}
    p = loader.params
    text = _missing_rows(frame[p.text_column]) if p.text_column else []
    label = _missing_rows(frame[p.label_column]) if p.label_column else []
    labels = frame[p.label_column].dropna().unique().tolist() if p.label_column else []
    return {
        "rows": len(frame),
        "columns": [str(c) for c in frame.columns],
        "sha256": digest,
        "missing_text": text[:10],
        "n_missing_text": len(text),
        "missing_label": label[:10],
        "n_missing_label": len(label),
        "labels": labels,
        "quotes": quotes,
    }


def _label_codes(loader: TableDataset, lookup: dict[Any, int], part: _TablePart) -> np.ndarray:
    """The class of every row of one partition (every label value is known by now)."""
    labels = _read_part(loader, part)[loader.params.label_column]
    return np.asarray(labels.map(lookup).to_numpy(dtype=np.int64))
