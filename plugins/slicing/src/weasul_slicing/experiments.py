"""The plugin's experiments: P, P_up, S and S_up (Park et al., Table 3) on one data set.

    python -m weasul_slicing.experiments latent|synthetic|trec|agnews [--config default|paper|both]
        [--seeds 3] [--split test|valid] [--encoder auto|minilm|tfidf] [--epochs N] [--out DIR]

For each config one markdown table (accuracy in %, mean ± sd over seeds: overall, all tail items
pooled, items in no tail slice, every tail slice, with the evaluation split's item counts) and,
with `--out`, `results.json` and `slice_metrics.{csv,md,png}` per config. Slices come from slice
functions applied with `weasul_slicing.slice_matrix` (the labeling-function applier). `--split
valid` evaluates on the dev split, where settings are chosen; `test` is for reporting.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import weasul
from weasul.errors import DataError, PluginError
from weasul.plugins import load_class

from weasul_slicing.metrics import SliceMetricsReporter
from weasul_slicing.sf import slice_matrix, slice_names

if TYPE_CHECKING:
    from weasul.interfaces import Encoder

__all__ = [
    "DEPTH",
    "HEADS",
    "SliceData",
    "agnews_data",
    "latent_data",
    "methods",
    "compare",
    "format_results",
    "main",
    "summarise",
    "synthetic_data",
    "trec_data",
]

_log = logging.getLogger(__name__)

#: The compared heads: label -> (entry-point name, params). All get the same `common` params.
HEADS: dict[str, tuple[str, dict[str, Any]]] = {
    "backbone": ("backbone", {}),
    "upsample x10": ("upsample", {"factor": 10}),
    "mixture-of-experts": ("mixture-of-experts", {}),
    "SBL a1 tau=1.0": ("slice-attention", {"attention": "a1", "tau": 1.0}),
    "SBL a2 tau=1.0": ("slice-attention", {"attention": "a2", "tau": 1.0}),
    "SBL a1 tau=0.1": ("slice-attention", {"attention": "a1", "tau": 0.1}),
    "SBL a2 tau=0.1": ("slice-attention", {"attention": "a2", "tau": 0.1}),
}


def methods(
    config: str = "default", epochs: int | None = None, depth: int = 2
) -> dict[str, tuple[str, dict[str, Any]]]:
    """Table 3's models for `config` (`default` or `paper`): P, P trained twice as long (S and
    S_up train P, then as many epochs of the slice stage), P_up (tail members x10), S (slicing on
    P) and S_up (slicing on P_up, trained on the same upsampled set). Every backbone has `depth`
    layers."""
    e = epochs or (10 if config == "paper" else 20)
    return {
        "P": ("backbone", {"epochs": e, "depth": depth}),
        "P 2x epochs": ("backbone", {"epochs": 2 * e, "depth": depth}),
        "P_up x10": ("upsample", {"factor": 10, "epochs": e, "depth": depth}),
        "S": ("slice-attention", {"config": config, "epochs": e, "depth": depth}),
        "S_up x10": (
            "slice-attention",
            {"config": config, "epochs": e, "depth": depth, "upsample_factor": 10},
        ),
    }


#: Backbone depth per data set, chosen by P's own accuracy on the dev split (2 seeds, 20 epochs):
#: latent 92.40 (depth 2) vs 91.71 (1); trec/MiniLM 83.20 vs 82.50; agnews/TF-IDF 85.10 vs 85.90.
DEPTH = {"latent": 2, "synthetic": 2, "trec": 2, "agnews": 1}


@dataclass
class SliceData:
    """Train and test features, labels and slice matrices, with S's column names."""

    X_train: np.ndarray
    y_train: np.ndarray
    S_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    S_test: np.ndarray
    names: list[str]
    info: dict[str, Any] = field(default_factory=dict)


def synthetic_data(
    seed: int = 0, *, n_train: int = 4000, n_test: int = 4000, n_tail: int = 3, tail_share: float = 0.02
) -> SliceData:
    """The generated tail-slice set (see `weasul_slicing.synthetic`), slices from its slice functions."""
    from weasul_slicing.synthetic import SLICE_FUNCTIONS, items_frame, make_slice_data

    d = 10
    sfs = SLICE_FUNCTIONS[:n_tail]
    X_tr, y_tr, i_tr = make_slice_data(n_train, d=d, n_tail=n_tail, tail_share=tail_share, seed=3 * seed)
    X_te, y_te, i_te = make_slice_data(n_test, d=d, n_tail=n_tail, tail_share=tail_share, seed=3 * seed + 2)
    S_tr = slice_matrix(sfs, items_frame(X_tr, i_tr, d))
    S_te = slice_matrix(sfs, items_frame(X_te, i_te, d))
    return SliceData(
        X_tr, y_tr, S_tr, X_te, y_te, S_te, slice_names(sfs), {"data": "synthetic", "seed": seed}
    )


