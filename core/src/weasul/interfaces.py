"""The six weasul interfaces and the supporting plugin kinds.

Docstrings here are the contract plugin authors implement. Arrays are numpy; a label matrix
`L` is int (n_items, n_sources) with -1 = abstain; classes are 0..K-1.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, final

import numpy as np
from pydantic import Field

from weasul.data import Dataset, ExpertLabels, LabelIssues, QueryState
from weasul.params import WeasulParams
from weasul.plugin import Plugin
from weasul.steps import InputSpec, StepContext, StepOutput, classification_metrics, fit_split

if TYPE_CHECKING:
    from typing import Self

__all__ = [
    "INTERFACES",
    "LabelModel",
    "LabelModelParams",
    "QueryStrategy",
    "QueryParams",
    "AnomalyScorer",
    "Encoder",
    "SliceHead",
    "ErrorFinder",
    "DatasetLoader",
    "LabelingFunctionPack",
    "Oracle",
    "Classifier",
    "Reporter",
]

InputKind = Literal["features", "text"]  # what an AnomalyScorer or Encoder takes


class LabelModelParams(WeasulParams):
    """Parameters every label model accepts."""

    n_classes: int | None = Field(None, ge=2, le=100_000, description="K; inferred from L when omitted")
    class_prior: list[float] | None = Field(None, description="P(y), length K; learned or uniform if omitted")
    seed: int = 0


class LabelModel(Plugin, ABC):
    """Turn a label matrix into class probabilities.

    Rows where every source abstains get the class prior. Learned state: `n_classes_` and
    whatever the method estimates (attributes ending in `_`).
    """

    group: ClassVar[str] = "label_models"
    Params: ClassVar[type[WeasulParams]] = LabelModelParams

    @abstractmethod
    def fit(
        self, L: np.ndarray, *, y_dev: np.ndarray | None = None, expert: ExpertLabels | None = None
    ) -> Self:
        """Learn from `L` (n_items, n_sources), -1 = abstain; returns self.

        y_dev: optional gold labels for `L`'s rows, used only by models that say so.
        expert: optional expert labels for some rows of `L` (Active WeaSuL).
        Raises DataError on a malformed `L`.
        """

    @abstractmethod
    def predict_proba(self, L: np.ndarray) -> np.ndarray:
        """(n_items, K) float probabilities, rows summing to 1. Raises NotFittedError before fit."""

    @final
    def predict(self, L: np.ndarray) -> np.ndarray:
        """(n_items,) int argmax of `predict_proba`; ties go to the lowest class."""
        return np.asarray(self.predict_proba(L).argmax(axis=1))

    step_inputs: ClassVar[dict[str, InputSpec]] = {
        "L": InputSpec(("label_matrix",), doc="fit on the fit_on split, predict every split"),
        "y": InputSpec(("labels",), required=False, doc="gold labels, for metrics only"),
    }
    step_outputs: ClassVar[dict[str, str]] = {"probs": "probs", "pred": "labels", "model": "model"}

    def run_step(self, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        """Fit on `L[fit_on]`, then predict and score every split of `L`."""
        L = inputs["L"]
        self.fit(fit_split(L, ctx, "L"))
        probs = {split: self.predict_proba(values) for split, values in L.items()}
        metrics = {}
        for split, P in probs.items():
            metrics[split] = {"coverage": float((L[split] != -1).any(axis=1).mean())}
            y = (inputs.get("y") or {}).get(split)
            if y is not None:
                metrics[split].update(classification_metrics(y, P))
        preds = {split: P.argmax(axis=1) for split, P in probs.items()}
        return StepOutput({"probs": probs, "pred": preds, "model": self}, metrics)


class QueryParams(WeasulParams):
    """Parameters every query strategy accepts; `budget` and `batch` drive the active loop."""

    budget: int = Field(30, ge=1, le=10_000_000, description="expert labels to ask for in total")
    batch: int = Field(1, ge=1, le=1_000_000, description="items asked per iteration")
    seed: int = 0


class QueryStrategy(Plugin, ABC):
    """Pick the next items for an expert to label."""

    group: ClassVar[str] = "query_strategies"
    Params: ClassVar[type[WeasulParams]] = QueryParams
    persistable: ClassVar[bool] = False

    @abstractmethod
    def select(self, state: QueryState, budget: int) -> np.ndarray:
        """Return `budget` distinct int indices into `state.L`, none already labelled.

        Returns fewer only when fewer unlabelled items remain.
        """

    step_inputs: ClassVar[dict[str, InputSpec]] = {
        "model": InputSpec(("model:label_models",), doc="the label model to refit with expert labels"),
        "oracle": InputSpec(("model:oracles",), doc="who answers the queries"),
        "L": InputSpec(("label_matrix",), doc="the pool (fit_on split) and evaluation splits"),
        "y": InputSpec(("labels",), required=False, doc="gold labels of evaluation splits"),
        "X": InputSpec(
            ("features",), required=False, doc="features of the pool, for strategies that use them"
        ),
    }
    step_outputs: ClassVar[dict[str, str]] = {
        "queried": "indices",
        "probs": "probs",
        "model": "model:label_models",
    }

    def run_step(self, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        """Run the active loop on the fit_on split, evaluating on the other splits with gold."""
        from weasul.active import active_loop

        L, y = inputs["L"], inputs.get("y") or {}
        pool = fit_split(L, ctx, "L")
        evals = {s: (L[s], y[s]) for s in L if s != ctx.fit_on and y.get(s) is not None}
        X = inputs.get("X")
        history = active_loop(
            model=inputs["model"],
            strategy=self,
            oracle=inputs["oracle"],
            L=pool,
            budget=self.params.budget,  # type: ignore[attr-defined]
            batch=self.params.batch,  # type: ignore[attr-defined]
            eval=evals,
            X=None if X is None else fit_split(X, ctx, "X"),
        )
        model = inputs["model"]
        queried = np.array([i for record in history for i in record["queried"]], dtype=np.int64)
        probs = {s: model.predict_proba(v) for s, v in L.items()}
        return StepOutput(
            {"queried": {ctx.fit_on: queried}, "probs": probs, "model": model}, {"history": history}
        )


class AnomalyScorer(Plugin, ABC):
    """Score how anomalous each item is relative to the data it was fitted on."""

    group: ClassVar[str] = "anomaly_scorers"
    input_kind: ClassVar[InputKind] = "features"

    @abstractmethod
    def fit(self, X: Any) -> Self:
        """Learn the normal data from `X` (n_items, d) or texts; returns self."""

    @abstractmethod
    def score(self, X: Any) -> np.ndarray:
        """(n_items,) float, higher = more anomalous."""

    step_inputs: ClassVar[dict[str, InputSpec]] = {"X": InputSpec(("features", "text"))}
    step_outputs: ClassVar[dict[str, str]] = {"scores": "scores", "model": "model"}

    def run_step(self, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        """Fit on `X[fit_on]`, score every split."""
        X = inputs["X"]
        self.fit(fit_split(X, ctx, "X"))
        scores = {split: self.score(values) for split, values in X.items()}
        return StepOutput({"scores": scores, "model": self}, {})


class Encoder(Plugin, ABC):
    """Map items (features or texts) to dense representations."""

    group: ClassVar[str] = "encoders"
    input_kind: ClassVar[InputKind] = "features"

    @abstractmethod
    def fit(self, X: Any, y: np.ndarray | None = None, *, groups: np.ndarray | None = None) -> Self:
        """Learn the encoder; `y` and `groups` are optional supervision. Returns self."""

    @abstractmethod
    def encode(self, X: Any) -> np.ndarray:
        """(n_items, d) float32 or float64 representations."""

    step_inputs: ClassVar[dict[str, InputSpec]] = {
        "X": InputSpec(("features", "text")),
        "y": InputSpec(("labels",), required=False, doc="supervision for encoders that use it"),
    }
    step_outputs: ClassVar[dict[str, str]] = {"X": "features", "model": "model"}

    def run_step(self, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        """Fit on `X[fit_on]` (with `y[fit_on]` when given), encode every split."""
        X, y = inputs["X"], inputs.get("y") or {}
        self.fit(fit_split(X, ctx, "X"), y.get(ctx.fit_on))
        return StepOutput({"X": {split: self.encode(v) for split, v in X.items()}, "model": self}, {})


class SliceHead(Plugin, ABC):
    """A prediction head that is aware of data slices.

    `S` is the (n_items, k+1) 0/1 slice-membership matrix; column 0 is the base slice (all ones).
    """

    group: ClassVar[str] = "slice_heads"

    @abstractmethod
    def fit(self, X: np.ndarray, y: np.ndarray, S: np.ndarray) -> Self:
        """Train on features (n, d), labels (n,) and slice membership (n, k+1); returns self."""

    @abstractmethod
    def predict_proba(self, X: np.ndarray, S: np.ndarray) -> np.ndarray:
        """(n_items, K) class probabilities."""

    @final
    def predict(self, X: np.ndarray, S: np.ndarray) -> np.ndarray:
        """(n_items,) int argmax of `predict_proba`."""
        return np.asarray(self.predict_proba(X, S).argmax(axis=1))

    step_inputs: ClassVar[dict[str, InputSpec]] = {
        "X": InputSpec(("features",)),
        "y": InputSpec(("labels",), doc="training labels (fit_on split); other splits for metrics"),
        "S": InputSpec(("slices",)),
    }
    step_outputs: ClassVar[dict[str, str]] = {"probs": "probs", "model": "model"}

    def run_step(self, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        """Fit on the fit_on split, predict every split, metrics where labels exist."""
        X, y, S = inputs["X"], inputs["y"], inputs["S"]
        self.fit(fit_split(X, ctx, "X"), fit_split(y, ctx, "y"), fit_split(S, ctx, "S"))
        probs = {split: self.predict_proba(X[split], S[split]) for split in X}
        metrics = {s: classification_metrics(y[s], P) for s, P in probs.items() if s in y}
        return StepOutput({"probs": probs, "model": self}, metrics)


class ErrorFinder(Plugin, ABC):
    """Find items whose given label is probably wrong."""

    group: ClassVar[str] = "error_finders"
    persistable: ClassVar[bool] = False

    @abstractmethod
    def find(self, labels: np.ndarray, pred_probs: np.ndarray) -> LabelIssues:
        """Rank likely label errors from given labels (n,) and out-of-sample probabilities (n, K)."""

    step_inputs: ClassVar[dict[str, InputSpec]] = {
        "labels": InputSpec(("labels",), doc="the given labels"),
        "probs": InputSpec(("probs",), doc="out-of-sample predicted probabilities"),
    }
    step_outputs: ClassVar[dict[str, str]] = {"ranked": "indices", "suggested": "labels", "scores": "scores"}

    def run_step(self, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        """Find issues in every split that has both labels and probabilities."""
        out = StepOutput({"ranked": {}, "suggested": {}, "scores": {}})
        for split, labels in inputs["labels"].items():
            if split not in inputs["probs"]:
                continue
            issues = self.find(labels, inputs["probs"][split])
            out.artifacts["ranked"][split] = issues.ranked
            out.artifacts["suggested"][split] = issues.suggested
            out.artifacts["scores"][split] = issues.scores
            out.metrics[split] = {
                "n_issues": len(issues),
                "share": len(issues) / len(labels),
                "noise_rates": issues.noise_rates.tolist(),
            }
        return out


class DatasetLoader(Plugin, ABC):
    """Load a data set with its splits."""

    group: ClassVar[str] = "datasets"
    persistable: ClassVar[bool] = False

    # A data set loader's `load()` reads data; it is never persisted, so it may shadow the
    # persistence classmethod `Plugin.load(path)` (DESIGN.md's `create(...).load()`).
    @abstractmethod
    def load(self) -> Dataset:  # type: ignore[override]
        """Read the data; raises DataError when files are missing or malformed."""


class LabelingFunctionPack(Plugin, ABC):
    """A named set of labeling functions applied to raw items."""

    group: ClassVar[str] = "labeling_functions"
    persistable: ClassVar[bool] = False

    @abstractmethod
    def functions(self) -> Sequence[Any]:
        """The labeling functions (see `weasul.lf.labeling_function`), in column order."""

    @property
    @abstractmethod
    def class_names(self) -> Sequence[str]:
        """Names of classes 0..K-1."""

    step_inputs: ClassVar[dict[str, InputSpec]] = {
        "items": InputSpec(("table",), doc="raw items; each LF gets one row"),
        "y": InputSpec(("labels",), required=False, doc="gold labels, for empirical LF accuracy"),
    }
    step_outputs: ClassVar[dict[str, str]] = {"L": "label_matrix"}

    def run_step(self, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        """Apply the LFs to every split's items; LF analysis per split as metrics."""
        from weasul.lf import apply_lfs, lf_summary

        lfs = list(self.functions())
        names = [lf.name for lf in lfs]
        k = len(self.class_names)
        y = inputs.get("y") or {}
        L = {
            s: apply_lfs(lfs, frame, n_classes=k, executor=ctx.executor)
            for s, frame in inputs["items"].items()
        }
        metrics = {s: {"lf_summary": lf_summary(v, y.get(s), names)} for s, v in L.items()}
        return StepOutput({"L": L}, metrics)


