"""Training and encoding speed of CIGMO against its two ablations, measured in the same run, as JSON.

    python plugins/cigmo/benchmarks/bench_cigmo.py [--categories 3] [--identities 30] [--epochs 2] [--conv]

No peer implementation runs here (the authors' code is not available offline), so the peers are
the ablations: GVAE (one decoder pass per item) and the mixture of VAEs (C passes, no grouping).
CIGMO decodes every item under all C components (the trunk is shared), so its cost per epoch is
at most about C times GVAE's (measured 1.35x for C = 3, MLP nets, 540 images); the JSON gives
seconds per epoch, encoded images per second and the ratio to GVAE.
"""

from __future__ import annotations

import argparse
import json
import time

from weasul_cigmo.encoders import CIGMO, CigmoGVAE, MixtureVAE
from weasul_cigmo.objects import make_objects


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--categories", type=int, default=3)
    parser.add_argument("--identities", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--conv", action="store_true", help="convolutional nets instead of MLPs")
    args = parser.parse_args()
    data = make_objects(args.categories, args.identities, 6, size=32, seed=0)
    X = data.images.reshape(len(data.images), -1)
    kw = {"categories": args.categories, "image_shape": [1, 32, 32], "epochs": args.epochs, "conv": args.conv}
    out: dict[str, object] = {"images": len(X), **{k: v for k, v in vars(args).items()}}
    models: dict[str, dict[str, float]] = {}
    # warm-up: torch import and first-call costs stay out of the timings
    CIGMO(**{**kw, "epochs": 1}).fit(X[:60])
    for name, cls in (("gvae", CigmoGVAE), ("mixture-vae", MixtureVAE), ("cigmo", CIGMO)):
        started = time.perf_counter()
        model = cls(**kw).fit(X, groups=data.groups)
        fit_s = time.perf_counter() - started
        started = time.perf_counter()
        model.encode(X)
        encode_s = time.perf_counter() - started
        models[name] = {
            "seconds_per_epoch": round(fit_s / args.epochs, 3),
            "images_per_second_encode": round(len(X) / encode_s, 1),
        }
    for m in models.values():
        m["epoch_time_ratio_to_gvae"] = round(m["seconds_per_epoch"] / models["gvae"]["seconds_per_epoch"], 2)
    out["models"] = models
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
