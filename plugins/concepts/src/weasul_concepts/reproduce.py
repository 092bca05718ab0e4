"""Reproduce the paper's comparison (Sec. 4, Fig. 5) on the bank-marketing stand-in: baseline,
pre-training on noisy labels alone, two-stage (golden or hybrid fine-tuning) and hybrid
learning; recall@5% FPR of the decision and concept mAP, mean and std over seeds, and the
Pareto plot of the explainability-accuracy trade-off over lambda.

    python -m weasul_concepts.reproduce [--data PATH] [--seeds 5] [--rows N] [--annotated 500]
        [--lambdas 0.1,0.3,0.5,0.7,0.9] [--quick] [--out DIR]

Protocol. One stratified 65/15/20 split of the rows (seed 0); per seed, a fresh random subset of
`annotated` train rows carries golden concept labels (the human annotation) and the networks
start from that seed. Every train row has its decision label and its noisy concept labels (the
rules). Decision thresholds are set on the validation split at 5% FPR and recall is measured on
test (paper Fig. 3); concept mAP is measured on the golden labels of every test row. Each
strategy's learning rate is chosen from LEARNING_RATES on the validation split (recall + mAP,
seed 0, lambda 0.5), the same small grid for every strategy; the table uses lambda = 0.5, the
Pareto plot sweeps lambda on seed 0. `--quick` (a reduced run for tests) uses 12000 rows, 2
seeds and lambdas 0.2, 0.8.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from weasul_concepts.bank import BankData, describe, load_bank
from weasul_concepts.metrics import concept_map, jaccard, pareto_front, recall_at_fpr, threshold_at_fpr
from weasul_concepts.model import ConceptModel

__all__ = ["STRATEGIES", "LEARNING_RATES", "PAPER", "run", "format_table", "plot_pareto", "main"]

#: Each strategy's own settings (paper Fig. 1); COMMON holds the shared ones.
STRATEGIES: dict[str, dict[str, Any]] = {
    "baseline": {"strategy": "baseline", "epochs": 100, "batch_size": 64},
    "noisy only": {"strategy": "noisy", "epochs": 10},
    "two-stage (golden)": {
        "strategy": "two-stage",
        "fine_tune": "golden",
        "epochs": 10,
        "finetune_epochs": 100,
    },
    "two-stage (hybrid)": {
        "strategy": "two-stage",
        "fine_tune": "hybrid",
        "epochs": 10,
        "finetune_epochs": 1,
    },
    "hybrid (10% golden)": {"strategy": "hybrid", "epochs": 10, "golden_fraction": 0.1},
}
COMMON: dict[str, Any] = {"hidden": [64, 32], "batch_size": 256, "finetune_batch_size": 64, "num_threads": 1}
LEARNING_RATES = (3e-3, 1e-2)
DEFAULT_LAMBDAS = (0.1, 0.3, 0.5, 0.7, 0.9)
TABLE_LAMBDA = 0.5

#: What the paper reports (fraud data, Sec. 4.4 and abstract).
PAPER = (
    "two-stage: +9.26% explainability (mAP) and +417.8% decision (recall@5% FPR) over the baseline; "
    "hybrid: large decision gains at a reduced explainability cost"
)


def _default_data() -> Path:
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        candidate = folder / "shared" / "data" / "tabular" / "bank-full.csv"
        if candidate.is_file():
            return candidate
    return Path("/work/shared/data/tabular/bank-full.csv")


def evaluate(model: ConceptModel, data: BankData) -> dict[str, float]:
    """Test recall@5% FPR (threshold from valid), test concept mAP, and the valid scores."""
    valid = model.predict_proba(data.X["valid"])[:, 1]
    threshold = threshold_at_fpr(data.y["valid"], valid, 0.05)
    test = model.predict_proba(data.X["test"])[:, 1]
    return {
        "recall_at_5_fpr": recall_at_fpr(data.y["test"], test, threshold=threshold),
        "concept_map": concept_map(data.golden_full["test"], model.explain(data.X["test"])),
        "valid_recall": recall_at_fpr(data.y["valid"], valid, 0.05),
        "valid_map": concept_map(data.golden_full["valid"], model.explain(data.X["valid"])),
    }


def fit(data: BankData, golden: np.ndarray, settings: dict[str, Any], seed: int) -> ConceptModel:
    """One concept model with `settings` on the train split, seeded."""
    model = ConceptModel(**{**COMMON, **settings, "seed": seed, "concept_names": data.names})
    return model.fit(data.X["train"], data.y["train"], concepts=data.noisy["train"], golden=golden)


def _golden_for(data: BankData, annotated: int, seed: int) -> np.ndarray:
    rows = np.sort(np.random.default_rng(seed).choice(len(data.y["train"]), annotated, replace=False))
    return data.annotate(rows)


def _summary(values: Sequence[float]) -> dict[str, float]:
    arr = np.asarray(values, dtype=np.float64)
    return {"mean": float(arr.mean()), "std": float(arr.std(ddof=1)) if len(arr) > 1 else 0.0}


def run(
    *,
    data_path: str | Path | None = None,
    seeds: int = 5,
    rows: int | None = None,
    annotated: int = 500,
    lambdas: Sequence[float] = DEFAULT_LAMBDAS,
    strategies: Sequence[str] = tuple(STRATEGIES),
    log: Any = print,
) -> dict[str, Any]:
    """Every strategy on every seed, the learning-rate choice and the lambda sweep; JSON-ready."""
    import torch

    torch.set_num_threads(1)
    started, cpu = time.perf_counter(), time.process_time()
    data = load_bank(data_path or _default_data(), annotated=annotated, rows=rows, seed=0)
    log(
        f"data: {len(data.y['train'])} train / {len(data.y['valid'])} valid / {len(data.y['test'])} test rows, "
        f"{annotated} golden-annotated; noisy-vs-golden Jaccard on test {jaccard(data.noisy['test'], data.golden_full['test']):.3f}"
    )
    goldens = {seed: _golden_for(data, annotated, seed) for seed in range(seeds)}
    out: dict[str, Any] = {"strategies": {}, "pareto": []}
    for name in strategies:
        base = {**STRATEGIES[name], "decision_weight": TABLE_LAMBDA}
        choice: dict[float, dict[str, float]] = {}
        for lr in LEARNING_RATES:
            choice[lr] = evaluate(fit(data, goldens[0], {**base, "lr": lr, "finetune_lr": lr}, 0), data)
        lr = max(LEARNING_RATES, key=lambda v: choice[v]["valid_recall"] + choice[v]["valid_map"])
        settings = {**base, "lr": lr, "finetune_lr": lr}
        per_seed = [choice[lr]]
        per_seed += [evaluate(fit(data, goldens[s], settings, s), data) for s in range(1, seeds)]
        result: dict[str, Any] = {
            "lr": lr,
            "lr_choice": {str(k): v for k, v in choice.items()},
            "per_seed": per_seed,
            **{key: _summary([r[key] for r in per_seed]) for key in ("recall_at_5_fpr", "concept_map")},
        }
        out["strategies"][name] = result
        log(
            f"{name}: lr {lr:g}, recall@5%FPR {result['recall_at_5_fpr']['mean']:.3f} "
            f"± {result['recall_at_5_fpr']['std']:.3f}, concept mAP {result['concept_map']['mean']:.3f} "
            f"± {result['concept_map']['std']:.3f}  ({time.perf_counter() - started:.0f} s)"
        )
        for lam in lambdas:
            scores = (
                per_seed[0]
                if lam == TABLE_LAMBDA
                else evaluate(fit(data, goldens[0], {**settings, "decision_weight": lam}, 0), data)
            )
            out["pareto"].append({"strategy": name, "lambda": lam, **scores})
    points = [(p["concept_map"], p["recall_at_5_fpr"]) for p in out["pareto"]]
    for i in pareto_front(points):
        out["pareto"][i]["pareto_optimal"] = True
    out["noisy_labels"] = {
        "jaccard_test": jaccard(data.noisy["test"], data.golden_full["test"]),
        **describe(data),
    }
    out["config"] = {
        "rows": rows,
        "annotated": annotated,
        "seeds": seeds,
        "lambdas": list(lambdas),
        "table_lambda": TABLE_LAMBDA,
        "learning_rates": list(LEARNING_RATES),
        "common": COMMON,
        "strategies": {n: STRATEGIES[n] for n in strategies},
        "n_train": int(len(data.y["train"])),
    }
    out["seconds"] = time.perf_counter() - started
    out["cpu_seconds"] = time.process_time() - cpu
    return out


def format_table(result: dict[str, Any]) -> str:
    """The comparison table: mean ± std over seeds and the change against the baseline."""
    rows = result["strategies"]
    base = rows.get("baseline")
    lines = [
        f"{'strategy':<22} {'lr':>6}  {'recall@5%FPR':>15}  {'concept mAP':>15}  {'vs baseline (recall, mAP)':>26}",
    ]
    for name, r in rows.items():
        rec, cmap = r["recall_at_5_fpr"], r["concept_map"]
        delta = ""
        if base is not None and name != "baseline":
            d_rec = 100 * (rec["mean"] / base["recall_at_5_fpr"]["mean"] - 1)
            d_map = 100 * (cmap["mean"] / base["concept_map"]["mean"] - 1)
            delta = f"{d_rec:+.1f}%, {d_map:+.1f}%"
        lines.append(
            f"{name:<22} {r['lr']:>6g}  {rec['mean']:.3f} ± {rec['std']:.3f}  {cmap['mean']:.3f} ± {cmap['std']:.3f}  {delta:>26}"
        )
    return "\n".join(lines)


def verdict(result: dict[str, Any]) -> dict[str, dict[str, bool]]:
    """Per weakly supervised strategy: does its mean beat the baseline's on each metric?"""
    rows = result["strategies"]
    base = rows["baseline"]
    return {
        name: {key: bool(r[key]["mean"] > base[key]["mean"]) for key in ("recall_at_5_fpr", "concept_map")}
        for name, r in rows.items()
        if name != "baseline"
    }


