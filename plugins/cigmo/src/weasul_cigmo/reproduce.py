"""Reproduce the paper's Table 1 (invariant clustering) and Table 2 (one-shot) layouts on generated
multi-view objects: CIGMO vs mixture of VAEs vs GVAE + k-means, for C in {3, 5}, over seeds.

    python -m weasul_cigmo.reproduce [--seeds 3] [--categories 3 5] [--identities 60] [--views 6]
        [--epochs 60] [--shape-dim 16] [--batch-groups 20] [--mi-weight 0] [--grey 1 1]
        [--out results.json]

Per seed, every model trains on the same grouped views (a group = all views of one identity;
tuples of K = 3 for CIGMO and GVAE) for the same number of epochs and of gradient steps (the
mixture of VAEs, whose tuples are single items, takes 3x the tuples per batch, so every model
sees 3 x `batch_groups` items per step), and is scored on ungrouped test views of new identities of
the same categories (as the paper): clustering by argmax_c q(c | x) for CIGMO and the mixture of
VAEs, by k-means (C clusters) on the latent for the starred rows; one-shot by cosine nearest
neighbour on the block-masked shape latent (mixture of VAEs: shape and view latent).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.cluster import KMeans

from weasul_cigmo.encoders import CIGMO, CigmoGVAE, MixtureVAE
from weasul_cigmo.metrics import clustering_accuracy, one_shot_accuracy
from weasul_cigmo.objects import GREY, SCALE, SHIFT, make_objects

__all__ = ["PAPER", "run", "table", "main"]

#: Table 1 / Table 2 of the paper (ShapeNet, mean over 10 instances, %), for C = 3 and 5.
PAPER = {
    "clustering": {"Mix. of VAEs": (82.35, 65.73), "GVAE*": (73.20, 69.42), "CIGMO": (94.83, 89.36)},
    "one_shot": {"Mix. of VAEs": (1.91, 3.30), "GVAE": (21.44, 17.85), "CIGMO": (23.95, 21.66)},
}

ROWS = ("Mix. of VAEs", "Mix. of VAEs*", "GVAE*", "CIGMO", "CIGMO*")


def _kmeans(latent: np.ndarray, k: int, seed: int) -> np.ndarray:
    return np.asarray(KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(latent))


def run(
    *,
    seeds: int = 3,
    categories: tuple[int, ...] = (3, 5),
    identities: int = 60,
    test_identities: int = 30,
    views: int = 6,
    epochs: int = 60,
    shape_dim: int = 16,
    size: int = 32,
    batch_groups: int = 20,
    mi_weight: float = 0.0,
    scale: tuple[float, float] = SCALE,
    shift: float = SHIFT,
    grey: tuple[float, float] = GREY,
) -> dict[str, Any]:
    """Train the three models for every C and seed; per-row lists of clustering / one-shot accuracy."""
    results: dict[str, Any] = {}
    for c in categories:
        clus: dict[str, list[float]] = {row: [] for row in ROWS}
        shot: dict[str, list[float]] = {"Mix. of VAEs": [], "GVAE": [], "CIGMO": []}
        seconds: dict[str, list[float]] = {"Mix. of VAEs": [], "GVAE": [], "CIGMO": []}
        cpu: dict[str, list[float]] = {"Mix. of VAEs": [], "GVAE": [], "CIGMO": []}
        for seed in range(seeds):
            train, test = (
                make_objects(c, n, views, size=size, seed=s, scale=scale, shift=shift, grey=grey)
                for n, s in ((identities, seed), (test_identities, 10_000 + seed))
            )
            X, X_test = train.images.reshape(len(train.images), -1), test.images.reshape(len(test.images), -1)
            common = {
                "categories": c,
                "shape_dim": shape_dim,
                "image_shape": [1, size, size],
                "epochs": epochs,
                "seed": seed,
            }
            common |= {"mi_weight": mi_weight}
            for name, cls in (("Mix. of VAEs", MixtureVAE), ("GVAE", CigmoGVAE), ("CIGMO", CIGMO)):
                started, cpu_started = time.perf_counter(), time.process_time()
                per_step = batch_groups * (3 if cls is MixtureVAE else 1)  # same items per step
                model = cls(**common, batch_groups=per_step).fit(X, groups=train.groups)
                seconds[name].append(time.perf_counter() - started)
                cpu[name].append(time.process_time() - cpu_started)
                proba, latent = model.category_proba(X_test), model.latent(X_test)
                shot[name].append(one_shot_accuracy(latent, test.identities, seed=seed))
                if name == "GVAE":
                    clus["GVAE*"].append(clustering_accuracy(test.categories, _kmeans(latent, c, seed)))
                else:
                    clus[name].append(clustering_accuracy(test.categories, proba.argmax(1)))
                    unmasked = latent.reshape(len(latent), model.categories_, -1).sum(1)
                    clus[name + "*"].append(clustering_accuracy(test.categories, _kmeans(unmasked, c, seed)))
            print(
                f"C={c} seed {seed}: clustering "
                + ", ".join(f"{row} {clus[row][-1]:.3f}" for row in ROWS)
                + "; one-shot "
                + ", ".join(f"{row} {v[-1]:.3f}" for row, v in shot.items()),
                flush=True,
            )
        results[str(c)] = {"clustering": clus, "one_shot": shot, "seconds": seconds, "cpu_seconds": cpu}
    settings = {
        "seeds": seeds,
        "categories": list(categories),
        "identities": identities,
        "test_identities": test_identities,
        "views": views,
        "epochs": epochs,
        "shape_dim": shape_dim,
        "size": size,
        "batch_groups": batch_groups,
        "mi_weight": mi_weight,
        "scale": list(scale),
        "shift": shift,
        "grey": list(grey),
    }
    return {"settings": settings, "paper": PAPER, "results": results}


def _cell(values: list[float]) -> str:
    return f"{100 * np.mean(values):5.1f} +- {100 * np.std(values):4.1f}"


def table(result: dict[str, Any]) -> str:
    """Table 1 and Table 2 layouts (%, mean +- SD over seeds), with the paper's figures alongside."""
    cs = list(result["results"])
    lines = []
    for task, title, rows in (
        ("clustering", "Invariant clustering accuracy (%); * = k-means on the latent", ROWS),
        (
            "one_shot",
            "One-shot classification accuracy (%), cosine nearest neighbour",
            ("Mix. of VAEs", "GVAE", "CIGMO"),
        ),
    ):
        lines += [title, "# of categories".ljust(16) + "".join(f"{c:>16}{'paper':>8}" for c in cs)]
        for row in rows:
            cells = ""
            for c in cs:
                paper = result["paper"][task].get(row)
                ref = f"{paper[('3', '5').index(c)]:8.1f}" if paper and c in ("3", "5") else " " * 8
                cells += f"{_cell(result['results'][c][task][row]):>16}{ref}"
            lines.append(row.ljust(16) + cells)
        lines.append("")
    secs = {
        name: np.mean([np.mean(result["results"][c]["seconds"][name]) for c in cs])
        for name in ("Mix. of VAEs", "GVAE", "CIGMO")
    }
    lines.append("wall seconds per fit: " + ", ".join(f"{k} {v:.0f}" for k, v in secs.items()))
    if all("cpu_seconds" in result["results"][c] for c in cs):
        total = sum(sum(map(sum, result["results"][c]["cpu_seconds"].values())) for c in cs)
        lines.append(f"CPU seconds of all fits: {total:.0f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--categories", type=int, nargs="+", default=[3, 5])
    parser.add_argument("--identities", type=int, default=60, help="training identities per category")
    parser.add_argument("--views", type=int, default=6)
    parser.add_argument(
        "--epochs",
        type=int,
        default=60,
        help="paper: 20, on ~100x the data; the held-out ELBO still rises at 60",
    )
    parser.add_argument("--shape-dim", type=int, default=16)
    parser.add_argument(
        "--batch-groups", type=int, default=20, help="tuples per batch (paper: 100, on 20x the data)"
    )
    parser.add_argument("--mi-weight", type=float, default=0.0, help="Eq. 4's MI regulariser (paper: off)")
    parser.add_argument(
        "--scale", type=float, nargs=2, default=list(SCALE), help="range of the views' scale (old: 0.22 0.36)"
    )
    parser.add_argument(
        "--shift", type=float, default=SHIFT, help="largest shift of a view's centre (old: 0.12)"
    )
    parser.add_argument(
        "--grey", type=float, nargs=2, default=list(GREY), help="identities' grey levels (old: 0.55 1)"
    )
    parser.add_argument("--out", type=Path, default=Path("cigmo-results.json"))
    args = parser.parse_args(argv)
    result = run(
        seeds=args.seeds,
        categories=tuple(args.categories),
        identities=args.identities,
        views=args.views,
        epochs=args.epochs,
        shape_dim=args.shape_dim,
        batch_groups=args.batch_groups,
        mi_weight=args.mi_weight,
        scale=(args.scale[0], args.scale[1]),
        shift=args.shift,
        grey=(args.grey[0], args.grey[1]),
    )
    args.out.write_text(json.dumps(result, indent=1))
    print(table(result))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
