"""Dawid-Skene: EM on one confusion matrix per source (Dawid & Skene 1979).

Source j gives output c for an item of class y with probability pi_j[y, c], items are
independent, and classes have prior p. EM alternates the posterior
T[i, y] ∝ p_y prod_j pi_j[y, lambda_ij] (E) and the expected counts
pi_j[y, c] ∝ pseudo-counts + sum_{i: lambda_ij = c} T[i, y] (M).

Which sources model "abstain" as an output (column K of pi_j), `model_abstain`:
- None (default): the sources that only ever vote one class, when at least half the sources
  do (otherwise the matrix is read as crowd answers and no abstain is modelled). Such a
  labeling function carries its information in *when* it votes (its votes-only confusion
  matrix is all ones, not identifiable); a crowd worker abstains because it was not asked,
  and modelling that assignment as evidence collapses crowd sets.
- True / False: every source / no source.

Priors (MAP-EM), so that few answers cannot produce degenerate matrices: a Dirichlet prior on
each confusion row of a multi-class source (`confusion_prior`, below); `smoothing` on every
cell; and `class_prior_strength * n` pseudo-items toward the majority-vote class shares on the
learned class prior, so that the prior cannot run to a near-empty class. The class prior is
re-estimated from the rows with at least one vote: a row nobody votes on says nothing about y
but through abstains, and counting those rows lets one-class LFs' abstains drag the prior to
the share of flagged rows.

Where the confusion prior is centred (`confusion_prior`):
- 'fixed': `prior_strength` pseudo-answers per row placed as a source of accuracy
  `prior_accuracy`, errors spread evenly. What labeling-function matrices get ('auto').
- 'pooled': the same strength placed as the pooled confusion matrix of the *other* sources
  (their expected counts, every vote once), re-read at each M-step. What crowd answers get
  ('auto': no source models abstains, at least 3 sources): the crowd's shared confusions are
  a better guess for a sparse worker's empty cells than even spreading.
- 'population' (opt-in): hierarchical / empirical Bayes: the Dirichlet of each class row, mean
  *and* strength, is fitted at each M-step to every source's counts by maximum
  Dirichlet-multinomial likelihood (Minka's fixed point, warm-started; a row's strength capped
  at that row's votes over all sources, where sources agree more than multinomial draws and
  the maximum is at infinity). It learns how much to pool, but wins or loses against 'pooled'
  by data set and its fixed point makes it an order of magnitude slower: not the default.

Refusal (`max_em_gain`). With abstains modelled, EM can make the latent class explain *which*
labeling functions fire together instead of the label, when LFs depend on each other given y
(keyword rules that share words). Its symptom: the log-likelihood rises far above that of
the model fitted to the majority vote's labels (EM's first iteration), which already explains
the agreement between sources; refining accuracies moves it a little. The gain is taken in
nats per vote (the gain per row over the votes per row; in-sample, free from the EM trace);
above `max_em_gain` the fit is refused with a DataError. The threshold sits between the one
failing real set and every other labeling-function matrix we have, so it is a heuristic.
Crowd matrices (no abstains modelled) are not checked: EM cannot use who answered as evidence
there; forcing `model_abstain=True` on them collapses it and is refused.

Everything runs on the list of votes (a sparse (n, m*K) indicator matrix): the abstain terms
are one per-class constant minus the sources that did vote, so the cost is proportional to
the number of votes, not n * m, and hundreds of crowd workers who each label a few items are
cheap. EM starts from the majority-vote posterior, which also fixes the
labelling of classes (no label switching).

The figures behind these choices: README, "Measurements behind the defaults".
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
from pydantic import Field
from weasul.data import ExpertLabels
from weasul.errors import DataError
from weasul.interfaces import LabelModel, LabelModelParams
from weasul.memory import require_memory
from weasul.statistics import Statistics
from weasul.validation import check_label_matrix, is_sparse

from weasul_baselines._common import (
    check_fit_matrix,
    compress_rows,
    resolve_prior,
    row_max,
    row_sum,
)
from weasul_baselines._statistics import FromStatistics, check_sources, vote_entries

if TYPE_CHECKING:
    from typing import Self

__all__ = ["DawidSkene"]

_log = logging.getLogger(__name__)


def _check_memory(n_rows: int, m: int, k: int) -> None:
    """Refuse, with the figure, a fit whose arrays would not fit in memory: EM holds about six
    (m, K, K+1) float arrays (confusions, their logs, counts, priors) and three (n, K) ones."""
    require_memory(
        8 * (6 * m * k * (k + 1) + 3 * n_rows * k),
        f"dawid-skene with n_classes={k} and {m} sources",
        f"it holds {m} x {k} x {k + 1} confusion entries per array; set n_classes to the number of "
        "classes the votes use",
    )


def _safe_log(x: np.ndarray) -> np.ndarray:
    """log x with log 0 = -inf and no RuntimeWarning (a zero in `class_prior`, or a confusion
    cell 0 with `smoothing=0`): the class or output gets posterior 0."""
    x = np.asarray(x, dtype=np.float64)
    return cast(np.ndarray, np.log(x, out=np.full_like(x, -np.inf), where=x > 0))


#: Fewest sources whose pooled counts centre the prior (`confusion_prior` 'auto').
_POOLED_MIN = 3
#: Smallest population pseudo-count of a cell (the fixed point drives unseen cells to 0).
_ALPHA_MIN = 1e-4
#: Fixed-point steps per M-step at most, and their tolerance (largest change, share of the row).
_POPULATION_STEPS = 100
_POPULATION_TOL = 1e-6


def _population(counts: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Dirichlet alpha (K_y, K) per class row maximising the Dirichlet-multinomial likelihood of
    the sources' expected counts `counts` (m, K_y, K) (Minka's fixed point, warm-started from
    `alpha`; zero counts add exactly 0, so each step costs the nonzero counts). A row whose
    sources agree more than multinomial draws would has no finite maximum (its total grows
    without bound): each row's total is capped at the votes of that row over all sources, so
    the prior pools such a row but never outweighs all the data."""
    from scipy.special import digamma

    n = counts.sum(axis=2)  # (m, K): each source's mass per class row
    cap = np.maximum(n.sum(axis=0), 1e-3)
    flat = counts.reshape(counts.shape[0], -1)
    src, cell = np.nonzero(flat > 0)
    x = flat[src, cell]
    rows, ns = np.nonzero(n.T > 0)  # (class row, source) pairs with mass
    nv = n.T[rows, ns]
    for _ in range(_POPULATION_STEPS):
        a = alpha.ravel()
        total = alpha.sum(axis=1)
        num = np.bincount(cell, digamma(x + a[cell]) - digamma(a[cell]), minlength=a.size)
        den = np.bincount(rows, digamma(nv + total[rows]) - digamma(total[rows]), minlength=alpha.shape[0])
        new = np.maximum(alpha * num.reshape(alpha.shape) / np.maximum(den, 1e-300)[:, None], _ALPHA_MIN)
        over = new.sum(axis=1) / cap
        new = np.where(over[:, None] > 1, new / over[:, None], new)
        moved = float((np.abs(new - alpha).max(axis=1) / new.sum(axis=1)).max())
        alpha = new
        if moved < _POPULATION_TOL:
            break
    return alpha


