"""The weasul conformance kit over every tadpole plugin (skipped until core ships weasul.testing)."""

from __future__ import annotations

import pytest

testing = pytest.importorskip(
    "weasul.testing", reason="weasul.testing (the conformance kit) is not in core yet"
)

from weasul_tadpole import (  # noqa: E402
    DistanceScorer,
    IsolationForestScorer,
    KNNScorer,
    LOFScorer,
    MooreLewisScorer,
    OneClassSVMScorer,
    PCAScorer,
    RobustCovarianceScorer,
    SentenceMiniLM,
    TadpoleScorer,
)


@testing.parametrize_with_checks(
    [
        SentenceMiniLM(),
        IsolationForestScorer(),
        LOFScorer(n_neighbors=5),
        OneClassSVMScorer(),
        PCAScorer(),
        KNNScorer(),
        RobustCovarianceScorer(),
        TadpoleScorer(select="fixed"),
        DistanceScorer(),
        MooreLewisScorer(),
    ]
)
def test_conformance(plugin, check):
    check(plugin)
