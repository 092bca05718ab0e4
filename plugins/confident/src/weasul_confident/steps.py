"""How confident learning runs as a spec step: find, review the top items, refit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from weasul.steps import InputSpec, Step, StepContext, StepOutput

if TYPE_CHECKING:
    from weasul_confident.finder import ConfidentLearning

__all__ = ["ConfidentReviewStep"]


class ConfidentReviewStep(Step["ConfidentLearning"]):
    """Find issues (per split with probs, or on the fit split from X), review, refit."""

    inputs: ClassVar[dict[str, InputSpec]] = {
        "labels": InputSpec(("labels",), doc="the given labels, e.g. a label model's pred"),
        "probs": InputSpec(
            ("probs",), required=False, doc="out-of-sample probabilities; else from X by cross-validation"
        ),
        "X": InputSpec(
            ("features",), required=False, doc="features for cross-validated probabilities and the end model"
        ),
        "L": InputSpec(
            ("label_matrix",),
            required=False,
            doc="weak labels; rows where every source abstains are left out",
        ),
        "oracle": InputSpec(
            ("model:oracles",), required=False, doc="reviewer of the top flagged items (fit split)"
        ),
        "text": InputSpec(("text",), required=False, doc="item texts shown to the reviewer"),
        "y": InputSpec(("labels",), required=False, doc="gold labels, for metrics only"),
    }
    outputs: ClassVar[dict[str, str]] = {
        "ranked": "indices",
        "suggested": "labels",
        "scores": "scores",
        "labels": "labels",
        "probs": "probs",
    }

    def run(self, plugin: ConfidentLearning, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        from weasul_confident.review import run_review_step

        return run_review_step(plugin, inputs, ctx)
