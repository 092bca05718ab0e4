"""Snorkel's `LabelModel` (snorkel 0.10) behind weasul's LabelModel interface.

`fit` trains Snorkel's model (torch, imported on first use); the learned conditional
probabilities `mu_` (m*K, K) and the class prior are kept as numpy, so `predict_proba`,
`save` and `load` need neither snorkel nor torch, and give the same probabilities as
Snorkel's own `predict_proba`.

Note: Snorkel's `fit` seeds Python's, numpy's and torch's global random generators with
`seed` (Snorkel's behaviour, not weasul's).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field
from weasul.data import ExpertLabels
from weasul.errors import DataError
from weasul.interfaces import LabelModel, LabelModelParams
from weasul.lazy import require
from weasul.validation import check_label_matrix, check_labels, infer_n_classes

if TYPE_CHECKING:
    from typing import Self

__all__ = ["SnorkelLabelModel"]

_log = logging.getLogger(__name__)


class SnorkelLabelModel(LabelModel):
    """Snorkel 0.10's matrix-completion LabelModel, trained with Snorkel's own optimiser.

    Rows where every source abstains get the class prior (Snorkel's behaviour too).
    Tie-break (`tie_break`): `"lowest"` class among tied probabilities (weasul's argmax), or
    `"random"`: Snorkel's `predict(tie_break_policy="random")` rule (a hash of the row's
    *position*), applied by giving the chosen class a 1e-6 edge in `predict_proba`.
    `y_dev`, when given, sets the class prior as in Snorkel (`Y_dev`) unless `class_prior` is.
    """

    class Params(LabelModelParams):
        seed: int = 123
        n_epochs: int = Field(500, ge=1, description="Snorkel training epochs")
        lr: float = Field(0.01, gt=0)
        l2: float = Field(0.0, ge=0)
        optimizer: Literal["sgd", "adam", "adamax"] = "sgd"
        prec_init: float = Field(0.7, gt=0, lt=1, description="initial LF precision")
        tie_break: Literal["lowest", "random"] = "lowest"

    params: Params

    @classmethod
    def examples(cls) -> list[SnorkelLabelModel]:
        return [cls(n_classes=2, n_epochs=50), cls(n_classes=3, n_epochs=50, tie_break="random")]

    def fit(
        self, L: np.ndarray, *, y_dev: np.ndarray | None = None, expert: ExpertLabels | None = None
    ) -> Self:
        """Train Snorkel's LabelModel on `L` (n, m). Raises DataError on a malformed `L`
        (Snorkel needs at least 3 sources), MissingDependencyError without snorkel."""
        L = check_label_matrix(L, n_classes=self.params.n_classes)
        if L.shape[0] < 2:
            raise DataError(f"L has a single row (shape {L.shape}); a label model needs at least two items")
        if L.shape[1] < 3:
            raise DataError(f"Snorkel's LabelModel needs at least 3 sources; L has {L.shape[1]}")
        k = infer_n_classes(L, self.params.n_classes)
        prior = None
        if self.params.class_prior is not None:
            prior = np.asarray(self.params.class_prior, dtype=np.float64)
            if prior.shape != (k,) or prior.min() <= 0 or abs(prior.sum() - 1) > 1e-6:
                raise DataError(f"class_prior must be {k} positive numbers summing to 1")
        Y_dev = None
        if y_dev is not None and prior is None:
            Y_dev = check_labels(y_dev, n_classes=k, name="y_dev")
            if np.unique(Y_dev).size != k:
                raise DataError(f"y_dev must contain every one of the {k} classes to set the class prior")
        model_mod = require("snorkel.labeling.model", extra="snorkel", distribution="weasul-contrib-snorkel")
        model = model_mod.LabelModel(cardinality=k, verbose=False, device="cpu")
        model.fit(
            L,
            Y_dev=Y_dev,
            class_balance=None if prior is None else prior.tolist(),
            n_epochs=self.params.n_epochs,
            lr=self.params.lr,
            l2=self.params.l2,
            optimizer=self.params.optimizer,
            prec_init=self.params.prec_init,
            seed=self.params.seed,
            progress_bar=False,
        )
        self.n_classes_ = k
        self.n_sources_ = int(L.shape[1])
        self.mu_ = model.mu.detach().cpu().numpy().astype(np.float64)
        self.class_prior_ = np.asarray(model.p, dtype=np.float64)
        return self

    def predict_proba(self, L: np.ndarray) -> np.ndarray:
        """(n, K) P(y | lambda) as Snorkel computes it; the class prior on rows with no vote."""
        self.check_fitted()
        k, m = self.n_classes_, self.n_sources_
        arr = check_label_matrix(L, n_classes=k, n_sources=m, allow_silent_sources=True, allow_no_votes=True)
        from scipy import sparse

        rows, cols = np.nonzero(arr != -1)
        A = sparse.csr_matrix(
            (np.ones(rows.size), (rows, cols * k + arr[rows, cols])), shape=(arr.shape[0], m * k)
        )
        logits = np.asarray(A @ np.log(self.mu_)) + np.log(self.class_prior_)[None, :]
        logits -= logits.max(axis=1, keepdims=True)
        P: np.ndarray = np.exp(logits)
        P /= P.sum(axis=1, keepdims=True)
        if self.params.tie_break == "random":
            core = require("snorkel.utils.core", extra="snorkel", distribution="weasul-contrib-snorkel")
            pick = core.probs_to_preds(P, tie_break_policy="random")
            tied = (np.abs(P - P.max(axis=1, keepdims=True)) < 1e-5).sum(axis=1) > 1
            P[np.flatnonzero(tied), pick[tied]] += 1e-6
            P /= P.sum(axis=1, keepdims=True)
        return P
