"""Out-of-sample predicted probabilities by cross-validation, from any classifier and encoder.

Confident learning needs `pred_probs` that the model did not see the labels of. Users with
data and labels but no probabilities get them here: stratified K-fold, every item is predicted
by a model fitted on the other folds. The helpers (`make_estimator`, `fit_fresh`,
`predict_padded`, `fit_predict`) are shared by the cross-validated classifier and the refit step,
so every path fits and predicts the same way.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np
from weasul.errors import DataError, SpecError
from weasul.plugin import Plugin
from weasul.progress import track
from weasul.validation import check_labels

__all__ = [
    "cross_val_pred_probs",
    "fit_fresh",
    "fit_predict",
    "make_estimator",
    "n_rows",
    "predict_padded",
    "stratified_folds",
    "take_rows",
]

_log = logging.getLogger(__name__)


def take_rows(X: Any, idx: np.ndarray) -> Any:
    """Rows `idx` of a numpy array, scipy sparse matrix, DataFrame or sequence of items."""
    if hasattr(X, "iloc"):
        return X.iloc[idx]
    if isinstance(X, np.ndarray) or hasattr(X, "tocsr"):
        return X[idx]
    items = np.empty(len(X), dtype=object)
    items[:] = list(X)
    return items[idx]


def n_rows(X: Any) -> int:
    """Number of items of an array, sparse matrix, DataFrame or sequence."""
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) == 0:
        raise DataError("got a single value (a 0-d array) where one row per item is expected")
    return int(shape[0]) if shape is not None else len(X)


def make_estimator(estimator: Any, options: dict[str, Any] | None, seed: int) -> Any:
    """A weasul Classifier plugin or an object with fit/predict_proba (scikit-learn style).

    A name goes to the core `classifiers/sklearn` plugin (hard labels, `options` as its arguments).
    """
    if isinstance(estimator, str):
        from weasul.plugins import create

        return create(
            "classifiers", "sklearn", estimator=estimator, options=dict(options or {}), hard=True, seed=seed
        )
    if options:
        raise SpecError("options apply to an estimator given by name; configure an estimator object directly")
    if not (hasattr(estimator, "fit") and hasattr(estimator, "predict_proba")):
        raise SpecError(
            f"estimator {type(estimator).__name__} has no fit/predict_proba; pass a scikit-learn classifier, "
            "a weasul Classifier, or a name such as 'logistic-regression'"
        )
    return estimator


def fit_fresh(model: Any, X_train: Any, targets: np.ndarray) -> Any:
    """A fresh (unfitted) copy of `model`, fitted on (X_train, targets); `model` is left as it was."""
    if isinstance(model, Plugin):
        fresh: Any = model.clone()
    else:
        from sklearn.base import clone

        fresh = clone(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        fresh.fit(X_train, targets)
    return fresh


def predict_padded(fitted: Any, X: Any, n_classes: int) -> np.ndarray:
    """(len(X), n_classes) probabilities of a fitted model; classes it never saw get 0."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        raw = np.asarray(fitted.predict_proba(X), dtype=np.float64)
    out = np.zeros((raw.shape[0], n_classes), dtype=np.float64)
    if isinstance(fitted, Plugin):
        width = min(raw.shape[1], n_classes)
        out[:, :width] = raw[:, :width]
    else:
        out[:, np.asarray(fitted.classes_, dtype=np.int64)] = raw
    sums = out.sum(axis=1, keepdims=True)
    return out / np.where(sums > 0, sums, 1.0)


def fit_predict(model: Any, X_train: Any, y_train: np.ndarray, X_test: Any, n_classes: int) -> np.ndarray:
    """Fit a fresh copy of `model` on (X_train, y_train); (len(X_test), n_classes) probabilities.

    Columns of classes missing from `y_train` are 0 (the model never saw them).
    """
    return predict_padded(fit_fresh(model, X_train, y_train), X_test, n_classes)


def stratified_folds(labels: np.ndarray, n_folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) index pairs of shuffled stratified K-fold; plain shuffled K-fold when a class
    has a single item (it cannot be stratified).

    Raises:
        DataError: fewer items than folds.
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    n = labels.shape[0]
    if n < n_folds:
        raise DataError(f"{n} items cannot be split into {n_folds} folds; lower n_folds")
    counts = np.bincount(labels)
    if int(counts[counts > 0].min()) >= 2:
        splitter: Any = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    else:
        splitter = KFold(n_splits=n_folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)  # "least populated class has only ..."
        return list(splitter.split(np.zeros(n), labels))


def cross_val_pred_probs(
    X: Any,
    labels: Any,
    *,
    estimator: Any = "logistic-regression",
    options: dict[str, Any] | None = None,
    encoder: Any = None,
    n_folds: int = 5,
    n_classes: int | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Out-of-sample class probabilities (n_items, K) by stratified `n_folds`-fold cross-validation.

    X: features (n, d), dense or scipy sparse; or raw items (e.g. texts) when `encoder` is given.
    labels: given labels (n,) in 0..K-1.
    estimator: a name for the core `classifiers/sklearn` plugin ('logistic-regression',
        'random-forest', an import path, ...; `options` are its arguments), a weasul Classifier,
        or any scikit-learn classifier. A fresh copy is fitted per fold.
    encoder: optional weasul Encoder (instance, or a name in group `encoders`), fitted per fold
        on the training folds only, so the features of held-out items never leak into it.

    Raises:
        DataError: mismatched lengths, labels out of range, fewer items than folds.
    """
    n = n_rows(X)
    y = check_labels(labels, n_classes=n_classes, name="labels")
    if y.shape[0] != n:
        raise DataError(f"labels has {y.shape[0]} items but X has {n} rows; pass one label per item")
    k = int(n_classes or max(int(y.max()) + 1, 2))
    folds = stratified_folds(y, n_folds, seed)
    model = make_estimator(estimator, options, seed)
    if isinstance(encoder, str):
        from weasul.plugins import create

        encoder = create("encoders", encoder)
    out = np.zeros((n, k), dtype=np.float64)
    for train, test in track(folds, total=len(folds), desc="cross-validated probabilities"):
        X_train, X_test = take_rows(X, train), take_rows(X, test)
        if encoder is not None:
            enc = encoder.clone().fit(X_train, y[train])
            X_train, X_test = enc.encode(X_train), enc.encode(X_test)
        out[test] = fit_predict(model, X_train, y[train], X_test, k)
    _log.debug(
        "cross-validated probabilities: %d items, %d folds, accuracy %.3f",
        n,
        n_folds,
        (out.argmax(1) == y).mean(),
    )
    return out
