"""Import heavy optional modules where they are first needed."""

from __future__ import annotations

import importlib
from types import ModuleType

from weasul.errors import MissingDependencyError

__all__ = ["require"]


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
