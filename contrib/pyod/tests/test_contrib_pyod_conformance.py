"""The weasul conformance kit over the PyOD adapters (skipped until core ships weasul.testing)."""

from __future__ import annotations

import pytest

testing = pytest.importorskip(
    "weasul.testing", reason="weasul.testing (the conformance kit) is not in core yet"
)

from weasul_contrib_pyod import ECODScorer, HBOSScorer, LODAScorer, PyODDetector  # noqa: E402


@testing.parametrize_with_checks([*PyODDetector.examples(), ECODScorer(), HBOSScorer(), LODAScorer()])
def test_conformance(plugin, check):
    check(plugin)
