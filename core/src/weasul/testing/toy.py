"""A toy pipeline for tests of code that follows whole runs (reporters, executors, caches):
npy data -> `label_models/toy-vote` -> `oracles/gold` -> `query_strategies/toy-first`.

The two toy plugins are rendered from `weasul new-plugin`'s templates and installed as a
throwaway distribution, with `label_models/flaky-vote`, which fails while a named file exists
(a crash mid-run).

```python
with toy_plugins(tmp_path / "toys"):
    result = weasul.run(toy_spec(write_npy_data(tmp_path / "data")), runs_dir=tmp_path / "runs")
```
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from weasul_registry.testing import fake_distribution

from weasul.scaffold import render
from weasul.testing import samples

__all__ = ["toy_plugins", "toy_spec", "write_npy_data"]

_FLAKY = '''
import logging
from pathlib import Path

from weasul import LabelModelParams
from weasul_toy_vote.toy_vote import ToyVoteLabelModel


class FlakyVote(ToyVoteLabelModel):
    """Fails while the file `fail_if_exists` exists: stands in for a crash mid-run."""

    class Params(LabelModelParams):
        fail_if_exists: str = ""

    def fit(self, L, *, y_dev=None, expert=None):
        logging.getLogger(__name__).info("flaky-vote: fitting %d rows", len(L))
        logging.getLogger(__name__).warning("flaky-vote: this plugin is flaky")
        if self.params.fail_if_exists and Path(self.params.fail_if_exists).exists():
            raise RuntimeError("simulated crash")
        return super().fit(L)
'''


@contextmanager
def toy_plugins(root: Path) -> Iterator[Path]:
    """Install label_models/toy-vote, label_models/flaky-vote and query_strategies/toy-first
    from sources written under `root`, for the duration of the block."""
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
    try:
        with fake_distribution(root, "weasul-toys", eps, {"toy_flaky": _FLAKY}):
            yield root
    finally:
        for module in [m for m in sys.modules if m.startswith(("weasul_toy_vote", "weasul_toy_first"))]:
            sys.modules.pop(module)


def write_npy_data(folder: Path, n: int = 400) -> Path:
    """L/Y for train and test in `folder` (5 sources, accuracy 0.8, coverage 0.6, K = 2)."""
    folder.mkdir(parents=True, exist_ok=True)
    for split, seed in (("train", 0), ("test", 1)):
        L, y = samples.label_matrix(n=n, seed=seed)
        np.save(folder / f"L_{split}.npy", L)
        np.save(folder / f"Y_{split}.npy", y)
    return folder


def toy_spec(data: Path, *, budget: int = 5, **lm: Any) -> dict[str, Any]:
    """The toy spec on the npy data in `data`; `lm` adds keys to the label-model step."""
    return {
        "weasul": 1,
        "name": "toy",
        "data": {"use": "npy", "params": {"path": str(data), "splits": ["train", "test"]}},
        "steps": [
            {"id": "lm", "use": "label_models/toy-vote", "inputs": {"L": "data.L", "y": "data.y"}, **lm},
            {"id": "gold", "use": "oracles/gold", "inputs": {"y": "data.train.y"}},
            {
                "id": "loop",
                "use": "query_strategies/toy-first",
                "params": {"budget": budget, "batch": 2},
                "inputs": {"model": "lm", "oracle": "gold", "L": "data.L", "y": "data.y"},
            },
        ],
    }
