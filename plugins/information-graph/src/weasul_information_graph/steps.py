"""How the information-graph encoder runs as a spec step: the encoder step with the segments
table (the system context) beside X and the partial labels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from weasul.steps import EncoderStep, InputSpec, StepContext, StepOutput, fit_split

if TYPE_CHECKING:
    from weasul.interfaces import Encoder

__all__ = ["InformationGraphStep"]


class InformationGraphStep(EncoderStep):
    """Fit on `X[fit_on]` with `y[fit_on]` (-1 = unlabelled) and `segments[fit_on]` (station,
    channel, start, end per row: the context edges), encode every split."""

    inputs: ClassVar[dict[str, InputSpec]] = {
        "X": InputSpec(("features",), doc="one waveform segment per row"),
        "y": InputSpec(("labels",), required=False, doc="annotations, -1 = unlabelled"),
        "segments": InputSpec(("table",), required=False, doc="station, channel, start, end per row"),
    }

    def run(self, plugin: Encoder, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        X, y, segments = inputs["X"], inputs.get("y"), inputs.get("segments")
        fit_kwargs: dict[str, Any] = {}
        if segments is not None:
            fit_kwargs["segments"] = fit_split(segments, ctx, "segments")
        plugin.fit(fit_split(X, ctx, "X"), None if y is None else fit_split(y, ctx, "y"), **fit_kwargs)
        return StepOutput({"X": self.encode_all(plugin, X, ctx), "model": plugin})
