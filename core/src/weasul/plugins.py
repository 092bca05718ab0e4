"""Find, check and instantiate plugins through the registry.

Listing (`available(load=False)`, `listing`) reads entry-point metadata only and imports no
plugin, interface or numpy: `weasul plugins` stays fast however many plugins are installed.
Whether a plugin imports is known after a check (`available()`, `check`), whose outcome
`check` records in a cache keyed on the installed distributions.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

import weasul_registry as registry
from weasul_registry import PluginRecord, statuscache

from weasul.errors import PluginContractError, PluginLoadError, PluginNotFoundError, SpecError

if TYPE_CHECKING:
    from weasul.interfaces import (
        AnomalyScorer,
        Classifier,
        DatasetLoader,
        Encoder,
        ErrorFinder,
        LabelingFunctionPack,
        LabelModel,
        Oracle,
        QueryStrategy,
        Reporter,
        SliceHead,
    )
    from weasul.plugin import Plugin

__all__ = [
    "GROUPS",
    "PluginInfo",
    "available",
    "cache_file",
    "check",
    "create",
    "entry_point_group",
    "listing",
    "load_class",
]

PluginInfo = PluginRecord
#: The entry-point groups (without the `weasul.` prefix), in the order of `interfaces.INTERFACES`;
#: spelled out so that listing need not import the interfaces (a test keeps the two equal).
GROUPS: tuple[str, ...] = (
    "label_models",
    "query_strategies",
    "anomaly_scorers",
    "encoders",
    "slice_heads",
    "error_finders",
    "datasets",
    "labeling_functions",
    "oracles",
    "classifiers",
    "reporters",
)
_PREFIX = "weasul."


def entry_point_group(group: str) -> str:
    """`label_models` -> `weasul.label_models`; raises SpecError for an unknown group."""
    short = group.removeprefix(_PREFIX)
    if short not in GROUPS:
        hint = registry.suggest(short, GROUPS)
        did = f" did you mean '{hint}'?" if hint else ""
        raise SpecError(f"unknown plugin group '{group}';{did} groups are: {', '.join(GROUPS)}")
    return _PREFIX + short


def _check(record: PluginRecord, obj: Any) -> None:
    """Refuse objects that are not plugin classes of the group's interface or target another API."""
    from weasul.interfaces import INTERFACES
    from weasul.plugin import API_VERSION, UPGRADE_HINTS

    interface = INTERFACES[record.group.removeprefix(_PREFIX)]
    if not (isinstance(obj, type) and issubclass(obj, interface)):
        raise registry.IncompatibleError(
            f"'{record.group}/{record.name}' ({record.target}) is not a subclass of weasul.{interface.__name__}"
        )
    if getattr(obj, "api_version", None) != API_VERSION:
        raise registry.IncompatibleError(
            f"'{record.name}' from {record.distribution} {record.version} targets weasul plugin API "
            f"{obj.api_version}, this core implements {API_VERSION}; "
            + UPGRADE_HINTS.get(obj.api_version, "upgrade or downgrade one of them")
        )


def _discover(group: str | None) -> list[PluginRecord]:
    groups = [entry_point_group(group)] if group else [_PREFIX + g for g in GROUPS]
    installed = registry.snapshot()
    return [r for full in groups for r in registry.discover(full, entry_points=installed.select(group=full))]


def import_timeout() -> float:
    """Seconds one plugin's import may take in a check (`WEASUL_IMPORT_TIMEOUT`, default 30)."""
    try:
        return max(0.01, float(os.environ.get("WEASUL_IMPORT_TIMEOUT", "30")))
    except ValueError:
        return 30.0


def _load_in_time(record: PluginRecord, timeout: float, debug: bool) -> PluginRecord:
    """`registry.load` in a daemon thread: an import that hangs marks the plugin broken after
    `timeout` seconds instead of freezing the listing (the thread is left behind, idle or not)."""
    import threading

    done: list[PluginRecord] = []
    worker = threading.Thread(
        target=lambda: done.append(registry.load(record, check=_check, debug=debug)),
        name=f"weasul-import-{record.name}",
        daemon=True,
    )
    worker.start()
    worker.join(timeout)
    if done:
        return done[0]
    return record.with_status("broken", f"import timed out after {timeout:g} s")


