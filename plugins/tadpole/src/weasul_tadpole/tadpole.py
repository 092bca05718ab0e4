"""TADPOLE's domain filter as one plugin and one spec step.

`fit(X_task, general=X_general)` ranks the detectors on a held-out split (Sec. 3.1) and fits
the best one on the task data; `score` gives anomaly scores; `relevance(scores)` turns them
into the paper's continuous weights or its discrete segment selection (Sec. 3.2). As a step it
takes the task features and the general corpus features (and optionally its sentences), and
outputs scores, weights, selected indices, the ranking table, and writes the selected corpus.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field
from weasul.errors import DataError
from weasul.interfaces import AnomalyScorer
from weasul.params import WeasulParams
from weasul.validation import check_features

from weasul_tadpole.detectors import PAPER_DETECTORS
from weasul_tadpole.ranking import make_detector, rank_detectors
from weasul_tadpole.steps import TadpoleStep
from weasul_tadpole.weights import relevance_weights, select_segments

__all__ = ["TadpoleScorer"]

_log = logging.getLogger(__name__)


class TadpoleScorer(AnomalyScorer):
    """Pick the best of the paper's detectors for the task data, then score and weight a corpus.

    Fitted state: `detector_name_`, `scorer_` (the fitted detector), `ranking_` (list of row
    dicts, empty when no general data was given), `n_general_in_fit_` (general rows mixed into
    the detector's fit, Alg. 1), `n_features_in_`.
    """

    persistable: ClassVar[bool] = False

    class Params(WeasulParams):
        detectors: list[str] = Field(default_factory=lambda: list(PAPER_DETECTORS), min_length=1)
        detector_options: dict[str, dict[str, Any]] = Field(default_factory=dict)
        select: Literal["best", "fixed"] = Field(
            "best", description="rank detectors on held-out data, or use `detector`"
        )
        detector: str = Field(
            "isolation-forest", description="used with select=fixed or without general data"
        )
        rank_by: Literal["f1", "f1_prior", "auc"] = "f1"
        test_fraction: float = Field(0.1, gt=0, lt=1)
        repeats: int = Field(3, ge=1, description="random 90/10 splits averaged in the ranking")
        general_mix: float = Field(
            0.0,
            ge=0,
            le=1,
            description="general rows mixed into the fit, as a share of task rows (Alg. 1: 0.1)",
        )
        weighting: Literal["discrete", "continuous"] = "discrete"
        fraction: float = Field(0.2, gt=0, le=1, description="discrete: share of the corpus kept")
        segment_length: int = Field(15, ge=1, description="discrete: sentences per segment")
        C: float = Field(1.0, ge=0, description="continuous: sharpness of the sigmoid")
        alpha: float = Field(0.0, description="continuous: z-score where the weight is 0.5")
        seed: int = 0

    params: Params
    step = TadpoleStep

    def fit(self, X: Any, *, general: Any = None) -> TadpoleScorer:
        """Fit on task features `X` (n, d); `general` (m, d) general-corpus rows enable the ranking.

        Returns self. Raises DataError on malformed inputs or too few rows for a detector.
        """
        p = self.params
        X = check_features(X, name="X")
        ranking: list[dict[str, Any]] = []
        best = p.detector
        G = None
        if general is not None:
            G = check_features(general, name="general")
            if G.shape[1] != X.shape[1]:
                raise DataError(f"general has {G.shape[1]} features but X has {X.shape[1]}")
        if p.select == "best" and G is not None:
            plugins = {name: make_detector(name, p.detector_options.get(name)) for name in p.detectors}
            result = rank_detectors(
                X,
                G,
                detectors=plugins,
                test_fraction=p.test_fraction,
                repeats=p.repeats,
                rank_by=p.rank_by,
                seed=p.seed,
            )
            ranking, best = result.rows, result.best
        fit_rows = X
        if p.general_mix > 0:
            if G is None:
                raise DataError("general_mix > 0 needs general rows; pass general=...")
            k = min(len(G), int(round(p.general_mix * len(X))))
            rng = np.random.default_rng([p.seed, 1])
            fit_rows = np.vstack([X, G[rng.choice(len(G), k, replace=False)]])
        scorer = make_detector(best, p.detector_options.get(best))
        scorer.fit(fit_rows)
        self.scorer_ = scorer
        self.detector_name_ = best
        self.ranking_ = ranking
        self.n_general_in_fit_ = int(len(fit_rows) - len(X))
        self.n_features_in_ = int(X.shape[1])
        _log.info("tadpole: using detector %s", best)
        return self

    def score(self, X: Any) -> np.ndarray:
        """(n,) anomaly scores of the fitted detector, higher = less like the task data."""
        self.check_fitted()
        return self.scorer_.score(X)

    def relevance(self, scores: Any, *, groups: Any = None) -> np.ndarray:
        """(n,) relevance weights: 0/1 segment selection (discrete) or sigmoid weights (continuous)."""
        p = self.params
        if p.weighting == "continuous":
            return relevance_weights(scores, C=p.C, alpha=p.alpha)
        return select_segments(
            scores, fraction=p.fraction, segment_length=p.segment_length, groups=groups
        ).astype(np.float64)
