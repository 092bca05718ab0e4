"""Detector ranking (paper Table 1) and the filtering experiment (paper Figure 4), one command.

    python -m weasul_tadpole.experiments.figure4 [--n-mix 3000] [--task-size 500] [--executor dask]

1. Table 1: for each of the five domains as task data, rank the six detectors by F1 (and AUC)
   on a 90/10 split of the task sentences against an equal number of out-of-domain sentences
   from the general mix (averaged over `--repeats` random splits).
2. Figure 4: mix News, Finance, CS and Bio in the paper's proportions (task texts held out),
   fit the filter on the Bio task data and, separately, on the CS task data, drop the 80% most
   anomalous sentences and report where the kept 20% come from. Besides Isolation Forest (the
   paper's choice) the table shows the detector the ranking picked, the distance and
   Moore-Lewis baselines, segment selection (15 sentences) and a five-domain mix with Movies.

Sentence embeddings are cached under `--cache` (default `.weasul-cache/tadpole-embeddings`).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np

from weasul_tadpole.baselines import DistanceScorer, MooreLewisScorer
from weasul_tadpole.corpora import CORPORA
from weasul_tadpole.detectors import PAPER_DETECTORS
from weasul_tadpole.experiments._common import (
    PAPER_SHARES,
    build_mix,
    default_cache,
    experiment_parser,
    finish,
    load,
    make_encoder,
    markdown_table,
    task_sentences,
)
from weasul_tadpole.ranking import make_detector, rank_detectors
from weasul_tadpole.streaming import score_rows
from weasul_tadpole.weights import select_lowest, select_segments

__all__ = ["run", "main"]

_log = logging.getLogger(__name__)

#: The paper's Figure 4 (share of the kept 20% per corpus).
PAPER_FIGURE4 = {
    "bio": {"news": 0.020, "finance": 0.001, "cs": 0.154, "bio": 0.824},
    "cs": {"news": 0.007, "finance": 0.003, "cs": 0.780, "bio": 0.209},
}


def run(
    *,
    root: str | None = None,
    n_mix: int = 3000,
    task_size: int = 500,
    repeats: int = 3,
    fraction: float = 0.2,
    segment_length: int = 15,
    seed: int = 0,
    cache: str | None = None,
    executor: str = "local",
) -> dict[str, Any]:
    """Run both experiments; returns the tables as JSON-ready dicts."""
    from weasul.executor import Executor, ExecutorSpec

    t0 = time.perf_counter()
    corpora = load(root, seed)
    mix4 = build_mix(corpora, {k: int(round(v * n_mix)) for k, v in PAPER_SHARES.items()}, seed=seed)
    mix5 = build_mix(corpora, {k: n_mix // len(CORPORA) for k in CORPORA}, seed=seed)
    encoder = make_encoder(cache if cache is not None else default_cache())
    E4 = encoder.encode(mix4.texts)
    E5 = encoder.encode(mix5.texts)
    tasks = {name: task_sentences(corpora[name], task_size) for name in CORPORA}
    T = {name: encoder.encode(texts) for name, texts in tasks.items()}
    t_embed = time.perf_counter() - t0

    # --- Table 1: detector ranking per task domain ----------------------------------------
    ranking: dict[str, Any] = {}
    for name in CORPORA:
        out_rows = E5[mix5.source != name]
        result = rank_detectors(T[name], out_rows, repeats=repeats, seed=seed)
        ranking[name] = {
            "best": result.best,
            "n_train": result.n_train,
            "n_test": result.n_test,
            "rows": result.rows,
        }

    # --- Figure 4: filter the mix with a filter fitted on Bio / CS task data ----------------
    rng = np.random.default_rng([seed, 7])
    with Executor(ExecutorSpec(kind=executor)) as ex:
        figure: dict[str, Any] = {"input": mix4.shares(), "input_n": len(mix4.texts), "filters": {}}
        for task in ("bio", "cs"):
            variants: dict[str, dict[str, float]] = {}
            detectors = dict.fromkeys(["isolation-forest", ranking[task]["best"]])
            for det in detectors:
                scorer = make_detector(det).fit(T[task])
                s = score_rows(E4, scorer, chunk_size=1024, executor=ex)
                variants[f"{det}"] = mix4.shares(select_lowest(s, fraction))
                if det == "isolation-forest":
                    seg = select_segments(s, fraction=fraction, segment_length=segment_length)
                    variants[f"{det} segments={segment_length}"] = mix4.shares(seg)
                    seg = select_segments(
                        s, fraction=fraction, segment_length=segment_length, groups=mix4.doc
                    )
                    variants[f"{det} segments={segment_length} within documents"] = mix4.shares(seg)
                    s5 = score_rows(E5, scorer, chunk_size=1024, executor=ex)
                    variants["isolation-forest (5-domain mix)"] = mix5.shares(select_lowest(s5, fraction))
            ref_idx = rng.choice(len(mix4.texts), len(tasks[task]), replace=False)
            dist = DistanceScorer().fit(T[task], reference=E4[ref_idx])
            variants["distance"] = mix4.shares(select_lowest(dist.score(E4), fraction))
            ml = MooreLewisScorer().fit(tasks[task], reference=[mix4.texts[i] for i in ref_idx])
            variants["moore-lewis"] = mix4.shares(select_lowest(ml.score(mix4.texts), fraction))
            figure["filters"][task] = variants
        figure["input5"] = mix5.shares()
    return {
        "settings": {
            "n_mix": n_mix,
            "task_size": task_size,
            "repeats": repeats,
            "fraction": fraction,
            "segment_length": segment_length,
            "seed": seed,
            "executor": executor,
            "embedded_sentences": len(
                set(mix4.texts) | set(mix5.texts) | {t for v in tasks.values() for t in v}
            ),
            "embed_seconds": round(t_embed, 1),
            "total_seconds": round(time.perf_counter() - t0, 1),
        },
        "table1": ranking,
        "figure4": figure,
        "paper_figure4": PAPER_FIGURE4,
    }


def _metric(by_detector: dict[str, dict[str, Any]], name: str, key: str) -> Any:
    """A detector's metric, or "n/a" when the ranking could not fit it (its row holds only `error`,
    e.g. robust covariance with fewer training rows than embedding dimensions)."""
    return by_detector.get(name, {}).get(key, "n/a")


def render(result: dict[str, Any]) -> str:
    """Markdown tables of a `run` result."""
    out = []
    names = list(PAPER_DETECTORS)
    cols = [PAPER_DETECTORS[n].paper_name for n in names]
    rows = []
    for task, rec in result["table1"].items():
        by = {r["detector"]: r for r in rec["rows"]}
        rows.append([task, *(_metric(by, n, "f1") for n in names), PAPER_DETECTORS[rec["best"]].paper_name])
    out.append("Table 1 (F1, out-of-domain = positive, detector's own threshold; mean over splits)")
    out.append(markdown_table(["task", *cols, "best"], rows))
    rows = [
        [task, *(_metric({r["detector"]: r for r in rec["rows"]}, n, "auc") for n in names)]
        for task, rec in result["table1"].items()
    ]
    out.append("\nTable 1 (AUC)")
    out.append(markdown_table(["task", *cols], rows))
    failed = sorted(
        {f"{r['detector']} ({r['error']})" for rec in result["table1"].values() for r in rec["rows"] if "error" in r}
    )
    if failed:
        out.append("not fitted (n/a above): " + "; ".join(failed))
    fig = result["figure4"]
    order = list(PAPER_SHARES)
    out.append(
        f"\nFigure 4: share of the kept {result['settings']['fraction']:.0%} per corpus (mix of {fig['input_n']} sentences)"
    )
    header = ["filter", *order]
    rows = [["input data", *(fig["input"][c] for c in order)]]
    for task, variants in fig["filters"].items():
        rows.append([f"paper: filtered ({task})", *(PAPER_FIGURE4[task][c] for c in order)])
        for label, shares in variants.items():
            rows.append([f"{task}: {label}", *(shares.get(c, 0.0) for c in order)])
    out.append(markdown_table(header, rows))
    order5 = list(fig["input5"])
    rows = [["input data (5-domain mix)", *(fig["input5"][c] for c in order5)]]
    for task, variants in fig["filters"].items():
        shares = variants["isolation-forest (5-domain mix)"]
        rows.append([f"{task}: isolation-forest", *(shares.get(c, 0.0) for c in order5)])
    out.append("\nFigure 4, five-domain mix (equal shares, Movies added)")
    out.append(markdown_table(["filter", *order5], rows))
    s = result["settings"]
    out.append(
        f"\n{s['embedded_sentences']} sentences embedded ({s['embed_seconds']} s incl. cache), total {s['total_seconds']} s"
    )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = experiment_parser(__doc__, out="runs/tadpole/figure4.json", n_mix=3000)
    parser.add_argument("--task-size", type=int, default=500, help="task sentences per domain")
    parser.add_argument("--repeats", type=int, default=3, help="random 90/10 splits in the ranking")
    parser.add_argument("--fraction", type=float, default=0.2, help="share of the mix kept")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default=None, help="embedding cache folder")
    parser.add_argument("--executor", choices=["local", "dask"], default="local")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    result = run(
        root=args.data,
        n_mix=args.n_mix,
        task_size=args.task_size,
        repeats=args.repeats,
        fraction=args.fraction,
        seed=args.seed,
        cache=args.cache,
        executor=args.executor,
    )
    return finish(result, args.out, render)


if __name__ == "__main__":
    raise SystemExit(main())
