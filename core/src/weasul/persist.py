"""Save plugins whose fitted state holds scikit-learn objects, without pickle.

`PersistentPlugin.save` stores numpy arrays and JSON values in a safetensors file. A plugin
that learns a scikit-learn estimator (an end model, a TF-IDF vectorizer, a PyOD detector built
on sklearn) calls `save_plugin` / `load_plugin` instead: every other attribute is stored as the
default does, and each object of an allowed package is serialised with skops (a format of
plain, inspected node types, unlike pickle) into a uint8 tensor of the same file.

On load, skops lists the types the file needs beyond its safe defaults; those are accepted only
when their module belongs to one of `trusted_packages` (default: scikit-learn itself), so a
file naming `os.system` or any other callable is refused, never executed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from weasul.errors import DataError, PluginContractError
from weasul.lazy import require
from weasul.plugin import PersistentPlugin

__all__ = ["SKOPS_PACKAGES", "save_plugin", "load_plugin", "read_saved", "dump_object", "load_object"]

#: Top-level packages whose objects are stored with skops (and whose types a file may need).
SKOPS_PACKAGES = ("sklearn",)

T = TypeVar("T", bound=PersistentPlugin)


def _skops() -> Any:
    return require("skops.io", extra="sklearn", distribution="weasul-core")


def dump_object(obj: Any) -> np.ndarray:
    """The skops bytes of a scikit-learn object, as a uint8 array."""
    return np.frombuffer(_skops().dumps(obj), dtype=np.uint8).copy()


def load_object(blob: np.ndarray, *, where: str, trusted_packages: Sequence[str] = SKOPS_PACKAGES) -> Any:
    """Read an object written by `dump_object`. Types beyond skops's safe defaults are allowed
    only from `trusted_packages`; raises DataError naming the others."""
    sio = _skops()
    data = np.ascontiguousarray(blob, dtype=np.uint8).tobytes()
    try:
        needed = sio.get_untrusted_types(data=data)
    except Exception as err:  # noqa: BLE001 - skops raises several types on a damaged file
        raise DataError(f"{where}: not a readable skops object ({type(err).__name__}: {err})") from err
    refused = [t for t in needed if t.partition(".")[0] not in trusted_packages]
    if refused:
        raise DataError(
            f"{where}: refusing to load types outside {', '.join(trusted_packages)}: {', '.join(refused)}"
        )
    return sio.loads(data, trusted=needed)


def save_plugin(
    plugin: PersistentPlugin, path: str | Path, *, packages: Sequence[str] = SKOPS_PACKAGES
) -> Path:
    """Write `plugin`'s params and fitted state to a safetensors file: numpy arrays as tensors,
    JSON values in the metadata, objects of `packages` (default scikit-learn; a PyOD scorer
    passes `("sklearn", "pyod")`) as skops bytes. Raises NotFittedError before `fit`,
    PluginContractError for state of any other type."""
    from safetensors.numpy import save_file

    plugin.check_fitted()
    tensors: dict[str, np.ndarray] = {}
    scalars: dict[str, Any] = {}
    objects: list[str] = []
    for key, value in plugin.fitted_state().items():
        if isinstance(value, np.ndarray) and value.dtype != object:
            tensors[key] = np.ascontiguousarray(value)
        elif type(value).__module__.partition(".")[0] in packages:
            tensors[key] = dump_object(value)
            objects.append(key)
        elif isinstance(value, (bool, int, float, str, type(None), list, dict, tuple)):
            scalars[key] = value
        else:
            raise PluginContractError(
                f"{type(plugin).__name__}.{key} is a {type(value).__name__}; save_plugin stores numpy "
                f"arrays, JSON values and objects of {', '.join(packages)} only"
            )
    path = Path(path)
    cls = type(plugin)
    metadata = {
        "plugin": f"{cls.__module__}:{cls.__qualname__}",
        "params": plugin.params.model_dump_json(),
        "scalars": json.dumps(scalars),
        "skops": json.dumps(objects),
    }
    save_file(tensors, str(path), metadata=metadata)
    return path


def read_saved(
    cls: type[PersistentPlugin], path: str | Path
) -> tuple[dict[str, str], dict[str, np.ndarray], Any]:
    """The metadata, tensors and params of a model file for `cls`; DataError for a missing,
    truncated or foreign file, or one saved by another plugin class (named in the message)."""
    from pydantic import ValidationError
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path} is a folder; name the model file that save() wrote (.safetensors)")
    if not path.is_file():
        raise DataError(f"no saved model at {path}")
    try:
        with safe_open(str(path), framework="numpy") as handle:
            metadata = handle.metadata() or {}
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}
    except (SafetensorError, OSError, ValueError) as err:
        raise DataError(
            f"{path} is not a readable safetensors file ({type(err).__name__}: truncated or not a model); "
            "save the model again"
        ) from None
    if "params" not in metadata:
        raise DataError(f"{path} was not written by a weasul plugin's save()")
    mine, saved_by = f"{cls.__module__}:{cls.__qualname__}", metadata.get("plugin")
    if saved_by and saved_by != mine:
        raise DataError(f"{path} was saved by {saved_by}, not {mine}; load it with the plugin that saved it")
    try:
        params = cls.Params.model_validate_json(metadata["params"])
    except ValidationError as err:
        raise DataError(
            f"{path}: its saved params do not fit {cls.__name__} ({err.error_count()} problem(s)); "
            "was it saved by another version of the plugin?"
        ) from None
    return metadata, tensors, params


def load_plugin(cls: type[T], path: str | Path, *, packages: Sequence[str] = SKOPS_PACKAGES) -> T:
    """A fitted `cls` read from a file written by `save_plugin` (or by the default `save`);
    the objects in it may use types of `packages` only (the caller's choice, never the file's)."""
    metadata, tensors, params = read_saved(cls, path)
    plugin = cls(params)
    objects = set(json.loads(metadata.get("skops", "[]")))
    for key, value in json.loads(metadata.get("scalars", "{}")).items():
        setattr(plugin, key, value)
    for key, value in tensors.items():
        loaded = (
            load_object(value, where=f"{path} ({key})", trusted_packages=packages)
            if key in objects
            else value
        )
        setattr(plugin, key, loaded)
    return plugin
