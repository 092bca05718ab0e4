"""weasul-confident: confident learning (cleanlab) as a weasul ErrorFinder.

Implements "Pervasive Label Errors in Test Sets Destabilize Machine Learning Benchmarks"
(Northcutt, Athalye & Mueller, 2021): the `paper` recipe reproduces Table 1's flagged sets,
`cross_val_pred_probs` makes out-of-sample probabilities from any classifier and encoder,
`analysis` holds the paper's noise-prevalence and ranking analyses, and `review` sends flagged
weak labels to people (Oracles).

Entry points: `weasul.error_finders/confident-learning`, `weasul.classifiers/cross-validated`,
`weasul.query_strategies/ranked`, `weasul.classifiers/refit` (the four steps of a review spec,
see `weasul_confident.steps`), `weasul.reporters/confident-learning`, `weasul.oracles/csv-review`.
Importing this package is light (no cleanlab, sklearn, matplotlib).
"""

from __future__ import annotations

from weasul_confident.analysis import (
    accuracy_sets,
    noise_prevalence,
    prevalence_curve,
    rank_changes,
    ranking_flips,
    validate_votes,
)
from weasul_confident.cross_validated import CrossValidated
from weasul_confident.csv_review import CsvReviewOracle
from weasul_confident.finder import RECIPES, ConfidentLearning, check_find_inputs, find_issues
from weasul_confident.oos import cross_val_pred_probs
from weasul_confident.ranked import RankedQuery
from weasul_confident.refit import Refit
from weasul_confident.reporter import ConfidentReporter
from weasul_confident.review import Review, make_reviewer, review_issues

__all__ = [
    "RECIPES",
    "ConfidentLearning",
    "ConfidentReporter",
    "CrossValidated",
    "CsvReviewOracle",
    "RankedQuery",
    "Refit",
    "Review",
    "accuracy_sets",
    "check_find_inputs",
    "cross_val_pred_probs",
    "find_issues",
    "make_reviewer",
    "noise_prevalence",
    "prevalence_curve",
    "rank_changes",
    "ranking_flips",
    "review_issues",
    "validate_votes",
]
__version__ = "0.1.0"
