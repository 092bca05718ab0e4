"""TADPOLE end to end at CPU scale (paper Table 3 and the Fig. 2 proxy check), one command.

    python -m weasul_tadpole.experiments.table3            # full sizes (projected ~39 min CPU, 1 core)
    python -m weasul_tadpole.experiments.table3 --quick    # reduced sizes (measured 13.5 min CPU)

1. General corpus: the general parts of the five text domains (News, Finance, CS, Bio,
   Movies; no labelled task text), equal shares, documents grouped into pages of at least
   `segment_length` consecutive sentences of one source, pages shuffled together.
2. Base model: a small BERT (`--layers` x `--hidden`, WordPiece vocabulary trained on the
   general corpus, tied-embedding MLM head) pre-trained from scratch for `--base-steps` MLM
   steps on instances packed from consecutive sentences of a page.
3. Continued pre-training from the base for `--share` x base steps (same batch, same schedule)
   on each arm's corpus (the paper's Table 3 columns): `general` (the whole corpus), `random`
   (random 20% of the segments), `task` (the task's unlabelled training texts), `moore-lewis`,
   `distance` and `tadpole`. Each scored arm keeps the 20% of the corpus in the segments of 15
   sentences with the lowest mean score (the paper's discrete weights, Sec. 3.2); TADPOLE's
   detector (Isolation Forest, Alg. 1: fitted on the task texts plus t/10 general sentences)
   and the distance baseline use the base model's mean-pooled sentence embeddings, as the
   paper embeds with the BERT it adapts. `general` and `random` do not depend on the task and
   are trained once.
4. Fine-tuning of every arm on every task with `--seeds` seeds; checkpoint = best dev epoch;
   test accuracy of that checkpoint. Fig. 2: held-out MLM loss on the task's dev texts vs
   mean test accuracy across the arms, Spearman rank correlation per task and pooled.

Nothing here looks at test data before the final score; no hyperparameter was tuned on it.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from typing import Any

import numpy as np

from weasul_tadpole.corpora import CORPORA, Corpus
from weasul_tadpole.experiments._common import (
    Mix,
    build_mix,
    experiment_parser,
    finish,
    load,
    markdown_table,
)
from weasul_tadpole.tasks import TASKS, LabelledTask, load_task
from weasul_tadpole.weights import segment_ids, select_segments

__all__ = ["ARMS", "PAPER_TABLE3", "QUICK", "run", "render", "main"]

_log = logging.getLogger(__name__)

#: Table 3's columns, in the paper's order (LM = Moore-Lewis).
ARMS = ("base", "general", "random", "task", "moore-lewis", "distance", "tadpole")

#: The paper's Table 3 (BERT-base, mean ± std over 8 fine-tuning seeds; F1 or accuracy per task).
PAPER_TABLE3: dict[str, list[tuple[float, float]]] = {
    "HYPERPARTISAN": [
        (70.57, 3.04),
        (70.97, 2.03),
        (71.04, 2.32),
        (70.88, 2.63),
        (71.47, 2.56),
        (72.16, 2.14),
        (73.58, 2.39),
    ],
    "ACL-ARC": [
        (72.31, 4.7),
        (72.38, 3.93),
        (72.42, 3.71),
        (72.46, 3.48),
        (72.40, 1.85),
        (72.47, 2.64),
        (72.81, 3.83),
    ],
    "SCIERC": [
        (82.84, 1.39),
        (82.85, 1.38),
        (82.81, 1.13),
        (83.18, 1.09),
        (82.99, 2.75),
        (83.40, 2.17),
        (85.85, 0.95),
    ],
    "CHEMPROT": [
        (81.62, 0.74),
        (81.59, 0.67),
        (81.62, 0.71),
        (81.63, 0.82),
        (81.83, 0.74),
        (81.64, 0.76),
        (82.41, 0.62),
    ],
    "IMDB": [
        (88.65, 0.24),
        (88.53, 0.27),
        (88.63, 0.26),
        (88.77, 0.39),
        (88.67, 0.44),
        (88.69, 0.47),
        (89.29, 0.22),
    ],
    "SST": [
        (92.02, 0.29),
        (92.21, 0.31),
        (92.14, 0.24),
        (92.21, 0.24),
        (92.25, 0.4),
        (92.15, 0.35),
        (92.42, 0.32),
    ],
    "AGNEWS": [
        (93.99, 0.13),
        (94.06, 0.19),
        (94.09, 0.11),
        (94.04, 0.08),
        (94.03, 0.13),
        (94.04, 0.11),
        (94.03, 0.16),
    ],
    "HELPFULNESS": [
        (69.30, 0.60),
        (69.39, 0.78),
        (69.34, 0.58),
        (69.41, 0.50),
        (69.58, 0.59),
        (69.42, 0.69),
        (69.70, 0.92),
    ],
    "RCT20K": [
        (87.52, 0.16),
        (87.57, 0.16),
        (87.54, 0.17),
        (87.60, 0.18),
        (87.85, 0.23),
        (87.62, 0.24),
        (87.82, 0.13),
    ],
}
#: The paper's "Average Gain" rows over Base (small tasks < 5K examples, all tasks).
PAPER_GAINS = {
    "small": [0.11, 0.15, 0.20, 0.34, 0.34, 1.82],
    "all": [0.08, 0.09, 0.15, 0.25, 0.32, 1.01],
}

#: Sizes of `--quick` (the documented reduced table).
QUICK: dict[str, Any] = {"n_mix": 8000, "base_steps": 600, "seeds": [0, 1, 2], "epochs": 4, "max_train": 500}


def _pages(docs: list[list[str]], size: int) -> list[list[str]]:
    """Consecutive documents of one source joined into pages of at least `size` sentences."""
    out: list[list[str]] = []
    cur: list[str] = []
    for doc in docs:
        cur.extend(doc)
        if len(cur) >= size:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


def _runs(mask: np.ndarray, texts: list[str], doc: np.ndarray) -> list[list[str]]:
    """Kept sentences as runs of consecutive kept sentences of one page (never joined across)."""
    out: list[list[str]] = []
    prev = -2
    for i in np.flatnonzero(mask):
        if i == prev + 1 and doc[i] == doc[prev]:
            out[-1].append(texts[i])
        else:
            out.append([texts[i]])
        prev = int(i)
    return out


class _Clock:
    """Wall and CPU seconds per phase, and the load average at each mark."""

    def __init__(self) -> None:
        self.t0, self.c0 = time.perf_counter(), time.process_time()
        self.phases: dict[str, list[float]] = {}
        self.load: list[float] = [round(os.getloadavg()[0], 2)]

    def add(self, name: str, wall: float, cpu: float) -> None:
        rec = self.phases.setdefault(name, [0.0, 0.0])
        rec[0] += wall
        rec[1] += cpu
        self.load.append(round(os.getloadavg()[0], 2))

    def summary(self) -> dict[str, Any]:
        return {
            "wall_s": round(time.perf_counter() - self.t0, 1),
            "cpu_s": round(time.process_time() - self.c0, 1),
            "phases": {
                k: {"wall_s": round(v[0], 1), "cpu_s": round(v[1], 1)} for k, v in self.phases.items()
            },
            "load1_min_mean_max": [min(self.load), round(float(np.mean(self.load)), 2), max(self.load)],
        }


def _timed(clock: _Clock, name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    w, c = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    clock.add(name, time.perf_counter() - w, time.process_time() - c)
    return out


def _general_corpus(corpora: dict[str, Corpus], n_mix: int, page: int, seed: int) -> Mix:
    paged = {k: dataclasses.replace(c, general=_pages(c.general, page)) for k, c in corpora.items()}
    return build_mix(paged, {k: n_mix // len(CORPORA) for k in CORPORA}, seed=seed)


def _select(
    arm: str,
    mix: Mix,
    E: np.ndarray,
    task: LabelledTask,
    T: np.ndarray,
    *,
    fraction: float,
    segment_length: int,
    detector: str,
    seed: int,
    picked: dict[str, str],
) -> tuple[list[list[str]], np.ndarray]:
    """(runs of training sentences, (n,) kept mask over the mix; all-False for `task`) of one arm."""
    from weasul_tadpole.baselines import DistanceScorer, MooreLewisScorer
    from weasul_tadpole.tadpole import TadpoleScorer

    n = len(mix.texts)
    rng = np.random.default_rng([seed, 5])
    if arm == "general":
        return _runs(np.ones(n, dtype=bool), mix.texts, mix.doc), np.ones(n, dtype=bool)
    if arm == "task":
        texts = task.texts("train")
        return _pages([[t] for t in texts], segment_length), np.zeros(n, dtype=bool)
    if arm == "random":
        seg = segment_ids(n, segment_length, mix.doc)
        scores = rng.random(int(seg[-1]) + 1)[seg]
    elif arm == "tadpole":
        # Alg. 1: detector fitted on the task sentences plus t/10 general sentences
        # detector="best": the paper's ranking criterion (Sec. 3.1) picks among its six detectors
        select = "best" if detector == "best" else "fixed"
        fixed = "isolation-forest" if detector == "best" else detector
        tad = TadpoleScorer(select=select, detector=fixed, general_mix=0.1, seed=seed)
        scores = tad.fit(T, general=E).score(E)
        _log.info("tadpole detector for %s: %s", task.name, tad.detector_name_)
        picked[task.name] = tad.detector_name_
    else:
        ref = rng.choice(n, min(n, len(T)), replace=False)
        if arm == "distance":
            scores = DistanceScorer().fit(T, reference=E[ref]).score(E)
        elif arm == "moore-lewis":
            ml = MooreLewisScorer().fit(task.texts("train"), reference=[mix.texts[i] for i in ref])
            scores = ml.score(mix.texts)
        else:
            raise ValueError(f"unknown arm '{arm}'; choose from {', '.join(ARMS)}")
    keep = select_segments(scores, fraction=fraction, segment_length=segment_length, groups=mix.doc)
    return _runs(keep, mix.texts, mix.doc), keep


def _cap(task: LabelledTask, n: int | None) -> LabelledTask:
    """At most `n` training examples (the first, in the split's order); dev and test untouched."""
    return task if n is None else dataclasses.replace(task, train=task.train[:n])


def _stats(values: list[float]) -> dict[str, float]:
    a = np.asarray(values, dtype=np.float64)
    return {"mean": float(a.mean()), "std": float(a.std(ddof=1)) if a.size > 1 else 0.0}


def run(
    *,
    root: str | None = None,
    tasks: list[str] | None = None,
    arms: list[str] | None = None,
    n_mix: int = 16000,
    vocab_size: int = 4000,
    layers: int = 2,
    hidden: int = 64,
    heads: int = 2,
    max_length: int = 64,
    base_steps: int = 1500,
    share: float = 0.2,
    batch_size: int = 32,
    base_lr: float = 1e-3,
    cont_lr: float = 5e-4,
    fraction: float = 0.2,
    segment_length: int = 15,
    detector: str = "best",
    seeds: list[int] | None = None,
    epochs: int = 5,
    ft_lr: float = 2e-3,
    ft_batch: int = 16,
    ft_max_length: int = 64,
    max_train: int | None = 1000,
    pooling: str = "mean",
    seed: int = 0,
) -> dict[str, Any]:
    """Pre-train, continue per arm, fine-tune per task and seed; returns a JSON-ready dict."""
    from weasul.lazy import require

    sb = require("weasul_tadpole._smallbert", extra="text", distribution="weasul-tadpole")
    mlm_mod = require("weasul_tadpole._mlm", extra="text", distribution="weasul-tadpole")
    ft = require("weasul_tadpole.finetune", extra="text", distribution="weasul-tadpole")
    import torch

    torch.set_num_threads(1)
    tasks = list(tasks or TASKS)
    arms = list(arms or ARMS)
    if "base" not in arms:
        arms.insert(0, "base")
    seeds = list(seeds if seeds is not None else [0, 1, 2, 3, 4])
    cont_steps = max(1, int(round(share * base_steps)))
    clock = _Clock()

    corpora = load(root, seed)
    labelled = {name: _cap(load_task(name, root, seed=seed), max_train) for name in tasks}
    mix = _general_corpus(corpora, n_mix, segment_length, seed)
    tok = _timed(clock, "tokenizer", sb.train_wordpiece, mix.texts, vocab_size=vocab_size)
    all_runs = _runs(np.ones(len(mix.texts), dtype=bool), mix.texts, mix.doc)
    model = sb.new_mlm(len(tok), layers=layers, hidden=hidden, heads=heads, max_length=max_length, seed=seed)
    lm = mlm_mod.MLM(tok, model, max_length=max_length)
    base_instances = sb.pack(tok, all_runs, max_length=max_length)
    base_losses = _timed(
        clock,
        "base pre-training",
        lm.train,
        base_instances,
        steps=base_steps,
        batch_size=batch_size,
        lr=base_lr,
        seed=seed,
    )
    base_state = lm.state()
    _log.info(
        "base: %d steps, loss %.3f -> %.3f", base_steps, np.mean(base_losses[:20]), np.mean(base_losses[-20:])
    )
    E = _timed(clock, "embedding", sb.embed, tok, model.bert, mix.texts)
    # held-out MLM loss: the task's dev texts (Fig. 2's L_in) and held-out sentences of every domain
    ev_general = lm.tokenize(
        [s for c in CORPORA for s in Corpus.sentences(corpora[c].heldout, limit=100) if c not in labelled]
        + [t for name in labelled for t in labelled[name].texts("dev")[:100]]
    )
    ev_task = {name: lm.tokenize(t.texts("dev")) for name, t in labelled.items()}

    states: dict[tuple[str, str], Any] = {}
    pre: dict[str, dict[str, Any]] = {name: {} for name in tasks}

    def continue_from_base(runs: list[list[str]], key: str) -> Any:
        lm.restore(base_state)
        inst = sb.pack(tok, runs, max_length=max_length)
        _timed(
            clock,
            "continued pre-training",
            lm.train,
            inst,
            steps=cont_steps,
            batch_size=batch_size,
            lr=cont_lr,
            seed=seed + 17,
        )
        _log.info("continued pre-training: %s (%d instances)", key, len(inst))
        return lm.state(), len(inst)

    shared: dict[str, Any] = {}
    picked: dict[str, str] = {}
    for name in tasks:
        task = labelled[name]
        lm.restore(base_state)
        T = sb.embed(tok, lm.model.bert, task.texts("train"))
        for arm in arms:
            if arm == "base":
                state, n_inst, keep = base_state, len(base_instances), np.ones(len(mix.texts), dtype=bool)
            elif arm in ("general", "random") and arm in shared:
                state, n_inst, keep = shared[arm]
            else:
                runs, keep = _timed(
                    clock,
                    "selection",
                    _select,
                    arm,
                    mix,
                    E,
                    task,
                    T,
                    fraction=fraction,
                    segment_length=segment_length,
                    detector=detector,
                    seed=seed,
                    picked=picked,
                )
                state, n_inst = continue_from_base(runs, arm)
                if arm in ("general", "random"):
                    shared[arm] = (state, n_inst, keep)
            lm.restore(state)
            states[(name, arm)] = state
            in_domain = float(np.mean(mix.source[keep] == name)) if keep.any() else 1.0
            pre[name][arm] = {
                "instances": n_inst,
                "kept_sentences": int(keep.sum()) if arm != "task" else len(task.train),
                "task_domain_share": in_domain,
                "dev_mlm_loss": lm.evaluate(ev_task[name]),
                "general_mlm_loss": lm.evaluate(ev_general),
            }

    results: dict[str, dict[str, Any]] = {name: {} for name in tasks}
    for name in tasks:
        task = labelled[name]
        data = {s: (task.texts(s), task.labels(s)) for s in ("train", "dev", "test")}
        for arm in arms:
            lm.restore(states[(name, arm)])
            runs_ = [
                _timed(
                    clock,
                    "fine-tuning",
                    ft.finetune,
                    lm.model.bert,
                    tok,
                    data["train"],
                    data["dev"],
                    data["test"],
                    n_classes=len(task.classes),
                    epochs=epochs,
                    lr=ft_lr,
                    batch_size=ft_batch,
                    max_length=ft_max_length,
                    pooling=pooling,
                    seed=s,
                )
                for s in seeds
            ]
            rec: dict[str, Any] = {
                "test_acc": [r.test_acc for r in runs_],
                "test_macro_f1": [r.test_macro_f1 for r in runs_],
                "best_epoch": [r.best_epoch for r in runs_],
                "dev_acc": [max(r.dev_acc) for r in runs_],
            }
            rec["acc"] = _stats(rec["test_acc"])
            rec["macro_f1"] = _stats(rec["test_macro_f1"])
            results[name][arm] = rec
            _log.info("%s / %s: acc %.4f ± %.4f", name, arm, rec["acc"]["mean"], rec["acc"]["std"])

    return {
        "settings": {
            "tasks": tasks,
            "arms": arms,
            "n_mix": len(mix.texts),
            "mix_shares": mix.shares(),
            "vocab_size": len(tok),
            "layers": layers,
            "hidden": hidden,
            "heads": heads,
            "max_length": max_length,
            "parameters": int(sum(p.numel() for p in model.parameters())),
            "base_steps": base_steps,
            "continued_steps": cont_steps,
            "share": share,
            "batch_size": batch_size,
            "base_instances": len(base_instances),
            "base_lr": base_lr,
            "cont_lr": cont_lr,
            "fraction": fraction,
            "segment_length": segment_length,
            "detector": detector,
            "tadpole_detector": picked,
            "seeds": seeds,
            "epochs": epochs,
            "ft_lr": ft_lr,
            "max_train": max_train,
            "ft_batch": ft_batch,
            "pooling": pooling,
            "task_sizes": {n: [len(t.train), len(t.dev), len(t.test)] for n, t in labelled.items()},
            "base_loss_first_last": [float(np.mean(base_losses[:20])), float(np.mean(base_losses[-20:]))],
        },
        "pretraining": pre,
        "finetuning": results,
        "fig2": _fig2(pre, results),
        "runtime": clock.summary(),
    }


def _fig2(pre: dict[str, Any], results: dict[str, Any]) -> dict[str, Any]:
    """Spearman rank correlation of dev MLM loss vs mean test accuracy across arms (Fig. 2),
    per task and pooled (accuracy and loss as differences from each task's base)."""
    from scipy.stats import spearmanr

    out: dict[str, Any] = {"per_task": {}}
    pooled_loss, pooled_acc = [], []
    for name, arms in results.items():
        loss = [pre[name][a]["dev_mlm_loss"] for a in arms]
        acc = [arms[a]["acc"]["mean"] for a in arms]
        rho = spearmanr(loss, acc).statistic if len(set(loss)) > 1 and len(set(acc)) > 1 else float("nan")
        out["per_task"][name] = {"spearman": float(rho), "loss": loss, "acc": acc}
        pooled_loss += [v - loss[0] for v in loss[1:]]
        pooled_acc += [v - acc[0] for v in acc[1:]]
    if len(pooled_loss) > 2:
        res = spearmanr(pooled_loss, pooled_acc)
        out["pooled"] = {"spearman": float(res.statistic), "p": float(res.pvalue), "n": len(pooled_loss)}
    return out


def render(result: dict[str, Any]) -> str:
    """Table 3 layout (tasks x arms, test accuracy % mean ± std) beside the paper's, and Fig. 2."""
    s = result["settings"]
    arms = s["arms"]
    fin = result["finetuning"]
    out = [
        f"Table 3 at CPU scale: small BERT {s['layers']}x{s['hidden']} ({s['parameters']:,} parameters, vocab "
        f"{s['vocab_size']}), base {s['base_steps']} MLM steps x {s['batch_size']}, continued {s['continued_steps']} "
        f"steps ({s['share']:.0%} of base) per arm; test accuracy % (mean ± std over seeds {s['seeds']}, "
        "checkpoint = best dev epoch)"
    ]
    rows = []
    for name in fin:
        n = s["task_sizes"][name]
        rows.append(
            [f"{name} ({n[0]}/{n[1]}/{n[2]})"]
            + [
                f"{100 * fin[name][a]['acc']['mean']:.2f} ± {100 * fin[name][a]['acc']['std']:.2f}"
                for a in arms
            ]
        )
    gains = []
    for a in arms[1:]:
        g = [100 * (fin[n][a]["acc"]["mean"] - fin[n]["base"]["acc"]["mean"]) for n in fin]
        gains.append(f"{np.mean(g):+.2f}")
    rows.append(["Average gain vs base", "-", *gains])
    out.append(markdown_table(["task (train/dev/test)", *arms], rows))
    out.append(
        "\nHeld-out MLM loss on the task's dev texts (nats per masked token) and task-domain share of each arm's corpus"
    )
    rows = []
    for name, by in result["pretraining"].items():
        rows.append(
            [name, *(f"{by[a]['dev_mlm_loss']:.3f} ({by[a]['task_domain_share']:.2f})" for a in arms)]
        )
    rows.append(
        [
            f"general held-out loss ({next(iter(fin))} arms)",
            *(f"{result['pretraining'][next(iter(fin))][a]['general_mlm_loss']:.3f}" for a in arms),
        ]
    )
    out.append(markdown_table(["task", *arms], rows))
    out.append("\nPaper Table 3 (BERT-base, 8 seeds; F1 for most tasks)")
    paper_cols = ["Base", "General", "Random", "Task", "LM", "Distance", "TADPOLE"]
    rows = [[t, *(f"{m:.2f} ± {sd:.2f}" for m, sd in v)] for t, v in PAPER_TABLE3.items()]
    rows += [[f"Average gain ({k})", "-", *(f"{g:+.2f}" for g in v)] for k, v in PAPER_GAINS.items()]
    out.append(markdown_table(["task", *paper_cols], rows))
    fig = result["fig2"]
    parts = [f"{n} {v['spearman']:+.2f}" for n, v in fig["per_task"].items()]
    out.append("\nFig. 2 proxy: Spearman(dev MLM loss, test accuracy) across arms: " + ", ".join(parts))
    if "pooled" in fig:
        p = fig["pooled"]
        out.append(
            f"pooled over tasks (differences from base, n={p['n']}): {p['spearman']:+.2f} (p={p['p']:.3f}); negative = lower loss, higher accuracy"
        )
    tadpole_vs = []
    if "tadpole" in arms:
        for a in arms:
            if a == "tadpole":
                continue
            wins = sum(fin[n]["tadpole"]["acc"]["mean"] > fin[n][a]["acc"]["mean"] for n in fin)
            tadpole_vs.append(f"{a} {wins}/{len(fin)}")
        out.append("TADPOLE's mean accuracy above the arm's, tasks: " + ", ".join(tadpole_vs))
    r = result["runtime"]
    out.append(
        f"\nruntime {r['wall_s']} s wall, {r['cpu_s']} s CPU (1 torch thread); load average (1 min) "
        f"min/mean/max {r['load1_min_mean_max']}; phases: "
        + ", ".join(f"{k} {v['wall_s']}/{v['cpu_s']} s" for k, v in r["phases"].items())
    )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = experiment_parser(__doc__, out="runs/tadpole/table3.json", n_mix=16000)
    parser.add_argument("--quick", action="store_true", help=f"reduced sizes: {QUICK}")
    parser.add_argument("--tasks", nargs="+", choices=list(TASKS), default=None)
    parser.add_argument("--arms", nargs="+", choices=list(ARMS), default=None)
    parser.add_argument("--base-steps", type=int, default=1500)
    parser.add_argument("--batch-size", type=int, default=32, help="MLM batch (base and continued)")
    parser.add_argument("--share", type=float, default=0.2, help="continued steps as a share of base steps")
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--max-train", type=int, default=1000, help="training examples per task (cap)")
    parser.add_argument(
        "--detector",
        default="best",
        help="TADPOLE's detector: best = the paper's ranking (Sec. 3.1), or a name, e.g. isolation-forest",
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("weasul").setLevel(logging.WARNING)
    kwargs: dict[str, Any] = {
        "n_mix": args.n_mix,
        "base_steps": args.base_steps,
        "batch_size": args.batch_size,
        "max_train": args.max_train,
        "seeds": args.seeds,
        "epochs": args.epochs,
    }
    if args.quick:
        kwargs.update(QUICK)
    result = run(
        root=args.data,
        tasks=args.tasks,
        arms=args.arms,
        share=args.share,
        layers=args.layers,
        hidden=args.hidden,
        detector=args.detector,
        **kwargs,
    )
    return finish(result, args.out, render)


if __name__ == "__main__":
    raise SystemExit(main())
