"""Labeling functions defined in a Python file or module, as a plugin a spec can name."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field, model_validator

from weasul.errors import DataError
from weasul.interfaces import LabelingFunctionPack
from weasul.lf import LabelingFunction, load_functions
from weasul.params import WeasulParams

__all__ = ["PythonLabelingFunctions"]


class PythonLabelingFunctions(LabelingFunctionPack):
    """Every `@labeling_function` object defined at the top level of `path` (or `module`), in
    definition order. The source may define `CLASS_NAMES`; otherwise give `class_names`."""

    class Params(WeasulParams):
        path: str | None = Field(None, description="a .py file defining labeling functions")
        module: str | None = Field(None, description="or an importable module defining them")
        class_names: list[str] | None = None
        only: list[str] | None = Field(None, description="use just these LFs, in this order")

        @model_validator(mode="after")
        def _one_source(self) -> PythonLabelingFunctions.Params:
            if (self.path is None) == (self.module is None):
                raise ValueError("give exactly one of 'path' or 'module'")
            return self

    params: Params

    @classmethod
    def examples(cls) -> list[LabelingFunctionPack]:
        return []

    def functions(self) -> Sequence[LabelingFunction]:
        p = self.params
        return load_functions(path=p.path, module=p.module, only=p.only)[0]

    @property
    def class_names(self) -> Sequence[str]:
        p = self.params
        names = p.class_names or getattr(load_functions(path=p.path, module=p.module)[1], "CLASS_NAMES", None)
        if not names:
            raise DataError(f"{p.path or p.module}: give class_names in params or CLASS_NAMES in the file")
        return list(names)
