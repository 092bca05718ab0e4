"""The dependency rule (PLUGINS.md): a plugin depends on core, on contrib adapters and on the
*public* names of other plugins only.

Every source file under plugins/*/src and contrib/*/src is parsed with `ast`; a use of another
first-party distribution's private name fails, as does an import from a private core module
(`weasul._x`) of a name core's public API does not export. Private means a leading underscore
(dunders aside). A distribution's own private modules and names are its own business.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DISTRIBUTIONS = sorted(p for p in [*REPO.glob("plugins/*"), *REPO.glob("contrib/*")] if (p / "src").is_dir())


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


@cache
def _owners() -> dict[str, str]:
    """Top-level import package -> the repository folder of its distribution."""
    out = {}
    for src in [*REPO.glob("*/src"), *REPO.glob("plugins/*/src"), *REPO.glob("contrib/*/src")]:
        for package in src.iterdir():
            if (package / "__init__.py").is_file():
                out[package.name] = src.parent.relative_to(REPO).as_posix()
    return out


@cache
def _core_public_names() -> frozenset[int]:
    """ids of every object in `__all__` of weasul's public modules (what core exports)."""
    import weasul

    found: set[int] = set()
    modules = ["weasul"] + [
        f"weasul.{m.name}" for m in pkgutil.iter_modules(weasul.__path__) if not _is_private(m.name)
    ]
    for name in modules:
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", []):
            if hasattr(module, attr):
                found.add(id(getattr(module, attr)))
    return frozenset(found)


def _core_reexports(module: str, name: str) -> bool:
    try:
        value = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return False
    return id(value) in _core_public_names()


@cache
def _private_members(module: str, qualname: str) -> frozenset[str]:
    """Private attributes a first-party class defines or sets on `self` (its own and its
    first-party bases'): what a subclass in another distribution must not touch."""
    cls = importlib.import_module(module)
    for part in qualname.split("."):
        cls = getattr(cls, part)
    names: set[str] = set()
    for klass in inspect.getmro(cls):
        if klass.__module__.split(".")[0] not in _owners():
            continue
        names.update(n for n in vars(klass) if _is_private(n))
        try:
            tree = ast.parse(inspect.getsource(klass))
        except (OSError, TypeError):
            continue
        names.update(
            node.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "self"
            if _is_private(node.attr)
        )
    return frozenset(names)


def _violations(source: str, where: str, own: str) -> list[str]:
    """Uses of another distribution's private names in one source file (`own`: its folder)."""
    tree = ast.parse(source, where)
    owners = _owners()
    found: list[str] = []

    def foreign(module: str) -> str | None:
        """The distribution folder of `module` when it is first party and not `own`."""
        owner = owners.get(module.split(".")[0])
        return owner if owner is not None and owner != own else None

    bound: dict[str, tuple[str, str | None]] = {}  # local name -> (module, attribute or None)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if foreign(alias.name) is None:
                    continue
                if any(_is_private(p) for p in alias.name.split(".")):
                    found.append(
                        f"{where}:{node.lineno}: import {alias.name} (private module of {foreign(alias.name)})"
                    )
                bound[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0],
                    None,
                )
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            owner = foreign(node.module)
            if owner is None:
                continue
            private_module = any(_is_private(p) for p in node.module.split("."))
            for alias in node.names:
                bound[alias.asname or alias.name] = (node.module, alias.name)
                if not (private_module or _is_private(alias.name)):
                    continue
                if (
                    owner == "core"
                    and not _is_private(alias.name)
                    and _core_reexports(node.module, alias.name)
                ):
                    continue
                found.append(
                    f"{where}:{node.lineno}: from {node.module} import {alias.name} (private name of {owner})"
                )

    def target(name: str) -> object | None:
        module, attr = bound[name]
        try:
            value = importlib.import_module(module)
            return getattr(value, attr) if attr else value
        except (ImportError, AttributeError):
            return None

    for node in ast.walk(tree):
        # `mod._x`, `pkg.mod._x` or `Class._x` where `mod` / `pkg` / `Class` came from another distribution
        if isinstance(node, ast.Attribute) and _is_private(node.attr):
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in bound:
                module, _ = bound[root.id]
                found.append(
                    f"{where}:{node.lineno}: {ast.unparse(node)} (private name of {foreign(module)})"
                )
        # `self._x` in a subclass of another distribution's class, where `_x` is the base's
        if isinstance(node, ast.ClassDef):
            own_names = {
                n.name if not isinstance(n, ast.Assign) else t.id
                for n in node.body
                for t in (n.targets if isinstance(n, ast.Assign) else [n])
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                or isinstance(t, ast.Name)
            }
            inherited: set[str] = set()
            for base in node.bases:
                if isinstance(base, ast.Name) and base.id in bound:
                    value = target(base.id)
                    if inspect.isclass(value):
                        inherited |= _private_members(value.__module__, value.__qualname__)
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Attribute)
                    and isinstance(inner.value, ast.Name)
                    and inner.value.id == "self"
                    and inner.attr in inherited - own_names
                ):
                    found.append(
                        f"{where}:{inner.lineno}: self.{inner.attr} in {node.name} is a private member of a "
                        "base class from another distribution"
                    )
    return found


