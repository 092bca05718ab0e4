"""weasul: weak supervision from composable plugins.

The top level is the embedding API. Importing it is light: nothing here imports torch,
transformers, cleanlab, pyod or scikit-learn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from weasul.active import active_loop
    from weasul.apply import TrainedRun, load_run
    from weasul.data import Dataset, ExpertLabels, LabelIssues, QueryState, Split
    from weasul.engine import RunResult, run
    from weasul.errors import (
        DataError,
        MissingDependencyError,
        NotFittedError,
        PluginContractError,
        PluginError,
        PluginLoadError,
        PluginNotFoundError,
        SpecError,
        StopRequested,
        WeasulError,
    )
    from weasul.interfaces import (
        AnomalyScorer,
        Classifier,
        DatasetLoader,
        Encoder,
        ErrorFinder,
        LabelingFunctionPack,
        LabelModel,
        LabelModelParams,
        Oracle,
        QueryParams,
        QueryStrategy,
        Reporter,
        SliceHead,
    )
    from weasul.params import WeasulParams
    from weasul.plugin import API_VERSION, Plugin
    from weasul.plugins import PluginInfo, available, create


__version__ = "0.1.0"

__all__ = [
    "API_VERSION",
    "AnomalyScorer",
    "Classifier",
    "DataError",
    "Dataset",
    "DatasetLoader",
    "Encoder",
    "ErrorFinder",
    "ExpertLabels",
    "LabelIssues",
    "LabelModel",
    "LabelModelParams",
    "LabelingFunctionPack",
    "MissingDependencyError",
    "NotFittedError",
    "Oracle",
    "Plugin",
    "PluginContractError",
    "PluginError",
    "PluginInfo",
    "PluginLoadError",
    "PluginNotFoundError",
    "QueryParams",
    "QueryState",
    "QueryStrategy",
    "Reporter",
    "RunResult",
    "SliceHead",
    "SpecError",
    "Split",
    "StopRequested",
    "TrainedRun",
    "WeasulError",
    "WeasulParams",
    "active_loop",
    "available",
    "create",
    "load_run",
    "run",
]

# Every public name loads on first use (PEP 562), so `weasul --help` starts without numpy or
# pydantic and `import weasul` stays cheap.
_LAZY = {
    **dict.fromkeys(["Dataset", "ExpertLabels", "LabelIssues", "QueryState", "Split"], "weasul.data"),
    **dict.fromkeys(
        [
            "DataError",
            "MissingDependencyError",
            "NotFittedError",
            "PluginContractError",
            "PluginError",
            "PluginLoadError",
            "PluginNotFoundError",
            "SpecError",
            "StopRequested",
            "WeasulError",
        ],
        "weasul.errors",
    ),
    **dict.fromkeys(
        [
            "AnomalyScorer",
            "Classifier",
            "DatasetLoader",
            "Encoder",
            "ErrorFinder",
            "LabelingFunctionPack",
            "LabelModel",
            "LabelModelParams",
            "Oracle",
            "QueryParams",
            "QueryStrategy",
            "Reporter",
            "SliceHead",
        ],
        "weasul.interfaces",
    ),
    "WeasulParams": "weasul.params",
    "API_VERSION": "weasul.plugin",
    "Plugin": "weasul.plugin",
    **dict.fromkeys(["PluginInfo", "available", "create"], "weasul.plugins"),
    **dict.fromkeys(["RunResult", "run"], "weasul.engine"),
    "active_loop": "weasul.active",
    **dict.fromkeys(["TrainedRun", "load_run"], "weasul.apply"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'weasul' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted(__all__)
