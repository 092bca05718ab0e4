"""The conformance kit over every plugin this package ships."""

from __future__ import annotations

from weasul.testing import parametrize_with_checks
from weasul_slicing import (
    BackboneHead,
    LatentSlices,
    MixtureOfExperts,
    SliceAttention,
    SliceFunctions,
    SliceMetricsReporter,
    SyntheticSlices,
    UpsampleHead,
)

PLUGINS = [
    *SliceAttention.examples(),
    *BackboneHead.examples(),
    *UpsampleHead.examples(),
    *MixtureOfExperts.examples(),
    MixtureOfExperts(epochs=2, hidden=8, n_classes=3, n_experts=2),
    SliceFunctions(module="weasul_slicing.trec_slices"),
    SliceMetricsReporter(),
    *SyntheticSlices.examples(),
    *LatentSlices.examples(),
]


@parametrize_with_checks(PLUGINS)
def test_conformance(plugin, check):
    check(plugin)
