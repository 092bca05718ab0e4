"""How a plugin runs as a step of a spec.

Every artifact is split-wise: a mapping split name -> value (`{"train": L_train, ...}`);
a reference like `data.train.L` selects one split. Each interface declares the inputs it
takes (`step_inputs`), the artifacts it produces (`step_outputs`) and a default
`run_step`; a plugin overrides the three to run as a different kind of step.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from weasul.errors import DataError

if TYPE_CHECKING:
    from weasul.executor import Executor

__all__ = [
    "KINDS",
    "InputSpec",
    "StepContext",
    "StepOutput",
    "Splitwise",
    "classification_metrics",
    "fit_split",
]

#: Artifact kinds. `model` is a fitted plugin object; the rest are arrays or tables.
KINDS = (
    "label_matrix",  # int (n, m), -1 = abstain
    "labels",  # int (n,)
    "probs",  # float (n, K)
    "features",  # float (n, d), dense or scipy sparse
    "text",  # object (n,) of str
    "table",  # pandas DataFrame
    "scores",  # float (n,)
    "slices",  # (n, k+1) 0/1 membership, column 0 the base slice: an int array, or a DataFrame
    #            whose column names name the slices (kept through the cache as parquet)
    "indices",  # int (r,)
    "model",  # a fitted plugin
)

Splitwise = Mapping[str, Any]


@dataclass(frozen=True)
class InputSpec:
    """One named input of a step: the kinds it accepts, whether it is required, and whether it
    fills the plugin's Params field of the same name instead of being passed at run time."""

    kinds: tuple[str, ...]
    required: bool = True
    doc: str = ""
    as_param: bool = False


@dataclass
class StepContext:
    """What the engine gives a running step."""

    step_id: str
    out_dir: Path
    fit_on: str = "train"
    class_names: tuple[str, ...] = ()
    executor: Executor | None = None
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("weasul.run"))

    @property
    def n_classes(self) -> int | None:
        return len(self.class_names) or None


@dataclass
class StepOutput:
    """Artifacts by name (each split-wise, or a fitted plugin for `model`) and JSON metrics."""

    artifacts: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)


def fit_split(values: Splitwise, ctx: StepContext, name: str) -> Any:
    """The value of split `ctx.fit_on`, or of the only split given."""
    if ctx.fit_on in values:
        return values[ctx.fit_on]
    if len(values) == 1:
        return next(iter(values.values()))
    raise DataError(
        f"step '{ctx.step_id}': input '{name}' has splits {list(values)} but none is '{ctx.fit_on}'; "
        "set fit_on or reference one split"
    )


def classification_metrics(y: np.ndarray, probs: np.ndarray) -> dict[str, float]:
    """Accuracy, macro-F1 and (binary) F1 of the positive class, on numpy only."""
    pred = probs.argmax(axis=1)
    k = probs.shape[1]
    out = {"accuracy": float((pred == y).mean())}
    f1s = []
    for c in range(k):
        tp = float(((pred == c) & (y == c)).sum())
        fp = float(((pred == c) & (y != c)).sum())
        fn = float(((pred != c) & (y == c)).sum())
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    out["macro_f1"] = float(np.mean(f1s))
    if k == 2:
        out["f1"] = f1s[1]
    return out
