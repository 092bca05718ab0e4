"""The conformance kit over every plugin this package ships."""

from __future__ import annotations

from weasul.testing import parametrize_with_checks
from weasul_tabtransformer import (
    TabMLPClassifier,
    TabTransformerClassifier,
    TabTransformerEncoder,
    TabularSplit,
)

PLUGINS = [
    *TabTransformerClassifier.examples(),
    *TabMLPClassifier.examples(),
    *TabTransformerEncoder.examples(),
    TabularSplit(path="income_evaluation.csv", label_column="income"),
]


@parametrize_with_checks(PLUGINS)
def test_conformance(plugin, check):
    check(plugin)
