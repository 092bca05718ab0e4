"""Turn plugins and their checks into pytest parameters."""

from __future__ import annotations

import importlib.metadata as md
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

from weasul.errors import SpecError
from weasul.plugin import Plugin
from weasul.testing.checks import checks_for

__all__ = ["parametrize_with_checks", "plugin_id", "installed_plugins"]

F = TypeVar("F", bound=Callable[..., Any])


def plugin_id(plugin: Plugin) -> str:
    """The entry-point name that points at the plugin's class, else the class name."""
    cls = type(plugin)
    target = f"{cls.__module__}:{cls.__qualname__}"
    if plugin.group:
        for ep in md.entry_points(group="weasul." + plugin.group):
            if ep.value == target:
                return ep.name
    return cls.__name__


def _params(plugins: Iterable[Plugin], expected_failures: dict[str, str] | None) -> list[Any]:
    import pytest

    expected_failures = dict(expected_failures or {})
    out: list[Any] = []
    seen: dict[str, int] = {}
    check_names: set[str] = set()
    for plugin in plugins:
        base = plugin_id(plugin)
        seen[base] = seen.get(base, 0) + 1
        name = base if seen[base] == 1 else f"{base}{seen[base]}"
        for check in checks_for(plugin):
            check_names.add(check.__name__)
            marks = []
            test_id = f"{name}-{check.__name__}"
            reason = expected_failures.get(check.__name__) or expected_failures.get(test_id)
            if reason:
                marks.append(pytest.mark.xfail(strict=True, reason=reason))
            out.append(pytest.param(plugin, check, id=test_id, marks=marks))
    ids = {param.id for param in out}
    unknown = sorted(key for key in expected_failures if key not in check_names and key not in ids)
    if unknown:
        raise SpecError(
            f"expected_failures names {unknown}, which match no check of these plugins (check the "
            f"spelling); keys are a check name or '<id>-<check>'; the checks are: "
            f"{', '.join(sorted(check_names))}"
        )
    return out


def parametrize_with_checks(
    plugins: Iterable[Plugin], *, expected_failures: dict[str, str] | None = None
) -> Callable[[F], F]:
    """A `pytest.mark.parametrize("plugin, check", ...)` over every check of every plugin.

    expected_failures: check name (or `<id>-<check>`) -> reason; those run as strict xfail.
    A key that names no check of these plugins raises SpecError listing the check names.
    """
    import pytest

    mark = pytest.mark.parametrize("plugin, check", _params(plugins, expected_failures))

    def apply(test: F) -> F:
        return cast(F, mark(test))

    return apply


def installed_plugins() -> list[Any]:
    """pytest params (plugin, check) for the examples of every installed plugin; a plugin that
    fails to load becomes one failing param that shows its error."""
    import pytest

    from weasul.plugins import available

    out: list[Any] = []
    for info in available():
        if info.status != "ok":
            out.append(pytest.param(info, _broken, id=f"{info.group}/{info.name}-loads"))
            continue
        out.extend(_params(info.obj.examples(), None))
    return out


def _broken(info: Any) -> None:
    raise AssertionError(f"{info.group}/{info.name} from {info.distribution} is {info.status}: {info.error}")
