"""The step cache: keys made from what ran, entries checked against checksums on every read.

A key covers the plugin's use, its resolved params, the fit split, the content of every input,
the code of every plugin class involved (`code_hash`) and the content of every file the params
name (`named_files`). An entry `cache/<key>/` holds one file per output and split, fitted
models (safetensors plus the registered `group/name` of their class), `metrics.json`, and
`manifest.json`: the sha256 and size of every other file, written last. An entry that does not
match its manifest (a changed, truncated, missing or extra file) is discarded with a warning
and the step runs again. Entries are written to a `.tmp` folder and renamed into place, so a
killed write never leaves a half entry; leftover `.tmp` folders are removed on the next run.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import importlib.util
import json
import logging
import os
import re
import shutil
import sys
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from weasul.artifacts import read_value, write_value
from weasul.errors import PluginContractError, WeasulError
from weasul.plugin import PersistentPlugin, Plugin

__all__ = [
    "MANIFEST",
    "STALE_AFTER",
    "CachedEntry",
    "StepCache",
    "code_hash",
    "code_location",
    "distribution_of",
    "file_sha256",
    "json_default",
    "clean_leftovers",
    "named_files",
    "registered_name",
    "tree_hash",
    "write_text_atomic",
]

_log = logging.getLogger("weasul.run")

MANIFEST = "manifest.json"
_FORMAT = 1
#: A `.tmp` folder of a live process is left alone for this long (seconds).
STALE_AFTER = 3600.0
_CHUNK = 1 << 20
#: Params whose values name files or folders: `path`, `files`, `lf_file`, `train_paths`, ...
_FILE_PARAM = re.compile(r"^(?:.*_)?(?:path|paths|file|files)$")
#: Params whose values name an importable module: `module`, `lf_module`, ...
_MODULE_PARAM = re.compile(r"^(?:.*_)?module$")
_SKIP_DIRS = {"__pycache__", ".git", ".hg", ".svn"}


# --- content hashes --------------------------------------------------------------------------
def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _walk(folder: Path, suffixes: tuple[str, ...] | None = None) -> Iterator[Path]:
    """Files under `folder` in a stable order, without caches and hidden entries."""
    for here, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or name.endswith(".pyc"):
                continue
            if suffixes is None or name.endswith(suffixes):
                yield Path(here) / name


def tree_hash(path: Path, suffixes: tuple[str, ...] | None = None) -> str:
    """The sha256 of a file, or of a folder's relative file names and contents (`missing`
    when nothing is there, so creating it later changes the hash)."""
    if path.is_file():
        return file_sha256(path)
    if not path.is_dir():
        return "missing"
    h = hashlib.sha256()
    for file in _walk(path, suffixes):
        h.update(file.relative_to(path).as_posix().encode() + b"\0" + file_sha256(file).encode() + b"\n")
    return h.hexdigest()


# --- code hashes -------------------------------------------------------------------------------
#: Installed (not editable) distributions' code hashes: (name, version, location) -> hash.
_DIST_HASHES: dict[tuple[str, str, str], str] = {}


def _module_file(module_name: str) -> Path | None:
    module = sys.modules.get(module_name)
    file = getattr(module, "__file__", None) if module is not None else None
    return Path(file).resolve() if file else None


def _recorded(dist: md.Distribution, file: Path) -> bool:
    """Whether the distribution's RECORD lists `file` (an editable install lists only a .pth)."""
    files = dist.files
    if not files:
        return False
    try:
        rel = file.relative_to(Path(str(dist.locate_file(""))).resolve())
    except ValueError:
        return False
    return PurePosixPath(rel.as_posix()) in set(files)


_TOP_LEVEL: dict[str, list[str]] = {}
_MISSED: set[str] = set()


def distribution_of(cls: type) -> md.Distribution | None:
    """The installed distribution that provides `cls`'s top-level package, if any. The map
    of top-level names is read once per process (about 0.2 s), again on an unknown name."""
    top = cls.__module__.partition(".")[0]
    if top not in _TOP_LEVEL and top not in _MISSED:
        _TOP_LEVEL.clear()
        _TOP_LEVEL.update(md.packages_distributions())
        if top not in _TOP_LEVEL:
            _MISSED.add(top)
    for name in _TOP_LEVEL.get(top, []):
        try:
            return md.distribution(name)
        except md.PackageNotFoundError:
            continue
    return None


def _installed(cls: type) -> md.Distribution | None:
    """The distribution whose RECORD lists `cls`'s module; None for an editable install or
    code no distribution records."""
    file = _module_file(cls.__module__)
    if file is None:
        raise WeasulError(f"cannot find the source of {cls.__module__}.{cls.__qualname__} to key the cache")
    dist = distribution_of(cls)
    return dist if dist is not None and _recorded(dist, file) else None


