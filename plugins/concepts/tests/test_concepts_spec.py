"""The example spec end to end on a sample: rules -> concepts -> two-stage concept model, with
the concept explanations in report.html."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from weasul.testing import shared_data
from weasul_concepts.bank import MAPPING_PATH

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def test_bank_spec_runs_and_reports_explanations(tmp_path):
    from weasul.engine import run

    data = shared_data("tabular", "bank-full.csv")
    path = EXAMPLES / "concepts-bank.yaml"
    if not path.is_file():
        pytest.skip(f"{path} is not in this checkout")
    spec = yaml.safe_load(path.read_text())
    spec["data"]["params"].update(path=str(data), rows=2000, annotated=150)
    spec["steps"][0]["params"]["mapping_path"] = str(MAPPING_PATH)
    spec["steps"][1]["params"].update(epochs=3, finetune_epochs=10)
    result = run(spec, runs_dir=tmp_path)
    L = result.artifacts["rules.L"]["train"]
    assert L.shape[1] == 7 and set(np.unique(L)) <= {0, 1}
    metrics = result.metrics["concepts"]
    assert metrics["concept_names"][0] == "engaged_call"
    assert 0 <= metrics["test"]["recall_at_5_fpr"] <= 1 and metrics["test"]["concept_map"] > 0.3
    assert result.artifacts["concepts.concepts"]["test"].shape == (400, 7)
    report = (result.path / "report.html").read_text(encoding="utf-8")
    assert "Concept explanations" in report and "favourable_timing" in report
    # the rules step: a concept table against the golden labels, not class-vote statistics
    rules = result.metrics["rules"]
    assert "lf_summary" not in rules["train"]
    timing = {r["concept"]: r for r in rules["test"]["concept_summary"]}["favourable_timing"]
    assert timing["golden_items"] == 400 and timing["recall"] == 1.0  # golden is a subset of the rule
    assert 0 < timing["precision"] < 1 and 0 < timing["coverage"] < 1
    assert "Concepts from rules" in report and "conflicts" not in report
