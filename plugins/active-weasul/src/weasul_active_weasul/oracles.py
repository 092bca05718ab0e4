"""Oracles that persist every answer: `store` (replays and records answers) and `terminal`
(asks a person at the keyboard, writing each answer through the store at once)."""

from __future__ import annotations

import logging
import sys
from typing import Any

import numpy as np
from pydantic import Field
from weasul.errors import DataError, StopRequested, WeasulError
from weasul.interfaces import Oracle
from weasul.params import WeasulParams

from weasul_active_weasul.steps import StoreOracleStep
from weasul_active_weasul.store import LabelStore

__all__ = ["StoreOracle", "TerminalOracle", "LabellingStopped"]

_log = logging.getLogger(__name__)


class LabellingStopped(StopRequested):
    """The person at the terminal stopped labelling; every answer given so far is stored."""


class StoreOracle(Oracle):
    """Answers from a SQLite label store keyed by stable item ids.

    An item already in the store is answered from it. A new item is answered from `y` when
    given (experiments), else declined (-1, not stored). Every new answer is committed on its
    own before the next item is handled, so a killed loop loses nothing and a restarted one
    resumes from `known()`.
    """

    class Params(WeasulParams):
        path: str = Field(description="SQLite file of the label store (created when missing)")
        task: str = Field("default", description="answers of different tasks can share one file")
        ids: list[str] | None = Field(None, description="stable id of each pool item; default: its row number")
        y: list[int] | None = Field(None, description="answers for new items (experiments); none: decline")
        id_column: str = Field("id", description="column of the items table that holds the ids, when wired")

    params: Params

    step = StoreOracleStep

    @classmethod
    def examples(cls) -> list[Oracle]:
        import tempfile

        folder = tempfile.mkdtemp(prefix="weasul-store-")
        return [cls(path=f"{folder}/labels.sqlite", y=[0, 1, 1, 0, 1, 0])]

    # --- context -------------------------------------------------------------------------
    def bind(
        self,
        *,
        ids: Any = None,
        items: Any = None,
        text: Any = None,
        L: Any = None,
        model: Any = None,
        class_names: Any = None,
    ) -> StoreOracle:
        """Give the oracle the pool's ids, raw items, texts, LF votes and label model; returns self.

        `ids` (or the `id_column` of `items`) key the answers in the store; the rest is what
        the terminal oracle shows.
        """
        if ids is None and items is not None and self.params.id_column in getattr(items, "columns", ()):
            ids = items[self.params.id_column].to_numpy()
        if ids is not None:
            ids = np.asarray([str(v) for v in ids], dtype=object)
            if len(set(ids.tolist())) != len(ids):
                raise DataError("oracle ids are not unique; each item needs its own stable id")
            self._ids = ids
        self._items, self._text, self._L, self._model = items, text, L, model
        if class_names:
            self._class_names = list(class_names)
        return self

    def observe(self, state: Any) -> None:
        """The active loop's current model and pool, so the belief shown is the latest fit."""
        self._model = state.model
        self._L = state.L

    # --- store ---------------------------------------------------------------------------
    @property
    def store(self) -> LabelStore:
        store = self.__dict__.get("_store")
        if store is None:
            store = self._store = LabelStore(self.params.path, self.params.task)
        return store

    def _id_array(self) -> np.ndarray | None:
        ids = self.__dict__.get("_ids")
        if ids is None and self.params.ids is not None:
            ids = self._ids = np.asarray(self.params.ids, dtype=object)
        return ids

    def item_id(self, index: int) -> str:
        """The stable id of pool item `index`."""
        ids = self._id_array()
        if ids is None:
            return str(int(index))
        if not 0 <= index < len(ids):
            raise DataError(f"oracle asked for item {index} but knows ids of {len(ids)} items")
        return str(ids[index])

    def known(self) -> dict[int, int]:
        """Stored answers of the items of this pool, item index -> label (-1 = skipped)."""
        answers = self.store.answers()
        ids = self._id_array()
        if ids is None:
            return {int(k): v for k, v in answers.items() if k.isdigit()}
        where = {item: i for i, item in enumerate(ids.tolist())}
        return {where[k]: v for k, v in answers.items() if k in where}

    def label(self, indices: np.ndarray) -> np.ndarray:
        idx = np.asarray(indices, dtype=np.int64).ravel()
        out = np.empty(idx.size, dtype=np.int64)
        for pos, i in enumerate(idx.tolist()):
            item = self.item_id(i)
            stored = self.store.get(item)
            if stored is not None:
                out[pos] = stored
                continue
            answer = self._ask(i, pos, idx.size)
            if answer is not None:
                self.store.add(item, answer)
            out[pos] = -1 if answer is None else answer
        return out

    def _ask(self, index: int, position: int, total: int) -> int | None:
        """A new answer for one item, or None to decline without storing."""
        y = self.params.y
        if y is None:
            return None
        if not 0 <= index < len(y):
            raise DataError(f"oracle asked for item {index} but has answers for {len(y)} items")
        return int(y[index])


