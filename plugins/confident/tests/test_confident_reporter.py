"""The reporter draws the paper's analyses from run metrics into PNG files and an HTML page."""

from __future__ import annotations

import json

import numpy as np
from weasul_confident import ConfidentReporter, accuracy_sets
from weasul_confident.reporter import collect

PNG = b"\x89PNG\r\n\x1a\n"


def _metrics():
    rng = np.random.default_rng(0)
    given = rng.integers(0, 3, 300)
    corrected = given.copy()
    corrected[:20] = (given[:20] + 1) % 3
    preds = {
        "small": np.where(rng.random(300) < 0.8, corrected, given),
        "big": np.where(rng.random(300) < 0.95, given, corrected),
    }
    step = {
        "train": {"share": 0.05, "true_error_share": 0.2, "noise_matrix": np.eye(2).tolist(), "n_issues": 10},
        "end_model": {"before": {"test": {"accuracy": 0.79}}, "after": {"test": {"accuracy": 0.81}}},
        "confident_learning": {"recipe": "paper", "fit_on": "train", "class_names": ["ham", "spam"]},
    }
    analysis = {
        "label_error_analysis": {
            "datasets": [
                {"name": "20news", "share": 93 / 7532, "validated": 82 / 7532, "prevalence": 22 / 7472}
            ],
            "accuracy": accuracy_sets(preds, given, corrected),
        }
    }
    return {"lm": {"train": {"accuracy": 0.8}}, "review": step, "paper": json.loads(json.dumps(analysis))}


def test_reporter_writes_every_figure(tmp_path):
    paths = ConfidentReporter().write(tmp_path, _metrics())
    names = {p.name for p in paths}
    assert {
        "noise_prevalence.png",
        "noise_matrix_review_train.png",
        "review_review.png",
        "rank_changes_paper.png",
        "prevalence_curves_paper.png",
        "confident.html",
    } <= names
    for p in paths:
        if p.suffix == ".png":
            assert p.read_bytes()[:8] == PNG and p.stat().st_size > 5000
    page = (tmp_path / "confident.html").read_text()
    assert "confident/rank_changes_paper.png" in page and "<table>" in page
    # the engine runs the core html reporter last; its page then shows these figures
    from weasul.plugins import create

    create("reporters", "html").write(tmp_path, _metrics())
    assert "confident/noise_prevalence.png" in (tmp_path / "report.html").read_text()


def test_nothing_to_draw(tmp_path):
    assert ConfidentReporter().write(tmp_path, {"lm": {"train": {"accuracy": 0.8}}}) == []
    assert collect({"x": 3}) == {"rows": [], "matrices": [], "reviews": [], "analyses": []}
