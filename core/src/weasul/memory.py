"""Free physical memory, for models that refuse a fit too large for the machine with the figure
instead of dying in the allocator (Dawid-Skene's confusion arrays, the factor graph's tables)."""

from __future__ import annotations

import os

from weasul.errors import DataError

__all__ = ["available_bytes", "require_memory"]

#: What `available_bytes` answers where the platform does not say: only impossible sizes are refused.
UNKNOWN = 2**40


def available_bytes() -> int:
    """Bytes of physical memory free now (POSIX `SC_AVPHYS_PAGES` x page size), `UNKNOWN`
    (1 TiB) where the platform does not report it."""
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return UNKNOWN


def require_memory(need: int, what: str, advice: str) -> None:
    """Raise DataError "<what> needs about X GiB, more than the Y GiB of free memory; <advice>"
    when `need` bytes exceed `available_bytes()`. `what` says which arrays, `advice` what to change."""
    free = available_bytes()
    if need > free:
        raise DataError(
            f"{what} needs about {need / 2**30:.1f} GiB, more than the {free / 2**30:.1f} GiB of free memory; {advice}"
        )
