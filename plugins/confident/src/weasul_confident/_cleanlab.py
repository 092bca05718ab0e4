"""The cleanlab calls behind `ConfidentLearning.find` (imported on first use).

Inputs arrive validated (`check_find_inputs`), so this module calls cleanlab's lower-level public
functions directly instead of `find_label_issues(..., return_indices_ranked_by=...)`, which
re-validates the same arrays three times (about a third of its run time at 1M x 10). The
confident joint is computed once and handed to the filter.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from cleanlab import rank
from cleanlab.count import calibrate_confident_joint, compute_confident_joint, estimate_latent
from cleanlab.filter import find_label_issues
from weasul.data import LabelIssues
from weasul.errors import DataError
from weasul.progress import track
from weasul.validation import check_probs

if TYPE_CHECKING:
    from weasul_confident.finder import ConfidentLearning

__all__ = ["find_in_memory", "find_batched", "paper_issue_count", "quality_scores"]

_log = logging.getLogger(__name__)

_SCORERS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "self_confidence": rank.get_self_confidence_for_each_label,
    "normalized_margin": rank.get_normalized_margin_for_each_label,
    "confidence_weighted_entropy": rank.get_confidence_weighted_entropy_for_each_label,
}


@contextlib.contextmanager
def _cleanlab_errors(what: str) -> Iterator[None]:
    """cleanlab signals bad input with assert/ValueError; say it as a DataError."""
    with warnings.catch_warnings():
        # cleanlab warns about parameter combinations we already document (frac_noise etc.)
        warnings.simplefilter("ignore", UserWarning)
        try:
            yield
        except (AssertionError, ValueError, IndexError) as err:
            raise DataError(f"cleanlab could not {what}: {err or type(err).__name__}") from err


def paper_issue_count(confident_joint: np.ndarray, n_items: int) -> int:
    """`int(n * (1 - trace(C) / sum(C)))` for the uncalibrated confident joint C.

    The estimate of the paper's Section 3 (fraction of label errors = 1 - sum of the joint's
    diagonal) as cleanlab 1.0's `num_label_errors` computed it for Table 1: the joint is C
    normalised by its total, and the count is truncated.
    """
    total = float(confident_joint.sum())
    if total <= 0:
        return 0
    return int((1.0 - float(np.trace(confident_joint)) / total) * n_items)


def quality_scores(
    labels: np.ndarray, pred_probs: np.ndarray, method: str, adjust: bool = False
) -> np.ndarray:
    """Per-item label-quality score from cleanlab (lower = more likely mislabelled)."""
    if adjust:
        with _cleanlab_errors("score label quality"):
            return cast(
                np.ndarray,
                rank.get_label_quality_scores(labels, pred_probs, method=method, adjust_pred_probs=True),
            )
    return _SCORERS[method](labels, pred_probs)


def _noise_rates(calibrated_joint: np.ndarray) -> np.ndarray:
    """P(true != i | given = i) from the calibrated confident joint (rows: given label)."""
    rows = calibrated_joint.sum(axis=1).astype(np.float64)
    diag = np.diag(calibrated_joint).astype(np.float64)
    return np.where(rows > 0, 1.0 - diag / np.maximum(rows, 1e-12), 0.0)


def _latent(calibrated_joint: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """cleanlab's latent estimates: prior of true labels and noise matrix P(given=i | true=j)."""
    with _cleanlab_errors("estimate the noise matrix"):
        py, noise_matrix, _ = estimate_latent(calibrated_joint, labels)
    return np.asarray(py, dtype=np.float64), np.asarray(noise_matrix, dtype=np.float64)


def _lowest(scores: np.ndarray, count: int) -> np.ndarray:
    """Indices of the `count` lowest scores, lowest first, ties to the lower index (stable)."""
    count = int(min(max(count, 0), scores.shape[0]))
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    if count < scores.shape[0] // 4:
        part = np.argpartition(scores, count - 1)[:count]
        # stable among equal scores: order candidates by (score, index)
        part = np.sort(part)
        bound = scores[part].max()
        ties = np.flatnonzero(scores == bound)
        cand = np.union1d(part, ties)
        order = cand[np.argsort(scores[cand], kind="stable")]
        return order[:count].astype(np.int64)
    return np.argsort(scores, kind="stable")[:count].astype(np.int64)


