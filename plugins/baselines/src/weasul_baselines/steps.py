"""How `auto` runs as a spec step: the label-model step plus what it chose in the metrics."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from weasul.steps import LabelModelStep, StepContext, StepOutput

if TYPE_CHECKING:
    from weasul.interfaces import LabelModel

    from weasul_baselines.auto import Auto

__all__ = ["AutoStep"]


class AutoStep(LabelModelStep):
    """The label-model step; the fit split's metrics also hold `auto.report()` (the model used
    and each candidate's held-out score), so `metrics.json` shows what `auto` chose."""

    #: A partitioned L reaches the label-model step as it is (auto fits from its statistics).
    accepts_partitioned: ClassVar[bool] = True

    def run(self, plugin: LabelModel, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        out = super().run(plugin, inputs, ctx)
        out.metrics.setdefault(ctx.fit_on, {})["auto"] = cast("Auto", plugin).report()
        return out
