"""Numerics of the factor graph: energies, exact partition function, Gibbs sampling.

The joint model over the true class y and the LF states s (0 = abstain, c+1 = class c) is

    log p(s, y) = sum_j [a_j A[s_j, y] + r_{j, s_j}] + b_y
                  + sum_d w_d D_{t_d}[s_{j_d}, s_{k_d}, y] - log Z

with accuracy weights a, propensity weights r (r_{j,0} = 0; one weight per LF for "votes"
propensity, one per LF and class for "class" propensity, none for "none"), class-balance
weights b and dependency weights w. Given y, the LFs form a pairwise Markov random field over the LF pair graph, so the
partition function factorises over its connected components: isolated LFs in closed form,
trees by belief propagation, small cyclic components by enumeration. Larger cyclic components
need the Gibbs sampler (`GibbsChains`), which estimates the model expectations used by
persistent contrastive divergence. Everything is vectorised over y and over chains/rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from weasul_factor_graph.factors import accuracy_table, dependency_tables
from weasul_factor_graph.structure import Component, DependencyStructure

__all__ = ["Layout", "Params", "Engine", "GibbsChains", "logsumexp"]

_Pots = dict[tuple[int, int], np.ndarray]  # per LF pair (u < v): an (S, S, K) table


def logsumexp(x: np.ndarray, axis: int | tuple[int, ...]) -> np.ndarray:
    top = np.max(x, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    out = np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True)) + top
    return cast(np.ndarray, np.squeeze(out, axis=axis))


@dataclass(frozen=True)
class Layout:
    """Where each parameter block sits in the flat vector optimised by fit()."""

    n_lfs: int
    n_deps: int
    n_classes: int
    propensity: str  # "none", "votes" or "class"
    learn_balance: bool

    @property
    def n_propensity(self) -> int:
        return {"none": 0, "votes": self.n_lfs, "class": self.n_lfs * self.n_classes}[self.propensity]

    @property
    def size(self) -> int:
        return self.n_lfs + self.n_propensity + self.n_deps + (self.n_classes if self.learn_balance else 0)

    def pack_propensity(self, grad: np.ndarray) -> np.ndarray:
        """Map an (m, K) gradient w.r.t. per-class propensities to this layout's block."""
        if self.propensity == "class":
            return grad.reshape(-1)
        if self.propensity == "votes":
            return cast(np.ndarray, grad.sum(axis=1))
        return np.zeros(0)

    def slices(self) -> dict[str, slice]:
        m, out, start = self.n_lfs, {}, 0
        for name, width in (
            ("accuracy", m),
            ("propensity", self.n_propensity),
            ("dependency", self.n_deps),
            ("balance", self.n_classes if self.learn_balance else 0),
        ):
            out[name] = slice(start, start + width)
            start += width
        return out


@dataclass
class Params:
    """Model weights (see the module docstring)."""

    accuracy: np.ndarray  # (m,)
    propensity: np.ndarray  # (m, K) weight of each LF voting each class; zeros without propensity
    dependency: np.ndarray  # (n_deps,)
    balance: np.ndarray  # (K,)

    def pack(self, layout: Layout) -> np.ndarray:
        parts = [self.accuracy]
        if layout.propensity == "class":
            parts.append(self.propensity.reshape(-1))
        elif layout.propensity == "votes":
            parts.append(self.propensity[:, 0])
        parts.append(self.dependency)
        if layout.learn_balance:
            parts.append(self.balance)
        return np.concatenate(parts).astype(float)

    @classmethod
    def unpack(cls, theta: np.ndarray, layout: Layout, fixed_balance: np.ndarray) -> Params:
        sl = layout.slices()
        m, k = layout.n_lfs, layout.n_classes
        block = theta[sl["propensity"]]
        if layout.propensity == "class":
            prop = block.reshape(m, k)
        elif layout.propensity == "votes":
            prop = np.repeat(block[:, None], k, axis=1)
        else:
            prop = np.zeros((m, k))
        return cls(
            accuracy=theta[sl["accuracy"]],
            propensity=prop,
            dependency=theta[sl["dependency"]],
            balance=theta[sl["balance"]] if layout.learn_balance else fixed_balance,
        )


