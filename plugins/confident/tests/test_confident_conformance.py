"""The weasul conformance kit over the confident-learning finder and the CSV review oracle."""

from __future__ import annotations

from weasul.testing import parametrize_with_checks
from weasul_confident import ConfidentLearning, ConfidentReporter, CsvReviewOracle

PLUGINS = [*ConfidentLearning.examples(), *CsvReviewOracle.examples(), ConfidentReporter()]


@parametrize_with_checks(PLUGINS)
def test_conformance(plugin, check):
    check(plugin)
