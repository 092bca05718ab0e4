"""File-system messages: a file that must exist, and a write the file system refused.

Loaders, the spec reader and `weasul apply` check the files they read with `check_file`, so a
folder given for a file says so instead of "does not exist". `write_failure` turns an
`OSError` from writing a run folder (a full disk, a file where a folder should be, no
permission, a read-only file system) into one sentence naming the path and what to do; numpy's
short write ("17446 requested and 14320 written") carries no errno and no file name, so the
caller passes the file it was writing.
"""

from __future__ import annotations

import errno
import re
import shutil
from pathlib import Path

from weasul.errors import DataError

__all__ = ["check_file", "is_disk_full", "write_failure"]

_SHORT_WRITE = re.compile(r"\d+ requested and \d+ written")
_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG}


_IN_SPEC = "check the path (in a spec, relative to the spec's folder)"


def check_file(path: str | Path, what: str = "data file", *, hint: str = _IN_SPEC) -> Path:
    """`path` (with `~` expanded) when it is an existing file; else a DataError saying whether
    it is a folder or missing, and `hint`."""
    file = Path(path).expanduser()
    if file.is_dir():
        raise DataError(f"{what} '{path}' is a folder, not a file; name a file inside it")
    if not file.is_file():
        raise DataError(f"{what} '{path}' does not exist; {hint}")
    return file


def is_disk_full(err: OSError) -> bool:
    """Whether `err` says the disk (or a quota) is full, including numpy's short write."""
    return err.errno in _FULL or bool(_SHORT_WRITE.search(str(err)))


def _existing(path: Path) -> Path | None:
    """`path` or its nearest existing parent (None when nothing of it exists)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return None


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 1024:.0f} KiB"


def write_failure(
    err: OSError, path: str | Path | None = None, *, verb: str = "write", hint: str = ""
) -> str:
    """One sentence on a write (or another `verb`) that failed: which path (`err.filename`,
    else `path`), why (disk full with the free space, a file in the way, no permission,
    read-only), what to do (`hint` is appended, e.g. "or pass another --runs-dir")."""
    target = Path(err.filename) if isinstance(err.filename, str) else (Path(path) if path else None)
    where = f"{verb} {target}" if target is not None else verb
    existing = _existing(target) if target is not None else None
    extra = f" {hint}" if hint else ""
    if is_disk_full(err):
        free = ""
        if existing is not None:
            try:
                usage = shutil.disk_usage(existing if existing.is_dir() else existing.parent)
                free = f" ({_size(usage.free)} free of {_size(usage.total)})"
            except OSError:
                pass
        return f"cannot {where}: the disk is full{free} ({err.strerror or err}); free some space{extra}"
    if existing is not None and target is not None and existing != target and existing.is_file():
        return f"cannot {where}: {existing} is a file, not a folder; remove it{extra}"
    if err.errno in (errno.EACCES, errno.EPERM):
        return f"cannot {where}: permission denied; check the folder's permissions{extra}"
    if err.errno == errno.EROFS:
        return f"cannot {where}: the file system is read-only; use a writable folder{extra}"
    reason = err.strerror or str(err)
    return f"cannot {where}: {reason}; check the path, its permissions and free space{extra}"
