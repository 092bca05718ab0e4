"""Errors raised by the registry; core wraps them in its own hierarchy."""

from __future__ import annotations

__all__ = ["RegistryError", "NotFoundError", "LoadError", "ConflictError", "IncompatibleError"]


class RegistryError(Exception):
    """Base class of every registry error."""


class NotFoundError(RegistryError, LookupError):
    """No entry point with that name in that group."""

    def __init__(self, group: str, name: str, installed: list[str], suggestion: str | None) -> None:
        self.group, self.name, self.installed, self.suggestion = group, name, installed, suggestion
        hint = f"; did you mean '{suggestion}'?" if suggestion else ""
        listed = ", ".join(installed) if installed else "none"
        super().__init__(f"unknown plugin '{group}/{name}'{hint} installed: {listed}")


class LoadError(RegistryError):
    """Importing the entry point's target failed."""


class ConflictError(RegistryError):
    """Two distributions register the same name in the same group."""


class IncompatibleError(RegistryError):
    """The loaded object fails the caller's compatibility check."""
