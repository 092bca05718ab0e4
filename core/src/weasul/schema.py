"""JSON Schema of the spec, with each installed plugin's params, for editors and CI."""

from __future__ import annotations

from typing import Any

from weasul.params import WeasulParams
from weasul.plugins import available
from weasul.spec import Spec
from weasul.steps import Step, step_class

__all__ = ["spec_schema"]


def _add_step_params(params_schema: dict[str, Any], step_cls: type[Step[Any]]) -> None:
    """A spec step's `params` hold the plugin's fields and its step's step-only fields."""
    extra: type[WeasulParams] = step_cls.Params
    step_schema = extra.model_json_schema(ref_template="#/$defs/{model}")
    params_schema.setdefault("properties", {}).update(step_schema.get("properties", {}))
    required = params_schema.get("required", []) + step_schema.get("required", [])
    if required:
        params_schema["required"] = required
    params_schema.setdefault("$defs", {}).update(step_schema.get("$defs", {}))


def spec_schema() -> dict[str, Any]:
    """The Spec schema where `steps[]` and `data` are unions over installed plugins.

    Each branch pins `use` to one plugin and `params` to that plugin's Params schema. Plugins
    that fail to load are left out (`weasul plugins` shows why).
    """
    schema = Spec.model_json_schema()
    defs = schema.setdefault("$defs", {})
    step_base = defs["StepSpec"]
    step_branches, data_branches = [], []
    for info in available():
        if info.status != "ok":
            continue
        group = info.group.removeprefix("weasul.")
        params_schema = info.obj.Params.model_json_schema(ref_template="#/$defs/{model}")
        if group not in ("datasets", "reporters"):
            _add_step_params(params_schema, step_class(info.obj))
        for name, sub in params_schema.pop("$defs", {}).items():
            defs.setdefault(name, sub)
        key = f"{group}__{info.name}__params"
        defs[key] = params_schema
        if group == "datasets":
            data_branches.append(
                {
                    "type": "object",
                    "properties": {"use": {"const": info.name}, "params": {"$ref": f"#/$defs/{key}"}},
                }
            )
        elif group != "reporters":
            step_branches.append(
                {
                    "type": "object",
                    "properties": {
                        "use": {"const": f"{group}/{info.name}"},
                        "params": {"$ref": f"#/$defs/{key}"},
                    },
                }
            )
    if step_branches:
        defs["StepSpec"] = {"allOf": [step_base, {"anyOf": step_branches}]}
    if data_branches:
        defs["DataSpec"] = {"allOf": [defs["DataSpec"], {"anyOf": data_branches}]}
    return schema
