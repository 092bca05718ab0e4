"""The conformance kit over the plugin this package ships (rows as waveforms, no graph)."""

from __future__ import annotations

from weasul.testing import parametrize_with_checks
from weasul_information_graph import InformationGraphEncoder

PLUGINS = [
    *InformationGraphEncoder.examples(),
    InformationGraphEncoder(
        objective="information-graph", annotations="links", epochs=1, width=4, n_fft=8, hop=2
    ),
]


@parametrize_with_checks(PLUGINS)
def test_conformance(plugin, check):
    check(plugin)
