"""LabelModel plugin `template`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from weasul import ExpertLabels, LabelModel, LabelModelParams
from weasul.validation import check_label_matrix, infer_n_classes

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["TemplateLabelModel"]


class TemplateLabelModel(LabelModel):
    """Majority vote with the class prior for rows where every source abstains."""

    class Params(LabelModelParams):
        pass

    params: Params

    def fit(
        self, L: np.ndarray, *, y_dev: np.ndarray | None = None, expert: ExpertLabels | None = None
    ) -> Self:
        L = check_label_matrix(L, n_classes=self.params.n_classes)
        self.n_classes_ = infer_n_classes(L, self.params.n_classes)
        self.n_sources_ = L.shape[1]
        counts = np.array([(L == c).sum() for c in range(self.n_classes_)], dtype=float)
        prior = self.params.class_prior or (counts + 1) / (counts + 1).sum()
        self.class_prior_ = np.asarray(prior, dtype=float)
        return self

    def predict_proba(self, L: np.ndarray) -> np.ndarray:
        self.check_fitted()
        L = check_label_matrix(
            L,
            n_classes=self.n_classes_,
            n_sources=self.n_sources_,
            allow_silent_sources=True,
            allow_no_votes=True,
        )
        votes = np.stack([(L == c).sum(axis=1) for c in range(self.n_classes_)], axis=1)
        top = (votes == votes.max(axis=1, keepdims=True)).astype(float)
        probs: np.ndarray = top / top.sum(axis=1, keepdims=True)
        probs[votes.sum(axis=1) == 0] = self.class_prior_
        return probs
