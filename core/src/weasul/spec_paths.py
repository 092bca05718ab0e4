"""Relative paths in a spec file are relative to the spec file's folder.

The params that name files are those `weasul.cache.named_files` hashes: `path`, `paths`,
`file`, `files`, `*_path`, `*_file(s)` (strings, or lists and mappings of them), in the data
section, every step and every reporter. `load_spec` rewrites each relative one to an absolute
path in the spec's folder, so a run does not depend on the folder it was started from, and the
resolved spec (spec.yaml of a run, `weasul apply`) names the files it read.

Older specs wrote paths relative to the working folder: a path that exists only there still
resolves there, with a warning saying to write it relative to the spec.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["FILE_PARAM", "resolve_paths", "input_problems"]

_log = logging.getLogger("weasul.spec")

#: Param names whose values name files or folders (as in `weasul.cache.named_files`).
FILE_PARAM = re.compile(r"^(?:.*_)?(?:path|paths|file|files)$")


def _sections(raw: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(where, params mapping, use) of the data section, every step and every reporter."""
    data = raw.get("data")
    if isinstance(data, dict) and isinstance(data.get("params"), dict):
        yield "data.params", data["params"], f"datasets/{data.get('use', '')}"
    steps = raw.get("steps")
    for i, step in enumerate(steps if isinstance(steps, list) else []):  # a wrong type: validation says
        if isinstance(step, dict) and isinstance(step.get("params"), dict):
            yield f"step '{step.get('id', i)}'.params", step["params"], str(step.get("use", ""))
    report = raw.get("report")
    if isinstance(report, dict):
        reporters = report.get("reporters")
        for i, reporter in enumerate(reporters if isinstance(reporters, list) else []):
            if isinstance(reporter, dict) and isinstance(reporter.get("params"), dict):
                yield (
                    f"report.reporters[{i}].params",
                    reporter["params"],
                    f"reporters/{reporter.get('use', '')}",
                )


def _rewrite(value: Any, fix: Any) -> Any:
    if isinstance(value, str):
        return fix(value)
    if isinstance(value, list):
        return [_rewrite(v, fix) for v in value]
    if isinstance(value, dict):
        return {k: _rewrite(v, fix) for k, v in value.items()}
    return value


def resolve_paths(raw: Any, base: Path, cwd: Path | None = None) -> Any:
    """`raw` (spec data, changed in place and returned) with every relative file param made
    absolute: in `base` (the spec's folder), or in `cwd` when it exists only there."""
    if not isinstance(raw, dict):
        return raw
    base = Path(base).resolve()
    cwd = Path(cwd or os.getcwd()).resolve()
    legacy: list[str] = []

    def fix(text: str) -> str:
        path = Path(text).expanduser()
        if not text or path.is_absolute() or "://" in text:
            return str(path) if text.startswith("~") else text
        in_spec, in_cwd = base / path, cwd / path
        if not in_spec.exists() and in_cwd.exists() and base != cwd:
            legacy.append(text)
            return os.path.normpath(in_cwd)
        return os.path.normpath(in_spec)

    for _, params, _ in _sections(raw):
        for key in list(params):
            if isinstance(key, str) and FILE_PARAM.match(key):
                params[key] = _rewrite(params[key], fix)
    if legacy:
        _log.warning(
            "%d path(s) found only relative to the working folder %s, not to the spec's folder %s: %s; "
            "write paths relative to the spec file",
            len(legacy),
            cwd,
            base,
            ", ".join(legacy),
        )
    return raw


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)


def input_problems(raw: Any) -> list[str]:
    """`where: path <problem>` of each file a data loader or a labeling-function pack would read
    that does not exist, or that is a folder where a file is needed (a labeling-function pack's
    module, and any `*_file(s)` param); other steps may name files they create, such as a label
    store, and data loaders may read folders."""
    if not isinstance(raw, dict):
        return []
    out = []
    for where, params, use in _sections(raw):
        if not use.startswith(("datasets/", "labeling_functions/")):
            continue
        for key, value in params.items():
            if not FILE_PARAM.match(key):
                continue
            wants_file = use.startswith("labeling_functions/") or key.endswith(("file", "files"))
            for text in _strings(value):
                path = Path(text).expanduser()
                if not path.exists():
                    out.append(f"{where}.{key}: {text} does not exist")
                elif wants_file and path.is_dir():
                    out.append(f"{where}.{key}: {text} is a folder, not a file; name a file inside it")
    return out
