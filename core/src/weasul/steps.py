"""How a plugin runs as a step of a spec.

An interface (`weasul.interfaces`) is only the domain contract: `fit`, `predict_proba`, `find`.
A `Step` is the adapter between that contract and the engine: the inputs it takes, the
artifacts it produces, its own step-only options (`Step.Params`, e.g. an active loop's budget)
and `run(plugin, inputs, ctx)`. Each interface has one default step here; a plugin that needs
another names a subclass (`step = FactorGraphStep`) that calls `super().run()` and adds outputs.

Every artifact is split-wise: a mapping split name -> value (`{"train": L_train, ...}`); a
reference like `data.train.L` selects one split. A step never changes its inputs: the engine
fingerprints them before and after and refuses a step that did.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic

import numpy as np
from pydantic import Field, ValidationError
from typing_extensions import TypeVar

from weasul.errors import DataError, PluginContractError, SpecError
from weasul.params import WeasulParams

if TYPE_CHECKING:
    from weasul.executor import Executor
    from weasul.interfaces import (
        AnomalyScorer,
        Classifier,
        Encoder,
        ErrorFinder,
        LabelingFunctionPack,
        LabelModel,
        Oracle,
        QueryStrategy,
        SliceHead,
    )
    from weasul.plugin import Plugin
    from weasul.report import ReportSection

__all__ = [
    "KINDS",
    "DEFAULT_STEPS",
    "InputSpec",
    "StepContext",
    "StepOutput",
    "Splitwise",
    "Step",
    "LabelModelStep",
    "ActiveLoopStep",
    "AnomalyScorerStep",
    "EncoderStep",
    "GroupEncoderStep",
    "SliceHeadStep",
    "ErrorFinderStep",
    "LabelingFunctionStep",
    "OracleStep",
    "ClassifierStep",
    "step_class",
    "run_step",
    "classification_metrics",
    "fit_split",
]

#: Artifact kinds. `model` is a fitted plugin object; the rest are arrays or tables.
KINDS = (
    "label_matrix",  # int (n, m), -1 = abstain
    "labels",  # int (n,)
    "probs",  # float (n, K)
    "features",  # float (n, d), dense or scipy sparse
    "text",  # object (n,) of str
    "table",  # pandas DataFrame
    "scores",  # float (n,)
    "slices",  # (n, k+1) 0/1 membership, column 0 the base slice: an int array, or a DataFrame
    #            whose column names name the slices (kept through the cache as parquet)
    "indices",  # int (r,)
    "model",  # a fitted plugin
)

Splitwise = Mapping[str, Any]


@dataclass(frozen=True)
class InputSpec:
    """One named input of a step: the kinds it accepts, whether it is required, and whether it
    fills the plugin's Params field of the same name (with the fit split's value) instead of
    being passed to `Step.run`. Only inputs declared `as_param` ever fill Params."""

    kinds: tuple[str, ...]
    required: bool = True
    doc: str = ""
    as_param: bool = False


@dataclass
class StepContext:
    """What the engine gives a running step."""

    step_id: str
    out_dir: Path
    fit_on: str = "train"
    class_names: tuple[str, ...] = ()
    executor: Executor | None = None
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("weasul.run"))

    @property
    def n_classes(self) -> int | None:
        return len(self.class_names) or None


@dataclass
class StepOutput:
    """Artifacts by name (each split-wise, or a fitted plugin for `model`) and JSON metrics."""

    artifacts: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)


def fit_split(values: Splitwise, ctx: StepContext, name: str) -> Any:
    """The value of split `ctx.fit_on`, or of the only split given."""
    if ctx.fit_on in values:
        return values[ctx.fit_on]
    if len(values) == 1:
        return next(iter(values.values()))
    raise DataError(
        f"step '{ctx.step_id}': input '{name}' has splits {list(values)} but none is '{ctx.fit_on}'; "
        "set fit_on or reference one split"
    )


def classification_metrics(y: np.ndarray, probs: np.ndarray) -> dict[str, float]:
    """Accuracy, macro-F1 and (binary) F1 of the positive class, on numpy only."""
    pred = probs.argmax(axis=1)
    k = probs.shape[1]
    out = {"accuracy": float((pred == y).mean())}
    f1s = []
    for c in range(k):
        tp = float(((pred == c) & (y == c)).sum())
        fp = float(((pred == c) & (y != c)).sum())
        fn = float(((pred != c) & (y == c)).sum())
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    out["macro_f1"] = float(np.mean(f1s))
    if k == 2:
        out["f1"] = f1s[1]
    return out


class StepParams(WeasulParams):
    """Step-only options; the default steps of most interfaces have none."""


PluginT = TypeVar("PluginT", bound="Plugin", default="Plugin")


class Step(Generic[PluginT]):
    """Runs a plugin as a spec step.

    `Params` holds step-only options: in a spec they sit in the step's `params` beside the
    plugin's own, and the engine routes each key to the model that declares it (a name may
    not be declared by both). `inputs` and `outputs` declare the wiring the planner checks;
    an output of kind `model` is the plugin itself, as a `model:<group>` artifact.
    """

    Params: ClassVar[type[WeasulParams]] = StepParams
    inputs: ClassVar[dict[str, InputSpec]] = {}
    outputs: ClassVar[dict[str, str]] = {}
    #: The inputs `apply` reads on new items; None when the step has nothing to apply there.
    apply_inputs: ClassVar[tuple[str, ...] | None] = None
    #: Whether `run` takes `weasul.partitioned.PartitionedArray` inputs as they are; only a class
    #: that sets it itself counts (a subclass inherits nothing), else the engine gathers them.
    accepts_partitioned: ClassVar[bool] = False

    def __init__(self, params: WeasulParams | None = None, /, **fields: Any) -> None:
        if params is None:
            try:
                params = self.Params(**fields)
            except ValidationError as err:
                from weasul.plugin import format_validation_error

                raise SpecError(format_validation_error(err, type(self).__name__, self.Params)) from None
        elif fields or not isinstance(params, self.Params):
            raise TypeError(f"{type(self).__name__} takes a {self.Params.__qualname__} or keyword fields")
        self.params = params

    def run(self, plugin: PluginT, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        """Fit and apply `plugin` on split-wise `inputs`; never change `inputs` or what they hold."""
        raise NotImplementedError(f"{type(self).__name__}.run")

    def apply(self, fitted: Any, inputs: dict[str, Any]) -> dict[str, Any]:
        """Outputs on new items (`weasul apply`, `weasul.load_run`), nothing refitted.

        `fitted` is the step's saved `model` output, or the plugin rebuilt from the run's spec
        when the step outputs no model (a labeling-function pack); `inputs` holds the values of
        `apply_inputs`, one array or table each (not split-wise).
        """
        raise NotImplementedError(f"{type(self).__name__}.apply")

    def report(self, step_id: str, metrics: Mapping[str, Any], artifacts_dir: Path) -> list[ReportSection]:
        """This step's sections of report.html (the reporter hook; see `weasul.report`).

        `metrics` is the step's entry of metrics.json, `artifacts_dir` its folder of array
        artifacts (`<output>.<split>.npy|npz|parquet`; read them with
        `weasul.report.read_artifacts`, it may be missing). Override it to show tables and
        figures (`weasul.report.Table`, `line_chart`, `bar_chart`, `heatmap`) and a `Headline`
        for the summary card. Called when report.html is written (after the last step, and by
        `weasul report RUN_DIR`); it must not write files.
        The default is a compact table of the scalar metrics per split.
        """
        from weasul.report import metrics_section

        return [metrics_section(step_id, metrics)]


def _metrics_with_gold(
    probs: Mapping[str, np.ndarray], gold: Mapping[str, Any] | None
) -> dict[str, dict[str, Any]]:
    gold = gold or {}
    return {s: classification_metrics(np.asarray(gold[s]), P) for s, P in probs.items() if gold.get(s) is not None}


def _predicted(probs: np.ndarray, model: Plugin) -> dict[str, Any]:
    return {"probs": probs, "pred": probs.argmax(axis=1), "model": model}


class LabelModelStep(Step["LabelModel"]):
    """Fit a label model on `L[fit_on]`, then predict and score every split of `L`."""

    inputs: ClassVar[dict[str, InputSpec]] = {
        "L": InputSpec(("label_matrix",), doc="fit on the fit_on split, predict every split"),
        "y": InputSpec(("labels",), required=False, doc="gold labels, for metrics only"),
    }
    outputs: ClassVar[dict[str, str]] = {"probs": "probs", "pred": "labels", "model": "model"}
    apply_inputs: ClassVar[tuple[str, ...] | None] = ("L",)
    accepts_partitioned: ClassVar[bool] = True

    def run(self, plugin: LabelModel, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        L = inputs["L"]
        if any(getattr(v, "partitioned", False) for v in L.values()):  # fit from partition statistics
            from weasul.partitioned import fit_label_model, predict_label_model

            fit_label_model(plugin, fit_split(L, ctx, "L"), ctx.executor, f"step '{ctx.step_id}'")
            return predict_label_model(plugin, inputs, ctx)
        plugin.fit(fit_split(L, ctx, "L"))
        return self.predict_all(plugin, inputs)

    @staticmethod
    def predict_all(plugin: LabelModel, inputs: dict[str, Any]) -> StepOutput:
        """Probabilities, predictions and metrics (coverage, and scores where gold exists) of
        a fitted label model on every split of `inputs["L"]`."""
        L = inputs["L"]
        probs = {split: plugin.predict_proba(values) for split, values in L.items()}
        scored = _metrics_with_gold(probs, inputs.get("y"))
        metrics = {
            s: {"coverage": float((L[s] != -1).any(axis=1).mean()), **scored.get(s, {})} for s in probs
        }
        preds = {split: P.argmax(axis=1) for split, P in probs.items()}
        return StepOutput({"probs": probs, "pred": preds, "model": plugin}, metrics)

    def apply(self, fitted: LabelModel, inputs: dict[str, Any]) -> dict[str, Any]:
        """L -> probs and pred of the saved label model."""
        return _predicted(fitted.predict_proba(inputs["L"]), fitted)

    def report(self, step_id: str, metrics: Mapping[str, Any], artifacts_dir: Path) -> list[ReportSection]:
        """Scores per split, the predicted class shares and the calibration."""
        from weasul.report import label_model_sections

        return label_model_sections(step_id, metrics, artifacts_dir)


class ActiveLoopParams(StepParams):
    """How many expert labels the loop asks for, and how many per refit."""

    budget: int = Field(30, ge=1, le=10_000_000, description="expert labels to ask for in total")
    batch: int = Field(1, ge=1, le=1_000_000, description="items asked per iteration")


class ActiveLoopStep(Step["QueryStrategy"]):
    """The active loop: a query strategy asks an oracle, a copy of the label model is refitted.

    The input model is left as it was; the refitted copy is this step's `model` output.
    """

    Params: ClassVar[type[WeasulParams]] = ActiveLoopParams
    params: ActiveLoopParams
    inputs: ClassVar[dict[str, InputSpec]] = {
        "model": InputSpec(("model:label_models",), doc="the label model to refit with expert labels"),
        "oracle": InputSpec(("model:oracles",), doc="who answers the queries"),
        "L": InputSpec(("label_matrix",), doc="the pool (fit_on split) and evaluation splits"),
        "y": InputSpec(("labels",), required=False, doc="gold labels of evaluation splits"),
        "X": InputSpec(("features",), required=False, doc="features of the pool, for strategies that use them"),
    }
    outputs: ClassVar[dict[str, str]] = {
        "queried": "indices",
        "probs": "probs",
        "model": "model:label_models",
    }
    apply_inputs: ClassVar[tuple[str, ...] | None] = ("L",)

    def run(self, plugin: QueryStrategy, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        from weasul.active import active_loop

        L, y = inputs["L"], inputs.get("y") or {}
        evals = {s: (L[s], y[s]) for s in L if s != ctx.fit_on and y.get(s) is not None}
        X = inputs.get("X")
        model = inputs["model"].clone()
        history = active_loop(
            model=model,
            strategy=plugin,
            oracle=inputs["oracle"],
            L=fit_split(L, ctx, "L"),
            budget=self.params.budget,
            batch=self.params.batch,
            eval=evals,
            X=None if X is None else fit_split(X, ctx, "X"),
        )
        queried = np.array([i for record in history for i in record["queried"]], dtype=np.int64)
        probs = {s: model.predict_proba(v) for s, v in L.items()}
        return StepOutput(
            {"queried": {ctx.fit_on: queried}, "probs": probs, "model": model}, {"history": history}
        )

    def apply(self, fitted: LabelModel, inputs: dict[str, Any]) -> dict[str, Any]:
        """L -> probs of the label model as refitted with the expert's answers."""
        return _predicted(fitted.predict_proba(inputs["L"]), fitted)

    def report(self, step_id: str, metrics: Mapping[str, Any], artifacts_dir: Path) -> list[ReportSection]:
        """The learning curve and the queried items with their answers."""
        from weasul.report import active_loop_sections

        return active_loop_sections(step_id, metrics, artifacts_dir)


