"""How `labeling_functions/rule-concepts` runs as a spec step: its functions' outputs are concept
indicators (1 = the concept is present, 0 = absent), not class votes.

The default labeling-function step applies them (the same `L`, in memory or partitioned), but its
per-LF analysis reads every 0/1 as a vote for a class: every function "covers" every item and
"conflicts" wherever two concepts differ, which says nothing about the concepts. This step keeps
the application and replaces that analysis with a concept table per split: how often each concept
fires (its coverage), the rules mapped to it and, where golden concept labels are given (input
`golden`, -1 = not annotated), how the noisy concept agrees with them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from weasul.errors import DataError, PluginContractError
from weasul.steps import InputSpec, LabelingFunctionStep, StepContext, StepOutput

if TYPE_CHECKING:
    from weasul.interfaces import LabelingFunctionPack
    from weasul.report import ReportSection

__all__ = ["ConceptRulesStep", "concept_summary"]


def _chunks(L: Any) -> Iterator[tuple[int, int, np.ndarray]]:
    """(first row, end row, block) of a label matrix: its partitions one at a time, or itself."""
    bounds = getattr(L, "bounds", None)
    if getattr(L, "partitioned", False) and bounds is not None:
        for (a, b), block in zip(bounds, L, strict=True):
            yield a, b, np.asarray(block)
    else:
        arr = np.asarray(L)
        yield 0, len(arr), arr


def concept_summary(
    L: Any, names: Sequence[str], golden: Any = None, rules: Mapping[str, Sequence[str]] | None = None
) -> list[dict[str, Any]]:
    """Per concept (column of the (n, k) 0/1 matrix `L`): `coverage`, the share of items where it
    fires, and with `golden` (n, k: 1, 0, -1 = not annotated) over the annotated items:
    `golden_items`, `golden_rate`, `agreement` (share of equal labels), `precision` and `recall`
    of the noisy concept against the golden one (None where undefined)."""
    n, k = int(np.shape(L)[0]), len(names)
    G = None if golden is None else np.asarray(golden)
    if G is not None and G.shape != (n, k):
        raise DataError(f"golden concept labels are {G.shape}; the rules' concept matrix is ({n}, {k})")
    fired = np.zeros(k, dtype=np.int64)
    counts = {
        key: np.zeros(k, dtype=np.int64) for key in ("labelled", "gold", "equal", "both", "fired_labelled")
    }
    for a, b, block in _chunks(L):
        if block.shape[1:] != (k,):
            raise DataError(f"the rules' concept matrix has {block.shape[1:]} columns for {k} concepts")
        on = block == 1
        fired += on.sum(axis=0)
        if G is not None:
            g = G[a:b]
            labelled = g >= 0
            counts["labelled"] += labelled.sum(axis=0)
            counts["gold"] += (g == 1).sum(axis=0)
            counts["equal"] += (labelled & (on == (g == 1))).sum(axis=0)
            counts["both"] += (on & (g == 1)).sum(axis=0)
            counts["fired_labelled"] += (on & labelled).sum(axis=0)

    def share(top: int, bottom: int) -> float | None:
        return float(top / bottom) if bottom else None

    out = []
    for c, name in enumerate(names):
        row: dict[str, Any] = {"concept": name}
        if rules is not None:
            row["rules"] = ", ".join(rules.get(name, ()))
        row["coverage"] = share(int(fired[c]), n)
        if G is not None:
            annotated = int(counts["labelled"][c])
            row["golden_items"] = annotated
            row["golden_rate"] = share(int(counts["gold"][c]), annotated)
            row["agreement"] = share(int(counts["equal"][c]), annotated)
            row["precision"] = share(int(counts["both"][c]), int(counts["fired_labelled"][c]))
            row["recall"] = share(int(counts["both"][c]), int(counts["gold"][c]))
        out.append(row)
    return out


class ConceptRulesStep(LabelingFunctionStep):
    """The labeling-function step for rule-concept functions: the same `L` (n, k), with a concept
    table per split (coverage; agreement with `golden` where given) instead of class-vote
    statistics."""

    inputs: ClassVar[dict[str, InputSpec]] = {
        **LabelingFunctionStep.inputs,
        "golden": InputSpec(
            ("label_matrix",),
            required=False,
            doc="golden concept labels (n, k): 1, 0, -1 = not annotated; for per-concept agreement",
        ),
    }
    accepts_partitioned: ClassVar[bool] = True  # as the default step: L may stay in partitions

    def run(self, plugin: LabelingFunctionPack, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        from weasul_concepts.rules import ConceptRules

        if not isinstance(plugin, ConceptRules):
            raise PluginContractError(
                f"ConceptRulesStep runs rule-concept packs, not {type(plugin).__name__}"
            )
        applied = super().run(plugin, {k: v for k, v in inputs.items() if k != "golden"}, ctx)
        mapping = plugin.mapping()
        names = list(mapping.concepts)
        rules = {c: mapping.rules_of(c) for c in names}
        golden = inputs.get("golden") or {}
        metrics: dict[str, Any] = {}
        for split, L in applied.artifacts["L"].items():
            G = golden.get(split)
            summary = concept_summary(L, names, None if G is None else np.asarray(G), rules)
            metrics[split] = {"concept_summary": summary}
        return StepOutput(applied.artifacts, metrics)

    def report(self, step_id: str, metrics: Mapping[str, Any], artifacts_dir: Path) -> list[ReportSection]:
        """A concept table per split (train first) and a chart of coverage beside agreement."""
        from weasul.report import (
            ReportSection,
            Table,
            bar_chart,
            metrics_section,
            split_order,
            split_summaries,
            train_first,
        )

        summaries = split_summaries(metrics, "concept_summary")
        if not summaries:
            return [metrics_section(step_id, metrics, "Concepts from rules")]
        splits = train_first(summaries)
        tables = []
        for split in splits:
            rows = summaries[split]
            columns = list(dict.fromkeys(key for r in rows for key in r))
            annotated = max((r.get("golden_items") or 0 for r in rows), default=0)
            note = f", golden labels on up to {annotated:,} items" if annotated else ", no golden labels"
            tables.append(
                Table(
                    columns,
                    [[r.get(c) for c in columns] for r in rows],
                    f"{split}: {len(rows)} concepts{note}",
                )
            )
        shown = next(
            (s for s in split_order(summaries) if any("agreement" in r for r in summaries[s])), splits[0]
        )
        rows = summaries[shown]
        series: dict[str, list[float | None]] = {"coverage": [r.get("coverage") for r in rows]}
        if any("agreement" in r for r in rows):
            series["agreement with golden"] = [r.get("agreement") for r in rows]
            series["precision"] = [r.get("precision") for r in rows]
        figure = bar_chart(
            [str(r["concept"]) for r in rows],
            series,
            title=f"Noisy concepts from the rules ({shown})",
            value_label="share of items where the concept fires / of golden-annotated items that agree",
        )
        text = (
            "Each column of L is a concept indicator (1 = a rule mapped to the concept fired), not a "
            "class vote, so the class-vote table of labeling functions is not shown. coverage = share of "
            "items where the concept fires; against the golden concept labels (annotated items only): "
            "golden_rate = share where the concept is present, agreement = share of equal labels, "
            "precision and recall of the rule-derived concept."
        )
        return [ReportSection("Concepts from rules", text, tables, [figure])]
