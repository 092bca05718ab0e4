"""Every example spec stays valid against the installed plugins (static checks only)."""

from pathlib import Path

import pytest
from weasul.engine import validate

REPO = Path(__file__).resolve().parents[1]
SPECS = sorted((REPO / "examples").glob("*.yaml"))


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_example_spec_is_valid(spec, monkeypatch):
    monkeypatch.chdir(REPO)
    plan = validate(spec)
    assert plan.steps
