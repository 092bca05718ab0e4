"""One maxKL query and one model refit (the 20th answer of a loop) at n = 10k, 100k, 1M rows with 10 LFs.

Peers, run in the same process: for the query, the authors' algorithm (np.unique over rows,
then a Python loop over buckets with a row scan each); for the refit, weasul-baselines'
matrix-completion (L-BFGS) on the same matrix. Prints JSON with times and ratios.
Run: OMP_NUM_THREADS=1 python plugins/active-weasul/benchmarks/bench_active_weasul.py [--sizes 10000 100000 1000000]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from weasul.data import ExpertLabels, QueryState
from weasul_active_weasul import MaxKL
from weasul_active_weasul.label_model import ActiveWeaSuL


def make(n: int, m: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    acc = np.linspace(0.6, 0.85, m)
    votes = np.where(rng.random((n, m)) < acc, y[:, None], 1 - y[:, None])
    return np.where(rng.random((n, m)) < 0.6, votes, -1).astype(np.int64), y


def peer_query(L: np.ndarray, probs: np.ndarray, labelled: dict[int, int], p0: np.ndarray, rng: np.random.Generator) -> int:
    """The authors' maxKL: unique rows, then per bucket a scan of its rows."""
    _, first, inverse = np.unique(L, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    gt = np.full(len(L), -1)
    for i, a in labelled.items():
        gt[i] = a
    kl = np.zeros(len(first))
    for b in range(len(first)):
        items = gt[np.flatnonzero(inverse == b)]
        known = items[items != -1]
        if known.size == items.size:
            kl[b] = -np.inf
            continue
        q = known.mean() if known.size else np.round(p0[b])
        eps = 1e-2 / max(1, known.size)
        q = np.clip(q, eps, 1 - eps)
        p = np.clip(probs[first[b], 1], 1e-5, 1 - 1e-5)
        kl[b] = p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))
    best = rng.choice(np.flatnonzero(kl == kl.max()))
    return int(rng.choice(np.flatnonzero((inverse == best) & (gt == -1))))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--peer-query-max", type=int, default=100_000, help="largest n for the slow peer query")
    args = parser.parse_args()
    out = []
    for n in args.sizes:
        L, y = make(n)
        idx = np.arange(0, 20 * 37, 37)
        expert = ExpertLabels(idx, y[idx])
        row: dict[str, float | int | None] = {"n": n, "m": L.shape[1]}
        model = ActiveWeaSuL(n_classes=2, class_prior=[0.5, 0.5], parametrization="reduced")
        t = time.perf_counter()
        model.fit(L)
        row["first_fit_s"] = time.perf_counter() - t
        model.fit(L, expert=ExpertLabels(idx[:-1], y[idx[:-1]]))  # the loop's state before the 20th answer
        t = time.perf_counter()
        model.fit(L, expert=expert)  # one loop refit: continues the chain from the 19-answer fit
        row["refit_s"] = time.perf_counter() - t
        fresh = ActiveWeaSuL(n_classes=2, class_prior=[0.5, 0.5], parametrization="reduced")
        t = time.perf_counter()
        fresh.fit(L, expert=expert)  # a resumed loop: base fit + the 20 chained refits
        row["fresh_fit_20_answers_s"] = time.perf_counter() - t
        from weasul_baselines import MatrixCompletion

        peer = MatrixCompletion(n_classes=2, class_prior=[0.5, 0.5], alpha=1.0)
        t = time.perf_counter()
        peer.fit(L, expert=expert)
        row["peer_mc_refit_s"] = time.perf_counter() - t
        probs = model.predict_proba(L)
        state = QueryState(L, probs, {int(i): int(a) for i, a in zip(expert.indices, expert.labels, strict=False)}, model)
        strategy = MaxKL(seed=0)
        strategy.select(state, 1)  # warm caches
        times = []
        for _ in range(3):
            t = time.perf_counter()
            strategy.select(state, 1)
            times.append(time.perf_counter() - t)
        row["maxkl_query_s"] = min(times)
        if n <= args.peer_query_max:
            p0 = model.initial_proba(np.unique(L, axis=0))[:, 1]
            t = time.perf_counter()
            peer_query(L, probs, state.labelled, p0, np.random.default_rng(0))
            row["peer_query_s"] = time.perf_counter() - t
            row["query_speedup"] = row["peer_query_s"] / row["maxkl_query_s"]
        row["refit_ratio_vs_mc"] = row["refit_s"] / row["peer_mc_refit_s"]
        out.append({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()})
    print(json.dumps({"benchmark": "active-weasul maxkl query and refit", "rows": out}, indent=1))


if __name__ == "__main__":
    main()
