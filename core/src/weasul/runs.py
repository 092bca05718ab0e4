"""Finished runs on disk: list them with status and headline metrics, compare two.

A run folder is `<runs_dir>/<name>/<stamp>/` holding `metrics.json` and, since run records,
`run.json` (status, timings). Nothing here imports a plugin: headlines come from the
`report.json` the HTML report writes beside the page (each step's own headline), else from the
metrics alone (`weasul.report.headline_of`), so `weasul runs` stays quick over hundreds of runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from weasul.errors import WeasulError
from weasul.report import Headline, fmt, headline_of

__all__ = ["RunInfo", "compare_runs", "find_runs", "flat_spec", "read_run", "resolve_run"]


@dataclass
class RunInfo:
    """One run folder: where, which spec, how it ended and each step's headline."""

    path: Path
    name: str
    stamp: str
    status: str
    started: str | None = None
    seconds: float | None = None
    error: str | None = None
    headlines: dict[str, Headline] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (for `weasul runs --json`)."""
        return {
            "path": str(self.path),
            "name": self.name,
            "stamp": self.stamp,
            "status": self.status,
            "started": self.started,
            "seconds": self.seconds,
            "error": self.error,
            "headlines": {k: {"label": h.label, "value": h.value} for k, h in self.headlines.items()},
        }

    def headline_text(self, most: int = 3) -> str:
        """The last `most` steps' headlines, e.g. `lm test-accuracy 0.8946 · clf test-accuracy 0.9405`."""
        items = list(self.headlines.items())
        shown = " · ".join(f"{step} {h.label} {fmt(h.value)}" for step, h in items[-most:])
        return shown + (f" (+{len(items) - most} steps)" if len(items) > most else "")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def is_run_dir(path: Path) -> bool:
    """Whether `path` is a run folder (it has metrics.json or run.json)."""
    return (path / "run.json").is_file() or (path / "metrics.json").is_file()


def read_run(path: Path) -> RunInfo:
    """The summary of one run folder; a folder from before run records has status 'unknown'."""
    path = Path(path)
    record = _read_json(path / "run.json")
    metrics = _read_json(path / "metrics.json")
    headlines = {}
    written = _read_json(path / "report.json").get("headlines")
    if isinstance(written, Mapping):  # the steps' own headlines, from the last report
        for step_id, h in written.items():
            if isinstance(h, Mapping) and "label" in h:
                headlines[str(step_id)] = Headline(
                    str(h["label"]), h.get("value"), str(h.get("detail") or "")
                )
    else:
        for step_id, values in metrics.items():
            if isinstance(values, Mapping):
                headline = headline_of(values)
                if headline is not None:
                    headlines[step_id] = headline
    seconds = record.get("seconds")
    if seconds is None and record.get("steps"):
        seconds = sum(float(s.get("seconds") or 0) for s in record["steps"].values())
    return RunInfo(
        path=path,
        name=path.parent.name,
        stamp=path.name,
        status=str(record.get("status") or "unknown"),
        started=record.get("started"),
        seconds=seconds,
        error=record.get("error"),
        headlines=headlines,
    )


def _run_dirs(runs_dir: Path) -> Iterator[Path]:
    for name_dir in sorted(p for p in runs_dir.iterdir() if p.is_dir()):
        if is_run_dir(name_dir):
            yield name_dir
            continue
        for run_dir in sorted(p for p in name_dir.iterdir() if p.is_dir() and p.name != "cache"):
            if is_run_dir(run_dir):
                yield run_dir


def find_runs(runs_dir: str | Path = "runs", name: str | None = None) -> list[RunInfo]:
    """Every run under `runs_dir` (optionally only runs of spec `name`), oldest first."""
    root = Path(runs_dir)
    if not root.is_dir():
        raise WeasulError(f"no runs folder {root} (runs go to --runs-dir, default: runs)")
    runs = [read_run(p) for p in _run_dirs(root)]
    if name is not None:
        runs = [r for r in runs if r.name == name]
    return sorted(runs, key=lambda r: (r.started or "", r.stamp))


def resolve_run(ref: str | Path, runs_dir: str | Path = "runs") -> Path:
    """A run folder from a path, `<name>/<stamp>` under `runs_dir`, or a spec name (its latest run)."""
    for candidate in (Path(ref), Path(runs_dir) / ref):
        if candidate.is_dir() and is_run_dir(candidate):
            return candidate
        if candidate.is_dir():
            inner = [p for p in sorted(candidate.iterdir()) if p.is_dir() and is_run_dir(p)]
            if inner:
                return inner[-1]
    raise WeasulError(
        f"no run folder '{ref}' (give a run folder, <name>/<stamp> under {runs_dir}, or a run name)"
    )


def _flatten(value: Any, prefix: str, depth: int, out: dict[str, Any]) -> None:
    if isinstance(value, Mapping) and depth > 0:
        for key, inner in value.items():
            _flatten(inner, f"{prefix}.{key}" if prefix else str(key), depth - 1, out)
    elif isinstance(value, (int, float, str, bool, list)) or value is None:
        out[prefix] = value


def flat_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A resolved spec as dotted keys; steps keyed by id (`steps.lm.params.seed`)."""
    spec = dict(spec)
    steps = spec.pop("steps", None) or []
    out: dict[str, Any] = {}
    _flatten(spec, "", 8, out)
    for entry in steps:
        if isinstance(entry, Mapping):
            flat: dict[str, Any] = {}
            _flatten({k: v for k, v in entry.items() if k != "id"}, f"steps.{entry.get('id')}", 8, flat)
            out.update(flat)
    return out


def _numeric(*values: Any) -> bool:
    return all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values)


def compare_runs(a: Path, b: Path) -> dict[str, Any]:
    """Metrics of two runs side by side (`step.split.metric`, numbers and short text) and the
    spec keys whose values differ: `{"metrics": [(key, va, vb)], "spec": [(key, va, vb)]}`."""
    import yaml

    flat: list[dict[str, Any]] = []
    specs = []
    for run in (a, b):
        metrics: dict[str, Any] = {}
        _flatten(_read_json(run / "metrics.json"), "", 3, metrics)
        flat.append(metrics)
        spec_path = run / "spec.yaml"
        spec = yaml.safe_load(spec_path.read_text(encoding="utf-8")) if spec_path.is_file() else None
        specs.append(flat_spec(spec or _read_json(run / "run.json").get("spec") or {}))
    keys = list(dict.fromkeys([*flat[0], *flat[1]]))
    metric_rows = [
        (k, flat[0].get(k), flat[1].get(k)) for k in keys if _numeric(flat[0].get(k), flat[1].get(k))
    ]
    spec_keys = list(dict.fromkeys([*specs[0], *specs[1]]))
    spec_rows = [
        (k, specs[0].get(k), specs[1].get(k)) for k in spec_keys if specs[0].get(k) != specs[1].get(k)
    ]
    return {"metrics": metric_rows, "spec": spec_rows}
