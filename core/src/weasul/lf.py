"""Labeling functions: a decorator for plain Python functions, an applier, and LF analysis.

An LF sees one item as a `Row`: `row["comment text"]`, `row.CONTENT` and `getattr(row, "class")`
all work for every column name, and names that are not Python identifiers get an alias
(`row.comment_text`, `row.class_`). An LF that raises, or returns something that is not a
class index, is reported with its name, the row's index and the row's values.
"""

from __future__ import annotations

import importlib
import importlib.util
import keyword
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from weasul.errors import DataError
from weasul.progress import track
from weasul.validation import ABSTAIN, check_label_matrix, check_labels

if TYPE_CHECKING:
    import pandas as pd

    from weasul.executor import Executor

__all__ = [
    "ABSTAIN",
    "LabelingFunction",
    "Row",
    "labeling_function",
    "apply_lfs",
    "lf_summary",
    "load_functions",
    "load_module",
]

_NOT_IDENTIFIER = re.compile(r"\W")


def _alias(column: str) -> str:
    """The attribute alias of a column name that is not a plain identifier."""
    name = _NOT_IDENTIFIER.sub("_", column.strip())
    if not name or name[0].isdigit():
        name = "_" + name
    return name + "_" if keyword.iskeyword(name) else name


class _Columns:
    """The column names of a table, with the position of each and of each alias; shared by the
    rows of one table so that a row costs one tuple."""

    __slots__ = ("names", "position")

    def __init__(self, names: Sequence[Any]) -> None:
        self.names = tuple(names)
        self.position: dict[Any, int] = {name: i for i, name in enumerate(self.names)}
        for i, name in enumerate(self.names):
            alias = _alias(str(name))
            self.position.setdefault(alias, i)


class Row(Mapping[Any, Any]):
    """One item as an LF sees it: a read-only mapping from column name to value that also
    offers every column as an attribute. `row["comment text"]`, `row.comment_text`,
    `getattr(row, "class")` and `row.class_` all work; `row.get(name, default)`, `row.keys()`,
    `name in row` and `row.to_dict()` too. A column named like one of these methods is read
    with `row["keys"]`."""

    __slots__ = ("_values", "_columns", "_label", "_series")

    def __init__(self, values: Sequence[Any], columns: _Columns, label: Any = None) -> None:
        self._values = values
        self._columns = columns
        self._label = label
        self._series: Any = None

    def __getitem__(self, key: Any) -> Any:
        try:
            return self._values[self._columns.position[key]]
        except (KeyError, TypeError):
            raise KeyError(f"no column {key!r}; columns are {list(self._columns.names)}") from None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self._values[self._columns.position[name]]
        except KeyError:
            raise AttributeError(
                f"row has no column {name!r}; columns are {list(self._columns.names)}"
            ) from None

    def __iter__(self) -> Iterator[Any]:
        return iter(self._columns.names)

    def __len__(self) -> int:
        return len(self._columns.names)

    def __contains__(self, key: object) -> bool:
        return key in self._columns.names

    def __getstate__(self) -> tuple[Any, ...]:
        return (tuple(self._values), self._columns.names, self._label)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        values, names, label = state
        self._values, self._columns, self._label, self._series = values, _Columns(names), label, None

    def to_dict(self) -> dict[Any, Any]:
        """Column name -> value."""
        return dict(zip(self._columns.names, self._values, strict=True))

    def to_series(self) -> pd.Series:
        """The row as a pandas Series named by its index, as `DataFrame.apply(axis=1)` would give
        it (for LFs written for Snorkel); made once per row."""
        if self._series is None:
            import pandas as pd

            self._series = pd.Series(list(self._values), index=list(self._columns.names), name=self._label)
        return self._series

    def __repr__(self) -> str:
        text = ", ".join(f"{k!r}: {v!r}" for k, v in zip(self._columns.names, self._values, strict=True))
        return f"Row({self._label!r}, {{{text}}})"


def _shown(row: Row, limit: int = 300) -> str:
    text = repr(row.to_dict())
    return text if len(text) <= limit else text[: limit - 3] + "..."


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


def load_module(*, path: str | None = None, module: str | None = None) -> Any:
    """Import a .py file (by path) or an importable module (by name); DataError if it cannot."""
    if (path is None) == (module is None):
        raise DataError("give exactly one of a file path or a module name")
    return _import_source(path, module)


def _import_source(path: str | None, module: str | None) -> Any:
    if module is not None:
        try:
            return importlib.import_module(module)
        except ImportError as err:
            raise DataError(f"cannot import module '{module}': {err}") from err
    from weasul.storage import check_file

    file = check_file(str(path), "labeling-function file")
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
        foreign = [v for v in vars(loaded).values() if type(v).__module__.startswith("snorkel.")]
        if any(type(v).__name__ == "LabelingFunction" for v in foreign):
            raise DataError(
                f"{source} defines Snorkel labeling functions, not weasul ones; "
                "use labeling_functions/snorkel (pip install weasul-contrib-snorkel[snorkel])"
            )
        raise DataError(f"{source} defines no @labeling_function")
    return found, loaded


def _vote(lf: LabelingFunction, row: Row) -> int:
    """What `lf` says about `row`, as an int; DataError naming the LF and the row otherwise."""
    try:
        vote = lf(row)
    except Exception as err:  # noqa: BLE001 - user code; re-raised with the LF and the row
        raise DataError(
            f"labeling function '{lf.name}' raised {type(err).__name__}: {err} on row {row._label!r}: {_shown(row)}"
        ) from err
    if vote is None:
        return ABSTAIN
    if isinstance(vote, (bool, int, np.integer, np.bool_)):
        return int(vote)
    if isinstance(vote, (float, np.floating)) and float(vote).is_integer():
        return int(vote)
    raise DataError(
        f"labeling function '{lf.name}' returned {vote!r} ({type(vote).__name__}) on row {row._label!r}; "
        f"return a class index 0..K-1 or -1 (abstain): {_shown(row)}"
    )


def _apply_partition(lfs: Sequence[LabelingFunction], frame: pd.DataFrame) -> np.ndarray:
    L = np.full((len(frame), len(lfs)), ABSTAIN, dtype=np.int64)
    columns = _Columns(list(frame.columns))
    rows = zip(frame.index, frame.itertuples(index=False, name=None), strict=True)
    for i, (label, values) in enumerate(track(rows, total=len(frame), desc="labeling functions")):
        row = Row(values, columns, label)
        for j, lf in enumerate(lfs):
            L[i, j] = _vote(lf, row)
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
        outside = (L < ABSTAIN) | (L >= (n_classes or high + 1))
        bad = int(np.flatnonzero(outside.any(axis=0))[0])
        at = int(np.flatnonzero(outside[:, bad])[0])
        label = frame.index[at]
        label = label.item() if isinstance(label, np.generic) else label
        raise DataError(
            f"labeling function '{names[bad]}' returned a value outside -1..K-1: {int(L[at, bad])} on row "
            f"{label!r}" + (f" (K = {n_classes})" if n_classes is not None else "")
        )
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