def find_in_memory(labels: np.ndarray, P: np.ndarray, finder: ConfidentLearning) -> LabelIssues:
    """Confident learning on arrays held in memory."""
    p = finder.params
    filter_by, rank_by = finder.filter_by, finder.rank_by
    n = labels.shape[0]
    with _cleanlab_errors("compute the confident joint"):
        if filter_by == "count_then_rank":
            raw_joint = compute_confident_joint(labels, P, calibrate=False)
            joint = calibrate_confident_joint(raw_joint, labels)
        else:
            raw_joint = None
            joint = compute_confident_joint(labels, P, calibrate=True)
    scores = quality_scores(labels, P, rank_by, p.adjust_pred_probs)
    extra: dict[str, Any] = {"recipe": p.recipe, "filter_by": filter_by, "rank_by": rank_by}
    if filter_by == "count_then_rank":
        assert raw_joint is not None
        count = paper_issue_count(raw_joint, n)
        ranked = _lowest(scores, count)
        extra["n_estimated"] = count
        used_joint = raw_joint
    else:
        with _cleanlab_errors("find label issues"):
            mask = find_label_issues(
                labels,
                P,
                filter_by=filter_by,
                frac_noise=p.frac_noise,
                min_examples_per_class=p.min_examples_per_class,
                # cleanlab recomputes the joint for this filter and warns when given one
                confident_joint=None if filter_by == "confident_learning" else joint,
                n_jobs=p.n_jobs,
            )
        flagged = np.flatnonzero(mask)
        ranked = flagged[np.argsort(scores[flagged], kind="stable")].astype(np.int64)
        extra["n_estimated"] = int(flagged.size)
        used_joint = joint
    py, noise_matrix = _latent(joint, labels)
    extra["calibrated_joint"] = np.asarray(joint, dtype=np.float64)
    extra["prior_true"] = py
    _log.debug("confident learning (%s, %s): %d of %d flagged", filter_by, rank_by, ranked.size, n)
    return LabelIssues(
        ranked=ranked,
        scores=np.asarray(scores),
        suggested=P.argmax(axis=1).astype(np.int64),
        noise_matrix=noise_matrix,
        noise_rates=_noise_rates(joint),
        confident_joint=np.asarray(used_joint),
        extra=extra,
    )


def _batches(n: int, size: int) -> list[slice]:
    return [slice(start, min(start + size, n)) for start in range(0, n, size)]


def find_batched(labels: np.ndarray, P: np.ndarray, finder: ConfidentLearning) -> LabelIssues:
    """Two passes over row batches with cleanlab's `LabelInspector` (thresholds, then scores and
    the issue count); the confident joint is summed over batches with the global thresholds.

    `P` may be a read-only `np.memmap`; only one batch is in memory at a time. Differences to the
    in-memory path: cleanlab clips each batch's joint diagonal to at least 1 (so a class with no
    confident in-class item in a batch adds 1 there), and the `cleanlab-default` count is
    cleanlab's batched estimate (`find_label_issues_batched`), not `prune_by_noise_rate`.
    """
    from cleanlab.experimental.label_issues_batched import LabelInspector

    p = finder.params
    rank_by = finder.rank_by
    paper = finder.filter_by == "count_then_rank"
    n, k = P.shape
    parts = _batches(n, p.batch_size)
    inspector = LabelInspector(
        num_class=k,
        store_results=False,
        verbose=False,
        quality_score_kwargs={"method": rank_by, "adjust_pred_probs": p.adjust_pred_probs},
        n_jobs=1,
    )
    for part in track(parts, total=len(parts), desc="confident learning: thresholds"):
        batch = check_probs(P[part], name=f"pred_probs rows {part.start}..{part.stop - 1}")
        with _cleanlab_errors("estimate thresholds"):
            inspector.update_confident_thresholds(labels[part], batch)
    thresholds = inspector.get_confident_thresholds(silent=True)
    scores = np.empty(n, dtype=np.float64)
    suggested = np.empty(n, dtype=np.int64)
    raw_joint = np.zeros((k, k), dtype=np.int64)
    for part in track(parts, total=len(parts), desc="confident learning: scores"):
        batch = np.asarray(P[part])
        with _cleanlab_errors("score label quality"):
            scores[part] = inspector.score_label_quality(labels[part], batch)
            raw_joint += compute_confident_joint(labels[part], batch, thresholds=thresholds, calibrate=False)
        suggested[part] = batch.argmax(axis=1)
    count = paper_issue_count(raw_joint, n) if paper else int(inspector.get_num_issues(silent=True))
    joint = calibrate_confident_joint(raw_joint, labels)
    py, noise_matrix = _latent(joint, labels)
    extra = {
        "recipe": p.recipe,
        "filter_by": "count_then_rank" if paper else "cleanlab-batched",
        "rank_by": rank_by,
        "n_estimated": count,
        "calibrated_joint": np.asarray(joint, dtype=np.float64),
        "prior_true": py,
        "low_memory": True,
    }
    return LabelIssues(
        ranked=_lowest(scores, count),
        scores=scores,
        suggested=suggested,
        noise_matrix=noise_matrix,
        noise_rates=_noise_rates(joint),
        confident_joint=raw_joint if paper else joint,
        extra=extra,
    )
