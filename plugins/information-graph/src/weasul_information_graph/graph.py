"""The information graph (paper Sec. 3): segments are nodes, context edges join segments that
overlap in time and come from a different station or channel (never the same channel of the same
station, to avoid learned shortcuts), and annotations enter as N_c anchor nodes.

Two constructions of the same context edges: `information_graph` builds a networkx graph with a
sweep line over the segments' start times (the reference, with node attributes), and
`context_edges` computes the edge list with sorted numpy arrays (what training uses; the
benchmark compares the two on 1M segments). No torch here.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
from weasul.errors import DataError

__all__ = ["Segments", "as_segments", "context_edges", "information_graph", "anchor_edges", "graph_edges"]

_COLUMNS = ("station", "channel", "start", "end")


@dataclass(frozen=True)
class Segments:
    """Where and when each segment was recorded: int codes of station and channel, start and end
    times (seconds, end > start). One entry per row of the waveform matrix."""

    station: np.ndarray
    channel: np.ndarray
    start: np.ndarray
    end: np.ndarray

    def __len__(self) -> int:
        return len(self.start)

    def stream(self) -> np.ndarray:
        """One int per (station, channel) pair: segments of one stream never get an edge."""
        station = np.asarray(self.station, dtype=np.int64)
        channel = np.asarray(self.channel, dtype=np.int64)
        if len(station) == 0:
            return station
        channel = channel - channel.min()
        return np.asarray((station - station.min()) * (int(channel.max()) + 1) + channel)


def _codes(values: Any, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise DataError(f"segments column '{name}' must be 1-D, got shape {arr.shape}")
    if np.issubdtype(arr.dtype, np.integer):
        return arr.astype(np.int64)
    _, codes = np.unique(arr.astype(str), return_inverse=True)  # station names like "ILL01"
    return np.asarray(codes, dtype=np.int64).reshape(-1)


def as_segments(table: Any, n_items: int | None = None) -> Segments:
    """A `Segments` from a DataFrame or mapping with columns station, channel, start, end
    (station and channel as ints or names), checked: finite times, end > start, one row per item."""
    if isinstance(table, Segments):
        seg = table
    else:
        cols = list(getattr(table, "columns", table.keys() if isinstance(table, Mapping) else []))
        missing = [c for c in _COLUMNS if c not in cols]
        if missing:
            raise DataError(f"segments need columns {list(_COLUMNS)}; missing {missing} (found {cols})")
        start = np.asarray(table["start"], dtype=np.float64)
        end = np.asarray(table["end"], dtype=np.float64)
        seg = Segments(_codes(table["station"], "station"), _codes(table["channel"], "channel"), start, end)
    n = len(seg.start)
    if not (len(seg.station) == len(seg.channel) == len(seg.end) == n):
        raise DataError("segments columns station, channel, start, end differ in length")
    if n_items is not None and n != n_items:
        raise DataError(f"segments has {n} rows but X has {n_items}; give one segment per row of X")
    if not (np.isfinite(seg.start).all() and np.isfinite(seg.end).all()):
        raise DataError("segments start/end contain NaN or inf")
    if n and not (seg.end > seg.start).all():
        first = int(np.argmax(~(seg.end > seg.start)))
        raise DataError(
            f"segment {first} ends before it starts (start {seg.start[first]}, end {seg.end[first]})"
        )
    return seg


def context_edges(segments: Segments) -> np.ndarray:
    """(E, 2) int64 edges i < j, sorted, between segments that overlap in time (start_j < end_i
    and start_i < end_j; touching ends do not overlap) from a different station or channel.

    Sorted by start, segment j > i in that order overlaps i exactly when start_j < end_i, so
    each segment's partners are a contiguous run found with one `searchsorted`.
    """
    n = len(segments)
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64)
    order = np.argsort(segments.start, kind="stable")
    start, end = segments.start[order], segments.end[order]
    stream = segments.stream()[order]
    stop = np.searchsorted(start, end, side="left")
    counts = np.maximum(stop - np.arange(n) - 1, 0)
    total = int(counts.sum())
    first = np.repeat(np.arange(n, dtype=np.int64), counts)
    offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    second = first + offsets + 1
    keep = stream[first] != stream[second]
    a, b = order[first[keep]], order[second[keep]]
    key = np.sort(np.minimum(a, b) * n + np.maximum(a, b))  # one int64 sort key per edge
    return np.stack([key // n, key % n], axis=1)


def information_graph(segments: Segments, labels: np.ndarray | None = None) -> nx.Graph:
    """The information graph as networkx: node i per segment (attributes station, channel, start,
    end) with the context edges, found by a sweep line over start times; with `labels` (-1 =
    unlabelled) also one node ("anchor", c) per class joined to the segments annotated c."""
    graph = nx.Graph()
    n = len(segments)
    graph.add_nodes_from(
        (i, {"station": int(s), "channel": int(c), "start": float(t0), "end": float(t1)})
        for i, s, c, t0, t1 in zip(
            range(n),
            segments.station.tolist(),
            segments.channel.tolist(),
            segments.start.tolist(),
            segments.end.tolist(),
            strict=True,
        )
    )
    stream = segments.stream().tolist()
    start, end = segments.start.tolist(), segments.end.tolist()
    active: list[tuple[float, int]] = []  # (end, node) of segments still open at the sweep time
    edges: list[tuple[int, int]] = []
    for i in sorted(range(n), key=start.__getitem__):
        while active and active[0][0] <= start[i]:
            heapq.heappop(active)
        edges.extend((j, i) for _, j in active if stream[j] != stream[i])
        heapq.heappush(active, (end[i], i))
    graph.add_edges_from(edges)
    if labels is not None:
        graph.add_edges_from(anchor_edges(np.asarray(labels)))
    return graph


def anchor_edges(labels: np.ndarray) -> list[tuple[int, tuple[str, int]]]:
    """Edges (segment, ("anchor", class)) of the annotated segments (label >= 0)."""
    return [(int(i), ("anchor", int(labels[i]))) for i in np.flatnonzero(labels >= 0)]


def graph_edges(graph: nx.Graph) -> np.ndarray:
    """The segment-to-segment edges of a networkx information graph as sorted (E, 2) i < j."""
    pairs = [(min(u, v), max(u, v)) for u, v in graph.edges() if isinstance(u, int) and isinstance(v, int)]
    arr = np.array(sorted(pairs), dtype=np.int64)
    return arr.reshape(-1, 2)
