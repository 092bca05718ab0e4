"""The toy pipeline of core's tests (npy data -> toy vote -> gold oracle -> toy query loop),
installed as a throwaway distribution, with a flaky label model for failing runs."""

import sys

import numpy as np
import pytest
from weasul.scaffold import render
from weasul.testing import samples
from weasul_registry.testing import fake_distribution

FLAKY = '''
from pathlib import Path

from weasul import LabelModelParams
from weasul_toy_vote.toy_vote import ToyVoteLabelModel


class FlakyVote(ToyVoteLabelModel):
    """Fails while the file `fail_if_exists` exists."""

    class Params(LabelModelParams):
        fail_if_exists: str = ""

    def fit(self, L, *, y_dev=None, expert=None):
        if self.params.fail_if_exists and Path(self.params.fail_if_exists).exists():
            raise RuntimeError("simulated crash")
        return super().fit(L)
'''


@pytest.fixture
def toy_plugins(tmp_path_factory):
    """label_models/toy-vote, label_models/flaky-vote, query_strategies/toy-first."""
    root = tmp_path_factory.mktemp("toy")
    for name, interface in (("toy-vote", "label_model"), ("toy-first", "query_strategy")):
        for rel, text in render(name, interface).items():
            if rel.startswith("src/"):
                path = root / rel.removeprefix("src/")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
    eps = {
        "weasul.label_models": {
            "toy-vote": "weasul_toy_vote.toy_vote:ToyVoteLabelModel",
            "flaky-vote": "toy_flaky:FlakyVote",
        },
        "weasul.query_strategies": {"toy-first": "weasul_toy_first.toy_first:ToyFirstQueryStrategy"},
    }
    with fake_distribution(root, "weasul-toys", eps, {"toy_flaky": FLAKY}):
        yield root
    for module in [m for m in sys.modules if m.startswith(("weasul_toy_vote", "weasul_toy_first"))]:
        sys.modules.pop(module)


@pytest.fixture
def toy_spec(tmp_path):
    """The toy spec on generated npy data (5 sources, accuracy 0.8, K = 2), budget 6."""
    folder = tmp_path / "data"
    folder.mkdir()
    for split, seed in (("train", 0), ("test", 1)):
        L, y = samples.label_matrix(n=300, seed=seed)
        np.save(folder / f"L_{split}.npy", L)
        np.save(folder / f"Y_{split}.npy", y)
    return {
        "weasul": 1,
        "name": "toy",
        "data": {"use": "npy", "params": {"path": str(folder), "splits": ["train", "test"]}},
        "steps": [
            {"id": "lm", "use": "label_models/toy-vote", "inputs": {"L": "data.L", "y": "data.y"}},
            {"id": "gold", "use": "oracles/gold", "inputs": {"y": "data.train.y"}},
            {
                "id": "loop",
                "use": "query_strategies/toy-first",
                "params": {"budget": 6, "batch": 2},
                "inputs": {"model": "lm", "oracle": "gold", "L": "data.L", "y": "data.y"},
            },
        ],
    }
