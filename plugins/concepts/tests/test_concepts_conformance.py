"""The conformance kit over every plugin this package ships (the loader needs the shared file
and the rule pack a mapping file; both are tested in their own modules)."""

from __future__ import annotations

from weasul.testing import parametrize_with_checks
from weasul_concepts import ConceptModel

# the second: no hidden layer (concepts straight from the features) and the decision loss alone
PLUGINS = [
    *ConceptModel.examples(),
    ConceptModel(n_concepts=5, hidden=[], epochs=40, batch_size=32, decision_weight=1.0),
]


@parametrize_with_checks(PLUGINS)
def test_conformance(plugin, check):
    check(plugin)
