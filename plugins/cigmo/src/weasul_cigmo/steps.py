"""How the CIGMO models run as a spec step: the encoder step with the items' group ids."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from weasul.steps import EncoderStep, InputSpec, StepContext, StepOutput, fit_split

if TYPE_CHECKING:
    from weasul.interfaces import Encoder

__all__ = ["GroupEncoderStep"]


class GroupEncoderStep(EncoderStep):
    """Fit on `X[fit_on]` with `groups[fit_on]` (items of one group share category and shape),
    encode every split."""

    inputs: ClassVar[dict[str, InputSpec]] = {
        "X": InputSpec(("features",)),
        "groups": InputSpec(
            ("labels",), required=False, doc="group id per item (one object under several views)"
        ),
    }

    def run(self, plugin: Encoder, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        X, groups = inputs["X"], inputs.get("groups")
        plugin.fit(
            fit_split(X, ctx, "X"), groups=None if groups is None else fit_split(groups, ctx, "groups")
        )
        return StepOutput({"X": self.encode_all(plugin, X, ctx), "model": plugin})
