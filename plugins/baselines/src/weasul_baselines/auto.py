"""`auto`: the label model to take without knowing the data; decides from L alone (no gold).

How it decides:

1. The candidates: majority vote, weighted vote, Dawid-Skene, (binary only) the triplet
   method and, on labeling-function matrices, matrix completion (the Snorkel-like model,
   from a majority-vote start; left out when its z would have more than 10,000 entries,
   `_MC_MAX_Z`). A candidate that refuses the data (DataError, e.g. triplet on crowd-like
   matrices) is recorded with its reason and left out.
2. Read the matrix. When at least half the sources vote a single class (labeling
   functions: keyword rules, one-sided heuristics), **the mean posterior of weighted vote,
   Dawid-Skene and matrix completion decides** when all three fit; when one is refused or
   left out, **majority vote decides and the mean of the others breaks its ties**. When most
   sources vote several classes (crowd workers, two-sided LFs), it is the candidate with the
   best **held-out vote log-likelihood**: every vote lambda_ij on a row where another source
   votes is predicted from the *other* sources, P(lambda_ij | lambda_i,-j) = sum_y
   P(y | lambda_i,-j) P(lambda_j = lambda_ij | y, votes), with the candidate fitted on the
   other half of the rows (two-fold cross-fitting, on at most `max_score_rows` rows), and the
   mean log-probability per vote is its score.
3. Why two rules: for a one-class source P(vote | y, it votes) is 1 under any model that
   knows the source votes one class, so the likelihood cannot rank models there; and on the
   WRENCH and Active WeaSuL matrices no unsupervised ranking we measured (this likelihood,
   held-out agreement of the vote with the others' prediction, in- or out-of-sample) picked
   the better model reliably. So on LF matrices nothing is chosen; the rule pools:
   majority vote counts a 0.6-precision rule like a 0.97 one, and each learned model weighs
   them but fails alone in its own way (weighted vote: agreement weights; Dawid-Skene: EM
   on modelled abstains, hurt by LFs that fire together; matrix completion: a uniform class
   prior when every LF votes one class, hurt by imbalance). Their failures come from
   different assumptions and seldom coincide, so their mean is safer than any one of them.
   The triplet method decides nothing there: its model (abstains independent of y) does
   not hold for an LF that fires more on its own class. Measurements: README, "`auto`: the
   measurements behind its rules"; the generator is the slow test in tests/test_auto_lf.py.
   On crowd sets the likelihood picked the best or near-best candidate; matrix completion is
   not scored there (with it, the likelihood never chose it over the other candidates on the
   14 crowd-like real sets, at 2-9x their fit time). On LF matrices no held-out score is
   computed (none would be used); `scores_` says which candidates decide, which break ties.
4. Rows with no vote (`no_vote_prior_`): abstains can say something (spam LFs fire on spam,
   so a comment no LF fires on is mostly ham), which a class prior does not hold. By the law
   of total probability the class mix of those rows is what the class prior leaves after the
   covered rows: (prior - c * mean posterior of the covered rows) / (1 - c), c the covered
   share, clipped at 0. It is used where at least 10% of the rows have no vote (the division
   amplifies errors in the prior by 1 / (1 - c)); elsewhere the class prior (`class_prior_`,
   the learned members' mean). On LF matrices the covered rows' posterior in that formula
   is majority vote's with every learned candidate's tie-breaks, and the prior their mean,
   also where the three decide (with their own softer posterior the mix flips to the wrong
   class where the prior is off; README).

Every candidate is a naive-Bayes posterior, log P(y | lambda) = log prior_y +
sum_j F[j, lambda_j, y] + const, with F[j, K, y] the term of an abstain. `auto` keeps the
tables of the model(s) it uses (`log_prior_`, `factors_`), so it saves and loads like any
model. Majority vote enters as equal weights log(0.7 (K-1) / 0.3) per vote (the same argmax
and ties as `majority-vote`; the probabilities of a one-coin model of accuracy 0.7).
What it chose: `chosen_`, `mode_`, `members_` and `scores_` (candidate -> held-out score, its
role, or why it was left out); `report()` returns them as a JSON-ready dict for a step's metrics.

From partition statistics (`weasul.statistics.FitsFromStatistics`, issue 17): everything
above reads L only through the **histogram of its distinct rows** (`PatternHistogram`: each
distinct row with its count, sorted), a sufficient statistic of every iid label model. The
histograms of partitions merge by adding counts (its `+`, which `sum_statistics` applies to
the 0-d object array that holds it), so a fit over any partitioning, or of the rows in any
order, sees the same histogram and gives the same choice and parameters; `fit(L)` is that fit
on one partition. Every subset is drawn from the histogram: all its rows, each distinct row
repeated by its count, when L has at most `max_score_rows` / `max_fit_rows` rows, else that
many drawn with replacement in proportion to the counts. The histogram is what reaches the
client of a distributed fit (8 bytes a row when m log2(K+1) <= 62 bits, else m bytes; and
8 for the count): more than `max_patterns` distinct rows (default 2M) are refused with a
DataError that says to raise it or to take dawid-skene / majority-vote (fixed-size statistics).

Cost: one check and one pass over `L` (its histogram); then, crowd-like matrices: half-fits
of the candidates on at most `max_score_rows` rows and a pass over their votes (O(votes x K),
in chunks); then the fit of the model(s) used on at most `max_fit_rows` rows: linear in K
and in the votes. The models' at most m K (K+1) parameters are pinned down long before
50,000 rows (generated 1M x 10: accuracy 0.9274 with 50,000 fit rows, 0.9274-0.9275 with
200,000). Ratios to Snorkel: benchmarks/run_benchmarks.py; where the time goes: README.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import numpy as np
from pydantic import Field, field_validator
from weasul.data import ExpertLabels
from weasul.errors import DataError
from weasul.interfaces import LabelModel, LabelModelParams
from weasul.statistics import Statistics, iterate_statistics
from weasul.validation import check_label_matrix, is_sparse

from weasul_baselines._common import (
    check_fit_matrix,
    compress_rows,
    dense_rows,
    resolve_prior,
    row_codes,
    row_max,
    row_sum,
)
from weasul_baselines._statistics import (
    check_partition,
    check_sources,
    required_classes,
    source_class_counts,
)
from weasul_baselines.dawid_skene import DawidSkene
from weasul_baselines.majority_vote import WeightedVote
from weasul_baselines.matrix_completion import MatrixCompletion
from weasul_baselines.steps import AutoStep
from weasul_baselines.triplet import Triplet

if TYPE_CHECKING:
    from typing import Self

    from scipy import sparse

__all__ = ["Auto", "CANDIDATES", "PatternHistogram"]

_log = logging.getLogger(__name__)

#: Candidates from simplest to most complex (the order `margin` favours).
CANDIDATES = ("majority-vote", "weighted-vote", "triplet", "dawid-skene", "matrix-completion")
#: Matrix completion joins the candidates of labeling-function matrices while its z has at
#: most this many entries (voted (source, class) pairs x (K - 1)). Set when its joint fit grew
#: faster than linearly with them (100k x 20, K = 50: 1,000 pairs, 31 s); above 10 classes it
#: now fits one-vs-rest, linear in K (20k x 400 one-class LFs, K = 200: 0.9 s CPU), but with
#: it the mean of the three was above the fallback on one generated K = 50 matrix (+1.5
#: points) and below on another (-1.2, Dawid-Skene 15 points under majority vote), so the
#: limit stays until many-class LF matrices are measured more widely.
_MC_MAX_Z = 10_000
#: On labeling-function matrices the mean posterior of these three decides when all three fit
#: (module docstring, 2.); with fewer, majority vote decides and the ones left break its ties.
_LF_POOL = ("weighted-vote", "dawid-skene", "matrix-completion")
#: Rows with no vote get the class mix the prior leaves after the covered rows
#: (`_no_vote_prior`) when at least this share of the fit rows has no vote.
_NO_VOTE_MIN = 0.1
_CHUNK = 65_536
#: Weight of the learned models' log-posterior (clipped at log 1e-6, so at most 0.14) beside
#: majority vote's per-vote weight log(0.7 (K-1) / 0.3) >= 0.85: it can only break ties.
_TIE = 0.01
#: EM tolerance (mean log-likelihood per row) of the half-fits behind the held-out scores:
#: they rank candidates whose scores differ by 0.01 or more per vote, so EM stops earlier
#: than the final fit's 1e-6 (about half the iterations).
_SCORE_TOL = 1e-4


def _tables(
    name: str, L: np.ndarray, k: int, prior: np.ndarray | None, seed: int, tol: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit candidate `name`; return (log_prior (K,), factors (m, K+1, K), class prior (K,)).
    `tol`: Dawid-Skene's EM tolerance when not its default (the held-out scores' fits)."""
    m = L.shape[1]
    F = np.zeros((m, k + 1, k))
    given = None if prior is None else prior.tolist()
    if name == "majority-vote":
        F[:, np.arange(k), np.arange(k)] = np.log(0.7 * (k - 1) / 0.3)
        cp = np.full(k, 1.0 / k) if prior is None else prior
        return np.zeros(k), F, cp
    if name == "weighted-vote":
        wv = WeightedVote(n_classes=k, class_prior=given, seed=seed).fit(L)
        F[:, np.arange(k), np.arange(k)] = wv.weights_[:, None]
        return np.log(np.maximum(wv.class_prior_, 1e-300)), F, wv.class_prior_
    if name == "dawid-skene":
        extra = {} if tol is None else {"tol": tol}
        ds = DawidSkene(n_classes=k, class_prior=given, seed=seed, **extra).fit(L)
        F[:] = np.log(np.maximum(ds.confusion_, 1e-300)).transpose(0, 2, 1)  # (m, output, y)
        return np.log(np.maximum(ds.class_prior_, 1e-300)), F, ds.class_prior_
    if name == "triplet":
        tr = Triplet(n_classes=k, class_prior=given, seed=seed).fit(L)
        F[:, :2, :] = np.log(tr.cond_).transpose(0, 2, 1)
        return np.log(tr.class_prior_), F, tr.class_prior_
    if name == "matrix-completion":  # abstains uninformative: F[:, K] stays 0
        mc = MatrixCompletion(n_classes=k, class_prior=given, seed=seed).fit(L)
        cols = np.asarray(mc.single_col_)
        seen = cols >= 0
        F[:, :k][seen] = np.asarray(mc.log_theta_)[cols[seen]]
        return np.log(mc.class_prior_), F, mc.class_prior_
    raise DataError(f"unknown auto candidate {name!r}; candidates are {', '.join(CANDIDATES)}")


