"""The README's demo: examples/spam.yaml from raw comments to an end model."""

import json
from pathlib import Path

import weasul

REPO = Path(__file__).resolve().parents[1]


def test_spam_demo_reaches_the_target_accuracy(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    result = weasul.run("examples/spam.yaml", runs_dir=tmp_path)
    stored = json.loads((result.path / "metrics.json").read_text())
    assert stored["clf"]["test"]["accuracy"] >= 0.85
    assert stored["clf"]["test"]["f1"] >= 0.8
    # every LF is analysed on the training comments
    assert len(stored["lfs"]["train"]["lf_summary"]) >= 10
    assert (result.path / "report.html").is_file()
