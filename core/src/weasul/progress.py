"""Progress reporting: silent in library use, rendered by the CLI.

Plugins wrap long loops in `track(...)`. Nothing is drawn unless `enable()` was called (the
CLI does) and the loop is still running after `delay` seconds, so short loops stay quiet.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["enable", "disable", "enabled", "track"]

T = TypeVar("T")
_enabled = False


def enable() -> None:
    global _enabled
    _enabled = True


def disable() -> None:
    global _enabled
    _enabled = False


def enabled() -> bool:
    return _enabled


def track(
    iterable: Iterable[T], *, total: int | None = None, desc: str = "working", delay: float = 1.0
) -> Iterator[T]:
    """Yield from `iterable`, showing a rich progress bar once it has run for `delay` seconds."""
    if not _enabled:
        yield from iterable
        return
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    start = time.monotonic()
    progress = None
    task = None
    done = 0
    try:
        for item in iterable:
            yield item
            done += 1
            if progress is None and time.monotonic() - start >= delay:
                from rich.progress import Progress

                progress = Progress(transient=True)
                progress.start()
                task = progress.add_task(desc, total=total, completed=done)
            elif progress is not None and task is not None:
                progress.update(task, completed=done)
    finally:
        if progress is not None:
            progress.stop()