def latent_data(seed: int = 0, *, split: str = "test", n_train: int = 4000, n_test: int = 4000) -> SliceData:
    """The latent-region set (`weasul_slicing.latent`): membership is not a feature of X."""
    from weasul_slicing.latent import SLICE_FUNCTIONS, items_frame, make_latent_slices

    X_tr, y_tr, Z_tr = make_latent_slices(n_train, seed=3 * seed)
    X_te, y_te, Z_te = make_latent_slices(n_test, seed=3 * seed + (1 if split == "valid" else 2))
    S_tr = slice_matrix(SLICE_FUNCTIONS, items_frame(Z_tr))
    S_te = slice_matrix(SLICE_FUNCTIONS, items_frame(Z_te))
    info = {"data": "latent", "seed": seed, "split": split}
    return SliceData(X_tr, y_tr, S_tr, X_te, y_te, S_te, slice_names(SLICE_FUNCTIONS), info)


def _encode_text(
    train: Sequence[str], test: Sequence[str], encoder: str, cache_dir: str | None
) -> tuple[np.ndarray, np.ndarray, str]:
    if encoder in ("auto", "minilm"):
        try:
            cls = cast("type[Encoder]", load_class("encoders", "sentence-minilm"))
            fields = getattr(cls.Params, "model_fields", {})
            enc = cls(cache_dir=cache_dir) if (cache_dir and "cache_dir" in fields) else cls()
            enc.fit(list(train))
            return np.asarray(enc.encode(list(train))), np.asarray(enc.encode(list(test))), "sentence-minilm"
        except PluginError as err:
            if encoder == "minilm":
                raise
            _log.warning("sentence-minilm encoder not available (%s); using TF-IDF + TruncatedSVD", err)
    from sklearn.decomposition import TruncatedSVD

    tfidf = weasul.create("encoders", "tfidf", ngram_max=2, min_df=2)
    tfidf.fit(list(train))
    svd = TruncatedSVD(n_components=256, random_state=0)
    X_tr = svd.fit_transform(tfidf.encode(list(train)))
    X_te = svd.transform(tfidf.encode(list(test)))
    scale = float(np.sqrt((X_tr**2).sum(axis=1).mean()))
    return X_tr / scale, X_te / scale, "tfidf+svd256"


#: TREC's fine question types. In the shared WRENCH `trec/test.json` every question starts with
#: its fine type ("def What is an atom ?") and keeps its capitals, unlike train and valid.
def trec_data(
    path: str,
    *,
    encoder: str = "auto",
    cache_dir: str | None = ".weasul-cache/embeddings",
    split: str = "test",
) -> SliceData:
    """TREC question types with gold labels: the backbone features (MiniLM sentence embeddings if the
    `sentence-minilm` encoder is installed, else TF-IDF + TruncatedSVD) and the slices of
    `weasul_slicing.trec_slices`. Trains on `train` (WRENCH size, 4965), evaluates on `split`."""
    from weasul_slicing.trec_slices import SLICE_FUNCTIONS

    ds = weasul.create("datasets", "wrench", path=path, drop_labeled_ids=True).load()
    train, test = ds.train, ds[split]
    if train.y is None or test.y is None or train.items is None or test.items is None:
        raise DataError(f"{path}: trec needs gold labels and items in train and {split}")
    tr_items, te_items = train.items, test.items  # the wrench loader removes trec's test label leak
    X_tr, X_te, used = _encode_text(tr_items["text"].tolist(), te_items["text"].tolist(), encoder, cache_dir)
    S_tr = slice_matrix(SLICE_FUNCTIONS, tr_items)
    S_te = slice_matrix(SLICE_FUNCTIONS, te_items)
    info = {
        "data": "trec",
        "encoder": used,
        "split": split,
        "class_names": list(ds.class_names),
    }
    return SliceData(X_tr, train.y, S_tr, X_te, test.y, S_te, slice_names(SLICE_FUNCTIONS), info)


