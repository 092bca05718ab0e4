"""Majority vote and weighted vote: the label models every other one must beat.

Tie-break policy (both models, parameter `tie_break`):

- `"lowest"` (default): among the classes with the most votes, the lowest class index wins.
  `predict_proba` returns the tied classes with equal probability and `predict` (argmax) takes
  the first of them.
- `"random"`: one of the tied classes is drawn from a hash of the row's votes and `seed`, so
  the same vote pattern always gets the same answer whatever its position in `L`.
  `predict_proba` gives the drawn class a 1e-6 edge over the others it tied with.

Rows where every source abstains get the class prior (`class_prior`, uniform when omitted);
when that prior itself ties, the same tie-break policy applies.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
from pydantic import Field
from weasul.data import ExpertLabels
from weasul.errors import DataError
from weasul.interfaces import LabelModel, LabelModelParams
from weasul.statistics import Statistics
from weasul.validation import check_label_matrix, check_labels, is_sparse

from weasul_baselines._common import (
    break_ties,
    check_fit_matrix,
    compress_rows,
    dense_rows,
    resolve_prior,
    vote_counts,
)
from weasul_baselines._statistics import (
    FromStatistics,
    check_sources,
    source_class_counts,
    vote_entries,
)

if TYPE_CHECKING:
    from typing import Self

__all__ = ["MajorityVote", "WeightedVote"]

_log = logging.getLogger(__name__)

TieBreak = Literal["lowest", "random"]
_EDGE = 1e-6


def _apply_tie_break(P: np.ndarray, L: np.ndarray, policy: str, seed: int) -> np.ndarray:
    """Give the randomly drawn class of each tied row a tiny edge; `lowest` needs nothing."""
    if policy == "lowest":
        return P
    top = P.max(axis=1, keepdims=True)
    tied_rows = np.flatnonzero(((P >= top - 1e-12).sum(axis=1)) > 1)
    if tied_rows.size == 0:
        return P
    step = max(1, 2**22 // max(L.shape[1], 1))  # dense blocks of rows: sparse L stays sparse
    pick = np.concatenate(
        [
            break_ties(P[block], dense_rows(L, block), seed, rtol=1e-12)
            for block in (tied_rows[i : i + step] for i in range(0, tied_rows.size, step))
        ]
    )
    P = P.copy()
    P[tied_rows, pick] += _EDGE
    P[tied_rows] /= P[tied_rows].sum(axis=1, keepdims=True)
    return P


def _others_vote(
    S: np.ndarray, rows: np.ndarray, vote: np.ndarray, w: np.ndarray, eps: float = 1e-9
) -> tuple[np.ndarray, np.ndarray]:
    """For each vote (row, class `vote`, weight `w` >= 0): the winner of the *other* sources'
    weighted vote and whether it is unique. S (n, K) holds every source's weighted votes; only
    each row's three largest scores are needed (cost O(n K), never O(votes x K))."""
    k = S.shape[1]
    if k >= 3:
        idx = np.argpartition(-S, 2, axis=1)[:, :3]
        vals = np.take_along_axis(S, idx, axis=1)
        order = np.argsort(-vals, axis=1, kind="stable")
        idx, vals = np.take_along_axis(idx, order, axis=1), np.take_along_axis(vals, order, axis=1)
    else:
        idx = np.argsort(-S, axis=1, kind="stable")
        vals = np.take_along_axis(S, idx, axis=1)
        idx = np.column_stack([idx, idx[:, -1]])
        vals = np.column_stack([vals, np.full(len(S), -np.inf)])
    c1, c2 = idx[rows, 0], idx[rows, 1]
    t1, t2, t3 = vals[rows, 0], vals[rows, 1], vals[rows, 2]
    on_top, on_second = vote == c1, (vote == c2) & (vote != c1)
    a = np.where(on_top, t1 - w, t1)  # the top class's score without this vote
    b = np.where(on_second, t2 - w, t2)  # the second's
    # winner: c1 unless this vote was what put it on top
    ref = np.where(b > a + eps, c2, c1)
    runner_up = np.maximum(np.minimum(a, b), t3)  # any class outside the top two scores <= t3
    return ref, np.maximum(a, b) > runner_up + eps