class Oracle(Plugin, ABC):
    """Answers label queries: gold labels, a person at a terminal, a persistent store."""

    group: ClassVar[str] = "oracles"
    persistable: ClassVar[bool] = False

    @abstractmethod
    def label(self, indices: np.ndarray) -> np.ndarray:
        """Labels (len(indices),) for the items; -1 where the oracle declines to answer."""

    def known(self) -> dict[int, int]:
        """Answers given earlier (item index -> label), so a restarted loop resumes."""
        return {}

    def observe(self, state: QueryState) -> None:
        """Called by the active loop before each `label` with the current state (model, L,
        probabilities), so an interactive oracle can show the model's belief. Default: nothing."""

    step_inputs: ClassVar[dict[str, InputSpec]] = {}
    step_outputs: ClassVar[dict[str, str]] = {"model": "model"}

    def run_step(self, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        """An oracle step only makes the oracle available to later steps."""
        return StepOutput({"model": self}, {})


class Classifier(Plugin, ABC):
    """An end model trained on hard or probabilistic labels."""

    group: ClassVar[str] = "classifiers"
    persistable: ClassVar[bool] = False

    @abstractmethod
    def fit(self, X: Any, targets: np.ndarray) -> Self:
        """Train on features (n, d) and labels (n,) or probabilities (n, K); returns self."""

    @abstractmethod
    def predict_proba(self, X: Any) -> np.ndarray:
        """(n_items, K) class probabilities."""

    @final
    def predict(self, X: Any) -> np.ndarray:
        return np.asarray(self.predict_proba(X).argmax(axis=1))

    step_inputs: ClassVar[dict[str, InputSpec]] = {
        "X": InputSpec(("features",)),
        "target": InputSpec(("probs", "labels"), doc="training targets on the fit_on split"),
        "y": InputSpec(("labels",), required=False, doc="gold labels, for metrics only"),
    }
    step_outputs: ClassVar[dict[str, str]] = {"probs": "probs", "pred": "labels", "model": "model"}

    def run_step(self, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        """Train on the fit_on split, predict every split of X, metrics where gold exists."""
        X, y = inputs["X"], inputs.get("y") or {}
        self.fit(fit_split(X, ctx, "X"), fit_split(inputs["target"], ctx, "target"))
        probs = {split: self.predict_proba(values) for split, values in X.items()}
        metrics = {s: classification_metrics(y[s], P) for s, P in probs.items() if y.get(s) is not None}
        preds = {s: P.argmax(axis=1) for s, P in probs.items()}
        return StepOutput({"probs": probs, "pred": preds, "model": self}, metrics)


class Reporter(Plugin, ABC):
    """Turns a finished run folder into a report (files beside metrics.json)."""

    group: ClassVar[str] = "reporters"
    persistable: ClassVar[bool] = False

    @abstractmethod
    def write(self, run_dir: Path, metrics: dict[str, Any]) -> list[Path]:
        """Write report files into `run_dir`; return their paths."""


#: Interface class per entry-point group (without the `weasul.` prefix).
INTERFACES: dict[str, type[Plugin]] = {
    cls.group: cls
    for cls in (
        LabelModel,
        QueryStrategy,
        AnomalyScorer,
        Encoder,
        SliceHead,
        ErrorFinder,
        DatasetLoader,
        LabelingFunctionPack,
        Oracle,
        Classifier,
        Reporter,
    )
}
