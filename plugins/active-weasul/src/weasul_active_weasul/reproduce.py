"""Reproduce the paper's experiments: `python -m weasul_active_weasul.reproduce synthetic --seeds 10`.

Runs Active WeaSuL (maxKL + expert penalty), Nashaat et al., active learning by itself and
weak supervision by itself, and writes `<out>/<dataset>.json` (per-iteration means over seeds,
with the paper's curves from `activeweasul/paper_results` beside them) and `<out>/<dataset>.png`.
`--strategies` adds the sampling-strategy comparison of Fig. 6 (maxkl, margin, random-bucket,
and plain random items) with the diversity of the sampled buckets.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["run", "main", "CONFIG", "paper_curves"]

_log = logging.getLogger(__name__)

#: Per data set: loader params, label model params, metric, discriminative classifier options,
#: default budget and the paper figure to compare with. The model runs as in the authors' code
#: (`AUTHORS`: the paper's alpha as given and a random start), not with the plugin's defaults.
AUTHORS: dict[str, Any] = {"alpha_units": "raw", "init": "random", "anchor": 0.0}

CONFIG: dict[str, dict[str, Any]] = {
    "synthetic": {
        "loader": ("two-gaussians", {}),
        "model": {**AUTHORS, "cliques": [[1, 2]], "alpha": 1.0},
        "metric": "accuracy",
        "budget": 30,
        "classifier": {"estimator": "logistic-regression"},
        "paper": "figure_3AB.csv",
    },
    "spam": {
        "loader": ("spam", {"path": "activeweasul/spam"}),
        "model": {**AUTHORS, "alpha": 1e6, "class_prior": [0.42, 0.58]},
        "metric": "f1",
        "budget": 30,
        "classifier": {"estimator": "logistic-regression", "options": {"max_iter": 300}},
        "paper": None,
        "paper_text": "Fig. 5: discriminative F1 rises from 0.69 to 0.85 within 4 iterations "
        "(active learning needs 27, Nashaat et al. 50)",
    },
    "vrd": {
        "loader": ("vrd", {"path": "activeweasul/vrd"}),
        "model": {**AUTHORS, "cliques": [[0, 1]], "alpha": 1.0},
        "metric": "f1",
        "budget": 60,
        "classifier": {"estimator": "logistic-regression", "options": {"max_iter": 500, "C": 1.0}},
        "paper": "figure_4B.csv",
    },
}

APPROACHES = ("Active WeaSuL", "Nashaat et al.", "Active learning by itself", "Weak supervision by itself")


def paper_curves(path: Path, metric: str) -> dict[str, dict[str, list[float]]]:
    """Mean over runs of the paper's raw results: {model: {approach: values by n labelled}}."""
    import pandas as pd

    frame = pd.read_csv(path)
    frame = frame[(frame["Set"] == "test") & (frame["Metric"].str.lower() == metric.lower())]
    out: dict[str, dict[str, list[float]]] = {}
    for (model, approach), group in frame.groupby(["Model", "Approach"]):
        means = group.groupby("Number of labeled points")["Value"].mean().sort_index()
        out.setdefault(str(model).lower(), {})[str(approach)] = [float(v) for v in means.to_numpy()]
    return out


def _load(dataset: str, data_root: Path | None) -> Any:
    import weasul

    name, params = CONFIG[dataset]["loader"]
    params = dict(params)
    if "path" in params:
        if data_root is None:
            from weasul.testing.data import find_shared_data

            data_root = find_shared_data()
        if data_root is None:
            raise weasul.DataError("shared data not found; pass --data /path/to/shared/data")
        params["path"] = str(Path(data_root) / params["path"])
    return weasul.create("datasets", name, **params).load()


def _mean(rows: list[list[float | None]], fill: float) -> list[float]:
    arr = np.array([[fill if v is None else v for v in row] for row in rows], dtype=np.float64)
    return [float(v) for v in arr.mean(axis=0)]