def _source(cls: type, dist: md.Distribution | None) -> tuple[Path, list[Path]]:
    """The files `code_hash` reads for `cls`, and the folder they are named relative to."""
    if dist is not None:
        files = [
            Path(str(dist.locate_file(f)))
            for f in dist.files or []
            if f.suffix != ".pyc" and "__pycache__" not in f.parts
        ]
        return Path(str(dist.locate_file(""))), sorted(p for p in files if p.is_file())
    top = sys.modules.get(cls.__module__.partition(".")[0])
    folders = [Path(f) for f in getattr(top, "__path__", None) or []]
    if folders:
        return folders[0].parent, [p for folder in folders for p in _walk(folder, (".py",))]
    file = _module_file(cls.__module__)
    assert file is not None  # checked by _installed
    return file.parent, [file]


def code_location(cls: type) -> str:
    """Where `code_hash` reads `cls`'s code, in words (for logs and run.json)."""
    dist = _installed(cls)
    base, files = _source(cls, dist)
    if dist is not None:
        return f"{dist.metadata['Name']} {dist.version} ({len(files)} files under {base})"
    return f"{len(files)} Python file(s) under {base} (editable or not installed)"


def code_hash(cls: type) -> str:
    """A hash of the code that defines `cls`: every file of the installed distribution whose
    RECORD lists its module, or else (editable install, no record) the `*.py` files of its
    top-level package, or the module file itself. Installed distributions are hashed once per
    process; editable and unrecorded code is read on every call, so edits between runs count."""
    dist = _installed(cls)
    memo = None
    if dist is not None:
        memo = (str(dist.metadata["Name"]), dist.version, str(dist.locate_file("")))
        if memo in _DIST_HASHES:
            return _DIST_HASHES[memo]
    base, files = _source(cls, dist)
    h = hashlib.sha256()
    for path in files:
        try:
            rel = path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            rel = path.name
        h.update(rel.encode() + b"\0" + file_sha256(path).encode() + b"\n")
    digest = h.hexdigest()
    if memo is not None:
        _DIST_HASHES[memo] = digest
    return digest


# --- files a spec names ----------------------------------------------------------------------------
def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def _module_source(name: str) -> Path | None:
    """The file (or package folder) of an importable module, found without importing it."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(spec.origin) if spec.origin and spec.origin not in ("built-in", "frozen") else None


def named_files(params: Mapping[str, Any]) -> list[tuple[str, Path]]:
    """The files and folders that params name, as (the text given, the path read): values of
    params called `path`, `files`, `*_path`, `*_file(s)` (strings, or lists and mappings of
    them; relative to the working folder), and the source of modules named by `module`, `*_module`."""
    out: list[tuple[str, Path]] = []
    for name, value in params.items():
        if _FILE_PARAM.match(name):
            out.extend((text, Path(text).expanduser()) for text in _strings(value))
        elif _MODULE_PARAM.match(name):
            for text in _strings(value):
                source = _module_source(text)
                if source is not None:
                    out.append((f"module {text}", source))
    return out


# --- writing --------------------------------------------------------------------------------------------
def json_default(value: Any) -> Any:
    """JSON for numpy scalars and arrays and paths (metrics are often numpy values)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file so that readers see the old or the new content, never a part."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as err:  # a full disk: leave no temporary file, name the file meant
        tmp.unlink(missing_ok=True)
        if err.filename not in (None, str(tmp)):
            raise
        raise OSError(err.errno, err.strerror or str(err), str(path)) from err


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


#: `.tmp` folders this process is writing now (left alone by `clean_leftovers`).
_WRITING: set[Path] = set()


def clean_leftovers(root: Path, stale_after: float = STALE_AFTER) -> list[Path]:
    """Remove `.tmp` folders and files of killed writes: of a process that is gone, of this
    process but no longer being written, or older than `stale_after` seconds. Returns them."""
    removed: list[Path] = []
    if not root.is_dir():
        return removed
    now = time.time()
    for path in root.iterdir():
        if not (path.name.startswith(".") and path.name.endswith(".tmp")) or path in _WRITING:
            continue
        parts = path.name.split(".")
        pid = int(parts[2]) if len(parts) > 3 and parts[2].isdigit() else None
        try:
            age = now - path.stat().st_mtime
        except FileNotFoundError:
            continue
        if pid is None or pid == os.getpid() or not _pid_alive(pid) or age > stale_after:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    return removed


# --- entries -----------------------------------------------------------------------------------------------
@dataclass
class CachedEntry:
    """A step's outputs as restored from the cache: artifacts by name (split-wise values, a
    fitted plugin, or None) and metrics."""

    artifacts: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)


