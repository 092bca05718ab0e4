"""How the concept model runs as a spec step: the classifier step with concept labels as inputs,
concept scores as an output, recall@5% FPR and concept mAP as metrics, and a report section
with the concept explanations of a few items."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from weasul.steps import ClassifierStep, InputSpec, StepContext, StepOutput, classification_metrics, fit_split

if TYPE_CHECKING:
    from weasul.report import ReportSection

__all__ = ["ConceptModelStep", "EXPLAINED_ITEMS"]

#: Items whose concept explanations the report shows, per split.
EXPLAINED_ITEMS = 6


class ConceptModelStep(ClassifierStep):
    """Train on the fit_on split with its concept labels, predict decisions and concept scores on
    every split; decision metrics where `y` is given, concept mAP where `golden` is."""

    inputs: ClassVar[dict[str, InputSpec]] = {
        **ClassifierStep.inputs,
        "concepts": InputSpec(
            ("label_matrix",), required=False, doc="noisy concept labels (n, k): 1, 0, -1 = not labelled"
        ),
        "golden": InputSpec(
            ("label_matrix",),
            required=False,
            doc="golden concept labels (n, k); other splits: for concept mAP",
        ),
    }
    outputs: ClassVar[dict[str, str]] = {**ClassifierStep.outputs, "concepts": "features"}

    def run(self, plugin: Any, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        from weasul_concepts.metrics import concept_map, recall_at_fpr

        X = inputs["X"]
        extra = {
            name: fit_split(inputs[name], ctx, name)
            for name in ("concepts", "golden")
            if inputs.get(name) is not None
        }
        plugin.fit(fit_split(X, ctx, "X"), fit_split(inputs["target"], ctx, "target"), **extra)
        probs = {s: plugin.predict_proba(v) for s, v in X.items()}
        scores = {s: plugin.explain(v) for s, v in X.items()}
        y = inputs.get("y") or {}
        golden = inputs.get("golden") or {}
        metrics: dict[str, Any] = {}
        for split, P in probs.items():
            entry: dict[str, Any] = {}
            if y.get(split) is not None:
                truth = np.asarray(y[split])
                entry.update(classification_metrics(truth, P))
                if P.shape[1] == 2 and (truth == 0).any() and (truth == 1).any():
                    entry["recall_at_5_fpr"] = recall_at_fpr(truth, P[:, 1], 0.05)
            G = golden.get(split)
            if G is not None and (np.asarray(G) == 1).any():
                entry["concept_map"] = concept_map(np.asarray(G), scores[split])
            if entry:
                metrics[split] = entry
        metrics["concept_names"] = plugin.concept_names()
        artifacts = {"probs": probs, "pred": {s: P.argmax(axis=1) for s, P in probs.items()}, "model": plugin}
        artifacts["concepts"] = scores
        return StepOutput(artifacts, metrics)

    def report(self, step_id: str, metrics: Mapping[str, Any], artifacts_dir: Path) -> list[ReportSection]:
        """The end-model sections, then the concept explanations of the first items of a split."""
        from weasul.report import ReportSection, Table, read_artifacts, split_order

        scores = {
            s: v for s, v in read_artifacts(artifacts_dir, "concepts").items() if getattr(v, "ndim", 0) == 2
        }
        probs = read_artifacts(artifacts_dir, "probs")
        splits = {s: v for s, v in metrics.items() if isinstance(v, Mapping)}
        base = super().report(step_id, {**splits}, artifacts_dir)
        shown = next((s for s in split_order(scores) if s in probs), None)
        if shown is None:
            return base
        S, P = np.asarray(scores[shown]), np.asarray(probs[shown])
        names = list(metrics.get("concept_names") or [f"c{i}" for i in range(S.shape[1])])
        rows = []
        for i in range(min(EXPLAINED_ITEMS, len(S))):
            order = np.argsort(-S[i])
            top = ", ".join(f"{names[c]} {S[i, c]:.2f}" for c in order[:3])
            rows.append([i, round(float(P[i, -1]), 3), top, *(round(float(v), 3) for v in S[i])])
        table = Table(
            ["item", "P(positive)", "strongest concepts", *names],
            rows,
            f"concept scores (the explainability layer's sigmoid outputs) of the first {len(rows)} {shown} items",
        )
        text = "Each decision is a softmax over these concept scores: the concepts are its explanation."
        return [*base, ReportSection("Concept explanations", text=text, tables=[table])]
