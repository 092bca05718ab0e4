"""Find entry points of a group from installed metadata, and load them one at a time.

Listing reads distribution metadata only and imports nothing. Loading imports one target
and turns any failure into a record with status `broken`, so one bad plugin never stops
the others. There is deliberately no on-disk entry-point cache: it goes stale whenever an
editable install changes. (`statuscache` keeps the outcome of loading, keyed on the installed
distributions; listing itself always rescans.)
"""

from __future__ import annotations

import importlib.metadata as md
import traceback
from collections.abc import Callable, Iterable
from typing import Any, cast

from weasul_registry.errors import ConflictError, IncompatibleError, LoadError, NotFoundError
from weasul_registry.records import PluginRecord

__all__ = ["Check", "discover", "find", "load", "load_all", "load_one", "snapshot", "suggest"]

#: A compatibility check: receives the record and loaded object, raises IncompatibleError.
Check = Callable[[PluginRecord, Any], None]


def snapshot() -> md.EntryPoints:
    """Every installed entry point, read once; pass it to `discover` for many groups.

    Each `discover` without one rescans all installed distributions (tens of milliseconds).
    """
    return cast(md.EntryPoints, md.entry_points())


def _name_version(dist: md.Distribution | None) -> tuple[str, str]:
    """Name and version from the metadata headers only.

    `dist.metadata` runs the email parser over the whole file, long description included
    (about 0.8 ms a distribution); the headers end at the first blank line.
    """
    if dist is None:
        return "<unknown>", "0"
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    name = version = None
    for line in text.split("\n\n", 1)[0].splitlines():
        if line.startswith("Name:"):
            name = line[5:].strip()
        elif line.startswith("Version:"):
            version = line[8:].strip()
    if name is None or version is None:
        return dist.metadata["Name"] or "<unknown>", dist.version or "0"
    return name, version


def _records(group: str, entry_points: Iterable[md.EntryPoint] | None) -> list[PluginRecord]:
    eps = md.entry_points(group=group) if entry_points is None else entry_points
    records: dict[tuple[str, str], PluginRecord] = {}
    known: dict[int, tuple[str, str]] = {}
    for ep in eps:
        if ep.group != group:
            continue
        dist = ep.dist
        if id(dist) not in known:
            known[id(dist)] = _name_version(dist)
        dist_name, version = known[id(dist)]
        # The same distribution can appear twice on sys.path (editable + site); keep one.
        records.setdefault(
            (ep.name, dist_name),
            PluginRecord(group, ep.name, ep.value, dist_name, version),
        )
    return sorted(records.values(), key=lambda r: (r.name, r.distribution))


def discover(group: str, *, entry_points: Iterable[md.EntryPoint] | None = None) -> list[PluginRecord]:
    """List every entry point of `group` without importing anything.

    Two distributions registering the same name are both listed with status `broken` and an
    error naming both; use `find` to get a `ConflictError` for one name.
    """
    records = _records(group, entry_points)
    by_name: dict[str, list[PluginRecord]] = {}
    for record in records:
        by_name.setdefault(record.name, []).append(record)
    out = []
    for name, same in by_name.items():
        if len(same) == 1:
            out.append(same[0])
            continue
        dists = " and ".join(sorted(r.distribution for r in same))
        message = f"name '{name}' in group '{group}' is registered by both {dists}; uninstall one"
        out.extend(r.with_status("broken", message) for r in same)
    return out


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt name, or None."""
    import difflib

    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def find(group: str, name: str, *, entry_points: Iterable[md.EntryPoint] | None = None) -> PluginRecord:
    """The single record for `group/name`.

    Raises:
        NotFoundError: no such name; lists the installed names and suggests the closest.
        ConflictError: two distributions register the name.
    """
    records = [r for r in discover(group, entry_points=entry_points)]
    matches = [r for r in records if r.name == name]
    if not matches:
        names = sorted({r.name for r in records})
        raise NotFoundError(group, name, names, suggest(name, names))
    if len(matches) > 1:
        raise ConflictError(matches[0].error)
    return matches[0]


def _import_target(target: str) -> Any:
    module, _, attr = target.partition(":")
    obj: Any = __import__(module, fromlist=["_"])
    for part in attr.split(".") if attr else []:
        obj = getattr(obj, part)
    return obj


def load(record: PluginRecord, *, check: Check | None = None, debug: bool = False) -> PluginRecord:
    """Import the record's target; never raises for plugin faults.

    Returns the record with status `ok` and `obj` set, or `broken` / `incompatible` with the
    reason in `error` (the full traceback when `debug`).
    """
    if record.status == "broken":
        return record
    try:
        obj = _import_target(record.target)
    except BaseException as err:  # noqa: BLE001 - a plugin may fail in any way, SystemExit included
        if isinstance(err, KeyboardInterrupt):
            raise
        reason = traceback.format_exc() if debug else f"{type(err).__name__}: {err}"
        return record.with_status("broken", reason)
    if check is not None:
        try:
            check(record, obj)
        except IncompatibleError as err:
            return record.with_status("incompatible", str(err))
    return record.with_status("ok", obj=obj)


def load_all(
    group: str,
    *,
    check: Check | None = None,
    debug: bool = False,
    entry_points: Iterable[md.EntryPoint] | None = None,
) -> list[PluginRecord]:
    """Load every plugin of `group`; failures become records, never exceptions."""
    return [load(r, check=check, debug=debug) for r in discover(group, entry_points=entry_points)]


def load_one(group: str, name: str, *, check: Check | None = None) -> Any:
    """Load `group/name` and return the object, raising on any failure.

    Raises:
        NotFoundError, ConflictError, LoadError, IncompatibleError.
    """
    record = load(find(group, name), check=check)
    if record.status == "broken":
        raise LoadError(
            f"plugin '{group}/{name}' from {record.distribution} {record.version} failed to load: {record.error}"
        )
    if record.status == "incompatible":
        raise IncompatibleError(record.error)
    return record.obj