def _codes_matrix(L: np.ndarray, k: int) -> sparse.csr_matrix:
    """(n, m*(K+1)) CSR one-hot of every source's output, abstain = output K."""
    from scipy import sparse

    n, m = L.shape
    codes = np.where(L == -1, k, L)
    cols = (np.arange(m)[None, :] * (k + 1) + codes).ravel()
    indptr = np.arange(0, n * m + 1, m, dtype=np.int64)
    return sparse.csr_matrix((np.ones(n * m), cols, indptr), shape=(n, m * (k + 1)))


def _logits(L: np.ndarray, log_prior: np.ndarray, F: np.ndarray) -> np.ndarray:
    m, k1, k = F.shape
    return cast(np.ndarray, _codes_matrix(L, k) @ F.reshape(m * k1, k) + log_prior[None, :])


class ScoreRows(NamedTuple):
    """Rows to score (`held_out_agreement`), prepared once for every candidate: the one-hot
    codes of the distinct rows, and each vote on a row where another source votes (its row,
    its class, its (source, output) slot j (K+1) + c in the factor tables, the row's count)."""

    codes: Any
    rows: np.ndarray
    votes: np.ndarray
    slots: np.ndarray
    weights: np.ndarray


def score_rows(patterns: np.ndarray, counts: np.ndarray, k: int) -> ScoreRows:
    """`ScoreRows` of distinct rows `patterns` (u, m) with their `counts` (u,)."""
    voted = patterns != -1
    others = voted.sum(axis=1) > 1
    rows, cols = np.nonzero(voted & others[:, None])
    votes = patterns[rows, cols]
    return ScoreRows(_codes_matrix(patterns, k), rows, votes, cols * (k + 1) + votes, counts[rows])


