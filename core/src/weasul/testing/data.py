"""Locate the shared real data sets, or skip the test with a reason."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["shared_data", "find_shared_data"]


def find_shared_data() -> Path | None:
    """`$WEASUL_SHARED_DATA`, else a `shared/data` folder beside the checkout or the cwd."""
    env = os.environ.get("WEASUL_SHARED_DATA")
    if env:
        return Path(env) if Path(env).is_dir() else None
    starts = [Path.cwd(), Path(__file__).resolve()]
    for start in starts:
        for parent in [start, *start.parents]:
            candidate = parent / "shared" / "data"
            if candidate.is_dir():
                return candidate
    return None


def shared_data(*parts: str) -> Path:
    """The path `shared/data/<parts>`; calls `pytest.skip` with the reason when it is absent."""
    import pytest

    root = find_shared_data()
    if root is None:
        pytest.skip("shared data folder not found (set WEASUL_SHARED_DATA or check out ../shared/data)")
    path = root.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data '{'/'.join(parts)}' is not present at {path}")
    return path