class AnomalyScorerStep(Step["AnomalyScorer"]):
    """Fit on `X[fit_on]`, score every split."""

    inputs: ClassVar[dict[str, InputSpec]] = {"X": InputSpec(("features", "text"))}
    outputs: ClassVar[dict[str, str]] = {"scores": "scores", "model": "model"}
    apply_inputs: ClassVar[tuple[str, ...] | None] = ("X",)

    def run(self, plugin: AnomalyScorer, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        X = inputs["X"]
        plugin.fit(fit_split(X, ctx, "X"))
        return StepOutput({"scores": {s: plugin.score(v) for s, v in X.items()}, "model": plugin})

    def apply(self, fitted: AnomalyScorer, inputs: dict[str, Any]) -> dict[str, Any]:
        """X -> scores of the saved scorer."""
        return {"scores": fitted.score(inputs["X"]), "model": fitted}


class EncoderStep(Step["Encoder"]):
    """Fit on `X[fit_on]` (with `y[fit_on]` when given), encode every split."""

    inputs: ClassVar[dict[str, InputSpec]] = {
        "X": InputSpec(("features", "text")),
        "y": InputSpec(("labels",), required=False, doc="supervision for encoders that use it"),
    }
    outputs: ClassVar[dict[str, str]] = {"X": "features", "model": "model"}
    apply_inputs: ClassVar[tuple[str, ...] | None] = ("X",)

    accepts_partitioned: ClassVar[bool] = True

    def run(self, plugin: Encoder, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        if any(getattr(v, "partitioned", False) for v in inputs["X"].values()):
            from weasul.partitioned import encode_partitioned, gather_inputs

            if type(plugin).encodes_rows:  # partition by partition on the workers
                return encode_partitioned(plugin, inputs, ctx)
            inputs = gather_inputs(inputs, f"step '{ctx.step_id}' ({type(plugin).__name__}, not row-wise)")
        X, y = inputs["X"], inputs.get("y") or {}
        plugin.fit(fit_split(X, ctx, "X"), y.get(ctx.fit_on))
        return StepOutput({"X": self.encode_all(plugin, X, ctx), "model": plugin})

    def encode_all(self, plugin: Encoder, X: Splitwise, ctx: StepContext) -> dict[str, np.ndarray]:
        """Every split encoded; a subclass may spread this over `ctx.executor`."""
        return {split: plugin.encode(v) for split, v in X.items()}

    def apply(self, fitted: Encoder, inputs: dict[str, Any]) -> dict[str, Any]:
        """X -> the saved encoder's features."""
        return {"X": fitted.encode(inputs["X"]), "model": fitted}


class GroupEncoderStep(EncoderStep):
    """Fit on `X[fit_on]` with `groups[fit_on]`, encode every split: for encoders whose
    `fit(X, groups=g)` learns from a group id per item (items of one group share some factors,
    e.g. views of one object); without `groups` it calls `fit(X, groups=None)`."""

    inputs: ClassVar[dict[str, InputSpec]] = {
        "X": InputSpec(("features",)),
        "groups": InputSpec(
            ("labels",), required=False, doc="group id per item (items of one group share some factors)"
        ),
    }

    def run(self, plugin: Encoder, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        X, groups = inputs["X"], inputs.get("groups")
        plugin.fit(
            fit_split(X, ctx, "X"), groups=None if groups is None else fit_split(groups, ctx, "groups")
        )
        return StepOutput({"X": self.encode_all(plugin, X, ctx), "model": plugin})


class SliceHeadStep(Step["SliceHead"]):
    """Fit on the fit_on split, predict every split, metrics where labels exist."""

    inputs: ClassVar[dict[str, InputSpec]] = {
        "X": InputSpec(("features",)),
        "y": InputSpec(("labels",), doc="training labels (fit_on split); other splits for metrics"),
        "S": InputSpec(("slices",)),
    }
    outputs: ClassVar[dict[str, str]] = {"probs": "probs", "model": "model"}
    apply_inputs: ClassVar[tuple[str, ...] | None] = ("X", "S")

    def run(self, plugin: SliceHead, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        X, y, S = inputs["X"], inputs["y"], inputs["S"]
        plugin.fit(fit_split(X, ctx, "X"), fit_split(y, ctx, "y"), fit_split(S, ctx, "S"))
        probs = {split: plugin.predict_proba(X[split], S[split]) for split in X if split in S}
        return StepOutput({"probs": probs, "model": plugin}, _metrics_with_gold(probs, y))

    def apply(self, fitted: SliceHead, inputs: dict[str, Any]) -> dict[str, Any]:
        """X, S -> probs of the saved slice head."""
        return {"probs": fitted.predict_proba(inputs["X"], inputs["S"]), "model": fitted}


class ErrorFinderStep(Step["ErrorFinder"]):
    """Find issues in every split that has both labels and probabilities."""

    inputs: ClassVar[dict[str, InputSpec]] = {
        "labels": InputSpec(("labels",), doc="the given labels"),
        "probs": InputSpec(("probs",), doc="out-of-sample predicted probabilities"),
    }
    outputs: ClassVar[dict[str, str]] = {"ranked": "indices", "suggested": "labels", "scores": "scores"}

    def run(self, plugin: ErrorFinder, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        out = StepOutput({"ranked": {}, "suggested": {}, "scores": {}})
        for split, labels in inputs["labels"].items():
            if split not in inputs["probs"]:
                continue
            issues = plugin.find(labels, inputs["probs"][split])
            out.artifacts["ranked"][split] = issues.ranked
            out.artifacts["suggested"][split] = issues.suggested
            out.artifacts["scores"][split] = issues.scores
            out.metrics[split] = {
                "n_issues": len(issues),
                "share": len(issues) / len(labels),
                "noise_rates": issues.noise_rates.tolist(),
            }
        return out

    def report(self, step_id: str, metrics: Mapping[str, Any], artifacts_dir: Path) -> list[ReportSection]:
        """Issues per split and the top-ranked items with suggested label and score."""
        from weasul.report import error_finder_sections

        return error_finder_sections(step_id, metrics, artifacts_dir)


class LabelingFunctionStep(Step["LabelingFunctionPack"]):
    """Apply the LFs to every split's items; LF analysis per split as metrics."""

    inputs: ClassVar[dict[str, InputSpec]] = {
        "items": InputSpec(("table",), doc="raw items; each LF gets one row"),
        "y": InputSpec(("labels",), required=False, doc="gold labels, for empirical LF accuracy"),
    }
    outputs: ClassVar[dict[str, str]] = {"L": "label_matrix"}
    apply_inputs: ClassVar[tuple[str, ...] | None] = ("items",)
    accepts_partitioned: ClassVar[bool] = True  # table partitions are read on the workers

    def run(self, plugin: LabelingFunctionPack, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        from weasul.lf import apply_lfs, lf_summary
        from weasul.partitioned import gather_inputs, keeps_partitioned

        lfs = list(plugin.functions())
        names = [lf.name for lf in lfs]
        k = len(plugin.class_names)
        y = inputs.get("y") or {}
        executor = ctx.executor
        if executor is not None and keeps_partitioned(executor.spec):
            from weasul.partitioned import apply_lfs_partitioned, lf_summary_partitioned

            parts = {
                s: apply_lfs_partitioned(lfs, frame, ctx.out_dir / f"L.{s}", executor, n_classes=k)
                for s, frame in inputs["items"].items()
            }
            summaries = {s: lf_summary_partitioned(v, y.get(s), names, k, executor) for s, v in parts.items()}
            return StepOutput({"L": parts}, {s: {"lf_summary": v} for s, v in summaries.items()})
        inputs = gather_inputs(inputs, f"step '{ctx.step_id}' (no partitioned executor)")
        L = {
            s: apply_lfs(lfs, frame, n_classes=k, executor=ctx.executor)
            for s, frame in inputs["items"].items()
        }
        metrics = {s: {"lf_summary": lf_summary(v, y.get(s), names)} for s, v in L.items()}
        return StepOutput({"L": L}, metrics)

    def apply(self, fitted: LabelingFunctionPack, inputs: dict[str, Any]) -> dict[str, Any]:
        """items -> L, with the LFs the run read (the caller checks their files are unchanged)."""
        from weasul.lf import apply_lfs

        return {"L": apply_lfs(list(fitted.functions()), inputs["items"], n_classes=len(fitted.class_names))}

    def report(self, step_id: str, metrics: Mapping[str, Any], artifacts_dir: Path) -> list[ReportSection]:
        """The LF table per split and a coverage/accuracy chart."""
        from weasul.report import lf_sections

        return lf_sections(step_id, metrics, artifacts_dir)


class OracleStep(Step["Oracle"]):
    """Make an oracle available to later steps (an active loop, a review)."""

    outputs: ClassVar[dict[str, str]] = {"model": "model"}

    def run(self, plugin: Oracle, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        return StepOutput({"model": plugin})


class ClassifierStep(Step["Classifier"]):
    """Train on the fit_on split, predict every split of X, metrics where gold exists."""

    inputs: ClassVar[dict[str, InputSpec]] = {
        "X": InputSpec(("features",)),
        "target": InputSpec(("probs", "labels"), doc="training targets on the fit_on split"),
        "y": InputSpec(("labels",), required=False, doc="gold labels, for metrics only"),
    }
    outputs: ClassVar[dict[str, str]] = {"probs": "probs", "pred": "labels", "model": "model"}
    apply_inputs: ClassVar[tuple[str, ...] | None] = ("X",)

    def run(self, plugin: Classifier, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        X = inputs["X"]
        plugin.fit(fit_split(X, ctx, "X"), fit_split(inputs["target"], ctx, "target"))
        probs = {split: plugin.predict_proba(values) for split, values in X.items()}
        preds = {s: P.argmax(axis=1) for s, P in probs.items()}
        return StepOutput({"probs": probs, "pred": preds, "model": plugin}, _metrics_with_gold(probs, inputs.get("y")))

    def apply(self, fitted: Classifier, inputs: dict[str, Any]) -> dict[str, Any]:
        """X -> probs and pred of the saved classifier."""
        return _predicted(fitted.predict_proba(inputs["X"]), fitted)

    def report(self, step_id: str, metrics: Mapping[str, Any], artifacts_dir: Path) -> list[ReportSection]:
        """Scores per split, the predicted class shares and the calibration."""
        from weasul.report import label_model_sections

        return label_model_sections(step_id, metrics, artifacts_dir, "End model")


#: The step each interface runs as, by entry-point group; data sets and reporters are not steps.
DEFAULT_STEPS: dict[str, type[Step[Any]]] = {
    "label_models": LabelModelStep,
    "query_strategies": ActiveLoopStep,
    "anomaly_scorers": AnomalyScorerStep,
    "encoders": EncoderStep,
    "slice_heads": SliceHeadStep,
    "error_finders": ErrorFinderStep,
    "labeling_functions": LabelingFunctionStep,
    "oracles": OracleStep,
    "classifiers": ClassifierStep,
}


def step_class(cls: type[Plugin]) -> type[Step[Any]]:
    """The step a plugin class runs as: its own `step`, else its interface's default."""
    chosen = cls.step if cls.step is not None else DEFAULT_STEPS.get(cls.group)
    if chosen is None:
        raise PluginContractError(f"{cls.__qualname__} ({cls.group or 'no interface'}) cannot run as a step")
    if not (isinstance(chosen, type) and issubclass(chosen, Step)):
        raise PluginContractError(f"{cls.__qualname__}.step must be a weasul.steps.Step subclass")
    return chosen


def run_step(
    plugin: Plugin, inputs: dict[str, Any], ctx: StepContext, *, use: str | None = None, **step_params: Any
) -> StepOutput:
    """Run `plugin` as its step, as the engine does: refuse a step that changes its inputs or
    returns something other than a StepOutput. `use` (the spec's `group/name`) names the plugin
    in those errors; `step_params` are the step's own options."""
    from weasul.immutability import check_unchanged, fingerprint_inputs

    step = step_class(type(plugin))(**step_params)
    name = type(step).__qualname__ + (f" of {use}" if use else "")
    before = fingerprint_inputs(inputs)
    out = step.run(plugin, inputs, ctx)
    check_unchanged(before, inputs, f"step '{ctx.step_id}' ({name})")
    if not isinstance(out, StepOutput):
        raise PluginContractError(f"step '{ctx.step_id}': {name}.run returned {type(out).__name__}, not StepOutput")
    return out
