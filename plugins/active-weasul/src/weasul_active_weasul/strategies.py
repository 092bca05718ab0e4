"""Query strategies of Active WeaSuL (Biegel et al., 2021) and its baselines.

All strategies except `random` work on *buckets*: the distinct rows of the label matrix. They
score every bucket, take the best bucket (ties broken at random) and query a random unlabelled
item of it. With `batch > 1` they go round the buckets in score order, one item per bucket per
round. Their randomness is seeded by `(seed, number of items already asked)`, so a loop that is
restarted from the answers in a label store asks the same next item as one that never stopped.

- `maxkl`: KL divergence between the model's p(y | bucket) and the expert estimate
  q(y | bucket) (paper Eq. 5-7); buckets without expert labels use the rounded estimate of
  the model before any expert label, and q is capped to [eps, 1 - eps].
- `margin`: the bucket whose probabilistic label is closest to the decision boundary.
- `random-bucket`: a uniformly random bucket (the paper's "random" sampling of Fig. 6).
- `random`: a uniformly random unlabelled item.
- `nashaat`: Nashaat et al. (2019): the most uncertain bucket among those whose LFs disagree.
"""

from __future__ import annotations

import logging
from typing import ClassVar

import numpy as np
from pydantic import Field
from weasul.data import QueryState
from weasul.errors import DataError
from weasul.interfaces import QueryParams, QueryStrategy
from weasul.validation import check_label_matrix

from weasul_active_weasul._buckets import Buckets, bucket_means, bucketize

__all__ = ["MaxKL", "Margin", "RandomBucket", "RandomItems", "NashaatQuery", "BucketParams", "expert_counts"]

_log = logging.getLogger(__name__)


class BucketParams(QueryParams):
    """Parameters of the bucket strategies."""

    skip_all_abstain: bool = Field(
        True, description="query items on which every LF abstains only when nothing else is left"
    )


def expert_counts(buckets: Buckets, labelled: dict[int, int], n_classes: int) -> np.ndarray:
    """(B, K) number of expert answers of each class per bucket (declined answers, -1, skipped)."""
    counts = np.zeros((len(buckets), n_classes))
    if labelled:
        idx = np.fromiter(labelled.keys(), dtype=np.int64, count=len(labelled))
        lab = np.fromiter(labelled.values(), dtype=np.int64, count=len(labelled))
        ok = (lab >= 0) & (lab < n_classes) & (idx >= 0) & (idx < buckets.inverse.size)
        np.add.at(counts, (buckets.inverse[idx[ok]], lab[ok]), 1.0)
    return counts