#: Distributions with violations still being removed: folder -> reason (strict xfail).
KNOWN: dict[str, str] = {}


@pytest.mark.parametrize(
    "folder",
    [
        pytest.param(
            d.relative_to(REPO).as_posix(),
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN[d.relative_to(REPO).as_posix()])]
            if d.relative_to(REPO).as_posix() in KNOWN
            else [],
        )
        for d in DISTRIBUTIONS
    ],
)
def test_plugins_use_only_public_names_of_other_distributions(folder):
    own = folder
    files = sorted(p for p in (REPO / folder / "src").rglob("*.py") if ".egg-info" not in p.as_posix())
    assert files, f"no sources under {folder}/src"
    problems = [
        v
        for path in files
        for v in _violations(path.read_text(encoding="utf-8"), path.relative_to(REPO).as_posix(), own)
    ]
    assert not problems, "dependency rule (PLUGINS.md): use public names only:\n" + "\n".join(problems)


def _check_source(source: str) -> list[str]:
    return _violations(source, "probe.py", own="plugins/demo")


@pytest.mark.parametrize(
    "source, words",
    [
        ("from weasul_baselines._common import check_cliques\n", "from weasul_baselines._common import"),
        ("import weasul_baselines._indicators\n", "import weasul_baselines._indicators"),
        ("from weasul_baselines.matrix_completion import _helper\n", "import _helper"),
        ("import weasul_baselines.matrix_completion as mc\nmc._secret()\n", "mc._secret"),
        (
            "import weasul_baselines.matrix_completion\nweasul_baselines.matrix_completion._secret\n",
            "weasul_baselines.matrix_completion._secret",
        ),
        ("from weasul.executor import _call\n", "from weasul.executor import _call"),
        ("from weasul._lazy import _missing\n", "from weasul._lazy import _missing"),
    ],
)
def test_the_rule_catches_private_uses(source, words):
    found = _check_source(source)
    assert len(found) == 1 and words in found[0], found


def test_the_rule_allows_public_names_and_own_privates():
    source = (
        "from weasul.validation import check_label_matrix\n"
        "from weasul_baselines.matrix_completion import MatrixCompletion\n"
        "from weasul_demo._inner import thing\n"
        "import numpy as np\nnp._NoValue\n"
    )
    assert _check_source(source) == []


def test_a_subclass_touching_its_foreign_base_private_state_fails():
    privates = sorted(_private_members("weasul_baselines.matrix_completion", "MatrixCompletion"))
    assert privates, "MatrixCompletion has no private member left to probe with"
    base = privates[0]
    source = (
        "from weasul_baselines.matrix_completion import MatrixCompletion\n"
        f"class Mine(MatrixCompletion):\n    def f(self):\n        return self.{base}\n"
    )
    found = _check_source(source)
    assert len(found) == 1 and f"self.{base} in Mine" in found[0], found
