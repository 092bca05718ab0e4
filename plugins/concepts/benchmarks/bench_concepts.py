"""Training speed of the concept model against scikit-learn's MLPClassifier, as JSON.

    OMP_NUM_THREADS=1 python plugins/concepts/benchmarks/bench_concepts.py [--rows 20000] [--epochs 5]

Same generated data (`make` below: 52 features like the bank encoding, 7 concepts), same hidden
sizes (64, 32), batch size (256), epochs and Adam; the MLP learns the decision alone, the concept
model the decision through its 7 concepts with the masked multi-task loss (noisy strategy). The
ratio is concept-model seconds over MLP seconds, measured in the same run on one thread, after a
warm-up fit of each (imports and first-call set-up are not timed).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import numpy as np


def make(rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 1, (rows, 52)).astype(np.float32)
    concepts = (X[:, :7] > 0.5).astype(np.int64)
    y = (concepts[:, 0] | concepts[:, 1]).astype(np.int64)
    return X, y, concepts


def main() -> None:
    import torch
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    from weasul_concepts import ConceptModel

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    X, y, concepts = make(args.rows)
    # warm up both (imports, first-call set-up) on a few rows, so the timings are training only
    ConceptModel(strategy="noisy", epochs=1).fit(X[:300], y[:300], concepts=concepts[:300])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPClassifier(hidden_layer_sizes=(64, 32), max_iter=1).fit(X[:300], y[:300])
    started = time.perf_counter()
    model = ConceptModel(strategy="noisy", hidden=[64, 32], epochs=args.epochs, batch_size=256, num_threads=1)
    model.fit(X, y, concepts=concepts)
    concept_s = time.perf_counter() - started
    started = time.perf_counter()
    mlp = MLPClassifier(hidden_layer_sizes=(64, 32), batch_size=256, max_iter=args.epochs, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X, y)
    mlp_s = time.perf_counter() - started
    out = {
        "rows": args.rows,
        "epochs": args.epochs,
        "concept_model_seconds": round(concept_s, 3),
        "sklearn_mlp_seconds": round(mlp_s, 3),
        "ratio_concept_over_mlp": round(concept_s / mlp_s, 3),
        "concept_model_accuracy": float((model.predict(X) == y).mean()),
        "sklearn_mlp_accuracy": float((mlp.predict(X) == y).mean()),
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
