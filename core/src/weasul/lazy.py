"""Import heavy optional modules where they are first needed (public: plugins use `require`)."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from weasul.errors import MissingDependencyError

__all__ = ["missing_table_extra", "require", "require_parquet"]


def require(module: str, *, extra: str | None = None, distribution: str | None = None) -> ModuleType:
    """Import `module`, or raise `MissingDependencyError` saying what to install.

    `distribution` and `extra` build the hint, e.g. `pip install "weasul-tadpole[torch]"`.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as err:
        missing = err.name or module
        if distribution and extra:
            hint = f'pip install "{distribution}[{extra}]"'
        else:
            hint = f"pip install {missing}"
        raise MissingDependencyError(f"'{module}' needs the package '{missing}'; run: {hint}") from err


def missing_table_extra(purpose: str, err: ImportError) -> MissingDependencyError:
    """The error to raise from `err` when `purpose` (e.g. "the table loader") needs pandas or
    pyarrow, which `weasul-core` installs only with its `table` extra."""
    missing = err.name or "pandas"
    return MissingDependencyError(
        f"{purpose} needs '{missing}', which weasul-core installs only with its 'table' extra; "
        'run: pip install "weasul-core[table]"'
    )


def require_parquet(purpose: str) -> None:
    """Raise the `table` extra's error unless pyarrow, pandas' parquet engine, is installed
    (looked up, not imported: pandas imports it when it reads or writes parquet)."""
    try:
        found = importlib.util.find_spec("pyarrow") is not None
    except ImportError:
        found = False
    if not found:
        raise missing_table_extra(purpose, ModuleNotFoundError("No module named 'pyarrow'", name="pyarrow"))
