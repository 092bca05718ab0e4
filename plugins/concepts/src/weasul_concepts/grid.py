"""Model selection per strategy on the validation split, then 5 seeds on test (paper Sec. 4,
"Hyperparameter Optimization"): the same first-stage grid for every strategy, each strategy's own
knob beside it, and for two-stage a second grid over the fine-tuning of base models.

    python -m weasul_concepts.grid [--data PATH] [--annotated 500,100] [--seeds 5] [--rows N] [--out DIR]

Protocol (nothing is chosen on test):

1. On seed 0, every strategy trains every configuration of COMMON_GRID (hidden sizes, learning
   rate, lambda) crossed with its own knob (OWN_GRID: the baseline's epochs, the hybrid's weight of
   the noisy labels); each is scored on the validation split by recall@5% FPR + concept mAP.
2. Two-stage, as the paper: the base models are the validation-Pareto-optimal pre-trained (noisy)
   models (at most MAX_BASES, best score first); each is fine-tuned with every configuration of
   FINETUNE_GRID (frozen or trainable hidden layers, fine-tuning learning rate, and epochs or the
   noisy labels' weight), and the best base + fine-tuning on validation is kept.
3. The chosen configuration of each strategy is trained on seeds 1..seeds-1 (a fresh golden subset
   and initialisation per seed); the table is the mean ± std over all seeds on test.

Pre-training does not read the golden labels, so the pre-trained models are shared between the
settings of `--annotated` (run in one process). The Pareto plot shows every seed-0 model of the
grid on test (paper Fig. 5), larger points Pareto-optimal.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from weasul_concepts.bank import BankData, load_bank
from weasul_concepts.metrics import pareto_front
from weasul_concepts.model import ConceptModel
from weasul_concepts.reproduce import (
    COMMON,
    PAPER,
    STRATEGIES,
    _default_data,
    _golden_for,
    _summary,
    evaluate,
    format_table,
    plot_pareto,
    verdict,
)

__all__ = ["COMMON_GRID", "OWN_GRID", "FINETUNE_GRID", "MAX_BASES", "configs", "select", "run", "main"]

#: Every strategy's first-stage grid (the two-stage one: its pre-training).
COMMON_GRID: dict[str, tuple[Any, ...]] = {
    "hidden": ([64, 32], [128, 64]),
    "lr": (3e-3, 1e-2),
    "decision_weight": (0.3, 0.5, 0.7),
}
#: Each one-stage strategy's own knob, crossed with COMMON_GRID.
OWN_GRID: dict[str, dict[str, tuple[Any, ...]]] = {
    "baseline": {"epochs": (100, 300)},
    "noisy only": {},
    "hybrid (10% golden)": {"noisy_weight": (1.0, 0.3)},
}
#: The two-stage strategies' fine-tuning grid, applied to every base model.
FINETUNE_GRID: dict[str, dict[str, tuple[Any, ...]]] = {
    "two-stage (golden)": {
        "freeze_hidden": (True, False),
        "finetune_lr": (1e-3, 3e-3, 1e-2),
        "finetune_epochs": (30, 100),
    },
    "two-stage (hybrid)": {
        "freeze_hidden": (True, False),
        "finetune_lr": (1e-3, 3e-3, 1e-2),
        "noisy_weight": (1.0, 0.3),
    },
}
MAX_BASES = 4


def configs(*grids: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grids' values, in a fixed order."""
    merged = {k: v for grid in grids for k, v in grid.items()}
    keys = list(merged)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*(merged[k] for k in keys))]


def _valid_score(scores: Mapping[str, float]) -> float:
    return float(scores["valid_recall"] + scores["valid_map"])


def select(candidates: Sequence[Mapping[str, Any]]) -> int:
    """Index of the candidate with the best validation recall@5% FPR + concept mAP (first on ties)."""
    if not candidates:
        raise ValueError("no candidate to select from")
    return max(range(len(candidates)), key=lambda i: (_valid_score(candidates[i]["scores"]), -i))