def _centre(k: int, accuracy: float) -> np.ndarray:
    """(K, K) confusion matrix of a source of `accuracy`, its errors spread evenly."""
    off = (1 - accuracy) / max(k - 1, 1)
    return np.full((k, k), off) + (accuracy - off) * np.eye(k)


def _pooled_rows(counts: np.ndarray) -> np.ndarray:
    """(m, K, K) for each source, the confusion rows P(vote c | y) of the expected counts
    `counts` (m, K_y, K) of the *other* sources pooled (every vote once; a class row nobody
    answers: uniform), so that a source's prior holds none of its own answers."""
    others = np.maximum(counts.sum(axis=0, keepdims=True) - counts, 0.0) + 1e-3
    return cast(np.ndarray, others / others.sum(axis=2, keepdims=True))


def _vote_matrix(L: Any, n_classes: int) -> Any:
    """(n, m*K) CSR with a 1 at (i, j*K + c) where source j votes c on item i; `L` dense
    (-1 = abstain) or CSR (stored class + 1)."""
    from scipy import sparse

    n, m = L.shape
    rows, cols, vals = vote_entries(L)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    data = np.ones(rows.size)
    return sparse.csr_matrix((data, cols * n_classes + vals, indptr), shape=(n, m * n_classes))


@dataclass(frozen=True)
class _Votes:
    """One partition prepared for EM: vote matrix A (u, m*K) of its distinct rows, A^T, the
    rows' counts w (u,) and which rows hold a vote."""

    A: Any
    At: Any
    w: np.ndarray
    covered: np.ndarray


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
    top = row_max(logits)[:, None]
    T = np.exp(logits - top)
    s = row_sum(T)[:, None]
    T /= s
    return T, (np.log(s) + top).ravel()


