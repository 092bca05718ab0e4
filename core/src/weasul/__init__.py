"""weasul: weak supervision from composable plugins.

The top level is the embedding API. Importing it is light: nothing here imports torch,
transformers, cleanlab, pyod or scikit-learn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from weasul.data import Dataset, ExpertLabels, LabelIssues, QueryState, Split
from weasul.errors import (
    DataError,
    MissingDependencyError,
    NotFittedError,
    PluginContractError,
    PluginError,
    PluginLoadError,
    PluginNotFoundError,
    SpecError,
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

if TYPE_CHECKING:
    from weasul.active import active_loop
    from weasul.engine import RunResult, run

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
    "WeasulError",
    "WeasulParams",
    "active_loop",
    "available",
    "create",
    "run",
]

_LAZY = {"run": "weasul.engine", "RunResult": "weasul.engine", "active_loop": "weasul.active"}


def __getattr__(name: str) -> Any:
    # The engine pulls in yaml and the spec models; load it on first use only.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'weasul' has no attribute '{name}'")
