"""Benchmark: `ConfidentLearning().find` against calling cleanlab directly on the same arrays.

Peers, run in the same process on the same arrays, in alternating order:

- `cleanlab`: `cleanlab.filter.find_label_issues(labels, pred_probs,
  return_indices_ranked_by="self_confidence", n_jobs=1)`, the one call that returns ranked issues;
- `cleanlab_full` (with --full): that call plus what else `LabelIssues` holds (per-item
  scores via `get_label_quality_scores`, confident joint, `estimate_latent`, argmax).

Prints one JSON object per (n, K, dtype) with median seconds, peak traced memory (tracemalloc,
numpy allocations included) and ratios ours / peer, then a summary line.

    OMP_NUM_THREADS=1 python plugins/confident/benchmarks/bench_confident.py            # full grid
    OMP_NUM_THREADS=1 python plugins/confident/benchmarks/bench_confident.py --sizes 1000000x10
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

GRID = ["10000x10", "10000x100", "100000x10", "100000x100", "1000000x10", "1000000x100"]


def make_data(n: int, k: int, dtype: Any, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Softmax probabilities of a decent model (true class logit +2) with 10% flipped labels."""
    rng = np.random.default_rng(seed)
    true = rng.integers(0, k, n)
    P = rng.standard_normal((n, k), dtype=np.float32)
    P[np.arange(n), true] += 2.0
    np.exp(P, out=P)
    P /= P.sum(axis=1, keepdims=True)
    labels = np.where(rng.random(n) < 0.1, rng.integers(0, k, n), true)
    return labels.astype(np.int64), P.astype(dtype, copy=False)


def ours(labels: np.ndarray, P: np.ndarray) -> Any:
    from weasul_confident import ConfidentLearning

    return ConfidentLearning().find(labels, P)


def peer(labels: np.ndarray, P: np.ndarray) -> Any:
    from cleanlab.filter import find_label_issues

    return find_label_issues(labels, P, return_indices_ranked_by="self_confidence", n_jobs=1)


def peer_full(labels: np.ndarray, P: np.ndarray) -> Any:
    from cleanlab.count import compute_confident_joint, estimate_latent
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    ranked = find_label_issues(labels, P, return_indices_ranked_by="self_confidence", n_jobs=1)
    scores = get_label_quality_scores(labels, P)
    joint = compute_confident_joint(labels, P)
    latent = estimate_latent(joint, labels)
    return ranked, scores, latent, P.argmax(axis=1)


def timed(fn: Callable[[np.ndarray, np.ndarray], Any], labels: np.ndarray, P: np.ndarray) -> float:
    gc.collect()
    start = time.perf_counter()
    fn(labels, P)
    return time.perf_counter() - start


def peak(fn: Callable[[np.ndarray, np.ndarray], Any], labels: np.ndarray, P: np.ndarray) -> int:
    gc.collect()
    tracemalloc.start()
    fn(labels, P)
    value = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return value


def bench(n: int, k: int, dtype: Any, repeats: int, full: bool) -> dict[str, Any]:
    labels, P = make_data(n, k, dtype)
    fns = {"ours": ours, "cleanlab": peer}
    if full:
        fns["cleanlab_full"] = peer_full
    for fn in fns.values():  # warm-up (imports, caches) outside the measurements
        fn(labels[:2000], P[:2000])
    times: dict[str, list[float]] = {name: [] for name in fns}
    names = list(fns)
    for r in range(repeats):
        for name in names if r % 2 == 0 else names[::-1]:
            times[name].append(timed(fns[name], labels, P))
    peaks = {name: peak(fn, labels, P) for name, fn in fns.items()}
    same = set(ours(labels, P).ranked.tolist()) == set(peer(labels, P).tolist())
    out: dict[str, Any] = {
        "n": n,
        "K": k,
        "dtype": np.dtype(dtype).name,
        "repeats": repeats,
        "same_flagged_set": same,
    }
    for name in fns:
        out[f"{name}_s"] = round(float(np.median(times[name])), 4)
        out[f"{name}_peak_MiB"] = round(peaks[name] / 2**20, 1)
    for name in fns:
        if name != "ours":
            out[f"time_ratio_vs_{name}"] = round(out["ours_s"] / out[f"{name}_s"], 3)
            out[f"mem_ratio_vs_{name}"] = round(peaks["ours"] / peaks[name], 3)
    out["input_MiB"] = round(P.nbytes / 2**20, 1)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="ConfidentLearning.find vs cleanlab, same process")
    parser.add_argument("--sizes", nargs="*", default=GRID, help="NxK entries, e.g. 1000000x10")
    parser.add_argument("--dtypes", nargs="*", default=["float64", "float32"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--full", action="store_true", help="also the cleanlab calls that give every LabelIssues field"
    )
    args = parser.parse_args(argv)
    rows = []
    for size in args.sizes:
        n, k = (int(v) for v in size.lower().split("x"))
        for dtype in args.dtypes:
            reps = args.repeats if n * k <= 10_000_000 else max(3, args.repeats // 2)
            row = bench(n, k, np.dtype(dtype), reps, args.full)
            rows.append(row)
            print(json.dumps(row), flush=True)
    worst = max(r["time_ratio_vs_cleanlab"] for r in rows)
    key = [r for r in rows if r["n"] == 1_000_000 and r["K"] == 10]
    summary = {"summary": True, "worst_time_ratio_vs_cleanlab": worst}
    if key:
        summary["time_ratio_1Mx10"] = {r["dtype"]: r["time_ratio_vs_cleanlab"] for r in key}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
