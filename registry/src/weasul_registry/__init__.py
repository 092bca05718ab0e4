"""weasul_registry: discover, load and isolate entry-point plugins; lifecycle hooks.

Nothing here knows what the plugins do. Listing reads metadata only; loading imports one
target at a time and records failures instead of raising them. The lifecycle hooks load on
first use (PEP 562), so listing never imports pluggy.
"""

from typing import TYPE_CHECKING, Any

from weasul_registry.discovery import Check, discover, find, load, load_all, load_one, snapshot, suggest
from weasul_registry.errors import (
    ConflictError,
    IncompatibleError,
    LoadError,
    NotFoundError,
    RegistryError,
)
from weasul_registry.records import PluginRecord, Status

if TYPE_CHECKING:
    from weasul_registry.hooks import LifecycleSpec, hookimpl, hookspec, make_hook_manager

__all__ = [
    "Check",
    "ConflictError",
    "IncompatibleError",
    "LifecycleSpec",
    "LoadError",
    "NotFoundError",
    "PluginRecord",
    "RegistryError",
    "Status",
    "discover",
    "find",
    "hookimpl",
    "hookspec",
    "load",
    "load_all",
    "load_one",
    "make_hook_manager",
    "snapshot",
    "suggest",
]

_HOOKS = ("LifecycleSpec", "hookimpl", "hookspec", "make_hook_manager")


def __getattr__(name: str) -> Any:
    if name in _HOOKS:
        from weasul_registry import hooks

        value = getattr(hooks, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'weasul_registry' has no attribute '{name}'")