def _bases(candidates: Sequence[Mapping[str, Any]]) -> list[int]:
    """The validation-Pareto-optimal candidates, best validation score first, at most MAX_BASES."""
    points = [(c["scores"]["valid_map"], c["scores"]["valid_recall"]) for c in candidates]
    front = pareto_front(points)
    return sorted(front, key=lambda i: -_valid_score(candidates[i]["scores"]))[:MAX_BASES]


class _Runner:
    """Fits on one data set, with the pre-trained models cached by (configuration, seed)."""

    def __init__(self, data: BankData) -> None:
        self.data = data
        self.pretrained: dict[tuple[str, int], ConceptModel] = {}
        self.fits = 0

    def model(self, settings: Mapping[str, Any], seed: int) -> ConceptModel:
        return ConceptModel(**{**COMMON, **settings, "seed": seed, "concept_names": self.data.names})

    def fit(self, name: str, config: Mapping[str, Any], golden: np.ndarray, seed: int) -> ConceptModel:
        d = self.data
        if name == "noisy only":
            return self.pretrain(config, seed)
        self.fits += 1
        model = self.model({**STRATEGIES[name], **config}, seed)
        return model.fit(d.X["train"], d.y["train"], concepts=d.noisy["train"], golden=golden)

    def pretrain(self, config: Mapping[str, Any], seed: int) -> ConceptModel:
        key = (json.dumps(dict(config), sort_keys=True), seed)
        if key not in self.pretrained:
            self.fits += 1
            d = self.data
            model = self.model({**STRATEGIES["noisy only"], **config}, seed)
            self.pretrained[key] = model.fit(d.X["train"], d.y["train"], concepts=d.noisy["train"])
        return self.pretrained[key]

    def fine_tune(
        self, name: str, base: Mapping[str, Any], tuning: Mapping[str, Any], golden: np.ndarray, seed: int
    ) -> ConceptModel:
        d = self.data
        self.fits += 1
        model = self.model({**STRATEGIES[name], **base, **tuning}, seed)
        return model.fit(
            d.X["train"],
            d.y["train"],
            concepts=d.noisy["train"],
            golden=golden,
            pretrained=self.pretrain(base, seed),
        )


def _describe(config: Mapping[str, Any]) -> str:
    short = {"decision_weight": "lambda", "finetune_lr": "ft_lr", "finetune_epochs": "ft_epochs"}
    parts = []
    for key, value in config.items():
        if key == "freeze_hidden":
            parts.append("frozen hidden" if value else "whole net tuned")
        elif key == "hidden":
            parts.append("x".join(str(v) for v in value))
        else:
            parts.append(f"{short.get(key, key)} {value:g}")
    return ", ".join(parts)


def run_setting(
    runner: _Runner, annotated: int, seeds: int, strategies: Sequence[str], log: Any = print
) -> dict[str, Any]:
    """Selection on validation (seed 0) and the chosen configurations on every seed, one setting."""
    data = runner.data
    goldens = {seed: _golden_for(data, annotated, seed) for seed in range(seeds)}
    started = time.perf_counter()
    first = configs(COMMON_GRID)
    pre_grid = [{"config": c, "scores": evaluate(runner.pretrain(c, 0), data)} for c in first]
    out: dict[str, Any] = {"strategies": {}, "pareto": []}
    for name in strategies:
        grid: list[dict[str, Any]] = []
        if name in FINETUNE_GRID:
            for b in _bases(pre_grid):
                for tuning in configs(FINETUNE_GRID[name]):
                    base = pre_grid[b]["config"]
                    model = runner.fine_tune(name, base, tuning, goldens[0], 0)
                    grid.append({"config": {**base, **tuning}, "base": base, "tuning": tuning})
                    grid[-1]["scores"] = evaluate(model, data)
        elif name == "noisy only":
            grid = [dict(entry) for entry in pre_grid]
        else:
            for config in configs(COMMON_GRID, OWN_GRID[name]):
                grid.append(
                    {"config": config, "scores": evaluate(runner.fit(name, config, goldens[0], 0), data)}
                )
        chosen = grid[select(grid)]
        per_seed = [chosen["scores"]]
        for s in range(1, seeds):
            if name in FINETUNE_GRID:
                model = runner.fine_tune(name, chosen["base"], chosen["tuning"], goldens[s], s)
            else:
                model = runner.fit(name, chosen["config"], goldens[s], s)
            per_seed.append(evaluate(model, data))
        result = {
            "chosen": chosen["config"],
            "described": _describe(chosen["config"]),
            "grid": grid,
            "per_seed": per_seed,
            **{key: _summary([r[key] for r in per_seed]) for key in ("recall_at_5_fpr", "concept_map")},
        }
        out["strategies"][name] = result
        for entry in grid:
            lam = float(entry["config"]["decision_weight"])
            out["pareto"].append({"strategy": name, "lambda": lam, **entry["scores"]})
        log(
            f"[{annotated} golden] {name}: {len(grid)} configurations, chosen {result['described']}; "
            f"recall@5%FPR {result['recall_at_5_fpr']['mean']:.3f} ± {result['recall_at_5_fpr']['std']:.3f}, "
            f"concept mAP {result['concept_map']['mean']:.3f} ± {result['concept_map']['std']:.3f} "
            f"({time.perf_counter() - started:.0f} s)"
        )
    points = [(p["concept_map"], p["recall_at_5_fpr"]) for p in out["pareto"]]
    for i in pareto_front(points):
        out["pareto"][i]["pareto_optimal"] = True
    out["verdict"] = verdict(out)
    out["config"] = {"annotated": annotated, "seeds": seeds, "n_train": int(len(data.y["train"]))}
    return out


