"""A step after the active loop sees the same `lm` on a fresh and on a cached run."""

from pathlib import Path

import numpy as np
import weasul
import yaml

EXAMPLE = Path(__file__).parents[1] / "examples" / "active-weasul-synthetic.yaml"


def _spec() -> dict:
    spec = yaml.safe_load(EXAMPLE.read_text())
    spec["steps"][-1]["params"]["budget"] = 4
    spec["steps"].append(
        {
            "id": "after",
            "use": "query_strategies/maxkl",
            "params": {"budget": 3, "seed": 1},
            "inputs": {"model": "lm", "oracle": "gold", "L": "data.L", "y": "data.y"},
            "cache": False,
        }
    )
    return spec


def test_a_step_after_the_loop_reads_the_same_model_fresh_and_cached(tmp_path):
    fresh = weasul.run(_spec(), runs_dir=tmp_path)
    cached = weasul.run(_spec(), runs_dir=tmp_path)
    assert fresh.artifacts["lm.model"] is not fresh.artifacts["loop.model"]
    for result in (fresh, cached):
        lm = result.artifacts["lm.model"]
        train_L = result.artifacts["data.L"]["train"]
        np.testing.assert_allclose(lm.predict_proba(train_L), result.artifacts["lm.probs"]["train"])
        assert lm.n_expert_ == 0
    np.testing.assert_array_equal(fresh.artifacts["after.queried"]["train"], cached.artifacts["after.queried"]["train"])
    np.testing.assert_allclose(fresh.artifacts["after.probs"]["test"], cached.artifacts["after.probs"]["test"])
    assert fresh.metrics["after"] == cached.metrics["after"]
