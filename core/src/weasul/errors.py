"""The one error hierarchy of weasul.

Every message says what is wrong, where, and what to do. A built-in second base keeps
`except ValueError` / `except ImportError` working for callers that expect those.
"""

from __future__ import annotations

__all__ = [
    "WeasulError",
    "SpecError",
    "DataError",
    "NotFittedError",
    "PluginError",
    "PluginNotFoundError",
    "PluginLoadError",
    "PluginContractError",
    "MissingDependencyError",
    "UnsupportedError",
    "StopRequested",
]


class WeasulError(Exception):
    """Base of every error weasul raises on purpose."""


class SpecError(WeasulError, ValueError):
    """A spec is malformed or wired wrongly; the message names the step and field."""


class StopRequested(WeasulError):
    """A person asked to stop (e.g. `q` while labelling); work done so far is kept. The CLI
    prints the message and exits 0."""


class DataError(WeasulError, ValueError):
    """Input data has the wrong shape, type, range or content."""


class NotFittedError(WeasulError, AttributeError):
    """A method that needs a fitted plugin was called before `fit`."""


class PluginError(WeasulError):
    """A plugin cannot be found, loaded or used."""


class PluginNotFoundError(PluginError, LookupError):
    """No plugin of that name is installed; the message suggests the closest."""


class PluginLoadError(PluginError):
    """Importing the plugin failed; the message shows the cause."""


class PluginContractError(PluginError, TypeError):
    """The plugin has the wrong base class, API version or parameters."""


class MissingDependencyError(PluginError, ImportError):
    """An optional dependency is not installed; the message says which extra to install."""


class UnsupportedError(PluginError, NotImplementedError):
    """The plugin cannot do what was asked (e.g. fit from partition statistics, `partial_fit`,
    a sparse label matrix); the message says what can."""