def available(group: str | None = None, *, load: bool = True, debug: bool = False) -> list[PluginInfo]:
    """Every installed plugin (of one group, or all), with status after loading.

    With `load=False` nothing is imported and every status is `listed`. A plugin whose import
    takes longer than `import_timeout()` is `broken (import timed out after N s)`.
    """
    records = _discover(group)
    if not load:
        return records
    timeout = import_timeout()
    return [_load_in_time(r, timeout, debug) for r in records]


def cache_file() -> Path:
    """Where `check` records statuses: `$XDG_CACHE_HOME/weasul` (default `~/.cache/weasul`),
    one file per Python environment."""
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "weasul"
    environment = hashlib.sha256(sys.prefix.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return root / f"plugin-status-{environment}.json"


def check(group: str | None = None, *, debug: bool = False) -> list[PluginInfo]:
    """Import every plugin (of one group, or all), record the statuses in `cache_file()` and
    return them. A plugin that fails to import is `broken` with the reason; the rest still load."""
    records = available(group, load=True, debug=debug)
    try:
        statuscache.write_statuses(cache_file(), statuscache.environment_key(), records)
    except OSError:  # a read-only home still gets the answer, only not remembered
        pass
    return records


def listing(group: str | None = None) -> tuple[list[PluginInfo], str | None]:
    """Every installed plugin without importing any, with the status of the last `check` when
    the installed distributions have not changed since (else status `listed`), and when that
    check ran (None without a valid one)."""
    result = statuscache.read_statuses(cache_file(), statuscache.environment_key())
    records = statuscache.apply_statuses(_discover(group), result)
    return records, result.checked_at if result else None


def load_class(group: str, name: str) -> type[Plugin]:
    """The plugin class for `group/name`.

    Raises:
        PluginNotFoundError: not installed; suggests the closest name.
        PluginLoadError: import failed or two distributions claim the name.
        PluginContractError: wrong base class or API version.
    """
    full = entry_point_group(group)
    try:
        cls: type[Plugin] = registry.load_one(full, name, check=_check)
    except registry.NotFoundError as err:
        raise PluginNotFoundError(str(err).replace(full + "/", group.removeprefix(_PREFIX) + "/")) from None
    except (registry.LoadError, registry.ConflictError) as err:
        raise PluginLoadError(str(err)) from err
    except registry.IncompatibleError as err:
        raise PluginContractError(str(err)) from None
    return cls


# The overloads give embedding code the interface type of each group (`create("datasets", ...)`
# is a DatasetLoader, so `.load()` type-checks); any other spelling of a group gets `Plugin`.
@overload
def create(group: Literal["label_models"], name: str, /, **params: Any) -> LabelModel: ...
@overload
def create(group: Literal["query_strategies"], name: str, /, **params: Any) -> QueryStrategy: ...
@overload
def create(group: Literal["anomaly_scorers"], name: str, /, **params: Any) -> AnomalyScorer: ...
@overload
def create(group: Literal["encoders"], name: str, /, **params: Any) -> Encoder: ...
@overload
def create(group: Literal["slice_heads"], name: str, /, **params: Any) -> SliceHead: ...
@overload
def create(group: Literal["error_finders"], name: str, /, **params: Any) -> ErrorFinder: ...
@overload
def create(group: Literal["datasets"], name: str, /, **params: Any) -> DatasetLoader: ...
@overload
def create(group: Literal["labeling_functions"], name: str, /, **params: Any) -> LabelingFunctionPack: ...
@overload
def create(group: Literal["oracles"], name: str, /, **params: Any) -> Oracle: ...
@overload
def create(group: Literal["classifiers"], name: str, /, **params: Any) -> Classifier: ...
@overload
def create(group: Literal["reporters"], name: str, /, **params: Any) -> Reporter: ...
@overload
def create(group: str, name: str, /, **params: Any) -> Plugin: ...
def create(group: str, name: str, /, **params: Any) -> Plugin[Any]:
    """Instantiate `group/name` with params checked by its `Params` model."""
    cls = load_class(group, name)
    return cls(**params)
