"""scikit-learn estimators around weasul label models and end models (imported only on use).

`LabelModelClassifier(model)` makes a weasul `LabelModel` a scikit-learn classifier over label
matrices; `EndModelClassifier(model)` does the same for a weasul `Classifier` over features.
Both take an unfitted weasul plugin as their one `model` parameter and expose its Params
fields as nested parameters, `model__<field>`, so `get_params`, `set_params`, `clone`,
`Pipeline` and `GridSearchCV` work as for any estimator::

    from sklearn.model_selection import GridSearchCV
    from weasul.sklearn import LabelModelClassifier, train_dev_split

    est = LabelModelClassifier(weasul.create("label_models", "dawid-skene"))
    L, y, cv = train_dev_split(L_train, L_dev, y_dev)        # fit on train, score on dev
    GridSearchCV(est, {"model__max_iter": [1, 50]}, cv=cv).fit(L, y).best_params_

A label model learns without gold: `fit(L, y)` ignores `y` (it is there for scoring), unless
`use_dev_labels=True` passes it on as `y_dev`. `set_params(model__x=...)` builds a new plugin
through its Params, so a bad value raises `weasul.SpecError` at once.

Which parts of `sklearn.utils.estimator_checks` hold (tested in
core/tests/test_sklearn_adapter.py): for `EndModelClassifier`, every check of
`parametrize_with_checks` except those in `END_MODEL_EXPECTED_FAILURES`, each with its
reason; for `LabelModelClassifier`, the API checks in `LABEL_MODEL_CHECKS` (parameters, set_params,
clone, repr, default-constructible, no attributes set in `__init__`, NotFittedError before
fit). The checks that fit on random float matrices (among them overwrite-params,
check_is_fitted, n_features_in) do not apply to a label model, whose input is an int label
matrix with -1 for abstain: it refuses them with `DataError`; the test checks the same
properties on label matrices instead.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import PredefinedSplit
from sklearn.utils.validation import check_is_fitted

from weasul.errors import DataError, SpecError
from weasul.interfaces import Classifier, LabelModel
from weasul.plugin import Plugin

__all__ = [
    "LabelModelClassifier",
    "EndModelClassifier",
    "train_dev_split",
    "LABEL_MODEL_CHECKS",
    "END_MODEL_EXPECTED_FAILURES",
]

#: The estimator checks a `LabelModelClassifier` passes (the API, not the float-matrix checks).
LABEL_MODEL_CHECKS = (
    "check_no_attributes_set_in_init",
    "check_get_params_invariance",
    "check_set_params",
    "check_parameters_default_constructible",
    "check_estimator_repr",
    "check_estimator_cloneable",
    "check_estimators_unfitted",
)

#: `EndModelClassifier` checks expected to fail, with the reason.
END_MODEL_EXPECTED_FAILURES: dict[str, str] = {}


class _PluginEstimator(BaseEstimator):  # type: ignore[misc]
    """Shared parameter handling: `model` is an unfitted weasul plugin; `model__<field>` are its
    Params fields."""

    _interface: type[Plugin] = Plugin
    model: Any

    def _check_model(self) -> Plugin:
        if self.model is None:
            raise SpecError(f"{type(self).__name__} needs a weasul {self._interface.__name__} as `model`")
        if not isinstance(self.model, self._interface):
            raise SpecError(
                f"{type(self).__name__}: model must be a weasul {self._interface.__name__}, "
                f"got {type(self.model).__name__}"
            )
        return self.model

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = super().get_params(deep=False)
        if deep and isinstance(self.model, Plugin):
            out.update(
                {f"model__{k}": getattr(self.model.params, k) for k in type(self.model.params).model_fields}
            )
        return out

    def set_params(self, **params: Any) -> _PluginEstimator:
        nested = {k.removeprefix("model__"): v for k, v in params.items() if k.startswith("model__")}
        own = {k: v for k, v in params.items() if not k.startswith("model__")}
        if own:
            super().set_params(**own)
        if nested:
            model = self._check_model()
            fields = type(model.params).model_fields
            unknown = sorted(set(nested) - set(fields))
            if unknown:
                raise ValueError(
                    f"invalid parameter(s) {', '.join('model__' + u for u in unknown)} for {type(self).__name__}; "
                    f"{type(model).__name__} takes {', '.join(fields)}"
                )
            values = {k: getattr(model.params, k) for k in model.params.model_fields_set}
            self.model = type(model)(**{**values, **nested})
        return self

    def __sklearn_clone__(self) -> _PluginEstimator:
        params = super().get_params(deep=False)
        if isinstance(self.model, Plugin):
            params["model"] = self.model.clone()
        return type(self)(**params)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # weasul end models take scipy CSR features (TF-IDF)
        return tags

    def _encode_targets(self, y: Any) -> np.ndarray:
        """Class indices 0..K-1 for any labels (strings, {1, 2}, ...), keeping `classes_`."""
        self.classes_, encoded = np.unique(np.asarray(y), return_inverse=True)
        return np.asarray(encoded, dtype=np.int64)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row, as one of `classes_`."""
        probs = self.predict_proba(X)
        return np.asarray(np.asarray(self.classes_)[probs.argmax(axis=1)])

    def predict_proba(self, X: Any) -> np.ndarray:
        raise NotImplementedError


