"""Triplet method: closed-form label model for binary tasks (Fu et al. 2020, FlyingSquid).

FlyingSquid recovers the mean parameters of a latent-variable model from triplets of
conditionally independent sources: if E[x_i x_j] = a_i a_j for every pair, then
|a_i| = sqrt(|E[x_i x_j] E[x_i x_k] / E[x_j x_k]|) in closed form, with no iterations.

We apply the triplet identity to the centred vote indicators psi_(j,c) = [lambda_j == c]
(c = 0, 1), whose covariances across different sources are rank one when sources are
independent given Y: Cov(psi_a, psi_b) = u_a u_b with u_a = Cov(psi_a, Y) / sd(Y). Unlike
FlyingSquid's "both vote" moments this stays valid when *whether* a source votes depends on
the class (e.g. a labeling function that only ever votes "spam"), which is the common case
in WRENCH-style data. For each column, |u_a| is the median (or mean) over every pair of
columns (b, c) of two other sources; signs follow the sign pattern of the covariance, and the
overall sign makes the sources better than chance on average. With the class prior p:

    P(psi_a = 1, Y = 1) = E[psi_a] p_1 + u_a sd(Y),   P(psi_a = 1, Y = 0) = E[psi_a] p_0 - u_a sd(Y)

and the posterior is the naive-Bayes product over the sources that vote (abstains are
uninformative at prediction time, as in Snorkel). Cost: one (2m, 2m) Gram product of the
indicator matrix (chunked float32 BLAS) plus O(m * max_partners^2) for the triplets (each
column uses its `max_partners` most strongly co-varying partners).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from pydantic import Field
from weasul.data import ExpertLabels
from weasul.errors import DataError
from weasul.interfaces import LabelModel, LabelModelParams
from weasul.statistics import Statistics
from weasul.validation import check_label_matrix, is_sparse

from weasul_baselines._common import (
    check_fit_matrix,
    compress_rows,
    resolve_prior,
    vote_counts,
)
from weasul_baselines._statistics import FromStatistics, check_sources, vote_entries

if TYPE_CHECKING:
    from typing import Self

__all__ = ["Triplet"]

_log = logging.getLogger(__name__)

_CHUNK = 262_144


def _onehot(block: np.ndarray) -> np.ndarray:
    """(rows, 2m) float32: column 2j + c is 1 where source j votes c."""
    n, m = block.shape
    out = np.zeros((n, 2 * m), dtype=np.float32)
    out[:, 0::2] = block == 0
    out[:, 1::2] = block == 1
    return out


def _moments_sums(L: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum of psi (2m,) and psi^T diag(w) psi (2m, 2m) over the rows of L weighted by w, in
    chunks of float32 BLAS (exact for 0/1 columns and integer weights)."""
    m = L.shape[1]
    G = np.zeros((2 * m, 2 * m))
    s = np.zeros(2 * m)
    for start in range(0, L.shape[0], _CHUNK):
        psi = _onehot(L[start : start + _CHUNK])
        wb = w[start : start + _CHUNK]
        G += (psi.T @ (psi * wb[:, None].astype(np.float32))).astype(np.float64)
        s += wb @ psi.astype(np.float64)
    return s, G


