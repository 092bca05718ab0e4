"""How the factor-graph models run as spec steps: the label-model step plus their dependencies."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

import numpy as np
from weasul.errors import DataError
from weasul.steps import InputSpec, LabelModelStep, StepContext, StepOutput, fit_split

if TYPE_CHECKING:
    from weasul.interfaces import LabelModel
    from weasul.report import ReportSection

    from weasul_factor_graph.model import FactorGraph

__all__ = ["FactorGraphStep", "StructureLearningStep"]


class FactorGraphStep(LabelModelStep):
    """The label-model step; also outputs the fitted dependencies as a table (type, j, k, weight),
    and can take the dependencies from an earlier step's table."""

    inputs: ClassVar[dict[str, InputSpec]] = {
        **LabelModelStep.inputs,
        "dependencies": InputSpec(
            ("table",),
            required=False,
            as_param=True,
            doc="a table with columns type, j, k (e.g. a structure step's)",
        ),
    }
    outputs: ClassVar[dict[str, str]] = {**LabelModelStep.outputs, "dependencies": "table"}

    def run(self, plugin: LabelModel, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        return self.with_dependencies(super().run(plugin, inputs, ctx), plugin, ctx)

    @staticmethod
    def with_dependencies(out: StepOutput, plugin: LabelModel, ctx: StepContext) -> StepOutput:
        """Add the model's dependency table and its fit summary to a label-model step's output."""
        model = cast("FactorGraph", plugin)
        out.metrics.setdefault(ctx.fit_on, {}).update(
            {
                "n_dependencies": len(model.dependencies_),
                "inference": model.inference_,
                "log_likelihood": model.log_likelihood_,
            }
        )
        out.artifacts["dependencies"] = {ctx.fit_on: model.dependency_table()}
        return out

    def report(self, step_id: str, metrics: Mapping[str, Any], artifacts_dir: Path) -> list[ReportSection]:
        """The label-model sections, then the dependency table (strongest first) and a map of
        which LF pairs depend on each other."""
        from weasul.report import ReportSection, Table, heatmap, read_artifacts

        sections = super().report(step_id, metrics, artifacts_dir)
        tables = read_artifacts(artifacts_dir, "dependencies", "table")
        if not tables:
            return sections
        frame = next(iter(tables.values()))
        if len(frame) == 0:
            text = "No dependencies: the sources are modelled as conditionally independent given the class."
            return [*sections, ReportSection("Dependencies", text)]
        weight = "weight" if "weight" in frame.columns else frame.columns[-1]
        order = (
            frame.assign(_abs=frame[weight].abs()).sort_values("_abs", ascending=False).drop(columns="_abs")
        )
        shown = order.head(20)
        table = Table(
            list(shown.columns),
            shown.to_numpy().tolist(),
            f"{len(frame)} dependencies between sources j and k, largest |{weight}| first"
            + (f"; first {len(shown)} shown" if len(shown) < len(frame) else ""),
        )
        counts = frame["type"].value_counts()
        by_type = Table(["type", "dependencies"], [[t, int(n)] for t, n in counts.items()])
        m = int(max(frame["j"].max(), frame["k"].max())) + 1
        grid = np.zeros((m, m))
        for j, k, w in zip(frame["j"], frame["k"], frame[weight].abs(), strict=True):
            grid[int(j), int(k)] += float(w)
            if int(j) != int(k):
                grid[int(k), int(j)] += float(w)
        labels = [str(i) for i in range(m)]
        figure = heatmap(
            grid.tolist(),
            title=f"Sum of |{weight}| per pair of sources",
            row_labels=labels,
            col_labels=labels,
            row_title="source j",
            col_title="source k",
            cell=max(26, min(40, 400 // m)),
        )
        return [*sections, ReportSection("Dependencies", tables=[by_type, table], figures=[figure])]


class StructureLearningStep(FactorGraphStep):
    """Choose the dependencies (gold-proxy: from `y[fit_on]`), fit, and output the chosen table."""

    inputs: ClassVar[dict[str, InputSpec]] = {
        "L": InputSpec(("label_matrix",), doc="fit on the fit_on split, predict every split"),
        "y": InputSpec(
            ("labels",),
            required=False,
            doc="gold labels; with method=gold-proxy those of the fit_on split rank the candidates",
        ),
    }

    def run(self, plugin: LabelModel, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        from weasul_factor_graph.learned import FactorGraphStructure

        if not isinstance(plugin, FactorGraphStructure):
            raise TypeError(f"{type(self).__name__} runs FactorGraphStructure, not {type(plugin).__name__}")
        y_fit = None
        if plugin.params.method == "gold-proxy":
            y = inputs.get("y") or {}
            if not y:
                raise DataError(f"step '{ctx.step_id}': method='gold-proxy' needs the input y (gold labels)")
            y_fit = fit_split(y, ctx, "y")
        plugin.fit(fit_split(inputs["L"], ctx, "L"), y_dev=y_fit)
        out = self.with_dependencies(self.predict_all(plugin, inputs), plugin, ctx)
        out.artifacts["dependencies"] = {ctx.fit_on: plugin.structure_table()}
        return out