def run(dataset: str, *, seeds: int = 10, budget: int | None = None, model_seed: int = 0,
        data_root: Path | None = None, discriminative: bool = True, strategies: bool = False) -> dict[str, Any]:
    """Run every approach for `seeds` query seeds; returns the JSON-ready result."""
    import weasul
    from weasul.steps import classification_metrics

    from weasul_active_weasul.ceiling import vote_ceiling
    from weasul_active_weasul.diversity import DiversityCallback
    from weasul_active_weasul.loop import DiscriminativeCallback, active_learning_only

    cfg = CONFIG[dataset]
    data = _load(dataset, data_root)
    train, test = data.train, data.test
    budget = cfg["budget"] if budget is None else budget
    metric = cfg["metric"]
    prior = cfg["model"].get("class_prior") or [1 - float(train.y.mean()), float(train.y.mean())]
    model_params = {**cfg["model"], "class_prior": prior, "n_classes": 2, "seed": model_seed}
    clf = weasul.create("classifiers", "sklearn", **cfg["classifier"])
    gold = weasul.create("oracles", "gold", y=train.y.tolist())
    runs: dict[str, dict[str, list[list[float | None]]]] = {}
    plan = [("Active WeaSuL", "active-weasul", "maxkl"), ("Nashaat et al.", "nashaat", "nashaat")]
    if strategies:
        plan += [("MaxKL", "active-weasul", "maxkl"), ("Margin", "active-weasul", "margin"), ("Random bucket", "active-weasul", "random-bucket"),
                 ("Random items", "active-weasul", "random")]
    started = time.time()
    for label, model_name, strategy_name in plan:
        if label == "MaxKL":
            runs[label] = runs["Active WeaSuL"]
            continue
        for seed in range(seeds):
            model = weasul.create("label_models", model_name, **model_params)
            strategy = weasul.create("query_strategies", strategy_name, seed=seed)
            callbacks: list[Any] = [DiversityCallback(train.L)]
            if discriminative:
                callbacks.append(DiscriminativeCallback(clf, train.X, test.X, test.y))

            def callback(record: dict[str, Any], m: Any, state: Any, cbs: list[Any] = callbacks) -> None:
                for cb in cbs:
                    cb(record, m, state)

            history = weasul.active_loop(model=model, strategy=strategy, oracle=gold, L=train.L, budget=budget,
                                         batch=1, eval={"test": (test.L, test.y)}, callback=callback)
            rec = runs.setdefault(label, {"generative": [], "discriminative": [], "diversity": []})
            rec["generative"].append([r["test"][metric] for r in history])
            rec["discriminative"].append([r.get("discriminative", {}).get(metric) for r in history])
            rec["diversity"].append([r["diversity"] for r in history])
            _log.info("%s seed %d done (%.0fs)", label, seed, time.time() - started)
    if discriminative:
        al = runs.setdefault("Active learning by itself", {"generative": [], "discriminative": [], "diversity": []})
        for seed in range(seeds):
            history = active_learning_only(train.X, train.y, test.X, test.y, budget=budget, seed=seed, classifier=clf)
            al["discriminative"].append([None if r["discriminative"] is None else r["discriminative"][metric] for r in history])
    ws = runs["Active WeaSuL"]
    runs["Weak supervision by itself"] = {
        "generative": [[row[0]] * (budget + 1) for row in ws["generative"]],
        "discriminative": [[row[0]] * (budget + 1) for row in ws["discriminative"]],
        "diversity": [],
    }
    fill = 0.5 if metric == "accuracy" else 0.0
    result: dict[str, Any] = {
        "dataset": dataset,
        "metric": metric,
        "seeds": seeds,
        "budget": budget,
        "model_seed": model_seed,
        "n_labelled": list(range(budget + 1)),
        "approaches": {
            name: {part: _mean(rows, fill) for part, rows in rec.items() if rows and rows[0] and rows[0][0] is not None or (rows and part == "discriminative")}
            for name, rec in runs.items()
        },
        "seconds": round(time.time() - started, 1),
    }
    for name, rec in runs.items():
        result["approaches"][name]["per_seed_generative"] = rec["generative"]
        if rec.get("discriminative"):
            result["approaches"][name]["per_seed_discriminative"] = rec["discriminative"]
    ceiling = vote_ceiling(train.L, train.y, test.L, test.y)
    result["vote_ceiling"] = {rule: scores[metric] for rule, scores in ceiling.items()}
    if discriminative:
        supervised = clf.clone().fit(train.X, np.asarray(train.y))
        result["fully_supervised"] = classification_metrics(test.y, supervised.predict_proba(test.X))[metric]
    paper_file = cfg.get("paper")
    root = data_root
    if root is None:
        from weasul.testing.data import find_shared_data

        root = find_shared_data()
    if paper_file and root is not None and (Path(root) / "activeweasul" / "paper_results" / paper_file).is_file():
        result["paper"] = paper_curves(Path(root) / "activeweasul" / "paper_results" / paper_file, metric)
    if cfg.get("paper_text"):
        result["paper_text"] = cfg["paper_text"]
    return result


