"""How the slicing plugins run as spec steps: S from slice functions, per-slice metrics."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from weasul.steps import InputSpec, SliceHeadStep, Step, StepContext, StepOutput, classification_metrics

from weasul_slicing.metrics import slice_metrics

if TYPE_CHECKING:
    from weasul.interfaces import SliceHead

    from weasul_slicing.sf import SliceFunctions

__all__ = ["SliceFunctionStep", "SlicingStep"]


class SliceFunctionStep(Step["SliceFunctions"]):
    """S for every split's items; slice sizes per split as metrics."""

    inputs: ClassVar[dict[str, InputSpec]] = {
        "items": InputSpec(("table",), doc="raw items; each slice function gets one row"),
    }
    outputs: ClassVar[dict[str, str]] = {"S": "slices"}

    def run(self, plugin: SliceFunctions, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        from weasul_slicing.sf import slice_matrix

        sfs = list(plugin.functions())
        S = {
            s: slice_matrix(sfs, frame, executor=ctx.executor, as_frame=True)
            for s, frame in inputs["items"].items()
        }
        metrics = {s: {"slice_sizes": {n: int(v) for n, v in m.sum(axis=0).items()}} for s, m in S.items()}
        return StepOutput({"S": S}, metrics)


class SlicingStep(SliceHeadStep):
    """The default slice-head step, with overall and per-slice metrics on every split with gold."""

    def run(self, plugin: SliceHead, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        out = super().run(plugin, inputs, ctx)
        y, S = inputs["y"], inputs["S"]
        names = plugin.names() if hasattr(plugin, "names") else None
        out.metrics = {
            split: {
                "n": len(P),
                **classification_metrics(np.asarray(y[split]), P),
                "slices": slice_metrics(y[split], P, np.asarray(S[split]), names),
            }
            for split, P in out.artifacts["probs"].items()
            if y.get(split) is not None
        }
        return out
