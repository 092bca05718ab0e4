"""Generated data with a known answer: concepts are thresholds of features, the decision a rule
over the concepts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest


@dataclass
class Generated:
    X: np.ndarray
    y: np.ndarray
    golden: np.ndarray  # every row labelled
    noisy: np.ndarray


def make_concepts(n: int = 1500, seed: int = 0, flip: float = 0.15) -> Generated:
    """X (n, 6) standard normal; concept j = X[:, j] > 0.3 for j < 4; y = c0 or (c1 and not c2);
    noisy concept labels flip `flip` of the golden entries."""
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 1, (n, 6)).astype(np.float32)
    golden = (X[:, :4] > 0.3).astype(np.int64)
    y = (golden[:, 0] | (golden[:, 1] & (1 - golden[:, 2]))).astype(np.int64)
    flips = rng.random(golden.shape) < flip
    noisy = np.where(flips, 1 - golden, golden)
    return Generated(X, y, golden, noisy)


@pytest.fixture(scope="session")
def data() -> Generated:
    return make_concepts()


@pytest.fixture(scope="session")
def make():
    """The generator, for tests that need data of their own."""
    return make_concepts


@pytest.fixture(autouse=True)
def _one_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
