"""The `confident-learning` ErrorFinder: cleanlab's confident learning plus the paper's recipe.

Light module (numpy, pydantic, weasul): cleanlab and scikit-learn are imported on first use.

Recipes (parameter `recipe`):

- `cleanlab-default`: what `cleanlab.filter.find_label_issues(labels, pred_probs)` does today
  (calibrated confident joint, `filter_by="prune_by_noise_rate"`), flagged items ranked by
  self-confidence (cleanlab's default label-quality score).
- `paper`: the procedure behind Table 1's "CL guessed" counts of Northcutt, Athalye & Mueller,
  "Pervasive Label Errors in Test Sets Destabilize Machine Learning Benchmarks" (ICLR 2021 RobustML
  workshop): the confident joint C (Eq. 1, no calibration), the number of issues
  `int(n * (1 - trace(C) / sum(C)))` (cleanlab 1.0's `num_label_errors`), then that many items with
  the lowest normalised margin `p[given] - max_{j != given} p[j]`. This is `filter_by="count_then_rank"`
  with `rank_by="normalized_margin"`.

`filter_by` / `rank_by` override the recipe's choices; every cleanlab filter is available.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator
from weasul.data import LabelIssues
from weasul.errors import DataError
from weasul.interfaces import ErrorFinder
from weasul.lazy import require
from weasul.params import WeasulParams
from weasul.plugin import Plugin
from weasul.validation import check_labels, check_probs

from weasul_confident.steps import FindStep

__all__ = ["ConfidentLearning", "RECIPES", "check_find_inputs", "find_issues"]

_log = logging.getLogger(__name__)

Recipe = Literal["cleanlab-default", "paper"]
FilterBy = Literal[
    "prune_by_noise_rate",
    "prune_by_class",
    "both",
    "confident_learning",
    "predicted_neq_given",
    "low_normalized_margin",
    "low_self_confidence",
    "count_then_rank",
]
RankBy = Literal["self_confidence", "normalized_margin", "confidence_weighted_entropy"]

#: What each recipe means in terms of `filter_by` and `rank_by`.
RECIPES: dict[str, dict[str, str]] = {
    "cleanlab-default": {"filter_by": "prune_by_noise_rate", "rank_by": "self_confidence"},
    "paper": {"filter_by": "count_then_rank", "rank_by": "normalized_margin"},
}


def check_find_inputs(
    labels: Any, pred_probs: Any, *, allow_missing_classes: bool = False, check_values: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Given labels (n,) in 0..K-1 and probabilities (n, K); returns clean arrays.

    float32 probabilities stay float32 (no copy). With `check_values=False` only shapes are
    checked (the low-memory path checks values batch by batch, so a memmap is never read whole).

    Raises:
        DataError: NaN or inf, rows not summing to 1, labels outside 0..K-1, different lengths,
            a class with no given label (unless `allow_missing_classes`).
    """
    if pred_probs is None:
        raise DataError("pred_probs is missing; pass out-of-sample probabilities (n_items, K)")
    if check_values:
        P = check_probs(pred_probs, name="pred_probs")
    else:
        P = pred_probs if isinstance(pred_probs, np.ndarray) else np.asarray(pred_probs)
        if P.ndim != 2:
            raise DataError(f"pred_probs must be 2-D (n_items, n_classes), got shape {P.shape}")
        if P.shape[0] == 0 or P.shape[1] < 2:
            raise DataError(f"pred_probs has shape {P.shape}; it needs items and at least two classes")
        if not np.issubdtype(P.dtype, np.floating):
            raise DataError(f"pred_probs has dtype {P.dtype}; pass float probabilities")
    n, k = P.shape
    raw = np.asarray(labels) if labels is not None else None
    if raw is not None and raw.ndim == 1 and raw.shape[0] != n:
        raise DataError(
            f"labels has {raw.shape[0]} items but pred_probs has {n} rows; pass one label and one "
            "probability row per item, in the same order"
        )
    y = check_labels(labels, n_classes=k, n_items=n, name="labels")
    counts = np.bincount(y, minlength=k)
    empty = np.flatnonzero(counts == 0)
    if empty.size and not allow_missing_classes:
        raise DataError(
            f"class(es) {empty.tolist()} have no item with that given label; confident learning needs "
            "at least one item per class to set its threshold. Drop those columns from pred_probs and "
            "renormalise the rows, or set allow_missing_classes=True"
        )
    return y, P


