"""`run.json`: what a run was (the resolved spec, package versions, the project's git commit,
the files it read) and how it went (status, timings per step), rewritten as it goes.

Its `status` is `running` from the start, `reporting` once every step is done and the
reporters write (`steps_ended` says when), then `finished`, `failed` or `interrupted`; a run
folder still saying `running` or `reporting` belongs to a run that is going on or was killed.
"""

from __future__ import annotations

import importlib.metadata as md
import json
import logging
import platform
import re
import subprocess
import time
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from weasul.cache import distribution_of, json_default, write_text_atomic

__all__ = ["RunRecord", "Status", "git_state", "package_versions", "params_with_defaults"]

Status = Literal["running", "reporting", "finished", "failed", "interrupted"]
_log = logging.getLogger(__name__)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")


def params_with_defaults(
    model: type[BaseModel], params: Mapping[str, Any], skip: Iterable[str] = ()
) -> dict[str, Any]:
    """`params` with the default of every field not given, as JSON values; fields in `skip`
    (filled from inputs at run time) are left out."""
    skip = set(skip)
    given = {k: v for k, v in params.items() if k not in skip}
    try:
        full = model.model_validate(dict(params)).model_dump(mode="json")
        return {k: v for k, v in full.items() if k not in skip}
    except ValidationError:
        pass  # a required field comes from an input; fill in the defaults one by one
    out = dict(given)
    for name, info in model.model_fields.items():
        if name in out or name in skip or info.is_required():
            continue
        out[name] = info.get_default(call_default_factory=True)
    resolved: dict[str, Any] = json.loads(json.dumps(out, default=_jsonable))
    return resolved


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return json_default(value)


def _requirements(dist: md.Distribution) -> list[str]:
    """Names of a distribution's requirements that hold without extras."""
    names = []
    for line in dist.requires or []:
        requirement, _, marker = line.partition(";")
        if "extra" in marker:
            continue
        match = _NAME.match(requirement.strip())
        if match:
            names.append(match.group(0))
    return names


def package_versions(distributions: Iterable[str] = (), classes: Iterable[type] = ()) -> dict[str, str]:
    """Versions of weasul-core, weasul-registry, the named distributions and those that provide
    `classes`, and of their direct requirements, by name."""
    wanted: list[str] = ["weasul-core", "weasul-registry", *distributions]
    for cls in classes:
        dist = distribution_of(cls)
        if dist is not None:
            wanted.append(str(dist.metadata["Name"]))
    out: dict[str, str] = {}
    queue = [(name, True) for name in wanted]
    while queue:
        name, expand = queue.pop(0)
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        canonical = str(dist.metadata["Name"])
        if canonical in out:
            continue
        out[canonical] = dist.version
        if expand:
            queue.extend((req, False) for req in _requirements(dist))
    return dict(sorted(out.items(), key=lambda item: item[0].lower()))


def _git(folder: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_state(folder: Path) -> dict[str, Any] | None:
    """The commit checked out in the git work tree holding `folder`, and whether tracked files
    differ from it; None when `folder` is in no work tree or git is not installed."""
    commit = _git(folder, "rev-parse", "HEAD")
    if not commit:
        return None
    status = _git(folder, "status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class RunRecord:
    """The `run.json` of one run folder; every change rewrites the file atomically."""

    def __init__(
        self,
        run_dir: Path,
        spec: Mapping[str, Any],
        *,
        spec_file: Path | None,
        distributions: Iterable[str] = (),
        classes: Iterable[type] = (),
        files: Mapping[str, str] | None = None,
    ) -> None:
        self.path = run_dir / "run.json"
        self._started = time.perf_counter()
        where = spec_file.parent if spec_file is not None else Path.cwd()
        self.data: dict[str, Any] = {
            "status": "running",
            "error": None,
            "started": _now(),
            "steps_ended": None,
            "ended": None,
            "seconds": None,
            "spec_file": str(spec_file) if spec_file is not None else None,
            "git": git_state(where),
            "python": platform.python_version(),
            "packages": package_versions(distributions, classes),
            "files": dict(files or {}),
            "steps": {},
            "spec": dict(spec),
        }
        self._write()

    def step(self, step_id: str, *, use: str, key: str | None, cached: bool, seconds: float) -> None:
        """Record a finished step: its plugin, cache key, whether it came from the cache, its time."""
        self.data["steps"][step_id] = {"use": use, "key": key, "cached": cached, "seconds": round(seconds, 4)}
        self._write()

    def add_files(self, files: Mapping[str, str]) -> None:
        """Record content hashes of files the run read (by the name the spec gives)."""
        self.data["files"].update(files)

    def reporting(self) -> None:
        """Record that every step is done and the reporters are writing."""
        self.data.update(status="reporting", steps_ended=_now())
        self._write()

    def finish(self, status: Status, error: str | None = None) -> None:
        """Record how the run ended. A run.json that cannot be written (a full disk) is
        logged, not raised, so the error that ended the run is the one reported."""
        self.data.update(
            status=status,
            error=error,
            ended=_now(),
            seconds=round(time.perf_counter() - self._started, 4),
        )
        try:
            self._write()
        except OSError as err:
            _log.warning("could not record status '%s' in %s: %s", status, self.path, err)

    def _write(self) -> None:
        write_text_atomic(self.path, json.dumps(self.data, indent=1, default=json_default) + "\n")
