"""The engine's check of what a step returns against the kinds its step class declares.

A plugin that returns NaN probabilities, rows that do not sum to 1, labels outside 0..K-1 or
one row too few would otherwise be written, cached and scored without a word. Each kind has one
function; `check_step_output` calls them on every split of every output and raises a
`PluginContractError` naming the step, the plugin, the output and the split.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from weasul.errors import DataError, PluginContractError
from weasul.partitioned import check_partitioned, is_partitioned
from weasul.plugin import Plugin
from weasul.validation import check_label_matrix, check_probs

__all__ = [
    "check_step_output",
    "check_label_matrix_output",
    "check_labels_output",
    "check_probs_output",
    "check_features_output",
    "check_text_output",
    "check_table_output",
    "check_scores_output",
    "check_slices_output",
    "check_indices_output",
    "check_model_output",
    "input_rows",
]

#: Kinds with one row per item: their length must be the length of an input of that split.
ROW_KINDS = frozenset({"label_matrix", "labels", "probs", "features", "text", "scores", "slices"})


def _rows(value: Any) -> int | None:
    shape = getattr(value, "shape", None)
    if shape is not None and len(shape) >= 1:
        return int(shape[0])
    if isinstance(value, list | tuple):
        return len(value)
    return None


def _numeric(value: Any, name: str, ndim: int) -> np.ndarray:
    arr = np.asarray(value)
    if arr.ndim != ndim:
        raise DataError(f"{name} must be {ndim}-D, got shape {arr.shape}")
    if arr.dtype == object or not (arr.dtype == bool or np.issubdtype(arr.dtype, np.number)):
        raise DataError(f"{name} has dtype {arr.dtype}; expected numbers")
    return arr


def _integers(value: Any, name: str) -> np.ndarray:
    arr = _numeric(value, name, 1)
    if arr.dtype == bool:
        raise DataError(f"{name} has dtype bool; expected integers")
    if np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)):
            raise DataError(f"{name} contains NaN or inf; expected integers")
        if not np.all(arr == np.round(arr)):
            raise DataError(f"{name} has non-integer values")
    return arr


def check_label_matrix_output(value: Any, name: str, n_classes: int | None = None) -> None:
    """(n, m) integers, -1 = abstain, classes below `n_classes`."""
    check_label_matrix(value, n_classes=n_classes, name=name, allow_silent_sources=True, allow_no_votes=True)


def check_labels_output(value: Any, name: str, n_classes: int | None = None) -> None:
    """(n,) integers in 0..K-1 (-1 allowed for 'no label')."""
    arr = _integers(value, name)
    if arr.size and int(arr.min()) < -1:
        raise DataError(f"{name} has label {int(arr.min())}; labels are 0..K-1 (or -1 for none)")
    if arr.size and n_classes is not None and int(arr.max()) >= n_classes:
        raise DataError(f"{name} has label {int(arr.max())} but there are {n_classes} classes")


def check_probs_output(value: Any, name: str, n_classes: int | None = None) -> None:
    """(n, K) finite probabilities in [0, 1], rows summing to 1."""
    if _rows(value) == 0:
        return
    check_probs(value, name=name, n_classes=n_classes)


def check_features_output(value: Any, name: str, n_classes: int | None = None) -> None:
    """(n, d) finite numbers, dense or scipy sparse."""
    if hasattr(value, "tocsr") and not isinstance(value, np.ndarray):
        if len(value.shape) != 2:
            raise DataError(f"{name} must be 2-D, got shape {value.shape}")
        data = np.asarray(value.tocsr().data)
    else:
        data = _numeric(value, name, 2)
    if np.issubdtype(data.dtype, np.floating) and data.size and not np.isfinite(data).all():
        raise DataError(f"{name} contains NaN or inf")


def check_text_output(value: Any, name: str, n_classes: int | None = None) -> None:
    """(n,) strings."""
    items = list(np.asarray(value, dtype=object).ravel()) if hasattr(value, "__len__") else None
    if items is None or isinstance(value, str):
        raise DataError(f"{name} must be a sequence of strings, got {type(value).__name__}")
    bad = next((i for i, t in enumerate(items) if not isinstance(t, str)), None)
    if bad is not None:
        raise DataError(f"{name}[{bad}] is a {type(items[bad]).__name__}, not a string")


def check_table_output(value: Any, name: str, n_classes: int | None = None) -> None:
    """A pandas DataFrame (any number of rows: a table may describe sources, not items)."""
    if not (hasattr(value, "columns") and hasattr(value, "to_parquet")):
        raise DataError(f"{name} must be a pandas DataFrame, got {type(value).__name__}")


def check_scores_output(value: Any, name: str, n_classes: int | None = None) -> None:
    """(n,) numbers, no NaN (inf is allowed as 'certainly' / 'never')."""
    arr = _numeric(value, name, 1)
    if np.issubdtype(arr.dtype, np.floating) and np.isnan(arr).any():
        raise DataError(f"{name} contains NaN at index {int(np.flatnonzero(np.isnan(arr))[0])}")


def check_slices_output(value: Any, name: str, n_classes: int | None = None) -> None:
    """(n, k+1) 0/1 membership, as an array or a DataFrame."""
    arr = np.asarray(value.to_numpy() if hasattr(value, "to_numpy") else value)
    arr = _numeric(arr, name, 2)
    if arr.size and not np.isin(arr, (0, 1)).all():
        raise DataError(f"{name} must hold 0/1 slice membership only")


def check_indices_output(value: Any, name: str, n_rows: int | None = None) -> None:
    """(r,) integer item indices within 0..n_rows-1."""
    arr = _integers(value, name)
    if arr.size and int(arr.min()) < 0:
        raise DataError(f"{name} has index {int(arr.min())}; indices are 0..n-1")
    if arr.size and n_rows is not None and int(arr.max()) >= n_rows:
        raise DataError(f"{name} has index {int(arr.max())} but the input has {n_rows} items")


def check_model_output(value: Any, name: str) -> None:
    """A fitted plugin."""
    if not isinstance(value, Plugin):
        raise DataError(f"{name} must be a plugin instance, got {type(value).__name__}")


_BY_KIND: dict[str, Callable[[Any, str, int | None], None]] = {
    "label_matrix": check_label_matrix_output,
    "labels": check_labels_output,
    "probs": check_probs_output,
    "features": check_features_output,
    "text": check_text_output,
    "table": check_table_output,
    "scores": check_scores_output,
    "slices": check_slices_output,
}


def input_rows(inputs: Mapping[str, Any]) -> dict[str, set[int]]:
    """Split -> the row counts of the step's split-wise inputs (plugins and scalars left out)."""
    rows: dict[str, set[int]] = {}
    for value in inputs.values():
        if isinstance(value, Mapping):
            for split, part in value.items():
                n = _rows(part)
                if n is not None:
                    rows.setdefault(str(split), set()).add(n)
    return rows