def held_out_agreement(
    scored: ScoreRows,
    log_prior: np.ndarray,
    F: np.ndarray,
    criterion: str = "agreement",
) -> tuple[float, float]:
    """Mean over votes (on rows where another source votes) of [vote == prediction from the
    other sources], ties counted fractionally, rows weighted by their counts; or with
    `criterion="likelihood"` the mean log-probability of the vote given the others; and how
    many votes."""
    if scored.rows.size == 0:
        return float("nan"), 0.0
    m, k1, k = F.shape
    flat = F.reshape(m * k1, k)
    logits = cast(np.ndarray, scored.codes @ flat + log_prior[None, :])
    total = 0.0
    # P(vote c | y, the source votes): each factor table normalised over the K vote outputs
    votes = F[:, :k, :]
    log_cond = (
        votes
        - np.log(np.exp(votes - votes.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True))
        - votes.max(axis=1, keepdims=True)
    )
    cond_table = np.zeros((m, k1, k))
    cond_table[:, :k] = np.exp(log_cond)
    cond = cond_table.reshape(m * k1, k)
    # np.take, not fancy indexing: the same rows, many times faster on narrow (n, K) arrays
    for start in range(0, scored.rows.size, _CHUNK):
        part = slice(start, start + _CHUNK)
        r, v, slot = scored.rows[part], scored.votes[part], scored.slots[part]
        lo = np.take(logits, r, axis=0) - np.take(flat, slot, axis=0)  # remove source j's own factor
        if criterion == "likelihood":
            q = np.exp(lo - row_max(lo)[:, None])
            q /= row_sum(q)[:, None]
            hit = np.log(np.maximum(row_sum(q * np.take(cond, slot, axis=0)), 1e-300))
        else:
            top = row_max(lo)[:, None]
            tied = lo >= top - 1e-9 * np.maximum(1.0, np.abs(top))
            hit = tied[np.arange(r.size), v] / tied.sum(axis=1)
        total += float(scored.weights[part] @ hit)
    n_votes = float(scored.weights.sum())
    return total / n_votes, n_votes