class ConfidentLearning(ErrorFinder):
    """Confident learning (Northcutt et al.) through cleanlab, with the label-error paper's recipe.

    `find(labels, pred_probs)` returns `LabelIssues`: flagged indices ranked most-likely-wrong
    first, a label-quality score per item (lower = more likely wrong), the suggested label
    (argmax of `pred_probs`), the noise matrix P(given=i | true=j), per-class noise rates
    P(true != i | given = i), and the confident joint used for filtering. `extra` holds the recipe,
    the filter, the ranking score, the estimated number of issues and the calibrated joint.

    As a spec step (`weasul_confident.steps.FindStep`) it finds issues in every split with
    labels and out-of-sample `probs` (e.g. from `classifiers/cross-validated`), leaving out the
    rows where every source of `L` abstains.
    """

    class Params(WeasulParams):
        recipe: Recipe = Field(
            "cleanlab-default", description="cleanlab-default or paper (Table 1 procedure)"
        )
        filter_by: FilterBy | None = Field(
            None, description="cleanlab filter, or count_then_rank; default: the recipe's"
        )
        rank_by: RankBy | None = Field(
            None, description="label-quality score for ranking; default: the recipe's"
        )
        adjust_pred_probs: bool = Field(
            False, description="subtract class thresholds before scoring (cleanlab option)"
        )
        frac_noise: float = Field(
            1.0, gt=0, le=1, description="share of the estimated issues to return (prune_by_* filters)"
        )
        min_examples_per_class: int = Field(1, ge=0, description="never flag a class below this many items")
        n_jobs: int = Field(
            1, ge=1, description="cleanlab worker processes; 1 avoids forking inside threaded hosts"
        )
        low_memory: bool = Field(
            False, description="batched estimation (cleanlab LabelInspector); works on memmaps"
        )
        batch_size: int = Field(100_000, ge=100, description="rows per batch when low_memory")
        allow_missing_classes: bool = Field(False, description="accept classes that no item is labelled with")

        @model_validator(mode="after")
        def _low_memory_filters(self) -> ConfidentLearning.Params:
            if self.low_memory and self.filter_by not in (None, "count_then_rank"):
                raise ValueError(
                    f"low_memory supports filter_by count_then_rank only (got {self.filter_by}); "
                    "unset filter_by or set low_memory=false"
                )
            return self

    params: Params
    step = FindStep

    @classmethod
    def examples(cls) -> list[Plugin]:
        return [
            cls(),
            cls(recipe="paper", low_memory=True, batch_size=100),
            cls(filter_by="both", rank_by="normalized_margin"),
        ]

    # --- the ErrorFinder contract ------------------------------------------------------------
    @property
    def filter_by(self) -> str:
        """The filter in use: the explicit `filter_by`, else the recipe's."""
        return self.params.filter_by or RECIPES[self.params.recipe]["filter_by"]

    @property
    def rank_by(self) -> str:
        """The ranking score in use: the explicit `rank_by`, else the recipe's."""
        return self.params.rank_by or RECIPES[self.params.recipe]["rank_by"]

    def find(self, labels: np.ndarray, pred_probs: np.ndarray) -> LabelIssues:
        """Rank likely label errors from given labels (n,) and out-of-sample `pred_probs` (n, K).

        float32 `pred_probs` are used as they are (no float64 copy). With `low_memory` the
        probabilities may be a `np.memmap`; they are read batch by batch.

        Raises:
            DataError: malformed inputs (see `check_find_inputs`).
        """
        p = self.params
        y, P = check_find_inputs(
            labels,
            pred_probs,
            allow_missing_classes=p.allow_missing_classes,
            check_values=not p.low_memory,
        )
        engine = require("weasul_confident._cleanlab")
        if p.low_memory:
            return engine.find_batched(y, P, self)  # type: ignore[no-any-return]
        return engine.find_in_memory(y, P, self)  # type: ignore[no-any-return]


def find_issues(
    X: Any,
    labels: Any,
    *,
    finder: ErrorFinder | None = None,
    estimator: Any = "logistic-regression",
    options: dict[str, Any] | None = None,
    encoder: Any = None,
    n_folds: int = 5,
    n_classes: int | None = None,
    seed: int = 0,
) -> LabelIssues:
    """Cross-validated probabilities from (X, labels) (`oos.cross_val_pred_probs`), then
    `finder.find` (default: `ConfidentLearning` with cleanlab's defaults). `extra["pred_probs"]`
    holds the probabilities used."""
    from weasul_confident.oos import cross_val_pred_probs

    P = cross_val_pred_probs(
        X,
        labels,
        estimator=estimator,
        options=options,
        encoder=encoder,
        n_folds=n_folds,
        n_classes=n_classes,
        seed=seed,
    )
    issues = (finder or ConfidentLearning()).find(np.asarray(labels), P)
    return dataclasses.replace(issues, extra={**issues.extra, "pred_probs": P})
