"""Experiment loops: Active WeaSuL with a discriminative model per iteration (paper Sec. 4 and
A.2), Nashaat et al., active learning by itself and weak supervision by itself.

The generative side runs through `weasul.active_loop`; the discriminative model is trained in
its per-iteration `callback` on the probabilistic labels, with the expert's answers replacing
the probabilistic labels of the items they answered (paper A.2).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from weasul.steps import classification_metrics

__all__ = ["DiscriminativeCallback", "active_learning_only", "soft_targets"]

_log = logging.getLogger(__name__)


def soft_targets(probs: np.ndarray, labelled: dict[int, int]) -> np.ndarray:
    """(n, K) the probabilistic labels with one-hot expert answers on answered items."""
    out = np.array(probs, dtype=np.float64, copy=True)
    answered = [(i, a) for i, a in labelled.items() if 0 <= a < out.shape[1]]
    if answered:
        idx = np.array([i for i, _ in answered], dtype=np.int64)
        lab = np.array([a for _, a in answered], dtype=np.int64)
        out[idx] = np.eye(out.shape[1])[lab]
    return out


class DiscriminativeCallback:
    """`active_loop` callback: trains a classifier (a weasul `classifiers` plugin, e.g.
    `weasul.create("classifiers", "sklearn")`) on `X` with the soft targets of the pool and adds
    its metrics on `(X_eval, y_eval)` as `record["discriminative"]`, every `every` iterations."""

    def __init__(self, classifier: Any, X: Any, X_eval: Any, y_eval: np.ndarray, every: int = 1) -> None:
        self.classifier, self.X, self.X_eval, self.y_eval, self.every = classifier, X, X_eval, np.asarray(y_eval), every

    def __call__(self, record: dict[str, Any], model: Any, state: Any) -> None:
        if record["iteration"] % self.every:
            return
        clf = self.classifier.clone()
        clf.fit(self.X, soft_targets(state.probs, state.labelled))
        record["discriminative"] = classification_metrics(self.y_eval, clf.predict_proba(self.X_eval))


def active_learning_only(
    X: Any, y: np.ndarray, X_eval: Any, y_eval: np.ndarray, *, budget: int, seed: int = 0, classifier: Any = None
) -> list[dict[str, Any]]:
    """Active learning by itself (paper Sec. 4.1): a classifier on the expert-labelled items,
    margin sampling on its predictions; random items until both classes were seen.

    Returns one record per number of labels 0..budget with `discriminative` metrics (None
    while fewer than two classes are labelled).
    """
    import weasul

    clf_proto = classifier if classifier is not None else weasul.create("classifiers", "sklearn", hard=True)
    rng = np.random.default_rng([seed, 7])
    y = np.asarray(y)
    n = len(y)
    queried: list[int] = []
    history: list[dict[str, Any]] = []
    free = np.ones(n, dtype=bool)
    for step in range(budget + 1):
        labels = y[queried]
        metrics = None
        if len(set(labels.tolist())) >= 2:
            clf = clf_proto.clone().fit(X[np.array(queried)], labels)
            metrics = classification_metrics(y_eval, clf.predict_proba(X_eval))
            if step < budget:
                P = clf.predict_proba(X)
                top = np.sort(P, axis=1)
                margin = np.where(free, top[:, -1] - top[:, -2], np.inf)
                best = np.flatnonzero(margin == margin.min())
                pick = int(rng.choice(best))
        elif step < budget:
            pick = int(rng.choice(np.flatnonzero(free)))
        history.append({"iteration": step, "n_labelled": len(queried), "discriminative": metrics})
        if step < budget:
            queried.append(pick)
            free[pick] = False
    return history
