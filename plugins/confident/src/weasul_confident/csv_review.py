"""`oracles/csv-review`: a plain CSV review file that people fill in between runs."""

from __future__ import annotations

import csv
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field
from weasul.errors import DataError
from weasul.interfaces import Oracle
from weasul.params import WeasulParams
from weasul.plugin import Plugin

__all__ = ["CsvReviewOracle"]

_log = logging.getLogger(__name__)
_COLUMNS = ("index", "given", "suggested", "score", "text", "label")


class CsvReviewOracle(Oracle):
    """A review file for people: asked items are appended to a CSV with their given and suggested
    label (and text when known); a person fills the `label` column (class index or class name)
    and the next run reads the answers. Unanswered items get -1 (the oracle declines)."""

    class Params(WeasulParams):
        path: str = Field(description="the CSV review file (created when missing)")
        class_names: list[str] | None = Field(None, description="names accepted in the label column")

    params: Params

    @classmethod
    def examples(cls) -> list[Plugin]:
        return [cls(path=str(Path(tempfile.mkdtemp(prefix="weasul-review-")) / "review.csv"))]

    @property
    def _path(self) -> str:
        return str(self.params.path)

    def set_context(self, **columns: Any) -> None:
        """Columns shown to the reviewer, each indexable by item index: given, suggested, score, text."""
        self._context = {k: v for k, v in columns.items() if v is not None}

    def _parse(self, value: str, where: str) -> int:
        value = value.strip()
        if not value:
            return -1
        names = self.params.class_names or []
        if value in names:
            return names.index(value)
        try:
            label = int(value)
        except ValueError:
            hint = f" or one of {names}" if names else ""
            raise DataError(f"{self._path} {where}: label '{value}' is not a class index{hint}") from None
        if label < -1 or (names and label >= len(names)):
            raise DataError(f"{self._path} {where}: label {label} is out of range")
        return label

    def _read(self) -> dict[int, dict[str, str]]:
        path = Path(self._path)
        if not path.is_file():
            return {}
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if (
                reader.fieldnames is None
                or "index" not in reader.fieldnames
                or "label" not in reader.fieldnames
            ):
                raise DataError(f"{path} is not a review file: it needs the columns index and label")
            rows = {}
            for line, row in enumerate(reader, start=2):
                try:
                    rows[int(row["index"])] = row
                except (TypeError, ValueError):
                    raise DataError(
                        f"{path} line {line}: index '{row.get('index')}' is not an integer"
                    ) from None
        return rows

    def _write(self, rows: dict[int, dict[str, str]]) -> None:
        path = Path(self.params.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with tmp.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=_COLUMNS, extrasaction="ignore")
            writer.writeheader()
            for index in rows:
                writer.writerow({c: rows[index].get(c, "") for c in _COLUMNS} | {"index": index})
        os.replace(tmp, path)

    def label(self, indices: np.ndarray) -> np.ndarray:
        """Answers from the file; items not in it yet are added for review and get -1."""
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        rows = self._read()
        context = getattr(self, "_context", {})
        added = False
        for i in idx.tolist():
            if i not in rows:
                rows[i] = {c: str(_cell(context.get(c), i)) for c in _COLUMNS if c in context} | {"label": ""}
                added = True
        if added:
            self._write(rows)
            _log.info(
                "review file %s: %d items await a label",
                self._path,
                sum(not r.get("label") for r in rows.values()),
            )
        return np.array(
            [self._parse(rows[i].get("label") or "", f"item {i}") for i in idx.tolist()], dtype=np.int64
        )

    def known(self) -> dict[int, int]:
        """Every answered row of the file."""
        out = {}
        for line, (i, row) in enumerate(self._read().items(), start=2):
            answer = self._parse(row.get("label") or "", f"line {line}")
            if answer >= 0:
                out[i] = answer
        return out


def _cell(values: Any, i: int) -> Any:
    if values is None:
        return ""
    value = values[i]
    return f"{value:.4f}" if isinstance(value, (float, np.floating)) else value