class DawidSkene(FromStatistics, LabelModel):
    """EM estimate of per-source confusion matrices; sparse-friendly (cost ∝ number of votes).

    Learned state: `confusion_` (m, K, K+1) P(output c | y) per source, last column = abstain
    (1 for the sources whose abstains are not modelled, `models_abstain_` (m,) bool),
    `confusion_prior_` (the centre used, 'auto' resolved), `population_alpha_` (K, K: the fitted
    population Dirichlet with 'population'; otherwise its unused start), `em_gain_`
    (nats per vote EM gained over the model fitted to majority vote's labels; with abstains
    modelled, above `max_em_gain` the fit is refused, module docstring). Class prior: `class_prior` when given (kept fixed), otherwise
    learned by EM. Rows where every source abstains get the class prior (not the posterior of
    "everyone abstained"). `y_dev` is not used.

    Fits from partition statistics (`weasul.statistics`: per-partition E-step counts summed
    for each M-step, one pass per EM iteration plus one for the start) with the same
    iterations as `fit`; no `partial_fit` (EM needs every row each iteration). `fit` and
    `predict_proba` accept a scipy.sparse L (stored class + 1) without densifying it.
    """

    class Params(LabelModelParams):
        max_iter: int = Field(100, ge=1, le=10000, description="EM iterations at most")
        tol: float = Field(1e-6, gt=0, description="stop when the mean log-likelihood gains less")
        smoothing: float = Field(
            0.01, ge=0, description="Dirichlet pseudo-count added to each confusion-matrix cell"
        )
        prior_strength: float = Field(
            2.0,
            ge=0,
            description="Dirichlet pseudo-answers per confusion-matrix row, placed as a source of "
            "accuracy prior_accuracy (the rest spread evenly over the other classes)",
        )
        prior_accuracy: float = Field(0.7, gt=0, lt=1, description="centre of the confusion prior")
        class_prior_strength: float = Field(
            0.05,
            ge=0,
            description="pseudo-items toward the majority-vote class shares, as a share of n, on the "
            "learned class prior (keeps a class from being absorbed by another)",
        )
        confusion_prior: Literal["auto", "fixed", "pooled", "population"] = Field(
            "auto",
            description="centre of the confusion prior of the sources whose abstains are not modelled: "
            "'fixed' a source of accuracy prior_accuracy (prior_strength pseudo-answers per row); 'pooled' "
            "the pooled confusion matrix of the other sources (same strength); 'population' a Dirichlet "
            "per class row fitted to all sources' counts (empirical Bayes: mean and strength learned); "
            f"'auto' (default): 'pooled' when no source models abstains and there are at least "
            f"{_POOLED_MIN} sources (crowd answers), else 'fixed'",
        )
        model_abstain: bool | None = Field(
            None,
            description="treat abstain as an output whose rate may depend on y: True, False, or None "
            "(default) for the sources that only ever vote one class",
        )
        max_em_gain: float | None = Field(
            0.15,
            gt=0,
            description="with abstains modelled, refuse (DataError) when EM raises the log-likelihood by more "
            "than this many nats per vote over the model fitted to the majority vote's labels: the latent "
            "class then groups sources that fire together instead of labelling the items (None: never)",
        )

    params: Params

    @classmethod
    def examples(cls) -> list[DawidSkene]:
        return [cls(n_classes=2), cls(n_classes=3, max_iter=5), cls(n_classes=2, model_abstain=True)]

    def fit(
        self, L: np.ndarray, *, y_dev: np.ndarray | None = None, expert: ExpertLabels | None = None
    ) -> Self:
        """Run EM on `L` (n, m), -1 = abstain, or scipy.sparse (stored class + 1). Raises
        DataError on a malformed `L`."""
        L, k = check_fit_matrix(L, self.params.n_classes, accept_sparse=True)
        _check_memory(L.shape[0], L.shape[1], k)
        return self._fit_in_memory(L, k)

    # --- statistics (weasul.statistics.FitsFromStatistics) ------------------------------
    # Pass 0 sums the M-step counts of the majority-vote start and each source's votes per
    # class (which sources model abstains); pass t >= 1 computes the posterior under the
    # current parameters, its log-likelihood (convergence) and the next M-step counts. The
    # in-memory fit runs the same passes on one partition: same iterations, same numbers.
    def _streaming_refusal(self) -> str | None:
        return (
            "Dawid-Skene's EM needs one pass over all rows per iteration; fit from partition "
            "statistics instead (weasul.statistics.fit_from_statistics with map_sum_over(chunks))"
        )

    def _start(self, n_sources: int, n_classes: int) -> Statistics:
        _check_memory(0, n_sources, n_classes)
        fixed = resolve_prior(self.params.class_prior, n_classes)
        return {
            "n_classes": np.array(n_classes),
            "n_sources": np.array(n_sources),
            "iteration": np.array(0),
            "fixed_prior": np.zeros(0) if fixed is None else fixed,
        }

    def _prepare(self, L: Any, state: Mapping[str, np.ndarray]) -> _Votes:
        k = int(state["n_classes"])
        if is_sparse(L):
            w = np.ones(L.shape[0])
        else:
            L, w, _ = compress_rows(L, k)  # EM once per distinct vote pattern, weighted by its count
        A = _vote_matrix(L, k)
        return _Votes(A, A.T.tocsr(), w, np.diff(A.indptr) > 0)

    def _statistics_of(self, prepared: Any, state: Mapping[str, np.ndarray]) -> Statistics:
        v = cast(_Votes, prepared)
        k, m = int(state["n_classes"]), int(state["n_sources"])
        w, covered = v.w, v.covered
        out: Statistics = {}
        if int(state["iteration"]) == 0:
            # majority-vote start: vote shares per row (counts per class via A and a fold over sources)
            counts = np.asarray(v.A @ np.tile(np.eye(k), (m, 1)))
            T = np.where(covered[:, None], counts / np.maximum(row_sum(counts)[:, None], 1), 1.0 / k)
            out["source_votes"] = np.asarray(v.At @ w).reshape(m, k)
            out["rows"] = np.array(w.sum())
            out["covered_rows"] = np.array(w[covered].sum())
        else:
            T, lognorm = _posterior(v.A, _safe_log(state["confusion"]), _safe_log(state["prior"]))
            used = np.ones(w.size, dtype=bool) if bool(state["models_abstain"].any()) else covered
            out["loglik"] = np.array(w[used] @ lognorm[used])
            out["loglik_rows"] = np.array(w[used].sum())
        Tw = T * w[:, None]
        out["votes"] = np.asarray(v.At @ Tw).reshape(m, k, k)  # (source, vote c, class y)
        # products with w, not sums over Tw or T[covered]: reductions and masks of a narrow (u, K)
        # array cost about 50 ns a row (half an E-step at K = 2)
        out["mass"] = w @ T
        out["covered_mass"] = np.where(covered, w, 0.0) @ T
        return out

    def update_from_statistics(
        self, summed: Mapping[str, np.ndarray], state: Mapping[str, np.ndarray]
    ) -> tuple[Statistics, bool]:
        """One EM step from the summed counts; done when the mean log-likelihood gains less
        than `tol` (the current parameters are kept) or after `max_iter` M-steps."""
        p = self.params
        k, m = int(state["n_classes"]), int(state["n_sources"])
        it = int(state["iteration"])
        new = dict(state)
        fixed = state["fixed_prior"] if state["fixed_prior"].size else None
        if it == 0:
            votes = np.asarray(summed["source_votes"])
            check_sources(votes, float(summed["rows"]), partial=False)
            one_class = (votes > 0).sum(axis=1) == 1
            if p.model_abstain is not None:
                model_abs = np.full(m, bool(p.model_abstain))
            else:  # labeling functions when most sources vote one class; else crowd workers
                model_abs = one_class if one_class.mean() >= 0.5 else np.zeros(m, dtype=bool)
            n_cov = float(summed["covered_rows"])
            mv_share = summed["covered_mass"] / max(n_cov, 1e-12) if n_cov > 0 else np.full(k, 1 / k)
            new["models_abstain"] = model_abs
            kind = p.confusion_prior
            if kind == "auto":
                crowd = (~model_abs).sum() >= _POOLED_MIN and not model_abs.any()
                kind = "pooled" if crowd else "fixed"
            new["confusion_prior"] = np.array(kind)
            new["alpha"] = np.maximum(p.prior_strength * _centre(k, p.prior_accuracy), _ALPHA_MIN)
            new["prior"] = fixed if fixed is not None else mv_share
            new["prior_pseudo"] = p.class_prior_strength * n_cov * mv_share
            new["last"] = np.array(-np.inf)
            new["first"] = np.array(np.nan)
            new["n_votes"] = np.array(float(votes.sum()))
        else:
            ll = float(summed["loglik"] / summed["loglik_rows"])
            if it == 1:  # the model fitted to the majority vote's labels (`max_em_gain`)
                new["first"] = np.array(ll)
                new["votes_per_row"] = np.array(float(state["n_votes"]) / float(summed["loglik_rows"]))
            gain = ll - float(state["last"])
            # with the population prior refitted each M-step the data log-likelihood may dip while
            # the prior settles: stop on a small change, not on a fall
            if gain < p.tol if str(state["confusion_prior"]) != "population" else abs(gain) < p.tol:
                _log.debug("dawid-skene: %d EM iterations, mean log-likelihood %.6f", it, ll)
                new["last"] = np.array(max(ll, float(state["last"])))
                return new, True
            new["last"] = np.array(ll)
        model_abs = new["models_abstain"]
        # M-step: expected counts of (source j votes c, class y); column K: abstains
        C = np.zeros((m, k, k + 1))
        C[:, :, :k] = np.asarray(summed["votes"]).transpose(0, 2, 1)  # (m, y, c)
        # confusion prior (K_y, K+1), plus smoothing (`confusion_prior`, module docstring): only on
        # sources that vote several classes: on a one-class source it would invent votes
        pseudo = np.full((m, k, k + 1), p.smoothing)
        centre = str(new["confusion_prior"])
        if centre == "pooled":
            pseudo[~model_abs, :, :k] += p.prior_strength * _pooled_rows(C[~model_abs, :, :k])
        elif centre == "population":
            new["alpha"] = _population(C[~model_abs, :, :k], np.asarray(new["alpha"]))
            pseudo[~model_abs, :, :k] += new["alpha"][None]
        else:
            pseudo[~model_abs, :, :k] += p.prior_strength * _centre(k, p.prior_accuracy)[None]
        C[:, :, k] = np.asarray(summed["mass"])[None, :] - C[:, :, :k].sum(axis=2)
        C = np.maximum(C, 0.0) + pseudo
        C[~model_abs, :, k] = 0.0
        pi = C / C.sum(axis=2, keepdims=True)
        pi[~model_abs, :, k] = 1.0  # abstain uninformative: log 1 = 0 in the posterior
        if fixed is None:
            # rows with no vote say nothing about y but through abstains; counting them let
            # one-class LFs' abstains pull the prior to the flagged share (module docstring)
            prior = np.clip(summed["covered_mass"] + new["prior_pseudo"], 1e-12, None)
            new["prior"] = prior / prior.sum()
        new["confusion"] = pi
        new["iteration"] = np.array(it + 1)
        return new, it + 1 >= p.max_iter

    def finish_from_statistics(self, state: Mapping[str, np.ndarray]) -> Self:
        """Set `confusion_`, `class_prior_`, `models_abstain_`, `n_iter_`, `em_gain_` from the EM
        state. Raises DataError when `em_gain_` exceeds `max_em_gain` (abstains modelled)."""
        gain = float(state["last"]) - float(state["first"])  # nats per row
        per_vote = gain / float(state["votes_per_row"]) if "votes_per_row" in state else np.nan
        self.em_gain_ = float(per_vote) if np.isfinite(per_vote) else 0.0
        limit = self.params.max_em_gain
        if limit is not None and bool(np.any(state["models_abstain"])) and self.em_gain_ > limit:
            raise DataError(
                f"dawid-skene: EM raised the log-likelihood by {self.em_gain_:.2f} nats per vote over the model "
                f"fitted to the majority vote's labels (more than max_em_gain={limit:g}). With abstains "
                "modelled, its latent class then explains which labeling functions fire together rather "
                "than the label: they are not independent given the class, and the model is not identified "
                "here (on WRENCH trec, 0.24 nats per vote: 0.50 accuracy against majority vote's 0.58). "
                "Use majority-vote, matrix-completion or auto"
            )
        self.n_classes_ = int(state["n_classes"])
        self.n_sources_ = int(state["n_sources"])
        self.class_prior_ = np.asarray(state["prior"], dtype=np.float64)
        self.confusion_ = np.asarray(state["confusion"], dtype=np.float64)
        self.models_abstain_ = np.asarray(state["models_abstain"], dtype=bool)
        self.confusion_prior_ = str(state["confusion_prior"])  # the centre used ('auto' resolved)
        # 'population': the fitted Dirichlet (K_y, K) of the sources without modelled abstains
        self.population_alpha_ = np.asarray(state["alpha"])
        self.n_iter_ = int(state["iteration"])
        return self

    def predict_proba(self, L: Any) -> np.ndarray:
        """(n, K) posterior P(y | votes); the class prior on rows with no vote. `L` dense or
        scipy.sparse (stored class + 1)."""
        self.check_fitted()
        L = check_label_matrix(
            L,
            n_classes=self.n_classes_,
            n_sources=self.n_sources_,
            allow_silent_sources=True,
            allow_no_votes=True,
            accept_sparse=True,
        )
        if is_sparse(L):  # no pattern compression: each row is its own pattern
            patterns, inverse = L, None
        else:
            patterns, _, inverse = compress_rows(L, self.n_classes_)
        A = _vote_matrix(patterns, self.n_classes_)
        T, _ = _posterior(A, _safe_log(self.confusion_), _safe_log(self.class_prior_))
        empty = np.diff(A.indptr) == 0
        T[empty] = self.class_prior_
        return T if inverse is None else cast(np.ndarray, T[inverse])
