"""How the TabTransformer plugins run as spec steps: the default steps, taking a table as X.

The default encoder and classifier steps accept feature matrices only; these subclasses also
accept a `table` artifact (a data set's `items`), the input TabTransformer is made for.
"""

from __future__ import annotations

from typing import ClassVar

from weasul.steps import ClassifierStep, EncoderStep, InputSpec

__all__ = ["TableEncoderStep", "TableClassifierStep"]

_X = InputSpec(("table", "features"), doc="rows: a table (categorical and continuous columns) or features")


class TableEncoderStep(EncoderStep):
    """Fit on `X[fit_on]` (with `y[fit_on]` when given), encode every split; X may be a table."""

    inputs: ClassVar[dict[str, InputSpec]] = {**EncoderStep.inputs, "X": _X}


class TableClassifierStep(ClassifierStep):
    """Train on the fit_on split, predict every split; X may be a table."""

    inputs: ClassVar[dict[str, InputSpec]] = {**ClassifierStep.inputs, "X": _X}
