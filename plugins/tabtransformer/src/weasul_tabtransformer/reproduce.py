"""Reproduce the paper's experiments on the four shared tabular sets, at CPU scale.

    python -m weasul_tabtransformer.reproduce supervised   # Table 1: MLP vs TabTransformer (+ GBDT)
    python -m weasul_tabtransformer.reproduce semi         # Tables 3-4: 50/200/500 labels, +- MLM/RTD
    python -m weasul_tabtransformer.reproduce robustness   # Figures 3-4: noisy / missing categorical values
    python -m weasul_tabtransformer.reproduce embeddings   # Figure 2: 2-D map of the column embeddings

Each writes `<out>/<experiment>.json` and prints a table beside the paper's values. Splits are
the paper's 65/15/20 (stratified, one per seed). To fit 2 shared CPU cores the training rows
of each split are a seeded stratified sample (`--train-rows`), and epochs are few; the JSON
records every such setting. Supervised models are saved (safetensors) under `<out>/models/`
and reused by `robustness` and `embeddings`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from weasul_tabtransformer.data import PAPER_SETS, stratified_split
from weasul_tabtransformer.models import TabMLPClassifier, TabTransformerClassifier, TabTransformerEncoder

__all__ = ["main", "supervised", "semi", "robustness", "embeddings", "corrupt"]

_log = logging.getLogger(__name__)
DEFAULT_DATA = "../shared/data/tabular"
#: Paper Table 3/4 (mean AUC %, over their 6 large / 9 small sets; not per set).
PAPER_SEMI = {
    "large (>30K rows)": {
        "TabTransformer-RTD": [66.6, 70.9, 73.1],
        "TabTransformer-MLM": [66.8, 71.0, 72.9],
        "MLP (ER)": [65.6, 69.0, 71.0],
        "TabTransformer (ER)": [62.7, 67.1, 69.3],
    },
    "small (<30K rows)": {
        "TabTransformer-RTD": [78.6, 81.6, 83.4],
        "TabTransformer-MLM": [78.5, 81.0, 82.4],
        "MLP (ER)": [79.4, 81.1, 82.3],
        "TabTransformer (ER)": [77.9, 81.2, 82.1],
    },
}


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p[:, 1]))


def _load(name: str, folder: str, seed: int) -> Any:
    import weasul

    return weasul.create("datasets", "tabular-split", **PAPER_SETS[name].loader_params(folder, seed)).load()


def _sample(split: Any, n: int | None, seed: int) -> tuple[Any, np.ndarray]:
    """A seeded stratified sample of n rows of a split (all rows when n is None or larger)."""
    items, y = split.items, split.y
    if n is None or n >= len(y):
        return items, y
    rows = stratified_split(y, [n / len(y), 1 - n / len(y)], seed)[0]
    return items.iloc[rows].reset_index(drop=True), y[rows]


def _model_args(args: argparse.Namespace, name: str) -> dict[str, Any]:
    return {
        "categorical": list(PAPER_SETS[name].categorical),
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "patience": args.patience,
        "num_threads": args.threads,
        **({} if args.lr is None else {"lr": args.lr}),
    }


def _fit_pair(args: argparse.Namespace, name: str, seed: int, ds: Any) -> dict[str, Any]:
    """Train (or load from `<out>/models`) the MLP and TabTransformer of one set and seed."""
    folder = Path(args.models or Path(args.out) / "models")
    folder.mkdir(parents=True, exist_ok=True)
    Xtr, ytr = _sample(ds.train, args.train_rows, seed)
    Xva, yva = _sample(ds.valid, args.valid_rows, seed)
    out: dict[str, Any] = {}
    for key, cls in (("mlp", TabMLPClassifier), ("tabtransformer", TabTransformerClassifier)):
        path = folder / f"{name}-{seed}-{key}.safetensors"
        if path.is_file() and not args.retrain:
            out[key], out[f"{key}_seconds"], out[f"{key}_cpu_seconds"] = cls.load(path), None, None
            out[f"{key}_epochs"] = None
            continue
        start, cpu = time.perf_counter(), time.process_time()
        model = cls(seed=seed, **_model_args(args, name)).fit(Xtr, ytr, valid=(Xva, yva))
        out[f"{key}_seconds"] = time.perf_counter() - start
        out[f"{key}_cpu_seconds"] = time.process_time() - cpu
        history = model.history_
        out[f"{key}_epochs"] = {"run": len(history["train_loss"]), "best": history.get("best_epoch")}
        model.save(path)
        out[key] = model
    # valid AUC of the kept epoch (also for loaded models): what a choice of settings may use
    out["valid_auc"] = {key: _auc(yva, out[key].predict_proba(Xva)) for key in ("mlp", "tabtransformer")}
    return out


def _gbdt(args: argparse.Namespace, name: str, seed: int, ds: Any) -> tuple[float, float]:
    """HistGradientBoostingClassifier through classifiers/sklearn on codes + continuous values."""
    import weasul

    from weasul_tabtransformer.columns import fit_schema

    Xtr, ytr = _sample(ds.train, args.train_rows, seed)
    schema = fit_schema(Xtr, categorical=list(PAPER_SETS[name].categorical))
    m = len(schema.categorical)

    def matrix(X: Any) -> np.ndarray:
        codes, cont = schema.transform(X)
        return np.column_stack([codes.astype(np.float64), cont])

    start = time.perf_counter()
    clf = weasul.create(
        "classifiers",
        "sklearn",
        estimator="gradient-boosting",
        options={"categorical_features": list(range(m))},
        seed=seed,
    ).fit(matrix(Xtr), ytr)
    seconds = time.perf_counter() - start
    return _auc(ds.test.y, clf.predict_proba(matrix(ds.test.items))), seconds


def _mean_std(values: list[float]) -> dict[str, float]:
    return {"mean": float(np.mean(values)), "std": float(np.std(values))}


def supervised(args: argparse.Namespace) -> dict[str, Any]:
    """Table 1: test AUC of MLP and TabTransformer per set (mean of seeds), GBDT beside them."""
    result: dict[str, Any] = {"sets": {}}
    done: dict[str, list[dict[str, Any]]] = {}
    for name in args.sets:
        runs: list[dict[str, Any]] = []
        for seed in range(args.seeds):
            ds = _load(name, args.data, seed)
            pair = _fit_pair(args, name, seed, ds)
            gbdt_auc, gbdt_s = _gbdt(args, name, seed, ds)
            run = {
                "seed": seed,
                "mlp": _auc(ds.test.y, pair["mlp"].predict_proba(ds.test.items)),
                "tabtransformer": _auc(ds.test.y, pair["tabtransformer"].predict_proba(ds.test.items)),
                "gbdt": gbdt_auc,
                "valid_auc": pair["valid_auc"],
                "seconds": {
                    "mlp": pair["mlp_seconds"],
                    "tabtransformer": pair["tabtransformer_seconds"],
                    "gbdt": gbdt_s,
                },
                "cpu_seconds": {
                    "mlp": pair["mlp_cpu_seconds"],
                    "tabtransformer": pair["tabtransformer_cpu_seconds"],
                },
                "epochs": {"mlp": pair["mlp_epochs"], "tabtransformer": pair["tabtransformer_epochs"]},
                "train_rows": min(len(ds.train.y), args.train_rows or len(ds.train.y)),
            }
            _log.info("%s seed %d: %s", name, seed, run)
            print(
                f"  {name} seed {seed}: MLP {run['mlp']:.4f}  TabTransformer {run['tabtransformer']:.4f}  GBDT {gbdt_auc:.4f}",
                flush=True,
            )
            runs.append(run)
            done[name] = runs
            # so that a run stopped part-way keeps the seeds it finished, timings included
            (Path(args.out) / "supervised.partial.json").write_text(json.dumps(done, indent=2))
        paper = PAPER_SETS[name].paper_auc
        result["sets"][name] = {
            "runs": runs,
            **{k: _mean_std([100 * r[k] for r in runs]) for k in ("mlp", "tabtransformer", "gbdt")},
            "paper": {"mlp": paper[0], "tabtransformer": paper[1]},
        }
    wins = [s for s, v in result["sets"].items() if v["tabtransformer"]["mean"] >= v["mlp"]["mean"]]
    result["tabtransformer_at_least_mlp"] = wins
    lines = [
        f"{'set':<10} {'MLP':>12} {'TabTr.':>12} {'gain':>6} | {'paper MLP':>9} {'paper TT':>8} {'gain':>5} | {'GBDT':>12}"
    ]
    for name, v in result["sets"].items():
        gain = v["tabtransformer"]["mean"] - v["mlp"]["mean"]
        pm, pt = v["paper"]["mlp"], v["paper"]["tabtransformer"]
        lines.append(
            f"{name:<10} {_fmt(v['mlp'])} {_fmt(v['tabtransformer'])} {gain:+6.2f} | {pm:9.1f} {pt:8.1f} {pt - pm:+5.1f} | {_fmt(v['gbdt'])}"
        )
    lines.append(f"TabTransformer >= MLP on {len(wins)} of {len(result['sets'])} sets: {wins}")
    result["table"] = lines
    return result


def _fmt(v: dict[str, float]) -> str:
    return f"{v['mean']:6.2f}±{v['std']:4.2f} "


def _labelled(y: np.ndarray, p: int, seed: int) -> np.ndarray:
    """p rows drawn uniformly (the paper's sampling), redrawn until both classes appear."""
    rng = np.random.default_rng(seed)
    while True:
        rows = rng.choice(len(y), size=p, replace=False)
        if len(np.unique(y[rows])) > 1:
            return np.sort(rows)


def semi(args: argparse.Namespace) -> dict[str, Any]:
    """Tables 3-4: p labelled rows, the rest of the (sampled) train split unlabelled; TabTransformer
    with no pre-training, MLM and RTD (pre-trained once per set and seed, fine-tuned per p), MLP.
    Fine-tuning runs a fixed number of optimiser steps (no validation-based stopping)."""
    result: dict[str, Any] = {"labels": args.labels, "sets": {}}
    variants = ["tabtransformer", "tabtransformer-mlm", "tabtransformer-rtd", "mlp"]
    for name in args.sets:
        scores: dict[str, dict[int, list[float]]] = {v: {p: [] for p in args.labels} for v in variants}
        for seed in range(args.seeds):
            ds = _load(name, args.data, seed)
            pool, ypool = _sample(ds.train, args.pool_rows, seed)
            Xte, yte = _sample(ds.test, args.test_rows, seed)
            common = {
                "categorical": list(PAPER_SETS[name].categorical),
                "num_threads": args.threads,
                "seed": seed,
            }
            encoders = {
                m: TabTransformerEncoder(pretrain=m, pretrain_epochs=args.pretrain_epochs, **common).fit(pool)
                for m in ("mlm", "rtd")
            }
            for p in args.labels:
                rows = _labelled(ypool, p, seed)
                X, y = pool.iloc[rows].reset_index(drop=True), ypool[rows]
                epochs = max(3, int(np.ceil(args.finetune_steps / np.ceil(p / args.batch))))
                fit_args = {"epochs": epochs, "batch_size": args.batch, **common}
                models = {
                    "tabtransformer": TabTransformerClassifier(**fit_args).fit(X, y, unlabelled=pool),
                    "tabtransformer-mlm": TabTransformerClassifier(**fit_args).fit(
                        X, y, pretrained=encoders["mlm"]
                    ),
                    "tabtransformer-rtd": TabTransformerClassifier(**fit_args).fit(
                        X, y, pretrained=encoders["rtd"]
                    ),
                    "mlp": TabMLPClassifier(**fit_args).fit(X, y, unlabelled=pool),
                }
                for v, model in models.items():
                    scores[v][p].append(100 * _auc(yte, model.predict_proba(Xte)))
                print(
                    f"  {name} seed {seed} p={p}: "
                    + "  ".join(f"{v} {scores[v][p][-1]:.2f}" for v in variants),
                    flush=True,
                )
        result["sets"][name] = {
            v: {str(p): _mean_std(s) for p, s in by_p.items()} for v, by_p in scores.items()
        }
    first = str(args.labels[0])
    lifted = [
        s
        for s, v in result["sets"].items()
        if max(v["tabtransformer-mlm"][first]["mean"], v["tabtransformer-rtd"][first]["mean"])
        > v["tabtransformer"][first]["mean"]
    ]
    result["pretraining_lifts_at_first_p"] = lifted
    result["paper"] = PAPER_SEMI
    lines = [f"{'set':<10} {'model':<20} " + " ".join(f"{p:>12}" for p in args.labels)]
    for name, v in result["sets"].items():
        for variant in variants:
            lines.append(
                f"{name:<10} {variant:<20} " + " ".join(_fmt(v[variant][str(p)]) for p in args.labels)
            )
    lines.append(
        f"pre-training (best of MLM/RTD) above no pre-training at {first} labels on {len(lifted)} of "
        f"{len(result['sets'])} sets: {lifted}"
    )
    lines.append(
        "paper (means over its 6 large / 9 small sets, 50/200/500 labels): " + json.dumps(PAPER_SEMI)
    )
    result["table"] = lines
    return result


def corrupt(items: Any, columns: list[str], rate: float, kind: str, seed: int) -> Any:
    """A copy of `items` where each categorical cell is, with probability `rate`, replaced by a
    value drawn uniformly from that column's values (`noise`) or made missing (`missing`)."""
    rng = np.random.default_rng(seed)
    out = items.copy()
    for column in columns:
        hit = rng.random(len(out)) < rate
        if kind == "noise":
            values = out[column].dropna().unique()
            out.loc[hit, column] = rng.choice(values, size=int(hit.sum()))
        else:
            out[column] = out[column].astype(object)
            out.loc[hit, column] = None
    return out


def robustness(args: argparse.Namespace) -> dict[str, Any]:
    """Figures 3-4: test AUC as a share of the categorical cells is noisy or missing, normalised
    by TabTransformer's AUC on clean data (the paper's normalisation)."""
    result: dict[str, Any] = {"rates": args.rates, "sets": {}}
    for name in args.sets:
        curves: dict[str, dict[str, list[list[float]]]] = {
            k: {"mlp": [], "tabtransformer": []} for k in ("noise", "missing")
        }
        for seed in range(args.seeds):
            ds = _load(name, args.data, seed)
            pair = _fit_pair(args, name, seed, ds)
            Xte, yte = _sample(ds.test, args.test_rows, seed)
            cols = list(PAPER_SETS[name].categorical)
            clean = _auc(yte, pair["tabtransformer"].predict_proba(Xte))
            for kind in ("noise", "missing"):
                for key in ("mlp", "tabtransformer"):
                    curve = [
                        _auc(yte, pair[key].predict_proba(corrupt(Xte, cols, r, kind, seed + 1000))) / clean
                        for r in args.rates
                    ]
                    curves[kind][key].append(curve)
            print(f"  {name} seed {seed} done", flush=True)
        summary: dict[str, Any] = {}
        for kind, by_model in curves.items():
            summary[kind] = {k: np.mean(v, axis=0).tolist() for k, v in by_model.items()}
            summary[kind]["drop"] = {k: float(c[0] - c[-1]) for k, c in summary[kind].items() if k != "drop"}
        result["sets"][name] = summary
    for kind in ("noise", "missing"):
        result[f"tabtransformer_falls_slower_{kind}"] = [
            s for s, v in result["sets"].items() if v[kind]["drop"]["tabtransformer"] < v[kind]["drop"]["mlp"]
        ]
    lines = [
        f"{'set':<10} {'kind':<8} {'model':<15} " + " ".join(f"{r:>6.2f}" for r in args.rates) + "   drop"
    ]
    for name, v in result["sets"].items():
        for kind in ("noise", "missing"):
            for key in ("mlp", "tabtransformer"):
                lines.append(
                    f"{name:<10} {kind:<8} {key:<15} "
                    + " ".join(f"{x:6.3f}" for x in v[kind][key])
                    + f" {v[kind]['drop'][key]:6.3f}"
                )
    for kind in ("noise", "missing"):
        lines.append(
            f"TabTransformer falls more slowly than the MLP with {kind}: {result[f'tabtransformer_falls_slower_{kind}']}"
        )
    result["table"] = lines
    _plot_robustness(result, Path(args.out) / "robustness.png")
    return result


def _plot_robustness(result: dict[str, Any], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # the plot extra is optional
        return
    sets = list(result["sets"])
    fig, axes = plt.subplots(2, len(sets), figsize=(3.2 * len(sets), 5.5), squeeze=False)
    for j, name in enumerate(sets):
        for i, kind in enumerate(("noise", "missing")):
            ax = axes[i][j]
            for key, style in (("tabtransformer", "-o"), ("mlp", "--s")):
                ax.plot(result["rates"], result["sets"][name][kind][key], style, label=key, markersize=3)
            ax.set_title(f"{name}: {kind}", fontsize=9)
            ax.set_xlabel("share of categorical cells", fontsize=8)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def embeddings(args: argparse.Namespace) -> dict[str, Any]:
    """Figure 2: per (column, value), the mean embedding over test rows, mapped to 2-D (t-SNE):
    TabTransformer's last layer, its embeddings before the Transformer, and the MLP's. Beside it
    the paper's linear check: logistic regression on each layer's embeddings, test AUC."""
    from sklearn.linear_model import LogisticRegression

    name = args.sets[0]
    ds = _load(name, args.data, 0)
    pair = _fit_pair(args, name, 0, ds)
    Xte, yte = _sample(ds.test, args.test_rows, 0)
    Xtr, ytr = _sample(ds.train, args.train_rows, 0)
    tt, mlp = pair["tabtransformer"], pair["mlp"]
    depth = tt.params.depth
    probe: dict[str, float] = {}
    for label, model, layer in [
        *((f"tabtransformer layer {i}", tt, i) for i in range(depth + 1)),
        ("mlp", mlp, 0),
    ]:
        lr = LogisticRegression(max_iter=2000).fit(model.embeddings(Xtr, layer), ytr)
        probe[label] = 100 * _auc(yte, lr.predict_proba(model.embeddings(Xte, layer)))
    maps = {}
    codes, _ = tt.schema_.transform(Xte)
    for label, model, layer in (
        ("tabtransformer last layer", tt, depth),
        ("tabtransformer before", tt, 0),
        ("mlp", mlp, 0),
    ):
        E = model.embeddings(Xte, layer).reshape(len(Xte), len(tt.schema_.categorical), -1)
        maps[label] = _class_map(E, codes, tt.schema_)
    result = {"set": name, "linear_probe_auc": probe, "points": maps}
    result["table"] = [f"linear probe (logistic regression) test AUC on {name}:"] + [
        f"  {k:<28} {v:6.2f}" for k, v in probe.items()
    ]
    result["neighbour_same_column"] = {k: _same_column_share(v) for k, v in maps.items()}
    result["table"].append(
        "share of 2-D nearest neighbours from the same column: "
        + ", ".join(f"{k} {v:.2f}" for k, v in result["neighbour_same_column"].items())
    )
    _plot_embeddings(maps, Path(args.out) / "embeddings.png")
    return result


def _class_map(E: np.ndarray, codes: np.ndarray, schema: Any) -> list[dict[str, Any]]:
    """Mean embedding per (column, seen value) over the rows, then t-SNE to 2-D."""
    from sklearn.manifold import TSNE

    labels, vectors = [], []
    for j, column in enumerate(schema.categorical):
        for code in np.unique(codes[:, j]):
            if code == 0:
                continue
            vectors.append(E[codes[:, j] == code, j].mean(axis=0))
            labels.append((column, schema.vocab[j][code - 1]))
    V = np.asarray(vectors)
    xy = TSNE(n_components=2, perplexity=min(10.0, len(V) - 1), random_state=0, init="pca").fit_transform(V)
    return [
        {"column": c, "value": v, "x": float(a), "y": float(b)}
        for (c, v), (a, b) in zip(labels, xy, strict=True)
    ]


def _same_column_share(points: list[dict[str, Any]]) -> float:
    xy = np.array([[p["x"], p["y"]] for p in points])
    cols = np.array([p["column"] for p in points])
    d = ((xy[:, None] - xy[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    return float((cols[d.argmin(axis=1)] == cols).mean())


def _plot_embeddings(maps: dict[str, list[dict[str, Any]]], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, axes = plt.subplots(1, len(maps), figsize=(6 * len(maps), 5.5))
    for ax, (label, points) in zip(axes, maps.items(), strict=True):
        columns = sorted({p["column"] for p in points})
        cmap = plt.get_cmap("tab20")
        for i, column in enumerate(columns):
            sel = [p for p in points if p["column"] == column]
            ax.scatter([p["x"] for p in sel], [p["y"] for p in sel], s=14, color=cmap(i % 20), label=column)
            for p in sel:
                ax.annotate(str(p["value"])[:10], (p["x"], p["y"]), fontsize=5)
        ax.set_title(label)
    axes[0].legend(fontsize=6, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


EXPERIMENTS = {"supervised": supervised, "semi": semi, "robustness": robustness, "embeddings": embeddings}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m weasul_tabtransformer.reproduce",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("experiment", choices=list(EXPERIMENTS))
    parser.add_argument("--data", default=DEFAULT_DATA, help="folder with the four csv files")
    parser.add_argument("--out", default="runs/tabtransformer", help="where JSON, figures and models go")
    parser.add_argument(
        "--models", default=None, help="where supervised models are saved (default <out>/models)"
    )
    parser.add_argument("--sets", nargs="+", default=None, choices=list(PAPER_SETS))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=8, help="supervised training epochs")
    parser.add_argument("--batch-size", type=int, default=64, help="supervised batch size")
    parser.add_argument(
        "--patience",
        type=int,
        default=None,
        help="supervised: stop after this many epochs without a better valid AUC",
    )
    parser.add_argument(
        "--train-rows", type=int, default=1500, help="training rows sampled per split (0: all)"
    )
    parser.add_argument("--valid-rows", type=int, default=500, help="validation rows (best epoch) (0: all)")
    parser.add_argument(
        "--test-rows", type=int, default=2000, help="test rows for robustness/embeddings (0: all)"
    )
    parser.add_argument(
        "--pool-rows", type=int, default=3000, help="semi: train rows kept, labelled + unlabelled"
    )
    parser.add_argument("--labels", type=int, nargs="+", default=[50, 200, 500])
    parser.add_argument("--pretrain-epochs", type=int, default=4)
    parser.add_argument("--finetune-steps", type=int, default=40, help="semi: optimiser steps of fine-tuning")
    parser.add_argument("--batch", type=int, default=64, help="semi: fine-tuning batch size")
    parser.add_argument("--rates", type=float, nargs="+", default=[0.0, 0.1, 0.2, 0.3, 0.4, 0.5])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--lr", type=float, default=None, help="supervised: learning rate (default: the model's)"
    )
    parser.add_argument("--retrain", action="store_true", help="ignore models saved by an earlier run")
    args = parser.parse_args(argv)
    for key in ("train_rows", "valid_rows", "test_rows", "pool_rows"):
        if getattr(args, key) == 0:
            setattr(args, key, None)
    if args.sets is None:
        args.sets = ["bank"] if args.experiment == "embeddings" else list(PAPER_SETS)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start, cpu, load = time.perf_counter(), time.process_time(), os.getloadavg()
    result = EXPERIMENTS[args.experiment](args)
    result["settings"] = {k: v for k, v in vars(args).items()}
    result["seconds"] = time.perf_counter() - start
    result["cpu_seconds"] = time.process_time() - cpu
    result["load_average"] = {"start": load[0], "end": os.getloadavg()[0]}
    (out / f"{args.experiment}.json").write_text(json.dumps(result, indent=2))
    print("\n".join(result["table"]))
    print(f"wrote {out / (args.experiment + '.json')} in {result['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