class MajorityVote(FromStatistics, LabelModel):
    """Each row's label is the class most sources vote for (abstains ignored).

    `predict_proba` returns the share of votes per class; rows with no vote get the class
    prior (uniform unless `class_prior` is given). See the module docstring for the tie-break
    policy. `fit` only checks `L` and records K and the number of sources.

    Fits from partition statistics (`weasul.statistics`: per-source vote counts, for the
    checks `fit` makes) and streams with `partial_fit`; `fit` and `predict_proba` accept a
    scipy.sparse L (stored value = class + 1) without densifying it.
    """

    class Params(LabelModelParams):
        tie_break: TieBreak = Field(
            "lowest", description="'lowest' class index among ties, or 'random' (seeded)"
        )

    params: Params

    @classmethod
    def examples(cls) -> list[MajorityVote]:
        return [cls(n_classes=2), cls(n_classes=3, tie_break="random", seed=3)]

    def fit(
        self, L: np.ndarray, *, y_dev: np.ndarray | None = None, expert: ExpertLabels | None = None
    ) -> Self:
        """Check `L` (n, m) and record K; majority vote learns nothing else.

        Raises DataError on a malformed `L` (wrong dtype, labels >= K, a silent source, one row).
        """
        L, k = check_fit_matrix(L, self.params.n_classes, accept_sparse=True)
        return self._fit_in_memory(L, k)

    # --- statistics (weasul.statistics.FitsFromStatistics) ------------------------------
    def _start(self, n_sources: int, n_classes: int) -> Statistics:
        prior = resolve_prior(self.params.class_prior, n_classes)
        return {
            "n_classes": np.array(n_classes),
            "n_sources": np.array(n_sources),
            "prior": np.full(n_classes, 1.0 / n_classes) if prior is None else prior,
        }

    def _statistics_of(self, prepared: Any, state: Mapping[str, np.ndarray]) -> Statistics:
        return {
            "rows": np.array(float(prepared.shape[0])),
            "votes": source_class_counts(prepared, int(state["n_classes"])),
        }

    def update_from_statistics(
        self, summed: Mapping[str, np.ndarray], state: Mapping[str, np.ndarray]
    ) -> tuple[Statistics, bool]:
        """Majority vote learns nothing: check the summed vote counts as `fit` checks L."""
        check_sources(summed["votes"], float(summed["rows"]), partial="partial" in state)
        return dict(state), True

    def finish_from_statistics(self, state: Mapping[str, np.ndarray]) -> Self:
        """Record K, the number of sources and the class prior."""
        self.n_classes_ = int(state["n_classes"])
        self.n_sources_ = int(state["n_sources"])
        self.class_prior_ = np.asarray(state["prior"], dtype=np.float64)
        return self

    def predict_proba(self, L: Any) -> np.ndarray:
        """(n, K) vote shares; the class prior on rows with no vote. `L` dense or scipy.sparse."""
        self.check_fitted()
        L = check_label_matrix(
            L,
            n_classes=self.n_classes_,
            n_sources=self.n_sources_,
            allow_silent_sources=True,
            allow_no_votes=True,
            accept_sparse=True,
        )
        counts = vote_counts(L, self.n_classes_)
        totals = counts.sum(axis=1, keepdims=True)
        P = np.where(totals > 0, counts / np.maximum(totals, 1.0), self.class_prior_[None, :])
        return _apply_tie_break(P, L, self.params.tie_break, self.params.seed)