def plot_pareto(result: dict[str, Any], out_dir: str | Path, *, connect: bool = True) -> list[Path]:
    """Concept mAP against recall@5% FPR for every strategy and lambda (seed 0); Pareto-optimal
    models drawn larger (paper Fig. 5). `connect`: join each strategy's points in lambda order and
    label them with lambda (a sweep); off for a grid of many models. Written as PNG and SVG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    names = list(dict.fromkeys(p["strategy"] for p in result["pareto"]))
    for i, name in enumerate(names):
        pts = sorted((p for p in result["pareto"] if p["strategy"] == name), key=lambda p: p["lambda"])
        xs = [p["concept_map"] for p in pts]
        ys = [p["recall_at_5_fpr"] for p in pts]
        colour = f"C{i}"
        if connect:
            ax.plot(xs, ys, "-", color=colour, alpha=0.35)
        sizes = [110 if p.get("pareto_optimal") else 30 for p in pts]
        ax.scatter(xs, ys, s=sizes, color=colour, label=name, edgecolors="black", linewidths=0.4, zorder=3)
        for p in pts if connect else ():
            ax.annotate(
                f"{p['lambda']:g}",
                (p["concept_map"], p["recall_at_5_fpr"]),
                fontsize=6,
                xytext=(3, 3),
                textcoords="offset points",
            )
    ax.set_xlabel("concept mAP (explainability, test)")
    ax.set_ylabel("recall at 5% FPR (decision, test)")
    title = "over lambda (labels: lambda" if connect else "of every model of the grid (seed 0"
    ax.set_title(f"Explainability-accuracy trade-off {title}; large: Pareto-optimal)", fontsize=8)
    legend = ax.legend(fontsize=7, loc="best")
    for handle in legend.legend_handles:  # one marker size in the legend, whatever the first point's
        setter = getattr(handle, "set_sizes", None)
        if setter is not None:
            setter([40])
    ax.grid(alpha=0.3)
    fig.tight_layout()
    paths = [out / "pareto.png", out / "pareto.svg"]
    for path in paths:
        fig.savefig(path, dpi=150)
    plt.close(fig)
    return paths


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None, help="bank-full.csv (default: ../shared/data/tabular/)")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument(
        "--rows", type=int, default=None, help="a stratified sample of this many rows (default all)"
    )
    parser.add_argument("--annotated", type=int, default=500, help="train rows with golden concept labels")
    parser.add_argument("--lambdas", default=",".join(f"{v:g}" for v in DEFAULT_LAMBDAS))
    parser.add_argument("--quick", action="store_true", help="12000 rows, 2 seeds, lambdas 0.2,0.8 (tests)")
    parser.add_argument(
        "--out", default="concepts-results", help="folder for results.json and the Pareto plot"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    lambdas = tuple(float(v) for v in args.lambdas.split(","))
    seeds, rows = args.seeds, args.rows
    if args.quick:
        seeds, rows, lambdas = 2, 12000, (0.2, TABLE_LAMBDA, 0.8)
    result = run(data_path=args.data, seeds=seeds, rows=rows, annotated=args.annotated, lambdas=lambdas)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    result["verdict"] = verdict(result)
    (out / "results.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    plots = plot_pareto(result, out)
    print()
    print(f"mean ± std over {seeds} seeds, lambda = {TABLE_LAMBDA}:")
    print(format_table(result))
    print(f"paper (fraud data): {PAPER}")
    for name, wins in result["verdict"].items():
        said = ", ".join(f"{k} {'beats' if v else 'does not beat'} the baseline" for k, v in wins.items())
        print(f"  {name}: {said}")
    print(
        f"wrote {out / 'results.json'}, {', '.join(str(p) for p in plots)} "
        f"({result['seconds']:.0f} s wall, {result['cpu_seconds']:.0f} s CPU)"
    )
    return result


if __name__ == "__main__":
    main()
