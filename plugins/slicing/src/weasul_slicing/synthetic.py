"""A generated data set with known hard tail slices, its slice functions and its loader.

Base items: x ~ N(0, I_d), label 1[w . x > 0] with w = 1/sqrt(d). Tail slice j (1..n_tail) is a
small cluster x ~ N(c_j, spread^2 I_d) around c_j = CENTER * e_{j-1}, far from the base data,
whose label follows a different boundary: 1[v_j . (x - c_j) > 0] with v_j a fixed unit vector
orthogonal to e_{j-1} (v_1 = -w: the base rule flipped). The base rule labels almost every
tail item 1, so a model that ignores the tails gets about half of each tail slice right.

The slice functions `tail_1`..`tail_4` test `||x - c_j|| < RADIUS` on a row with columns x0..x{d-1};
with the default spread they catch about 99.5% of slice j and practically no base item.
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

__all__ = ["CENTER", "RADIUS", "SyntheticSlices", "make_slice_data", "tail_1", "tail_2", "tail_3", "tail_4"]

CENTER = 5.0
RADIUS = 2.5
MAX_TAILS = 4


def _directions(d: int, n_tail: int) -> np.ndarray:
    """(n_tail, d) the tail boundaries' normals; fixed, independent of the sampling seed."""
    w = np.full(d, 1 / np.sqrt(d))
    rng = np.random.default_rng(12345)
    out = np.zeros((n_tail, d))
    for j in range(n_tail):
        v = -w.copy() if j == 0 else rng.normal(size=d)
        v[j] = 0.0  # no component along the cluster's own axis
        out[j] = v / np.linalg.norm(v)
    return out


def make_slice_data(
    n: int, *, d: int = 10, n_tail: int = 3, tail_share: float = 0.02, spread: float = 0.5, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample `n` items: X (n, d) float64, y (n,) in {0, 1}, and the true slice of each item
    (n,) int, 0 = base, j = tail slice j. Each tail slice gets round(tail_share * n) items."""
    if not 1 <= n_tail <= min(MAX_TAILS, d):
        raise DataError(f"n_tail must be between 1 and {min(MAX_TAILS, d)}, got {n_tail}")
    if n_tail * tail_share >= 1:
        raise DataError(f"n_tail * tail_share = {n_tail * tail_share:.2f}; the tails must leave room for the base")
    rng = np.random.default_rng(seed)
    sizes = [int(round(tail_share * n))] * n_tail
    n_base = n - sum(sizes)
    w = np.full(d, 1 / np.sqrt(d))
    V = _directions(d, n_tail)
    X = [rng.normal(size=(n_base, d))]
    y = [(X[0] @ w > 0).astype(np.int64)]
    which = [np.zeros(n_base, dtype=np.int64)]
    for j, size in enumerate(sizes):
        c = np.zeros(d)
        c[j] = CENTER
        Xj = c + spread * rng.normal(size=(size, d))
        X.append(Xj)
        y.append(((Xj - c) @ V[j] > 0).astype(np.int64))
        which.append(np.full(size, j + 1, dtype=np.int64))
    order = rng.permutation(n)
    return np.concatenate(X)[order], np.concatenate(y)[order], np.concatenate(which)[order]


def _in_tail(row: Any, j: int) -> int:
    values = np.fromiter((v for k, v in zip(row._fields, row) if k.startswith("x")), dtype=float)
    c = np.zeros(len(values))
    c[j] = CENTER
    return int(np.linalg.norm(values - c) < RADIUS)


@slicing_function()
def tail_1(row: Any) -> int:
    """Within RADIUS of the first tail cluster."""
    return _in_tail(row, 0)


@slicing_function()
def tail_2(row: Any) -> int:
    """Within RADIUS of the second tail cluster."""
    return _in_tail(row, 1)


@slicing_function()
def tail_3(row: Any) -> int:
    """Within RADIUS of the third tail cluster."""
    return _in_tail(row, 2)


@slicing_function()
def tail_4(row: Any) -> int:
    """Within RADIUS of the fourth tail cluster."""
    return _in_tail(row, 3)


class SyntheticSlices(DatasetLoader):
    """The generated tail-slice data set: splits with X, y and items (columns x0.., `true_slice`)."""

    class Params(WeasulParams):
        n_train: int = Field(4000, ge=10)
        n_valid: int = Field(1000, ge=10)
        n_test: int = Field(4000, ge=10)
        d: int = Field(10, ge=2)
        n_tail: int = Field(3, ge=1, le=MAX_TAILS)
        tail_share: float = Field(0.02, gt=0, lt=0.25, description="share of each tail slice in every split")
        spread: float = Field(0.5, gt=0)
        seed: int = 0

    @classmethod
    def examples(cls) -> list[DatasetLoader]:
        return [cls(n_train=200, n_valid=50, n_test=200)]

    def load(self) -> Dataset:
        import pandas as pd

        p = self.params
        splits = {}
        for offset, (name, n) in enumerate((("train", p.n_train), ("valid", p.n_valid), ("test", p.n_test))):
            X, y, which = make_slice_data(n, d=p.d, n_tail=p.n_tail, tail_share=p.tail_share, spread=p.spread,
                                          seed=p.seed * 3 + offset)
            items = pd.DataFrame(X, columns=[f"x{i}" for i in range(p.d)])
            items["true_slice"] = which
            splits[name] = Split(y=y, X=X, items=items)
        return Dataset("slice-synthetic", splits, ("0", "1"))