class TerminalOracle(StoreOracle):
    """Asks a person: shows the item, its LF votes and the model's belief, reads the answer
    from standard input and writes it through the label store before asking the next item.

    Type a class number or name; `s` skips the item (stored as -1), `q` or end of input stops.
    """

    class Params(StoreOracle.Params):
        class_names: list[str] | None = Field(None, description="names of classes 0..K-1 (default: the data's)")
        lf_names: list[str] | None = Field(None, description="names of the LFs, in column order")
        show_columns: list[str] | None = Field(None, description="columns of the items table to show (default: all)")
        max_chars: int = Field(600, ge=20, description="longest text shown per field")

    params: Params

    @classmethod
    def examples(cls) -> list[Oracle]:
        return []

    def _write(self, text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    def _classes(self) -> list[str]:
        names = self.params.class_names or self.__dict__.get("_class_names")
        if names:
            return list(names)
        model = self.__dict__.get("_model")
        k = getattr(model, "n_classes_", None)
        L = self.__dict__.get("_L")
        if k is None and L is not None:
            k = max(2, int(np.max(L)) + 1)
        return [str(c) for c in range(int(k or 2))]

    def describe(self, index: int) -> str:
        """What the person sees for one item: its fields, LF votes and the model's belief."""
        p = self.params
        lines = [f"item {index} (id {self.item_id(index)})"]
        items = self.__dict__.get("_items")
        text = self.__dict__.get("_text")
        if items is not None:
            row = items.iloc[index]
            columns = p.show_columns or [c for c in items.columns if c != p.id_column]
            for column in columns:
                lines.append(f"  {column}: {str(row[column])[: p.max_chars]}")
        elif text is not None:
            lines.append(f"  text: {str(text[index])[: p.max_chars]}")
        classes = self._classes()
        L = self.__dict__.get("_L")
        if L is not None:
            votes = np.asarray(L)[index]
            names = p.lf_names or [f"lf{j}" for j in range(len(votes))]
            shown = [f"{n}={classes[v] if 0 <= v < len(classes) else '-'}" for n, v in zip(names, votes.tolist(), strict=False)]
            lines.append("  LF votes: " + "  ".join(shown))
            model = self.__dict__.get("_model")
            if model is not None and getattr(model, "fitted_state", lambda: {})():
                try:
                    belief = np.asarray(model.predict_proba(np.asarray(L)[index : index + 1]))[0]
                    lines.append("  model belief: " + "  ".join(f"P({c})={b:.2f}" for c, b in zip(classes, belief, strict=False)))
                except WeasulError as err:
                    _log.debug("no model belief for item %d: %s", index, err)
        return "\n".join(lines)

    def _ask(self, index: int, position: int, total: int) -> int | None:
        classes = self._classes()
        choices = ", ".join(f"{i}={c}" for i, c in enumerate(classes))
        self._write(f"\n--- query {position + 1} of {total} ---\n{self.describe(index)}\n")
        while True:
            self._write(f"label? [{choices}, s=skip, q=quit] > ")
            line = sys.stdin.readline()
            if not line:
                raise LabellingStopped(f"input ended; {len(self.store)} answers are saved in {self.params.path}")
            answer = line.strip().lower()
            if answer in ("q", "quit"):
                raise LabellingStopped(f"stopped; {len(self.store)} answers are saved in {self.params.path}")
            if answer in ("s", "skip"):
                return -1
            if answer.lstrip("-").isdigit() and 0 <= int(answer) < len(classes):
                return int(answer)
            lowered = [c.lower() for c in classes]
            if answer in lowered:
                return lowered.index(answer)
            self._write(f"'{line.strip()}' is not a class; type one of {choices}, s or q\n")
