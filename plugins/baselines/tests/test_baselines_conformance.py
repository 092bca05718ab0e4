"""The weasul conformance kit over every baseline label model.

Instances name n_classes: with K inferred from L, a label >= K cannot be told from a new class.
"""

from __future__ import annotations

from weasul.testing import parametrize_with_checks
from weasul_baselines import DawidSkene, MajorityVote, MatrixCompletion, Triplet, WeightedVote
from weasul_baselines.auto import Auto

PLUGINS = [
    MajorityVote(n_classes=2),
    MajorityVote(n_classes=3, tie_break="random", seed=3),
    WeightedVote(n_classes=2),
    WeightedVote(n_classes=3),
    DawidSkene(n_classes=2),
    DawidSkene(n_classes=3, max_iter=5, model_abstain=False),
    MatrixCompletion(n_classes=2),
    MatrixCompletion(n_classes=3),
    MatrixCompletion(n_classes=2, cliques=[[0, 1]]),
    Triplet(n_classes=2),
    Auto(n_classes=2),
    Auto(n_classes=3, candidates=["majority-vote", "dawid-skene"]),
]


@parametrize_with_checks(PLUGINS)
def test_conformance(plugin, check):
    check(plugin)
