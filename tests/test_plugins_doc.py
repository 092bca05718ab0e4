"""PLUGINS.md cannot go stale: its table matches the installed first-party entry points, and
every interface method and lifecycle hook is documented."""

import importlib.metadata as md
import inspect
import re
from pathlib import Path

import weasul_registry
from weasul.interfaces import INTERFACES

REPO = Path(__file__).resolve().parents[1]
DOC = (REPO / "PLUGINS.md").read_text()


def _first_party():
    rows = set()
    for group in INTERFACES:
        for ep in md.entry_points(group=f"weasul.{group}"):
            dist = ep.dist.metadata["Name"] if ep.dist else ""
            if dist.startswith("weasul-") and dist != "weasul-toys":
                rows.add((group, ep.name, dist))
    return rows


def _documented():
    table = re.findall(r"^\| `([a-z_]+)` \| `([^`]+)` \| `(weasul-[a-z0-9-]+)` \|", DOC, re.MULTILINE)
    return set(table)


def test_plugin_table_matches_installed_entry_points():
    installed, documented = _first_party(), _documented()
    assert installed - documented == set(), (
        f"installed but missing from PLUGINS.md: {sorted(installed - documented)}"
    )
    assert documented - installed == set(), (
        f"in PLUGINS.md but not installed: {sorted(documented - installed)}"
    )


def test_every_interface_method_and_hook_is_documented():
    for group, cls in INTERFACES.items():
        assert f"weasul.{group}" in DOC, group
        for name, member in vars(cls).items():
            if getattr(member, "__isabstractmethod__", False) or name in ("predict", "known", "run_step"):
                token = f"`{name}`" if isinstance(member, property) else f"{name}("
                assert token in DOC, f"{cls.__name__}.{name} is not documented in PLUGINS.md"
    for name, _ in inspect.getmembers(weasul_registry.LifecycleSpec, inspect.isfunction):
        assert f"`{name}`" in DOC, f"hook {name} is not documented in PLUGINS.md"