def agnews_data(
    path: str,
    *,
    encoder: str = "tfidf",
    cache_dir: str | None = ".weasul-cache/embeddings",
    split: str = "test",
) -> SliceData:
    """AG News topics (the shared 7600-row split, see `weasul_slicing.agnews_slices.load_agnews`)
    with keyword slice functions; features TF-IDF + TruncatedSVD (default) or MiniLM."""
    from weasul_slicing.agnews_slices import CLASS_NAMES, SLICE_FUNCTIONS, load_agnews

    splits = load_agnews(path)
    train, test = splits["train"], splits[split]
    X_tr, X_te, used = _encode_text(train["text"].tolist(), test["text"].tolist(), encoder, cache_dir)
    S_tr = slice_matrix(SLICE_FUNCTIONS, train)
    S_te = slice_matrix(SLICE_FUNCTIONS, test)
    info = {"data": "agnews", "encoder": used, "split": split, "class_names": list(CLASS_NAMES)}
    y_tr, y_te = train["label"].to_numpy(), test["label"].to_numpy()
    return SliceData(X_tr, y_tr, S_tr, X_te, y_te, S_te, slice_names(SLICE_FUNCTIONS), info)


def _scores(y: np.ndarray, pred: np.ndarray, S: np.ndarray, names: Sequence[str]) -> dict[str, float]:
    ok = pred == y
    tail = S[:, 1:].any(axis=1)
    out = {
        "overall": float(ok.mean()),
        "tail": float(ok[tail].mean()) if tail.any() else float("nan"),
        "rest": float(ok[~tail].mean()) if (~tail).any() else float("nan"),
    }
    for j, name in enumerate(names[1:], start=1):
        rows = S[:, j] == 1
        out[name] = float(ok[rows].mean()) if rows.any() else float("nan")
    return out


def compare(
    data_for_seed: Any,
    seeds: Sequence[int],
    heads: dict[str, tuple[str, dict[str, Any]]] | None = None,
    **common: Any,
) -> list[dict[str, Any]]:
    """Fit every head on every seed's data; one row per (head, seed) with accuracies and fit time.

    `data_for_seed(seed) -> SliceData`; `common` params go to every head (e.g. epochs=20).
    """
    heads = HEADS if heads is None else heads
    warm = synthetic_data(0, n_train=200, n_test=20, tail_share=0.05)
    for name, _ in heads.values():  # import torch and warm up outside the timings
        weasul.create("slice_heads", name, epochs=1, num_threads=1).fit(
            warm.X_train, warm.y_train, warm.S_train
        )
    rows = []
    cache: dict[int, SliceData] = {}
    for seed in seeds:
        data = cache.setdefault(seed, data_for_seed(seed))
        for label, (name, params) in heads.items():
            head = weasul.create("slice_heads", name, **{**common, **params, "seed": seed})
            start = time.perf_counter()
            head.fit(data.X_train, data.y_train, data.S_train)
            seconds = time.perf_counter() - start
            pred = head.predict(data.X_test, data.S_test)
            rows.append(
                {
                    "model": label,
                    "seed": seed,
                    "fit_s": seconds,
                    **_scores(data.y_test, pred, data.S_test, data.names),
                }
            )
            _log.info(
                "%s seed %d: overall %.4f tail %.4f", label, seed, rows[-1]["overall"], rows[-1]["tail"]
            )
        cache.pop(seed)
    return rows


