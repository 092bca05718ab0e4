"""Labeling functions defined in a Python file, as a plugin a spec can name."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import Field

from weasul.errors import DataError
from weasul.interfaces import LabelingFunctionPack
from weasul.lf import LabelingFunction
from weasul.params import WeasulParams

__all__ = ["PythonLabelingFunctions"]


class PythonLabelingFunctions(LabelingFunctionPack):
    """Every `@labeling_function` object defined at the top level of `path`, in file order.

    The file may also define `CLASS_NAMES`; otherwise `class_names` in params is used.
    """

    class Params(WeasulParams):
        path: str = Field(description="a .py file defining labeling functions")
        class_names: list[str] | None = None
        only: list[str] | None = Field(None, description="use just these LFs, in this order")

    @classmethod
    def examples(cls) -> list[LabelingFunctionPack]:
        return []

    def _module(self) -> Any:
        path = Path(self.params.path).expanduser()
        if not path.is_file():
            raise DataError(f"labeling-function file '{self.params.path}' does not exist")
        spec = importlib.util.spec_from_file_location(f"weasul_user_lfs_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    def functions(self) -> Sequence[LabelingFunction]:
        module = self._module()
        lfs = [v for v in vars(module).values() if isinstance(v, LabelingFunction)]
        if self.params.only is not None:
            by_name = {lf.name: lf for lf in lfs}
            missing = [n for n in self.params.only if n not in by_name]
            if missing:
                raise DataError(f"{self.params.path} has no labeling functions {missing}")
            lfs = [by_name[n] for n in self.params.only]
        if not lfs:
            raise DataError(f"{self.params.path} defines no @labeling_function")
        return lfs

    @property
    def class_names(self) -> Sequence[str]:
        names = self.params.class_names or getattr(self._module(), "CLASS_NAMES", None)
        if not names:
            raise DataError(f"{self.params.path}: give class_names in params or CLASS_NAMES in the file")
        return list(names)