class _BucketStrategy(QueryStrategy):
    """Shared selection: score buckets, order them, pick random free items round-robin."""

    Params: ClassVar[type[BucketParams]] = BucketParams
    params: BucketParams

    def bucket_scores(self, state: QueryState, buckets: Buckets, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(scores, tier) per bucket: lower tier first, then higher score first."""
        raise NotImplementedError

    def _rng(self, state: QueryState) -> np.random.Generator:
        return np.random.default_rng([self.params.seed, len(state.labelled)])

    def select(self, state: QueryState, budget: int) -> np.ndarray:
        L = check_label_matrix(state.L, name="state.L", allow_silent_sources=True)
        n = len(L)
        probs = np.asarray(state.probs)
        if probs.ndim != 2 or probs.shape[0] != n or probs.shape[1] < 2:
            raise DataError(f"state.probs has shape {probs.shape}; expected ({n}, K) for state.L of {n} items")
        if not np.issubdtype(probs.dtype, np.number):
            raise DataError(f"state.probs has dtype {probs.dtype}; pass class probabilities (numbers in [0, 1])")
        taken = np.zeros(n, dtype=bool)
        if state.labelled:
            idx = np.fromiter(state.labelled.keys(), dtype=np.int64, count=len(state.labelled))
            taken[idx[(idx >= 0) & (idx < n)]] = True
        budget = int(min(budget, n - int(taken.sum())))
        if budget <= 0:
            return np.zeros(0, dtype=np.int64)
        rng = self._rng(state)
        buckets = bucketize(L)
        B = len(buckets)
        free = buckets.counts - np.bincount(buckets.inverse[taken], minlength=B)
        P = bucket_means(buckets, probs)
        if not np.all(np.isfinite(P)) or P.min() < -1e-6 or P.max() > 1 + 1e-6:
            raise DataError("state.probs has NaN, inf or values outside [0, 1]; pass class probabilities")
        scores, tier = self.bucket_scores(state, buckets, P)
        tier = np.asarray(tier, dtype=np.int64).copy()
        if self.params.skip_all_abstain:
            tier[(buckets.patterns == -1).all(axis=1)] = tier.max() + 1
        scores = np.where(np.isfinite(scores), scores, -np.inf)
        order = np.lexsort((rng.random(B), -scores, tier))
        order = order[free[order] > 0]
        if budget == 1:
            first = int(order[0])
            members = np.flatnonzero((buckets.inverse == first) & ~taken)
            return np.array([rng.choice(members)], dtype=np.int64)
        return _round_robin(buckets.inverse, taken, order, budget, rng)


def _round_robin(inverse: np.ndarray, taken: np.ndarray, order: np.ndarray, budget: int, rng: np.random.Generator) -> np.ndarray:
    """One random free item per bucket in `order`, then a second round, ... until `budget`."""
    rank = np.full(int(inverse.max()) + 1, np.iinfo(np.int64).max, dtype=np.int64)
    rank[order] = np.arange(order.size)
    rows = np.flatnonzero(~taken)
    r = rank[inverse[rows]]
    rows, r = rows[r < order.size], r[r < order.size]
    by_bucket = np.lexsort((rng.random(rows.size), r))
    rows, r = rows[by_bucket], r[by_bucket]
    starts = np.r_[0, np.flatnonzero(np.diff(r)) + 1]
    position = np.arange(rows.size) - np.repeat(starts, np.diff(np.r_[starts, rows.size]))
    final = np.lexsort((r, position))[:budget]
    picked: np.ndarray = rows[final].astype(np.int64)
    return picked


class MaxKL(_BucketStrategy):
    """maxKL divergence sampling (paper Sec. 3.3): query where the model and the experts disagree most."""

    class Params(BucketParams):
        epsilon: float = Field(
            0.01, gt=0, lt=0.5,
            description="q is capped to [e, 1 - e] with e = epsilon / max(1, expert labels in the bucket)",
        )
        p_floor: float = Field(1e-5, gt=0, lt=0.5, description="the model's p is clipped to [p_floor, 1 - p_floor]")
        shrink_epsilon: bool = Field(
            False, description="divide epsilon by the bucket's number of expert labels (as the authors' code)"
        )

    params: Params

    def _initial_classes(self, state: QueryState, buckets: Buckets, P: np.ndarray, answered: bool) -> np.ndarray:
        """Per bucket, round(p_{t=0}(y | bucket)): the model's class before any expert label."""
        initial = getattr(state.model, "initial_proba", None)
        if callable(initial):
            try:
                classes: np.ndarray = np.asarray(initial(buckets.patterns)).argmax(axis=1)
                return classes
            except Exception as err:  # a model that cannot answer falls back to the cache
                _log.debug("initial_proba failed: %s", err)
        cache: dict[bytes, int] = self.__dict__.setdefault("_initial", {})
        keys = [row.tobytes() for row in np.ascontiguousarray(buckets.patterns, dtype=np.int64)]
        current = P.argmax(axis=1)
        if not answered:
            cache.update(zip(keys, current.tolist(), strict=False))
        elif not all(k in cache for k in keys):
            _log.warning("maxkl: no estimate from before the first expert label; using the current model")
        return np.array([cache.get(k, int(c)) for k, c in zip(keys, current, strict=False)], dtype=np.int64)

    def bucket_scores(self, state: QueryState, buckets: Buckets, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = P.shape[1]
        counts = expert_counts(buckets, state.labelled, k)
        n_expert = counts.sum(axis=1)
        initial = self._initial_classes(state, buckets, P, bool(n_expert.sum()))
        q = np.where(n_expert[:, None] > 0, counts / np.maximum(n_expert, 1)[:, None], np.eye(k)[initial])
        eps = np.full(len(n_expert), self.params.epsilon)
        if self.params.shrink_epsilon:
            eps /= np.maximum(n_expert, 1)
        q = np.clip(q, eps[:, None], 1 - eps[:, None])
        q /= q.sum(axis=1, keepdims=True)
        floor = self.params.p_floor
        p = np.clip(P, floor, 1 - floor)
        p /= p.sum(axis=1, keepdims=True)
        kl = (p * np.log(p / q)).sum(axis=1)
        return kl, np.zeros(len(kl), dtype=np.int64)


def _margin(P: np.ndarray) -> np.ndarray:
    top = np.sort(P, axis=1)
    margin: np.ndarray = top[:, -1] - top[:, -2]
    return margin


class Margin(_BucketStrategy):
    """Margin sampling over buckets: the probabilistic label closest to the decision boundary."""

    def bucket_scores(self, state: QueryState, buckets: Buckets, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return -_margin(P), np.zeros(len(P), dtype=np.int64)


class RandomBucket(_BucketStrategy):
    """A uniformly random bucket, then a random item of it."""

    def bucket_scores(self, state: QueryState, buckets: Buckets, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(len(P)), np.zeros(len(P), dtype=np.int64)


class NashaatQuery(_BucketStrategy):
    """Nashaat et al. (2019): most uncertain bucket among those with conflicting LF votes.

    Pair it with the `nashaat` label model, which corrects the LF votes of answered items.
    """

    def bucket_scores(self, state: QueryState, buckets: Buckets, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pat = buckets.patterns
        voted = np.where(pat >= 0, pat, np.iinfo(np.int64).max)
        lowest = voted.min(axis=1)
        highest = np.where(pat >= 0, pat, -1).max(axis=1)
        conflict = (highest >= 0) & (lowest != highest)
        return -_margin(P), np.where(conflict, 0, 1)


class RandomItems(QueryStrategy):
    """Plain random sampling of unlabelled items (active learning's simplest baseline)."""

    Params: ClassVar[type[QueryParams]] = QueryParams
    params: QueryParams

    def select(self, state: QueryState, budget: int) -> np.ndarray:
        L = check_label_matrix(state.L, name="state.L", allow_silent_sources=True)
        free = np.ones(len(L), dtype=bool)
        if state.labelled:
            idx = np.fromiter(state.labelled.keys(), dtype=np.int64, count=len(state.labelled))
            free[idx[(idx >= 0) & (idx < len(L))]] = False
        rows = np.flatnonzero(free)
        size = int(min(max(budget, 0), rows.size))
        rng = np.random.default_rng([self.params.seed, len(state.labelled)])
        return np.sort(rng.choice(rows, size=size, replace=False)).astype(np.int64) if size else np.zeros(0, np.int64)


