"""Small generated inputs with known structure for the conformance checks."""

from __future__ import annotations

from typing import Any

import numpy as np

from weasul.plugin import Plugin

__all__ = ["n_classes_of", "label_matrix", "features", "texts", "inputs_for", "slices"]

_WORDS = ("apple", "river", "engine", "protein", "market", "goal", "virus", "court", "novel", "orbit")


def n_classes_of(plugin: Plugin) -> int:
    k = getattr(plugin.params, "n_classes", None)
    return int(k) if k else 2


def label_matrix(n: int = 300, m: int = 5, k: int = 2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """L (n, m) from sources with accuracy 0.8 and coverage 0.6, and the gold y."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    wrong = (y[:, None] + rng.integers(1, k, (n, m))) % k
    votes = np.where(rng.random((n, m)) < 0.8, y[:, None], wrong)
    L = np.where(rng.random((n, m)) < 0.6, votes, -1)
    L[0] = -1  # one all-abstain row, which every model must handle
    return L.astype(np.int64), y


def features(n: int = 120, d: int = 6, k: int = 2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs, one per class, with a few far outliers in the last rows."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    centers = rng.normal(0, 3, (k, d))
    X = centers[y] + rng.normal(0, 1, (n, d))
    return X, y


def texts(n: int = 40, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(_WORDS, size=6)) for _ in range(n)]


def slices(n: int, seed: int = 0) -> np.ndarray:
    """(n, 3) membership: base slice plus two tail slices with members."""
    rng = np.random.default_rng(seed)
    S = np.zeros((n, 3), dtype=np.int64)
    S[:, 0] = 1
    S[:, 1] = rng.random(n) < 0.2
    S[:, 2] = rng.random(n) < 0.15
    S[:3, 1] = S[3:6, 2] = 1
    return S


def inputs_for(plugin: Any, seed: int = 0) -> Any:
    """Items of the kind the plugin takes (`input_kind`): texts or a feature matrix."""
    if getattr(plugin, "input_kind", "features") == "text":
        return texts(seed=seed)
    return features(seed=seed)[0]