def run(
    *,
    data_path: str | Path | None = None,
    annotated: Sequence[int] = (500, 100),
    seeds: int = 5,
    rows: int | None = None,
    strategies: Sequence[str] = tuple(STRATEGIES),
    log: Any = print,
) -> dict[str, Any]:
    """Every setting of `annotated`, sharing the pre-trained models; JSON-ready."""
    import torch

    torch.set_num_threads(1)
    started, cpu = time.perf_counter(), time.process_time()
    data = load_bank(data_path or _default_data(), annotated=max(annotated), rows=rows, seed=0)
    runner = _Runner(data)
    settings = {str(a): run_setting(runner, a, seeds, strategies, log) for a in annotated}
    return {
        "settings": settings,
        "grids": {
            "common": COMMON_GRID,
            "own": OWN_GRID,
            "finetune": FINETUNE_GRID,
            "max_bases": MAX_BASES,
            "fixed": COMMON,
            "strategies": {n: STRATEGIES[n] for n in strategies},
        },
        "rows": rows,
        "fits": runner.fits,
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
    }


def table(setting: Mapping[str, Any]) -> str:
    """The comparison table of one setting, with each strategy's chosen configuration."""
    body = {name: {**r, "lr": r["chosen"].get("lr", 0.0)} for name, r in setting["strategies"].items()}
    lines = [format_table({"strategies": body})]
    lines += [f"  {name}: {r['described']}" for name, r in setting["strategies"].items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None, help="bank-full.csv (default: ../shared/data/tabular/)")
    parser.add_argument("--annotated", default="500,100", help="golden-annotated train rows, comma-separated")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--rows", type=int, default=None, help="a stratified sample of this many rows")
    parser.add_argument("--out", default="concepts-grid", help="folder for results.json and the plots")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    annotated = tuple(int(v) for v in args.annotated.split(","))
    result = run(data_path=args.data, annotated=annotated, seeds=args.seeds, rows=args.rows)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    for key, setting in result["settings"].items():
        plot_pareto(setting, out / f"annotated-{key}", connect=False)
        print()
        print(f"{key} golden rows, mean ± std over {args.seeds} seeds, chosen on validation:")
        print(table(setting))
        for name, wins in setting["verdict"].items():
            said = ", ".join(f"{k} {'beats' if v else 'does not beat'} the baseline" for k, v in wins.items())
            print(f"  {name}: {said}")
    print(f"paper (fraud data): {PAPER}")
    print(
        f"wrote {out / 'results.json'} and the plots ({result['fits']} fits, "
        f"{result['seconds']:.0f} s wall, {result['cpu_seconds']:.0f} s CPU)"
    )
    return result


if __name__ == "__main__":
    main()
