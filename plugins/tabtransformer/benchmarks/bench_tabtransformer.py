"""Training time of TabTransformer (package defaults) per set, with GBDT and the MLP beside it.

    python plugins/tabtransformer/benchmarks/bench_tabtransformer.py [--sets blastchar income ...]

Trains on the full 65% train split of each set (seed 0), with the defaults a spec gets
(d=32, 6 layers, 8 heads, MLP {4l, 2l}, 10 epochs, batch 256) and `--threads` torch threads,
and prints JSON: seconds to train and test AUC for TabTransformer, the MLP baseline and
scikit-learn's HistGradientBoostingClassifier through `classifiers/sklearn` (the peer),
the ratio TabTransformer / GBDT, and whether TabTransformer trains within the 10-minute target.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

TARGET_SECONDS = 600.0


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p[:, 1]))


def bench_set(name: str, folder: str, threads: int) -> dict[str, Any]:
    import weasul
    from weasul_tabtransformer import PAPER_SETS, TabMLPClassifier, TabTransformerClassifier
    from weasul_tabtransformer.columns import fit_schema

    spec = PAPER_SETS[name]
    ds = weasul.create("datasets", "tabular-split", **spec.loader_params(folder, 0)).load()
    X, y, Xt, yt = ds.train.items, ds.train.y, ds.test.items, ds.test.y
    out: dict[str, Any] = {"train_rows": len(y), "test_rows": len(yt)}
    for key, cls in (("tabtransformer", TabTransformerClassifier), ("mlp", TabMLPClassifier)):
        start = time.perf_counter()
        model = cls(categorical=list(spec.categorical), num_threads=threads).fit(X, y)
        out[key] = {"seconds": time.perf_counter() - start, "auc": _auc(yt, model.predict_proba(Xt))}
    schema = fit_schema(X, categorical=list(spec.categorical))

    def matrix(rows: Any) -> np.ndarray:
        codes, cont = schema.transform(rows)
        return np.column_stack([codes.astype(np.float64), cont])

    start = time.perf_counter()
    gbdt = weasul.create(
        "classifiers",
        "sklearn",
        estimator="gradient-boosting",
        options={"categorical_features": list(range(len(schema.categorical)))},
    ).fit(matrix(X), y)
    out["gbdt"] = {"seconds": time.perf_counter() - start, "auc": _auc(yt, gbdt.predict_proba(matrix(Xt)))}
    out["ratio_tabtransformer_to_gbdt_seconds"] = out["tabtransformer"]["seconds"] / out["gbdt"]["seconds"]
    out["within_target"] = out["tabtransformer"]["seconds"] < TARGET_SECONDS
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", nargs="+", default=["blastchar"])
    parser.add_argument("--data", default="../shared/data/tabular")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (the target is 2 CPU cores)")
    parser.add_argument("--out", default=None, help="also write the JSON here")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    result = {
        "benchmark": "tabtransformer training time per set (defaults, full train split)",
        "target_seconds": TARGET_SECONDS,
        "threads": args.threads,
        "cpu_count": os.cpu_count(),
        "load_average_at_start": os.getloadavg()[0],
        "sets": {name: bench_set(name, args.data, args.threads) for name in args.sets},
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
