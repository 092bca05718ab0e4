"""The Active WeaSuL label model (paper Eq. 1-4) and the Nashaat et al. (2019) baseline.

`ActiveWeaSuL` extends `weasul_baselines.MatrixCompletion` (Ratner et al. 2019, Eq. 1-2):

    z = argmin_z || (Sigma_O^{-1} + z z^T)_Omega ||_F^2 + alpha * sum_{i in D} (f(z, lambda_i) - y_i)^2

with known LF dependencies in `cliques` (Omega leaves out pairs inside a clique). z starts
from matrix-completion's majority-vote start (`init="random"`: a seeded standard normal draw,
as the authors' code) and is optimised with Adam (`lr`, `n_epochs`), as the authors' code; a
random start can land in a worse optimum. The fit without expert labels adds
matrix-completion's pull towards that start (`anchor`, see `weasul_baselines`; Eq. 1 alone can
run off to a below-chance model on sparse crowd matrices), and the refits a pull of the same
weight towards that fit. Refits with expert labels follow the chain of answer prefixes: the
fit with answers 1..t starts from the fit with answers 1..t-1 (the authors' loop keeps z from
one iteration to the next) and, with `refit_start="best"` (default), also from the expert-free
fit, keeping whichever start reaches the lower Eq. 3 objective. The chain is cached, so the
model is a function of (L, ordered expert labels): a loop refitting after every answer pays one
step per answer, and a restarted loop (answers reloaded in the order given) or a batch loop gets
the same model. `"chain"` uses the previous fit only; `"base"` restarts every refit from the
expert-free fit (the earlier behaviour): Adam then stalls now and then where the orientation
of z flips, while the chain alone stays in a worse optimum on VRD.
`parametrization="full"` keeps every psi
column and uses the pseudo-inverse of Sigma_O, as the authors' code; `"reduced"` keeps the
linearly independent columns of matrix-completion.

alpha. The paper sets alpha by hand (1 on its synthetic set, 10^6 on spam) "such that the
penalty is competitive in size with the original loss". By default (`alpha_units="data"`) the
weight is alpha times that size measured on the data: S = the largest second derivative of
Eq. 1 at the expert-free fit z0 times ||z0||^2, what Eq. 1 charges for moving z by its own
length, so alpha = 1 lets one answer the model gets wholly wrong move z that far. Without it
alpha = 1 is far too small where the fit without experts is confident (probabilities near 0 or
1 leave the squared penalty almost no gradient), and answers can leave the model where it
was. `alpha_units="raw"` takes alpha as given (the paper's figures, `reproduce.CONFIG`);
`auto_alpha` is the paper's other suggestion, the largest second derivative alone (`MCProblem.curvature`). The alpha of a fit is `MCProblem.alpha` (set
in `solve`) and `alpha_` after fit.

Class prior. Without `class_prior` or `y_dev`, matrix-completion's estimate from the votes
(`class_balance`: the class shares of the votes of sources that vote two or more classes, as far
as they agree), since a uniform prior collapses imbalanced sets. The shrinkage matters too: a
plain vote share can make the expert-free fit confidently wrong on a vote pattern, where the
squared penalty has almost no gradient and expert answers cannot move it.

With only two conditionally independent LF groups (the synthetic set: LF 1 and the clique of
LFs 2-3) Eq. 1 does not identify the model: its minima form a one-parameter family whose
accuracy depends on where the optimiser starts; the expert penalty picks the right member.

The figures behind these choices: README, "Measurements behind the defaults".
"""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field
from weasul.data import ExpertLabels
from weasul.errors import DataError
from weasul.validation import check_label_matrix
from weasul_baselines import MatrixCompletion, MCProblem

if TYPE_CHECKING:
    from typing import Self

__all__ = ["ActiveWeaSuL", "NashaatModel", "penalty_grad"]

_log = logging.getLogger(__name__)


