"""The conformance kit over every plugin this package ships."""

from __future__ import annotations

from weasul.testing import parametrize_with_checks
from weasul_cigmo import CIGMO, CigmoGVAE, MixtureVAE

PLUGINS = [
    *CIGMO.examples(),
    CIGMO(categories=2, shape_dim=2, epochs=1, mi_weight=1.0),
    *CigmoGVAE.examples(),
    *MixtureVAE.examples(),
]


@parametrize_with_checks(PLUGINS)
def test_conformance(plugin, check):
    check(plugin)
