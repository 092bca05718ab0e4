"""A crash-safe label store: SQLite in WAL mode, one committed transaction per answer.

Answers are keyed by a stable item id (not a row number) within a task, so a restarted
labelling loop, or one run on a reordered copy of the data, finds every earlier answer. An
answer is durable once `add` returns: the process may be killed at any instant after that
without losing it, and a second `add` of the same item never creates a duplicate.

Several labellers may share one store: before a person is shown an item, their session
`claim`s it for a while, so another session is not shown the same item; an answer that still
meets an earlier one (a claim ran out) is refused by `add` and reported, never silently
dropped. The store also remembers how its items are keyed (`keying`), so a store made for
other items is refused instead of handing their answers to the wrong rows.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from weasul.errors import DataError

__all__ = ["LabelStore"]

_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS answers (
        task TEXT NOT NULL,
        item_id TEXT NOT NULL,
        label INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        answered_at REAL NOT NULL,
        PRIMARY KEY (task, item_id)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS claims (
        task TEXT NOT NULL,
        item_id TEXT NOT NULL,
        owner TEXT NOT NULL,
        expires_at REAL NOT NULL,
        PRIMARY KEY (task, item_id)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS meta (
        task TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (task, key)
    )
    """,
)

_COLUMNS = {
    "answers": {"task", "item_id", "label", "seq", "answered_at"},
    "claims": {"task", "item_id", "owner", "expires_at"},
    "meta": {"task", "key", "value"},
}


class LabelStore:
    """Expert answers of one `task` in the SQLite file at `path` (created when missing).

    label -1 records a skipped item (asked, not answered), so it is not asked again.
    """

    def __init__(self, path: str | Path, task: str = "default") -> None:
        self.path = Path(path).expanduser()
        self.task = task
        if self.path.is_dir():
            raise DataError(
                f"label store {self.path} is a folder; pass a file path, e.g. {self.path / 'labels.sqlite'}"
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None)
            self._refuse_foreign_file()
            mode = self._conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise DataError(f"label store {self.path}: the file system does not support SQLite WAL mode")
            # FULL: a committed answer survives a crash of the process and of the machine.
            self._conn.execute("PRAGMA synchronous=FULL")
            for table in _SCHEMA:
                self._conn.execute(table)
            self._check_schema()
        except sqlite3.DatabaseError as err:
            raise DataError(
                f"label store {self.path} cannot be opened as SQLite ({type(err).__name__}); pass another path"
            ) from None
        except OSError as err:
            raise DataError(
                f"label store {self.path} cannot be created: {err.strerror}; pass another path"
            ) from None

    def _refuse_foreign_file(self) -> None:
        """An SQLite file with tables but no `answers` belongs to something else: adding ours
        (and switching it to WAL) would change another program's database."""
        tables = sorted(
            row[0] for row in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        )
        if tables and "answers" not in tables:
            shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
            raise DataError(
                f"label store {self.path} is another program's SQLite database (tables: {shown}); "
                "it is left unchanged: pass a new path for the label store"
            )

    def _check_schema(self) -> None:
        for table, wanted in _COLUMNS.items():
            have = {row[1] for row in self._conn.execute(f"PRAGMA table_info({table})")}
            if not wanted <= have:
                raise DataError(
                    f"label store {self.path} has a '{table}' table that is not a weasul label store's "
                    f"(it lacks {sorted(wanted - have)}); pass another path"
                )

    def _write(self, what: str, sql: str, args: tuple[object, ...]) -> int:
        """Run one statement in its own committed transaction; returns the rows it changed."""
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                cur = conn.execute(sql, args)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError as err:
            raise DataError(f"label store {self.path}: could not {what}: {err}") from err
        return int(cur.rowcount)

    def add(self, item_id: str, label: int) -> bool:
        """Store one answer in its own committed transaction; False if the item was already
        answered (the earlier answer is kept: the caller must report the conflict)."""
        changed = self._write(
            f"save the answer for '{item_id}'",
            "INSERT OR IGNORE INTO answers (task, item_id, label, seq, answered_at) "
            "SELECT ?, ?, ?, COALESCE(MAX(seq), 0) + 1, ? FROM answers WHERE task = ?",
            (self.task, str(item_id), int(label), time.time(), self.task),
        )
        return changed == 1

    def claim(self, item_id: str, owner: str, seconds: float, *, takeover: str | None = None) -> bool:
        """Reserve an unanswered item for `owner` for `seconds`; False if it is answered or
        another owner's claim on it has not run out. Claiming again extends one's own claim;
        `takeover` names an owner whose claim may be replaced (a session known to be gone)."""
        now = time.time()
        changed = self._write(
            f"claim '{item_id}'",
            "INSERT INTO claims (task, item_id, owner, expires_at) "
            "SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM answers WHERE task = ? AND item_id = ?) "
            "ON CONFLICT (task, item_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at "
            "WHERE claims.owner = excluded.owner OR claims.expires_at < ? OR claims.owner = ?",
            (self.task, str(item_id), owner, now + seconds, self.task, str(item_id), now, takeover or ""),
        )
        return changed == 1

    def release(self, item_id: str, owner: str) -> None:
        """Drop `owner`'s claim on an item (after answering or skipping it)."""
        self._write(
            f"release '{item_id}'",
            "DELETE FROM claims WHERE task = ? AND item_id = ? AND owner = ?",
            (self.task, str(item_id), owner),
        )

    def claimed_by(self, item_id: str) -> str | None:
        """The owner of a claim on an item that has not run out, or None."""
        row = self._conn.execute(
            "SELECT owner FROM claims WHERE task = ? AND item_id = ? AND expires_at >= ?",
            (self.task, str(item_id), time.time()),
        ).fetchone()
        return None if row is None else str(row[0])

    def meta(self, key: str) -> str | None:
        """A value remembered for this task (e.g. how its items are keyed), or None."""
        row = self._conn.execute(
            "SELECT value FROM meta WHERE task = ? AND key = ?", (self.task, key)
        ).fetchone()
        return None if row is None else str(row[0])

    def remember(self, key: str, value: str) -> str:
        """Remember `value` for `key` unless one is there; returns the value now stored."""
        self._write(
            f"remember '{key}'",
            "INSERT OR IGNORE INTO meta (task, key, value) VALUES (?, ?, ?)",
            (self.task, key, value),
        )
        stored = self.meta(key)
        return value if stored is None else stored

    def get(self, item_id: str) -> int | None:
        """The stored answer for one item, or None."""
        row = self._conn.execute(
            "SELECT label FROM answers WHERE task = ? AND item_id = ?", (self.task, str(item_id))
        ).fetchone()
        return None if row is None else int(row[0])

    def withdraw(self, item_id: str) -> int | None:
        """Delete one answer (a person's undo) in its own committed transaction; returns the
        label it had, or None when the item had no answer."""
        earlier = self.get(item_id)
        if earlier is not None:
            self._write(
                f"withdraw the answer for '{item_id}'",
                "DELETE FROM answers WHERE task = ? AND item_id = ?",
                (self.task, str(item_id)),
            )
        return earlier

    def answers(self) -> dict[str, int]:
        """Every answer of the task, item id -> label, in the order they were given."""
        rows = self._conn.execute(
            "SELECT item_id, label FROM answers WHERE task = ? ORDER BY seq", (self.task,)
        ).fetchall()
        return {str(item): int(label) for item, label in rows}

    def __len__(self) -> int:
        return int(
            self._conn.execute("SELECT COUNT(*) FROM answers WHERE task = ?", (self.task,)).fetchone()[0]
        )

    def close(self) -> None:
        self._conn.close()
