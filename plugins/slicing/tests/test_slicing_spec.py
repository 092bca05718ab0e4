"""The example specs: validate both, run a shrunken synthetic one end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import weasul
import yaml

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def _spec(name: str) -> dict:
    path = EXAMPLES / name
    if not path.is_file():
        pytest.skip(f"{path} is not in this checkout")
    return yaml.safe_load(path.read_text())


def test_synthetic_spec_runs_and_reports_per_slice(tmp_path):
    from weasul.engine import run

    spec = _spec("slicing-synthetic.yaml")
    spec["data"]["params"].update(n_train=800, n_valid=100, n_test=400, tail_share=0.05)
    for step in spec["steps"][1:]:
        step["params"].update(epochs=2, hidden=16)
    result = run(spec, runs_dir=tmp_path)
    sbl = result.metrics["sbl"]["test"]
    assert set(sbl["slices"]) == {"base", "intent_1", "intent_2", "intent_3"}
    assert sbl["slices"]["intent_1"]["n"] == 20
    assert result.metrics["slices"]["train"]["slice_sizes"]["intent_2"] == 40
    for name in ("slice_metrics.csv", "slice_metrics.md", "slice_metrics.png", "report.html"):
        assert (result.path / name).is_file(), name
    assert "slice_metrics.png" in (result.path / "report.html").read_text()
    S = result.artifacts["slices.S"]["test"]
    assert list(S.columns) == ["base", "intent_1", "intent_2", "intent_3"] and np.all(S["base"] == 1)


def test_trec_spec_validates():
    spec = _spec("slicing-trec.yaml")
    names = {p.name for p in weasul.available("encoders", load=False)}
    if "sentence-minilm" not in names:
        pytest.skip("the sentence-minilm encoder (weasul-tadpole) is not installed")
    from weasul.engine import validate

    plan = validate(spec)
    assert [s.id for s in plan.steps][:2] == ["slices", "minilm"]
