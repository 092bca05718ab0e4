"""Overhead of the weasul PyOD adapter over calling PyOD directly, in the same process.

Fits and scores ECOD, HBOS and IForest on generated data through `anomaly_scorers/pyod` and
through PyOD's own classes; prints JSON with seconds and the ratio (ours / PyOD).

    OMP_NUM_THREADS=1 .venv/bin/python contrib/pyod/benchmarks/bench_adapter.py [--n 200000]
"""

import argparse
import json
import time

import numpy as np
import weasul


def _best(fn, repeat):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--d", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.n, args.d))
    from pyod.models.ecod import ECOD
    from pyod.models.hbos import HBOS
    from pyod.models.iforest import IForest

    rows = []
    for name, cls, options in (("ECOD", ECOD, {}), ("HBOS", HBOS, {}), ("IForest", IForest, {"random_state": 0})):
        ours, s_ours = _best(lambda name=name: weasul.create("anomaly_scorers", "pyod", detector=name, seed=0).fit(X).score(X), args.repeat)
        peer, s_peer = _best(lambda cls=cls, options=options: cls(**options).fit(X).decision_function(X), args.repeat)
        rows.append(
            {
                "detector": name,
                "weasul_s": round(ours, 4),
                "pyod_s": round(peer, 4),
                "ratio_ours_over_pyod": round(ours / peer, 3),
                "same_scores": bool(np.allclose(s_ours, s_peer)),
            }
        )
    print(json.dumps({"n": args.n, "d": args.d, "results": rows}, indent=1))


if __name__ == "__main__":
    main()
