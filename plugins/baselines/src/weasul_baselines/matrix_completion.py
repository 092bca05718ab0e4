"""Matrix-completion label model (Ratner et al. 2019, "Training complex models with multi-task
weak supervision"), the generative model that Active WeaSuL (`papers/05`, Eq. 1-4) builds on.

Model. Y has K classes with prior p; the labeling functions form *units* (single sources, or
cliques of sources known to depend on each other) that are conditionally independent given Y.
psi(lambda) holds one 0/1 column per (source, class) and per vote combination of each clique
subset (see `_indicators`); psi(Y) is the one-hot of Y without class 0 (r = K-1 columns).
With Sigma_O = Cov[psi(lambda)] and Sigma_OS = Cov[psi(lambda), psi(Y)], the inverse of the
joint covariance is zero between units (junction-tree structure), which gives

    z_hat = argmin_z || (Sigma_O^{-1} + z z^T)_Omega ||_F^2                       (Eq. 1)

with Omega the pairs of columns from different units and z (d, r) = Sigma_O^{-1} Sigma_OS C^{1/2},
C = (Sigma_S - Sigma_OS^T Sigma_O^{-1} Sigma_OS)^{-1}. From z_hat: Sigma_OS = Sigma_O z R
(I + Lambda)^{-1/2} V^T Sigma_S^{1/2}, where R Lambda R^T = z^T Sigma_O z and V is the rotation
(a sign when K = 2) that makes the sources most accurate on average (orthogonal Procrustes).
The joint table mu[c, y] = P(psi_c = 1, Y = y) follows, and

    f(z, lambda_i) = P(y | lambda_i) ∝ p_y prod_{units u voting in row i} mu[c_u(i), y] / p_y   (Eq. 2)

Abstains are treated as uninformative (as in Snorkel). Rows where every source abstains get
the class prior. A matrix whose co-votes cannot identify the model (fewer than 20, or none
that agree) is refused with a DataError that names majority vote.

Default class prior (`class_balance="votes"`): the class shares of the votes of the sources
that vote two or more classes, shrunk towards uniform by how much they disagree
(uniform with fewer than two such sources; `_vote_share_prior`): second moments do not
identify it, and a uniform prior (Snorkel's `class_balance=None`) collapses imbalanced sets.
Shares of one-class LFs' votes are not used: they measure how often an LF fires.

Standardised columns. Eq. 1 is solved on the *correlation* matrix of the kept psi columns,
D^{-1/2} Sigma_O D^{-1/2} with D = diag(Sigma_O), i.e. for z' = D^{1/2} z. In the population
this changes nothing (the off-unit blocks of its inverse are still -z' z'^T, rank r), but it
weights the columns evenly: in raw units an entry of Sigma_O^{-1} scales as 1/(var_i var_j)
and var ~ coverage for a rare source, so a handful of nearly silent LFs can carry almost all
of the Frobenius norm and run the fit away. (Snorkel's LabelModel never inverts the
covariance: it fits the raw overlap matrix, where rare LFs weigh little.) We start from
majority-vote soft labels and run L-BFGS to convergence; the Omega (pairs from different
units) and the clip eps are Snorkel's defaults (the class prior is not: see above).

Anchor. Eq. 1 alone collapsed on crowd-worker matrices (many workers, each answering a few
items: most pairs never vote together, so Sigma_O and its inverse are mostly missingness and
noise): L-BFGS ran z far from the majority-vote start (itself at or above majority vote) to a
model below chance. So the solver minimises Eq. 1 +
`anchor` * Eq. 1(z0) * ||z - z0||^2 / ||z0||^2, like Snorkel's `l2` pull towards `prec_init`
but in the units of Eq. 1 at the start: with anchor = 1, moving z by its own length costs
what Eq. 1 costs there. The default 0.3 keeps crowd sets from collapsing and recovers the
source accuracies on generated data as well as Eq. 1 alone does; `anchor=0` is Eq. 1 alone.

Many classes (one-vs-rest above `joint_max_classes`, default 10)
----------------------------------------------------------------
The joint Eq. 1 has d = m K columns and z (d, K-1): each evaluation of the objective costs
O(d^2 K) = O(m^2 K^3), summing the moments O(n (m K)^2), the column selection and the inverse
O((m K)^3), cubic in K. Above `joint_max_classes` classes the fit solves K binary problems
"Y = c" instead: for class c, the indicators psi_jc = [lambda_j = c]
of the m_c sources that ever vote c and Y_c = [Y = c] with prior p_c; Eq. 1 on their
(m_c, m_c) correlation matrix, z of rank 1, the same anchored majority-vote start and L-BFGS.
The psi_jc are independent given Y_c exactly when a source's wrong votes do not depend on
the true class (P(lambda_j = v | Y = y) the same for all y != v), approximately otherwise
(the mix of the other classes adds a covariance of the order of the products of wrong-vote
rates). The K solutions give the class-conditional table with off-diagonals that depend on
the vote only: P(lambda_j = v | Y = v) = a_jv from problem v, P(lambda_j = v | Y = y) =
b_jv = P(psi_jv = 1 | Y != v) for y != v, so Eq. 2 becomes p_y prod_{j voting y} a_jy / b_jy.
Statistics (`_one_vs_rest_statistics`): the votes per (source, class), the same-class
co-votes (K, m, m) (sparse products over the (item, class voted there) cells, O(n m^2)
whatever K) and the majority-vote sums; fits from partition statistics and `partial_fit` sum
them instead of the (m K)^2 overlap matrix. Each solver step costs O(K m^2). The class prior
rule is the joint fit's. Fits with cliques or expert labels and subclasses that override a
hook (Active WeaSuL) stay joint. `formulation_` says which ran.

The approximation misses class-structured noise (wrong votes that favour one class), so the
joint fit stays the default wherever it is affordable. The figures behind this module's
choices (class prior, standardised columns, anchor, one-vs-rest): README, "Measurements behind
the defaults".

Extending the objective (Active WeaSuL, Eq. 3-4)
------------------------------------------------
`fit(L, expert=ExpertLabels(indices, labels))` with `alpha > 0` adds

    alpha * sum_{i in expert} 1/2 * || f(z, lambda_i) - onehot(y_i) ||^2

which for K = 2 is exactly the paper's `alpha * sum_i (f(z, lambda_i) - y_i)^2`.
Other terms: subclass and override `extra_loss(problem, z)` (call `super().extra_loss` to keep
the expert penalty); `problem` is the `MCProblem` of this fit (`problem.probs(z, rows)` is f,
`problem.base_loss(z)` is Eq. 1, `problem.curvature(z)` the diagonal of its Hessian for the
paper's alpha heuristic, `problem.expert` the expert labels, `problem.alpha` their weight).
Its gradient is taken by central finite differences unless `extra_loss_grad` returns one.
`warm_start=True` starts each refit from the previous z (the active loop refits after every
answer). Known dependencies between sources go in `cliques`, e.g. `cliques=[[1, 2]]` for
Active WeaSuL's synthetic LFs 2 and 3.

Extension points for subclasses (all public, used by Active WeaSuL): `build_problem` (the
statistics; a subclass may re-parametrise the returned `MCProblem` from its `psi`, `weights`
and `mean`), `init_z` (the start of the optimiser), `objective` (Eq. 1 plus `extra_loss`, with
its gradient), `extra_grad` (the gradient of `extra_loss`, analytic or by finite differences),
`anchor_weight` (the pull towards the start, below) and `solve` (the optimiser). On `MCProblem`, `set_expert` swaps the expert labels of a fit and
`set_prior` the class prior.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
from pydantic import Field
from weasul.data import ExpertLabels
from weasul.errors import DataError, UnsupportedError
from weasul.interfaces import LabelModel, LabelModelParams
from weasul.statistics import Statistics
from weasul.validation import check_label_matrix, check_labels, is_sparse

from weasul_baselines._common import (
    check_fit_matrix,
    compress_rows,
    resolve_prior,
    vote_counts,
)
from weasul_baselines._indicators import (
    Layout,
    build_layout,
    check_cliques,
    factor_matrix,
    indicator_matrix,
    single_layout,
)
from weasul_baselines._statistics import FromStatistics, check_sources, vote_entries

if TYPE_CHECKING:
    from typing import Self

__all__ = ["MatrixCompletion", "MCProblem"]

#: fewest (row, pair of units) co-votes matrix completion fits from (`_check_overlap`)
_MIN_CO_VOTES = 20

_log = logging.getLogger(__name__)


def _sym_sqrt(S: np.ndarray) -> np.ndarray:
    w, V = np.linalg.eigh(S)
    return cast(np.ndarray, (V * np.sqrt(np.maximum(w, 0.0))) @ V.T)


def _select_columns(sigma: np.ndarray, tol: float) -> np.ndarray:
    """Greedy, order-preserving choice of linearly independent columns of a covariance.

    Keeps column c when its variance left after projecting on the kept columns is above
    `tol` times its own variance (pivoted Cholesky with a fixed order: sources first)."""
    d = sigma.shape[0]
    keep: list[int] = []
    chol = np.zeros((d, d))
    scale = max(float(np.max(np.diag(sigma))), 1e-300)
    for c in range(d):
        var = sigma[c, c]
        if var <= 1e-12 * scale:
            continue
        if keep:
            k = len(keep)
            from scipy.linalg import solve_triangular

            v = solve_triangular(chol[:k, :k], sigma[keep, c], lower=True)
            resid = var - v @ v
        else:
            v = np.zeros(0)
            resid = var
        if resid > tol * var:
            k = len(keep)
            chol[k, :k] = v
            chol[k, k] = np.sqrt(resid)
            keep.append(c)
    return np.asarray(keep, dtype=np.int64)


def _vote_share_prior(layout: Layout, mean: np.ndarray, n: int) -> np.ndarray:
    """Default class prior (K,): the class shares of the votes of the sources that vote two or
    more classes, shrunk towards uniform by how much those sources disagree about them.

    Second moments do not identify the class balance (the fit maps the prior-free Cov[psi, Y] /
    sd(Y) to P(vote | y) through the prior), so it comes from the votes. Only multi-class
    sources count: a one-class labeling function's vote share measures how often it fires,
    not how often its class occurs. A multi-class source's share is the class balance seen
    through its errors and biases, which one source cannot tell apart, so the pooled share p
    (vote-weighted) is trusted only as far as the sources agree on it: p_used = u + lambda (p - u)
    with u uniform, lambda = max(0, 1 - e / d), d = TV(p, u) how far p is from uniform and e the
    vote-weighted mean TV(share_j, p). Uniform with fewer than two multi-class sources. (Figures
    on spouse, trec, the two-Gaussian sets and core's toy LFs: README, "Measurements behind the
    defaults".)"""
    k = layout.n_classes
    u = np.full(k, 1.0 / k)
    single = layout.single_col
    votes = np.where(single >= 0, mean[np.maximum(single, 0)] * n, 0.0)  # (m, K) votes per class
    votes = votes[(single >= 0).sum(axis=1) >= 2]
    if votes.shape[0] < 2:
        return u
    total = votes.sum(axis=1)
    pooled = votes.sum(axis=0) / total.sum()
    shares = votes / total[:, None]
    spread = float(total @ (0.5 * np.abs(shares - pooled).sum(axis=1)) / total.sum())
    far = 0.5 * float(np.abs(pooled - u).sum())
    lam = max(0.0, 1.0 - spread / far) if far > 0 else 0.0
    prior = u + lam * (pooled - u)
    prior = (prior * n + 1.0) / (n + k)  # no class at 0 (Cov[psi(Y)] must stay invertible)
    return cast(np.ndarray, prior / prior.sum())


def _weighted_sums(psi: Any, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum of psi (d,) and psi^T diag(w) psi (d, d) with row weights w (counts of each vote
    pattern), by chunks of dense float32 GEMM (exact for 0/1 columns)."""
    d = psi.shape[1]
    total = np.asarray(psi.T @ w).ravel()
    second = np.zeros((d, d))
    step = max(1, 2**24 // max(d, 1))
    for start in range(0, psi.shape[0], step):
        block = psi[start : start + step].toarray().astype(np.float32)
        second += (block.T @ (block * w[start : start + step, None].astype(np.float32))).astype(np.float64)
    return total, second


def _weighted_moments(psi: Any, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """E[psi] and E[psi psi^T] with row weights w (counts of each vote pattern)."""
    n = float(w.sum())
    total, second = _weighted_sums(psi, w)
    return total / n, second / n


def _dev_prior(y_dev: np.ndarray, k: int) -> np.ndarray:
    """Class prior from development labels, add-one smoothed (no class gets zero)."""
    counts = np.bincount(check_labels(y_dev, n_classes=k, name="y_dev"), minlength=k) + 1.0
    return np.asarray(counts / counts.sum(), dtype=float)


def _layout_state(layout: Layout) -> dict[str, np.ndarray]:
    """The fitted-state entries that describe the psi columns (read back by `_layout`)."""
    return {
        "single_col": layout.single_col,
        "clique_of": layout.clique_of,
        "subset_keys": layout.subset_keys,
        "subset_cols": layout.subset_cols,
        "col_unit": layout.col_unit,
        "col_class": layout.col_class,
    }


def _one_vs_rest_statistics(P: Any, w: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Summable statistics of the one-vs-rest fit of the rows `P` (dense, -1 = abstain, or CSR
    with class + 1) with row weights `w`, all O(n m^2) whatever K: rows, covered_rows, psi_sum
    (m K) the votes per (source, class), same_gram (K, m, m) the rows where sources j and l
    both vote class c, mv_same (m K) the majority-vote share of class c summed over source j's
    votes for c, mv_mass (K) the majority-vote soft labels summed over the rows."""
    from scipy import sparse

    u, m = P.shape
    r, j, v = vote_entries(P)
    # one row per (item, class voted there): its gram holds the same-class co-votes only
    cells, cell_of = np.unique(r * k + v, return_inverse=True)
    B = sparse.csr_matrix((np.ones(r.size), (cell_of, j)), shape=(cells.size, m))
    same = np.zeros((k, m, m))
    cell_class = cells % k
    order = np.argsort(cell_class, kind="stable")
    bounds = np.searchsorted(cell_class[order], np.arange(k + 1))
    weighted = sparse.diags(w[cells // k]) @ B
    for c in np.flatnonzero(np.diff(bounds)):
        rows = order[bounds[c] : bounds[c + 1]]
        same[c] = (B[rows].T @ weighted[rows]).toarray()
    # majority-vote soft labels: P_mv(Y = v | row) = (votes for v in the row) / (votes in it)
    in_cell = np.bincount(cell_of, minlength=cells.size).astype(np.float64)
    per_row = np.bincount(r, minlength=u).astype(np.float64)
    share = in_cell / per_row[cells // k]
    return {
        "rows": np.array(w.sum()),
        "covered_rows": np.array(w[per_row > 0].sum()),
        "psi_sum": np.bincount(j * k + v, weights=w[r], minlength=m * k),
        "same_gram": same,
        "mv_same": np.bincount(j * k + v, weights=w[r] * share[cell_of], minlength=m * k),
        "mv_mass": np.bincount(cell_class, weights=w[cells // k] * share, minlength=k),
    }


@dataclass
class MCProblem:
    """The pieces of Eq. 1 for one fit, and f(z, lambda) (Eq. 2) for any z.

    Shapes: d columns of psi (all), dk of them kept (linearly independent), r = K - 1.
    `z` is always (dk, r), in the coordinates of `sigma`: the kept columns standardised to unit
    variance (see the module docstring); `expand` maps back to raw units of all d columns.
    A subclass may replace `sigma`, `sigma_inv`, `expand`, `keep` and `mask` together by any
    other consistent parametrisation (e.g. raw units, `expand` = identity), computed from
    `psi`, `weights` and `mean`.
    """

    layout: Layout
    n_items: int
    prior: np.ndarray  # (K,)
    patterns: np.ndarray  # (u, m) distinct vote patterns of L (rows of `psi`)
    weights: np.ndarray  # (u,) float: how many rows of L have each pattern (sum = n_items)
    psi: Any  # (u, d) CSR 0/1 indicator columns of the patterns (see `_indicators`)
    mean: np.ndarray  # (d,) E[psi]
    keep: np.ndarray  # (dk,) kept columns
    expand: np.ndarray  # (d, dk) Sigma_OS(all, raw units) = expand @ Sigma_OS(kept, standardised)
    sigma: np.ndarray  # (dk, dk) correlation matrix of the kept columns (Sigma_O standardised)
    sigma_inv: np.ndarray  # (dk, dk)
    mask: np.ndarray  # (dk, dk) float 0/1: Omega
    eps: float  # clip of P(psi_c = 1 | y)
    alpha: float = 0.0  # weight of the expert penalty in this fit (`extra_loss`)
    anchor_at: np.ndarray | None = None  # (dk, r) the start z0 the fit is pulled towards
    anchor: float = 0.0  # weight w of the pull w * ||z - anchor_at||^2 (`MatrixCompletion.anchor_weight`)
    expert: ExpertLabels | None = None
    expert_factors: Any = None  # (|expert|, d) CSR factor rows of the expert items
    #: (d, r): +1 where column c is a vote for class y > 0 (entry y - 1), -1 for a vote for
    #: class 0, 0 for clique columns: the direction in which sources are accurate (fixes V)
    acc_dir: np.ndarray = field(init=False, repr=False)
    sigma_s_half: np.ndarray = field(init=False, repr=False)  # (r, r) Cov[psi(Y)]^{1/2}
    _dense_expert_factors: np.ndarray | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        k = self.prior.size
        cls = self.layout.col_class
        B = np.zeros((cls.size, k - 1))
        single = cls >= 0
        B[single & (cls > 0), cls[single & (cls > 0)] - 1] = 1.0
        B[cls == 0, :] = -1.0
        self.acc_dir = B
        self.set_prior(self.prior)

    def set_prior(self, prior: np.ndarray) -> None:
        """Use class prior `prior` (K,) from now on."""
        self.prior = np.asarray(prior, dtype=np.float64)
        ps = self.prior[1:]
        self.sigma_s_half = _sym_sqrt(np.diag(ps) - np.outer(ps, ps))

    def set_expert(self, expert: ExpertLabels | None, factors: Any = None) -> None:
        """Use `expert` labels with their factor rows (`factor_matrix` of their rows of L)."""
        self.expert, self.expert_factors = expert, factors
        self._dense_expert_factors = None

    def dense_expert_factors(self) -> Any:
        """`expert_factors` as a dense array when it has at most 4M entries (cached until
        `set_expert`), else the sparse matrix itself: fast products for analytic gradients."""
        F = self.expert_factors
        if F is None or not hasattr(F, "toarray") or F.shape[0] * F.shape[1] > 4_000_000:
            return F
        if self._dense_expert_factors is None:
            self._dense_expert_factors = F.toarray()
        return self._dense_expert_factors

    @property
    def rank(self) -> int:
        return self.prior.size - 1

    # --- Eq. 1 -------------------------------------------------------------------------
    def base_loss(self, z: np.ndarray) -> float:
        """|| (Sigma_O^{-1} + z z^T)_Omega ||_F^2."""
        R = self.mask * (self.sigma_inv + z @ z.T)
        return float(np.sum(R * R))

    def base_loss_grad(self, z: np.ndarray) -> tuple[float, np.ndarray]:
        R = self.mask * (self.sigma_inv + z @ z.T)
        return float(np.sum(R * R)), 4.0 * (R @ z)

    def anchor_loss_grad(self, z: np.ndarray) -> tuple[float, np.ndarray]:
        """anchor * ||z - anchor_at||^2 and its gradient (0 without an anchor)."""
        if self.anchor == 0 or self.anchor_at is None:
            return 0.0, np.zeros_like(z)
        step = z - self.anchor_at
        return self.anchor * float(np.sum(step * step)), 2.0 * self.anchor * step

    def curvature(self, z: np.ndarray) -> np.ndarray:
        """(dk, r) diagonal of the Hessian of `base_loss` at z (Active WeaSuL's alpha heuristic
        is alpha = max of this)."""
        return cast(np.ndarray, 4.0 * (self.mask @ (z * z)))

    # --- from z to probabilities (Eq. 2) -----------------------------------------------
    def joint(self, z: np.ndarray) -> np.ndarray:
        """(d, K) mu[c, y] = P(psi_c = 1, Y = y) recovered from z."""
        lam, R = np.linalg.eigh(z.T @ self.sigma @ z)
        N = (self.sigma @ z @ R) / np.sqrt(1.0 + np.maximum(lam, 0.0))[None, :]
        N_all = self.expand @ N
        M = self.sigma_s_half @ self.acc_dir.T @ N_all
        P, _, Qt = np.linalg.svd(M)
        V = P @ Qt
        cov_os = N_all @ V.T @ self.sigma_s_half
        mu = np.empty((self.mean.size, self.prior.size))
        mu[:, 1:] = cov_os + self.mean[:, None] * self.prior[None, 1:]
        mu[:, 0] = self.mean * self.prior[0] - cov_os.sum(axis=1)
        return mu

    def log_theta(self, z: np.ndarray, *, keep_order: bool = False) -> np.ndarray:
        """(d, K) log P(psi_c = 1 | Y = y), clipped to [eps, 1].

        With `keep_order` (the fitted tables), estimates outside [eps, 1] keep their order: the
        log gains `ORDER_SLOPE` times the distance beyond the clip. A plain clip maps every
        estimate above 1 to 1, so a source whose estimate leaves the range for two classes no
        longer tells them apart, and rows it votes on alone come out exactly tied (on WRENCH
        trec, about half the covered test rows: README, "Measurements behind the defaults").
        """
        theta = self.joint(z) / self.prior[None, :]
        clipped = np.clip(theta, self.eps, 1.0)
        out = np.log(clipped)
        if keep_order:
            out += ORDER_SLOPE * (theta - clipped)
        return cast(np.ndarray, out)

    def probs(self, z: np.ndarray, factors: Any) -> np.ndarray:
        """f(z, lambda): (n, K) P(y | lambda) for the rows of a factor matrix (see `factor_matrix`)."""
        return posterior(factors, self.log_theta(z), self.prior)

    def expert_penalty(self, z: np.ndarray) -> float:
        """sum over expert items of 1/2 || f(z, lambda_i) - onehot(y_i) ||^2 (0 without experts)."""
        if self.expert is None or len(self.expert) == 0:
            return 0.0
        P = self.probs(z, self.expert_factors)
        P[np.arange(len(P)), self.expert.labels] -= 1.0
        return 0.5 * float(np.sum(P * P))


#: Slope of the fitted log P(vote | y) beyond the clip (`MCProblem.log_theta(keep_order=True)`):
#: small enough to leave every decision the estimates inside the range make, large enough to
#: order classes whose estimates all leave it.
ORDER_SLOPE = 1e-3


def posterior(factors: Any, log_theta: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """softmax(F @ log_theta + log prior) row-wise."""
    logits = np.asarray(factors @ log_theta) + np.log(prior)[None, :]
    logits -= logits.max(axis=1, keepdims=True)
    P: np.ndarray = np.exp(logits)
    P /= P.sum(axis=1, keepdims=True)
    return P


class MatrixCompletion(FromStatistics, LabelModel):
    """Class-conditional label model fitted by matrix completion on the inverse covariance of
    the sources (Ratner et al. 2019; Active WeaSuL Eq. 1-2). See the module docstring for the
    model, `cliques` (known dependencies), and how to add terms to the objective (`alpha` with
    `fit(L, expert=...)`, or override `extra_loss`).

    The class prior is `class_prior` when given; otherwise the (add-one smoothed) class
    frequencies of `y_dev` when given (gold labels, used for nothing else), otherwise
    `class_balance`: the class shares of the multi-class sources' votes as far as they agree
    (default; uniform with fewer than two of them) or uniform. Second moments do not identify it (module docstring).

    Without cliques, fits from partition statistics (`weasul.statistics`: one pass of summed
    moments, the overlap matrix O among them; partitions dense or scipy.sparse) and streams
    with `partial_fit` (each call re-solves Eq. 1 from the running sums; `fit` starts the
    sums anew). `y_dev` and `expert` are in-memory only, as are subclasses that override
    `build_problem` or `init_z` and fits with `cliques` (UnsupportedError).

    Above `joint_max_classes` (10) classes, the fit (in memory or from statistics) solves one
    binary Eq. 1 per class on the one-vs-rest indicators (cost linear in K; module docstring,
    "Many classes").
    """

    class Params(LabelModelParams):
        cliques: list[list[int]] = Field(
            default_factory=list, description="groups of sources dependent given Y (disjoint), e.g. [[1, 2]]"
        )
        alpha: float = Field(0.0, ge=0, description="weight of the expert penalty (Active WeaSuL Eq. 3)")
        class_balance: Literal["votes", "uniform"] = Field(
            "votes",
            description="class prior when neither class_prior nor y_dev is given: votes = the class shares of "
            "the votes of the sources that vote two or more classes, shrunk towards uniform by how much they "
            "disagree (uniform with fewer than two such sources); uniform = 1/K",
        )
        max_iter: int = Field(500, ge=1, description="L-BFGS iterations")
        tol: float = Field(1e-10, gt=0, description="relative tolerance of the optimiser")
        mu_eps: float | None = Field(
            None, gt=0, lt=0.5, description="clip of P(vote | y); default min(0.01, 10^-ceil(log10 n))"
        )
        warm_start: bool = Field(False, description="start from the previous fit's z when shapes match")
        anchor: float = Field(
            0.3, ge=0, description="pull towards the start z0: anchor * Eq. 1(z0) * ||z - z0||^2 / ||z0||^2 "
            "(0: Eq. 1 alone)"
        )
        joint_max_classes: int = Field(
            10,
            ge=1,
            description="largest K fitted jointly (Eq. 1 on all m*K vote columns, O(m^2 K^3) per step); "
            "above it, one binary Eq. 1 per class on the one-vs-rest indicators (cost linear in K; module "
            "docstring). Fits with cliques, expert labels or overridden hooks stay joint",
        )

    params: Params

    @classmethod
    def examples(cls) -> list[MatrixCompletion]:
        return [cls(n_classes=2), cls(n_classes=3), cls(n_classes=2, cliques=[[0, 1]])]

    # --- extension hooks ---------------------------------------------------------------
    def extra_loss(self, problem: MCProblem, z: np.ndarray) -> float:
        """Terms added to Eq. 1; by default `alpha` times the expert penalty (Eq. 3-4).

        Override in a subclass to add terms (keep `super().extra_loss(problem, z)`).
        z: (dk, K-1). Must be a smooth function of z for the optimiser.
        """
        if problem.alpha == 0 or problem.expert is None or len(problem.expert) == 0:
            return 0.0
        return problem.alpha * problem.expert_penalty(z)

    def extra_loss_grad(self, problem: MCProblem, z: np.ndarray) -> np.ndarray | None:
        """Analytic gradient of `extra_loss` (dk, K-1), or None for finite differences."""
        return None

    # --- fit ---------------------------------------------------------------------------
    def build_problem(self, L: np.ndarray, expert: ExpertLabels | None = None) -> MCProblem:
        """Checks `L`, lays out psi and computes the statistics Eq. 1 needs.

        Raises DataError on a malformed `L`, on expert labels out of range, on a class prior with a
        zero, or when all sources form one unit (nothing to complete); warns with two units and no expert penalty (the
        model is identifiable from three units on).
        """
        L_full, k = check_fit_matrix(L, self.params.n_classes)
        n, m = L_full.shape
        prior = resolve_prior(self.params.class_prior, k)
        self._check_prior(prior)
        cliques = check_cliques(self.params.cliques, m)
        L, w, _ = compress_rows(L_full, k)  # statistics once per distinct vote pattern
        layout = build_layout(L, k, cliques)
        self._check_units(layout, expert)
        psi = indicator_matrix(L, layout)
        mean, second = _weighted_moments(psi, w)
        self._check_overlap(layout, second, n, expert)
        problem = self._problem_from_moments(layout, n, k, prior, mean, second, L, w, psi)
        if expert is not None and len(expert):
            idx = np.asarray(expert.indices, dtype=np.int64)
            if idx.min() < 0 or idx.max() >= n:
                raise DataError(
                    f"expert indices must be rows of L (0..{n - 1}); got {int(idx.min())}..{int(idx.max())}"
                )
            labels = check_labels(expert.labels, n_classes=k, name="expert.labels")
            problem.set_expert(ExpertLabels(idx, labels), factor_matrix(L_full[idx], layout))
        return problem

    def _default_prior(self, layout: Layout, mean: np.ndarray, n: int) -> np.ndarray:
        """The class prior without `class_prior` or `y_dev` (`class_balance`)."""
        if self.params.class_balance == "uniform":
            return np.full(layout.n_classes, 1.0 / layout.n_classes)
        return _vote_share_prior(layout, mean, n)

    def _check_prior(self, prior: np.ndarray | None) -> None:
        if prior is not None and prior.min() <= 0:
            raise DataError(
                f"{type(self).__name__}: class_prior {prior.tolist()} gives class(es) "
                f"{np.flatnonzero(prior <= 0).tolist()} probability 0; Cov[psi(Y)] is then singular and "
                "P(vote | y) = P(vote, y) / P(y) undefined. Give every class a positive prior (e.g. 1e-3), "
                "or leave a class that never occurs out of n_classes"
            )

    def _check_units(self, layout: Layout, expert: ExpertLabels | None) -> None:
        """Refuse one unit (nothing to complete); warn with two and no expert penalty."""
        n_units = int(np.unique(layout.col_unit).size)
        if n_units < 2:
            raise DataError(
                f"matrix-completion needs sources that are independent given Y; L has {n_units} unit "
                "(sources in one clique count once); use majority-vote or add labeling functions"
            )
        if n_units < 3 and not (expert is not None and len(expert) and self.params.alpha > 0):
            _log.warning(
                "matrix-completion: only %d conditionally independent units; Eq. 1 does not identify "
                "the model without expert labels (alpha > 0)",
                n_units,
            )

    def _check_overlap(self, layout: Layout, second: np.ndarray, n: int, expert: ExpertLabels | None) -> None:
        """Refuse a matrix whose co-votes cannot identify the model (unless expert labels with
        alpha > 0 do): fewer than `_MIN_CO_VOTES` (row, pair of units) co-votes, or co-votes
        that never agree (no source can be told better than chance). Eq. 1 fits the covariances
        between units; on a handful of co-votes it returns confident, arbitrary tables (flipping
        unanimous rows, breaking Snorkel's all-disagree ties)."""
        if expert is not None and len(expert) and self.params.alpha > 0:
            return
        single = layout.single_col >= 0
        cols = layout.single_col[single]
        unit = layout.col_unit[cols]
        cls = np.nonzero(single)[1]
        counts = second[np.ix_(cols, cols)] * n
        between = unit[:, None] != unit[None, :]
        total = float(counts[between].sum()) / 2
        agree = float(counts[between & (cls[:, None] == cls[None, :])].sum()) / 2
        use = "use majority-vote (or dawid-skene, which needs no co-votes)"
        if total < _MIN_CO_VOTES:
            raise DataError(
                f"{type(self).__name__}: only {total:.0f} co-votes (a row where two independent sources both "
                f"vote, counted per pair; needs {_MIN_CO_VOTES}): the covariances Eq. 1 fits are not "
                f"estimated; {use}"
            )
        if agree == 0:
            raise DataError(
                f"{type(self).__name__}: no two sources ever agree on a row ({total:.0f} co-votes), so no "
                f"source can be told better than chance; {use}"
            )

    def _problem_from_moments(
        self,
        layout: Layout,
        n: int,
        k: int,
        prior: np.ndarray | None,
        mean: np.ndarray,
        second: np.ndarray,
        patterns: np.ndarray,
        w: np.ndarray,
        psi: Any,
    ) -> MCProblem:
        """The `MCProblem` of E[psi] (d,) and E[psi psi^T] (d, d) over n rows (in memory with
        the distinct rows `patterns`, their counts `w` and indicator rows `psi`; from
        partition statistics with none of them)."""
        sigma_all = second - np.outer(mean, mean)
        keep = _select_columns(sigma_all, tol=1e-8)
        # standardise the kept columns: Eq. 1 on the correlation matrix (see `MCProblem`)
        scale = np.sqrt(np.diag(sigma_all)[keep])
        sigma = sigma_all[np.ix_(keep, keep)] / np.outer(scale, scale)
        sigma_inv = np.linalg.inv(sigma)
        sigma_inv = 0.5 * (sigma_inv + sigma_inv.T)
        expand = (sigma_all[:, keep] / scale[None, :]) @ sigma_inv
        expand[keep] = np.diag(scale)
        unit = layout.col_unit[keep]
        mask = (unit[:, None] != unit[None, :]).astype(np.float64)
        eps = (
            self.params.mu_eps if self.params.mu_eps is not None else min(0.01, 10.0 ** -np.ceil(np.log10(n)))
        )
        problem = MCProblem(
            layout=layout,
            n_items=n,
            prior=self._default_prior(layout, mean, n) if prior is None else prior,
            patterns=patterns,
            weights=w,
            psi=psi,
            mean=mean,
            keep=keep,
            expand=expand,
            sigma=sigma,
            sigma_inv=sigma_inv,
            mask=mask,
            eps=float(eps),
            alpha=self.params.alpha,
        )
        return problem

    def init_z(self, problem: MCProblem) -> np.ndarray:
        """The optimiser's start (dk, r): z from majority-vote soft labels, shrunk so that C
        stays positive definite; a seeded normal draw when that is degenerate."""
        psi, w = problem.psi, problem.weights
        k = problem.prior.size
        cls = problem.layout.col_class
        votes_of = np.zeros((cls.size, k))
        votes_of[cls >= 0, cls[cls >= 0]] = 1.0
        counts = np.asarray(psi @ votes_of)  # = vote_counts(L, k): every vote has its psi column
        tot = counts.sum(axis=1, keepdims=True)
        Y = np.where(tot > 0, counts / np.maximum(tot, 1), problem.prior[None, :])
        p_mv = w @ Y / w.sum()
        cov_os = np.asarray(psi.T @ (Y[:, 1:] * w[:, None])) / problem.n_items - np.outer(problem.mean, p_mv[1:])
        return self._z_from_cov(problem, cov_os)

    def _z_from_cov(self, problem: MCProblem, cov_os_all: np.ndarray) -> np.ndarray:
        """`init_z` from the (d, r) covariance of psi with the majority-vote soft labels."""
        cov_os = cov_os_all[problem.keep]
        # into the problem's coordinates (kept columns, standardised unless a subclass changed them)
        cov_os = np.linalg.solve(problem.expand[problem.keep], cov_os)
        ps = problem.prior[1:]
        sigma_s = np.diag(ps) - np.outer(ps, ps)
        X = cov_os.T @ problem.sigma_inv @ cov_os
        s_inv_half = np.linalg.inv(_sym_sqrt(sigma_s))
        top = float(np.max(np.linalg.eigvalsh(s_inv_half @ X @ s_inv_half)))
        shrink = min(1.0, 0.9 / np.sqrt(top)) if top > 0 else 1.0
        cov_os = shrink * cov_os
        C = np.linalg.inv(sigma_s - shrink**2 * X)
        z: np.ndarray = problem.sigma_inv @ cov_os @ _sym_sqrt(0.5 * (C + C.T))
        if not np.all(np.isfinite(z)) or np.allclose(z, 0):
            rng = np.random.default_rng(self.params.seed)
            z = rng.normal(0, 1, z.shape)
        return z

    def objective(self, problem: MCProblem, z: np.ndarray) -> tuple[float, np.ndarray]:
        """Eq. 1 plus `extra_loss` plus the anchor term at z (dk, r), and its gradient (dk, r)."""
        loss, grad = problem.base_loss_grad(z)
        extra = self.extra_loss(problem, z)
        if extra != 0.0:
            loss += extra
            grad = grad + self.extra_grad(problem, z)
        if problem.anchor != 0:
            pull, pull_grad = problem.anchor_loss_grad(z)
            loss += pull
            grad = grad + pull_grad
        return loss, grad

    def extra_grad(self, problem: MCProblem, z: np.ndarray) -> np.ndarray:
        """Gradient of `extra_loss` at z: `extra_loss_grad` when it gives one, else central
        finite differences (2 dk r evaluations of `extra_loss`)."""
        g = self.extra_loss_grad(problem, z)
        if g is not None:
            return g
        g = np.zeros_like(z)
        flat = z.ravel()
        for i in range(flat.size):
            h = 1e-6 * max(1.0, abs(flat[i]))
            up, down = flat.copy(), flat.copy()
            up[i] += h
            down[i] -= h
            g.flat[i] = (
                self.extra_loss(problem, up.reshape(z.shape))
                - self.extra_loss(problem, down.reshape(z.shape))
            ) / (2 * h)
        return g

    def anchor_weight(self, problem: MCProblem, z0: np.ndarray) -> float:
        """w of the pull w * ||z - z0||^2 towards the start z0 (`init_z`, set as
        `problem.anchor_at` by `fit`): `anchor` * Eq. 1(z0) / ||z0||^2."""
        if self.params.anchor == 0:
            return 0.0
        return float(self.params.anchor * problem.base_loss(z0) / max(float(np.sum(z0 * z0)), 1e-300))

    def solve(self, problem: MCProblem, z0: np.ndarray) -> tuple[np.ndarray, float]:
        """Minimise `objective` (Eq. 1, `extra_loss`, the anchor) from z0 with L-BFGS; returns
        (z, base loss)."""
        from scipy.optimize import minimize

        shape = z0.shape

        def fun(flat: np.ndarray) -> tuple[float, np.ndarray]:
            loss, grad = self.objective(problem, flat.reshape(shape))
            return loss, grad.ravel()

        res = minimize(
            fun,
            z0.ravel(),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": self.params.max_iter, "ftol": self.params.tol, "gtol": 1e-12},
        )
        z = res.x.reshape(shape)
        _log.debug("matrix completion: %s after %d iterations, loss %.4g", res.message, res.nit, res.fun)
        return z, problem.base_loss(z)

    def fit(
        self, L: np.ndarray, *, y_dev: np.ndarray | None = None, expert: ExpertLabels | None = None
    ) -> Self:
        """Fit z on `L` (n, m), -1 = abstain; with `expert` and `alpha > 0`, Eq. 3.

        Raises DataError on a malformed `L` or expert labels, SpecError on bad cliques.
        """
        given = self.params.n_classes
        if given is None or given > self.params.joint_max_classes:
            L_checked, k = check_fit_matrix(L, given)
            if self._one_vs_rest_applies(k, expert):
                self._stream = None
                return self.finish_from_statistics(self._fit_one_vs_rest(L_checked, k, y_dev))
        problem = self.build_problem(L, expert)
        if y_dev is not None and self.params.class_prior is None:
            problem.set_prior(_dev_prior(y_dev, problem.prior.size))
        self._stream = None
        return self.finish_from_statistics(self._solve_fitted(problem, self.init_z(problem)))

    def _solve_fitted(self, problem: MCProblem, start: np.ndarray) -> Statistics:
        """Solve Eq. 1 (+ extra terms, anchor) from `start`; the fitted attributes by name."""
        problem.anchor_at, problem.anchor = start, self.anchor_weight(problem, start)
        z0 = start
        if self.params.warm_start and getattr(self, "z_", None) is not None:
            prev = np.asarray(self.z_)
            if prev.shape == (problem.keep.size, problem.rank):
                z0 = prev
        z, loss = self.solve(problem, z0)
        layout = problem.layout
        return {
            "n_classes": np.array(problem.prior.size),
            "n_sources": np.array(layout.single_col.shape[0]),
            "class_prior": problem.prior,
            "z": z,
            "loss": np.array(loss),
            "log_theta": problem.log_theta(z, keep_order=True),
            **_layout_state(layout),
        }

    # --- many classes: one binary Eq. 1 per class (module docstring) --------------------
    _HOOKS = ("build_problem", "init_z", "objective", "extra_loss", "extra_loss_grad", "solve", "anchor_weight")

    def _one_vs_rest_applies(self, k: int, expert: ExpertLabels | None) -> bool:
        """One-vs-rest above `joint_max_classes`, for plain fits: no cliques, no expert labels,
        and MatrixCompletion's own hooks (a subclass's are written for the joint problem)."""
        if k <= self.params.joint_max_classes or self.params.cliques:
            return False
        if expert is not None and len(expert):
            return False
        return all(getattr(type(self), name) is getattr(MatrixCompletion, name) for name in self._HOOKS)

    def _fit_one_vs_rest(self, L: np.ndarray, k: int, y_dev: np.ndarray | None) -> Statistics:
        """The one-vs-rest fit of a checked in-memory `L` (the statistics of one partition)."""
        prior = resolve_prior(self.params.class_prior, k)
        self._check_prior(prior)
        if y_dev is not None and prior is None:
            prior = _dev_prior(y_dev, k)
        P, w, _ = compress_rows(L, k)
        return self._solve_one_vs_rest(_one_vs_rest_statistics(P, w, k), k, L.shape[1], prior, partial=False)

    def _solve_one_vs_rest(
        self, summed: Mapping[str, np.ndarray], k: int, m: int, prior: np.ndarray | None, *, partial: bool
    ) -> Statistics:
        """K binary problems "Y = c" on the indicators psi_jc = [lambda_j = c] of the sources that
        vote c, each Eq. 1 on an (m_c, m_c) correlation matrix with the anchored majority-vote
        start; the table log P(lambda_j = v | Y = y) is P(psi_jv = 1 | Y = v) at y = v and
        P(psi_jv = 1 | Y != v) elsewhere (module docstring, "Many classes")."""
        n = float(summed["rows"])
        votes = np.asarray(summed["psi_sum"]).reshape(m, k)
        check_sources(votes, n, partial=partial)
        layout = single_layout(votes > 0)
        self._check_units(layout, None)
        seen = votes.ravel() > 0
        mean = summed["psi_sum"][seen] / n
        if prior is None:
            prior = self._default_prior(layout, mean, int(n))
        # majority-vote soft labels; rows without a vote take the class prior (as `init_z`)
        p_mv = (summed["mv_mass"] + (n - float(summed["covered_rows"])) * prior) / n
        cov_os = summed["mv_same"][seen] / n - mean * p_mv[layout.col_class]
        same = np.asarray(summed["same_gram"])
        d = layout.n_cols
        log_theta = np.empty((d, k))
        z_all = np.zeros((d, 1))
        loss = 0.0
        for c in range(k):
            cols = np.flatnonzero(layout.col_class == c)  # ordered by source
            if cols.size == 0:
                continue
            src = layout.col_unit[cols]
            second = same[c][np.ix_(src, src)] / n
            theta, z, part = self._solve_class(int(n), float(prior[c]), mean[cols], second, cov_os[cols])
            log_theta[cols] = theta[:, [0]]
            log_theta[cols, c] = theta[:, 1]
            z_all[cols, 0] = z
            loss += part
        return {
            "n_classes": np.array(k),
            "n_sources": np.array(m),
            "class_prior": prior,
            "z": z_all,
            "loss": np.array(loss),
            "log_theta": log_theta,
            **_layout_state(layout),
            "one_vs_rest": np.array(True),
        }

    def _solve_class(
        self, n: int, p_c: float, mean: np.ndarray, second: np.ndarray, cov_os: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, float]:
        """Binary Eq. 1 "Y = c" for the m_c sources voting c: log P(psi = 1 | Y != c), log P(psi = 1
        | Y = c) as (m_c, 2), z per source (0 where a column was dropped) and the Eq. 1 loss.
        Fewer than three sources do not identify it: they keep the majority-vote start."""
        mc = mean.size
        layout = single_layout(np.column_stack([np.zeros(mc, dtype=bool), np.ones(mc, dtype=bool)]))
        if float(np.max(np.diag(second) - mean * mean)) <= 0:  # every source votes c always or never
            flat = np.log(np.clip(mean, 1e-300, 1.0))
            return np.column_stack([flat, flat]), np.zeros(mc), 0.0
        problem = self._problem_from_moments(
            layout, n, 2, np.array([1.0 - p_c, p_c]), mean, second, np.zeros((0, mc), dtype=np.int64), np.zeros(0), None
        )
        z0 = self._z_from_cov(problem, cov_os[:, None])
        problem.anchor_at, problem.anchor = z0, self.anchor_weight(problem, z0)
        z, loss = self.solve(problem, z0) if mc >= 3 else (z0, problem.base_loss(z0))
        z_cols = np.zeros(mc)
        z_cols[problem.keep] = z[:, 0]
        return problem.log_theta(z, keep_order=True), z_cols, loss

    # --- statistics (weasul.statistics.FitsFromStatistics) ------------------------------
    # One pass over the one-hot votes psi_full (m*K columns, one per (source, class)): their
    # sum, the overlap matrix O = psi_full^T psi_full and their products with the majority-vote
    # soft labels (the start z0). The columns of the sources' votes seen are Eq. 1's psi, so
    # its moments are sub-blocks. `fit(L)` keeps its own pass (subclasses such as Active
    # WeaSuL's read `problem.psi`); both give the same Eq. 1 up to floating-point sums.
    # One-vs-rest (above `joint_max_classes`): `_one_vs_rest_statistics` instead, in both.
    def _statistics_refusal(self) -> str | None:
        if self.params.cliques:
            return (
                "with cliques the indicator columns depend on which vote combinations occur in L; "
                "fit matrix-completion with cliques in memory"
            )
        overridden = [
            name
            for name in ("build_problem", "init_z")
            if getattr(type(self), name) is not getattr(MatrixCompletion, name)
        ]
        if overridden:
            return f"{type(self).__name__} overrides {', '.join(overridden)}, which a fit from statistics would skip"
        return None

    def _streaming_refusal(self) -> str | None:
        return self._statistics_refusal()

    def _start(self, n_sources: int, n_classes: int) -> Statistics:
        reason = self._statistics_refusal()
        if reason is not None:
            raise UnsupportedError(f"{type(self).__name__} cannot fit from partition statistics: {reason}")
        prior = resolve_prior(self.params.class_prior, n_classes)
        self._check_prior(prior)
        state = {
            "n_classes": np.array(n_classes),
            "n_sources": np.array(n_sources),
            "fixed_prior": np.zeros(0) if prior is None else prior,
        }
        if self._one_vs_rest_applies(n_classes, None):
            state["one_vs_rest"] = np.array(True)
        return state

    def _statistics_of(self, prepared: Any, state: Mapping[str, np.ndarray]) -> Statistics:
        from scipy import sparse

        k, m = int(state["n_classes"]), int(state["n_sources"])
        if is_sparse(prepared):
            P, w = prepared, np.ones(prepared.shape[0])
        else:
            P, w, _ = compress_rows(prepared, k)
        if "one_vs_rest" in state:
            return _one_vs_rest_statistics(P, w, k)
        rows, cols, vals = vote_entries(P)
        indptr = np.zeros(P.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=P.shape[0]), out=indptr[1:])
        psi = sparse.csr_matrix((np.ones(rows.size), cols * k + vals, indptr), shape=(P.shape[0], m * k))
        if is_sparse(prepared):
            total = np.asarray(psi.T @ w).ravel()
            gram = np.asarray((psi.T @ psi).toarray())
        else:
            total, gram = _weighted_sums(psi, w)
        counts = vote_counts(P, k)
        tot = counts.sum(axis=1, keepdims=True)
        Y = np.where(tot > 0, counts / np.maximum(tot, 1), 0.0)  # majority-vote soft labels
        return {
            "rows": np.array(w.sum()),
            "covered_rows": np.array(w[tot[:, 0] > 0].sum()),
            "psi_sum": total,
            "psi_gram": gram,
            "psi_mv": np.asarray(psi.T @ (Y * w[:, None])),
            "mv_mass": w @ Y,
        }

    def update_from_statistics(
        self, summed: Mapping[str, np.ndarray], state: Mapping[str, np.ndarray]
    ) -> tuple[Statistics, bool]:
        """Eq. 1 from the summed moments and its solution (closed-form statistics: one pass)."""
        k, m = int(state["n_classes"]), int(state["n_sources"])
        fixed = state["fixed_prior"] if state["fixed_prior"].size else None
        if "one_vs_rest" in state:
            return {**state, **self._solve_one_vs_rest(summed, k, m, fixed, partial="partial" in state)}, True
        n = float(summed["rows"])
        votes = np.asarray(summed["psi_sum"]).reshape(m, k)
        check_sources(votes, n, partial="partial" in state)
        layout = single_layout(votes > 0)
        self._check_units(layout, None)
        cols = np.flatnonzero(votes.ravel() > 0)
        mean = summed["psi_sum"][cols] / n
        second = summed["psi_gram"][np.ix_(cols, cols)] / n
        if "partial" not in state:  # a stream's first chunks may be small; each refit re-solves
            self._check_overlap(layout, second, int(n), None)
        problem = self._problem_from_moments(
            layout, int(n), k, fixed, mean, second, np.zeros((0, m), dtype=np.int64), np.zeros(0), None
        )
        # majority-vote soft labels; rows without a vote take the class prior (as `init_z`)
        p_mv = (summed["mv_mass"] + (n - float(summed["covered_rows"])) * problem.prior) / n
        cov_os = summed["psi_mv"][cols][:, 1:] / n - np.outer(mean, p_mv[1:])
        return {**state, **self._solve_fitted(problem, self._z_from_cov(problem, cov_os))}, True

    def finish_from_statistics(self, state: Mapping[str, np.ndarray]) -> Self:
        """Set `z_`, `log_theta_`, `class_prior_` and the layout arrays."""
        self.n_classes_ = int(state["n_classes"])
        self.n_sources_ = int(state["n_sources"])
        self.class_prior_ = np.asarray(state["class_prior"], dtype=np.float64)
        self.z_: np.ndarray = np.asarray(state["z"])
        self.loss_ = float(state["loss"])
        self.log_theta_ = np.asarray(state["log_theta"])
        self.single_col_ = np.asarray(state["single_col"])
        self.clique_of_ = np.asarray(state["clique_of"])
        self.subset_keys_ = np.asarray(state["subset_keys"])
        self.subset_cols_ = np.asarray(state["subset_cols"])
        self.col_unit_ = np.asarray(state["col_unit"])
        self.col_class_ = np.asarray(state["col_class"])
        self.formulation_ = "one-vs-rest" if "one_vs_rest" in state else "joint"
        return self

    def _layout(self) -> Layout:
        cliques = check_cliques(self.params.cliques, self.n_sources_)
        return Layout(
            n_classes=self.n_classes_,
            cliques=tuple(cliques),
            single_col=np.asarray(self.single_col_),
            clique_of=np.asarray(self.clique_of_),
            subset_keys=np.asarray(self.subset_keys_).reshape(-1, 3),
            subset_cols=np.asarray(self.subset_cols_),
            col_unit=np.asarray(self.col_unit_),
            col_class=np.asarray(self.col_class_),
        )

    def predict_proba(self, L: np.ndarray) -> np.ndarray:
        """(n, K) P(y | lambda); the class prior on rows where every source abstains."""
        self.check_fitted()
        L = check_label_matrix(
            L, n_classes=self.n_classes_, n_sources=self.n_sources_, allow_silent_sources=True, allow_no_votes=True
        )
        patterns, _, inverse = compress_rows(L, self.n_classes_)
        F = factor_matrix(patterns, self._layout())
        return cast(
            np.ndarray, posterior(F, np.asarray(self.log_theta_), np.asarray(self.class_prior_))[inverse]
        )

    def conditional_probs(self) -> np.ndarray:
        """(m, K, K) estimated P(lambda_j = c | Y = y) for every source j, vote c, class y
        (0 where source j never voted c in training)."""
        self.check_fitted()
        theta = np.minimum(np.exp(np.asarray(self.log_theta_)), 1.0)  # the order-keeping slope may pass 1
        single = np.asarray(self.single_col_)
        out = np.zeros((self.n_sources_, self.n_classes_, self.n_classes_))
        seen = single >= 0
        out[seen] = theta[single[seen]]
        return out
