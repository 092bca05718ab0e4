"""Data types shared by every plugin: splits, datasets, expert labels, label issues."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from weasul.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Split", "Dataset", "ExpertLabels", "LabelIssues", "QueryState", "SPLIT_FIELDS"]

#: The fields a split can carry, with the artifact kind of each.
SPLIT_FIELDS = {"L": "label_matrix", "y": "labels", "X": "features", "text": "text", "items": "table"}


@dataclass(frozen=True)
class Split:
    """One split of a data set; every field is optional.

    L: (n, m) int label matrix, -1 = abstain. y: (n,) gold labels. X: (n, d) features.
    text: (n,) strings. items: the raw rows as a pandas DataFrame.
    """

    L: np.ndarray | None = None
    y: np.ndarray | None = None
    X: np.ndarray | None = None
    text: np.ndarray | None = None
    items: pd.DataFrame | None = None

    def __len__(self) -> int:
        for value in (self.L, self.y, self.X, self.text, self.items):
            if value is not None:
                return len(value)
        return 0

    def get(self, name: str) -> Any:
        if name not in SPLIT_FIELDS:
            raise DataError(f"a split has no field '{name}'; fields are {', '.join(SPLIT_FIELDS)}")
        return getattr(self, name)


@dataclass(frozen=True)
class Dataset:
    """Named splits (usually train/valid/test) with the class names they share."""

    name: str
    splits: Mapping[str, Split]
    class_names: tuple[str, ...] = ()

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def __getitem__(self, split: str) -> Split:
        try:
            return self.splits[split]
        except KeyError:
            raise DataError(
                f"data set '{self.name}' has no split '{split}'; it has {', '.join(self.splits)}"
            ) from None

    @property
    def train(self) -> Split:
        return self["train"]

    @property
    def valid(self) -> Split:
        return self["valid"]

    @property
    def test(self) -> Split:
        return self["test"]


@dataclass(frozen=True)
class ExpertLabels:
    """Labels given by an expert for some items: `indices` into L and their `labels`."""

    indices: np.ndarray
    labels: np.ndarray

    def __post_init__(self) -> None:
        if len(self.indices) != len(self.labels):
            raise DataError(f"expert labels: {len(self.indices)} indices but {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.indices)

    @classmethod
    def from_dict(cls, answers: Mapping[int, int]) -> ExpertLabels:
        idx = np.fromiter(answers.keys(), dtype=np.int64, count=len(answers))
        lab = np.fromiter(answers.values(), dtype=np.int64, count=len(answers))
        return cls(idx, lab)


@dataclass(frozen=True)
class LabelIssues:
    """What an ErrorFinder found.

    ranked: indices of items whose given label is likely wrong, most likely first.
    scores: (n,) label-quality score per item, lower = more likely wrong.
    suggested: (n,) the label the finder would give each item.
    noise_matrix: (K, K) estimated P(given = i | true = j).
    confident_joint: (K, K) counts of (given, true) pairs, or None.
    noise_rates: (K,) estimated share of items of each given class that are mislabelled.
    """

    ranked: np.ndarray
    scores: np.ndarray
    suggested: np.ndarray
    noise_matrix: np.ndarray
    noise_rates: np.ndarray
    confident_joint: np.ndarray | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ranked)


@dataclass
class QueryState:
    """What a query strategy sees when it picks items to label.

    L: (n, m) label matrix of the pool. probs: (n, K) current model probabilities on L.
    labelled: item index -> expert label, for items already answered (-1 = declined).
    model: the current fitted label model, X: optional (n, d) features.
    budget: the expert answers the loop asks for in total (None outside a loop), so an
    interactive oracle can say "answered 3 of 20".
    """

    L: np.ndarray
    probs: np.ndarray
    labelled: dict[int, int]
    model: Any = None
    X: np.ndarray | None = None
    budget: int | None = None

    def unlabelled(self) -> np.ndarray:
        mask = np.ones(len(self.L), dtype=bool)
        if self.labelled:
            mask[np.fromiter(self.labelled, dtype=np.int64)] = False
        return np.flatnonzero(mask)
