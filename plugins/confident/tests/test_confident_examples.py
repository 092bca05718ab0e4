"""The example spec and the experiments on the shared WRENCH YouTube data."""

from __future__ import annotations

from pathlib import Path

import pytest
from weasul.testing import shared_data
from weasul_confident.experiments.review_youtube import run_experiment, youtube_spec

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "confident-review-youtube.yaml"


def test_example_spec_is_the_experiment_spec_and_validates():
    import yaml
    from weasul.engine import validate

    raw = yaml.safe_load(EXAMPLE.read_text())
    assert raw == youtube_spec(raw["data"]["params"]["path"])
    plan = validate(youtube_spec(shared_data("wrench", "youtube")))
    assert [s.id for s in plan.steps] == ["tfidf", "lm", "gold", "oos", "find", "review", "refit"]


@pytest.mark.slow
def test_spec_and_python_path_agree_on_youtube(tmp_path):
    import weasul

    data = shared_data("wrench", "youtube")
    run = weasul.run(youtube_spec(data), runs_dir=tmp_path)
    review, end_model = run.metrics["review"]["review"], run.metrics["refit"]["end_model"]
    py_m = run_experiment(data, random_draws=1, curve=(20,))
    assert review["changed"] == py_m["review"]["changed"] > 0
    assert end_model["before"]["test"] == py_m["end_model"]["before"]["test"]
    assert end_model["after"]["test"] == py_m["end_model"]["after"]["test"]
    assert run.metrics["find"]["train"]["n_issues"] == py_m["train"]["n_issues"]
    assert review["precision_at_budget"] == py_m["train"]["precision_at_budget"] >= 0.5
    assert (run.path / "confident" / "review_refit.png").is_file()


def test_csv_review_example_validates():
    from weasul.engine import validate

    raw = __import__("yaml").safe_load((EXAMPLE.parent / "confident-review-youtube-csv.yaml").read_text())
    raw["data"]["params"]["path"] = str(shared_data("wrench", "youtube"))
    plan = validate(raw)
    assert {s.id: s.spec.cache for s in plan.steps}["review"] is False
