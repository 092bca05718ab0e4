"""`classifiers/cross-validated`: out-of-sample probabilities by K-fold cross-validation.

Confident learning needs probabilities from a model that never saw the item's label. This
classifier fits one scikit-learn end model per fold (`classifiers/sklearn` settings) and keeps,
for every training item, the probabilities of the fold model that held it out (`oof_probs_`).
Its step outputs those for the fit split and the fold models' mean on the other splits.

The step lives here, beside the classifier whose fitted state it reads, so that
`weasul_confident.steps` needs no plugin module of this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from pydantic import Field
from weasul.builtin.classifiers import SklearnClassifier
from weasul.errors import DataError
from weasul.interfaces import Classifier
from weasul.plugin import Plugin
from weasul.progress import track
from weasul.steps import InputSpec, Step, StepContext, StepOutput, classification_metrics, fit_split
from weasul.validation import check_labels, check_probs

from weasul_confident.oos import fit_fresh, n_rows, predict_padded, stratified_folds, take_rows
from weasul_confident.steps import covered, fit_split_name

if TYPE_CHECKING:
    from typing import Self

__all__ = ["CrossValidated", "CrossValidatedStep"]


class CrossValidatedStep(Step["CrossValidated"]):
    """Cross-validate on the fit split (rows where every source abstains left out); `probs` of
    the fit split are out-of-fold, every other row and split gets the fold models' mean.
    Metrics per split with gold `y` (on the fit split: out-of-fold scores)."""

    inputs: ClassVar[dict[str, InputSpec]] = {
        "X": InputSpec(
            ("features",), doc="features; cross-validated on the fit split, predicted on every split"
        ),
        "target": InputSpec(
            ("labels", "probs"), doc="the given labels (fit split), e.g. a label model's pred"
        ),
        "L": InputSpec(
            ("label_matrix",),
            required=False,
            doc="weak labels; rows of the fit split where every source abstains are left out of training",
        ),
        "y": InputSpec(("labels",), required=False, doc="gold labels, for metrics only"),
    }
    outputs: ClassVar[dict[str, str]] = {"probs": "probs", "pred": "labels"}

    def run(self, plugin: CrossValidated, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        where = f"step '{ctx.step_id}'"
        X = inputs["X"]
        fit = fit_split_name(X, ctx, "X")
        X_fit = X[fit]
        n = n_rows(X_fit)
        target = np.asarray(fit_split(inputs["target"], ctx, "target"))
        if target.shape[0] != n:
            raise DataError(f"{where}: target has {target.shape[0]} rows but X.{fit} has {n}")
        L = inputs.get("L") or {}
        keep = covered(L.get(fit), n, where)
        idx, rest = np.flatnonzero(keep), np.flatnonzero(~keep)
        plugin.fit(take_rows(X_fit, idx), target[idx], n_classes=ctx.n_classes)
        P = np.empty((n, plugin.n_classes_))
        P[idx] = plugin.oof_probs_
        if rest.size:
            P[rest] = plugin.predict_proba(take_rows(X_fit, rest))
        probs = {fit: P} | {s: plugin.predict_proba(v) for s, v in X.items() if s != fit}
        gold = inputs.get("y") or {}
        metrics: dict[str, Any] = {
            s: classification_metrics(check_labels(gold[s], name=f"{where}: y.{s}"), values)
            for s, values in probs.items()
            if gold.get(s) is not None
        }
        metrics[fit] = {"n_items": int(idx.size), "n_left_out": int(rest.size), **metrics.get(fit, {})}
        preds = {s: values.argmax(axis=1) for s, values in probs.items()}
        return StepOutput({"probs": probs, "pred": preds}, metrics)


class CrossValidated(Classifier):
    """Out-of-fold probabilities by stratified K-fold cross-validation of a scikit-learn end model;
    on new items, the mean of the fold models."""

    class Params(SklearnClassifier.Params):
        cv_folds: int = Field(
            5, ge=2, le=50, description="folds (K); each item is predicted by the model without its fold"
        )

    params: Params
    step = CrossValidatedStep

    def fit(self, X: Any, targets: np.ndarray, *, n_classes: int | None = None) -> Self:
        """Fit `cv_folds` fold models on features (n, d) and labels (n,) or probabilities (n, K)
        (folds stratified by their argmax); `oof_probs_` (n, K) holds each item's out-of-fold
        probabilities. `n_classes` fixes K when a class may be missing from `targets`.

        Raises:
            DataError: mismatched lengths, labels out of range, fewer items than folds.
        """
        targets = np.asarray(targets)
        n = n_rows(X)
        if targets.ndim not in (1, 2) or targets.shape[0] != n:
            raise DataError(f"targets has shape {targets.shape} but X has {n} rows; pass one target per item")
        if targets.ndim == 2:
            targets = check_probs(targets, name="targets")
            labels = targets.argmax(axis=1)
            k = n_classes or targets.shape[1]
        else:
            labels = check_labels(targets, n_classes=n_classes, name="targets")
            k = n_classes or max(int(labels.max()) + 1, 2)
        base = SklearnClassifier(**self.params.model_dump(exclude={"cv_folds"}))
        folds = stratified_folds(labels, self.params.cv_folds, self.params.seed)
        oof = np.zeros((n, k), dtype=np.float64)
        models = []
        for train, test in track(folds, total=len(folds), desc="cross-validated probabilities"):
            model = fit_fresh(base, take_rows(X, train), targets[train])
            oof[test] = predict_padded(model, take_rows(X, test), k)
            models.append(model)
        self.n_classes_ = k
        self.oof_probs_ = oof
        self.fold_models_: list[Plugin] = models
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """(n, K): the mean of the fold models' probabilities."""
        self.check_fitted()
        return np.asarray(np.mean([predict_padded(m, X, self.n_classes_) for m in self.fold_models_], axis=0))
