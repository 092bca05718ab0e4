"""`query_strategies/ranked`: ask about items in a given order, e.g. an error finder's ranking."""

from __future__ import annotations

import numpy as np
from pydantic import Field
from weasul.data import QueryState
from weasul.errors import DataError
from weasul.interfaces import QueryParams, QueryStrategy
from weasul.plugin import Plugin

from weasul_confident.steps import ReviewStep

__all__ = ["RankedQuery"]


class RankedQuery(QueryStrategy):
    """The unlabelled items of `ranked` in its order (e.g. confident learning's likely label
    errors, most likely first), then the least confident of the rest (lowest top probability),
    items some source votes on before those where every source abstains.

    Its step is one review round (`ReviewStep`): a spec wires `ranked` from an error finder.
    """

    class Params(QueryParams):
        ranked: list[int] = Field(
            description="item indices, first asked first; a spec wires an error finder's ranked"
        )

    params: Params
    step = ReviewStep

    @classmethod
    def examples(cls) -> list[Plugin]:
        return [cls(ranked=[17, 3, 150, 3, 42, 8, 99, 0])]

    def select(self, state: QueryState, budget: int) -> np.ndarray:
        """Up to `budget` distinct unlabelled indices into `state.L`: ranked ones first.

        Raises:
            DataError: a pool that is not (n, m), probabilities that are not (n, K), or a
                ranked index outside the pool.
        """
        L = np.asarray(state.L)
        if L.ndim != 2:
            raise DataError(f"state.L has shape {L.shape}; expected (n_items, n_sources)")
        n = len(L)
        probs = np.asarray(state.probs)
        if probs.ndim != 2 or len(probs) != n or not probs.shape[1]:
            raise DataError(f"state.probs has shape {probs.shape}; expected ({n}, K) for state.L of {n} items")
        ranked = np.asarray(self.params.ranked, dtype=np.int64)
        if ranked.size and (ranked.min() < 0 or ranked.max() >= n):
            raise DataError(f"ranked holds index {int(ranked.max())} but the pool has {n} items")
        _, first = np.unique(ranked, return_index=True)
        ranked = ranked[np.sort(first)]  # duplicates dropped, order kept
        open_ = np.ones(n, dtype=bool)
        if state.labelled:
            open_[np.fromiter(state.labelled, dtype=np.int64)] = False
        picked = ranked[open_[ranked]][:budget]
        if picked.size < budget:
            open_[picked] = False
            rest = np.flatnonzero(open_)
            confidence = probs[rest].max(axis=1)
            silent = ~(L[rest] != -1).any(axis=1) if L.shape[1] else np.zeros(rest.size, bool)
            order = np.lexsort((confidence, silent))  # voted-on items first, then the least confident
            picked = np.concatenate([picked, rest[order][: budget - picked.size]])
        return picked.astype(np.int64)
