"""`auto`: the label model to take without knowing the data; decides from L alone (no gold).

How it decides:

1. The candidates: majority vote, weighted vote, Dawid-Skene and (binary only) the triplet
   method. A candidate that refuses the data (DataError, e.g. triplet on crowd-like
   matrices) is recorded with its reason and left out.
2. Read the matrix. When at least half the sources vote a single class (labeling
   functions: keyword rules, one-sided heuristics), **majority vote decides and the mean
   posterior of the learned candidates breaks its ties** (and gives the class prior of rows
   with no vote). When most sources vote several classes (crowd workers,
   two-sided LFs), it is the candidate with the best **held-out vote log-likelihood**:
   every vote lambda_ij on a row where another source votes is predicted from the *other*
   sources, P(lambda_ij | lambda_i,-j) = sum_y P(y | lambda_i,-j) P(lambda_j = lambda_ij | y, votes),
   with the candidate fitted on the other half of the rows (two-fold cross-fitting, on at
   most `max_score_rows` rows), and the mean log-probability per vote is its score.
3. Why two rules: for a one-class source P(vote | y, it votes) is 1 under any model that
   knows the source votes one class, so the likelihood cannot rank models there; and on the
   WRENCH and Active WeaSuL matrices no unsupervised ranking we measured (this likelihood,
   held-out agreement of the vote with the others' prediction, in- or out-of-sample) picked
   the better model reliably. Letting the learned models override majority vote helps on
   some (youtube: their mean 0.840, majority vote 0.776 with ties to class 0) and loses on
   others (trec: 0.522 vs 0.576); breaking ties only keeps the gain where it comes from ties
   (youtube 0.832, trec 0.594). On crowd sets the likelihood picked the best or near-best
   candidate. On LF matrices no held-out score is computed (none would be used); `scores_`
   says which candidate decides and which break ties.

Every candidate is a naive-Bayes posterior, log P(y | lambda) = log prior_y +
sum_j F[j, lambda_j, y] + const, with F[j, K, y] the term of an abstain. `auto` keeps the
tables of the model(s) it uses (`log_prior_`, `factors_`), so it saves and loads like any
model. Majority vote enters as equal weights log(0.7 (K-1) / 0.3) per vote (the same argmax
and ties as `majority-vote`; the probabilities of a one-coin model of accuracy 0.7).
What it chose: `chosen_`, `mode_`, `members_` and `scores_` (candidate -> held-out score, its
role, or why it was left out); `report()` returns them as a JSON-ready dict for a step's metrics.

Cost: one check and one pass over `L` (its distinct rows and their counts); the subsets are
drawn from the distinct rows in proportion to their counts (with replacement) without going
back to `L`. Crowd-like matrices: half-fits of the candidates on at most `max_score_rows`
rows and a pass over their votes (O(votes x K), in chunks); then the fit of the model(s) used
on at most `max_fit_rows` rows: linear in K and in the votes. The models' at most m K (K+1)
parameters are pinned down long before 50,000 rows (generated 1M x 10: accuracy 0.9274 with
50,000 fit rows, 0.9274-0.9275 with 200,000). Ratios to Snorkel: benchmarks/run_benchmarks.py.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from pydantic import Field, field_validator
from weasul.data import ExpertLabels
from weasul.errors import DataError
from weasul.interfaces import LabelModel, LabelModelParams
from weasul.validation import check_label_matrix

from weasul_baselines._common import check_fit_matrix, compress_rows, resolve_prior
from weasul_baselines.dawid_skene import DawidSkene
from weasul_baselines.majority_vote import WeightedVote
from weasul_baselines.steps import AutoStep
from weasul_baselines.triplet import Triplet

if TYPE_CHECKING:
    from typing import Self

    from scipy import sparse

__all__ = ["Auto", "CANDIDATES"]

_log = logging.getLogger(__name__)

#: Candidates from simplest to most complex (the order `margin` favours).
CANDIDATES = ("majority-vote", "weighted-vote", "triplet", "dawid-skene")
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


def held_out_agreement(
    patterns: np.ndarray,
    counts: np.ndarray,
    log_prior: np.ndarray,
    F: np.ndarray,
    criterion: str = "agreement",
) -> tuple[float, float]:
    """Mean over votes (on rows where another source votes) of [vote == prediction from the
    other sources], ties counted fractionally, rows weighted by `counts`; and how many votes."""
    logits = _logits(patterns, log_prior, F)
    voted = patterns != -1
    others = voted.sum(axis=1) > 1
    rows, cols = np.nonzero(voted & others[:, None])
    if rows.size == 0:
        return float("nan"), 0.0
    total = 0.0
    k = F.shape[2]
    # P(vote c | y, the source votes): each factor table normalised over the K vote outputs
    votes = F[:, :k, :]
    log_cond = (
        votes
        - np.log(np.exp(votes - votes.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True))
        - votes.max(axis=1, keepdims=True)
    )
    for start in range(0, rows.size, _CHUNK):
        r, c = rows[start : start + _CHUNK], cols[start : start + _CHUNK]
        v = patterns[r, c]
        lo = logits[r] - F[c, v]  # remove source j's own factor
        if criterion == "likelihood":
            q = lo - lo.max(axis=1, keepdims=True)
            q = np.exp(q)
            q /= q.sum(axis=1, keepdims=True)
            hit = np.log(np.maximum((q * np.exp(log_cond[c, v])).sum(axis=1), 1e-300))
        else:
            top = lo.max(axis=1, keepdims=True)
            tied = lo >= top - 1e-9 * np.maximum(1.0, np.abs(top))
            hit = tied[np.arange(r.size), v] / tied.sum(axis=1)
        total += float(counts[r] @ hit)
    n_votes = float(counts[rows].sum())
    return total / n_votes, n_votes


class Auto(LabelModel):
    """Majority vote with learned tie-breaks on labeling-function matrices, the candidate with
    the best held-out vote likelihood on crowd-like ones (see the module docstring).

    Learned state: `chosen_`, `mode_`, `members_`, `backbone_` (majority vote decides),
    `scores_`, `log_prior_` (M, K), `factors_` (M, m, K+1, K) for the M models used,
    `class_prior_` (K,). Rows where every source abstains get `class_prior_` (the learned
    members' mean class prior).
    """

    class Params(LabelModelParams):
        candidates: list[str] = Field(
            default_factory=lambda: list(CANDIDATES),
            description="models to use or choose among, from " + ", ".join(CANDIDATES),
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
        """Fit the candidates on `L` (n, m) and combine or choose them (module docstring).
        `y_dev` and `expert` are not used. Raises DataError on a malformed `L`."""
        L, k = check_fit_matrix(L, self.params.n_classes)
        prior = resolve_prior(self.params.class_prior, k)
        seed = self.params.seed
        patterns, counts, _ = compress_rows(L, k)  # once: the subsets below are drawn from it
        voted_classes = np.stack([(patterns == c).any(axis=0) for c in range(k)], axis=1).sum(axis=1)
        mode = "labeling-functions" if (voted_classes == 1).mean() >= 0.5 else "crowd"
        rng = np.random.default_rng(seed)
        scores: dict[str, Any] = {}
        ok = [c for c in CANDIDATES if c in self.params.candidates]
        if k != 2 and "triplet" in ok:
            scores["triplet"] = "left out: binary only"
            ok.remove("triplet")
        if mode == "crowd":  # the held-out vote likelihood chooses (on LF matrices it cannot)
            sub = _resample(L, patterns, counts, self.params.max_score_rows, rng)
            half = rng.permutation(sub.shape[0])
            folds = [sub[half[: sub.shape[0] // 2]], sub[half[sub.shape[0] // 2 :]]]
            for name in list(ok):
                try:
                    scores[name] = round(_cross_fitted(name, folds, k, prior, seed, "likelihood"), 6)
                except DataError as err:
                    scores[name] = f"refused: {err}"
                    ok.remove(name)
            if not ok:  # every candidate refused even a half of L: try them on all of L
                ok = [c for c in self.params.candidates if c != "triplet" or k == 2][:1]
            finite = [c for c in ok if isinstance(scores.get(c), float) and np.isfinite(scores[c])]
            members = [max(finite, key=lambda c: scores[c])] if finite else ok[:1]
        else:
            members = ok
        fit_rows = _resample(L, patterns, counts, self.params.max_fit_rows, rng)
        tables = []
        for name in list(members):
            try:
                tables.append(_tables_on(name, fit_rows, k, prior, seed))
            except DataError as err:  # refuses all of L though not a half: leave it out
                scores[name] = f"refused: {err}"
                members.remove(name)
        if not tables:
            tables, members = [_tables("majority-vote", L, k, prior, seed)], ["majority-vote"]
        self.log_prior_ = np.stack([t[0] for t in tables])
        self.factors_ = np.stack([t[1] for t in tables])
        backbone = mode == "labeling-functions" and members[0] == "majority-vote" and len(members) > 1
        learned = tables[1:] if backbone else tables
        self.class_prior_ = np.mean([t[2] for t in learned], axis=0)
        self.members_ = members
        self.mode_ = mode
        self.backbone_ = backbone
        if backbone:
            self.chosen_ = "majority-vote, ties broken by the mean of " + ", ".join(members[1:])
        else:
            self.chosen_ = members[0] if len(members) == 1 else "mean of " + ", ".join(members)
        if mode == "labeling-functions":
            for name in members:
                scores[name] = "decides" if name == "majority-vote" or not backbone else "breaks ties"
        self.scores_ = scores
        self.n_classes_ = k
        self.n_sources_ = L.shape[1]
        _log.info("auto (%s matrix) uses %s; %s", mode, self.chosen_, scores)
        return self

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
        P = np.zeros((patterns.shape[0], self.n_classes_))
        log_prior, factors = np.asarray(self.log_prior_), np.asarray(self.factors_)
        first = 1 if self.backbone_ else 0
        for start in range(0, patterns.shape[0], _CHUNK):
            block = patterns[start : start + _CHUNK]
            mean = np.zeros((block.shape[0], self.n_classes_))
            for lp, F in zip(log_prior[first:], factors[first:], strict=True):
                mean += _softmax(_logits(block, lp, F))
            mean /= log_prior.shape[0] - first
            if self.backbone_:  # majority vote decides; the learned mean only breaks its ties
                logits = _logits(block, log_prior[0], factors[0]) + _TIE * np.log(np.maximum(mean, 1e-6))
                mean = _softmax(logits)
            P[start : start + _CHUNK] = mean
        P[(patterns == -1).all(axis=1)] = self.class_prior_
        return cast(np.ndarray, P[inverse])


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return cast(np.ndarray, e / e.sum(axis=1, keepdims=True))


def _resample(
    L: np.ndarray, patterns: np.ndarray, counts: np.ndarray, limit: int, rng: np.random.Generator
) -> np.ndarray:
    """`L` itself when it has at most `limit` rows, else `limit` rows drawn with replacement
    from its distinct rows in proportion to their counts (the same law as drawing rows of `L`,
    without another pass over it)."""
    if L.shape[0] <= limit:
        return L
    drawn = rng.multinomial(limit, counts / counts.sum())
    return np.repeat(patterns, drawn, axis=0)


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
    name: str, folds: list[np.ndarray], k: int, prior: np.ndarray | None, seed: int, criterion: str
) -> float:
    """Held-out score on each half of the rows of a fit on the other half, pooled over votes."""
    total = votes = 0.0
    for fit_rows, score_rows in (folds, folds[::-1]):
        if fit_rows.shape[0] < 2 or not (fit_rows != -1).any():
            continue
        log_prior, F, _ = _tables_on(name, fit_rows, k, prior, seed, _SCORE_TOL)
        patterns, counts, _ = compress_rows(score_rows, k)
        score, n_votes = held_out_agreement(patterns, counts, log_prior, F, criterion)
        if n_votes:
            total += score * n_votes
            votes += n_votes
    return total / votes if votes else float("nan")
