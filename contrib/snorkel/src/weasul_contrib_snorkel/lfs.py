"""A module of Snorkel labeling functions as the weasul plugin `labeling_functions/snorkel`.

The module runs unchanged: `@labeling_function()`s, `LabelingFunction(name, f, resources=...)`
objects, and LFs with preprocessors (`pre=[...]`, `@preprocessor`) are called exactly as
Snorkel calls them. Each LF gets the item as a pandas Series, the row that Snorkel's
`PandasLFApplier` (`DataFrame.apply(axis=1)`) gives it, one Series per row shared by the LFs as
there; so the label matrix is the one `PandasLFApplier` returns. weasul's applier adds what
Snorkel's lacks: an LF that raises is reported with its name, the row's index and its values,
and a Dask executor labels partitions in parallel.

Importing this module imports neither snorkel nor torch; loading the LF module does (it
imports snorkel itself).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import Field, model_validator
from weasul.errors import DataError
from weasul.interfaces import LabelingFunctionPack
from weasul.lazy import require
from weasul.lf import LabelingFunction, Row, load_module
from weasul.params import WeasulParams

__all__ = ["SnorkelLabelingFunctions", "snorkel_functions"]


@dataclass(frozen=True)
class _OnSeries:
    """Calls a Snorkel LF on the row as a pandas Series, as Snorkel's PandasLFApplier does."""

    lf: Any

    def __call__(self, row: Row) -> Any:
        return self.lf(row.to_series())


def snorkel_functions(
    module: Any, only: Sequence[str] | None = None, source: str = ""
) -> list[LabelingFunction]:
    """The Snorkel `LabelingFunction`s defined at the top level of `module`, in definition
    order (or just `only`, in that order), each wrapped as a weasul LabelingFunction."""
    labeling = require("snorkel.labeling", extra="snorkel", distribution="weasul-contrib-snorkel")
    found = [v for v in vars(module).values() if isinstance(v, labeling.LabelingFunction)]
    source = source or getattr(module, "__name__", "the module")
    if only is not None:
        by_name = {lf.name: lf for lf in found}
        missing = [n for n in only if n not in by_name]
        if missing:
            raise DataError(f"{source} has no Snorkel labeling functions {missing}; it has {sorted(by_name)}")
        found = [by_name[n] for n in only]
    if not found:
        raise DataError(
            f"{source} defines no Snorkel LabelingFunction (snorkel.labeling.labeling_function or "
            "LabelingFunction objects); for weasul's own @labeling_function use labeling_functions/python"
        )
    return [LabelingFunction(lf.name, _OnSeries(lf)) for lf in found]


class SnorkelLabelingFunctions(LabelingFunctionPack):
    """Every Snorkel `LabelingFunction` at the top level of `path` (or `module`), in definition
    order. The source may define `CLASS_NAMES`; otherwise give `class_names`."""

    class Params(WeasulParams):
        path: str | None = Field(None, description="a .py file defining Snorkel labeling functions")
        module: str | None = Field(None, description="or an importable module defining them")
        class_names: list[str] | None = Field(None, description="names of classes 0..K-1")
        only: list[str] | None = Field(None, description="use just these LFs, in this order")

        @model_validator(mode="after")
        def _one_source(self) -> SnorkelLabelingFunctions.Params:
            if (self.path is None) == (self.module is None):
                raise ValueError("give exactly one of 'path' or 'module'")
            return self

    params: Params
    _loaded: Any = None

    @classmethod
    def examples(cls) -> list[LabelingFunctionPack]:
        return []

    def _module(self) -> Any:
        # imported once per plugin: an LF module may build resources (word lists, models) at import
        if self._loaded is None:
            self._loaded = load_module(path=self.params.path, module=self.params.module)
        return self._loaded

    def functions(self) -> Sequence[LabelingFunction]:
        p = self.params
        return snorkel_functions(self._module(), p.only, p.path or p.module or "")

    @property
    def class_names(self) -> Sequence[str]:
        p = self.params
        names = p.class_names or getattr(self._module(), "CLASS_NAMES", None)
        if not names:
            raise DataError(f"{p.path or p.module}: give class_names in params or CLASS_NAMES in the file")
        return list(names)
