"""Structure learning without labels (Bach, He, Ratner & Ré, ICML 2017).

For each LF j, maximise the *marginal pseudo-likelihood* of its votes given all other LFs,
with the true class summed out:

    log p(lambda_j | lambda_{-j}) = log sum_y exp E(lambda_j, lambda_{-j}, y)
                                    - log sum_{s, y} exp E(s, lambda_{-j}, y)

where E holds the accuracy factors of every LF, LF j's propensity factor, and one candidate
factor of each searched type between j and every other LF (both directions for the
asymmetric types). An L1 penalty on the candidate weights makes them sparse; candidates whose
weight magnitude exceeds `threshold` are returned. As in Snorkel 0.6's `DependencySelector`,
the L1 strength defaults to the threshold. Each per-LF problem is solved to convergence with
L-BFGS-B (the L1 term through the usual split into positive and negative parts) instead of
Snorkel's 10 epochs of truncated SGD. All sums over rows are sparse matrix products.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from weasul.errors import SpecError
from weasul.progress import track
from weasul.validation import check_label_matrix, infer_n_classes

from weasul_factor_graph._inference import logsumexp
from weasul_factor_graph.factors import DEPENDENCY_TYPES, SYMMETRIC_TYPES, accuracy_table, dependency_table

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["learn_structure", "pseudolikelihood_weights", "STRUCTURE_TYPES"]

_log = logging.getLogger(__name__)

#: The types Bach et al. (2017) / Snorkel 0.6 search with `higher_order=True`, used by the paper.
STRUCTURE_TYPES: tuple[str, ...] = ("similar", "fixing", "reinforcing")


def _check_types(types: Sequence[str]) -> tuple[str, ...]:
    types = tuple(types)
    if not types:
        raise SpecError("types is empty; give at least one dependency type to search")
    for t in types:
        if t not in DEPENDENCY_TYPES:
            raise SpecError(f"unknown dependency type {t!r}; types are {', '.join(DEPENDENCY_TYPES)}")
    if len(set(types)) != len(types):
        raise SpecError(f"types {list(types)} repeat a type")
    return types


class _Problem:
    """The pseudo-likelihood of one LF, vectorised over unique rows of the label matrix."""

    def __init__(
        self, rows: np.ndarray, weights: np.ndarray, onehots: list[Any], slots: list[tuple[str, bool]], k: int
    ):
        self.rows, self.k, self.s = rows, k, k + 1
        self.n, self.m = rows.shape
        self.w = weights / weights.sum()
        self.onehots = onehots  # per non-abstain state b: CSR (n, m) indicator rows[:, k] == b
        self.onehots_t = [oh.T.tocsr() for oh in onehots]
        self.A = accuracy_table(k)
        # each slot's table oriented [s_target, s_other, y]
        self.O = np.stack(
            [
                dependency_table(t, k) if incoming else dependency_table(t, k).transpose(1, 0, 2)
                for t, incoming in slots
            ]
        )
        self.n_slots = len(slots)

    def solve(
        self, j: int, l1: float, l2: float, prior: float, propensity: bool, max_iter: int
    ) -> np.ndarray:
        """(n_slots, m) fitted candidate weights between j and every LF (column j is 0)."""
        from scipy.optimize import minimize

        m, ns = self.m, self.n_slots
        target = self.rows[:, j]
        mask = np.ones(m)
        mask[j] = 0.0
        n_dep = ns * m
        n_head = m + (1 if propensity else 0)
        cov = np.clip((target != 0) @ self.w, 1e-3, 1 - 1e-3)
        x0 = np.zeros(n_head + 2 * n_dep)
        x0[:m] = prior
        if propensity:
            x0[m] = np.log(cov / (1 - cov)) - np.log(np.exp(prior) + (self.k - 1) * np.exp(-prior))
        onehot_target = (target[:, None] == np.arange(self.s)[None, :]).astype(float)  # (n, S)
        votes_s = (np.arange(self.s) != 0).astype(float)

        def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
            acc = x[:m]
            prop = x[m] if propensity else 0.0
            theta = (x[n_head : n_head + n_dep] - x[n_head + n_dep :]).reshape(ns, m) * mask[None, :]
            G = np.einsum("tk,tsby->ksby", theta, self.O)  # (m, S, S, K)
            # energy E[i, s, y]
            E = np.broadcast_to(
                acc[j] * self.A + prop * votes_s[:, None] + G[:, :, 0, :].sum(axis=0),
                (self.n, self.s, self.k),
            ).copy()
            acc_m = acc * mask
            for b, oh in enumerate(self.onehots, start=1):
                E += (oh @ acc_m)[:, None, None] * self.A[b][None, None, :]
                delta = (G[:, :, b, :] - G[:, :, 0, :]).reshape(m, -1)
                E += (oh @ delta).reshape(self.n, self.s, self.k)
            lse_all = logsumexp(E, axis=(1, 2))
            E_obs = E[np.arange(self.n), target]  # (n, K)
            lse_obs = logsumexp(E_obs, axis=1)
            loglik = float(self.w @ (lse_obs - lse_all))
            # R = w * (data distribution over (s, y) - model distribution)
            q_obs = np.exp(E_obs - lse_obs[:, None])
            R = -np.exp(E - lse_all[:, None, None])
            R += onehot_target[:, :, None] * q_obs[:, None, :]
            R *= self.w[:, None, None]
            g_acc = np.zeros(m)
            g_acc[j] = np.einsum("isy,sy->", R, self.A)
            r = R.sum(axis=1)  # (n, K)
            flatR = R.reshape(self.n, -1)
            gG = np.zeros((m, self.s, self.s, self.k))
            total = R.sum(axis=0)  # (S, K)
            for b, oh_t in enumerate(self.onehots_t, start=1):
                g_acc += (oh_t @ r) @ self.A[b] * mask
                gG[:, :, b, :] = (oh_t @ flatR).reshape(m, self.s, self.k)
            gG[:, :, 0, :] = total[None] - gG[:, :, 1:, :].sum(axis=2)
            g_theta = np.einsum("ksby,tsby->tk", gG, self.O) * mask[None, :]
            grad = np.concatenate([g_acc, [float(np.einsum("isy,s->", R, votes_s))] if propensity else []])
            value = -loglik + 0.5 * l2 * float((acc - prior) @ (acc - prior)) + l1 * float(x[n_head:].sum())
            g_head = -grad
            g_head[:m] += l2 * (acc - prior)
            g_dep = -g_theta.reshape(-1)
            return value, np.concatenate([g_head, g_dep + l1, -g_dep + l1])

        bounds = [(None, None)] * n_head + [(0.0, None)] * (2 * n_dep)
        result = minimize(
            objective,
            x0,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": max_iter, "ftol": 1e-10},
        )
        x = result.x
        return cast(
            np.ndarray, (x[n_head : n_head + n_dep] - x[n_head + n_dep :]).reshape(ns, m) * mask[None, :]
        )


def pseudolikelihood_weights(
    L: Any,
    *,
    types: Sequence[str] = STRUCTURE_TYPES,
    l1: float = 0.05,
    l2: float = 1e-2,
    accuracy_prior: float = 0.7,
    propensity: bool = True,
    n_classes: int | None = None,
    max_iter: int = 300,
) -> dict[tuple[str, int, int], float]:
    """Every candidate dependency's weight from the per-LF pseudo-likelihood problems.

    A candidate (type, j, k) is estimated in LF j's and in LF k's problem; the estimate with the
    larger magnitude is kept. Keys follow the package convention (for asymmetric types k acts
    on j; symmetric types have j < k).
    """
    types = _check_types(types)
    if l1 < 0 or l2 < 0:
        raise SpecError("l1 and l2 must be >= 0")
    L = check_label_matrix(L, n_classes=n_classes, allow_silent_sources=True)
    k = infer_n_classes(L, n_classes)
    from scipy import sparse

    S = L + 1
    rows, counts = np.unique(S, axis=0, return_counts=True)
    onehots = [sparse.csr_matrix((rows == b).astype(float)) for b in range(1, k + 1)]
    slots: list[tuple[str, bool]] = []
    for t in types:
        slots.append((t, True))
        if t not in SYMMETRIC_TYPES:
            slots.append((t, False))
    problem = _Problem(rows, counts.astype(float), onehots, slots, k)
    m = L.shape[1]
    best: dict[tuple[str, int, int], float] = {}
    for j in track(range(m), total=m, desc="structure learning"):
        theta = problem.solve(j, l1, l2, accuracy_prior, propensity, max_iter)
        for (t, incoming), weights in zip(slots, theta, strict=True):
            for other in range(m):
                if other == j:
                    continue
                if t in SYMMETRIC_TYPES:
                    key = (t, min(j, other), max(j, other))
                else:
                    key = (t, j, other) if incoming else (t, other, j)
                value = float(weights[other])
                if abs(value) > abs(best.get(key, 0.0)):
                    best[key] = value
                else:
                    best.setdefault(key, value)
    return best


def learn_structure(
    L: Any,
    *,
    types: Sequence[str] = STRUCTURE_TYPES,
    threshold: float = 0.05,
    l1: float | None = None,
    l2: float = 1e-2,
    accuracy_prior: float = 0.7,
    propensity: bool = True,
    n_classes: int | None = None,
    max_iter: int = 300,
) -> pd.DataFrame:
    """Dependencies learned from `L` (n, m) alone (Bach et al. 2017), strongest first.

    Returns a DataFrame with columns type, j, k, weight: every candidate of `types` whose
    pseudo-likelihood weight has magnitude above `threshold`. `l1` defaults to `threshold`
    (Snorkel 0.6's coupling: a lower threshold also regularises less, so more dependencies
    are returned). Raises DataError for a malformed `L`, SpecError for unknown types.
    """
    import pandas as pd

    if threshold < 0:
        raise SpecError(f"threshold must be >= 0, got {threshold}")
    weights = pseudolikelihood_weights(
        L,
        types=types,
        l1=threshold if l1 is None else l1,
        l2=l2,
        accuracy_prior=accuracy_prior,
        propensity=propensity,
        n_classes=n_classes,
        max_iter=max_iter,
    )
    rows = [
        {"type": t, "j": j, "k": k, "weight": w} for (t, j, k), w in weights.items() if abs(w) > threshold
    ]
    table = pd.DataFrame(rows, columns=["type", "j", "k", "weight"])
    if len(table):
        table = table.reindex(table["weight"].abs().sort_values(ascending=False, kind="stable").index)
        table = table.reset_index(drop=True)
    _log.info(
        "structure learning kept %d of %d candidates (threshold %.3g)", len(table), len(weights), threshold
    )
    return table
