"""Rank anomaly detectors by how well they tell in-domain from out-of-domain rows (paper Sec. 3.1).

Split the task data 90/10; sample out-of-domain rows of the same size as the in-domain test
part; fit each detector on the in-domain train part; treat its scores on the mixed test set as
a classifier of "out-of-domain" and rank by F1 (and AUC).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from weasul.errors import DataError
from weasul.interfaces import AnomalyScorer
from weasul.validation import check_features

__all__ = ["DetectorRanking", "rank_detectors", "roc_auc", "f1_score", "make_detector"]

_log = logging.getLogger(__name__)

RankBy = Literal["f1", "f1_prior", "auc"]


def roc_auc(y: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve of `scores` for binary `y` (1 = positive), ties counted half."""
    y = np.asarray(y, dtype=bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        raise DataError("AUC needs both classes")
    order = np.argsort(scores, kind="mergesort")
    s = np.asarray(scores)[order]
    ranks = np.empty(len(s), dtype=np.float64)
    # average ranks of ties
    boundaries = np.r_[0, np.flatnonzero(s[1:] != s[:-1]) + 1, len(s)]
    for a, b in zip(boundaries[:-1], boundaries[1:], strict=False):
        ranks[a:b] = (a + b + 1) / 2.0
    r = np.empty_like(ranks)
    r[order] = ranks
    return float((r[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def f1_score(y: np.ndarray, pred: np.ndarray) -> float:
    """F1 of the positive class (1)."""
    y = np.asarray(y, dtype=bool)
    pred = np.asarray(pred, dtype=bool)
    tp = float((y & pred).sum())
    denom = 2 * tp + float((~y & pred).sum()) + float((y & ~pred).sum())
    return 2 * tp / denom if denom else 0.0


def make_detector(name: str, options: Mapping[str, Any] | None = None) -> AnomalyScorer:
    """One of the paper's six detectors by entry-point name, else any installed anomaly scorer."""
    from weasul_tadpole.detectors import PAPER_DETECTORS

    options = dict(options or {})
    if name in PAPER_DETECTORS:
        return PAPER_DETECTORS[name](**options)
    import weasul

    plugin = weasul.create("anomaly_scorers", name, **options)
    assert isinstance(plugin, AnomalyScorer)
    return plugin


@dataclass(frozen=True)
class DetectorRanking:
    """Per-detector metrics (means over repeats), best first.

    rows: one dict per detector with `detector`, `paper_name`, `f1`, `f1_std`, `f1_prior`,
    `auc`, `auc_std`, `fit_s`, `score_s`; detectors that could not be fitted come last with
    only an `error`. `best`: the top detector's name.
    """

    rows: list[dict[str, Any]]
    best: str
    rank_by: str
    n_train: int
    n_test: int

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame(self.rows)


def rank_detectors(
    X_in: Any,
    X_out: Any,
    *,
    detectors: list[str] | Mapping[str, AnomalyScorer] | None = None,
    test_fraction: float = 0.1,
    repeats: int = 1,
    rank_by: RankBy = "f1",
    contamination: float = 0.1,
    seed: int = 0,
) -> DetectorRanking:
    """Rank detectors on in-domain rows `X_in` (n, d) against out-of-domain rows `X_out` (m, d).

    Each repeat draws a new 90/10 split of `X_in` and a new out-of-domain sample of the test
    part's size. `f1`: positive = out-of-domain, predicted when the score exceeds the detector's
    own threshold (the 1 - contamination quantile of its training scores); `f1_prior`: the
    threshold at the median test score (the known 50/50 mix); `auc`: threshold-free.

    Raises DataError when the split leaves no test rows or `X_out` is smaller than the test part.
    """
    from weasul_tadpole.detectors import PAPER_DETECTORS

    X_in = check_features(X_in, name="X_in")
    X_out = check_features(X_out, name="X_out")
    if X_in.shape[1] != X_out.shape[1]:
        raise DataError(f"X_in has {X_in.shape[1]} features but X_out has {X_out.shape[1]}")
    if not 0 < test_fraction < 1:
        raise DataError(f"test_fraction must be in (0, 1), got {test_fraction}")
    n_test = int(round(test_fraction * X_in.shape[0]))
    if n_test < 1 or n_test >= X_in.shape[0]:
        raise DataError(
            f"a {test_fraction:.0%} test split of {X_in.shape[0]} in-domain rows is empty; pass more rows"
        )
    if X_out.shape[0] < n_test:
        raise DataError(f"need {n_test} out-of-domain rows (the in-domain test size), got {X_out.shape[0]}")
    if detectors is None:
        detectors = list(PAPER_DETECTORS)
    plugins: dict[str, AnomalyScorer] = (
        dict(detectors)
        if isinstance(detectors, Mapping)
        else {name: make_detector(name) for name in detectors}
    )
    if not plugins:
        raise DataError("no detectors to rank")
    y = np.r_[np.zeros(n_test, dtype=bool), np.ones(n_test, dtype=bool)]
    results: dict[str, dict[str, list[float]]] = {name: {} for name in plugins}
    errors: dict[str, str] = {}
    for r in range(repeats):
        rng = np.random.default_rng([seed, r])
        perm = rng.permutation(X_in.shape[0])
        test_in, train_in = X_in[perm[:n_test]], X_in[perm[n_test:]]
        out = X_out[rng.choice(X_out.shape[0], n_test, replace=False)]
        X_test = np.vstack([test_in, out])
        for name, proto in plugins.items():
            if name in errors:
                continue
            det = proto.clone()
            t0 = time.perf_counter()
            try:
                det.fit(train_in)
            except DataError as err:  # e.g. too few rows for this detector: left out, reason kept
                errors[name] = str(err)
                _log.warning("detector %s left out of the ranking: %s", name, err)
                continue
            t1 = time.perf_counter()
            s = det.score(X_test)
            t2 = time.perf_counter()
            thr = getattr(det, "threshold_", None)
            if thr is None or not np.isfinite(thr):
                thr = float(np.quantile(det.score(train_in), 1 - contamination))
            rec = results[name]
            rec.setdefault("f1", []).append(f1_score(y, s > thr))
            rec.setdefault("f1_prior", []).append(f1_score(y, s > np.median(s)))
            rec.setdefault("auc", []).append(roc_auc(y, s))
            rec.setdefault("fit_s", []).append(t1 - t0)
            rec.setdefault("score_s", []).append(t2 - t1)
    if len(errors) == len(plugins):
        raise DataError("no detector could be fitted: " + "; ".join(f"{k}: {v}" for k, v in errors.items()))
    rows: list[dict[str, Any]] = []
    for name, rec in results.items():
        if name in errors:
            continue
        cls = type(plugins[name])
        rows.append(
            {
                "detector": name,
                "paper_name": getattr(cls, "paper_name", "") or name,
                "f1": float(np.mean(rec["f1"])),
                "f1_std": float(np.std(rec["f1"])),
                "f1_prior": float(np.mean(rec["f1_prior"])),
                "auc": float(np.mean(rec["auc"])),
                "auc_std": float(np.std(rec["auc"])),
                "fit_s": float(np.mean(rec["fit_s"])),
                "score_s": float(np.mean(rec["score_s"])),
            }
        )
    secondary = "auc" if rank_by != "auc" else "f1"
    rows.sort(key=lambda row: (-row[rank_by], -row[secondary]))
    _log.info(
        "detector ranking by %s: %s", rank_by, ", ".join(f"{r['detector']}={r[rank_by]:.3f}" for r in rows)
    )
    for name, message in errors.items():
        cls = type(plugins[name])
        rows.append(
            {"detector": name, "paper_name": getattr(cls, "paper_name", "") or name, "error": message}
        )
    return DetectorRanking(rows, rows[0]["detector"], rank_by, X_in.shape[0] - n_test, n_test)
