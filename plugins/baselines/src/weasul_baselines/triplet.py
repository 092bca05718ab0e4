"""Triplet method: closed-form label model for binary tasks (Fu et al. 2020, FlyingSquid).

Write each vote as s = +1 (class 1) or -1 (class 0) and Y the same way. For sources i, j, k
that are conditionally independent given Y (and abstain independently of Y), the second
moments on the rows where both vote factor as

    M_ij = E[s_i s_j | i, j vote] = a_i a_j,   a_i = E[s_i Y | i votes]

so |a_i| = sqrt(|M_ij M_ik / M_jk|) for any triplet; we take the median over every triplet
(j, k) whose pairs overlap on at least `min_overlap` items. Signs: a_i > 0 for the sources the
majority agrees with (sources are assumed better than chance on average). With the class
prior (mean E[Y]) and the observed E[s_i | i votes], the mean parameters give the joint table
of (s_i, Y) in closed form, P(s, y) = (1 + s E[s_i] + y E[Y] + s y a_i) / 4, and the
posterior is the naive-Bayes product over the sources that vote. No iterations, no learning
rate; the cost is one (m, m) Gram product of the label matrix plus O(m^3) for the triplets.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from weasul.data import ExpertLabels
from weasul.errors import DataError
from weasul.interfaces import LabelModel, LabelModelParams

from weasul_baselines._common import check_fit_matrix, check_predict_matrix, require_fitted, resolve_prior

if TYPE_CHECKING:
    from typing import Self

__all__ = ["Triplet"]

_log = logging.getLogger(__name__)

_CHUNK = 262_144


def _gram(L: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sums over rows, in chunks (float32 BLAS): s^T s, v^T v, per-source vote counts and sum of s."""
    m = L.shape[1]
    S = np.zeros((m, m))
    N = np.zeros((m, m))
    counts = np.zeros(m)
    sums = np.zeros(m)
    for start in range(0, L.shape[0], _CHUNK):
        block = L[start : start + _CHUNK]
        v = (block != -1).astype(np.float32)
        s = v * (2 * block - 1).astype(np.float32)
        S += (s.T @ s).astype(np.float64)
        N += (v.T @ v).astype(np.float64)
        counts += v.sum(axis=0, dtype=np.float64)
        sums += s.sum(axis=0, dtype=np.float64)
    return S, N, counts, sums


class Triplet(LabelModel):
    """FlyingSquid's closed-form triplet label model (binary; sources independent given Y).

    Learned state: `accuracies_` (m,) a_i = E[s_i Y | i votes] in [-1, 1] and `cond_` (m, 2, 2)
    P(vote | y) for y in {0, 1}, vote in {0, 1}. The class prior is `class_prior` or uniform.
    Rows where every source abstains get the class prior. Raises DataError for K != 2.
    """

    class Params(LabelModelParams):
        min_overlap: int = Field(5, ge=1, description="items two sources must both label to form a pair")
        aggregate: str = Field("median", pattern="^(median|mean)$", description="how triplet estimates combine")
        clip: float = Field(0.01, gt=0, lt=0.5, description="keep P(vote | y) in [clip, 1 - clip]")

    @classmethod
    def examples(cls) -> list[Triplet]:
        return [cls(n_classes=2), cls(n_classes=2, aggregate="mean", class_prior=[0.4, 0.6])]

    def fit(self, L: np.ndarray, *, y_dev: np.ndarray | None = None, expert: ExpertLabels | None = None) -> Self:
        """Estimate every source's accuracy from triplets of sources. Raises DataError on a
        malformed `L`, K != 2, or fewer than three sources."""
        if self.params.n_classes not in (None, 2):
            raise DataError(f"triplet is for binary tasks; n_classes={self.params.n_classes}")
        L, k = check_fit_matrix(L, self.params.n_classes)
        if k != 2:
            raise DataError(f"triplet is for binary tasks but L has labels up to {k - 1}; use matrix-completion")
        n, m = L.shape
        if m < 3:
            raise DataError(f"triplet needs at least 3 sources, L has {m}")
        prior = resolve_prior(self.params.class_prior, 2)
        prior = np.array([0.5, 0.5]) if prior is None else prior
        S, N, counts, sums = _gram(L)
        ok = N >= self.params.min_overlap
        np.fill_diagonal(ok, False)
        M = np.where(ok, S / np.maximum(N, 1), 0.0)
        usable = ok & (np.abs(M) > 1e-3)
        absM = np.abs(M)
        acc = np.full(m, np.nan)
        for i in range(m):  # loop over sources, vectorised over the (j, k) pairs
            pair = usable[i][:, None] & usable[i][None, :] & usable
            np.fill_diagonal(pair, False)
            if not pair.any():
                continue
            est = np.outer(absM[i], absM[i])[pair] / absM[pair]
            est = np.sqrt(np.minimum(est, 1.0))
            acc[i] = np.median(est) if self.params.aggregate == "median" else est.mean()
        if np.all(np.isnan(acc)):
            raise DataError(
                "triplet: no three sources overlap enough to estimate accuracies; "
                "lower min_overlap or use majority-vote"
            )
        missing = np.isnan(acc)
        if missing.any():
            _log.warning("triplet: %d source(s) overlap too little with the others; treated as uninformative", missing.sum())
        acc = np.nan_to_num(acc, nan=0.0)
        # signs: agree with the sign pattern of M against the sources assumed accurate
        sign = np.sign(np.sum(np.where(usable, np.sign(M) * acc[None, :], 0.0), axis=1))
        sign[sign == 0] = 1.0
        acc = acc * sign
        mean_s = np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)
        mean_y = prior[1] - prior[0]
        # joint P(s, y) of a voting source, s, y in {-1, +1} -> index 0 (class 0), 1 (class 1)
        sv = np.array([-1.0, 1.0])
        joint = (
            1
            + sv[None, :, None] * mean_s[:, None, None]
            + sv[None, None, :] * mean_y
            + sv[None, :, None] * sv[None, None, :] * acc[:, None, None]
        ) / 4.0  # (m, s, y)
        joint = np.maximum(joint, 1e-12)
        cond = joint / joint.sum(axis=1, keepdims=True)  # P(s | y, votes)
        cond = np.clip(cond, self.params.clip, 1 - self.params.clip)
        self.n_classes_ = 2
        self.n_sources_ = m
        self.class_prior_ = prior
        self.accuracies_ = acc
        self.cond_ = cond.transpose(0, 2, 1)  # (m, y, vote)
        return self

    def predict_proba(self, L: np.ndarray) -> np.ndarray:
        """(n, 2) posterior; the class prior on rows with no vote."""
        require_fitted(self)
        L = check_predict_matrix(L, 2, self.n_sources_)
        log_cond = np.log(self.cond_)  # (m, y, vote)
        # log-odds contribution of each source for vote 0 and vote 1
        w = (log_cond[:, 1, :] - log_cond[:, 0, :]).astype(np.float64)  # (m, vote)
        logit = np.full(L.shape[0], np.log(self.class_prior_[1] / self.class_prior_[0]))
        for start in range(0, L.shape[0], _CHUNK):
            block = L[start : start + _CHUNK]
            contrib = np.where(block == 1, w[:, 1][None, :], np.where(block == 0, w[:, 0][None, :], 0.0))
            logit[start : start + _CHUNK] += contrib.sum(axis=1)
        p1 = 1.0 / (1.0 + np.exp(-logit))
        return np.column_stack([1.0 - p1, p1])
