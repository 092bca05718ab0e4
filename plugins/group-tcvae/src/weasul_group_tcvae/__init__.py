"""weasul-group-tcvae: weakly supervised group disentanglement with total correlation."""

from weasul_group_tcvae.encoders import GVAE, MLVAE, BetaTCVAE, GroupTCVAE, GroupVAEParams

__all__ = ["BetaTCVAE", "GVAE", "GroupTCVAE", "GroupVAEParams", "MLVAE"]
