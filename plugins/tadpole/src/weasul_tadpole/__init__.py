"""TADPOLE (ICLR 2021): task-adapted pretraining data selection by anomaly detection.

Light at import: torch, transformers and PyOD load on first use.
"""

from __future__ import annotations

from weasul_tadpole.baselines import DistanceScorer, MooreLewisScorer
from weasul_tadpole.corpora import CORPORA, Corpus, load_corpus, load_text_domains
from weasul_tadpole.detectors import (
    PAPER_DETECTORS,
    IsolationForestScorer,
    KNNScorer,
    LOFScorer,
    OneClassSVMScorer,
    PCAScorer,
    RobustCovarianceScorer,
)
from weasul_tadpole.encoder import SentenceMiniLM
from weasul_tadpole.ranking import DetectorRanking, rank_detectors
from weasul_tadpole.streaming import iter_scores, score_corpus, score_rows
from weasul_tadpole.tadpole import TadpoleScorer
from weasul_tadpole.weights import (
    relevance_weights,
    segment_ids,
    select_lowest,
    select_segments,
    write_corpus,
)

__version__ = "0.1.0"

__all__ = [
    "CORPORA",
    "Corpus",
    "DetectorRanking",
    "DistanceScorer",
    "IsolationForestScorer",
    "KNNScorer",
    "LOFScorer",
    "MooreLewisScorer",
    "OneClassSVMScorer",
    "PAPER_DETECTORS",
    "PCAScorer",
    "RobustCovarianceScorer",
    "SentenceMiniLM",
    "TadpoleScorer",
    "iter_scores",
    "load_corpus",
    "load_text_domains",
    "rank_detectors",
    "relevance_weights",
    "score_corpus",
    "score_rows",
    "segment_ids",
    "select_lowest",
    "select_segments",
    "write_corpus",
]
