"""weasul-cigmo: CIGMO (a mixture of group VAEs for category, shape and view) and its ablations."""

from weasul_cigmo.encoders import CIGMO, CigmoGVAE, CigmoParams, MixtureVAE

__all__ = ["CIGMO", "CigmoGVAE", "CigmoParams", "MixtureVAE"]
