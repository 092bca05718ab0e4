"""The gold oracle: answers queries from known labels (for experiments)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field

from weasul.errors import DataError
from weasul.interfaces import Oracle
from weasul.params import WeasulParams
from weasul.steps import InputSpec, OracleStep

__all__ = ["GoldOracle", "GoldOracleStep"]


class GoldOracleStep(OracleStep):
    """The oracle step, with the gold labels wired in from the data (`y: data.train.y`)."""

    inputs: ClassVar[dict[str, InputSpec]] = {
        "y": InputSpec(("labels",), required=False, as_param=True, doc="gold label per pool item"),
    }


class GoldOracle(Oracle):
    """Answers with the true label of each queried item."""

    class Params(WeasulParams):
        y: list[int] = Field(description="gold label per item; a spec wires it from data.<split>.y")

    params: Params
    step = GoldOracleStep

    @classmethod
    def examples(cls) -> list[Oracle]:
        return [cls(y=[0, 1, 1, 0, 1, 0, 0, 1])]

    def label(self, indices: np.ndarray) -> np.ndarray:
        y = np.asarray(self.params.y, dtype=np.int64)
        idx = np.asarray(indices, dtype=np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= len(y)):
            raise DataError(f"oracle asked for item {int(idx.max())} but knows {len(y)} items")
        return y[idx]