class WeightedVote(FromStatistics, LabelModel):
    """Weighted vote: the naive-Bayes posterior under a one-accuracy-per-source model.

    Source j is right with probability a_j and otherwise votes one of the K-1 wrong classes
    uniformly, so P(y=c | votes) ∝ prior_c · exp(Σ_j w_j [λ_j = c]) with
    w_j = log(a_j (K-1) / (1 - a_j)).

    Where the accuracies come from, in order: `weights` (given directly, used as w_j), `y_dev`
    passed to `fit` (gold labels for the rows of `L`: a_j is the smoothed share of correct
    votes), or, with neither, each source's agreement with the weighted vote of the *other*
    sources, refined for `n_iter` rounds by re-weighting. A row counts for source j only when
    at least one other source votes there and the others' weighted vote has a single winner
    (ties among the others say nothing about j). Estimates are shrunk towards
    `prior_accuracy` with `smoothing` pseudo-votes, so a source compared on few rows keeps a
    better-than-chance weight instead of dropping to zero. Rows with no vote get the class prior.

    Fits from partition statistics (`weasul.statistics`: one pass per re-weighting round, or
    one pass with `weights`); `partial_fit` only with `weights` given (learned weights need
    every row each round); `y_dev` only in memory. `fit` (without `y_dev`) and
    `predict_proba` accept a scipy.sparse L (stored class + 1) without densifying it.
    """

    class Params(LabelModelParams):
        weights: list[float] | None = Field(
            None, description="log-odds weight per source; learned when omitted"
        )
        n_iter: int = Field(
            2,
            ge=1,
            le=100,
            description="re-weighting rounds when no gold is given (more rounds sharpen a dominant "
            "group of sources: trec2011 crowd 0.635, 0.617, 0.610 for 1, 2, 3 rounds)",
        )
        smoothing: float = Field(
            2.0, gt=0, description="pseudo-votes of the accuracy estimate, placed at prior_accuracy"
        )
        prior_accuracy: float = Field(
            0.7, gt=0, lt=1, description="accuracy a source is assumed to have before any comparison"
        )
        tie_break: TieBreak = Field(
            "lowest", description="'lowest' class index among ties, or 'random' (seeded)"
        )

    params: Params

    @classmethod
    def examples(cls) -> list[WeightedVote]:
        return [cls(n_classes=2), cls(n_classes=3, tie_break="random", seed=1)]

    def fit(
        self, L: np.ndarray, *, y_dev: np.ndarray | None = None, expert: ExpertLabels | None = None
    ) -> Self:
        """Estimate one log-odds weight per source (see the class docstring).

        y_dev: optional gold labels (n,) for the rows of `L`; when given, accuracies are measured.
        Raises DataError on a malformed `L` or `y_dev`, or `weights` of the wrong length.
        """
        if y_dev is None:
            L, k = check_fit_matrix(L, self.params.n_classes, accept_sparse=True)
            return self._fit_in_memory(L, k)
        L, k = check_fit_matrix(L, self.params.n_classes)
        n, m = L.shape
        state = self._start(m, k)
        if self.params.weights is not None:
            w = state["weights"]
        else:
            y = check_labels(y_dev, n_classes=k, n_items=n, name="y_dev")
            voted = L != -1
            s, a0 = self.params.smoothing, self.params.prior_accuracy
            correct = ((L == y[:, None]) & voted).sum(axis=0)
            acc = (correct + s * a0) / (voted.sum(axis=0) + s)
            w = self._log_odds(acc, k)
        self._stream = None
        return self.finish_from_statistics({**state, "weights": w})

    # --- statistics (weasul.statistics.FitsFromStatistics) ------------------------------
    # Without gold, each re-weighting round is one pass: a partition counts, per source, the
    # votes that agree with the other sources' weighted vote under the current weights, and
    # how many were compared. Given `weights`, one pass checks L. `y_dev` is in-memory only.
    def _streaming_refusal(self) -> str | None:
        if self.params.weights is not None:
            return None
        return (
            "learned weights need n_iter re-weighting passes over all rows; fit from partition "
            "statistics instead (weasul.statistics.fit_from_statistics with map_sum_over(chunks)), "
            "or give `weights`"
        )

    def _start(self, n_sources: int, n_classes: int) -> Statistics:
        prior = resolve_prior(self.params.class_prior, n_classes)
        if self.params.weights is not None:
            w = np.asarray(self.params.weights, dtype=np.float64)
            if w.shape != (n_sources,) or not np.all(np.isfinite(w)):
                raise DataError(
                    f"weights has {w.size} entries but L has {n_sources} sources; give one finite weight per source"
                )
        else:
            w = np.ones(n_sources)
        return {
            "n_classes": np.array(n_classes),
            "n_sources": np.array(n_sources),
            "prior": np.full(n_classes, 1.0 / n_classes) if prior is None else prior,
            "weights": w,
            "round": np.array(0),
        }

    def _prepare(self, L: Any, state: Mapping[str, np.ndarray]) -> Any:
        k = int(state["n_classes"])
        if is_sparse(L):
            patterns, counts = L, np.ones(L.shape[0])
        else:
            patterns, counts, _ = compress_rows(L, k)  # once per distinct vote pattern
        rows, cols, vals = vote_entries(patterns)
        n_votes = np.bincount(rows, minlength=patterns.shape[0])
        return patterns, counts, rows, cols, vals, n_votes[rows] > 1  # another source votes on the row

    def _statistics_of(self, prepared: Any, state: Mapping[str, np.ndarray]) -> Statistics:
        P, counts, rows, cols, vals, has_others = prepared
        k, m = int(state["n_classes"]), int(state["n_sources"])
        out: Statistics = {}
        if int(state["round"]) == 0:  # for the checks fit makes
            out = {"rows": np.array(counts.sum()), "votes": source_class_counts(P, k, counts)}
        if self.params.weights is None:
            w = state["weights"]
            ref, unique = _others_vote(vote_counts(P, k, w), rows, vals, w[cols])
            used = has_others & unique
            hits = (vals == ref)[used] * counts[rows[used]]
            out["agree"] = np.bincount(cols[used], weights=hits, minlength=m)
            out["total"] = np.bincount(cols[used], weights=counts[rows[used]], minlength=m)
        return out

    def update_from_statistics(
        self, summed: Mapping[str, np.ndarray], state: Mapping[str, np.ndarray]
    ) -> tuple[Statistics, bool]:
        """One re-weighting round from the summed agreement counts; done after `n_iter`
        rounds (after the checks of L when `weights` are given)."""
        if int(state["round"]) == 0:
            check_sources(summed["votes"], float(summed["rows"]), partial="partial" in state)
        new = dict(state)
        if self.params.weights is not None:
            return new, True
        s, a0 = self.params.smoothing, self.params.prior_accuracy
        acc = (summed["agree"] + s * a0) / (summed["total"] + s)
        # without gold a source is taken to be no worse than chance: agreement alone
        # cannot tell "these sources are adversarial" from "the others are"
        new["weights"] = np.maximum(self._log_odds(acc, int(state["n_classes"])), 0.0)
        new["round"] = np.array(int(state["round"]) + 1)
        return new, int(new["round"]) >= self.params.n_iter

    def finish_from_statistics(self, state: Mapping[str, np.ndarray]) -> Self:
        """Set `weights_`, `class_prior_`, K and the number of sources."""
        self.n_classes_ = int(state["n_classes"])
        self.n_sources_ = int(state["n_sources"])
        self.class_prior_ = np.asarray(state["prior"], dtype=np.float64)
        self.weights_ = np.asarray(state["weights"], dtype=np.float64)
        return self

    @staticmethod
    def _log_odds(acc: np.ndarray, k: int) -> np.ndarray:
        acc = np.clip(acc, 1e-4, 1 - 1e-4)
        return cast(np.ndarray, np.log(acc * (k - 1) / (1 - acc)))

    def predict_proba(self, L: Any) -> np.ndarray:
        """(n, K) posterior of the weighted vote; the class prior on rows with no vote. `L`
        dense or scipy.sparse (stored class + 1)."""
        self.check_fitted()
        L = check_label_matrix(
            L,
            n_classes=self.n_classes_,
            n_sources=self.n_sources_,
            allow_silent_sources=True,
            allow_no_votes=True,
            accept_sparse=True,
        )
        logits = vote_counts(L, self.n_classes_, self.weights_) + np.log(
            np.maximum(self.class_prior_, 1e-300)
        )
        logits -= logits.max(axis=1, keepdims=True)
        P = np.exp(logits)
        P /= P.sum(axis=1, keepdims=True)
        return _apply_tie_break(P, L, self.params.tie_break, self.params.seed)
