"""The weasul conformance kit over both factor-graph plugins."""

from weasul.testing import parametrize_with_checks
from weasul_factor_graph import FactorGraph, FactorGraphStructure


@parametrize_with_checks([*FactorGraph.examples(), *FactorGraphStructure.examples()])
def test_conformance(plugin, check):
    check(plugin)