class Engine:
    """Energies, sufficient statistics and exact log-partition for one structure and K."""

    def __init__(self, structure: DependencyStructure, n_classes: int, max_exact_states: int) -> None:
        self.structure = structure
        self.m = structure.n_lfs
        self.k = n_classes
        self.s = n_classes + 1
        self.A = accuracy_table(n_classes)  # (S, K)
        self._onehot = np.eye(self.s)[:, 1:]  # state -> one-hot of the class voted, (S, K)
        self.D = dependency_tables(structure.types, n_classes)  # (nd, S, S, K)
        self.dj, self.dk = structure.j, structure.k
        self.nd = len(structure)
        self.components: list[Component] = structure.components(n_classes, max_exact_states)
        in_edge = np.zeros(self.m, bool)
        for comp in self.components:
            in_edge[list(comp.nodes)] = True
        self.isolated = np.flatnonzero(~in_edge)
        self._plans = [self._plan(c) for c in self.components if c.kind != "cyclic"]

    @property
    def exact_ok(self) -> bool:
        return all(c.kind != "cyclic" for c in self.components)

    # --- per-row features -------------------------------------------------------------
    def row_features(self, S: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For rows of states S (n, m): accuracy features (n, m, K), one-hot votes (n, m, K)
        and dependency features (n, nd, K), the factor values for every y."""
        acc = self.A[S]  # (n, m, K)
        votes = self._onehot[S]
        if self.nd:
            dep = self.D[np.arange(self.nd)[None, :], S[:, self.dj], S[:, self.dk], :]
        else:
            dep = np.zeros((S.shape[0], 0, self.k))
        return acc, votes, dep

    @staticmethod
    def energies(feats: tuple[np.ndarray, np.ndarray, np.ndarray], p: Params) -> np.ndarray:
        """(n, K) unnormalised log p(s_i, y)."""
        acc, votes, dep = feats
        n = acc.shape[0]
        e = (acc.transpose(0, 2, 1) @ p.accuracy) + p.balance[None, :]
        e += (votes.reshape(n, -1) @ p.propensity.reshape(-1))[:, None]
        if dep.shape[1]:
            e += dep.transpose(0, 2, 1) @ p.dependency
        return cast(np.ndarray, e)

    def data_term(
        self, feats: tuple[np.ndarray, np.ndarray, np.ndarray], weights: np.ndarray, p: Params, layout: Layout
    ) -> tuple[float, np.ndarray, np.ndarray]:
        """Weighted mean of log sum_y exp(E(s_i, y)), its gradient (expected features under
        the posterior), and the posterior (n, K)."""
        acc, votes, dep = feats
        e = self.energies(feats, p)
        lse = logsumexp(e, axis=1)
        q = np.exp(e - lse[:, None])
        w = weights / weights.sum()
        qw = q * w[:, None]
        n = acc.shape[0]
        grad = [np.einsum("imy,iy->m", acc, qw)]
        grad.append(layout.pack_propensity((w @ votes.reshape(n, -1)).reshape(self.m, self.k)))
        grad.append(np.einsum("idy,iy->d", dep, qw) if self.nd else np.zeros(0))
        if layout.learn_balance:
            grad.append(w @ q)
        return float(w @ lse), np.concatenate(grad), q

    # --- exact partition function -------------------------------------------------------
    def _plan(self, comp: Component) -> dict[str, Any]:
        """Pair potentials of a component: for each edge, the dependency indices on it and
        whether each is oriented (u, v) or (v, u)."""
        on_edge: dict[tuple[int, int], list[tuple[int, bool]]] = {e: [] for e in comp.edges}
        for d in range(self.nd):
            j, k = int(self.dj[d]), int(self.dk[d])
            if j in comp.nodes:
                on_edge[(min(j, k), max(j, k))].append((d, j < k))
        plan: dict[str, Any] = {"comp": comp, "on_edge": on_edge}
        if comp.kind == "tree":
            import networkx as nx

            tree = nx.Graph(comp.edges)
            root = comp.nodes[0]
            order = [root] + [v for _, v in nx.bfs_edges(tree, root)]
            parent = dict(nx.bfs_predecessors(tree, root))
            children: dict[int, list[int]] = {v: [] for v in order}
            for child, par in parent.items():
                children[par].append(child)
            plan.update(root=root, order=order, parent=parent, children=children)
        else:
            nodes = comp.nodes
            grid = np.indices((self.s,) * len(nodes)).reshape(len(nodes), -1).T  # (S^c, c)
            plan.update(grid=grid, pos={v: i for i, v in enumerate(nodes)})
        return plan

    def _pair_potential(self, on_edge: list[tuple[int, bool]], w: np.ndarray) -> np.ndarray:
        """(S, S, K) log-potential over (s_u, s_v, y) for an edge u < v."""
        pot = np.zeros((self.s, self.s, self.k))
        for d, forward in on_edge:
            pot += w[d] * (self.D[d] if forward else self.D[d].transpose(1, 0, 2))
        return pot

    def node_potentials(self, p: Params) -> np.ndarray:
        """(m, S, K) log-potential of each LF's own factors."""
        prop = np.concatenate([np.zeros((self.m, 1)), p.propensity], axis=1)  # (m, S)
        return cast(np.ndarray, p.accuracy[:, None, None] * self.A[None] + prop[:, :, None])

    def marginals(self, p: Params) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One exact pass: log Z per class (K,), p(s_j | y) (m, S, K) and E[phi_d | y] (nd, K)."""
        u = self.node_potentials(p)  # (m, S, K)
        logz_y = p.balance.astype(float).copy()
        node_marg = np.zeros((self.m, self.s, self.k))  # p(s_j | y)
        dep_exp = np.zeros((self.nd, self.k))  # E[phi_d | y]
        iso = self.isolated
        if iso.size:
            z = logsumexp(u[iso], axis=1)  # (n_iso, K)
            logz_y += z.sum(axis=0)
            node_marg[iso] = np.exp(u[iso] - z[:, None, :])
        for plan in self._plans:
            pots = {e: self._pair_potential(ds, p.dependency) for e, ds in plan["on_edge"].items()}
            if plan["comp"].kind == "tree":
                z, edge_marg = self._tree(plan, u, pots, node_marg)
            else:
                z, edge_marg = self._enumerate(plan, u, pots, node_marg)
            logz_y += z
            for e, ds in plan["on_edge"].items():
                for d, forward in ds:
                    table = self.D[d] if forward else self.D[d].transpose(1, 0, 2)
                    dep_exp[d] = np.einsum("aby,aby->y", edge_marg[e], table)
        return logz_y, node_marg, dep_exp

    def log_partition(self, p: Params, layout: Layout) -> tuple[float, np.ndarray, np.ndarray]:
        """Exact log Z, the model expectation of every feature (the gradient of log Z) and p(y)."""
        logz_y, node_marg, dep_exp = self.marginals(p)
        logz = float(logsumexp(logz_y, axis=0))
        py = np.exp(logz_y - logz)
        return logz, self.mixed_expectations(node_marg, dep_exp, py, layout), py

    def mixed_expectations(
        self, node_marg: np.ndarray, dep_exp: np.ndarray, class_weights: np.ndarray, layout: Layout
    ) -> np.ndarray:
        """sum_y class_weights[y] E[feature | y] for every feature, from `marginals`' output
        (with class_weights = p(y) this is the gradient of log Z)."""
        acc_exp = np.einsum("msy,sy->my", node_marg, self.A) @ class_weights
        grad = [acc_exp, layout.pack_propensity(node_marg[:, 1:, :] @ class_weights)]
        grad.append(dep_exp @ class_weights if self.nd else np.zeros(0))
        if layout.learn_balance:
            grad.append(class_weights)
        return np.concatenate(grad)

    def _tree(
        self, plan: dict[str, Any], u: np.ndarray, pots: _Pots, node_marg: np.ndarray
    ) -> tuple[np.ndarray, _Pots]:
        """Sum-product on a tree (log space, vectorised over y). Fills node marginals p(s|y)."""
        order, parent, root = plan["order"], plan["parent"], plan["root"]
        up, belief = _upward(plan, u, pots)
        logz = logsumexp(belief[root], axis=0)  # (K,)
        full: dict[int, np.ndarray] = {root: belief[root]}
        edge_marg: dict[tuple[int, int], np.ndarray] = {}
        for v in order[1:]:
            par = parent[v]
            outside = full[par] - up[v]  # parent's belief without v's message, (S_par, K)
            pot = _oriented(pots, v, par)
            joint = np.exp(
                belief[v][:, None, :] + pot + outside[None, :, :] - logz[None, None, :]
            )  # p(s_v, s_par | y)
            full[v] = belief[v] + logsumexp(pot + outside[None, :, :], axis=1)
            edge_marg[(min(v, par), max(v, par))] = joint if v < par else joint.transpose(1, 0, 2)
        for v in order:
            node_marg[v] = np.exp(full[v] - logz[None, :])
        return logz, edge_marg

    def _enumerate(
        self, plan: dict[str, Any], u: np.ndarray, pots: _Pots, node_marg: np.ndarray
    ) -> tuple[np.ndarray, _Pots]:
        """Exact sums over every joint vote of a small component with cycles."""
        grid, pos, nodes = plan["grid"], plan["pos"], plan["comp"].nodes
        energy = np.zeros((grid.shape[0], self.k))
        for i, v in enumerate(nodes):
            energy += u[v][grid[:, i]]
        for (a, b), pot in pots.items():
            energy += pot[grid[:, pos[a]], grid[:, pos[b]]]
        logz = logsumexp(energy, axis=0)
        prob = np.exp(energy - logz[None, :])  # (S^c, K)
        for i, v in enumerate(nodes):
            onehot = grid[:, i][:, None] == np.arange(self.s)[None, :]
            node_marg[v] = onehot.T.astype(float) @ prob
        edge_marg = {}
        for a, b in pots:
            flat = grid[:, pos[a]] * self.s + grid[:, pos[b]]
            marg = np.stack(
                [np.bincount(flat, weights=prob[:, y], minlength=self.s**2) for y in range(self.k)], 1
            )
            edge_marg[(a, b)] = marg.reshape(self.s, self.s, self.k)
        plan["_last_prob"] = prob
        return logz, edge_marg

    # --- exact sampling -------------------------------------------------------------------
    def sample_exact(self, p: Params, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Draw n independent (states (n, m), y (n,)) from the model; needs exact_ok."""
        u = self.node_potentials(p)
        logz_y = p.balance.astype(float).copy()
        iso = self.isolated
        if iso.size:
            logz_y += logsumexp(u[iso], axis=1).sum(axis=0)
        tree_state = []
        for plan in self._plans:
            pots = {e: self._pair_potential(ds, p.dependency) for e, ds in plan["on_edge"].items()}
            scratch = np.zeros((self.m, self.s, self.k))
            if plan["comp"].kind == "tree":
                z, _ = self._tree(plan, u, pots, scratch)
            else:
                z, _ = self._enumerate(plan, u, pots, scratch)
            logz_y += z
            tree_state.append((plan, pots, scratch))
        py = np.exp(logz_y - logsumexp(logz_y, axis=0))
        y = rng.choice(self.k, size=n, p=py / py.sum())
        S = np.zeros((n, self.m), dtype=np.int64)
        if iso.size:
            probs = np.exp(u[iso] - logsumexp(u[iso], axis=1)[:, None, :])  # (n_iso, S, K)
            S[:, iso] = _draw(probs[:, :, y].transpose(2, 0, 1), rng)
        for plan, pots, marg in tree_state:
            if plan["comp"].kind == "tree":
                self._sample_tree(plan, u, pots, marg, y, S, rng)
            else:
                prob = plan["_last_prob"]  # (S^c, K)
                idx = _draw(prob[:, y].T[:, None, :], rng)[:, 0]
                S[:, list(plan["comp"].nodes)] = plan["grid"][idx]
        return S, y

    def _sample_tree(self, plan, u, pots, marg, y, S, rng) -> None:  # type: ignore[no-untyped-def]
        order, parent, root = plan["order"], plan["parent"], plan["root"]
        _, belief = _upward(plan, u, pots)
        root_p = np.exp(belief[root] - logsumexp(belief[root], axis=0)[None, :])  # (S, K)
        S[:, root] = _draw(root_p[:, y].T[:, None, :], rng)[:, 0]
        for v in order[1:]:
            cond = belief[v][:, None, :] + _oriented(pots, v, parent[v])  # (S_v, S_par, K)
            logits = cond[:, S[:, parent[v]], y].T  # (n, S_v)
            prob = np.exp(logits - logsumexp(logits, axis=1)[:, None])
            S[:, v] = _draw(prob[:, None, :], rng)[:, 0]


def _oriented(pots: _Pots, child: int, par: int) -> np.ndarray:
    """The (S_child, S_parent, K) log-potential of the edge between a child and its parent."""
    pot = pots[(min(child, par), max(child, par))]
    return pot if child < par else pot.transpose(1, 0, 2)


def _upward(
    plan: dict[str, Any], u: np.ndarray, pots: _Pots
) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Leaves-to-root pass of sum-product on a tree (log space, vectorised over y).

    Returns the messages child -> parent (S_parent, K) and each node's belief: its own
    potential plus its children's messages (S, K).
    """
    order, parent, children, root = plan["order"], plan["parent"], plan["children"], plan["root"]
    up: dict[int, np.ndarray] = {}
    belief: dict[int, np.ndarray] = {}
    for v in reversed(order):
        b = u[v].copy()
        for c in children[v]:
            b += up[c]
        belief[v] = b
        if v != root:
            up[v] = logsumexp(b[:, None, :] + _oriented(pots, v, parent[v]), axis=0)
    return up, belief


def _draw(prob: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sample the last axis of (n, r, S) probabilities; returns (n, r) indices."""
    cum = np.cumsum(prob, axis=-1)
    cum[..., -1] = 1.0
    u = rng.random(prob.shape[:-1])[..., None]
    return cast(np.ndarray, (u > cum).sum(axis=-1))


class GibbsChains:
    """Persistent Gibbs chains over (y, s) for any dependency graph.

    LFs are updated colour class by colour class (a greedy colouring of the LF pair graph), so
    all LFs of one colour are sampled at once given their neighbours and y, in every chain.
    """

    def __init__(
        self, engine: Engine, n_chains: int, rng: np.random.Generator, init: np.ndarray | None = None
    ) -> None:
        import networkx as nx

        self.e = engine
        self.rng = rng
        m = engine.m
        colouring = nx.greedy_color(engine.structure.pair_graph(), strategy="largest_first")
        n_col = max(colouring.values(), default=-1) + 1
        self.colours = [
            np.array(sorted(v for v, c in colouring.items() if c == col), dtype=np.int64)
            for col in range(n_col)
        ]
        self.plans = []
        for nodes in self.colours:
            mask = np.zeros(m, bool)
            mask[nodes] = True
            pos = -np.ones(m, dtype=np.int64)
            pos[nodes] = np.arange(len(nodes))
            as_j = np.flatnonzero(mask[engine.dj]) if engine.nd else np.zeros(0, np.int64)
            as_k = np.flatnonzero(mask[engine.dk]) if engine.nd else np.zeros(0, np.int64)
            inc_j = np.zeros((len(as_j), len(nodes)))
            inc_j[np.arange(len(as_j)), pos[engine.dj[as_j]]] = 1.0
            inc_k = np.zeros((len(as_k), len(nodes)))
            inc_k[np.arange(len(as_k)), pos[engine.dk[as_k]]] = 1.0
            self.plans.append((nodes, as_j, as_k, inc_j, inc_k))
        if init is not None:
            self.S = init[rng.integers(0, len(init), n_chains)].copy()
        else:
            self.S = np.zeros((n_chains, m), dtype=np.int64)
        self.y = rng.integers(0, engine.k, n_chains)

    def sweep(self, p: Params) -> None:
        e, S, y = self.e, self.S, self.y
        u = e.node_potentials(p)  # (m, S, K)
        W = p.dependency[:, None, None, None] * e.D if e.nd else e.D  # (nd, S, S, K)
        for nodes, as_j, as_k, inc_j, inc_k in self.plans:
            logits = u[nodes][:, :, y].transpose(2, 1, 0)  # (C, S, n_c)
            if as_j.size:
                contrib = W[as_j[None, :], :, S[:, e.dk[as_j]], y[:, None]]  # (C, n_j, S)
                logits = logits + contrib.transpose(0, 2, 1) @ inc_j
            if as_k.size:
                contrib = W[as_k[None, :], S[:, e.dj[as_k]], :, y[:, None]]  # (C, n_k, S)
                logits = logits + contrib.transpose(0, 2, 1) @ inc_k
            gumbel = -np.log(-np.log(self.rng.random(logits.shape)))
            S[:, nodes] = np.argmax(logits + gumbel, axis=1)
        self._feats = e.row_features(S)
        ey = Engine.energies(self._feats, p)
        gumbel = -np.log(-np.log(self.rng.random(ey.shape)))
        self.y = np.argmax(ey + gumbel, axis=1)

    def expectations(self, layout: Layout, class_weights: np.ndarray | None = None) -> np.ndarray:
        """Chain averages of every feature at the current states (call after `sweep`).

        With `class_weights` (K,), sum_y class_weights[y] * (average over the chains in class y),
        the chains' estimate of `Engine.mixed_expectations`; a class no chain is in takes the
        average over all chains."""
        acc, votes, dep = self._feats
        idx = np.arange(len(self.y))
        k = self.e.k
        share = np.bincount(self.y, minlength=k) / len(self.y)
        if class_weights is None:
            per_chain = np.ones(len(self.y)) / len(self.y)
        else:
            ratio = np.where(share > 0, class_weights / np.maximum(share, 1e-300), 0.0)
            per_chain = ratio[self.y] / len(self.y)
            missing = float(class_weights[share == 0].sum())
            per_chain += missing / len(self.y)
        grad = [
            per_chain @ acc[idx, :, self.y],
            layout.pack_propensity(np.tensordot(per_chain, votes, axes=1)),
        ]
        grad.append(per_chain @ dep[idx, :, self.y] if self.e.nd else np.zeros(0))
        if layout.learn_balance:
            grad.append(share)
        return np.concatenate(grad)
