"""dSprites-like images from known factors, in pairs that share chosen factors.

dSprites itself is not available here, so the images are drawn from the same factors: shape
(square, ellipse, heart), scale, orientation, x and y position, white on black, 64 x 64. The
colour variant adds an object hue and a background hue (RGB), for factors like 3DShapes'.
Each item belongs to a group; the two items of a group share the `shared` factors and draw
the others independently, which is the match-pairing weak supervision of the paper.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from weasul.errors import DataError

__all__ = ["FACTORS", "COLOUR_FACTORS", "SpriteSet", "render", "make_pairs"]

#: Factor name -> number of values (dSprites: 3 shapes, 6 scales, 40 orientations, 32 x 32 positions).
FACTORS = {"shape": 3, "scale": 6, "orientation": 10, "x": 16, "y": 16}
#: Extra factors of the colour variant.
COLOUR_FACTORS = {"object_hue": 6, "background_hue": 6}


@dataclass(frozen=True)
class SpriteSet:
    """Images (n, C, size, size) float32 in [0, 1], factor values (n, K), their names, group ids."""

    images: np.ndarray
    factors: np.ndarray
    factor_names: tuple[str, ...]
    groups: np.ndarray
    shared: tuple[str, ...]

    @property
    def content(self) -> np.ndarray:
        """1 for each factor the pairs share (content), 0 for the others."""
        return np.array([int(name in self.shared) for name in self.factor_names])


def _inside(shape: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    inside: np.ndarray
    if shape == 0:  # square
        inside = (np.abs(u) <= 0.8) & (np.abs(v) <= 0.8)
    elif shape == 1:  # ellipse, elongated so that orientation shows
        inside = u**2 + (v / 0.55) ** 2 <= 1.0
    else:  # heart: (x^2 + y^2 - 1)^3 - x^2 y^3 <= 0, scaled into the unit box
        x, y = u * 1.25, -v * 1.25 + 0.15
        inside = (x**2 + y**2 - 1) ** 3 - x**2 * y**3 <= 0
    return inside


def _hue(h: float) -> np.ndarray:
    """An RGB colour of hue h in [0, 1) at full saturation."""
    k = (np.array([5.0, 3.0, 1.0]) + h * 6.0) % 6.0
    return 1.0 - np.clip(np.minimum(k, 4.0 - k), 0.0, 1.0)


def render(values: np.ndarray, names: tuple[str, ...], size: int = 64) -> np.ndarray:
    """Draw one image per row of factor `values`; (n, C, size, size) float32."""
    index = {name: i for i, name in enumerate(names)}
    colour = "object_hue" in index
    grid = (np.arange(size) + 0.5) / size
    gx, gy = np.meshgrid(grid, grid)
    out = np.zeros((len(values), 3 if colour else 1, size, size), dtype=np.float32)
    for row, v in enumerate(values):
        scale = 0.10 + 0.03 * v[index["scale"]]
        angle = 2 * np.pi * v[index["orientation"]] / FACTORS["orientation"] / 4  # a quarter turn in steps
        margin = 0.1 + scale
        cx = margin + (1 - 2 * margin) * v[index["x"]] / (FACTORS["x"] - 1)
        cy = margin + (1 - 2 * margin) * v[index["y"]] / (FACTORS["y"] - 1)
        dx, dy = (gx - cx) / scale, (gy - cy) / scale
        u = np.cos(angle) * dx + np.sin(angle) * dy
        w = -np.sin(angle) * dx + np.cos(angle) * dy
        mask = _inside(int(v[index["shape"]]), u, w)
        if colour:
            obj = _hue(v[index["object_hue"]] / COLOUR_FACTORS["object_hue"])
            back = 0.5 * _hue(v[index["background_hue"]] / COLOUR_FACTORS["background_hue"] + 0.5 / 6)
            out[row] = np.where(mask[None], obj[:, None, None], back[:, None, None])
        else:
            out[row, 0] = mask
    return out


def make_pairs(
    n_pairs: int,
    *,
    shared: tuple[str, ...] = ("shape", "scale"),
    colour: bool = False,
    size: int = 64,
    seed: int = 0,
) -> SpriteSet:
    """`n_pairs` pairs (2 * n_pairs images); the two images of a pair share the `shared` factors."""
    factors = {**FACTORS, **(COLOUR_FACTORS if colour else {})}
    names = tuple(factors)
    unknown = sorted(set(shared) - set(names))
    if unknown or not shared or len(shared) == len(names):
        raise DataError(f"shared must be a proper, non-empty subset of {list(names)}; got {list(shared)}")
    if n_pairs < 1:
        raise DataError(f"n_pairs must be at least 1, got {n_pairs}")
    rng = np.random.default_rng(seed)
    sizes = np.array([factors[name] for name in names])
    first = rng.integers(0, sizes, size=(n_pairs, len(names)))
    second = rng.integers(0, sizes, size=(n_pairs, len(names)))
    keep = np.array([name in shared for name in names])
    second[:, keep] = first[:, keep]
    values = np.empty((2 * n_pairs, len(names)), dtype=np.int64)
    values[0::2], values[1::2] = first, second
    groups = np.repeat(np.arange(n_pairs), 2)
    return SpriteSet(render(values, names, size), values, names, groups, tuple(shared))
