"""End models: any scikit-learn classifier, trained on hard or probabilistic labels."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from pydantic import Field, model_validator

from weasul.errors import DataError, SpecError
from weasul.interfaces import Classifier
from weasul.lazy import require
from weasul.params import WeasulParams
from weasul.validation import check_features, check_labels, check_probs

if TYPE_CHECKING:
    from typing import Self

__all__ = ["SklearnClassifier"]

_SHORT_NAMES = {
    "logistic-regression": "sklearn.linear_model.LogisticRegression",
    "linear-svc": "sklearn.svm.LinearSVC",
    "random-forest": "sklearn.ensemble.RandomForestClassifier",
    "mlp": "sklearn.neural_network.MLPClassifier",
    "gradient-boosting": "sklearn.ensemble.HistGradientBoostingClassifier",
}


def _expand(X: Any, probs: np.ndarray, min_weight: float) -> tuple[Any, np.ndarray, np.ndarray]:
    """Repeat each row once per class with weight P(class); drops near-zero weights.

    This trains any estimator that takes `sample_weight` on probabilistic labels and is
    equivalent to minimising the expected (noise-aware) loss.
    """
    n, k = probs.shape
    rows = np.repeat(np.arange(n), k)
    labels = np.tile(np.arange(k), n)
    weights = probs.reshape(-1)
    keep = weights > min_weight
    rows, labels, weights = rows[keep], labels[keep], weights[keep]
    return X[rows], labels, weights


def _check_X(X: Any) -> Any:
    """Dense features through `check_features`; a sparse matrix with finite values as is."""
    if hasattr(X, "tocsr") and not isinstance(X, np.ndarray):
        if len(X.shape) != 2 or X.shape[0] == 0:
            raise DataError(f"X must be a non-empty 2-D matrix, got shape {X.shape}")
        if not np.isfinite(X.tocsr().data).all():
            raise DataError("X contains NaN or inf; impute or drop those values")
        return X
    return check_features(X)


class SklearnClassifier(Classifier):
    """Wraps a scikit-learn classifier by import path or short name; probabilistic targets are
    handled by sample-weighted expansion (`hard=False`) or by their argmax (`hard=True`).

    Saved without pickle: the fitted estimator goes into the safetensors file as skops bytes
    (`weasul.persist`), and loading accepts only scikit-learn's own types.
    """

    persistable: ClassVar[bool] = True

    class Params(WeasulParams):
        estimator: str = Field("logistic-regression", description="short name or import path")
        options: dict[str, Any] = Field(default_factory=dict, description="estimator keyword arguments")
        hard: bool = Field(False, description="train on argmax labels instead of weighted expansion")
        min_weight: float = Field(1e-3, ge=0, lt=1)
        seed: int = 0

        @model_validator(mode="after")
        def _known_options(self) -> SklearnClassifier.Params:
            # read from the estimator's source, so `weasul validate` checks options without sklearn
            from weasul.options import check_options

            path = _SHORT_NAMES.get(self.estimator, self.estimator)
            problem = check_options(path, self.options, ignore=("random_state",))
            if problem:
                raise ValueError(f"options: {problem}")
            return self

    params: Params

    def _make(self) -> Any:
        require("sklearn", extra="sklearn", distribution="weasul-core")
        path = _SHORT_NAMES.get(self.params.estimator, self.params.estimator)
        module, _, name = path.rpartition(".")
        try:
            cls = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError, ValueError):
            raise SpecError(
                f"classifier estimator '{self.params.estimator}' not found; use an import path or one of "
                f"{', '.join(_SHORT_NAMES)}"
            ) from None
        options = dict(self.params.options)
        if "random_state" in cls().get_params():
            options.setdefault("random_state", self.params.seed)
        return cls(**options)

    def fit(self, X: Any, targets: np.ndarray) -> SklearnClassifier:
        """Train on `X` (n, d) and hard labels (n,) or class probabilities (n, K)."""
        X = _check_X(X)
        raw = np.asarray(targets)
        if raw.ndim not in (1, 2):
            raise DataError(f"targets must be labels (n,) or probabilities (n, K), got shape {raw.shape}")
        if X.shape[0] != raw.shape[0]:
            raise DataError(f"X has {X.shape[0]} rows but targets has {raw.shape[0]}")
        estimator = self._make()
        if raw.ndim == 2:
            probs = check_probs(raw, name="targets")
            self.n_classes_ = probs.shape[1]
            if self.params.hard:
                Xe, ye, we = X, probs.argmax(axis=1), None
            else:
                Xe, ye, we = _expand(X, probs, self.params.min_weight)
        else:
            ye = check_labels(raw, name="targets")
            self.n_classes_ = int(ye.max()) + 1
            Xe, we = X, None
        present = np.unique(ye)
        if present.size < 2:
            raise DataError(
                f"targets hold one class ({int(present[0])}); a classifier needs items of at least two "
                "classes (check the label model's output or the labels)"
            )
        try:
            estimator.fit(Xe, ye, **({} if we is None else {"sample_weight": we}))
        except (ValueError, TypeError) as err:
            raise DataError(f"{self.params.estimator} could not fit: {err}") from err
        self.estimator_ = estimator
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        self.check_fitted()
        X = _check_X(X)
        est = self.estimator_
        if hasattr(est, "predict_proba"):
            raw = est.predict_proba(X)
        else:  # decision-function models: a softmax over margins
            scores = est.decision_function(X)
            scores = np.column_stack([-scores, scores]) if scores.ndim == 1 else scores
            raw = np.exp(scores - scores.max(axis=1, keepdims=True))
            raw /= raw.sum(axis=1, keepdims=True)
        out = np.zeros((raw.shape[0], self.n_classes_))
        out[:, est.classes_.astype(int)] = raw
        return out

    def save(self, path: str | Path) -> Path:
        """Params, `n_classes_` and the fitted estimator (skops) in one safetensors file."""
        from weasul.persist import save_plugin

        return save_plugin(self, path)

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """A fitted classifier from a file written by `save`."""
        from weasul.persist import load_plugin

        return load_plugin(cls, path)
