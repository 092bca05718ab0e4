"""A step never changes its inputs: fingerprints of step inputs, taken before and after a step.

Arrays and tables are hashed by content; a plugin object (a `model` artifact) by its params
and fitted state, so a step that refits an earlier step's model in place is caught.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from weasul.artifacts import fingerprint
from weasul.errors import PluginContractError
from weasul.plugin import Plugin

__all__ = ["model_fingerprint", "fingerprint_inputs", "check_unchanged"]


def _state_bytes(value: Any) -> bytes:
    if isinstance(value, np.ndarray):
        return fingerprint(value).encode()
    if hasattr(value, "state_dict") and callable(value.state_dict):  # a torch module
        return "".join(
            f"{k}:{fingerprint(v.detach().cpu().numpy())}" for k, v in value.state_dict().items()
        ).encode()
    try:
        return json.dumps(value, sort_keys=True, default=repr).encode()
    except (TypeError, ValueError):
        return repr(value).encode()


def model_fingerprint(plugin: Plugin) -> str:
    """A hash of a plugin's class, params and fitted state (attributes ending in `_`)."""
    h = hashlib.sha256(f"{type(plugin).__module__}:{type(plugin).__qualname__}".encode())
    h.update(plugin.params.model_dump_json().encode())
    for key, value in sorted(plugin.fitted_state().items()):
        h.update(key.encode() + b"=" + _state_bytes(value))
    return h.hexdigest()[:32]


def _value_fingerprint(value: Any) -> str:
    if isinstance(value, Plugin):
        return model_fingerprint(value)
    if isinstance(value, Mapping):
        return "|".join(f"{split}:{_value_fingerprint(v)}" for split, v in sorted(value.items()))
    if value is None:
        return "none"
    return fingerprint(value)


def fingerprint_inputs(inputs: Mapping[str, Any]) -> dict[str, str]:
    """One fingerprint per input name (split-wise values: one per split, joined)."""
    return {name: _value_fingerprint(value) for name, value in inputs.items()}


def check_unchanged(before: Mapping[str, str], inputs: Mapping[str, Any], where: str) -> None:
    """Raise PluginContractError naming every input whose fingerprint changed."""
    after = fingerprint_inputs(inputs)
    changed = sorted(name for name, print_ in before.items() if after.get(name) != print_)
    if changed:
        raise PluginContractError(
            f"{where} changed its input(s) {', '.join(changed)}; a step must not modify its inputs "
            "(copy an array or clone a model before changing it)"
        )
