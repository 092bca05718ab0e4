"""Save and load plugins whose fitted state is a torch module, without pickle.

One safetensors file holds the module's state dict, and as metadata the plugin's class, its
params and a JSON dict of the other fitted values the plugin needs to rebuild the module. torch
and safetensors' torch support are imported on first use, so plugin modules stay light.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from weasul.errors import DataError
from weasul.plugin import PersistentPlugin

__all__ = ["save_module", "read_module", "restore"]

T = TypeVar("T", bound=PersistentPlugin)


def save_module(plugin: PersistentPlugin, module: Any, path: str | Path, scalars: Mapping[str, Any]) -> Path:
    """Write `module`'s state dict, `plugin`'s class and params, and `scalars` (JSON) to `path`."""
    from safetensors.torch import save_file

    plugin.check_fitted()
    path = Path(path)
    metadata = {
        "plugin": f"{type(plugin).__module__}:{type(plugin).__qualname__}",
        "params": plugin.params.model_dump_json(),
        "scalars": json.dumps(dict(scalars)),
    }
    state = {k: v.detach().contiguous() for k, v in module.state_dict().items()}
    save_file(state, str(path), metadata=metadata)
    return path


def read_module(cls: type[T], path: str | Path) -> tuple[T, dict[str, Any], dict[str, Any]]:
    """A new `cls` with the saved params, the saved state dict and scalars; raises DataError when
    the file is missing, unreadable or written by another class's `save`."""
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise DataError(f"no saved model at {path}")
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
            state = {k: handle.get_tensor(k) for k in handle.keys()}
    except Exception as err:  # safetensors raises its own error types for corrupt files
        raise DataError(f"{path} is not a readable safetensors file: {err}") from err
    expected = f"{cls.__module__}:{cls.__qualname__}"
    if "params" not in metadata or metadata.get("plugin") != expected:
        raise DataError(f"{path} was not written by {cls.__name__}.save() (found {metadata.get('plugin')})")
    plugin = cls(cls.Params.model_validate_json(metadata["params"]))
    return plugin, state, json.loads(metadata.get("scalars", "{}"))


def restore(module: Any, state: dict[str, Any]) -> Any:
    """`module` with `state` loaded, in evaluation mode."""
    module.load_state_dict(state)
    module.eval()
    return module
