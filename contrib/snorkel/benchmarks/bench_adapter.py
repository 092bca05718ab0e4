"""Overhead of the weasul Snorkel adapter over Snorkel's LabelModel, in the same process.

Fits both on a generated label matrix (known LF accuracies, 50% coverage) and prints JSON with
seconds, the ratio (ours / Snorkel) and the largest probability difference.

    OMP_NUM_THREADS=1 .venv/bin/python contrib/snorkel/benchmarks/bench_adapter.py [--n 100000]
"""

import argparse
import json
import time

import numpy as np
import weasul


def _label_matrix(n, m, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    acc = rng.uniform(0.6, 0.9, m)
    votes = np.where(rng.random((n, m)) < acc, y[:, None], 1 - y[:, None])
    return np.where(rng.random((n, m)) < 0.5, votes, -1), y


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--m", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=4)
    args = parser.parse_args()
    L, y = _label_matrix(args.n, args.m)
    from snorkel.labeling.model import LabelModel

    def run_ours():
        model = weasul.create("label_models", "snorkel-label-model", n_classes=2).fit(L)
        return model.predict_proba(L)

    def run_peer():
        model = LabelModel(cardinality=2, verbose=False)
        model.fit(L, n_epochs=500, seed=123, progress_bar=False)
        return model.predict_proba(L)

    times = {"ours": [], "peer": []}
    for _ in range(args.repeat):  # alternate, after one warm-up call of each
        for name, fn in (("ours", run_ours), ("peer", run_peer)):
            start = time.perf_counter()
            out = fn()
            times[name].append(time.perf_counter() - start)
            if name == "ours":
                P_ours = out
            else:
                P_peer = out
    t_ours, t_peer = min(times["ours"][1:]), min(times["peer"][1:])
    print(
        json.dumps(
            {
                "n": args.n,
                "m": args.m,
                "weasul_adapter_s": round(t_ours, 4),
                "snorkel_s": round(t_peer, 4),
                "ratio_ours_over_snorkel": round(t_ours / t_peer, 3),
                "max_prob_difference": float(np.abs(P_ours - P_peer).max()),
                "accuracy": float((P_ours.argmax(1) == y).mean()),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
