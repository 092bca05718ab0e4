"""Dawid-Skene: EM on one confusion matrix per source (Dawid & Skene 1979).

Source j gives output c for an item of class y with probability pi_j[y, c], items are
independent, and classes have prior p. EM alternates the posterior
T[i, y] ∝ p_y prod_j pi_j[y, lambda_ij] (E) and the expected counts
pi_j[y, c] ∝ pseudo-counts + sum_{i: lambda_ij = c} T[i, y] (M).

With `model_abstain=True` (default) "abstain" is one of the outputs (column K of pi_j), as
labeling functions that only ever vote one class carry their information in *when* they
vote; with `model_abstain=False` only votes count (the crowdsourcing form).

Everything runs on the list of votes (a sparse (n, m*K) indicator matrix): the abstain terms
are one per-class constant minus the sources that did vote, so the cost is proportional to
the number of votes, not n * m, and hundreds of crowd workers who each label a few items are
cheap. EM starts from the majority-vote posterior, which also fixes the
labelling of classes (no label switching).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from pydantic import Field
from weasul.data import ExpertLabels
from weasul.interfaces import LabelModel, LabelModelParams
from weasul.validation import check_label_matrix

from weasul_baselines._common import (
    check_fit_matrix,
    compress_rows,
    resolve_prior,
)

if TYPE_CHECKING:
    from typing import Self

__all__ = ["DawidSkene"]

_log = logging.getLogger(__name__)


def _vote_matrix(L: np.ndarray, n_classes: int) -> Any:
    """(n, m*K) CSR with a 1 at (i, j*K + c) where source j votes c on item i."""
    from scipy import sparse

    n, m = L.shape
    rows, cols = np.nonzero(L != -1)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    data = np.ones(rows.size)
    return sparse.csr_matrix((data, cols * n_classes + L[rows, cols], indptr), shape=(n, m * n_classes))


def _posterior(A: Any, log_pi: np.ndarray, log_prior: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-normalised posterior and per-row log normaliser.

    log_pi: (m, K_y, K_out) with K_out = K (votes only) or K + 1 (last column: abstain)."""
    m, k, k_out = log_pi.shape
    votes = log_pi[:, :, :k]
    if k_out > k:
        # every source abstains by default; a vote swaps its abstain term for the vote's
        votes = votes - log_pi[:, :, k:]
        log_prior = log_prior + log_pi[:, :, k].sum(axis=0)
    W = votes.transpose(0, 2, 1).reshape(m * k, k)  # row j*K + c -> log pi_j[:, c]
    logits = np.asarray(A @ W) + log_prior[None, :]
    top = logits.max(axis=1, keepdims=True)
    T = np.exp(logits - top)
    s = T.sum(axis=1, keepdims=True)
    T /= s
    return T, (np.log(s) + top).ravel()


class DawidSkene(LabelModel):
    """EM estimate of per-source confusion matrices; sparse-friendly (cost ∝ number of votes).

    Learned state: `confusion_` (m, K, K or K+1) P(output c | y) per source, last column =
    abstain when `model_abstain`. Class prior: `class_prior` when given (kept fixed), otherwise
    learned by EM. Rows where every source abstains get the class prior (not the posterior of
    "everyone abstained"). `y_dev` is not used.
    """

    class Params(LabelModelParams):
        max_iter: int = Field(100, ge=1, le=10000, description="EM iterations at most")
        tol: float = Field(1e-6, gt=0, description="stop when the mean log-likelihood gains less")
        smoothing: float = Field(
            0.01, ge=0, description="Dirichlet pseudo-count added to each confusion-matrix cell"
        )
        diagonal_prior: float = Field(
            1.0, ge=0, description="extra pseudo-count on the diagonal (sources better than chance)"
        )
        model_abstain: bool = Field(True, description="treat abstain as an output whose rate may depend on y")

    params: Params

    @classmethod
    def examples(cls) -> list[DawidSkene]:
        return [cls(n_classes=2), cls(n_classes=3, max_iter=5)]

    def fit(
        self, L: np.ndarray, *, y_dev: np.ndarray | None = None, expert: ExpertLabels | None = None
    ) -> Self:
        """Run EM on `L` (n, m), -1 = abstain. Raises DataError on a malformed `L`."""
        L, k = check_fit_matrix(L, self.params.n_classes)
        m = L.shape[1]
        L, w, _ = compress_rows(L, k)  # EM once per distinct vote pattern, weighted by its count
        n = L.shape[0]
        fixed_prior = resolve_prior(self.params.class_prior, k)
        A = _vote_matrix(L, k)
        covered = np.asarray(A.sum(axis=1)).ravel() > 0
        # E-step stand-in: majority-vote shares (counts per class via A and a fold over sources)
        counts = np.asarray(A @ np.tile(np.eye(k), (m, 1)))
        T = np.where(covered[:, None], counts / np.maximum(counts.sum(axis=1, keepdims=True), 1), 1.0 / k)
        prior = fixed_prior if fixed_prior is not None else w[covered] @ T[covered] / w[covered].sum()
        k_out = k + 1 if self.params.model_abstain else k
        pseudo = self.params.smoothing + self.params.diagonal_prior * np.eye(k, k_out)  # (K_y, K_out)
        rows_used = np.ones(n, dtype=bool) if self.params.model_abstain else covered
        wu = w[rows_used]
        At = A.T.tocsr()
        last = -np.inf
        n_iter = 0
        for _ in range(self.params.max_iter):
            n_iter += 1
            # M-step: expected counts of (source j votes c, class y)
            C = np.zeros((m, k, k_out))
            Tw = T * w[:, None]
            C[:, :, :k] = np.asarray(At @ Tw).reshape(m, k, k).transpose(0, 2, 1)  # (m, y, c)
            if k_out > k:
                C[:, :, k] = Tw.sum(axis=0)[None, :] - C[:, :, :k].sum(axis=2)
            C = np.maximum(C, 0.0) + pseudo[None]
            pi = C / C.sum(axis=2, keepdims=True)
            if fixed_prior is None:
                prior = np.clip(wu @ T[rows_used] / wu.sum(), 1e-6, None)
                prior /= prior.sum()
            log_pi = np.log(pi)
            T, lognorm = _posterior(A, log_pi, np.log(prior))
            ll = float(wu @ lognorm[rows_used] / wu.sum())
            if ll - last < self.params.tol:
                break
            last = ll
        _log.debug("dawid-skene: %d EM iterations, mean log-likelihood %.6f", n_iter, last)
        self.n_classes_ = k
        self.n_sources_ = m
        self.class_prior_ = prior
        self.confusion_ = pi
        self.n_iter_ = n_iter
        return self

    def predict_proba(self, L: np.ndarray) -> np.ndarray:
        """(n, K) posterior P(y | votes); the class prior on rows with no vote."""
        self.check_fitted()
        L = check_label_matrix(
            L, n_classes=self.n_classes_, n_sources=self.n_sources_, allow_silent_sources=True, allow_no_votes=True
        )
        patterns, _, inverse = compress_rows(L, self.n_classes_)
        A = _vote_matrix(patterns, self.n_classes_)
        T, _ = _posterior(A, np.log(self.confusion_), np.log(self.class_prior_))
        empty = np.diff(A.indptr) == 0
        T[empty] = self.class_prior_
        return cast(np.ndarray, T[inverse])
