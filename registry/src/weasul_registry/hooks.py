"""Lifecycle hooks that reporters and trackers implement.

Specs live here, in one module, so there is a single documented list. A pipeline is a run of
named steps; each step may write artifacts. Implementations are plain objects whose methods
carry the `hookimpl` marker; pluggy checks their signatures at `register`.
"""

from __future__ import annotations

from typing import Any

import pluggy

__all__ = ["PROJECT", "hookimpl", "hookspec", "LifecycleSpec", "make_hook_manager"]

PROJECT = "weasul"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class LifecycleSpec:
    """The lifecycle events of a run."""

    @hookspec
    def run_started(self, run_name: str, run_dir: str, spec: dict[str, Any]) -> None:
        """A run begins; `spec` is the resolved spec as plain data."""

    @hookspec
    def before_step(self, run_name: str, step_id: str, plugin: str) -> None:
        """A step is about to run; `plugin` is `group/name`."""

    @hookspec
    def after_step(
        self, run_name: str, step_id: str, metrics: dict[str, Any], seconds: float, cached: bool
    ) -> None:
        """A step finished; `cached` says whether it was reused from the step cache."""

    @hookspec
    def artifact_written(self, run_name: str, step_id: str, name: str, path: str) -> None:
        """An artifact file was written to the run folder."""

    @hookspec
    def run_finished(self, run_name: str, run_dir: str, metrics: dict[str, Any], status: str) -> None:
        """A run ended; `status` is `ok` or `failed`."""


def make_hook_manager() -> pluggy.PluginManager:
    """A plugin manager that knows the lifecycle specs and nothing else."""
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(LifecycleSpec)
    return manager
