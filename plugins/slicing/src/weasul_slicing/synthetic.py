"""A generated data set with known hard tail slices, its slice functions and its loader.

It mimics the paper's setting: an input signal (the "intent") says which slice an item is in, a
few tail intents have few items, and their decision boundary differs from the base one.

Every item has signals f ~ N(0, I_d). Base items (intent 0) have label 1[w . f > 0] with
w = 1/sqrt(d). Tail intent j (1..n_tail) holds `tail_share` of the items and has label
1[v_j . f > 0]: v_1 = -w (the base rule flipped), v_2.. fixed random unit vectors. The features
are X = [f, one-hot(intent)] (d + n_tail columns). A model that learns only the base rule gets
about half of the tail items right.

The slice functions `intent_1`..`intent_4` test `row.intent == j`, like the paper's
intent-based slice functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field
from weasul.data import Dataset, Split
from weasul.errors import DataError
from weasul.interfaces import DatasetLoader
from weasul.params import WeasulParams

from weasul_slicing.sf import slicing_function

__all__ = ["MAX_TAILS", "SyntheticSlices", "intent_1", "intent_2", "intent_3", "intent_4", "make_slice_data"]

MAX_TAILS = 4


def _directions(d: int, n_tail: int) -> np.ndarray:
    """(n_tail, d) normals of the tail boundaries; fixed, independent of the sampling seed."""
    w = np.full(d, 1 / np.sqrt(d))
    rng = np.random.default_rng(12345)
    out = np.empty((n_tail, d))
    out[0] = -w
    for j in range(1, n_tail):
        v = rng.normal(size=d)
        out[j] = v / np.linalg.norm(v)
    return out


def make_slice_data(
    n: int, *, d: int = 10, n_tail: int = 3, tail_share: float = 0.02, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample `n` items: X (n, d + n_tail) float64, y (n,) in {0, 1}, intent (n,) int
    (0 = base, j = tail slice j). Each tail slice gets round(tail_share * n) items (at least 1).

    Raises:
        DataError: n_tail outside 1..4 or tails that leave no room for base items.
    """
    if not 1 <= n_tail <= MAX_TAILS:
        raise DataError(f"n_tail must be between 1 and {MAX_TAILS}, got {n_tail}")
    size = max(1, int(round(tail_share * n)))
    if n_tail * size >= n:
        raise DataError(
            f"{n_tail} tail slices of {size} items leave no base items out of {n}; lower tail_share"
        )
    rng = np.random.default_rng(seed)
    intent = np.concatenate(
        [np.zeros(n - n_tail * size, dtype=np.int64), np.repeat(np.arange(1, n_tail + 1), size)]
    )
    intent = intent[rng.permutation(n)]
    F = rng.normal(size=(n, d))
    normals = np.vstack([np.full(d, 1 / np.sqrt(d)), _directions(d, n_tail)])  # row 0: the base rule
    y = (np.einsum("nd,nd->n", F, normals[intent]) > 0).astype(np.int64)
    onehot = (intent[:, None] == np.arange(1, n_tail + 1)[None, :]).astype(np.float64)
    return np.hstack([F, onehot]), y, intent


def _intent(row: Any, j: int) -> int:
    return int(row.intent == j)


@slicing_function()
def intent_1(row: Any) -> int:
    """Tail intent 1 (its rule is the base rule flipped)."""
    return _intent(row, 1)


@slicing_function()
def intent_2(row: Any) -> int:
    """Tail intent 2."""
    return _intent(row, 2)


@slicing_function()
def intent_3(row: Any) -> int:
    """Tail intent 3."""
    return _intent(row, 3)


@slicing_function()
def intent_4(row: Any) -> int:
    """Tail intent 4."""
    return _intent(row, 4)


#: The slice functions, in order; `SLICE_FUNCTIONS[:n_tail]` matches `make_slice_data(n_tail=...)`.
SLICE_FUNCTIONS = (intent_1, intent_2, intent_3, intent_4)


def items_frame(X: np.ndarray, intent: np.ndarray, d: int) -> Any:
    """The raw items slice functions see: columns x0..x{d-1} and `intent`."""
    import pandas as pd

    items = pd.DataFrame(X[:, :d], columns=[f"x{i}" for i in range(d)])
    items["intent"] = intent
    return items


class SyntheticSlices(DatasetLoader):
    """The generated tail-slice data set: train/valid/test splits with X, y and items
    (columns x0.., intent) for the slice functions in this module."""

    class Params(WeasulParams):
        n_train: int = Field(4000, ge=10)
        n_valid: int = Field(1000, ge=10)
        n_test: int = Field(4000, ge=10)
        d: int = Field(10, ge=2)
        n_tail: int = Field(3, ge=1, le=MAX_TAILS)
        tail_share: float = Field(0.02, gt=0, lt=0.25, description="share of each tail slice in every split")
        seed: int = 0

    params: Params

    @classmethod
    def examples(cls) -> list[DatasetLoader]:
        return [cls(n_train=200, n_valid=50, n_test=200)]

    def load(self) -> Dataset:
        p = self.params
        splits = {}
        for offset, (name, n) in enumerate((("train", p.n_train), ("valid", p.n_valid), ("test", p.n_test))):
            X, y, intent = make_slice_data(
                n, d=p.d, n_tail=p.n_tail, tail_share=p.tail_share, seed=3 * p.seed + offset
            )
            splits[name] = Split(y=y, X=X, items=items_frame(X, intent, p.d))
        return Dataset("slice-synthetic", splits, ("0", "1"))
