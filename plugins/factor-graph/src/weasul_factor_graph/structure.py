"""Dependencies between labeling functions: parsing, validation and the networkx graph.

A dependency is ``(type, j, k)`` with LF indices into the label matrix's columns; for the
asymmetric types LF ``k`` acts on LF ``j`` (see `weasul_factor_graph.factors`). Several
dependencies may join the same pair of LFs (e.g. ``fixing`` and ``negated`` between "worth"
and "not worth"); inference merges them into one pairwise potential, so only cycles in the
*simple* graph of LF pairs matter.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from weasul.errors import SpecError

from weasul_factor_graph.factors import DEPENDENCY_TYPES, SYMMETRIC_TYPES

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "Dependency",
    "DependencyStructure",
    "Component",
    "parse_dependencies",
    "normalise_dependency_input",
]


@dataclass(frozen=True, order=True)
class Dependency:
    """One dependency factor: `type` between LFs `j` and `k` (for asymmetric types, k acts on j)."""

    type: str
    j: int
    k: int

    def as_tuple(self) -> tuple[str, int, int]:
        return (self.type, self.j, self.k)

    def key(self) -> tuple[str, int, int]:
        """Identity used for duplicate detection: symmetric types ignore the order of j and k."""
        if self.type in SYMMETRIC_TYPES:
            return (self.type, min(self.j, self.k), max(self.j, self.k))
        return self.as_tuple()


def _unknown_type(name: Any, where: str) -> SpecError:
    close = difflib.get_close_matches(str(name), DEPENDENCY_TYPES, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return SpecError(
        f"{where}: unknown dependency type {name!r}{hint}; types are {', '.join(DEPENDENCY_TYPES)}"
    )


def normalise_dependency_input(value: Any) -> list[tuple[Any, Any, Any]]:
    """Accept tuples/lists, dicts with keys type/j/k, a DataFrame with those columns, or a
    split-wise mapping holding one of those (a spec step's `dependencies` table)."""
    if value is None:
        return []
    if isinstance(value, Mapping) and not {"type", "j", "k"} <= set(value):
        if len(value) != 1:
            raise SpecError(
                f"dependencies: got a mapping with keys {sorted(map(str, value))}; pass a list of (type, j, k) "
                "or a table with columns type, j, k"
            )
        value = next(iter(value.values()))
    if hasattr(value, "to_dict") and hasattr(value, "columns"):  # a pandas DataFrame
        missing = {"type", "j", "k"} - set(value.columns)
        if missing:
            raise SpecError(f"dependencies table lacks column(s) {sorted(missing)}; it needs type, j, k")
        value = value[["type", "j", "k"]].to_dict("records")
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise SpecError(f"dependencies must be a list of (type, j, k), got {type(value).__name__}")
    out = []
    for index, item in enumerate(value):
        if isinstance(item, Dependency):
            out.append(item.as_tuple())
        elif isinstance(item, Mapping):
            try:
                out.append((item["type"], item["j"], item["k"]))
            except KeyError as err:
                raise SpecError(f"dependencies[{index}] lacks key {err.args[0]!r}; give type, j, k") from None
        elif isinstance(item, Sequence) and not isinstance(item, (str, bytes)) and len(item) == 3:
            out.append((item[0], item[1], item[2]))
        else:
            raise SpecError(f"dependencies[{index}] = {item!r} is not a (type, j, k) triple")
    return out


def _as_index(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise SpecError(f"{where}: LF index {value!r} is not an integer")
    if value < 0:
        raise SpecError(f"{where}: LF index {value} is negative; indices are 0..m-1 (columns of L)")
    return int(value)


def parse_dependencies(value: Any, n_lfs: int | None = None) -> tuple[Dependency, ...]:
    """Validate dependencies; raises SpecError for unknown types, self-dependencies,
    duplicates, non-integer or negative indices and (when `n_lfs` is given) indices >= n_lfs."""
    deps: list[Dependency] = []
    seen: dict[tuple[str, int, int], int] = {}
    for index, (kind, j, k) in enumerate(normalise_dependency_input(value)):
        where = f"dependencies[{index}] ({kind!r}, {j!r}, {k!r})"
        if kind not in DEPENDENCY_TYPES:
            raise _unknown_type(kind, where)
        j, k = _as_index(j, where), _as_index(k, where)
        if j == k:
            raise SpecError(f"{where}: an LF cannot depend on itself; j and k must differ")
        if n_lfs is not None and max(j, k) >= n_lfs:
            raise SpecError(
                f"{where}: LF index {max(j, k)} is out of range; L has {n_lfs} LFs (indices 0..{n_lfs - 1})"
            )
        dep = Dependency(str(kind), j, k)
        if dep.key() in seen:
            raise SpecError(f"{where}: repeats dependencies[{seen[dep.key()]}]; list each dependency once")
        seen[dep.key()] = index
        deps.append(dep)
    return tuple(deps)


@dataclass(frozen=True)
class Component:
    """A connected component of the LF pair graph and how exact inference treats it.

    kind: "tree" (belief propagation), "enumerate" (small, with cycles: sum over all joint
    votes) or "cyclic" (too large with cycles for exact inference).
    """

    nodes: tuple[int, ...]
    edges: tuple[tuple[int, int], ...]
    kind: str


class DependencyStructure:
    """Validated dependencies over `n_lfs` LFs with their networkx multigraph.

    `graph` is an undirected `networkx.MultiGraph` with one node per LF and one edge per
    dependency (attributes `type`, `index`, and `acts_on`: the LF the other one acts on).
    """

    def __init__(self, dependencies: Any, n_lfs: int) -> None:
        if n_lfs < 1:
            raise SpecError(f"a factor graph needs at least one LF, got n_lfs={n_lfs}")
        self.n_lfs = int(n_lfs)
        self.dependencies = parse_dependencies(dependencies, self.n_lfs)
        self._graph: nx.MultiGraph | None = None

    def __len__(self) -> int:
        return len(self.dependencies)

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(d.type for d in self.dependencies)

    @property
    def j(self) -> np.ndarray:
        return np.array([d.j for d in self.dependencies], dtype=np.int64)

    @property
    def k(self) -> np.ndarray:
        return np.array([d.k for d in self.dependencies], dtype=np.int64)

    @property
    def graph(self) -> nx.MultiGraph:
        if self._graph is None:
            import networkx as nx

            graph = nx.MultiGraph()
            graph.add_nodes_from(range(self.n_lfs))
            for index, dep in enumerate(self.dependencies):
                graph.add_edge(dep.j, dep.k, key=index, type=dep.type, index=index, acts_on=dep.j)
            self._graph = graph
        return self._graph

    def pair_graph(self) -> nx.Graph:
        """The simple graph of LF pairs joined by at least one dependency."""
        import networkx as nx

        return nx.Graph(self.graph)

    def components(self, n_classes: int, max_states: int) -> list[Component]:
        """Connected components with at least one edge, each classified for exact inference.

        A component with cycles is enumerated when (K+1)^size <= max_states.
        """
        import networkx as nx

        simple = self.pair_graph()
        out = []
        for nodes in nx.connected_components(simple):
            if len(nodes) < 2:
                continue
            sub = simple.subgraph(nodes)
            edges = tuple(sorted((min(a, b), max(a, b)) for a, b in sub.edges()))
            if len(edges) == len(nodes) - 1:
                kind = "tree"
            elif (n_classes + 1) ** len(nodes) <= max_states:
                kind = "enumerate"
            else:
                kind = "cyclic"
            out.append(Component(tuple(sorted(nodes)), edges, kind))
        out.sort(key=lambda c: c.nodes)
        return out

    def check_exact(self, n_classes: int, max_states: int) -> None:
        """Raise SpecError when some component has cycles too large to enumerate."""
        bad = [c for c in self.components(n_classes, max_states) if c.kind == "cyclic"]
        if bad:
            import networkx as nx

            comp = bad[0]
            cycle = nx.find_cycle(self.pair_graph().subgraph(comp.nodes))
            loop = " - ".join(str(a) for a, _ in cycle) + f" - {cycle[0][0]}"
            raise SpecError(
                f"exact inference cannot handle the dependency cycle {loop}: its connected component has "
                f"{len(comp.nodes)} LFs, and with cycles exact inference sums over all (K+1)^{len(comp.nodes)} "
                f"joint votes (limit max_exact_states={max_states}). Use inference='gibbs' (or 'auto'), "
                "or drop dependencies to break the cycle"
            )