def summarise(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean (and sd of overall/tail) over seeds, per model, in first-seen order."""
    out = []
    for model in dict.fromkeys(r["model"] for r in rows):
        mine = [r for r in rows if r["model"] == model]
        keys = [k for k in mine[0] if k not in ("model", "seed")]
        mean = {k: float(np.nanmean([r[k] for r in mine])) for k in keys}
        mean["overall_sd"] = float(np.std([r["overall"] for r in mine]))
        mean["tail_sd"] = float(np.std([r["tail"] for r in mine]))
        out.append({"model": model, "seeds": len(mine), **mean})
    return out


def format_results(
    summary: Sequence[dict[str, Any]], names: Sequence[str], sizes: dict[str, int] | None = None
) -> str:
    """A markdown table of accuracies in % (mean over seeds)."""
    tails = list(names[1:])
    head = ["model", "overall", "tail (pooled)", "no tail slice", *tails, "fit s"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    if sizes:
        lines.append(
            "| test items | "
            + " | ".join(str(sizes.get(k, "")) for k in ["overall", "tail", "rest", *tails])
            + " | |"
        )
    for r in summary:
        cells = [
            f"{100 * r['overall']:.2f} ± {100 * r['overall_sd']:.2f}",
            f"{100 * r['tail']:.2f} ± {100 * r['tail_sd']:.2f}",
            f"{100 * r['rest']:.2f}",
            *(f"{100 * r[t]:.1f}" for t in tails),
            f"{r['fit_s']:.1f}",
        ]
        lines.append(f"| {r['model']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _sizes(S: np.ndarray, names: Sequence[str]) -> dict[str, int]:
    tail = S[:, 1:].any(axis=1)
    return {
        "overall": len(S),
        "tail": int(tail.sum()),
        "rest": int((~tail).sum()),
        **{n: int(S[:, j].sum()) for j, n in enumerate(names) if j},
    }


def _write(
    out: Path,
    summary: list[dict[str, Any]],
    rows: list[dict[str, Any]],
    names: Sequence[str],
    info: dict[str, Any],
) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps({"info": info, "summary": summary, "runs": rows}, indent=1))
    metrics = {
        r["model"]: {
            "test": {
                "accuracy": r["overall"],
                "slices": {
                    **{"tail (pooled)": {"accuracy": r["tail"]}},
                    **{n: {"accuracy": r[n]} for n in names[1:]},
                },
            }
        }
        for r in summary
    }
    return [
        out / "results.json",
        *SliceMetricsReporter(title=f"{info.get('data')}: accuracy by slice").write(out, metrics),
    ]


def _data_for(args: argparse.Namespace) -> Any:
    """`seed -> SliceData` for the chosen data set (real sets: fixed data, the seed changes
    initialisation and batch order)."""
    if args.data == "latent":
        return lambda seed: latent_data(seed, split=args.split)
    if args.data == "synthetic":
        return synthetic_data
    if args.data == "trec":
        fixed = trec_data(args.path, encoder=args.encoder, cache_dir=args.cache_dir, split=args.split)
    else:
        path = args.path if args.path != _TREC else "../shared/data/text-domains/news_agnews"
        encoder = "tfidf" if args.encoder == "auto" else args.encoder
        fixed = agnews_data(path, encoder=encoder, cache_dir=args.cache_dir, split=args.split)
    return lambda seed: fixed


_TREC = "../shared/data/wrench/trec"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m weasul_slicing.experiments", description=__doc__.split("\n")[0]
    )
    parser.add_argument("data", choices=["latent", "synthetic", "trec", "agnews"])
    parser.add_argument("--config", choices=["default", "paper", "both"], default="both")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=None, help="default: 10 (paper), 20 (default)")
    parser.add_argument("--depth", type=int, default=None, help="backbone layers; default: DEPTH[data]")
    parser.add_argument(
        "--encoder",
        choices=["auto", "minilm", "tfidf"],
        default="auto",
        help="text features; auto: MiniLM for trec if installed, TF-IDF for agnews",
    )
    parser.add_argument("--path", default=_TREC, help="data folder (trec: WRENCH trec; agnews: news_agnews)")
    parser.add_argument("--cache-dir", default=".weasul-cache/embeddings")
    parser.add_argument("--split", choices=["test", "valid"], default="test", help="evaluation split")
    parser.add_argument("--out", default=None, help="folder for results.json and slice_metrics.*")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    warnings.filterwarnings("ignore", "Mean of empty slice", RuntimeWarning)
    try:
        data_for_seed = _data_for(args)
        first = data_for_seed(0)
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    seeds = list(range(args.seeds))
    for config in ("default", "paper") if args.config == "both" else (args.config,):
        rows = compare(
            data_for_seed, seeds, methods(config, args.epochs, args.depth or DEPTH[args.data]), num_threads=1
        )
        summary = summarise(rows)
        info = {**first.info, "config": config, "seeds": len(seeds), "depth": args.depth or DEPTH[args.data]}
        info.pop("seed", None)
        print(f"# {info}")
        print(format_results(summary, first.names, _sizes(first.S_test, first.names)))
        if args.out:
            for path in _write(Path(args.out) / config, summary, rows, first.names, info):
                print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
