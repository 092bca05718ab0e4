"""Slice functions: labeling functions that say whether an item belongs to a slice.

A slice function is an ordinary `weasul.lf.LabelingFunction` that returns 1 (member) or
0 / -1 / None / False (not a member). The same applier (`weasul.lf.apply_lfs`) runs them, locally
or partition-wise on Dask through `weasul.executor.Executor`, and `slice_matrix` turns the votes
into the membership matrix S: column 0 is the base slice (all ones), columns 1..k the tail slices.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import Field, model_validator
from weasul.errors import DataError
from weasul.interfaces import LabelingFunctionPack
from weasul.lf import LabelingFunction, apply_lfs, labeling_function, load_functions
from weasul.params import WeasulParams

from weasul_slicing.steps import SliceFunctionStep

if TYPE_CHECKING:
    import pandas as pd
    from weasul.executor import Executor

__all__ = ["BASE_SLICE", "SliceFunctions", "slice_matrix", "slice_names", "slicing_function"]

_log = logging.getLogger(__name__)

#: Name of column 0 of S, the slice every item belongs to.
BASE_SLICE = "base"

#: Decorate `f(row) -> 1 | 0` as a slice function (the labeling-function decorator; same applier).
slicing_function = labeling_function


def slice_names(sfs: Sequence[LabelingFunction]) -> list[str]:
    """`["base", <sf names>...]`: the name of every column of `slice_matrix(sfs, ...)`."""
    return [BASE_SLICE, *(sf.name for sf in sfs)]


def slice_matrix(
    sfs: Sequence[LabelingFunction],
    frame: pd.DataFrame,
    *,
    executor: Executor | None = None,
    as_frame: bool = False,
) -> Any:
    """Apply slice functions to every row of `frame`; returns S (n_rows, 1 + len(sfs)) int8 0/1
    (a DataFrame with columns `slice_names(sfs)` when `as_frame`).

    Column 0 is the base slice (all ones); column j is 1 where slice function j-1 returned 1.
    Runs through `weasul.lf.apply_lfs`, so a Dask `executor` gives the same matrix.

    Raises:
        DataError: no slice functions, a repeated name, the name 'base', an empty frame, or a
            slice function that returned something other than 1, 0, -1, None or a bool.
    """
    sfs = list(sfs)
    if any(sf.name == BASE_SLICE for sf in sfs):
        raise DataError(
            f"slice function name '{BASE_SLICE}' is reserved for column 0 (every item); rename it"
        )
    votes = apply_lfs(sfs, frame, n_classes=2, executor=executor)
    S = np.ones((votes.shape[0], votes.shape[1] + 1), dtype=np.int8)
    S[:, 1:] = votes == 1
    for name, size in zip(slice_names(sfs)[1:], S[:, 1:].sum(axis=0), strict=True):
        _log.debug("slice '%s': %d of %d items", name, int(size), len(S))
    if as_frame:
        import pandas as pd

        return pd.DataFrame(S, columns=slice_names(sfs), index=getattr(frame, "index", None))
    return S


class SliceFunctions(LabelingFunctionPack):
    """Slice functions from a Python file (`path`) or an importable module (`module`).

    Every top-level `@slicing_function` (or `@labeling_function`) object is a slice, in definition
    order (or the order of `only`). As a spec step it turns each split's `items` table into the
    slice-membership matrix `S` (kind `slices`), base slice first, as an int8 DataFrame whose
    columns are the slice names (the heads take their per-slice metric names from them).
    """

    class Params(WeasulParams):
        path: str | None = Field(None, description="a .py file defining slice functions")
        module: str | None = Field(None, description="an importable module defining slice functions")
        only: list[str] | None = Field(None, description="use just these slice functions, in this order")

        @model_validator(mode="after")
        def _one_source(self) -> SliceFunctions.Params:
            if (self.path is None) == (self.module is None):
                raise ValueError("give exactly one of 'path' (a .py file) or 'module' (an import name)")
            return self

    params: Params
    step = SliceFunctionStep

    @classmethod
    def examples(cls) -> list[LabelingFunctionPack]:
        return [cls(module="weasul_slicing.synthetic")]

    def functions(self) -> Sequence[LabelingFunction]:
        p = self.params
        return load_functions(path=p.path, module=p.module, only=p.only)[0]

    @property
    def class_names(self) -> Sequence[str]:
        return ["not-member", "member"]

    def names(self) -> list[str]:
        """Names of the columns of S: 'base', then each slice function."""
        return slice_names(self.functions())
