"""weasul baseline label models.

Entry points (group `weasul.label_models`): `majority-vote`, `weighted-vote`, `dawid-skene`,
`matrix-completion`, `triplet`. Importing this package is light (numpy, pydantic, weasul).
"""

from __future__ import annotations

from weasul_baselines.dawid_skene import DawidSkene
from weasul_baselines.majority_vote import MajorityVote, WeightedVote
from weasul_baselines.matrix_completion import MatrixCompletion, MCProblem
from weasul_baselines.triplet import Triplet

__all__ = ["DawidSkene", "MajorityVote", "MatrixCompletion", "MCProblem", "Triplet", "WeightedVote"]
__version__ = "0.1.0"
