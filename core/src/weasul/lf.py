"""Labeling functions: a decorator for plain Python functions, an applier, and LF analysis."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from weasul.errors import DataError
from weasul.progress import track
from weasul.validation import ABSTAIN, check_label_matrix, check_labels

if TYPE_CHECKING:
    import pandas as pd

    from weasul.executor import Executor

__all__ = ["ABSTAIN", "LabelingFunction", "labeling_function", "apply_lfs", "lf_summary", "load_functions"]


@dataclass(frozen=True)
class LabelingFunction:
    """A named function from one item (a row) to a class index or -1 (abstain)."""

    name: str
    func: Callable[..., int]
    resources: dict[str, Any] = field(default_factory=dict)

    def __call__(self, row: Any) -> int:
        return self.func(row, **self.resources)


def labeling_function(
    name: str | None = None, *, resources: dict[str, Any] | None = None
) -> Callable[[Callable[..., int]], LabelingFunction]:
    """Decorate `f(row) -> int` as a labeling function; `resources` are passed as keywords."""

    def wrap(func: Callable[..., int]) -> LabelingFunction:
        return LabelingFunction(name or func.__name__, func, dict(resources or {}))

    return wrap


def _import_source(path: str | None, module: str | None) -> Any:
    if module is not None:
        try:
            return importlib.import_module(module)
        except ImportError as err:
            raise DataError(f"cannot import module '{module}': {err}") from err
    file = Path(str(path)).expanduser()
    if not file.is_file():
        raise DataError(f"file '{path}' does not exist")
    spec = importlib.util.spec_from_file_location(f"weasul_user_lfs_{file.stem}", file)
    if spec is None or spec.loader is None:
        raise DataError(f"cannot load '{file}' as a Python file")
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def load_functions(
    *, path: str | None = None, module: str | None = None, only: Sequence[str] | None = None
) -> tuple[list[LabelingFunction], Any]:
    """Every `LabelingFunction` defined at the top level of a .py file or an importable module,
    in definition order (or just `only`, in that order); also returns the module itself."""
    if (path is None) == (module is None):
        raise DataError("give exactly one of a file path or a module name")
    source = path or module
    loaded = _import_source(path, module)
    found = [v for v in vars(loaded).values() if isinstance(v, LabelingFunction)]
    if only is not None:
        by_name = {lf.name: lf for lf in found}
        missing = [n for n in only if n not in by_name]
        if missing:
            raise DataError(f"{source} has no labeling functions {missing}; it has {sorted(by_name)}")
        found = [by_name[n] for n in only]
    if not found:
        raise DataError(f"{source} defines no @labeling_function")
    return found, loaded


def _apply_partition(lfs: Sequence[LabelingFunction], frame: pd.DataFrame) -> np.ndarray:
    L = np.full((len(frame), len(lfs)), ABSTAIN, dtype=np.int64)
    rows = frame.itertuples(index=False)
    for i, row in enumerate(track(rows, total=len(frame), desc="labeling functions")):
        for j, lf in enumerate(lfs):
            vote = lf(row)
            if vote is None:
                continue
            L[i, j] = vote
    return L


def apply_lfs(
    lfs: Sequence[LabelingFunction],
    frame: pd.DataFrame,
    *,
    n_classes: int | None = None,
    executor: Executor | None = None,
) -> np.ndarray:
    """Apply every LF to every row; returns L (n_rows, n_lfs), -1 = abstain.

    With a Dask executor the frame is split into partitions that workers label in parallel;
    the result is identical to the local one.
    """
    if not lfs:
        raise DataError("no labeling functions to apply")
    names = [lf.name for lf in lfs]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise DataError(f"labeling function names must be unique; repeated: {dup}")
    if len(frame) == 0:
        raise DataError("no items to label (the table is empty)")
    if executor is None:
        L = _apply_partition(lfs, frame)
    else:
        L = executor.map_frame(lambda part: _apply_partition(lfs, part), frame)
    low, high = int(L.min()), int(L.max())
    if low < ABSTAIN or (n_classes is not None and high >= n_classes):
        bad = int(np.flatnonzero(((L < ABSTAIN) | (L >= (n_classes or high + 1))).any(axis=0))[0])
        raise DataError(f"labeling function '{names[bad]}' returned a value outside -1..K-1")
    return L


def lf_summary(
    L: np.ndarray, y: np.ndarray | None = None, names: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Per LF: polarity, coverage, overlaps, conflicts and (with gold `y`) empirical accuracy.

    coverage = share of items it votes on; overlaps = share where it and another LF vote;
    conflicts = share where another LF votes a different class.
    """
    L = check_label_matrix(L, allow_silent_sources=True)
    n, m = L.shape
    names = list(names) if names is not None else [f"lf{j}" for j in range(m)]
    voted = L != ABSTAIN
    n_votes = voted.sum(axis=1)
    if y is not None:
        y = check_labels(y, n_items=n)
    rows = []
    for j in range(m):
        mine = voted[:, j]
        others = n_votes - mine > 0
        differ = np.zeros(n, dtype=bool)
        for k in range(m):
            if k != j:
                differ |= voted[:, k] & (L[:, k] != L[:, j])
        row: dict[str, Any] = {
            "lf": names[j],
            "polarity": sorted(int(c) for c in np.unique(L[mine, j])),
            "coverage": float(mine.mean()),
            "overlaps": float((mine & others).mean()),
            "conflicts": float((mine & differ).mean()),
        }
        if y is not None:
            row["emp_acc"] = float((L[mine, j] == y[mine]).mean()) if mine.any() else float("nan")
        rows.append(row)
    return rows