class LabelModelClassifier(ClassifierMixin, _PluginEstimator):  # type: ignore[misc]
    """A weasul LabelModel as a scikit-learn classifier: `fit(L, y=None)`, `predict_proba(L)`,
    `predict(L)`, `score(L, y)` (accuracy), with `L` an int label matrix, -1 = abstain.

    `classes_` is `0..K-1`; `y` is used only for scoring, or as the model's `y_dev` when
    `use_dev_labels` is true.
    """

    _interface = LabelModel

    def __init__(self, model: LabelModel | None = None, *, use_dev_labels: bool = False) -> None:
        self.model = model
        self.use_dev_labels = use_dev_labels

    def fit(self, L: Any, y: Any = None) -> LabelModelClassifier:
        """Fit a fresh copy of `model` on `L`; returns self."""
        model = cast(LabelModel, self._check_model().clone())
        L = np.asarray(L)
        y_dev = None
        if self.use_dev_labels and y is not None:
            y_dev = np.asarray(y, dtype=np.int64)
        self.model_ = model.fit(L, y_dev=y_dev)
        self.n_features_in_ = L.shape[1] if L.ndim == 2 else 0
        k = int(getattr(self.model_, "n_classes_", 0)) or self.model_.predict_proba(L[:1]).shape[1]
        self.classes_ = np.arange(k)
        return self

    def predict_proba(self, L: Any) -> np.ndarray:
        """(n_items, K) probabilities of the fitted label model."""
        check_is_fitted(self, "model_")
        L = np.asarray(L)
        if L.ndim == 2 and L.shape[1] != self.n_features_in_:
            raise ValueError(
                f"L has {L.shape[1]} sources, but the label model was fitted on {self.n_features_in_}"
            )
        return np.asarray(self.model_.predict_proba(L))


class EndModelClassifier(ClassifierMixin, _PluginEstimator):  # type: ignore[misc]
    """A weasul Classifier (an end model) as a scikit-learn classifier over features.

    `fit(X, y)` takes labels (any values; `classes_` keeps them) or, as weasul end models do,
    (n, K) probabilistic targets (then `classes_` is `0..K-1`).
    """

    _interface = Classifier

    def __init__(self, model: Classifier | None = None) -> None:
        self.model = model

    def fit(self, X: Any, y: Any) -> EndModelClassifier:
        """Fit a fresh copy of `model`; returns self."""
        from sklearn.utils.multiclass import check_classification_targets
        from sklearn.utils.validation import validate_data

        model = self._check_model().clone()
        targets = np.asarray(y)
        if targets.ndim == 2 and targets.shape[1] > 1 and np.issubdtype(targets.dtype, np.floating):
            X = validate_data(self, X, accept_sparse=["csr"], reset=True)
            if targets.shape[0] != X.shape[0]:
                raise DataError(f"X has {X.shape[0]} rows but targets has {targets.shape[0]}")
            self.classes_ = np.arange(targets.shape[1])
            encoded: np.ndarray = targets
        else:
            X, targets = validate_data(self, X, targets, accept_sparse=["csr"], reset=True)
            check_classification_targets(targets)
            encoded = self._encode_targets(targets)
        self.model_ = cast(Classifier, model).fit(X, encoded)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """(n_items, n_classes) probabilities, columns in the order of `classes_`."""
        from sklearn.utils.validation import validate_data

        check_is_fitted(self, "model_")
        X = validate_data(self, X, accept_sparse=["csr"], reset=False)
        probs = np.asarray(self.model_.predict_proba(X))
        return probs[:, : len(self.classes_)] if probs.shape[1] > len(self.classes_) else probs


def train_dev_split(L_train: Any, L_dev: Any, y_dev: Any) -> tuple[np.ndarray, np.ndarray, PredefinedSplit]:
    """`(L, y, cv)` for `GridSearchCV(..., cv=cv).fit(L, y)`: each candidate is fitted on the
    rows of `L_train` (no gold needed; their `y` is -1) and scored on `L_dev` against `y_dev`."""
    L_train, L_dev = np.asarray(L_train), np.asarray(L_dev)
    if L_train.ndim != 2 or L_dev.ndim != 2 or L_train.shape[1] != L_dev.shape[1]:
        raise DataError(
            f"L_train {L_train.shape} and L_dev {L_dev.shape} must be matrices with the same sources"
        )
    y_dev = np.asarray(y_dev, dtype=np.int64)
    if len(y_dev) != len(L_dev):
        raise DataError(f"L_dev has {len(L_dev)} rows but y_dev has {len(y_dev)}")
    L = np.vstack([L_train, L_dev])
    y = np.concatenate([np.full(len(L_train), -1, dtype=np.int64), y_dev])
    fold = np.concatenate([np.full(len(L_train), -1), np.zeros(len(L_dev), dtype=np.int64)])
    return L, y, PredefinedSplit(fold)
