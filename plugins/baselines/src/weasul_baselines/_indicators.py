"""Indicator columns of a label matrix for class-conditional label models with LF cliques.

A *unit* is a source that is conditionally independent of every other unit given Y: either a
single labeling function or a clique of dependent ones. Columns of the indicator matrix psi:

- one per (source j, class c) that j votes in the training matrix: psi = [lambda_j == c];
- for each clique C and each subset S of C with |S| >= 2, one per vote combination of S seen in
  training: psi = [every source of S votes, with exactly that combination].

The *factor* matrix F selects, per row, the columns whose class-conditional probabilities
multiply into P(lambda | y) (junction-tree factorisation over units): a lone source's own
column; for a clique, the column of the subset that votes (or its sources' own columns if that
combination was never seen in training).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np
from weasul.errors import DataError, SpecError

if TYPE_CHECKING:
    from scipy import sparse

__all__ = ["Layout", "build_layout", "single_layout", "indicator_matrix", "factor_matrix", "check_cliques"]


def check_cliques(cliques: list[list[int]], n_sources: int) -> list[tuple[int, ...]]:
    """Cliques as sorted tuples; each source in at most one clique, indices in range."""
    seen: dict[int, int] = {}
    out = []
    for i, clique in enumerate(cliques):
        members = tuple(sorted(set(int(j) for j in clique)))
        if len(members) < 2:
            raise SpecError(f"cliques[{i}] = {clique} needs at least two distinct sources")
        if len(members) > 6:
            raise SpecError(f"cliques[{i}] has {len(members)} sources; at most 6 are supported")
        for j in members:
            if not 0 <= j < n_sources:
                raise DataError(
                    f"cliques[{i}] names source {j} but L has {n_sources} sources (0..{n_sources - 1})"
                )
            if j in seen:
                raise SpecError(
                    f"source {j} is in cliques[{seen[j]}] and cliques[{i}]; merge overlapping cliques into one"
                )
            seen[j] = i
        out.append(members)
    return out


@dataclass(frozen=True)
class Layout:
    """Column layout of psi, stored as arrays so a fitted model can be saved.

    single_col: (m, K) column of (source, class) or -1 when unseen in training.
    clique_of: (m,) clique index of each source or -1.
    subset_keys: (s, 3) rows (clique, subset bitmask over the clique's members, vote code);
      subset_cols: (s,) their columns; keys sorted for lookup.
    col_unit: (d,) unit of each column (units: sources outside cliques, then cliques).
    col_class: (d,) the class of a single-source column, -1 for subset columns.
    """

    n_classes: int
    cliques: tuple[tuple[int, ...], ...]
    single_col: np.ndarray
    clique_of: np.ndarray
    subset_keys: np.ndarray
    subset_cols: np.ndarray
    col_unit: np.ndarray
    col_class: np.ndarray

    @property
    def n_cols(self) -> int:
        return int(self.col_unit.size)


def _vote_code(votes: np.ndarray, k: int) -> np.ndarray:
    """Base-K code of the vote rows (all entries >= 0)."""
    code = np.zeros(votes.shape[0], dtype=np.int64)
    for col in range(votes.shape[1]):
        code = code * k + votes[:, col]
    return code


def _subset_mask(members: tuple[int, ...], subset: tuple[int, ...]) -> int:
    return sum(1 << members.index(j) for j in subset)


def build_layout(L: np.ndarray, n_classes: int, cliques: list[tuple[int, ...]]) -> Layout:
    """Columns for every (source, class) and clique-subset combination seen in `L`."""
    n, m = L.shape
    k = n_classes
    seen = np.column_stack([(L == c).any(axis=0) for c in range(k)]).reshape(m, k)
    single_col = np.full((m, k), -1, dtype=np.int64)
    single_col[seen] = np.arange(int(seen.sum()))
    clique_of = np.full(m, -1, dtype=np.int64)
    for ci, members in enumerate(cliques):
        clique_of[list(members)] = ci
    lone = np.flatnonzero(clique_of == -1)
    unit_of_source = np.empty(m, dtype=np.int64)
    unit_of_source[lone] = np.arange(lone.size)
    for ci, members in enumerate(cliques):
        unit_of_source[list(members)] = lone.size + ci
    src, cls = np.nonzero(seen)
    col_unit = [unit_of_source[src]]
    col_class = [cls]
    keys: list[np.ndarray] = []
    next_col = int(seen.sum())
    for ci, members in enumerate(cliques):
        for size in range(2, len(members) + 1):
            for subset in combinations(members, size):
                votes = L[:, list(subset)]
                all_vote = (votes != -1).all(axis=1)
                codes = np.unique(_vote_code(votes[all_vote], k))
                if codes.size == 0:
                    continue
                mask = _subset_mask(members, subset)
                block = np.column_stack([np.full(codes.size, ci), np.full(codes.size, mask), codes])
                keys.append(np.column_stack([block, np.arange(next_col, next_col + codes.size)]))
                col_unit.append(np.full(codes.size, lone.size + ci))
                col_class.append(np.full(codes.size, -1))
                next_col += codes.size
    table = np.concatenate(keys) if keys else np.zeros((0, 4), dtype=np.int64)
    order = np.lexsort((table[:, 2], table[:, 1], table[:, 0])) if len(table) else np.zeros(0, dtype=np.int64)
    table = table[order]
    return Layout(
        n_classes=k,
        cliques=tuple(cliques),
        single_col=single_col,
        clique_of=clique_of,
        subset_keys=table[:, :3].astype(np.int64),
        subset_cols=table[:, 3].astype(np.int64),
        col_unit=np.concatenate(col_unit).astype(np.int64),
        col_class=np.concatenate(col_class).astype(np.int64),
    )


def single_layout(seen: np.ndarray) -> Layout:
    """The layout without cliques from `seen` (m, K) bool, whether source j voted class c:
    what `build_layout(L, K, [])` gives for an L with those votes."""
    m, k = seen.shape
    single_col = np.full((m, k), -1, dtype=np.int64)
    single_col[seen] = np.arange(int(seen.sum()))
    src, cls = np.nonzero(seen)
    return Layout(
        n_classes=k,
        cliques=(),
        single_col=single_col,
        clique_of=np.full(m, -1, dtype=np.int64),
        subset_keys=np.zeros((0, 3), dtype=np.int64),
        subset_cols=np.zeros(0, dtype=np.int64),
        col_unit=src.astype(np.int64),
        col_class=cls.astype(np.int64),
    )


def _lookup_subset(layout: Layout, ci: int, mask: np.ndarray, code: np.ndarray) -> np.ndarray:
    """Column of (clique ci, subset mask, code) per row, -1 when unseen."""
    keys = layout.subset_keys
    if keys.shape[0] == 0:
        return np.full(mask.shape, -1, dtype=np.int64)
    # encode the key triple into one sortable int for searchsorted
    base_code = int(layout.n_classes ** max(len(c) for c in layout.cliques))
    base_mask = 1 << max(len(c) for c in layout.cliques)
    flat = (keys[:, 0] * base_mask + keys[:, 1]) * base_code + keys[:, 2]
    query = (ci * base_mask + mask) * base_code + code
    pos = np.searchsorted(flat, query)
    pos = np.clip(pos, 0, flat.size - 1)
    return np.where(flat[pos] == query, layout.subset_cols[pos], -1)


def _csr(n: int, d: int, rows: np.ndarray, cols: np.ndarray, dtype: type = np.float64) -> sparse.csr_matrix:
    from scipy import sparse

    data: np.ndarray = np.ones(rows.size, dtype=dtype)
    return sparse.csr_matrix((data, (rows, cols)), shape=(n, d))


def _single_entries(
    L: np.ndarray, layout: Layout, sources: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    sub = L if sources is None else L[:, sources]
    rows, cols = np.nonzero(sub != -1)
    src = cols if sources is None else sources[cols]
    col = layout.single_col[src, L[rows, src]]
    keep = col >= 0  # a class this source never voted in training carries no estimate
    return rows[keep], col[keep]


def indicator_matrix(L: np.ndarray, layout: Layout) -> sparse.csr_matrix:
    """psi (n, d) as a scipy CSR matrix of 0/1 float64."""
    n = L.shape[0]
    rows, cols = _single_entries(L, layout)
    if not layout.cliques:
        from scipy import sparse

        # rows from np.nonzero are sorted: build CSR directly, no sort
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        return sparse.csr_matrix((np.ones(rows.size), cols, indptr), shape=(n, layout.n_cols))
    all_rows, all_cols = [rows], [cols]
    k = layout.n_classes
    for ci, members in enumerate(layout.cliques):
        for size in range(2, len(members) + 1):
            for subset in combinations(members, size):
                votes = L[:, list(subset)]
                hit = np.flatnonzero((votes != -1).all(axis=1))
                col = _lookup_subset(
                    layout, ci, np.full(hit.size, _subset_mask(members, subset)), _vote_code(votes[hit], k)
                )
                all_rows.append(hit[col >= 0])
                all_cols.append(col[col >= 0])
    return _csr(n, layout.n_cols, np.concatenate(all_rows), np.concatenate(all_cols))


def factor_matrix(L: np.ndarray, layout: Layout) -> sparse.csr_matrix:
    """F (n, d) CSR: the columns whose class-conditional probabilities multiply into P(lambda | y)."""
    n = L.shape[0]
    lone = np.flatnonzero(layout.clique_of == -1)
    if not layout.cliques:
        return indicator_matrix(L, layout)
    rows, cols = _single_entries(L, layout, lone)
    all_rows, all_cols = [rows], [cols]
    k = layout.n_classes
    for ci, members in enumerate(layout.cliques):
        sub = L[:, list(members)]
        voting = sub != -1
        mask = (voting * (1 << np.arange(len(members)))[None, :]).sum(axis=1)
        n_vote = voting.sum(axis=1)
        code = np.zeros(n, dtype=np.int64)
        for pos in range(len(members)):
            code = np.where(voting[:, pos], code * k + sub[:, pos], code)
        col = np.where(n_vote >= 2, _lookup_subset(layout, ci, mask, code), -1)
        joint = np.flatnonzero(col >= 0)
        all_rows.append(joint)
        all_cols.append(col[joint])
        # one voter, or an unseen combination: the voters' own columns
        fallback = np.flatnonzero((col < 0) & (n_vote >= 1))
        r, c = _single_entries(L[fallback], layout, np.asarray(members))
        all_rows.append(fallback[r])
        all_cols.append(c)
    return _csr(n, layout.n_cols, np.concatenate(all_rows), np.concatenate(all_cols))
