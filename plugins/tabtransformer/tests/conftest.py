"""A small generated table with a known answer: y is an interaction of two categorical columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def make_table(n: int = 600, seed: int = 0, flip: float = 0.05) -> tuple[pd.DataFrame, np.ndarray]:
    """color in a..d, shape in x..z, tag in p/q (noise), size ~ N(0, 1).

    y = (color in {a, b}) XOR (shape == x), with `flip` of the labels flipped: no single column
    predicts y, the pair does.
    """
    rng = np.random.default_rng(seed)
    color = rng.choice(list("abcd"), n)
    shape = rng.choice(list("xyz"), n)
    tag = rng.choice(list("pq"), n)
    size = rng.normal(0, 1, n)
    y = (np.isin(color, ["a", "b"]) ^ (shape == "x")).astype(np.int64)
    flips = rng.random(n) < flip
    y[flips] = 1 - y[flips]
    frame = pd.DataFrame({"color": color, "shape": shape, "tag": tag, "size": size})
    return frame, y


@pytest.fixture(scope="session")
def make():
    """The generator, for tests that need tables of their own."""
    return make_table
