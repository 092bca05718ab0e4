"""The conformance kit over every plugin this package ships."""

from __future__ import annotations

from weasul.testing import parametrize_with_checks
from weasul_group_tcvae import GVAE, MLVAE, BetaTCVAE, GroupTCVAE

PLUGINS = [
    *GroupTCVAE.examples(),
    GroupTCVAE(content_dim=1, style_dim=2, epochs=1, factorization="total"),
    *MLVAE.examples(),
    *GVAE.examples(),
    *BetaTCVAE.examples(),
]


@parametrize_with_checks(PLUGINS)
def test_conformance(plugin, check):
    check(plugin)
