"""Benchmark: building the information graph of 1M segments, networkx vs vectorised numpy.

Segments: `--stations` stations x 3 channels, consecutive 30 s windows (the paper's
pre-training T_w = T_h = 30 s), each segment's start jittered by up to 2 s, so a segment also
overlaps the next window of streams that started earlier. Peers, on the same segments:

- `networkx`: `information_graph` (sweep line over start times, node attributes, edges added
  to an `nx.Graph`), then its edge list read back;
- `vectorised`: `context_edges` (one argsort, one searchsorted, repeat/filter in numpy).

Checks both give the same edges, then prints one JSON object: seconds of each, edges, peak RSS,
and the ratio networkx / vectorised.

    OMP_NUM_THREADS=1 python plugins/information-graph/benchmarks/bench_graph.py [--segments 1000000]
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np
from weasul_information_graph.graph import Segments, context_edges, graph_edges, information_graph


def make_segments(n: int, stations: int, seed: int = 0) -> Segments:
    streams = stations * 3
    windows = -(-n // streams)
    rng = np.random.default_rng(seed)
    w, s, c = (
        a.ravel()[:n]
        for a in np.meshgrid(np.arange(windows), np.arange(stations), np.arange(3), indexing="ij")
    )
    start = w * 30.0 + rng.uniform(0, 2, n)
    return Segments(s, c, start, start + 30.0)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--segments", type=int, default=1_000_000)
    parser.add_argument("--stations", type=int, default=4)
    args = parser.parse_args()
    seg = make_segments(args.segments, args.stations)
    began = time.perf_counter()
    fast = context_edges(seg)
    t_fast = time.perf_counter() - began
    rss_fast = _rss_mb()
    began = time.perf_counter()
    graph = information_graph(seg)
    t_nx = time.perf_counter() - began
    rss_nx = _rss_mb()
    same = bool(np.array_equal(graph_edges(graph), fast))
    print(
        json.dumps(
            {
                "segments": len(seg),
                "stations": args.stations,
                "edges": int(len(fast)),
                "same_edges": same,
                "vectorised_s": round(t_fast, 3),
                "networkx_s": round(t_nx, 3),
                "ratio_networkx_over_vectorised": round(t_nx / t_fast, 1),
                "peak_rss_mb_after_vectorised": round(rss_fast),
                "peak_rss_mb_after_networkx": round(rss_nx),
            }
        )
    )


if __name__ == "__main__":
    main()
