"""A crash-safe label store: SQLite in WAL mode, one committed transaction per answer.

Answers are keyed by a stable item id (not a row number) within a task, so a restarted
labelling loop, or one run on a reordered copy of the data, finds every earlier answer. An
answer is durable once `add` returns: the process may be killed at any instant after that
without losing it, and a second `add` of the same item never creates a duplicate.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from weasul.errors import DataError

__all__ = ["LabelStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    task TEXT NOT NULL,
    item_id TEXT NOT NULL,
    label INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    answered_at REAL NOT NULL,
    PRIMARY KEY (task, item_id)
)
"""


class LabelStore:
    """Expert answers of one `task` in the SQLite file at `path` (created when missing).

    label -1 records a skipped item (asked, not answered), so it is not asked again.
    """

    def __init__(self, path: str | Path, task: str = "default") -> None:
        self.path = Path(path).expanduser()
        self.task = task
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None)
            mode = self._conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise DataError(f"label store {self.path}: the file system does not support SQLite WAL mode")
            # FULL: a committed answer survives a crash of the process and of the machine.
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute(_SCHEMA)
        except sqlite3.DatabaseError as err:
            raise DataError(f"label store {self.path} cannot be opened as SQLite: {err}; pass another path") from err

    def add(self, item_id: str, label: int) -> bool:
        """Store one answer in its own committed transaction; False if the item was already answered."""
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO answers (task, item_id, label, seq, answered_at) "
                    "SELECT ?, ?, ?, COALESCE(MAX(seq), 0) + 1, ? FROM answers WHERE task = ?",
                    (self.task, str(item_id), int(label), time.time(), self.task),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError as err:
            raise DataError(f"label store {self.path}: could not save the answer for '{item_id}': {err}") from err
        return cur.rowcount == 1

    def get(self, item_id: str) -> int | None:
        """The stored answer for one item, or None."""
        row = self._conn.execute(
            "SELECT label FROM answers WHERE task = ? AND item_id = ?", (self.task, str(item_id))
        ).fetchone()
        return None if row is None else int(row[0])

    def answers(self) -> dict[str, int]:
        """Every answer of the task, item id -> label, in the order they were given."""
        rows = self._conn.execute(
            "SELECT item_id, label FROM answers WHERE task = ? ORDER BY seq", (self.task,)
        ).fetchall()
        return {str(item): int(label) for item, label in rows}

    def __len__(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM answers WHERE task = ?", (self.task,)).fetchone()[0])

    def close(self) -> None:
        self._conn.close()
