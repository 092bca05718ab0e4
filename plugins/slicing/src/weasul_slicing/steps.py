"""How the slicing plugins run as spec steps: S from slice functions, per-slice metrics."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from weasul.steps import InputSpec, SliceHeadStep, Step, StepContext, StepOutput, classification_metrics

from weasul_slicing.metrics import slice_metrics

if TYPE_CHECKING:
    from weasul.interfaces import SliceHead
    from weasul.report import ReportSection

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

    def report(self, step_id: str, metrics: Mapping[str, Any], artifacts_dir: Path) -> list[ReportSection]:
        """Slice sizes per split."""
        from weasul.report import ReportSection, Table

        sizes = {s: v["slice_sizes"] for s, v in metrics.items() if isinstance(v, Mapping) and "slice_sizes" in v}
        names = list(dict.fromkeys(n for v in sizes.values() for n in v))
        rows = [[n, *(sizes[s].get(n) for s in sizes)] for n in names]
        table = Table(["slice", *(f"{s} items" for s in sizes)], rows, "members per slice; 'base' is every item")
        return [ReportSection("Slices", tables=[table] if rows else [])]


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

    def report(self, step_id: str, metrics: Mapping[str, Any], artifacts_dir: Path) -> list[ReportSection]:
        """Overall scores, the per-slice table (accuracy and size per split) and a chart of
        per-slice accuracy; the headline names the worst tail slice."""
        from weasul.report import Headline, ReportSection, Table, bar_chart, metrics_section, split_order

        from weasul_slicing.metrics import collect_slice_rows

        overall = {
            s: {k: v for k, v in m.items() if k != "slices"} if isinstance(m, Mapping) else m
            for s, m in metrics.items()
        }
        base = metrics_section(step_id, overall, "Scores")
        rows = collect_slice_rows({step_id: dict(metrics)})
        splits = split_order(dict.fromkeys(r["split"] for r in rows))
        slices = list(dict.fromkeys(r["slice"] for r in rows))
        cell = {(r["split"], r["slice"]): r for r in rows}
        table = Table(
            ["slice", *(f"{s} {k}" for s in splits for k in ("n", "accuracy", "macro-F1"))],
            [
                [name, *(cell.get((s, name), {}).get(k) for s in splits for k in ("n", "accuracy", "macro_f1"))]
                for name in slices
            ],
            "'overall' is every item of the split; the others are the tail slices",
        )
        chart = bar_chart(
            slices,
            {s: [cell.get((s, name), {}).get("accuracy") for name in slices] for s in splits},
            title="Accuracy per slice",
            value_label="accuracy",
        )
        headline = base.headline
        shown = splits[0] if splits else None
        tails = [r for r in rows if r["split"] == shown and r["slice"] != "overall" and r.get("n")]
        if tails and headline is not None:
            worst = min(tails, key=lambda r: float(r["accuracy"]))
            headline = Headline(
                headline.label, headline.value, f"worst slice {worst['slice']}: {float(worst['accuracy']):.4f}"
            )
        per_slice = ReportSection("Slices", tables=[table], figures=[chart])
        return [ReportSection(base.title, tables=base.tables, headline=headline), per_slice]
