"""LabelModel plugin `template`."""

from __future__ import annotations

import numpy as np

from weasul import LabelModel, LabelModelParams
from weasul.validation import check_label_matrix, infer_n_classes

__all__ = ["TemplateLabelModel"]

class TemplateLabelModel(LabelModel):
    """Majority vote with the class prior for rows where every source abstains."""

    class Params(LabelModelParams):
        pass

    params: Params

    def fit(self, L, *, y_dev=None, expert=None):
        L = check_label_matrix(L, n_classes=self.params.n_classes)
        self.n_classes_ = infer_n_classes(L, self.params.n_classes)
        counts = np.array([(L == c).sum() for c in range(self.n_classes_)], dtype=float)
        prior = self.params.class_prior or (counts + 1) / (counts + 1).sum()
        self.class_prior_ = np.asarray(prior, dtype=float)
        return self

    def predict_proba(self, L):
        self.check_fitted()
        L = check_label_matrix(L, n_classes=self.n_classes_, allow_silent_sources=True)
        votes = np.stack([(L == c).sum(axis=1) for c in range(self.n_classes_)], axis=1).astype(float)
        top = votes == votes.max(axis=1, keepdims=True)
        probs = top / top.sum(axis=1, keepdims=True)
        empty = votes.sum(axis=1) == 0
        probs[empty] = self.class_prior_
        return probs
