"""Overhead of `reporters/mlflow` on a small run, against the same run without it, in one process.

Runs npy data (generated) -> label_models/majority-vote (weasul-baselines) with the HTML report,
`--repeat` times each way, into a temporary folder and a temporary MLflow file store; prints
JSON with the best wall seconds of each and the ratio (with MLflow / without).

    OMP_NUM_THREADS=1 .venv/bin/python contrib/mlflow/benchmarks/bench_overhead.py [--n 20000]
"""

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import weasul
from weasul.testing import samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "data").mkdir()
        for split, seed in (("train", 0), ("test", 1)):
            L, y = samples.label_matrix(n=args.n, seed=seed)
            np.save(root / "data" / f"L_{split}.npy", L)
            np.save(root / "data" / f"Y_{split}.npy", y)
        spec = {
            "weasul": 1,
            "name": "bench",
            "data": {"use": "npy", "params": {"path": str(root / "data")}},
            "steps": [{"id": "lm", "use": "label_models/majority-vote", "inputs": {"L": "data.L", "y": "data.y"}}],
        }
        tracked = {**spec, "report": {"reporters": [{"use": "mlflow", "params": {"tracking_uri": f"file:{root / 'mlruns'}"}}]}}
        best = {}
        for name, each in (("without", spec), ("with_mlflow", tracked)):
            weasul.run(each, runs_dir=root / "warm", use_cache=False)  # imports, MLflow store created
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                weasul.run(each, runs_dir=root / "runs", use_cache=False)
                times.append(time.perf_counter() - start)
            best[name] = min(times)
    print(
        json.dumps(
            {
                "n_items": args.n,
                "repeat": args.repeat,
                "seconds_without": round(best["without"], 4),
                "seconds_with_mlflow": round(best["with_mlflow"], 4),
                "ratio": round(best["with_mlflow"] / best["without"], 3),
                "overhead_seconds": round(best["with_mlflow"] - best["without"], 4),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
