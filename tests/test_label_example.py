"""The shipped labelling example (examples/active-weasul-label.yaml) moves the model: the same
spec with the gold oracle in place of the person changes the label model's test accuracy."""

from pathlib import Path

import numpy as np
import pytest
import weasul
from weasul.spec import load_spec

REPO = Path(__file__).resolve().parents[1]
SPEC = REPO / "examples" / "active-weasul-label.yaml"


def test_label_example_moves_the_model(tmp_path):
    pytest.importorskip("weasul_active_weasul")
    _, raw = load_spec(SPEC)
    data = Path(raw["data"]["params"]["path"])
    if not (data / "train.json").is_file():
        pytest.skip(f"shared WRENCH youtube data not found at {data}")
    raw["steps"][1] = {"id": "person", "use": "oracles/gold", "inputs": {"y": "data.train.y"}}
    raw["report"] = {"html": False}
    result = weasul.run(raw, runs_dir=tmp_path)
    history = result.metrics["loop"]["history"]
    assert history[-1]["n_labelled"] == raw["steps"][2]["params"]["budget"]
    accuracies = [row["test"]["accuracy"] for row in history]
    assert len(set(np.round(accuracies, 6))) > 1, f"20 answers never moved the model: {accuracies}"
    assert accuracies[-1] > accuracies[0]
