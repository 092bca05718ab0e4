"""The fitted models of a run folder, kept so the run can label new data (`weasul apply`).

`RUN_DIR/models/<step>.safetensors` holds a step's `model` output (`<step>.<output>.safetensors`
for another model output), written by the plugin's own `save` (safetensors, skops for
scikit-learn objects; never pickle). `RUN_DIR/models/manifest.json` names, per step and output,
the registered plugin (`group/name`, never an import path from the file) that loads it, with
the file's sha256 and size; a model that cannot be persisted is listed with the reason.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from weasul.cache import file_sha256, registered_name, write_text_atomic
from weasul.errors import DataError, PluginContractError, WeasulError
from weasul.plugin import PersistentPlugin, Plugin

__all__ = ["MODELS_DIR", "MANIFEST", "save_step_models", "read_manifest", "load_step_model"]

_log = logging.getLogger("weasul.run")

MODELS_DIR = "models"
MANIFEST = "manifest.json"
_FORMAT = 1


def read_manifest(run_dir: Path) -> dict[str, Any]:
    """The models manifest of a run folder (an empty one when no model was saved)."""
    path = Path(run_dir) / MODELS_DIR / MANIFEST
    if not path.is_file():
        return {"format": _FORMAT, "steps": {}}
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        raise DataError(f"{path} is not valid json: {err}") from err
    if manifest.get("format") != _FORMAT:
        raise DataError(f"{path} is not a models manifest of format {_FORMAT}")
    return manifest


def save_step_models(
    run_dir: Path, step_id: str, artifacts: Mapping[str, Any], plugin_names: Mapping[type, str] | None = None
) -> list[Path]:
    """Save every fitted model among a step's outputs under `run_dir/models/` and list it in the
    manifest; `plugin_names` maps model classes to their registered `group/name` where the
    caller knows it (otherwise the installed entry points are searched). Returns the files."""
    models = {name: value for name, value in artifacts.items() if isinstance(value, Plugin)}
    if not models:
        return []
    folder = Path(run_dir) / MODELS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(run_dir)
    entries: dict[str, Any] = {}
    written = []
    for name, model in models.items():
        cls = type(model)
        registered = (plugin_names or {}).get(cls) or registered_name(cls)
        entry: dict[str, Any] = {"plugin": registered, "class": f"{cls.__module__}:{cls.__qualname__}"}
        if registered is None:
            entry["saved"], entry["reason"] = False, "its class is not a registered plugin"
        elif not (isinstance(model, PersistentPlugin) and model.persistable):
            entry["saved"], entry["reason"] = False, f"{registered} does not persist its fitted state"
        else:
            file = folder / (f"{step_id}.safetensors" if name == "model" else f"{step_id}.{name}.safetensors")
            tmp = folder / f".{file.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
            try:
                model.save(tmp)
                os.replace(tmp, file)
                entry.update(saved=True, file=file.name, sha256=file_sha256(file), size=file.stat().st_size)
                written.append(file)
            except PluginContractError as err:  # this instance's state cannot be stored (e.g. torch inside)
                entry["saved"], entry["reason"] = False, str(err)
            finally:
                tmp.unlink(missing_ok=True)
        if not entry["saved"]:
            _log.info("step %s: model '%s' not saved in the run folder: %s", step_id, name, entry["reason"])
        entries[name] = entry
    manifest["steps"][step_id] = entries
    write_text_atomic(folder / MANIFEST, json.dumps(manifest, indent=1))
    return written


def load_step_model(run_dir: Path, step_id: str, output: str = "model") -> Plugin:
    """The fitted model a step of a finished run saved, loaded through its registered plugin
    after its checksum is verified. Raises DataError saying why it cannot be loaded."""
    from weasul.plugins import load_class

    manifest = read_manifest(run_dir)
    entry = manifest["steps"].get(step_id, {}).get(output)
    where = f"{run_dir}: step '{step_id}'"
    if entry is None:
        raise DataError(f"{where} saved no model '{output}' (a run from before models were kept? rerun it)")
    if not entry.get("saved"):
        raise DataError(f"{where}: its model '{output}' was not saved: {entry.get('reason')}")
    path = Path(run_dir) / MODELS_DIR / str(entry["file"])
    if not path.is_file():
        raise DataError(f"{where}: {path} is missing")
    if path.stat().st_size != entry["size"] or file_sha256(path) != entry["sha256"]:
        raise DataError(f"{where}: {path} does not match the checksum in {MANIFEST} (changed or truncated)")
    group, _, name = str(entry["plugin"]).partition("/")
    try:
        cls = load_class(group, name)
    except WeasulError as err:
        raise DataError(f"{where}: its model needs the plugin '{entry['plugin']}': {err}") from err
    if not issubclass(cls, PersistentPlugin):
        raise DataError(f"{where}: plugin '{entry['plugin']}' cannot load saved models")
    return cls.load(path)