class _BadEntry(Exception):
    """An entry that does not match its manifest or cannot be restored; the reason is the text."""


def _entry_files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink()}


def _verify(folder: Path) -> dict[str, Any]:
    """The manifest of an entry whose files all match it; raises _BadEntry saying what differs."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _BadEntry(f"no {MANIFEST} (an unfinished or old entry)") from None
    except (OSError, ValueError) as err:
        raise _BadEntry(f"{MANIFEST} is unreadable: {err}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != _FORMAT:
        raise _BadEntry(f"{MANIFEST} is not format {_FORMAT}")
    listed: dict[str, Any] = manifest.get("files", {})
    present = _entry_files(folder) - {MANIFEST}
    missing, extra = sorted(set(listed) - present), sorted(present - set(listed))
    if missing:
        raise _BadEntry(f"missing file(s) {', '.join(missing)}")
    if extra:
        raise _BadEntry(f"unexpected file(s) {', '.join(extra)}")
    for name, want in sorted(listed.items()):
        path = folder / name
        size = path.stat().st_size
        if size != want["size"]:
            raise _BadEntry(
                f"{name} has {size} bytes, the manifest says {want['size']} (truncated or changed)"
            )
        if file_sha256(path) != want["sha256"]:
            raise _BadEntry(f"{name} does not match its checksum (changed or corrupted)")
    return manifest


class StepCache:
    """The step cache of one spec (`runs/<name>/cache/`). Removes leftovers of killed writes when
    created. `key` makes a key, `read` returns a verified entry or None, `write` stores one."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        for path in clean_leftovers(self.root):
            _log.debug("removed a leftover cache write %s", path)
        self._files: dict[Path, str] = {}
        self._code: dict[type, str] = {}

    # --- keys ---
    def code_hash(self, cls: type) -> str:
        """`code_hash(cls)`, read once per cache object (that is, once per run)."""
        if cls not in self._code:
            self._code[cls] = code_hash(cls)
        return self._code[cls]

    def file_hashes(self, params: Mapping[str, Any]) -> dict[str, str]:
        """Content hash of every file or folder the params name (see `named_files`), by the text given."""
        out = {}
        for text, path in named_files(params):
            resolved = path.resolve()
            if resolved not in self._files:
                self._files[resolved] = tree_hash(resolved, (".py",) if text.startswith("module ") else None)
            out[text] = self._files[resolved]
        return out

    def key(
        self,
        *,
        use: str,
        params: Mapping[str, Any],
        inputs: Mapping[str, str],
        classes: Iterable[type] = (),
        files: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> str:
        """The key of a step: its plugin `use`, resolved params, input fingerprints, the code of
        `classes` (the plugin, its step, the classes of model inputs) and the content of the
        files its params name (plus any given in `files`); `extra` adds more (e.g. `fit_on`)."""
        parts = {
            "format": _FORMAT,
            "use": use,
            "params": params,
            "inputs": dict(sorted(inputs.items())),
            "code": sorted({f"{c.__module__}:{c.__qualname__}={self.code_hash(c)}" for c in classes}),
            "files": {**self.file_hashes(params), **(files or {})},
            **extra,
        }
        text = json.dumps(parts, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    # --- reading ---
    def read(self, key: str, step_id: str) -> CachedEntry | None:
        """The entry for `key` if there is one and it matches its checksums. A damaged entry is
        removed and a warning names the step and the reason; then None is returned."""
        folder = self.root / key
        if not folder.is_dir():
            return None
        try:
            manifest = _verify(folder)
            return self._restore(folder, manifest)
        except _BadEntry as err:
            reason = str(err)
        except (OSError, ValueError, WeasulError) as err:
            reason = f"cannot restore it: {type(err).__name__}: {err}"
        _log.warning("step %s: cache entry %s discarded: %s; running the step again", step_id, key, reason)
        self._discard(folder)
        return None

    def _restore(self, folder: Path, manifest: dict[str, Any]) -> CachedEntry:
        from weasul.plugins import load_class

        entry = CachedEntry(metrics=json.loads((folder / manifest["metrics"]).read_text(encoding="utf-8")))
        for name, out in manifest["outputs"].items():
            if "plugin" in out:
                group, _, plugin = str(out["plugin"]).partition("/")
                cls = load_class(group, plugin)
                if not issubclass(cls, PersistentPlugin):
                    raise _BadEntry(f"'{out['plugin']}' cannot load saved models")
                if f"{cls.__module__}:{cls.__qualname__}" != out["class"]:
                    raise _BadEntry(
                        f"'{out['plugin']}' is now {cls.__module__}:{cls.__qualname__}, not {out['class']}"
                    )
                entry.artifacts[name] = cls.load(folder / out["file"])
            elif out.get("files") is None:
                entry.artifacts[name] = None
            else:
                entry.artifacts[name] = {
                    split: read_value(folder / file, out["kind"]) for split, file in out["files"].items()
                }
        return entry

    def _discard(self, folder: Path) -> None:
        trash = folder.with_name(f".{folder.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.old.tmp")
        try:
            os.rename(folder, trash)
        except OSError:
            return
        shutil.rmtree(trash, ignore_errors=True)

    # --- writing ---
    def write(
        self,
        key: str,
        step_id: str,
        artifacts: Mapping[str, Any],
        metrics: Mapping[str, Any],
        kinds: Mapping[str, str],
        plugin_names: Mapping[type, str] | None = None,
    ) -> bool:
        """Store a step's outputs under `key`; returns False (and stores nothing) when a model
        cannot be persisted or its class is not a registered plugin. `kinds` gives each
        output's kind; `plugin_names` maps model classes to their `group/name` when known
        (otherwise the installed entry points are searched for the class)."""
        names: dict[str, str] = {}
        for name, value in artifacts.items():
            if isinstance(value, Plugin):
                persists = isinstance(value, PersistentPlugin) and value.persistable
                registered = (plugin_names or {}).get(type(value)) or registered_name(type(value))
                if not persists or registered is None:
                    why = "is not a registered plugin" if persists else "does not persist"
                    _log.debug("step %s not cached: its %s (%s) %s", step_id, name, type(value).__name__, why)
                    return False
                names[name] = registered
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".{key}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
        _WRITING.add(tmp)
        try:
            tmp.mkdir()
            manifest = self._write_files(tmp, key, step_id, artifacts, metrics, kinds, names)
            (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
            self._publish(tmp, self.root / key)
        except PluginContractError as err:  # a model whose save() refuses this instance's state
            _log.debug("step %s not cached: %s", step_id, err)
            return False
        finally:
            _WRITING.discard(tmp)
            shutil.rmtree(tmp, ignore_errors=True)
        return True

    def _write_files(
        self,
        tmp: Path,
        key: str,
        step_id: str,
        artifacts: Mapping[str, Any],
        metrics: Mapping[str, Any],
        kinds: Mapping[str, str],
        names: Mapping[str, str],
    ) -> dict[str, Any]:
        outputs: dict[str, Any] = {}
        for name, value in artifacts.items():
            kind = kinds.get(name, "")
            if isinstance(value, PersistentPlugin):
                path = value.save(tmp / f"{name}.safetensors")
                cls = type(value)
                outputs[name] = {
                    "kind": kind,
                    "plugin": names[name],
                    "class": f"{cls.__module__}:{cls.__qualname__}",
                    "file": Path(path).relative_to(tmp).as_posix(),
                }
            elif value is None:
                outputs[name] = {"kind": kind, "files": None}
            else:
                files = {split: write_value(item, tmp / f"{name}.{split}") for split, item in value.items()}
                outputs[name] = {
                    "kind": kind,
                    "files": {s: p.relative_to(tmp).as_posix() for s, p in files.items()},
                }
        (tmp / "metrics.json").write_text(json.dumps(dict(metrics), default=json_default), encoding="utf-8")
        listed = {
            rel: {"sha256": file_sha256(tmp / rel), "size": (tmp / rel).stat().st_size}
            for rel in sorted(_entry_files(tmp))
        }
        return {
            "format": _FORMAT,
            "key": key,
            "step": step_id,
            "outputs": outputs,
            "metrics": "metrics.json",
            "files": listed,
        }

    def _publish(self, tmp: Path, final: Path) -> None:
        """Rename the finished entry into place, replacing an older one."""
        if final.exists():
            self._discard(final)
        try:
            os.rename(tmp, final)
        except OSError:
            # another process published the same key in between; its entry is as good as ours
            _log.debug("cache entry %s was written by another run meanwhile", final.name)


def registered_name(cls: type) -> str | None:
    """The `group/name` under which an installed entry point names exactly `cls`, if any
    (read from metadata; only the matching entry point is imported, to confirm it)."""
    from weasul.plugins import GROUPS, load_class

    wanted = f"{cls.__module__}:{cls.__qualname__}"
    installed = md.entry_points()
    for group in GROUPS:
        for ep in installed.select(group=f"weasul.{group}"):
            if ep.value.replace(" ", "") == wanted:
                try:
                    if load_class(group, ep.name) is cls:
                        return f"{group}/{ep.name}"
                except WeasulError:
                    continue
    return None
