"""Batches from the information graph (paper Sec. 3, Fig. 1): sample N_e edges, load the
segments they join (duplicates removed), and weight every pair of the batch by B = A + A^2 of
the subgraph those edges form, so second-order neighbours (two views of one event via a third, two
segments annotated with the same class via its anchor node) count as positives too.

Nodes 0..n-1 are segments, n..n+N_c-1 the class anchors. No torch here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["GraphBatch", "GraphSampler", "second_order"]


def second_order(A: np.ndarray) -> np.ndarray:
    """B = A + A^2 of a (symmetric, non-negative) adjacency matrix."""
    A = np.asarray(A, dtype=np.float32)
    return np.asarray(A + A @ A, dtype=np.float32)


@dataclass(frozen=True)
class GraphBatch:
    """`nodes`: the segments loaded (indices into X); `B`: (m + N_c, m + N_c) pair weights, the
    segments first, then every class anchor (all zero rows when there are no labels)."""

    nodes: np.ndarray
    B: np.ndarray


class GraphSampler:
    """Draws edge batches from context edges and annotation (segment, anchor) edges.

    Annotation edges are drawn class-balanced; when both kinds exist, `label_share` of the
    N_e edges are annotation edges (paper: unannotated data outweigh annotated ~4.5 : 1).
    `subgraph="edges"` (default, the paper's "by sampling the edges we construct a subgraph"):
    A holds only the N_e sampled edges. `"induced"`: every graph edge among the loaded segments,
    which with one station's labels ties each loaded labelled segment to its anchor, so the
    same-station same-class pairs outnumber the cross-station context pairs about 2 : 1 and
    the loss no longer pulls stations together (issue 20).
    """

    def __init__(
        self,
        n_items: int,
        context: np.ndarray,
        labels: np.ndarray | None,
        n_classes: int,
        *,
        edges_per_batch: int,
        label_share: float = 1 / 5.5,
        subgraph: str = "edges",
        seed: int = 0,
    ) -> None:
        if subgraph not in ("edges", "induced"):
            raise ValueError(f"subgraph must be 'edges' or 'induced', got {subgraph!r}")
        self.subgraph = subgraph
        self.n, self.k = n_items, n_classes
        self.context = np.asarray(context, dtype=np.int64).reshape(-1, 2)
        labels = np.full(n_items, -1) if labels is None else np.asarray(labels)
        self.by_class = [np.flatnonzero(labels == c) for c in range(n_classes)]
        self.by_class = [members for members in self.by_class if len(members)]
        self.labelled = np.flatnonzero(labels >= 0)
        self.labels = labels
        self.edges_per_batch = edges_per_batch
        self.label_share = label_share if len(self.context) else 1.0
        self.rng = np.random.default_rng(seed)
        rows = [self.context[:, 0], self.context[:, 1], self.labelled, n_items + labels[self.labelled]]
        cols = [self.context[:, 1], self.context[:, 0], n_items + labels[self.labelled], self.labelled]
        size = n_items + n_classes
        self.adjacency = sp.csr_matrix(
            (
                np.ones(sum(len(r) for r in rows), dtype=np.float32),
                (np.concatenate(rows), np.concatenate(cols)),
            ),
            shape=(size, size),
        )
        self.adjacency.data[:] = 1.0  # duplicate edges count once

    @property
    def n_edges(self) -> int:
        """Context plus annotation edges."""
        return len(self.context) + len(self.labelled)

    def batch(self) -> GraphBatch:
        """One batch: sampled edges' segments and the B weights of their induced subgraph."""
        ne = self.edges_per_batch
        n_ann = 0 if not self.by_class else max(1, round(ne * self.label_share))
        n_ctx = ne - n_ann if len(self.context) else 0
        picked = [self.context[self.rng.integers(0, len(self.context), n_ctx)].ravel()] if n_ctx else []
        if n_ann:
            classes = self.rng.integers(0, len(self.by_class), n_ann)
            picked += [np.array([self.rng.choice(self.by_class[c]) for c in classes], dtype=np.int64)]
        nodes = np.unique(np.concatenate(picked)) if picked else np.zeros(0, dtype=np.int64)
        index = np.concatenate([nodes, self.n + np.arange(self.k)])
        if self.subgraph == "induced":
            A = self.adjacency[index][:, index].toarray()
            return GraphBatch(nodes, second_order(A))
        A = np.zeros((len(index), len(index)), dtype=np.float32)
        if n_ctx:
            u, v = np.searchsorted(nodes, picked[0].reshape(-1, 2).T)
            A[u, v] = A[v, u] = 1.0
        if n_ann:
            u = np.searchsorted(nodes, picked[-1])
            v = len(nodes) + self.labels[picked[-1]]
            A[u, v] = A[v, u] = 1.0
        return GraphBatch(nodes, second_order(A))
