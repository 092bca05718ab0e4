"""Disentanglement metrics for encoders: MIG and group-MIG on latents with known factors.

MIG (Chen et al. 2018): for each ground-truth factor v_k, the gap between the two latent
dimensions most informative about it, I(z_j*; v_k) - I(z_j**; v_k), divided by H(v_k), averaged
over factors. group-MIG (Tran et al., WeaSuL 2021): latent dimensions and factors are split into
groups (e.g. content and non-content); the gap is between the most informative dimension *of the
factor's own group* and the most informative dimension of any other group. A perfectly
disentangled code scores 1 on both. Mutual information is estimated on latents discretised into
`bins` equal-width bins (the convention of Locatello et al. 2019), with scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from weasul.errors import DataError

__all__ = ["discretize", "mutual_information", "mig", "group_mig"]


def discretize(z: np.ndarray, bins: int = 20) -> np.ndarray:
    """(n, d) latents as (n, d) ints in 0..bins-1, equal-width bins per dimension."""
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 2 or not np.isfinite(z).all():
        raise DataError(f"latents must be a finite (n, d) array, got shape {z.shape}")
    out = np.zeros(z.shape, dtype=np.int64)
    for j in range(z.shape[1]):
        edges = np.histogram_bin_edges(z[:, j], bins=bins)
        out[:, j] = np.digitize(z[:, j], edges[1:-1])
    return out


def mutual_information(z: np.ndarray, factors: np.ndarray, bins: int = 20) -> np.ndarray:
    """(d, K): I(z_j; v_k) in nats for every latent dimension j and factor k."""
    from sklearn.metrics import mutual_info_score

    factors = _check_factors(factors, len(z))
    codes = discretize(z, bins)
    mi = np.array(
        [[mutual_info_score(factors[:, k], codes[:, j]) for k in range(factors.shape[1])] for j in range(codes.shape[1])]
    )
    return mi


def _entropies(factors: np.ndarray) -> np.ndarray:
    from sklearn.metrics import mutual_info_score

    return np.array([mutual_info_score(factors[:, k], factors[:, k]) for k in range(factors.shape[1])])


def _check_factors(factors: np.ndarray, n: int) -> np.ndarray:
    factors = np.asarray(factors)
    if factors.ndim == 1:
        factors = factors[:, None]
    if factors.ndim != 2 or len(factors) != n:
        raise DataError(f"factors must be (n, K) with n = {n} rows, got shape {factors.shape}")
    return factors


def mig(z: np.ndarray, factors: np.ndarray, bins: int = 20) -> float:
    """Mutual information gap, in [0, 1]; needs at least two latent dimensions."""
    factors = _check_factors(factors, len(z))
    mi = mutual_information(z, factors, bins)
    if mi.shape[0] < 2:
        raise DataError("MIG needs at least two latent dimensions")
    top = np.sort(mi, axis=0)[::-1]
    h = _entropies(factors)
    keep = h > 0
    return float(np.mean((top[0, keep] - top[1, keep]) / h[keep]))


def group_mig(
    z: np.ndarray,
    factors: np.ndarray,
    latent_groups: Sequence[int] | npt.ArrayLike,
    factor_groups: Sequence[int] | npt.ArrayLike,
    bins: int = 20,
) -> float:
    """group-MIG: `latent_groups[j]` is the group of latent dimension j, `factor_groups[k]` the
    group of factor k (e.g. 0 = content, 1 = non-content)."""
    factors = _check_factors(factors, len(z))
    lg, fg = np.asarray(latent_groups), np.asarray(factor_groups)
    if len(lg) != np.asarray(z).shape[1] or len(fg) != factors.shape[1]:
        raise DataError("latent_groups needs one entry per latent dimension, factor_groups one per factor")
    mi = mutual_information(z, factors, bins)
    h = _entropies(factors)
    gaps = []
    for k in range(factors.shape[1]):
        own, other = mi[lg == fg[k], k], mi[lg != fg[k], k]
        if h[k] == 0 or own.size == 0:
            continue
        gaps.append((own.max() - (other.max() if other.size else 0.0)) / h[k])
    return float(np.mean(gaps)) if gaps else 0.0
