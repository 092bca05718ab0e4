"""Grouped multi-view images of procedurally drawn objects (a stand-in for the ShapeNet renders).

Each category is an outline family given by a radial profile r(phi) (disc, triangle, square,
five-point star, cross, clover, pentagon, eight-point star, crescent-like lobe, ring); each object
identity perturbs its category's profile (aspect ratio, two random low-frequency bumps; optionally
a grey level); each view draws the identity at a rotation, scale and position. White-on-black values
in [0, 1], (n, 1, size, size). A group is all views of one identity (the paper groups K = 3 views
of one object; the model cuts the groups into tuples of K).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from weasul.errors import DataError

__all__ = ["CATEGORIES", "GREY", "SCALE", "SHIFT", "ObjectViews", "make_objects"]

#: Default view ranges: scale of the object (image widths per object unit) and the largest shift
#: of its centre (image widths). Narrow, as the paper's renders of size-normalised, centred
#: ShapeNet objects whose views vary in azimuth and elevation (wider ranges let the views swamp
#: the categories: README, "Data").
SCALE = (0.32, 0.38)
SHIFT = 0.03
#: Range of an identity's grey level. One level for all, as the paper's renders of ShapeNet
#: models without material data in a single lighting condition; a brightness per identity is a
#: group-invariant factor across the categories that the mixture clusters on (README, "Data").
GREY = (1.0, 1.0)

CATEGORIES = (
    "disc",
    "triangle",
    "square",
    "star5",
    "cross",
    "clover",
    "pentagon",
    "star8",
    "lobe",
    "ring",
)


def _polygon(phi: np.ndarray, n: int) -> np.ndarray:
    sector = 2 * np.pi / n
    return np.asarray(np.cos(np.pi / n) / np.cos(np.mod(phi, sector) - sector / 2))


def _profile(category: int, phi: np.ndarray) -> np.ndarray:
    """Outer radius (in object units, at most ~1) of the category's outline at angle phi."""
    if category == 0:
        return np.full_like(phi, 0.85)
    if category == 1:
        return _polygon(phi, 3)
    if category == 2:
        return np.asarray(0.9 * _polygon(phi, 4))
    if category == 3:
        return np.asarray(0.45 + 0.55 * np.abs(np.cos(2.5 * phi)) ** 3)
    if category == 4:
        return np.asarray(0.3 + 0.7 * np.abs(np.cos(2 * phi)) ** 12)
    if category == 5:
        return np.asarray(0.55 + 0.45 * np.cos(3 * phi))
    if category == 6:
        return np.asarray(0.95 * _polygon(phi, 5))
    if category == 7:
        return np.asarray(0.55 + 0.45 * np.abs(np.cos(4 * phi)) ** 2)
    if category == 8:
        return np.asarray(0.35 + 0.6 * (0.5 + 0.5 * np.cos(phi)) ** 2)
    return np.full_like(phi, 0.95)


@dataclass(frozen=True)
class ObjectViews:
    """Images (n, 1, size, size) float32, category and identity labels, and group ids (= identity)."""

    images: np.ndarray
    categories: np.ndarray
    identities: np.ndarray

    @property
    def groups(self) -> np.ndarray:
        return self.identities


def make_objects(
    n_categories: int,
    identities_per_category: int,
    views: int,
    *,
    size: int = 32,
    seed: int = 0,
    scale: tuple[float, float] = SCALE,
    shift: float = SHIFT,
    aspect: tuple[float, float] = (0.65, 1.0),
    grey: tuple[float, float] = GREY,
) -> ObjectViews:
    """`identities_per_category` objects per category, each drawn in `views` random views: a
    rotation (full turn), a scale drawn from `scale` (object units per image width) and a shift
    of the centre of up to `shift` image widths; each identity has a grey level drawn from `grey`."""
    if not 2 <= n_categories <= len(CATEGORIES):
        raise DataError(f"n_categories must be between 2 and {len(CATEGORIES)}, got {n_categories}")
    if identities_per_category < 1 or views < 1 or size < 8:
        raise DataError("identities_per_category and views must be at least 1, size at least 8")
    rng = np.random.default_rng(seed)
    grid = (np.arange(size) + 0.5) / size
    gx, gy = np.meshgrid(grid, grid)
    n = n_categories * identities_per_category * views
    images = np.zeros((n, 1, size, size), dtype=np.float32)
    cats = np.repeat(np.arange(n_categories), identities_per_category * views)
    idents = np.repeat(np.arange(n_categories * identities_per_category), views)
    row = 0
    for cat in range(n_categories):
        for _ in range(identities_per_category):
            squash = rng.uniform(*aspect)
            freq = rng.integers(1, 3, size=2)
            amp = rng.uniform(0.0, 0.12, size=2)
            phase = rng.uniform(0, 2 * np.pi, size=2)
            level = rng.uniform(*grey)
            for _ in range(views):
                angle = rng.uniform(0, 2 * np.pi)
                zoom = rng.uniform(*scale)
                cx, cy = rng.uniform(0.5 - shift, 0.5 + shift, size=2)
                dx, dy = (gx - cx) / zoom, (gy - cy) / zoom
                u = (np.cos(angle) * dx + np.sin(angle) * dy) / squash
                v = -np.sin(angle) * dx + np.cos(angle) * dy
                rho, phi = np.hypot(u, v), np.arctan2(v, u)
                outer = _profile(cat, phi) * (
                    1 + (amp[:, None, None] * np.cos(freq[:, None, None] * phi + phase[:, None, None])).sum(0)
                )
                inside = rho <= outer
                if cat == len(CATEGORIES) - 1:  # ring: a hole in the middle
                    inside &= rho >= 0.5
                images[row, 0] = level * inside
                row += 1
    return ObjectViews(images, cats, idents)