class Auto(LabelModel):
    """The mean of weighted vote, Dawid-Skene and matrix completion on labeling-function
    matrices (majority vote with their tie-breaks when one is missing), the candidate with the
    best held-out vote likelihood on crowd-like ones (see the module docstring).

    Learned state: `chosen_`, `mode_`, `members_`, `backbone_` (majority vote decides),
    `scores_`, `log_prior_` (M, K), `factors_` (M, m, K+1, K) for the M models used,
    `class_prior_` (K,, the learned members' mean), `no_vote_prior_` (K,, what rows where
    every source abstains get; module docstring, 4.). Fits from partition statistics (`weasul.statistics`; the
    histogram of distinct rows, one pass) with the parameters of `fit(L)`.
    """

    class Params(LabelModelParams):
        candidates: list[str] = Field(
            default_factory=lambda: list(CANDIDATES),
            description="models to use or choose among, from "
            + ", ".join(CANDIDATES)
            + " (matrix-completion on labeling-function matrices only)",
        )
        max_score_rows: int = Field(
            5_000,
            ge=100,
            description="rows the held-out scores of crowd-like matrices use (all of L when it has "
            "fewer; else drawn, seeded, with replacement)",
        )
        max_fit_rows: int = Field(
            50_000,
            ge=100,
            description="rows the models used are fitted on (all of L when it has fewer; else drawn, "
            "seeded, with replacement): their at most m K (K+1) parameters are pinned down long before",
        )
        max_patterns: int = Field(
            2_000_000,
            ge=1,
            description="most distinct rows (vote patterns) of L: auto fits from their histogram, which "
            "a distributed fit sends to the client; more is refused with a DataError",
        )

        @field_validator("candidates")
        @classmethod
        def _known(cls, value: list[str]) -> list[str]:
            unknown = [c for c in value if c not in CANDIDATES]
            if unknown or not value:
                raise ValueError(
                    f"candidates must be a non-empty subset of {', '.join(CANDIDATES)}; got {value}"
                )
            return value

    params: Params
    step = AutoStep

    @classmethod
    def examples(cls) -> list[Auto]:
        return [cls(n_classes=2), cls(n_classes=3, candidates=["majority-vote", "dawid-skene"])]

    def fit(
        self, L: np.ndarray, *, y_dev: np.ndarray | None = None, expert: ExpertLabels | None = None
    ) -> Self:
        """Fit the candidates on `L` (n, m) and combine or choose them (module docstring):
        the partition-statistics fit on one partition. `y_dev` and `expert` are not used.
        Raises DataError on a malformed `L` or one with more than `max_patterns` distinct rows."""
        # silent sources: refused by `check_sources` on the histogram's votes (same message)
        L, k = check_fit_matrix(L, self.params.n_classes, allow_silent_sources=True)
        start = self._start(L.shape[1], k)
        return cast("Self", iterate_statistics(self, lambda state: self._statistics_of(L, state), start))

    # --- statistics (weasul.statistics.FitsFromStatistics) ----------------------------------
    def statistics_start(self, n_sources: int) -> Statistics:
        """The state before the one pass (the histogram of distinct rows); needs `n_classes`."""
        return self._start(int(n_sources), required_classes(self))

    def _start(self, n_sources: int, k: int) -> Statistics:
        return {"n_sources": np.array(n_sources), "n_classes": np.array(k)}

    def partition_statistics(self, L_part: Any, state: Mapping[str, np.ndarray]) -> Statistics:
        """The histogram of the distinct rows of `L_part` (dense, -1 = abstain, or scipy.sparse
        with stored class + 1), as a 0-d object array holding a `PatternHistogram` whose `+`
        merges (the one statistic: it gives the votes per source and class too)."""
        L = check_partition(L_part, int(state["n_classes"]), int(state["n_sources"]))
        return self._statistics_of(L, state)

    def _statistics_of(self, L: Any, state: Mapping[str, np.ndarray]) -> Statistics:
        k = int(state["n_classes"])
        histogram = np.empty((), dtype=object)
        histogram[()] = PatternHistogram.of(L, k, self.params.max_patterns)
        return {"patterns": histogram}

    def update_from_statistics(
        self, summed: Mapping[str, np.ndarray], state: Mapping[str, np.ndarray]
    ) -> tuple[Statistics, bool]:
        """Choose and fit from the summed histogram (one pass); the state holds the tables."""
        histogram = np.asarray(summed["patterns"]).item()
        if not isinstance(histogram, PatternHistogram):
            raise DataError(
                f"auto's 'patterns' statistic is {type(histogram).__name__}; it must be the sum of the "
                "PatternHistograms that Auto.partition_statistics returns"
            )
        votes = histogram.votes()
        check_sources(votes, float(histogram.counts.sum()), partial=False)
        return {**state, **self._choose(histogram, votes, int(state["n_classes"]))}, True

    def finish_from_statistics(self, state: Mapping[str, np.ndarray]) -> Self:
        """Set the fitted attributes from the state `update_from_statistics` returned."""
        self.log_prior_ = np.asarray(state["log_prior"])
        self.factors_ = np.asarray(state["factors"])
        self.class_prior_ = np.asarray(state["class_prior"])
        self.no_vote_prior_ = np.asarray(state["no_vote_prior"])
        choice = json.loads(str(state["choice"]))
        self.members_ = list(choice["members"])
        self.mode_ = str(choice["mode"])
        self.backbone_ = bool(choice["backbone"])
        self.chosen_ = str(choice["chosen"])
        self.scores_ = dict(choice["scores"])
        self.n_classes_ = int(state["n_classes"])
        self.n_sources_ = int(state["n_sources"])
        _log.info("auto (%s matrix) uses %s; %s", self.mode_, self.chosen_, self.scores_)
        return self

    def _choose(self, histogram: PatternHistogram, votes: np.ndarray, k: int) -> Statistics:
        """Read the matrix, score the candidates on subsets drawn from the histogram and fit the
        model(s) used (module docstring); returns their tables and what was chosen."""
        prior = resolve_prior(self.params.class_prior, k)
        seed = self.params.seed
        mode = "labeling-functions" if ((votes > 0).sum(axis=1) == 1).mean() >= 0.5 else "crowd"
        rng = np.random.default_rng(seed)
        scores: dict[str, Any] = {}
        ok = [c for c in CANDIDATES if c in self.params.candidates]
        if k != 2 and "triplet" in ok:
            scores["triplet"] = "left out: binary only"
            ok.remove("triplet")
        if "matrix-completion" in ok and mode == "crowd":
            scores["matrix-completion"] = "left out: used on labeling-function matrices only"
            ok.remove("matrix-completion")
        elif "matrix-completion" in ok and (votes > 0).sum() * (k - 1) > _MC_MAX_Z:
            scores["matrix-completion"] = (
                f"left out: {(votes > 0).sum()} voted (source, class) pairs x {k - 1} is more than "
                f"{_MC_MAX_Z} parameters (module constant _MC_MAX_Z)"
            )
            ok.remove("matrix-completion")
        if mode == "crowd":  # the held-out vote likelihood chooses (on LF matrices it cannot)
            sub = histogram.draw(self.params.max_score_rows, rng)
            half = rng.permutation(sub.shape[0])
            folds = [sub[half[: sub.shape[0] // 2]], sub[half[sub.shape[0] // 2 :]]]
            scored = [score_rows(*compress_rows(fold, k)[:2], k) for fold in folds]  # once for all
            for name in list(ok):
                try:
                    score = _cross_fitted(name, folds, scored, k, prior, seed, "likelihood")
                    scores[name] = round(score, 6)
                except DataError as err:
                    scores[name] = f"refused: {err}"
                    ok.remove(name)
            if not ok:  # every candidate refused even a half of L: try them on all of L
                ok = [c for c in self.params.candidates if c != "triplet" or k == 2][:1]
            finite = [c for c in ok if isinstance(scores.get(c), float) and np.isfinite(scores[c])]
            members = [max(finite, key=lambda c: scores[c])] if finite else ok[:1]
        else:
            members = ok
        fit_patterns, fit_counts = histogram.draw_counts(self.params.max_fit_rows, rng)
        fit_rows = np.repeat(fit_patterns, fit_counts, axis=0)
        tables = []
        for name in list(members):
            try:
                tables.append(_tables_on(name, fit_rows, k, prior, seed))
            except DataError as err:  # refuses all of L though not a half: leave it out
                scores[name] = f"refused: {err}"
                members.remove(name)
        if not tables:
            tables, members = [_tables("majority-vote", fit_rows, k, prior, seed)], ["majority-vote"]
        # the class prior and the no-vote mix: majority vote with every learned candidate's
        # tie-breaks (on crowd matrices: the one model used)
        mix_backbone = mode == "labeling-functions" and members[0] == "majority-vote" and len(members) > 1
        class_prior = np.mean([t[2] for t in (tables[1:] if mix_backbone else tables)], axis=0)
        no_vote = _no_vote_prior(fit_patterns, fit_counts, class_prior, *_stacked(tables), mix_backbone)
        if mode == "labeling-functions":
            if "triplet" in members and len(members) > 1:  # it decides nothing here (docstring, 3.)
                tables.pop(members.index("triplet"))
                members.remove("triplet")
                scores["triplet"] = (
                    "class mix of rows with no vote only: its model (E[vote | y] = +-accuracy, "
                    "abstains independent of the class) does not hold for one-class labeling functions"
                )
            if set(_LF_POOL) <= set(members) and members[0] == "majority-vote":
                tables, members = tables[1:], members[1:]  # the three decide
                scores["majority-vote"] = "class mix of rows with no vote only"
        backbone = mode == "labeling-functions" and members[0] == "majority-vote" and len(members) > 1
        if backbone:
            chosen = "majority-vote, ties broken by the mean of " + ", ".join(members[1:])
        else:
            chosen = members[0] if len(members) == 1 else "mean of " + ", ".join(members)
        if mode == "labeling-functions":
            for name in members:
                scores[name] = "decides" if name == "majority-vote" or not backbone else "breaks ties"
        choice = {"members": members, "mode": mode, "backbone": backbone, "chosen": chosen, "scores": scores}
        log_prior, factors = _stacked(tables)
        return {
            "log_prior": log_prior,
            "factors": factors,
            "class_prior": class_prior,
            "no_vote_prior": no_vote,
            "choice": np.array(json.dumps(choice)),
        }

    def report(self) -> dict[str, Any]:
        """What `auto` used and, per candidate, its held-out vote log-likelihood (crowd-like
        matrices), its role (labeling-function matrices) or why it was left out."""
        self.check_fitted()
        key = "candidates" if self.mode_ == "labeling-functions" else "held_out_vote log-likelihood"
        return {"chosen": self.chosen_, "mode": self.mode_, key: dict(self.scores_)}

    def predict_proba(self, L: np.ndarray) -> np.ndarray:
        """(n, K) posterior (mean over the models used); the class prior on rows with no vote."""
        self.check_fitted()
        L = check_label_matrix(
            L,
            n_classes=self.n_classes_,
            n_sources=self.n_sources_,
            allow_silent_sources=True,
            allow_no_votes=True,
        )
        patterns, _, inverse = compress_rows(L, self.n_classes_)
        P = _posterior(patterns, np.asarray(self.log_prior_), np.asarray(self.factors_), bool(self.backbone_))
        P[(patterns == -1).all(axis=1)] = getattr(self, "no_vote_prior_", self.class_prior_)
        return cast(np.ndarray, P[inverse])


def _stacked(tables: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """(M, K) log priors and (M, m, K+1, K) factor tables of the M models in `tables`."""
    return np.stack([t[0] for t in tables]), np.stack([t[1] for t in tables])


def _posterior(
    patterns: np.ndarray, log_prior: np.ndarray, factors: np.ndarray, backbone: bool
) -> np.ndarray:
    """(u, K) posterior of the models used on distinct rows: their mean, or with `backbone`
    majority vote (model 0) with ties broken by the mean of the others."""
    k = log_prior.shape[1]
    P = np.zeros((patterns.shape[0], k))
    first = 1 if backbone else 0
    for start in range(0, patterns.shape[0], _CHUNK):
        block = patterns[start : start + _CHUNK]
        mean = np.zeros((block.shape[0], k))
        for lp, F in zip(log_prior[first:], factors[first:], strict=True):
            mean += _softmax(_logits(block, lp, F))
        mean /= log_prior.shape[0] - first
        if backbone:  # majority vote decides; the learned mean only breaks its ties
            logits = _logits(block, log_prior[0], factors[0]) + _TIE * np.log(np.maximum(mean, 1e-6))
            mean = _softmax(logits)
        P[start : start + _CHUNK] = mean
    return P


def _no_vote_prior(
    patterns: np.ndarray,
    counts: np.ndarray,
    class_prior: np.ndarray,
    log_prior: np.ndarray,
    factors: np.ndarray,
    backbone: bool,
) -> np.ndarray:
    """The class mix of rows with no vote (distinct rows `patterns` with their `counts`): what
    the class prior leaves once the posterior of the rows with a vote is accounted for (law of
    total probability), where at least `_NO_VOTE_MIN` of the rows have no vote; else (the
    difference amplifies errors in the prior by 1 / that share) the class prior."""
    covered = (patterns != -1).any(axis=1)
    total = int(counts.sum())
    share = 1.0 - int(counts[covered].sum()) / total if total else 0.0
    if share < _NO_VOTE_MIN or not covered.any():
        return class_prior
    weights = counts[covered].astype(np.float64)
    covered_mix = weights @ _posterior(patterns[covered], log_prior, factors, backbone) / weights.sum()
    rest = np.clip(class_prior - (1.0 - share) * covered_mix, 0.0, None)
    return rest / rest.sum() if rest.sum() > 0 else class_prior


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - row_max(logits)[:, None])
    return cast(np.ndarray, e / row_sum(e)[:, None])


class PatternHistogram:
    """The distinct rows of a label matrix with their counts, in one canonical order: what
    `auto` fits from. Iid label models see the rows only through this histogram, and the
    histograms of partitions merge with `+` (counts of equal rows add up), so a fit from
    partitions sees exactly the histogram of the whole matrix, in the same order.

    Each row is a key: its votes + 1 as base-(K+1) digits in one int64 when m log2(K+1) <= 62
    bits, else its digits as m bytes (2m for K >= 255); keys are kept sorted and unique.
    Raises DataError when there are more than `limit` distinct rows (the histogram, about
    16 bytes or m + 8 bytes per row, is what reaches the client of a distributed fit).
    """

    def __init__(self, keys: np.ndarray, counts: np.ndarray, n_sources: int, n_classes: int, limit: int):
        if keys.size > limit:
            raise DataError(
                f"auto: L has more than {limit:,} distinct rows (vote patterns); auto fits from their "
                "histogram, which would not be small. Raise max_patterns (about "
                f"{_key_bytes(n_sources, n_classes) + 8} bytes per pattern in memory and on the client of a "
                "distributed fit), or use dawid-skene or majority-vote, which fit from fixed-size statistics"
            )
        self.keys, self.counts = keys, counts
        self.n_sources, self.n_classes, self.limit = n_sources, n_classes, limit

    @classmethod
    def of(cls, L: Any, n_classes: int, limit: int) -> PatternHistogram:
        """The histogram of a checked dense (-1 = abstain) or CSR (stored class + 1) matrix."""
        n, m = L.shape
        keys = np.concatenate(
            [
                _keys(
                    L[i : i + _CHUNK]
                    if not is_sparse(L)
                    else dense_rows(L, np.arange(i, min(i + _CHUNK, n))),
                    n_classes,
                )
                for i in range(0, n, _CHUNK)
            ]
            or [_keys(np.zeros((0, m), dtype=np.int64), n_classes)]
        )
        if m * np.log2(n_classes + 1) <= 22:  # int64 codes in a small space: count, no sort
            every = np.bincount(keys, minlength=(n_classes + 1) ** m)
            uniq = np.flatnonzero(every)
            return cls(uniq.astype(np.int64), every[uniq].astype(np.int64), m, n_classes, limit)
        uniq, counts = np.unique(keys, return_counts=True)
        return cls(uniq, counts.astype(np.int64), m, n_classes, limit)

    def votes(self) -> np.ndarray:
        """(m, K) float: the number of votes of each source for each class (each source's
        digit of every key, counted with the keys' counts)."""
        m, base = self.n_sources, self.n_classes + 1
        out = np.zeros((m, self.n_classes))
        weights = self.counts.astype(np.float64)
        if self.keys.dtype == np.int64:
            rest = self.keys.copy()
            for j in range(m - 1, -1, -1):  # loop over sources
                out[j] = np.bincount(rest % base, weights=weights, minlength=base)[1:]
                rest //= base
            return out
        for start in range(0, self.keys.size, _CHUNK):
            index = np.arange(start, min(start + _CHUNK, self.keys.size))
            out += source_class_counts(self.patterns(index), self.n_classes, weights[index])
        return out

    def __add__(self, other: PatternHistogram) -> PatternHistogram:
        if (other.n_sources, other.n_classes) != (self.n_sources, self.n_classes):
            raise DataError(
                "auto: histograms of partitions with different sources or classes cannot be merged"
            )
        uniq, inverse = np.unique(np.concatenate([self.keys, other.keys]), return_inverse=True)
        counts = np.bincount(
            inverse, weights=np.concatenate([self.counts, other.counts]), minlength=uniq.size
        )
        return PatternHistogram(uniq, counts.astype(np.int64), self.n_sources, self.n_classes, self.limit)

    def patterns(self, index: np.ndarray) -> np.ndarray:
        """The rows `index` of the histogram as an int64 label matrix (-1 = abstain)."""
        keys, m, base = self.keys[index], self.n_sources, self.n_classes + 1
        if self.keys.dtype == np.int64:
            out = np.empty((keys.size, m), dtype=np.int64)
            rest = keys.copy()
            for j in range(m - 1, -1, -1):  # loop over sources
                out[:, j] = rest % base - 1
                rest //= base
            return out
        digits = np.frombuffer(keys.tobytes(), dtype=_digit_dtype(self.n_classes)).reshape(keys.size, m)
        return digits.astype(np.int64) - 1

    def draw(self, limit: int, rng: np.random.Generator) -> np.ndarray:
        """Every row (each distinct row repeated by its count, in the histogram's order) when
        there are at most `limit`, else `limit` rows drawn with replacement in proportion to
        the counts (the law of drawing rows of L)."""
        patterns, counts = self.draw_counts(limit, rng)
        return np.repeat(patterns, counts, axis=0)

    def draw_counts(self, limit: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """`draw` as distinct rows (in the histogram's order) and how often each was drawn
        (int64, all positive); the same rows and the same use of `rng`."""
        total = int(self.counts.sum())
        drawn = self.counts if total <= limit else rng.multinomial(limit, self.counts / total)
        used = np.flatnonzero(drawn)
        return self.patterns(used), drawn[used]


def _digit_dtype(n_classes: int) -> np.dtype[Any]:
    return (
        np.dtype(np.uint8) if n_classes + 1 <= 255 else np.dtype(">u2")
    )  # big-endian: bytes sort as numbers


def _key_bytes(n_sources: int, n_classes: int) -> int:
    if n_sources * np.log2(n_classes + 1) <= 62:
        return 8
    return n_sources * _digit_dtype(n_classes).itemsize


def _keys(L: np.ndarray, n_classes: int) -> np.ndarray:
    """(n,) key of each row of a dense L (PatternHistogram): int64 codes or void digits."""
    m = L.shape[1]
    if _key_bytes(m, n_classes) == 8:
        return row_codes(L, n_classes)
    digits = np.ascontiguousarray((L + 1).astype(_digit_dtype(n_classes)))
    return digits.view(np.dtype((np.void, digits.itemsize * m))).ravel()


def _tables_on(
    name: str, rows: np.ndarray, k: int, prior: np.ndarray | None, seed: int, tol: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`_tables` on a subset of rows; a source silent there gets no factor (all zeros)."""
    keep = (rows != -1).any(axis=0)
    if keep.all():
        return _tables(name, rows, k, prior, seed, tol)
    log_prior, F_kept, class_prior = _tables(name, rows[:, keep], k, prior, seed, tol)
    F = np.zeros((rows.shape[1], k + 1, k))
    F[keep] = F_kept
    return log_prior, F, class_prior


def _cross_fitted(
    name: str,
    folds: list[np.ndarray],
    scored: list[ScoreRows],
    k: int,
    prior: np.ndarray | None,
    seed: int,
    criterion: str,
) -> float:
    """Held-out score on each half of the rows (`scored[i]`: `folds[i]` prepared for scoring)
    of a fit on the other half, pooled over votes."""
    total = votes = 0.0
    for fit_rows, score_on in ((folds[0], scored[1]), (folds[1], scored[0])):
        if fit_rows.shape[0] < 2 or not (fit_rows != -1).any():
            continue
        log_prior, F, _ = _tables_on(name, fit_rows, k, prior, seed, _SCORE_TOL)
        score, n_votes = held_out_agreement(score_on, log_prior, F, criterion)
        if n_votes:
            total += score * n_votes
            votes += n_votes
    return total / votes if votes else float("nan")
