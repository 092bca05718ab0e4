"""Check free-form `options:` (keyword arguments of a class named by import path) statically.

A plugin that forwards `options` to a library class (`classifiers/sklearn` to a scikit-learn
estimator) can check the keys at `weasul validate` without importing the library (validate
must not import scikit-learn): the class's source is found on `sys.path`, re-exports in package
`__init__` files are followed, and the keyword parameters of its `__init__` are read with `ast`.
When that cannot tell (no source, a `**kwargs` signature, an `__init__` inherited from
elsewhere), nothing is claimed and the class itself checks when it runs.
"""

from __future__ import annotations

import ast
import difflib
import sys
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["keyword_parameters", "check_options"]


def _module_file(module: str) -> Path | None:
    """The source file of a module, found on sys.path without importing anything."""
    parts = module.split(".")
    for entry in sys.path:
        base = Path(entry or ".").joinpath(*parts)
        if (base / "__init__.py").is_file():
            return base / "__init__.py"
        if base.with_suffix(".py").is_file():
            return base.with_suffix(".py")
    return None


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def _init_keywords(cls: ast.ClassDef) -> frozenset[str] | None:
    for item in cls.body:
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            if item.args.kwarg is not None:
                return None
            names = [a.arg for a in item.args.args[1:] + item.args.kwonlyargs]
            return frozenset(names)
    return None


@lru_cache(maxsize=64)
def keyword_parameters(path: str, _depth: int = 0) -> frozenset[str] | None:
    """The keyword parameters of the class at import path `path` (`pkg.mod.Class` or
    `pkg.mod:Class`), or None when they cannot be read from its source."""
    module, sep, name = path.partition(":") if ":" in path else path.rpartition(".")
    if not module or not name or _depth > 8:
        return None
    file = _module_file(module)
    if file is None:
        return None
    try:
        tree = ast.parse(file.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return _init_keywords(node)
    for found in ast.walk(tree):
        if isinstance(found, ast.ImportFrom):
            for alias in found.names:
                if (alias.asname or alias.name) == name:
                    source = _absolute(found, module, file.name == "__init__.py")
                    return keyword_parameters(f"{source}:{alias.name}", _depth + 1)
    return None


def check_options(path: str, options: Mapping[str, Any], *, ignore: Iterable[str] = ()) -> str | None:
    """A message naming the keys of `options` that the class at `path` does not take (with the
    closest valid name), or None when they are all valid or the class cannot be read."""
    valid = keyword_parameters(path)
    if valid is None:
        return None
    unknown = [k for k in options if k not in valid and k not in set(ignore)]
    if not unknown:
        return None
    problems = []
    for key in unknown:
        close = difflib.get_close_matches(key, sorted(valid), n=1, cutoff=0.6)
        problems.append(f"'{key}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
    return (
        f"{path.replace(':', '.')} takes no option {', '.join(problems)}; it takes {', '.join(sorted(valid))}"
    )
