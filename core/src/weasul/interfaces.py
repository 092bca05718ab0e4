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
from typing_extensions import TypeVar

from weasul.data import Dataset, ExpertLabels, LabelIssues, QueryState
from weasul.params import WeasulParams
from weasul.plugin import P, PersistentPlugin, Plugin

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


LP = TypeVar("LP", bound=LabelModelParams, default=LabelModelParams, covariant=True)


class LabelModel(PersistentPlugin[LP], ABC):
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


class QueryParams(WeasulParams):
    """Parameters every query strategy accepts (the loop's budget is the step's, `ActiveLoopStep`)."""

    seed: int = 0


QP = TypeVar("QP", bound=QueryParams, default=QueryParams, covariant=True)


class QueryStrategy(Plugin[QP], ABC):
    """Pick the next items for an expert to label."""

    group: ClassVar[str] = "query_strategies"
    Params: ClassVar[type[WeasulParams]] = QueryParams

    @abstractmethod
    def select(self, state: QueryState, budget: int) -> np.ndarray:
        """Return `budget` distinct int indices into `state.L`, none already labelled.

        Returns fewer only when fewer unlabelled items remain.
        """


class AnomalyScorer(PersistentPlugin[P], ABC):
    """Score how anomalous each item is relative to the data it was fitted on."""

    group: ClassVar[str] = "anomaly_scorers"
    input_kind: ClassVar[InputKind] = "features"

    @abstractmethod
    def fit(self, X: Any) -> Self:
        """Learn the normal data from `X` (n_items, d) or texts; returns self."""

    @abstractmethod
    def score(self, X: Any) -> np.ndarray:
        """(n_items,) float, higher = more anomalous."""


class Encoder(PersistentPlugin[P], ABC):
    """Map items (features or texts) to dense representations."""

    group: ClassVar[str] = "encoders"
    input_kind: ClassVar[InputKind] = "features"
    #: Whether `encode(X)[i]` depends on row i and the fitted state alone, so partitions of X
    #: can be encoded apart (on Dask workers, the features kept as partitions). Declare it only
    #: where that is exact; an encoder that does not gets its partitioned inputs gathered.
    encodes_rows: ClassVar[bool] = False

    @abstractmethod
    def fit(self, X: Any, y: np.ndarray | None = None, *, groups: np.ndarray | None = None) -> Self:
        """Learn the encoder; `y` and `groups` are optional supervision. Returns self."""

    @abstractmethod
    def encode(self, X: Any) -> np.ndarray:
        """(n_items, d) float32 or float64 representations."""


class SliceHead(PersistentPlugin[P], ABC):
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


class ErrorFinder(Plugin[P], ABC):
    """Find items whose given label is probably wrong."""

    group: ClassVar[str] = "error_finders"

    @abstractmethod
    def find(self, labels: np.ndarray, pred_probs: np.ndarray) -> LabelIssues:
        """Rank likely label errors from given labels (n,) and out-of-sample probabilities (n, K)."""


class DatasetLoader(Plugin[P], ABC):
    """Load a data set with its splits."""

    group: ClassVar[str] = "datasets"

    @abstractmethod
    def load(self) -> Dataset:
        """Read the data; raises DataError when files are missing or malformed."""


class LabelingFunctionPack(Plugin[P], ABC):
    """A named set of labeling functions applied to raw items."""

    group: ClassVar[str] = "labeling_functions"

    @abstractmethod
    def functions(self) -> Sequence[Any]:
        """The labeling functions (see `weasul.lf.labeling_function`), in column order."""

    @property
    @abstractmethod
    def class_names(self) -> Sequence[str]:
        """Names of classes 0..K-1."""


class Oracle(Plugin[P], ABC):
    """Answers label queries: gold labels, a person at a terminal, a persistent store."""

    group: ClassVar[str] = "oracles"

    @abstractmethod
    def label(self, indices: np.ndarray) -> np.ndarray:
        """Labels (len(indices),) for the items; -1 where the oracle declines to answer."""

    def known(self) -> dict[int, int]:
        """Answers given earlier (item index -> label), so a restarted loop resumes."""
        return {}

    def observe(self, state: QueryState) -> None:
        """Called by the active loop before each `label` with the current state (model, L,
        probabilities, budget), so an interactive oracle can show the model's belief. Default: nothing."""

    def revisions(self) -> dict[int, int]:
        """Earlier answers changed since the last call (item index -> new label, -1 = declined),
        e.g. a person's undo; the active loop applies them after each `label`. Default: none."""
        return {}


class Classifier(PersistentPlugin[P], ABC):
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


class Reporter(Plugin[P], ABC):
    """Turns a finished run folder into a report (files beside metrics.json)."""

    group: ClassVar[str] = "reporters"

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
