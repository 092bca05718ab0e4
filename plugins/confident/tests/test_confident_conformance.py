"""The weasul conformance kit over every plugin of the package: the finder, the cross-validated
and refit classifiers, the ranked query strategy, the CSV review oracle and the reporter."""

from __future__ import annotations

from weasul.testing import parametrize_with_checks
from weasul_confident import (
    ConfidentLearning,
    ConfidentReporter,
    CrossValidated,
    CsvReviewOracle,
    RankedQuery,
    Refit,
)

PLUGINS = [
    *ConfidentLearning.examples(),
    CrossValidated(cv_folds=3),
    *RankedQuery.examples(),
    Refit(),
    *CsvReviewOracle.examples(),
    ConfidentReporter(),
]


@parametrize_with_checks(PLUGINS)
def test_conformance(plugin, check):
    check(plugin)
