"""weasul_registry: discover, load and isolate entry-point plugins; lifecycle hooks.

Nothing here knows what the plugins do. Listing reads metadata only; loading imports one
target at a time and records failures instead of raising them.
"""

from weasul_registry.discovery import Check, discover, find, load, load_all, load_one, snapshot, suggest
from weasul_registry.errors import (
    ConflictError,
    IncompatibleError,
    LoadError,
    NotFoundError,
    RegistryError,
)
from weasul_registry.hooks import LifecycleSpec, hookimpl, hookspec, make_hook_manager
from weasul_registry.records import PluginRecord, Status

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
