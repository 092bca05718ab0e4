"""Every example spec stays valid against the installed plugins; the embedding example runs."""

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


def test_embedding_example_runs(monkeypatch):
    """examples/embed.py: the demo pipeline through the Python API, then 20 expert labels."""
    import runpy

    monkeypatch.chdir(REPO)
    scores = runpy.run_path(str(REPO / "examples" / "embed.py"))["main"]()
    assert scores["end_model_accuracy"] > 0.9
    assert scores["label_model_accuracy_20_labels"] > scores["label_model_accuracy_0_labels"] + 0.1