def _sparse_moments(S: Any, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum of psi (2m,) and psi^T diag(w) psi (2m, 2m) of a CSR partition (stored class + 1)."""
    from scipy import sparse

    n, m = S.shape
    rows, cols, vals = vote_entries(S)
    psi = sparse.csr_matrix((np.ones(rows.size), (rows, 2 * cols + vals)), shape=(n, 2 * m))
    return np.asarray(psi.T @ w).ravel(), np.asarray((psi.T @ sparse.diags(w) @ psi).toarray())


def _partition_statistics(L: Any, w: np.ndarray) -> dict[str, np.ndarray]:
    """Summable statistics of rows `L` (dense or CSR) weighted by `w`: the majority-vote class
    shares (`_vote_share_prior`), co-voting counts (`_check_overlap`), sum of psi and its Gram."""
    counts = vote_counts(L, 2)
    covered = counts.sum(axis=1) > 0
    top = counts[covered] == counts[covered].max(axis=1, keepdims=True)
    if is_sparse(L):
        total, gram = _sparse_moments(L, w)
        V = L.astype(bool).astype(np.float64)
        co = np.asarray((V.T @ V.multiply(w[:, None])).toarray())
    else:
        total, gram = _moments_sums(L, w)
        V = (L != -1).astype(np.float64)
        co = V.T @ (V * w[:, None])
    return {
        "rows": np.array(w.sum()),
        "covered_rows": np.array(w[covered].sum()),
        "mv_share": w[covered] @ (top / top.sum(axis=1, keepdims=True)),
        "co_votes": co,
        "psi_sum": total,
        "psi_gram": gram,
    }


def _vote_share_prior(stats: dict[str, np.ndarray]) -> np.ndarray:
    """Class balance from the majority vote on rows with a vote (ties split evenly), shrunk
    towards uniform by 5% and kept within [0.05, 0.95]: the triplet moments do not identify it."""
    if float(stats["covered_rows"]) == 0:
        return np.array([0.5, 0.5])
    share = stats["mv_share"] / stats["covered_rows"]
    p1 = float(np.clip(0.95 * share[1] + 0.025, 0.05, 0.95))
    return np.array([1 - p1, p1])


def _check_overlap(co: np.ndarray, min_share: float) -> None:
    """Refuse crowd-like matrices where few source pairs vote on the same items."""
    m = co.shape[0]
    share = float((co[np.triu_indices(m, 1)] >= 20).mean())
    if share < min_share:
        raise DataError(
            f"triplet: only {share:.1%} of source pairs vote together on 20 or more items (needs "
            f"{min_share:.0%}); with so little overlap the triplet moments measure which items each "
            "source saw, not how often it is right, so accuracies cannot be identified. Use "
            "dawid-skene, weighted-vote or auto, which need no co-voting triples"
        )


class Triplet(FromStatistics, LabelModel):
    """FlyingSquid's closed-form triplet label model (binary; sources independent given Y).

    Learned state: `cond_` (m, 2, 2) P(lambda_j = vote | y) for y, vote in {0, 1}, and
    `accuracies_` (m,) P(vote == y | the source votes) under the class prior. The class prior is
    `class_prior` or, when omitted, the majority vote's class shares on rows with a vote (shrunk
    5% towards uniform). Rows where every source abstains get the class prior. Raises DataError
    for K != 2, a zero in `class_prior`, and matrices where too few source pairs vote on the
    same items (`min_overlap`; crowd-like data).

    Fits from partition statistics (`weasul.statistics`: one pass of summed moments, the
    in-memory `fit` runs the same pass on one partition) and streams with `partial_fit`;
    partitions may be scipy.sparse (stored class + 1).
    """

    class Params(LabelModelParams):
        min_cov: float = Field(
            1e-3,
            ge=0,
            lt=1,
            description="skip pairs whose |correlation| is below this (unstable denominators)",
        )
        aggregate: str = Field(
            "median", pattern="^(median|mean)$", description="how triplet estimates combine"
        )
        clip: float = Field(1e-4, gt=0, lt=0.5, description="lower bound of P(vote | y)")
        min_overlap: float = Field(
            0.2,
            ge=0,
            le=1,
            description="refuse L when fewer than this share of source pairs vote together on 20+ items",
        )
        max_partners: int = Field(
            48,
            ge=2,
            description="per column, the most strongly co-varying columns of other sources used as "
            "triplet partners (bounds the cost at m * max_partners^2 for hundreds of sources)",
        )

    params: Params

    @classmethod
    def examples(cls) -> list[Triplet]:
        return [cls(n_classes=2), cls(n_classes=2, aggregate="mean", class_prior=[0.4, 0.6])]

    def fit(
        self, L: np.ndarray, *, y_dev: np.ndarray | None = None, expert: ExpertLabels | None = None
    ) -> Self:
        """Estimate every source's accuracy from triplets of sources. Raises DataError on a
        malformed `L`, K != 2, or fewer than three sources."""
        if self.params.n_classes not in (None, 2):
            raise DataError(
                f"triplet is for binary tasks; n_classes={self.params.n_classes}: use dawid-skene or auto"
            )
        L, k = check_fit_matrix(L, self.params.n_classes)
        if k != 2:
            raise DataError(
                f"triplet is for binary tasks but L has labels up to {k - 1}; use matrix-completion"
            )
        return self._fit_in_memory(L, k)

    # --- statistics (weasul.statistics.FitsFromStatistics) ------------------------------
    # One pass: the majority-vote class shares, co-voting counts of source pairs, and the sum
    # and Gram matrix of the one-hot votes psi (the triplet moments); the rest is closed form.
    def _start(self, n_sources: int, n_classes: int) -> Statistics:
        if n_classes != 2:
            raise DataError(f"triplet is for binary tasks; n_classes={n_classes}: use dawid-skene or auto")
        if n_sources < 3:
            raise DataError(f"triplet needs at least 3 sources, L has {n_sources}")
        prior = resolve_prior(self.params.class_prior, 2)
        return {
            "n_classes": np.array(2),
            "n_sources": np.array(n_sources),
            "fixed_prior": np.zeros(0) if prior is None else prior,
        }

    def _statistics_of(self, prepared: Any, state: Mapping[str, np.ndarray]) -> Statistics:
        if is_sparse(prepared):
            return _partition_statistics(prepared, np.ones(prepared.shape[0]))
        patterns, w, _ = compress_rows(prepared, 2)
        return _partition_statistics(patterns, w)

    def update_from_statistics(
        self, summed: Mapping[str, np.ndarray], state: Mapping[str, np.ndarray]
    ) -> tuple[Statistics, bool]:
        """The triplet estimates from the summed moments (closed form: done in one pass)."""
        stats = {key: np.asarray(value) for key, value in summed.items()}
        partial = "partial" in state
        check_sources(np.diag(stats["co_votes"])[:, None], float(stats["rows"]), partial=partial)
        fixed = state["fixed_prior"]
        prior = _vote_share_prior(stats) if fixed.size == 0 else fixed
        if prior.min() <= 0:
            raise DataError(
                f"triplet: class_prior {prior.tolist()} gives a class probability 0; the triplet "
                "moments are covariances with Y, which vanish when one class never occurs, so no "
                "accuracy can be identified. Give both classes a positive prior, or, if one class "
                "truly never occurs, there is nothing to label"
            )
        _check_overlap(stats["co_votes"], self.params.min_overlap)
        n = stats["rows"]
        mean = stats["psi_sum"] / n
        cond = self._estimate(mean, stats["psi_gram"] / n - np.outer(mean, mean), prior)
        return {**state, "prior": prior, "cond": cond}, True

    def finish_from_statistics(self, state: Mapping[str, np.ndarray]) -> Self:
        """Set `cond_`, `accuracies_` and `class_prior_` from the final state."""
        prior = np.asarray(state["prior"], dtype=np.float64)
        cond = np.asarray(state["cond"], dtype=np.float64)  # (source, vote, y)
        acc = (cond[:, 1, 1] * prior[1] + cond[:, 0, 0] * prior[0]) / np.maximum(
            cond[:, 1, 1] * prior[1]
            + cond[:, 0, 0] * prior[0]
            + cond[:, 1, 0] * prior[0]
            + cond[:, 0, 1] * prior[1],
            1e-12,
        )
        self.n_classes_ = 2
        self.n_sources_ = int(state["n_sources"])
        self.class_prior_ = prior
        self.accuracies_ = acc
        self.cond_ = cond.transpose(0, 2, 1)  # (m, y, vote)
        return self

    def _estimate(self, mean: np.ndarray, C: np.ndarray, prior: np.ndarray) -> np.ndarray:
        """(m, vote, y) P(lambda_j = vote | y) from E[psi] (2m,) and Cov(psi) (2m, 2m)."""
        d = mean.size
        m = d // 2
        source = np.repeat(np.arange(m), 2)
        var = np.diag(C)
        live = var > 1e-12
        other = (source[:, None] != source[None, :]) & live[:, None] & live[None, :]
        absC = np.abs(C)
        floor = self.params.min_cov * np.sqrt(np.outer(var, var))  # ignore near-zero denominators
        usable = other & (absC > floor)
        u = np.full(d, np.nan)
        cap = self.params.max_partners
        for a in np.flatnonzero(live):  # loop over columns, vectorised over pairs (b, c)
            partners = np.flatnonzero(usable[a])
            if partners.size > cap:  # the strongest covariances give the most stable ratios
                partners = partners[np.argsort(-absC[a, partners], kind="stable")[:cap]]
            pair = usable[np.ix_(partners, partners)]
            if not pair.any():
                continue
            ca = absC[a, partners]
            est = np.outer(ca, ca)[pair] / absC[np.ix_(partners, partners)][pair]
            u[a] = np.sqrt(np.median(est) if self.params.aggregate == "median" else est.mean())
        if np.all(np.isnan(u)):
            raise DataError(
                "triplet: no three sources co-vary enough to estimate accuracies; use majority-vote"
            )
        silent = np.isnan(u)
        if (silent & live).any():
            _log.warning(
                "triplet: %d vote column(s) co-vary too little with the others; treated as uninformative",
                (silent & live).sum(),
            )
        u = np.nan_to_num(u, nan=0.0)
        # signs: the leading eigenvector of the off-source covariance, then majority agreement
        off = np.where(other, C, 0.0)
        sign = np.sign(np.linalg.eigh(off)[1][:, -1])
        sign[sign == 0] = 1.0
        for _ in range(5):
            new = np.sign(off @ (sign * u))
            new[new == 0] = 1.0
            if np.array_equal(new, sign):
                break
            sign = new
        u = u * sign
        # overall sign: sources better than chance on average (vote 1 with Y = 1, vote 0 with Y = 0)
        if u[1::2].sum() - u[0::2].sum() < 0:
            u = -u
        sd_y = np.sqrt(prior[0] * prior[1])
        joint = np.empty((d, 2))
        joint[:, 1] = mean * prior[1] + u * sd_y
        joint[:, 0] = mean * prior[0] - u * sd_y
        cond = np.clip(joint / prior[None, :], self.params.clip, 1.0)  # P(psi_a = 1 | y)
        return cast(np.ndarray, cond.reshape(m, 2, 2))  # (source, vote, y)

    def predict_proba(self, L: np.ndarray) -> np.ndarray:
        """(n, 2) posterior; the class prior on rows with no vote."""
        self.check_fitted()
        L = check_label_matrix(
            L, n_classes=2, n_sources=self.n_sources_, allow_silent_sources=True, allow_no_votes=True
        )
        L, _, inverse = compress_rows(L, 2)
        log_cond = np.log(self.cond_)  # (m, y, vote)
        # log-odds contribution of each source for vote 0 and vote 1
        w = (log_cond[:, 1, :] - log_cond[:, 0, :]).astype(np.float64)  # (m, vote)
        logit = np.full(L.shape[0], np.log(self.class_prior_[1] / self.class_prior_[0]))
        for start in range(0, L.shape[0], _CHUNK):
            block = L[start : start + _CHUNK]
            contrib = np.where(block == 1, w[:, 1][None, :], np.where(block == 0, w[:, 0][None, :], 0.0))
            logit[start : start + _CHUNK] += contrib.sum(axis=1)
        p1 = 1.0 / (1.0 + np.exp(-logit))
        return cast(np.ndarray, np.column_stack([1.0 - p1, p1])[inverse])
