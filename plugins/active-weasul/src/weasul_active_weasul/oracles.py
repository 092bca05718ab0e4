"""Oracles that persist every answer: `store` (replays and records answers) and `terminal`
(asks a person at the keyboard, writing each answer through the store at once).

Items are keyed by their id (the `ids` param or the items' `id_column`); without one, by a
content hash of the item (its row, or its text), so a reordered data file keeps every answer on
its item; only when the pool has no content at all are row numbers used, and then the store
remembers a fingerprint of the pool and refuses another one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import sys
import uuid
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

_KEYINGS = {"ids": "item id", "content": "a hash of each item's content", "rows": "row number"}


def _gone(owner: str) -> bool:
    """Whether the session `host:pid:token` ran on this machine and its process has ended."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _content_keys(content: Any) -> np.ndarray:
    """A key per item from its content: the values of its row (by column name) or its text."""
    if hasattr(content, "columns"):
        columns = [str(c) for c in content.columns]
        rows = (
            json.dumps(dict(zip(columns, map(str, row), strict=True)), sort_keys=True)
            for row in content.itertuples(index=False, name=None)
        )
    else:
        rows = (str(t) for t in np.asarray(content, dtype=object).ravel().tolist())
    return np.asarray(
        ["sha256:" + hashlib.sha256(r.encode("utf-8", "surrogatepass")).hexdigest()[:24] for r in rows],
        dtype=object,
    )


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
        ids: list[str] | None = Field(
            None, description="stable id of each pool item; default: its row number"
        )
        y: list[int] | None = Field(None, description="answers for new items (experiments); none: decline")
        id_column: str = Field("id", description="column of the items table that holds the ids, when wired")
        claim_seconds: float = Field(
            900.0,
            ge=0,
            le=86_400,
            description="how long an item being answered is reserved against other labellers of the store",
        )

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
        self.__dict__.pop("_checked", None)
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
        """The key of each pool item: its id, else a content hash; None: row numbers."""
        ids = self.__dict__.get("_ids")
        if ids is None and self.params.ids is not None:
            ids = self._ids = np.asarray(self.params.ids, dtype=object)
        if ids is None:
            ids = self.__dict__.get("_hashes")
            if ids is None and self._content() is not None:
                ids = self._hashes = _content_keys(self._content())
        return ids

    def _content(self) -> Any:
        items = self.__dict__.get("_items")
        return items if items is not None else self.__dict__.get("_text")

    def _keying(self) -> str:
        """How this pool keys its items: ids, content, or rows (with a pool fingerprint)."""
        if self.__dict__.get("_ids") is not None or self.params.ids is not None:
            return "ids"
        if self._content() is not None:
            return "content"
        L = self.__dict__.get("_L")
        if L is None:
            return "rows"
        arr = np.ascontiguousarray(np.asarray(L))
        return "rows:" + hashlib.sha256(str(arr.shape).encode() + arr.tobytes()).hexdigest()[:16]

    def _check_store(self) -> None:
        """Refuse a store made for other items (once per binding)."""
        if self.__dict__.get("_checked"):
            return
        store, mine = self.store, self._keying()
        theirs = store.remember("keying", mine)
        where = f"label store {self.params.path} (task '{self.params.task}')"
        if theirs != mine:
            kind_mine, kind_theirs = mine.split(":")[0], theirs.split(":")[0]
            if kind_mine == kind_theirs == "rows":
                if ":" in mine and ":" in theirs:
                    raise DataError(
                        f"{where} keys answers by row number, and these are not the items it was made "
                        "with (reordered, edited or another data set): its answers would land on the wrong "
                        "items. Give the items an id column (id_column) or use a new store path"
                    )
            else:
                raise DataError(
                    f"{where} keys answers by {_KEYINGS[kind_theirs]} but this pool is keyed by "
                    f"{_KEYINGS[kind_mine]}; wire the same items (and id column) as when it was made, "
                    "or use a new store path"
                )
        ids = self._id_array()
        answers = store.answers()
        if ids is not None and answers:
            matched = len(set(answers) & set(ids.tolist()))
            if mine == "content" and matched == 0:
                raise DataError(
                    f"{where} holds {len(answers)} answers but none belongs to these items (each item is "
                    "keyed by a hash of its content): the items changed or it is another data set; "
                    "use a new store path, or the original items"
                )
            if matched < len(answers):
                _log.warning(
                    "%s: %d of its %d answers belong to no item of this pool (edited or other items); "
                    "they are kept but not used",
                    where,
                    len(answers) - matched,
                    len(answers),
                )
        self._checked = True

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
        self._check_store()
        answers = self.store.answers()
        ids = self._id_array()
        if ids is None:
            return {int(k): v for k, v in answers.items() if k.isdigit()}
        where: dict[str, list[int]] = {}
        for i, item in enumerate(ids.tolist()):
            where.setdefault(item, []).append(i)  # identical items share a content key
        return {i: label for item, label in answers.items() for i in where.get(item, ())}  # answer order

    @property
    def owner(self) -> str:
        """This labelling session's name in the store's claims."""
        owner = self.__dict__.get("_owner")
        if owner is None:
            owner = self._owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        return owner

    @property
    def conflicts(self) -> list[str]:
        """Ids of items this session answered after another labeller had: not saved."""
        return list(self.__dict__.get("_conflicts", []))

    @property
    def saved(self) -> int:
        """How many answers this session has saved."""
        return int(self.__dict__.get("_saved", 0))

    def _saved_message(self) -> str:
        lost = self.conflicts
        text = (
            f"{self.saved} answers of this session are saved in {self.params.path} ({len(self.store)} in all)"
        )
        if lost:
            text += (
                f"; {len(lost)} answered after another labeller had and were not saved "
                f"(theirs kept): {', '.join(lost[:5])}{' ...' if len(lost) > 5 else ''}"
            )
        return text

    def label(self, indices: np.ndarray) -> np.ndarray:
        self._check_store()
        idx = np.asarray(indices, dtype=np.int64).ravel()
        out = np.empty(idx.size, dtype=np.int64)
        store = self.store
        for pos, i in enumerate(idx.tolist()):
            item = self.item_id(i)
            stored = store.get(item)
            if stored is not None:
                out[pos] = stored
                continue
            if not self._claim(item):
                stored = store.get(item)
                if stored is not None:  # answered between the two reads
                    out[pos] = stored
                    continue
                self._busy(i, item)
                out[pos] = -1  # another labeller has it now: declined, asked again later
                continue
            try:
                answer = self._ask(i, pos, idx.size)
                if answer is not None:
                    out[pos] = self._store_answer(item, answer)
                else:
                    out[pos] = -1
            finally:
                store.release(item, self.owner)
        return out

    def _claim(self, item: str) -> bool:
        """Reserve an item for this session; the claim of a session that has ended on this
        machine (e.g. killed while asking) is taken over rather than waited for."""
        store, seconds = self.store, self.params.claim_seconds
        if store.claim(item, self.owner, seconds):
            return True
        holder = store.claimed_by(item)
        return (
            holder is not None and _gone(holder) and store.claim(item, self.owner, seconds, takeover=holder)
        )

    def _store_answer(self, item: str, answer: int) -> int:
        """Save one answer; a conflict with an earlier one is reported and the earlier kept."""
        if self.store.add(item, answer):
            self._saved = self.saved + 1
            return answer
        earlier = self.store.get(item)
        if earlier != answer:
            self._conflicts = [*self.conflicts, item]
            self._conflict(item, answer, earlier)
        return answer if earlier is None else earlier

    def _busy(self, index: int, item: str) -> None:
        _log.info(
            "item %d (%s) is being answered by another labeller of the store; skipped for now", index, item
        )

    def _conflict(self, item: str, answer: int, earlier: int | None) -> None:
        _log.warning(
            "item %s: answer %d not saved, another labeller answered %s first (kept)", item, answer, earlier
        )

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

    Type a class number or name; `s` skips the item (stored as -1; a skip costs no budget),
    `u` undoes this session's last answer and asks that item again, `q` or end of input stops.
    The header says how many of the loop's budget are answered ("answered 3 of 20").
    """

    class Params(StoreOracle.Params):
        class_names: list[str] | None = Field(
            None, description="names of classes 0..K-1 (default: the data's)"
        )
        lf_names: list[str] | None = Field(None, description="names of the LFs, in column order")
        show_columns: list[str] | None = Field(
            None, description="columns of the items table to show (default: all)"
        )
        max_chars: int = Field(600, ge=20, description="longest text shown per field")

    params: Params

    @classmethod
    def examples(cls) -> list[Oracle]:
        return []

    def _write(self, text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    def _busy(self, index: int, item: str) -> None:
        super()._busy(index, item)
        self._write(
            f"\nitem {index} is being labelled in another session of this store; skipped (asked again later)\n"
        )

    def _conflict(self, item: str, answer: int, earlier: int | None) -> None:
        super()._conflict(item, answer, earlier)
        self._write(
            f"your answer {answer} for item {item} conflicts: another labeller answered {earlier} first; "
            "theirs is kept and yours is NOT saved\n"
        )

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
            shown = [
                f"{n}={classes[v] if 0 <= v < len(classes) else '-'}"
                for n, v in zip(names, votes.tolist(), strict=False)
            ]
            lines.append("  LF votes: " + "  ".join(shown))
            model = self.__dict__.get("_model")
            if model is not None and getattr(model, "fitted_state", lambda: {})():
                try:
                    belief = np.asarray(model.predict_proba(np.asarray(L)[index : index + 1]))[0]
                    lines.append(
                        "  model belief: "
                        + "  ".join(f"P({c})={b:.2f}" for c, b in zip(classes, belief, strict=False))
                    )
                except WeasulError as err:
                    _log.debug("no model belief for item %d: %s", index, err)
        return "\n".join(lines)

    def observe(self, state: Any) -> None:
        """Also keeps how many answers the loop has and wants, for the "answered 3 of 20" header."""
        super().observe(state)
        self._answered = sum(1 for a in state.labelled.values() if a >= 0)
        self._budget = getattr(state, "budget", None)

    def revisions(self) -> dict[int, int]:
        """Answers changed by an undo since the last call (item index -> new label)."""
        out = dict(self.__dict__.get("_revisions", {}))
        self._revisions: dict[int, int] = {}
        return out

    def _header(self, position: int, total: int) -> str:
        budget = self.__dict__.get("_budget")
        if budget is None:
            return f"query {position + 1} of {total}"
        return f"answered {self.__dict__.get('_answered', 0)} of {budget}"

    def _count(self, answer: int, change: int) -> None:
        if answer >= 0 and "_answered" in self.__dict__:
            self._answered += change

    def _undo(self) -> None:
        """Withdraw this session's last answer and ask that item again."""
        given: list[tuple[int, str, int]] = self.__dict__.setdefault("_given", [])
        if not given:
            self._write("nothing to undo: no answer given in this session yet\n")
            return
        index, item, answer = given.pop()
        if self.store.get(item) != answer:
            self._write(f"item {index}'s stored answer is not yours (another labeller's); not undone\n")
            return
        self.store.withdraw(item)
        self._saved = max(0, self.saved - 1)
        self._count(answer, -1)
        classes = self._classes()
        was = classes[answer] if 0 <= answer < len(classes) else "skipped"
        self._write(f"undone: item {index} (was {was}); answer it again\n")
        again = self._ask(index, 0, 1)
        stored = self._store_answer(item, -1 if again is None else again)
        self.__dict__.setdefault("_revisions", {})[index] = stored
        self._write("back to the current item\n")

    def _ask(self, index: int, position: int, total: int) -> int | None:
        classes = self._classes()
        choices = ", ".join(f"{i}={c}" for i, c in enumerate(classes))
        shown = f"\n--- {self._header(position, total)} ---\n{self.describe(index)}\n"
        self._write(shown)
        while True:
            self._write(f"label? [{choices}, s=skip, u=undo, q=quit] > ")
            line = sys.stdin.readline()
            if not line:
                raise LabellingStopped(f"input ended; {self._saved_message()}")
            answer = line.strip().lower()
            if answer in ("q", "quit"):
                raise LabellingStopped(f"stopped; {self._saved_message()}")
            if answer in ("u", "undo"):
                self._undo()
                shown = f"\n--- {self._header(position, total)} ---\n{self.describe(index)}\n"
                self._write(shown)
                continue
            chosen = None
            if answer in ("s", "skip"):
                chosen = -1
            elif answer.lstrip("-").isdigit() and 0 <= int(answer) < len(classes):
                chosen = int(answer)
            elif answer in [c.lower() for c in classes]:
                chosen = [c.lower() for c in classes].index(answer)
            if chosen is not None:
                self.__dict__.setdefault("_given", []).append((index, self.item_id(index), chosen))
                self._count(chosen, +1)
                return chosen
            self._write(f"'{line.strip()}' is not a class; type one of {choices}, s, u or q\n")
