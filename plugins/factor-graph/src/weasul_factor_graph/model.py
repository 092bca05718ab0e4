"""The data-programming factor graph with LF dependencies, as a weasul label model.

Cachay, Boecking & Dubrawski (WeaSuL 2021), Eq. 1-2, following Ratner et al. (2016): a
log-linear model over the true class y and the LF votes with accuracy factors, optional
labeling-propensity factors, an optional class-balance factor and the dependency factors
`similar`, `fixing`, `reinforcing`, `priority`, `bolstering`, `negated` (see
`weasul_factor_graph.factors`). Fitted by maximising the marginal likelihood of the observed
votes, summing y out exactly:

- `inference="exact"`: the partition function and its gradient exactly (LFs without
  dependencies in closed form, tree-shaped dependency components by belief propagation,
  small components with cycles by enumeration), optimised with L-BFGS;
- `inference="gibbs"`: persistent contrastive divergence as in Snorkel 0.6 (the model
  expectation from vectorised Gibbs chains, the data expectation still exact over y), for
  dependency graphs with cycles too large to enumerate;
- `inference="auto"` (default): exact when possible, else Gibbs.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar, Literal, cast

import numpy as np
from pydantic import Field, field_validator, model_validator
from weasul.data import ExpertLabels
from weasul.errors import DataError, SpecError
from weasul.interfaces import LabelModel, LabelModelParams
from weasul.memory import require_memory
from weasul.progress import track
from weasul.validation import check_label_matrix, infer_n_classes

from weasul_factor_graph._inference import Engine, GibbsChains, Layout, logsumexp
from weasul_factor_graph._inference import Params as Weights
from weasul_factor_graph.steps import FactorGraphStep
from weasul_factor_graph.structure import DependencyStructure, parse_dependencies

if TYPE_CHECKING:
    from typing import Self

    import networkx as nx
    import pandas as pd

__all__ = ["FactorGraph", "FactorGraphParams", "DependencyType"]

_log = logging.getLogger(__name__)


def _check_memory(n_rows: int, m: int, n_dependencies: int, k: int) -> None:
    """Refuse, with the figure, a fit whose tables would not fit in memory: the (K+1, K)
    accuracy table and its views, a (K+1, K+1, K) table per dependency, a few (n, K) arrays."""
    need = 8 * (4 * (k + 1) * k + n_dependencies * (k + 1) ** 2 * k + 4 * n_rows * k)
    require_memory(
        need,
        f"factor-graph with n_classes={k}, {m} LFs and {n_dependencies} dependencies (a {k + 1} x {k} "
        f"accuracy table, a {k + 1} x {k + 1} x {k} table per dependency)",
        "set n_classes to the number of classes the votes use",
    )


DependencyType = Literal["similar", "fixing", "reinforcing", "priority", "bolstering", "negated"]


class FactorGraphParams(LabelModelParams):
    """Parameters of the factor-graph label model."""

    dependencies: list[tuple[DependencyType, int, int]] = Field(
        default_factory=list,
        description="(type, j, k) over LF columns; for asymmetric types LF k acts on LF j",
    )
    propensity: Literal["none", "votes", "class"] = Field(
        "class",
        description="labeling-propensity factors: none, one per LF (how often it votes), or one per LF and "
        "class (how often it votes each class; needed for LFs that only ever vote one class)",
    )
    learn_class_balance: bool = Field(
        False,
        description="learn the class-balance factor by maximum likelihood and use it in predictions "
        "(with sparse or one-class LFs it is barely identified and runs to a corner)",
    )
    fit_class_prior: Literal["majority-vote", "none"] = Field(
        "majority-vote",
        description="the class marginal p(y) held fixed while fitting (unless class_prior is given or "
        "the balance is learned): the majority-vote class shares over rows with a vote, or 'none' = no "
        "marginal, the class-balance factor fixed at 0 instead (the earlier default)",
    )
    inference: Literal["auto", "exact", "gibbs"] = "auto"
    prior_weight: float = Field(
        1.0,
        ge=0,
        description="precision of the Gaussian prior on the propensity and dependency weights (toward 0) "
        "in items: a fixed total, so its share of the objective shrinks as 1/n and the estimates "
        "converge to the maximum-likelihood ones as L grows",
    )
    accuracy_prior_weight: float = Field(
        10.0,
        ge=0,
        description="the same for each accuracy weight (toward accuracy_prior): sd 1/sqrt(10) = 0.32, so "
        "with few or weak votes per source the weights stay near a common value (a majority vote) "
        "instead of fitting noise, and they still converge to maximum likelihood as L grows",
    )
    l2: float | None = Field(
        None,
        ge=0,
        description="L2 penalty per item of L instead of prior_weight (its total grows with n; "
        "kept for the published experiments)",
    )
    accuracy_prior: float = Field(
        0.7,
        gt=0,
        description="prior mean and starting point of the accuracy weights (Snorkel 0.6's LF accuracy prior); "
        "> 0 picks the better-than-random mode",
    )
    posterior: Literal["votes", "joint"] = Field(
        "votes",
        description="predictions: 'votes' = p(y | votes) with the class-balance factor at 0 (or log class_prior, "
        "or learned), abstains carrying no evidence (Snorkel 0.6's marginals; safest with many correlated "
        "one-class LFs); 'joint' = the fitted joint's posterior (class marginal of the fit, each abstain "
        "evidence against the LF's class; better with imbalanced classes when the LFs are independent)",
    )
    identifiability_check: bool = Field(
        True,
        description="refuse (DataError) data where most votes come from multi-class sources but the fitted "
        "model draws its evidence about y from who voted rather than what they voted (crowd assignment; "
        "see weasul_factor_graph.identifiability); exact inference only",
    )
    max_iter: int = Field(500, ge=1, description="L-BFGS iterations (exact inference)")
    tol: float = Field(1e-8, gt=0, description="L-BFGS tolerance on the objective (exact inference)")
    max_exact_states: int = Field(
        4096,
        ge=1,
        description="largest (K+1)^size a dependency component with cycles may have for exact inference",
    )
    epochs: int = Field(400, ge=1, description="contrastive-divergence steps (Gibbs inference)")
    n_chains: int = Field(1000, ge=1, description="persistent Gibbs chains (Gibbs inference)")
    sweeps: int = Field(1, ge=1, description="Gibbs sweeps per step")
    learning_rate: float = Field(0.05, gt=0, description="Adam step size (Gibbs inference)")

    @field_validator("dependencies", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> list[tuple[str, int, int]]:
        try:
            return [d.as_tuple() for d in parse_dependencies(value)]
        except SpecError as err:
            raise ValueError(str(err)) from None

    @model_validator(mode="after")
    def _consistent(self) -> FactorGraphParams:
        if self.class_prior is not None:
            prior = np.asarray(self.class_prior, dtype=float)
            if prior.ndim != 1 or prior.size < 2 or (prior <= 0).any() or abs(prior.sum() - 1) > 1e-6:
                raise ValueError("class_prior must be K positive numbers summing to 1")
            if self.n_classes is not None and prior.size != self.n_classes:
                raise ValueError(f"class_prior has {prior.size} entries but n_classes={self.n_classes}")
            if self.learn_class_balance:
                raise ValueError(
                    "give class_prior (fixed class balance) or learn_class_balance=True, not both"
                )
        if self.inference == "exact" and self.dependencies:
            n_lfs = 1 + max(max(j, k) for _, j, k in self.dependencies)
            try:
                DependencyStructure(self.dependencies, n_lfs).check_exact(
                    self.n_classes or 2, self.max_exact_states
                )
            except SpecError as err:
                raise ValueError(str(err)) from None
        return self


class FactorGraph(LabelModel):
    """Data-programming factor graph with higher-order LF dependencies (binary or K classes).

    Learned state: `accuracy_` (m,), `propensity_` (m, K), `dependency_weights_` (n_deps,),
    `class_balance_` (K,; the balance factor of predictions), `joint_balance_` (K,; of the fitted
    joint, used by log_likelihood, lf_accuracies and sample), `fit_prior_` (K,; the class marginal
    held during the fit, or None), `dependencies_` (list of [type, j, k]), `n_classes_`, `n_lfs_`,
    `inference_` ("exact" or "gibbs") and `log_likelihood_` (mean per item; exact only).
    """

    Params: ClassVar[type[FactorGraphParams]] = FactorGraphParams
    params: FactorGraphParams

    step = FactorGraphStep

    @classmethod
    def examples(cls) -> list[FactorGraph]:
        return [
            cls(),
            cls(n_classes=3),
            cls(dependencies=[("reinforcing", 0, 1), ("negated", 2, 3), ("bolstering", 1, 4)]),
        ]

    # --- fitting ----------------------------------------------------------------------------
    def fit(
        self, L: np.ndarray, *, y_dev: np.ndarray | None = None, expert: ExpertLabels | None = None
    ) -> Self:
        """Maximise the marginal likelihood of `L` (n, m), -1 = abstain. `y_dev`/`expert` unused.

        Raises DataError for a malformed `L`, SpecError when a dependency names an LF outside
        0..m-1 or when inference="exact" meets a cycle it cannot handle.
        """
        L = check_label_matrix(L, n_classes=self.params.n_classes, allow_silent_sources=True)
        return self._fit_with(L, self.params.dependencies)

    def _fit_with(self, L: np.ndarray, dependencies: Any) -> Self:
        p = self.params
        silent = np.flatnonzero((L == -1).all(axis=0))
        if silent.size:
            _log.warning(
                "LF column(s) %s never vote; their propensity weight is held finite by the prior only",
                silent.tolist(),
            )
        n_classes = infer_n_classes(L, p.n_classes)
        if p.class_prior is not None and len(p.class_prior) != n_classes:
            raise DataError(f"class_prior has {len(p.class_prior)} entries but L has {n_classes} classes")
        m = L.shape[1]
        structure = DependencyStructure(dependencies, m)
        _check_memory(L.shape[0], m, len(structure), n_classes)
        engine = Engine(structure, n_classes, p.max_exact_states)
        if p.inference == "exact":
            structure.check_exact(n_classes, p.max_exact_states)
        exact = p.inference != "gibbs" and engine.exact_ok
        layout = Layout(m, len(structure), n_classes, p.propensity, p.learn_class_balance)
        fixed_balance = (
            np.log(np.asarray(p.class_prior)) if p.class_prior is not None else np.zeros(n_classes)
        )

        fit_prior = self._fit_prior(L, n_classes)
        if fit_prior is not None:
            fixed_balance = np.zeros(n_classes)  # the balance follows from p(y) = fit_prior
        S = L + 1
        rows, counts = np.unique(S, axis=0, return_counts=True)
        feats = engine.row_features(rows)
        weights = counts.astype(float)
        theta0 = self._initial(L, layout, n_classes, fixed_balance)
        # with sparse LFs the likelihood barely constrains accuracies; the prior keeps them
        # near accuracy_prior unless the agreements say otherwise (MAP, as Snorkel 0.6 did).
        # The data term is a mean over items, so a fixed total prior weight w is w / n per item.
        reg = np.full(layout.size, p.l2 if p.l2 is not None else p.prior_weight / L.shape[0])
        if p.l2 is None:
            reg[layout.slices()["accuracy"]] = p.accuracy_prior_weight / L.shape[0]
        if layout.learn_balance:
            reg[layout.slices()["balance"]] = 0.0  # the class balance is identified by the data
        centre = np.zeros(layout.size)
        centre[layout.slices()["accuracy"]] = p.accuracy_prior
        if exact:
            theta, loglik, joint_balance = self._fit_exact(
                engine, feats, weights, layout, fixed_balance, theta0, reg, centre, fit_prior
            )
        else:
            _log.info(
                "dependency graph has cycles beyond exact inference; fitting by Gibbs contrastive divergence"
            )
            theta, joint_balance = self._fit_gibbs(
                engine, feats, weights, layout, fixed_balance, theta0, reg, centre, S, fit_prior
            )
            loglik = None
        fitted = Weights.unpack(theta, layout, fixed_balance)
        if joint_balance is not None:
            fitted.balance = joint_balance
        if p.identifiability_check and exact:  # before any fitted state is set
            from weasul_factor_graph.identifiability import check_label_identified

            check_label_identified(L, _node_marginals(engine, fitted)[0], n_classes)
        self.accuracy_ = np.asarray(fitted.accuracy, dtype=float).copy()
        self.propensity_ = np.asarray(fitted.propensity, dtype=float).copy()
        self.dependency_weights_ = np.asarray(fitted.dependency, dtype=float).copy()
        # predictions: the learned balance, log class_prior, or 0 (uniform) -- see predict_proba
        if layout.learn_balance:
            self.class_balance_ = np.asarray(fitted.balance, dtype=float).copy()
        elif p.class_prior is not None:
            self.class_balance_ = np.log(np.asarray(p.class_prior, dtype=float))
        else:
            self.class_balance_ = np.zeros(n_classes)
        self.joint_balance_ = np.asarray(
            joint_balance if joint_balance is not None else self.class_balance_, dtype=float
        ).copy()
        self.fit_prior_ = None if fit_prior is None else fit_prior.copy()
        if p.posterior == "joint":
            self.class_balance_ = self.joint_balance_.copy()
        self.dependencies_: list[list[Any]] = [list(d.as_tuple()) for d in structure.dependencies]
        self.n_classes_ = int(n_classes)
        self.n_lfs_ = int(m)
        self.inference_ = "exact" if exact else "gibbs"
        self.log_likelihood_ = loglik
        self._engine_cache = engine
        return self

    def _fit_prior(self, L: np.ndarray, k: int) -> np.ndarray | None:
        """The class marginal p(y) held fixed while fitting, or None (balance learned, or fixed at
        log class_prior / 0 with fit_class_prior='none').

        Why: with the balance factor b fixed at 0 the model's marginal is prod_j Z_j(y), set by
        the LFs' coverage and accuracies, so where one-class LFs vote one class on most rows
        the fit bends accuracies negative to match it; a learned balance is hardly identified by
        sparse votes (README, "Measurements behind the defaults"). The majority-vote shares
        over rows with a vote (ties split, add-one smoothed) are an estimate of p(y) that the
        votes pin down."""
        p = self.params
        if p.learn_class_balance:
            return None
        if p.class_prior is not None:
            return np.asarray(p.class_prior, dtype=float)
        if p.fit_class_prior == "none":
            return None
        counts = np.stack([(L == c).sum(axis=1) for c in range(k)], axis=1)
        covered = counts.sum(axis=1) > 0
        top = counts[covered] == counts[covered].max(axis=1, keepdims=True)
        shares = (top / top.sum(axis=1, keepdims=True)).sum(axis=0)
        return cast(np.ndarray, (shares + 1.0) / (covered.sum() + k))

    def _initial(self, L: np.ndarray, layout: Layout, k: int, fixed_balance: np.ndarray) -> np.ndarray:
        a = self.params.accuracy_prior
        cov = np.clip((L != -1).mean(axis=0), 1e-3, 1 - 1e-3)
        # propensity that reproduces each LF's coverage when it is independent of the others
        r = np.log(cov / (1 - cov)) - np.log(np.exp(a) + (k - 1) * np.exp(-a))
        prop = np.repeat(r[:, None], k, axis=1)
        if layout.propensity == "class":
            share = (
                np.stack([(L == c).sum(axis=0) for c in range(k)], axis=1)
                / np.maximum((L != -1).sum(axis=0), 1)[:, None]
            )
            prop += np.log(k * np.clip(share, 0.01, 1.0))
        elif layout.propensity == "none":
            prop[:] = 0.0
        start = Weights(np.full(layout.n_lfs, a), prop, np.zeros(layout.n_deps), fixed_balance.copy())
        return start.pack(layout)

    def _fit_exact(
        self,
        engine: Engine,
        feats: tuple[np.ndarray, np.ndarray, np.ndarray],
        weights: np.ndarray,
        layout: Layout,
        fixed_balance: np.ndarray,
        theta0: np.ndarray,
        reg: np.ndarray,
        centre: np.ndarray,
        fit_prior: np.ndarray | None,
    ) -> tuple[np.ndarray, float, np.ndarray | None]:
        """L-BFGS on the exact marginal likelihood. With `fit_prior`, p(y) is held at it: the
        balance is b_y = log fit_prior_y - log Z_y(theta), so log Z = 0 and the model term of
        the gradient is sum_y pbar_y E[features | y], pbar the mean posterior."""
        from scipy.optimize import minimize

        share = weights / weights.sum()

        def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
            prm = Weights.unpack(theta, layout, fixed_balance)
            penalty = 0.5 * float(np.sum(reg * (theta - centre) ** 2))
            if fit_prior is None:
                data, g_data, _ = engine.data_term(feats, weights, prm, layout)
                logz, g_model, _ = engine.log_partition(prm, layout)
                return -(data - logz) + penalty, -(g_data - g_model) + reg * (theta - centre)
            logz_y, node, dep_exp = engine.marginals(prm)
            prm.balance = np.log(fit_prior) - logz_y
            data, g_data, q = engine.data_term(feats, weights, prm, layout)
            g_model = engine.mixed_expectations(node, dep_exp, share @ q, layout)
            return -data + penalty, -(g_data - g_model) + reg * (theta - centre)

        result = minimize(
            objective,
            theta0,
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": self.params.max_iter, "ftol": self.params.tol, "gtol": 1e-7},
        )
        if not result.success:
            _log.warning("L-BFGS stopped before convergence: %s", result.message)
        prm = Weights.unpack(result.x, layout, fixed_balance)
        joint = None
        if fit_prior is not None:
            joint = np.log(fit_prior) - engine.marginals(prm)[0]
            prm.balance = joint
        data, _, _ = engine.data_term(feats, weights, prm, layout)
        logz, _, _ = engine.log_partition(prm, layout)
        return result.x, float(data - logz), joint

    def _fit_gibbs(
        self,
        engine: Engine,
        feats: tuple[np.ndarray, np.ndarray, np.ndarray],
        weights: np.ndarray,
        layout: Layout,
        fixed_balance: np.ndarray,
        theta0: np.ndarray,
        reg: np.ndarray,
        centre: np.ndarray,
        S: np.ndarray,
        fit_prior: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Adam on persistent contrastive divergence. With `fit_prior`, a balance is carried
        beside theta and moved until the chains' class shares match it, and the chains' feature
        averages are reweighted per class to the mean posterior (the exact path's gradient)."""
        p = self.params
        rng = np.random.default_rng(p.seed)
        chains = GibbsChains(engine, p.n_chains, rng, init=S)
        theta = theta0.copy()
        balance = np.zeros(layout.n_classes)
        balance_total = np.zeros(layout.n_classes)
        share = weights / weights.sum()
        m1 = np.zeros_like(theta)
        m2 = np.zeros_like(theta)
        beta1, beta2, eps = 0.9, 0.999, 1e-8
        average_from = int(p.epochs * 0.75)
        total = np.zeros_like(theta)
        n_avg = 0
        for t in track(range(p.epochs), total=p.epochs, desc="factor graph (Gibbs)"):
            prm = Weights.unpack(theta, layout, fixed_balance)
            if fit_prior is not None:
                prm.balance = balance
            _, g_data, q = engine.data_term(feats, weights, prm, layout)
            for _ in range(p.sweeps):
                chains.sweep(prm)
            if fit_prior is None:
                model_term = chains.expectations(layout)
            else:
                model_term = chains.expectations(layout, share @ q)
                chain_share = np.bincount(chains.y, minlength=layout.n_classes) / len(chains.y)
                balance = balance + p.learning_rate * (fit_prior - chain_share) / np.maximum(fit_prior, 0.05)
            grad = g_data - model_term - reg * (theta - centre)
            m1 = beta1 * m1 + (1 - beta1) * grad
            m2 = beta2 * m2 + (1 - beta2) * grad**2
            step = (
                p.learning_rate * (m1 / (1 - beta1 ** (t + 1))) / (np.sqrt(m2 / (1 - beta2 ** (t + 1))) + eps)
            )
            theta = theta + step
            if t >= average_from:
                total += theta
                balance_total += balance
                n_avg += 1
        joint = None if fit_prior is None else balance_total / max(n_avg, 1)
        return total / max(n_avg, 1), joint

    # --- prediction -----------------------------------------------------------------------
    def _engine(self) -> Engine:
        cached = getattr(self, "_engine_cache", None)
        if cached is None:
            structure = DependencyStructure(self.dependencies_, self.n_lfs_)
            cached = Engine(structure, self.n_classes_, self.params.max_exact_states)
            self._engine_cache = cached
        return cached

    def _weights(self, *, joint: bool = False) -> Weights:
        """The fitted weights with the prediction balance, or (joint=True) the balance of the
        fitted joint distribution (the one consistent with the class marginal of the fit)."""
        balance = getattr(self, "joint_balance_", None) if joint else None
        return Weights(
            np.asarray(self.accuracy_, dtype=float),
            np.asarray(self.propensity_, dtype=float),
            np.asarray(self.dependency_weights_, dtype=float),
            np.asarray(self.class_balance_ if balance is None else balance, dtype=float),
        )

    def predict_proba(self, L: np.ndarray) -> np.ndarray:
        """(n, K) p(y | votes) with the class-balance factor `class_balance_`.

        With posterior="votes" (default) that is 0 (uniform) unless class_prior is given or the
        balance is learned, so abstains carry no evidence and the weights act as a weighted vote
        (Snorkel 0.6's marginals). With posterior="joint" it is `joint_balance_`, the fitted
        joint's own posterior, which also reads each abstain as evidence against the LF's class
        and so fails with many correlated one-class LFs (README, "Measurements behind the
        defaults"). Rows where every LF abstains get the class balance."""
        self.check_fitted()
        L = check_label_matrix(
            L,
            n_classes=self.n_classes_,
            n_sources=self.n_lfs_,
            allow_silent_sources=True,
            allow_no_votes=True,
        )
        e = Engine.energies(self._engine().row_features(L + 1), self._weights())
        return cast(np.ndarray, np.exp(e - logsumexp(e, axis=1)[:, None]))

    def log_likelihood(self, L: np.ndarray) -> float:
        """Mean log p(votes) per row of `L` (exact inference only)."""
        self.check_fitted()
        L = check_label_matrix(
            L,
            n_classes=self.n_classes_,
            n_sources=self.n_lfs_,
            allow_silent_sources=True,
            allow_no_votes=True,
        )
        engine = self._engine()
        self._require_exact(engine, "log_likelihood")
        layout = Layout(self.n_lfs_, len(self.dependencies_), self.n_classes_, "class", False)
        e = Engine.energies(engine.row_features(L + 1), self._weights(joint=True))
        logz, _, _ = engine.log_partition(self._weights(joint=True), layout)
        return float(np.mean(logsumexp(e, axis=1)) - logz)

    def _require_exact(self, engine: Engine, what: str) -> None:
        if not engine.exact_ok:
            raise SpecError(
                f"{what} needs exact inference, but the dependency graph has cycles beyond "
                f"max_exact_states={self.params.max_exact_states}"
            )

    # --- inspection -------------------------------------------------------------------------
    def dependency_table(self) -> pd.DataFrame:
        """The fitted dependencies: columns type, j, k, weight."""
        import pandas as pd

        self.check_fitted()
        rows = [
            {"type": t, "j": int(j), "k": int(k), "weight": float(w)}
            for (t, j, k), w in zip(self.dependencies_, self.dependency_weights_, strict=True)
        ]
        return pd.DataFrame(rows, columns=["type", "j", "k", "weight"])

    def dependency_graph(self) -> nx.MultiGraph:
        """networkx MultiGraph over LFs; each edge a dependency with `type`, `acts_on`, `weight`,
        and each node the LF's `accuracy` and `propensity` weights."""
        self.check_fitted()
        graph = self._engine().structure.graph.copy()
        for _, _, key, data in graph.edges(keys=True, data=True):
            data["weight"] = float(self.dependency_weights_[key])
        for j in graph.nodes:
            graph.nodes[j]["accuracy"] = float(self.accuracy_[j])
            graph.nodes[j]["propensity"] = [float(v) for v in self.propensity_[j]]
        return graph

    def lf_accuracies(self, *, n_samples: int = 20_000) -> np.ndarray:
        """(m,) model-implied P(LF votes y | LF votes): exact when possible, else from samples."""
        self.check_fitted()
        engine = self._engine()
        if engine.exact_ok:
            marg = _node_marginals(engine, self._weights(joint=True))  # (m, S, K) p(s|y), p(y)
            node, py = marg
            k = self.n_classes_
            right = sum(node[:, c + 1, c] * py[c] for c in range(k))
            votes = ((1 - node[:, 0, :]) * py[None, :]).sum(axis=1)
            return cast(np.ndarray, right / np.maximum(votes, 1e-300))
        S, y = self.sample(n_samples, seed=self.params.seed)
        voted = S != -1
        return cast(np.ndarray, ((S == y[:, None]) & voted).sum(axis=0) / np.maximum(voted.sum(axis=0), 1))

    def sample(self, n: int, *, seed: int = 0, burn_in: int = 300) -> tuple[np.ndarray, np.ndarray]:
        """Draw `n` items (L (n, m) with -1 = abstain, y (n,)) from the fitted model: exact
        ancestral sampling when inference is exact, else `burn_in` Gibbs sweeps of n chains."""
        self.check_fitted()
        if n < 1:
            raise DataError(f"n must be positive, got {n}")
        engine, prm = self._engine(), self._weights(joint=True)
        rng = np.random.default_rng(seed)
        if engine.exact_ok:
            S, y = engine.sample_exact(prm, n, rng)
        else:
            chains = GibbsChains(engine, n, rng)
            for _ in range(burn_in):
                chains.sweep(prm)
            S, y = chains.S.copy(), chains.y.copy()
        return S - 1, y

    @classmethod
    def from_parameters(
        cls,
        accuracy: Any,
        *,
        dependencies: Any = (),
        dependency_weights: Any = (),
        propensity: Any = None,
        class_balance: Any = None,
        n_classes: int = 2,
    ) -> FactorGraph:
        """A fitted model with the given weights (e.g. a known ground truth for generated data).

        Weights: accuracy (m,), dependency_weights aligned with `dependencies`, propensity (m,)
        (one per LF) or (m, K) (per LF and class; zeros when omitted), class_balance (K,) (zeros
        when omitted).
        """
        deps = parse_dependencies(dependencies)
        model = cls(n_classes=n_classes, dependencies=[d.as_tuple() for d in deps])
        acc = np.asarray(accuracy, dtype=float).reshape(-1)
        m = acc.size
        structure = DependencyStructure(deps, m)
        w = np.asarray(dependency_weights, dtype=float).reshape(-1)
        if w.size != len(deps):
            raise SpecError(f"{len(deps)} dependencies but {w.size} dependency weights")
        prop = np.zeros((m, n_classes)) if propensity is None else np.asarray(propensity, dtype=float)
        if prop.shape == (m,):
            prop = np.repeat(prop[:, None], n_classes, axis=1)
        bal = (
            np.zeros(n_classes)
            if class_balance is None
            else np.asarray(class_balance, dtype=float).reshape(-1)
        )
        if prop.shape != (m, n_classes) or bal.size != n_classes:
            raise SpecError(
                f"propensity needs shape ({m},) or ({m}, {n_classes}) and class_balance {n_classes} values"
            )
        model.accuracy_, model.propensity_, model.dependency_weights_, model.class_balance_ = (
            acc,
            prop,
            w,
            bal,
        )
        model.joint_balance_, model.fit_prior_ = bal.copy(), None
        model.dependencies_ = [list(d.as_tuple()) for d in structure.dependencies]
        model.n_classes_, model.n_lfs_ = int(n_classes), int(m)
        model.inference_ = (
            "exact" if Engine(structure, n_classes, model.params.max_exact_states).exact_ok else "gibbs"
        )
        model.log_likelihood_ = None
        return model


def _node_marginals(engine: Engine, prm: Weights) -> tuple[np.ndarray, np.ndarray]:
    """Exact p(s_j | y) for every LF (m, S, K) and p(y) (K,)."""
    logz_y, node, _ = engine.marginals(prm)
    return node, np.exp(logz_y - logsumexp(logz_y, axis=0))
