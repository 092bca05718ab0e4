"""Remember the outcome of the last load check, keyed on what is installed.

Listing reads metadata only, so by itself it cannot say whether a plugin imports. A check
loads every plugin once; its outcome goes to a small JSON file that stays valid while the
installed distributions are unchanged: the key hashes the name (which carries the version)
and modification time of every `*.dist-info` / `*.egg-info` folder on `sys.path`, so an
install, upgrade, removal or reinstall invalidates it. Computing the key is one directory
scan per path entry (about a millisecond), never a metadata parse. Editing the source of an
editable install does not change the key; a fresh check does.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, cast

from weasul_registry.records import PluginRecord, Status

__all__ = ["CheckResult", "apply_statuses", "environment_key", "read_statuses", "write_statuses"]

_FORMAT = 1
_CHECKED: tuple[Status, ...] = ("ok", "broken", "incompatible")


def _record_key(record: PluginRecord) -> str:
    return f"{record.group}\x1f{record.name}\x1f{record.distribution}\x1f{record.version}"


def environment_key(path: Sequence[str] | None = None) -> str:
    """A hash of the interpreter and of every distribution folder on `path` (default sys.path)."""
    seen: list[str] = [sys.version, sys.prefix]
    for entry in sys.path if path is None else path:
        try:
            with os.scandir(entry or ".") as it:
                found = [
                    f"{os.path.abspath(e.path)}\x1f{e.stat().st_mtime_ns}"
                    for e in it
                    if e.name.endswith((".dist-info", ".egg-info"))
                ]
        except OSError:  # missing folders, zip files: nothing to scan
            continue
        seen.extend(sorted(found))
    return hashlib.sha256("\n".join(seen).encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class CheckResult:
    """The statuses recorded by a check, and when (UTC, ISO 8601)."""

    checked_at: str
    statuses: dict[str, tuple[Status, str | None]]


def read_statuses(file: Path, key: str) -> CheckResult | None:
    """The recorded statuses, or None when the file is missing, unreadable or for another key."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != _FORMAT or data.get("key") != key:
        return None
    statuses: dict[str, tuple[Status, str | None]] = {}
    for ident, entry in (data.get("statuses") or {}).items():
        if isinstance(entry, list) and len(entry) == 2 and entry[0] in _CHECKED:
            statuses[ident] = (cast(Status, entry[0]), entry[1] if isinstance(entry[1], str) else None)
    return CheckResult(str(data.get("checked_at", "")), statuses)


def write_statuses(file: Path, key: str, records: Iterable[PluginRecord]) -> CheckResult:
    """Record the statuses of loaded `records` atomically, merged into a still-valid file.

    Records that were not loaded (status `listed`) are skipped. The file is written to a
    temporary name in the same folder and renamed, so a reader never sees half of it.
    """
    previous = read_statuses(file, key)
    statuses = dict(previous.statuses) if previous else {}
    statuses.update({_record_key(r): (r.status, r.error) for r in records if r.status in _CHECKED})
    result = CheckResult(datetime.now(timezone.utc).isoformat(timespec="seconds"), statuses)
    payload: dict[str, Any] = {
        "format": _FORMAT,
        "key": key,
        "checked_at": result.checked_at,
        "statuses": {k: list(v) for k, v in sorted(statuses.items())},
    }
    file.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=file.name + ".", suffix=".tmp", dir=file.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(payload, out, indent=1)
        os.replace(tmp, file)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return result


def apply_statuses(records: Iterable[PluginRecord], result: CheckResult | None) -> list[PluginRecord]:
    """Records with the recorded status where one exists; the rest stay as they are.

    A record already `broken` from discovery (a name conflict) keeps that status.
    """
    out = []
    for record in records:
        recorded = result.statuses.get(_record_key(record)) if result else None
        if recorded is not None and record.status == "listed":
            record = record.with_status(recorded[0], recorded[1])
        out.append(record)
    return out
