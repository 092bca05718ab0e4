"""Training and encoding speed of the four models on generated pairs, as JSON.

    python plugins/group-tcvae/benchmarks/bench_group_tcvae.py [--pairs 500] [--size 32]

No peer library runs here (disentanglement_lib needs TensorFlow 1), so the figures stand alone:
seconds per training epoch and encoded images per second, per model; beta-TCVAE's
minibatch-weighted TC estimate is the O(batch^2) one, the others are O(batch).
"""

from __future__ import annotations

import argparse
import json
import time

from weasul_group_tcvae.reproduce import MODELS
from weasul_group_tcvae.sprites import make_pairs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=500)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    data = make_pairs(args.pairs, size=args.size, seed=0)
    X = data.images.reshape(len(data.images), -1)
    out = {"pairs": args.pairs, "size": args.size, "epochs": args.epochs, "models": {}}
    for name, cls in MODELS.items():
        started = time.perf_counter()
        model = cls(image_shape=[1, args.size, args.size], epochs=args.epochs).fit(X, groups=data.groups)
        fit_s = time.perf_counter() - started
        started = time.perf_counter()
        model.encode(X)
        encode_s = time.perf_counter() - started
        out["models"][name] = {
            "seconds_per_epoch": round(fit_s / args.epochs, 3),
            "images_per_second_encode": round(len(X) / encode_s, 1),
        }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