def _to_full(problem: MCProblem) -> None:
    """Every psi column, Sigma_O^+ (the authors' parametrisation), in place."""
    psi = problem.psi
    w = np.asarray(problem.weights, dtype=np.float64)  # rows of psi are distinct vote patterns
    second = np.asarray((psi.T @ psi.multiply(w[:, None])).todense()) / w.sum()
    sigma = second - np.outer(problem.mean, problem.mean)
    d = sigma.shape[0]
    inv = np.linalg.pinv(sigma, hermitian=True)
    unit = problem.layout.col_unit
    problem.keep = np.arange(d)
    problem.sigma = sigma
    problem.sigma_inv = 0.5 * (inv + inv.T)
    problem.expand = np.eye(d)
    problem.mask = (unit[:, None] != unit[None, :]).astype(np.float64)


def _binary_joint(problem: MCProblem, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """For two classes: (mu (d, 2), u = Sigma_O z, q = z' Sigma_O z, v * sqrt(p0 p1) * expand)
    without the eigen/SVD steps of `MCProblem.joint` (same result, checked in the tests)."""
    p0, p1 = float(problem.prior[0]), float(problem.prior[1])
    zc = z[:, 0]
    u = problem.sigma @ zc
    q = float(zc @ u)
    N_all = problem.expand @ (u / np.sqrt(1.0 + q))
    v = -1.0 if float(problem.acc_dir[:, 0] @ N_all) < 0 else 1.0
    scale = v * np.sqrt(p0 * p1)
    cov = scale * N_all
    mu = np.column_stack([problem.mean * p0 - cov, cov + problem.mean * p1])
    return mu, u, q, scale * problem.expand


def penalty_grad(problem: MCProblem, z: np.ndarray, alpha: float) -> np.ndarray | None:
    """Analytic gradient of alpha * problem.expert_penalty(z) for two classes (None otherwise).

    With s = Sigma_O z / sqrt(1 + z' Sigma_O z), Sigma_OS = v sqrt(p0 p1) expand s (v = +-1
    fixed by the orientation), mu1 = Sigma_OS + p1 E[psi], mu0 = p0 E[psi] - Sigma_OS and
    f = softmax over classes of F log(clip(mu_y / p_y, eps, 1)) + log p_y.
    """
    if problem.prior.size != 2 or problem.expert is None or len(problem.expert) == 0:
        return None
    mu, u, q, dcov_ds = _binary_joint(problem, z)
    theta = mu / problem.prior[None, :]
    eps = problem.eps
    live = (theta > eps) & (theta < 1.0)
    F = problem.dense_expert_factors()
    logits = np.asarray(F @ np.log(np.clip(theta, eps, 1.0))) + np.log(problem.prior)[None, :]
    f1 = 1.0 / (1.0 + np.exp(np.clip(logits[:, 0] - logits[:, 1], -700, 700)))
    y = problem.expert.labels
    g = 2.0 * alpha * (f1 - (y == 1)) * f1 * (1.0 - f1)
    G = np.asarray(F.T @ g).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        dcov = G * (np.where(live[:, 1], 1.0 / mu[:, 1], 0.0) + np.where(live[:, 0], 1.0 / mu[:, 0], 0.0))
    J = (problem.sigma - np.outer(u, u) / (1.0 + q)) / np.sqrt(1.0 + q)
    grad: np.ndarray = (J @ (dcov_ds.T @ dcov))[:, None]
    return grad


class ActiveWeaSuL(MatrixCompletion):
    """Matrix completion with an expert penalty (Active WeaSuL, Biegel et al. 2021, Eq. 3-4).

    `fit(L, expert=ExpertLabels(indices, labels))` nudges P(y | lambda_i) towards y_i for the
    expert-labelled rows; without `expert` it is the plain matrix-completion model. The
    probabilities of the fit without expert labels stay available as `initial_proba(L)`
    (maxKL's q for buckets without expert labels).
    """

    class Params(MatrixCompletion.Params):
        alpha: float = Field(1.0, ge=0, description="weight of the expert penalty (Eq. 3), in `alpha_units`")
        alpha_units: Literal["data", "raw"] = Field(
            "data",
            description="data: alpha times the scale of Eq. 1 at the fit without experts (its largest second "
            "derivative times ||z||^2), so the default suits any label matrix; raw: the paper's alpha as given",
        )
        auto_alpha: bool = Field(
            False,
            description="the paper's suggestion: alpha = the largest second derivative of Eq. 1 at the fit "
            "without experts (ignores alpha and alpha_units)",
        )
        optimizer: Literal["adam", "lbfgs"] = Field("adam", description="adam: the authors' optimiser")
        anchor: float = Field(
            0.3, ge=0, description="matrix-completion's pull: the fit without expert labels towards the start "
            "z0, the refits (Eq. 3) towards that fit; 0: the paper's objective alone"
        )
        n_epochs: int = Field(200, ge=1, le=100_000, description="Adam steps per fit")
        lr: float = Field(0.1, gt=0, description="Adam learning rate")
        init: Literal["random", "majority-vote"] = Field(
            "majority-vote", description="start of z: matrix-completion's majority-vote start, or a seeded N(0, 1) "
            "draw (authors' code)"
        )
        parametrization: Literal["full", "reduced"] = Field(
            "full", description="full: all psi columns with Sigma_O^+ (authors' code); reduced: independent columns"
        )
        refit_start: Literal["best", "chain", "base"] = Field(
            "best",
            description="chain: the fit with answers 1..t starts from the fit with answers 1..t-1 (authors' code "
            "keeps z across iterations); best: chain, and also from the fit without expert labels, keeping the "
            "lower Eq. 3 objective; base: every refit starts from the fit without expert labels",
        )

    params: Params

    @classmethod
    def examples(cls) -> list[MatrixCompletion]:
        return [cls(n_classes=2), cls(n_classes=2, cliques=[[0, 1]], parametrization="reduced")]

    # --- the objective -----------------------------------------------------------------
    def build_problem(self, L: np.ndarray, expert: ExpertLabels | None = None) -> MCProblem:
        """MatrixCompletion's problem, in the full parametrisation unless `reduced`."""
        problem = super().build_problem(L, expert)
        if self.params.parametrization == "full":
            _to_full(problem)
        return problem

    def extra_loss_grad(self, problem: MCProblem, z: np.ndarray) -> np.ndarray | None:
        return penalty_grad(problem, z, problem.alpha)

    def _grad(self, problem: MCProblem, z: np.ndarray) -> np.ndarray:
        """Gradient of Eq. 3 (without evaluating the penalty itself: Adam needs only this)."""
        grad = problem.base_loss_grad(z)[1]
        if problem.expert is not None and len(problem.expert) and problem.alpha != 0:
            grad = grad + self.extra_grad(problem, z)
        if problem.anchor != 0:
            grad = grad + problem.anchor_loss_grad(z)[1]
        return grad

    # --- optimisation ------------------------------------------------------------------
    def init_z(self, problem: MCProblem) -> np.ndarray:
        """matrix-completion's majority-vote start (`init="majority-vote"`) or a seeded N(0, 1) draw."""
        if self.params.init == "majority-vote":
            return super().init_z(problem)
        rng = np.random.default_rng(self.params.seed)
        return rng.normal(0.0, 1.0, (problem.keep.size, problem.rank))

    def _minimise(self, problem: MCProblem, z0: np.ndarray) -> np.ndarray:
        if self.params.optimizer == "lbfgs":
            return super().solve(problem, z0)[0]
        z = z0.copy()
        m = np.zeros_like(z)
        v = np.zeros_like(z)
        b1, b2, lr = 0.9, 0.999, self.params.lr
        for t in range(1, self.params.n_epochs + 1):
            g = self._grad(problem, z)
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            z = z - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + 1e-8)
        if not np.all(np.isfinite(z)):
            raise DataError("active-weasul: the optimiser diverged; lower lr or alpha")
        return z

    def _fingerprint(self, problem: MCProblem) -> str:
        h = hashlib.sha1()
        for arr in (problem.sigma, problem.mean, problem.prior, problem.keep):
            h.update(np.ascontiguousarray(arr).tobytes())
        h.update(self.params.model_dump_json(exclude={"alpha", "auto_alpha", "warm_start"}).encode())
        return h.hexdigest()

    def solve(self, problem: MCProblem, z0: np.ndarray) -> tuple[np.ndarray, float]:
        """The fit without expert labels (cached per L), then, with experts, Eq. 3 from there
        (`refit_start="base"`) or along the chain of answer prefixes (`"chain"`)."""
        key = self._fingerprint(problem)
        cache = self.__dict__.get("_base_fit")
        if cache is not None and cache[0] == key:
            z_base = cache[1]
        else:
            expert, problem.expert = problem.expert, None
            try:
                z_base = self._minimise(problem, self.init_z(problem))
            finally:
                problem.expert = expert
            self._base_fit = (key, z_base)
            self.__dict__.pop("_chain", None)
        problem.alpha = self._alpha(problem, z_base)
        problem.anchor_at = z_base  # refits are pulled towards the expert-free fit
        # what fit reports besides z: the expert-free fit (maxKL's q) and the alpha used
        self.initial_log_theta_, self.alpha_ = problem.log_theta(z_base, keep_order=True), problem.alpha
        if problem.expert is None or len(problem.expert) == 0 or problem.alpha == 0:
            z = z_base
        elif self.params.refit_start in ("chain", "best"):
            z = self._chain_fit(problem, key, z_base)
        else:
            start = z0 if self.params.warm_start and z0.shape == z_base.shape else z_base
            z = self._minimise(problem, start)
        return z, problem.base_loss(z)

    def _alpha(self, problem: MCProblem, z_base: np.ndarray) -> float:
        """The penalty weight of this fit (see `alpha_units`, `auto_alpha`)."""
        curvature = float(np.max(problem.curvature(z_base)))
        if self.params.auto_alpha:
            return curvature
        if self.params.alpha_units == "raw":
            return self.params.alpha
        scale = curvature * float(np.sum(z_base * z_base))
        return self.params.alpha * (scale if np.isfinite(scale) and scale > 1.0 else 1.0)

    def _objective_value(self, problem: MCProblem, z: np.ndarray) -> float:
        """Eq. 3 at z: the matrix-completion loss plus the expert penalty (plus the anchor)."""
        return float(problem.base_loss(z) + self.extra_loss(problem, z) + problem.anchor_loss_grad(z)[0])

    def _chain_fit(self, problem: MCProblem, key: str, z_base: np.ndarray) -> np.ndarray:
        """z_t = argmin of Eq. 3 with the first t answers, started from z_{t-1} (z_0 = z_base)
        and, for `"best"`, also from z_base, keeping the start with the lower objective.

        This is the authors' loop (z is kept from one iteration to the next), written as a
        function of the ordered answers: the prefixes already fitted are cached, so a loop that
        refits after every answer pays one fit per answer, and a restarted loop (answers reloaded
        in the order given) or a batch loop replays the same chain and gets the same model.
        Restarting only from z_base must cross from the t=0 member of the non-identified
        family to the expert-consistent one in one go, and Adam can stall on the way where the
        orientation of z flips (README, "Measurements behind the defaults").
        """
        expert = problem.expert
        assert expert is not None
        idx = np.asarray(expert.indices, dtype=np.int64)
        lab = np.asarray(expert.labels, dtype=np.int64)
        chain = self.__dict__.get("_chain")
        if chain is None or chain[0] != key:
            chain = (key, np.zeros(0, np.int64), np.zeros(0, np.int64), [z_base])
        _, c_idx, c_lab, zs = chain
        n = min(idx.size, c_idx.size)
        same = np.flatnonzero((c_idx[:n] != idx[:n]) | (c_lab[:n] != lab[:n]))
        j = int(same[0]) if same.size else n
        zs = zs[: j + 1]
        factors = problem.expert_factors
        try:
            for t in range(j + 1, idx.size + 1):
                problem.set_expert(ExpertLabels(idx[:t], lab[:t]), factors[:t])
                z = self._minimise(problem, zs[-1])
                if self.params.refit_start == "best":
                    other = self._minimise(problem, z_base)
                    if self._objective_value(problem, other) < self._objective_value(problem, z):
                        z = other
                zs.append(z)
        finally:
            problem.set_expert(expert, factors)
        self._chain = (key, idx.copy(), lab.copy(), zs)
        return zs[-1]

    def fit(self, L: np.ndarray, *, y_dev: np.ndarray | None = None, expert: ExpertLabels | None = None) -> Self:
        """Fit Eq. 1 on `L` (n, m), then Eq. 3 with `expert` labels when given.

        Raises DataError on a malformed `L` or expert labels, SpecError on bad cliques.
        """
        super().fit(L, y_dev=y_dev, expert=expert)  # `solve` sets initial_log_theta_ and alpha_
        self.n_expert_ = 0 if expert is None else len(expert)
        if expert is not None and len(expert) and self.alpha_ > 0:
            self._warn_if_answers_ignored(np.asarray(L)[np.asarray(expert.indices)], np.asarray(expert.labels))
        return self

    def _warn_if_answers_ignored(self, rows: np.ndarray, answers: np.ndarray) -> None:
        """Log once per model when the answers leave P(answer | row) where the expert-free fit had
        it although they disagree with it: alpha is too small for this label matrix."""
        ok = (answers >= 0) & (answers < self.params.n_classes)
        if self.__dict__.get("_warned_small_alpha") or not ok.any():
            return
        rows, answers = rows[ok], answers[ok]
        pick = np.arange(answers.size)
        before = self.initial_proba(rows)[pick, answers]
        after = self.predict_proba(rows)[pick, answers]
        if float(np.mean(1 - before)) > 0.25 and float(np.mean(np.abs(after - before))) < 0.01:
            self._warned_small_alpha = True
            _log.warning(
                "active-weasul: %d expert answers left the model where it was (mean P(answer) %.2f before, "
                "%.2f after) with alpha=%g; set auto_alpha: true (the paper's suggestion) or a larger alpha",
                answers.size, float(before.mean()), float(after.mean()), self.alpha_,
            )

    def initial_proba(self, L: np.ndarray) -> np.ndarray:
        """(n, K) P(y | lambda) of the fit without expert labels (p_{t=0} of the paper)."""
        self.check_fitted()
        current = self.log_theta_
        try:
            self.log_theta_ = np.asarray(self.initial_log_theta_)
            return self.predict_proba(L)
        finally:
            self.log_theta_ = current