def plot(result: dict[str, Any], path: Path) -> Path:
    """Paper-style figure: generative and discriminative curves, ours solid, the paper's dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {"Active WeaSuL": "#2b4162", "Nashaat et al.": "#368f8b", "Weak supervision by itself": "#ec7357",
               "Active learning by itself": "#e9c46a", "Margin": "#CC7178", "Random bucket": "#598B2C",
               "Random items": "#9b9b9b"}
    fig, axes = plt.subplots(1, 2, figsize=(13, 5), sharey=True)
    x = np.asarray(result["n_labelled"])
    for ax, part in zip(axes, ("generative", "discriminative"), strict=False):
        for name, rec in result["approaches"].items():
            if part in rec and name != "MaxKL":
                ax.plot(x, rec[part], color=colours.get(name, "grey"), lw=2.5, label=f"{name} (ours)")
        for name, values in result.get("paper", {}).get(part, {}).items():
            n = min(len(values), len(x))
            ax.plot(x[:n], values[:n], color=colours.get(name, "grey"), lw=1.5, ls="--", label=f"{name} (paper)")
        if part == "generative" and "vote_ceiling" in result:
            ax.axhline(result["vote_ceiling"]["train_majority"], color="black", lw=0.8, ls=":",
                       label="best rule on LF votes (per-bucket training majority)")
        if part == "discriminative" and "fully_supervised" in result:
            ax.axhline(result["fully_supervised"], color="black", lw=0.8, ls=":",
                       label="end model on all training labels")
        ax.set_title(f"{part.capitalize()} model")
        ax.set_xlabel("Number of active learning iterations")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(result["metric"])
    axes[1].legend(fontsize=7, loc="lower right")
    ceiling_lines = [line for line in axes[0].lines if line.get_label().startswith("best rule")]
    if ceiling_lines:
        axes[0].legend(handles=ceiling_lines, fontsize=7, loc="lower right")
    if result.get("paper_text"):
        fig.suptitle(result["paper_text"], fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


#: Column headers of the printed tables.
SHORT = {"Active WeaSuL": "AW", "Nashaat et al.": "Nashaat", "Active learning by itself": "AL only",
         "Margin": "margin", "Random bucket": "rand-bucket", "Random items": "rand-item"}


def print_tables(result: dict[str, Any], upto: int = 30) -> None:
    """Per model, the mean curve of every approach for 0..`upto` labels, the paper's beside ours."""
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 130))
    rows = range(min(upto, result["budget"]) + 1)
    shown: set[str] = set()
    # weak supervision by itself is the 0-label row of every approach; MaxKL is Active WeaSuL
    skip = ("MaxKL", "Weak supervision by itself")
    for part in ("generative", "discriminative"):
        ours = {name: rec[part] for name, rec in result["approaches"].items() if part in rec and name not in skip}
        paper = result.get("paper", {}).get(part, {})
        if not ours:
            continue
        shown.update(ours)
        table = Table(title=f"{result['dataset']}: {part} model, test {result['metric']} (mean over {result['seeds']} seeds)")
        table.add_column("labels", justify="right")
        for name in ours:
            table.add_column(SHORT.get(name, name), justify="right")
            if name in paper:
                table.add_column(f"{SHORT.get(name, name)} paper", justify="right", style="dim")
        for i in rows:
            cells = [str(i)]
            for name, values in ours.items():
                cells.append(f"{values[i]:.3f}")
                if name in paper:
                    cells.append(f"{paper[name][i]:.3f}" if i < len(paper[name]) else "")
            table.add_row(*cells)
        console.print(table)
    console.print(", ".join(f"{short} = {name}" for name, short in SHORT.items() if name in shown))
    if result.get("paper_text"):
        console.print(f"paper: {result['paper_text']}")
    ceiling = result["vote_ceiling"]["train_majority"]
    console.print(f"best rule on LF votes (generative ceiling): {ceiling:.3f}")
    if "fully_supervised" in result:
        console.print(f"end model on all training labels: {result['fully_supervised']:.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m weasul_active_weasul.reproduce", description=__doc__)
    parser.add_argument("dataset", choices=sorted(CONFIG))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=int, default=None)
    parser.add_argument("--model-seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=None, help="the shared/data folder")
    parser.add_argument("--out", type=Path, default=Path("runs/active-weasul"))
    parser.add_argument("--no-discriminative", action="store_true")
    parser.add_argument("--strategies", action="store_true", help="also margin, random-bucket and random (Fig. 6)")
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    result = run(args.dataset, seeds=args.seeds, budget=args.budget, model_seed=args.model_seed, data_root=args.data,
                 discriminative=not args.no_discriminative, strategies=args.strategies)
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"{args.dataset}.json"
    out.write_text(json.dumps(result, indent=1))
    if not args.no_plot:
        plot(result, args.out / f"{args.dataset}.png")
    print_tables(result)
    print(f"wrote {out}" + ("" if args.no_plot else f" and {args.out / (args.dataset + '.png')}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