def check_step_output(
    artifacts: Mapping[str, Any],
    declared: Mapping[str, str],
    inputs: Mapping[str, Any],
    *,
    where: str,
    n_classes: int | None = None,
) -> None:
    """Every output against its declared kind; rows against the inputs of the same split.

    `where` names the step and plugin (e.g. "step 'lm' (label_models/x)"); `n_classes` bounds
    labels when known (a step's own probabilities bound its labels otherwise).
    """
    undeclared = sorted(set(artifacts) - set(declared))
    if undeclared:
        raise PluginContractError(
            f"{where} returned outputs {undeclared} its step does not declare; it declares {sorted(declared)}"
        )
    rows = input_rows(inputs)
    widths = {
        split: int(np.shape(P)[1])
        for split, P in (
            artifacts.get(next((n for n, k in declared.items() if k == "probs"), ""), None) or {}
        ).items()
        if np.ndim(P) == 2
    }
    for name, kind in declared.items():
        if name not in artifacts:
            continue
        value = artifacts[name]
        try:
            if kind.startswith("model"):
                check_model_output(value, f"output '{name}'")
                continue
            if not isinstance(value, Mapping):
                raise DataError(f"output '{name}' must map split names to values, got {type(value).__name__}")
            for split, part in value.items():
                label = f"output '{name}' (split '{split}')"
                if kind == "indices":
                    known = rows.get(split)
                    check_indices_output(part, label, max(known) if known else None)
                    continue
                k = n_classes if kind != "labels" else (widths.get(split) or n_classes)
                if is_partitioned(part):  # partition by partition (checked when the workers wrote it)
                    check_partitioned(part, kind, label, k if kind in ("labels", "label_matrix") else None)
                else:
                    _BY_KIND[kind](part, label, k if kind in ("labels", "label_matrix") else None)
                expected = rows.get(split)
                n = _rows(part)
                if kind in ROW_KINDS and expected and n is not None and n not in expected:
                    raise DataError(
                        f"{label} has {n} rows but the step's inputs of split '{split}' have "
                        f"{' or '.join(map(str, sorted(expected)))}"
                    )
        except DataError as err:
            raise PluginContractError(
                f"{where} broke its output contract: {err} (a {kind} output; a plugin bug, not a data problem)"
            ) from None
