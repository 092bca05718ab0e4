"""A generated benchmark whose slice membership is not a feature: the indicators must infer it.

Generative process (fixed geometry, seed 2021; the sampling seed only draws items):

1. A latent z ~ N(0, I_k) (k = 4) per item.
2. Tail regions: balls B_j = {z : ||z - c_j|| < r_j}, j = 1..n_tail, with centres c_j at norm 1.5
   on the base boundary (c_j . w = 0) and radii r_j set so that each holds 3% (`TAIL_SHARE`) of the
   latent mass (measured on 200 000 reference draws).
3. Labels: y = 1[w . z > 0] outside the regions (w a fixed unit vector); inside the first region
   holding z, y = 1[v_j . (z - c_j) > 0] with v_1 = -w (the base rule flipped) and v_2, v_3 fixed
   random unit vectors: a hidden rule on a small region, which a backbone fitted to every item
   underfits.
4. The model sees only a noisy nonlinear view of z: X = tanh(z A + b) + e, A (k, m = 16) and b
   fixed Gaussian, e ~ N(0, noise^2) (noise 0.1). Neither z, the regions nor membership is a column
   of X; the view is smooth and (up to the noise) invertible, so membership can be learned from X.
5. The slice functions `region_1..region_3` read the raw latent columns z0..z{k-1} of the items
   table (available to them at training, as the paper's intent labels are) and test z in B_j.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from pydantic import Field
from weasul.data import Dataset, Split
from weasul.errors import DataError
from weasul.interfaces import DatasetLoader
from weasul.params import WeasulParams

from weasul_slicing.sf import slicing_function

__all__ = ["LatentSlices", "geometry", "make_latent_slices", "region_1", "region_2", "region_3"]

K = 4  #: latent dimension
M = 16  #: observed dimension
MAX_TAILS = 3
TAIL_SHARE = 0.03  #: latent mass of each tail region


@lru_cache(maxsize=1)
def geometry() -> dict[str, np.ndarray]:
    """The fixed geometry: w (k,), centres (3, k), radii (3,), rules v (3, k), A (k, m), b (m,)."""
    rng = np.random.default_rng(2021)
    w = rng.normal(size=K)
    w /= np.linalg.norm(w)
    centres = rng.normal(size=(MAX_TAILS, K))
    centres -= np.outer(centres @ w, w)  # on the base boundary, so every rule splits its region
    centres *= 1.5 / np.linalg.norm(centres, axis=1, keepdims=True)
    rules = rng.normal(size=(MAX_TAILS, K))
    rules[0] = -w
    rules /= np.linalg.norm(rules, axis=1, keepdims=True)
    A = rng.normal(size=(K, M))
    b = rng.normal(scale=0.5, size=M)
    ref = rng.normal(size=(200_000, K))
    radii = np.array([np.quantile(np.linalg.norm(ref - c, axis=1), TAIL_SHARE) for c in centres])
    return {"w": w, "centres": centres, "radii": radii, "rules": rules, "A": A, "b": b}


def regions(Z: np.ndarray) -> np.ndarray:
    """(n, 3) bool: z in B_j."""
    g = geometry()
    inside: np.ndarray = np.linalg.norm(Z[:, None, :] - g["centres"][None], axis=2) < g["radii"][None]
    return inside


def make_latent_slices(
    n: int, *, n_tail: int = 3, noise: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample `n` items: X (n, 16) the observed view, y (n,) in {0, 1}, Z (n, 4) the raw latent.

    Raises:
        DataError: n_tail outside 1..3.
    """
    if not 1 <= n_tail <= MAX_TAILS:
        raise DataError(f"n_tail must be between 1 and {MAX_TAILS}, got {n_tail}")
    g = geometry()
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, K))
    y = (Z @ g["w"] > 0).astype(np.int64)
    inside = regions(Z)[:, :n_tail]
    for j in reversed(range(n_tail)):  # the first region holding z decides
        m = inside[:, j]
        y[m] = ((Z[m] - g["centres"][j]) @ g["rules"][j] > 0).astype(np.int64)
    X = np.tanh(Z @ g["A"] + g["b"]) + noise * rng.normal(size=(n, M))
    return X, y, Z


def items_frame(Z: np.ndarray) -> Any:
    """The raw items the slice functions see: the latent columns z0..z3 (never given to the model)."""
    import pandas as pd

    return pd.DataFrame(Z, columns=[f"z{i}" for i in range(K)])


def _in_region(row: Any, j: int) -> int:
    z = np.array([row.z0, row.z1, row.z2, row.z3], dtype=np.float64)
    g = geometry()
    return int(np.linalg.norm(z - g["centres"][j]) < g["radii"][j])


@slicing_function()
def region_1(row: Any) -> int:
    """z in B_1 (its rule is the base rule flipped)."""
    return _in_region(row, 0)


@slicing_function()
def region_2(row: Any) -> int:
    """z in B_2."""
    return _in_region(row, 1)


@slicing_function()
def region_3(row: Any) -> int:
    """z in B_3."""
    return _in_region(row, 2)


#: The slice functions, in order; `SLICE_FUNCTIONS[:n_tail]` matches `make_latent_slices(n_tail=...)`.
SLICE_FUNCTIONS = (region_1, region_2, region_3)


class LatentSlices(DatasetLoader):
    """The latent-region benchmark: train/valid/test with X (the noisy view), y and items (the raw
    latent z0..z3, for the slice functions in this module only)."""

    class Params(WeasulParams):
        n_train: int = Field(4000, ge=10)
        n_valid: int = Field(2000, ge=10)
        n_test: int = Field(4000, ge=10)
        noise: float = Field(0.1, ge=0, description="std of the Gaussian noise on the observed view")
        seed: int = 0

    params: Params

    @classmethod
    def examples(cls) -> list[DatasetLoader]:
        return [cls(n_train=200, n_valid=50, n_test=200)]

    def load(self) -> Dataset:
        p = self.params
        splits = {}
        for offset, (name, n) in enumerate((("train", p.n_train), ("valid", p.n_valid), ("test", p.n_test))):
            X, y, Z = make_latent_slices(n, noise=p.noise, seed=3 * p.seed + offset)
            splits[name] = Split(y=y, X=X, items=items_frame(Z))
        return Dataset("slice-latent", splits, ("0", "1"))
