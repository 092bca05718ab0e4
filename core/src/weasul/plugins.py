"""Find, check and instantiate plugins through the registry."""

from __future__ import annotations

from typing import Any, Literal, overload

import weasul_registry as registry
from weasul_registry import PluginRecord

from weasul.errors import PluginContractError, PluginLoadError, PluginNotFoundError, SpecError
from weasul.interfaces import (
    INTERFACES,
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
from weasul.plugin import API_VERSION, Plugin

__all__ = ["GROUPS", "PluginInfo", "available", "create", "entry_point_group", "load_class"]

PluginInfo = PluginRecord
GROUPS: tuple[str, ...] = tuple(INTERFACES)
_PREFIX = "weasul."


def entry_point_group(group: str) -> str:
    """`label_models` -> `weasul.label_models`; raises SpecError for an unknown group."""
    short = group.removeprefix(_PREFIX)
    if short not in INTERFACES:
        hint = registry.suggest(short, GROUPS)
        did = f" did you mean '{hint}'?" if hint else ""
        raise SpecError(f"unknown plugin group '{group}';{did} groups are: {', '.join(GROUPS)}")
    return _PREFIX + short


def _check(record: PluginRecord, obj: Any) -> None:
    """Refuse objects that are not plugin classes of the group's interface or target another API."""
    interface = INTERFACES[record.group.removeprefix(_PREFIX)]
    if not (isinstance(obj, type) and issubclass(obj, interface)):
        raise registry.IncompatibleError(
            f"'{record.group}/{record.name}' ({record.target}) is not a subclass of weasul.{interface.__name__}"
        )
    if getattr(obj, "api_version", None) != API_VERSION:
        raise registry.IncompatibleError(
            f"'{record.name}' from {record.distribution} {record.version} targets weasul plugin API "
            f"{obj.api_version}, this core implements {API_VERSION}; upgrade or downgrade one of them"
        )


def available(group: str | None = None, *, load: bool = True, debug: bool = False) -> list[PluginInfo]:
    """Every installed plugin (of one group, or all), with status after loading.

    With `load=False` nothing is imported and every status is `listed`.
    """
    groups = [entry_point_group(group)] if group else [_PREFIX + g for g in GROUPS]
    installed = registry.snapshot()
    out: list[PluginInfo] = []
    for full in groups:
        for record in registry.discover(full, entry_points=installed.select(group=full)):
            out.append(registry.load(record, check=_check, debug=debug) if load else record)
    return out


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
def create(group: str, name: str, /, **params: Any) -> Plugin:
    """Instantiate `group/name` with params checked by its `Params` model."""
    cls = load_class(group, name)
    return cls(**params)