class NashaatModel(ActiveWeaSuL):
    """Nashaat et al. (2019): expert answers overwrite the LF votes of the labelled items that
    disagree with them (and, with `fill_abstains`, the abstains too), then the label model is
    refitted on the corrected matrix without any penalty."""

    class Params(ActiveWeaSuL.Params):
        fill_abstains: bool = Field(False, description="also replace abstains of labelled items by the answer")

    params: Params

    def fit(self, L: np.ndarray, *, y_dev: np.ndarray | None = None, expert: ExpertLabels | None = None) -> Self:
        L = check_label_matrix(L, n_classes=self.params.n_classes)
        if expert is not None and len(expert):
            idx = np.asarray(expert.indices, dtype=np.int64)
            if idx.min() < 0 or idx.max() >= len(L):
                raise DataError(f"expert indices must be rows of L (0..{len(L) - 1})")
            lab = np.asarray(expert.labels, dtype=np.int64)
            rows = L[idx]
            wrong = (rows != lab[:, None]) if self.params.fill_abstains else (rows >= 0) & (rows != lab[:, None])
            L = L.copy()
            L[idx] = np.where(wrong, lab[:, None], rows)
        super().fit(L, y_dev=y_dev, expert=None)
        self.n_expert_ = 0 if expert is None else len(expert)
        return self


