"""The example spec: LFs on income rows -> label_models/auto -> classifiers/tabtransformer."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from weasul.testing import shared_data

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def test_income_spec_runs_end_to_end_on_a_sample(tmp_path):
    from weasul.engine import run

    folder = shared_data("tabular")
    path = EXAMPLES / "tabtransformer-income.yaml"
    if not path.is_file():
        pytest.skip(f"{path} is not in this checkout")
    spec = yaml.safe_load(path.read_text())
    spec["data"]["params"].update(path=str(folder / "income_evaluation.csv"), max_rows=800)
    spec["steps"][2]["params"].update(epochs=15, batch_size=64, dim=8, depth=1, heads=2)
    result = run(spec, runs_dir=tmp_path)
    lfs = result.metrics["lfs"]["train"]["lf_summary"]
    assert len(lfs) == 8
    clf = result.metrics["clf"]
    assert set(clf) >= {"train", "valid", "test"}
    # the end model, trained on weak labels only, is far above the 0.76 majority-class rate
    assert clf["test"]["accuracy"] > 0.77
    assert result.artifacts["clf.probs"]["test"].shape == (160, 2)
