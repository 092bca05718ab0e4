"""Command-line overrides of a spec: `weasul run spec.yaml -s steps.lm.params.seed=3`.

An override is `dotted.key=value`. The key walks the spec's mappings; under `steps` the next
part is a step id (or its position, `steps.0`); a list further down takes a position. The value
is read as YAML (`3` is an int, `[1, 2]` a list, `true` a bool, `null` None; anything else a
string). Missing mapping keys are created, so a parameter not in the file can be set. The
overrides are applied before the spec is validated, so a wrong one gets the usual message,
and they are recorded in the run's run.json.

A sweep (`--sweep steps.lm.params.seed=[0, 1, 2]`) is a key with a YAML list of values;
several sweeps run every combination, each as a run with those overrides.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from weasul.errors import SpecError

__all__ = ["parse_override", "apply_overrides", "expand_sweeps"]


def parse_override(text: str) -> tuple[list[str], Any]:
    """(`key` parts, YAML value) of `key=value`; SpecError when it has no `=` or an empty part."""
    import yaml

    key, sep, raw = text.partition("=")
    parts = key.strip().split(".")
    if not sep or not all(p.strip() for p in parts):
        raise SpecError(f"-s {text}: write overrides as dotted.key=value, e.g. -s steps.lm.params.seed=3")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return [p.strip() for p in parts], value


def _step(steps: Any, part: str, text: str) -> dict[str, Any]:
    if not isinstance(steps, list):
        raise SpecError(f"-s {text}: the spec has no list of steps")
    ids = [s.get("id") for s in steps if isinstance(s, dict)]
    if part.isdigit() and int(part) < len(steps):
        chosen = steps[int(part)]
    elif part in ids:
        chosen = steps[ids.index(part)]
    else:
        raise SpecError(f"-s {text}: no step '{part}'; steps are {', '.join(map(str, ids)) or 'none'}")
    if not isinstance(chosen, dict):
        raise SpecError(f"-s {text}: step '{part}' is not a mapping")
    return chosen


def _set(raw: dict[str, Any], parts: list[str], value: Any, text: str) -> None:
    node: Any = raw
    for depth, part in enumerate(parts[:-1]):
        if depth == 1 and parts[0] == "steps":
            node = _step(node, part, text)
            continue
        if isinstance(node, list):
            if not (part.isdigit() and int(part) < len(node)):
                raise SpecError(
                    f"-s {text}: '{'.'.join(parts[: depth + 1])}' needs a position below {len(node)}"
                )
            node = node[int(part)]
        elif isinstance(node, dict):
            if node.get(part) is None:
                node[part] = {}
            node = node[part]
        else:
            raise SpecError(
                f"-s {text}: '{'.'.join(parts[:depth])}' is a {type(node).__name__}, not a mapping"
            )
    last = parts[-1]
    if isinstance(node, list):
        if not (last.isdigit() and int(last) < len(node)):
            raise SpecError(f"-s {text}: '{'.'.join(parts)}' needs a position below {len(node)}")
        node[int(last)] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise SpecError(f"-s {text}: '{'.'.join(parts[:-1])}' is a {type(node).__name__}, not a mapping")


def apply_overrides(raw: Any, overrides: Sequence[str]) -> Any:
    """A copy of the raw spec data with each `key=value` override applied, in order."""
    if not overrides:
        return raw
    if not isinstance(raw, dict):
        raise SpecError("overrides need a spec that is a mapping")
    out = copy.deepcopy(raw)
    for text in overrides:
        parts, value = parse_override(text)
        _set(out, parts, value, text)
    return out


def expand_sweeps(sweeps: Sequence[str]) -> list[list[str]]:
    """Every combination of the sweeps' values, each as a list of `key=value` overrides
    (values in YAML flow style); `[[]]` when there are no sweeps."""
    import itertools

    import yaml

    axes: list[list[str]] = []
    for text in sweeps:
        parts, values = parse_override(text)
        if not isinstance(values, list) or not values:
            raise SpecError(
                f"--sweep {text}: give a non-empty list of values, e.g. --sweep steps.lm.params.seed=[0, 1, 2]"
            )
        key = ".".join(parts)
        axes.append(
            [
                f"{key}={yaml.safe_dump(v, default_flow_style=True).strip().removesuffix('...').strip()}"
                for v in values
            ]
        )
    return [list(combo) for combo in itertools.product(*axes)]
