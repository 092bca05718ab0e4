"""The paper's two evaluation tasks: invariant clustering accuracy and one-shot classification."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from weasul.errors import DataError

__all__ = ["clustering_accuracy", "one_shot_accuracy"]


def clustering_accuracy(labels: np.ndarray, clusters: np.ndarray) -> float:
    """Accuracy under the best one-to-one cluster-to-class assignment (Hungarian algorithm, Sec. 4.1.1)."""
    labels, clusters = np.asarray(labels), np.asarray(clusters)
    if labels.shape != clusters.shape or labels.ndim != 1 or len(labels) == 0:
        raise DataError(
            f"labels and clusters must be equal-length 1-d arrays; got {labels.shape}, {clusters.shape}"
        )
    classes, y = np.unique(labels, return_inverse=True)
    found, c = np.unique(clusters, return_inverse=True)
    counts = np.zeros((len(found), len(classes)), dtype=np.int64)
    np.add.at(counts, (c, y), 1)
    rows, cols = linear_sum_assignment(counts, maximize=True)
    return float(counts[rows, cols].sum() / len(labels))


def one_shot_accuracy(latent: np.ndarray, identities: np.ndarray, seed: int = 0) -> float:
    """One random gallery item per identity, the rest are probes; a probe is right when its cosine
    nearest gallery item has its identity (Sec. 4.1.2)."""
    latent, identities = np.asarray(latent, dtype=np.float64), np.asarray(identities)
    if latent.ndim != 2 or identities.shape != (len(latent),):
        raise DataError(
            f"latent must be (n, d) with one identity per row; got {latent.shape}, {identities.shape}"
        )
    rng = np.random.default_rng(seed)
    gallery = []
    for ident in np.unique(identities):
        gallery.append(rng.choice(np.flatnonzero(identities == ident)))
    gallery_idx = np.array(gallery)
    probe = np.setdiff1d(np.arange(len(latent)), gallery_idx)
    if len(probe) == 0:
        raise DataError("one-shot classification needs at least one identity with two or more items")
    unit = latent / np.maximum(np.linalg.norm(latent, axis=1, keepdims=True), 1e-12)
    nearest = np.argmax(unit[probe] @ unit[gallery_idx].T, axis=1)
    return float(np.mean(identities[gallery_idx][nearest] == identities[probe]))
