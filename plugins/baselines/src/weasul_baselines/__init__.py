"""weasul baseline label models.

Entry points (group `weasul.label_models`): `majority-vote`, `weighted-vote`, `dawid-skene`,
`matrix-completion`, `triplet`. Importing this package is light (numpy, pydantic, weasul).
"""

from __future__ import annotations

from weasul_baselines.majority_vote import MajorityVote, WeightedVote

__all__ = ["MajorityVote", "WeightedVote"]
__version__ = "0.1.0"
