"""Slice-attention vs its peers (backbone head, upsampling, mixture of experts) on the generated
tail-slice set, all in one process: accuracy (overall, pooled tail slices, rest) and the fit- and
predict-time ratios against the backbone head. Prints one JSON object.

    OMP_NUM_THREADS=1 python plugins/slicing/benchmarks/bench_slicing.py [--seeds 3] [--epochs 20]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import weasul
from weasul_slicing.experiments import compare, summarise, synthetic_data

HEADS = {
    "backbone": ("backbone", {}),
    "upsample": ("upsample", {}),
    "mixture-of-experts": ("mixture-of-experts", {}),
    "slice-attention": ("slice-attention", {}),
}


def _predict_seconds(name: str, data, repeats: int = 5) -> float:
    head = weasul.create("slice_heads", name, epochs=1, num_threads=1).fit(
        data.X_train, data.y_train, data.S_train
    )
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        head.predict_proba(data.X_test, data.S_test)
        best = min(best, time.perf_counter() - start)
    return float(best)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()
    rows = compare(synthetic_data, range(args.seeds), HEADS, epochs=args.epochs, num_threads=1)
    summary = {r["model"]: r for r in summarise(rows)}
    data = synthetic_data(0)
    predict = {name: _predict_seconds(HEADS[name][0], data) for name in HEADS}
    base = summary["backbone"]
    out = {
        "data": "synthetic: 4000 train / 4000 test, 3 tail intents of 2%",
        "seeds": args.seeds,
        "epochs": args.epochs,
        "peer": "backbone",
        "models": {
            name: {
                "overall": round(r["overall"], 4),
                "tail": round(r["tail"], 4),
                "rest": round(r["rest"], 4),
                "fit_s": round(r["fit_s"], 3),
                "fit_time_ratio_vs_backbone": round(r["fit_s"] / base["fit_s"], 2),
                "predict_time_ratio_vs_backbone": round(predict[name] / predict["backbone"], 2),
                "tail_lift_vs_backbone_points": round(100 * (r["tail"] - base["tail"]), 2),
                "overall_change_vs_backbone_points": round(100 * (r["overall"] - base["overall"]), 2),
            }
            for name, r in summary.items()
        },
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
