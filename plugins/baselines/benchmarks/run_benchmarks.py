"""Every label model beside Snorkel 0.10's LabelModel and majority vote, in one process. Prints JSON.

    OMP_NUM_THREADS=1 .venv/bin/python plugins/baselines/benchmarks/run_benchmarks.py [--quick] [--out F]
        [--only accuracy|classes|scale|crowd] [--sets youtube,crowd/labelme] [--models auto,snorkel]

Accuracy (`accuracy`): every model x every real set of `real_sets.py` (WRENCH youtube, sms,
trec, claude9; Active WeaSuL spam, spouse; FlyingSquid tennis; the 13 crowd sets): fit on
the fit matrix without gold, score every test row (accuracy; macro-F1 on claude9). Rows
where every source abstains get the class prior; ties go to the lowest class except
`majority-vote(random)` and Snorkel (its own row-hash rule, as in shared/data/README.md).
A model that refuses the data (DataError) shows `refused`. Each set also lists which
learned models land more than 5 points under majority vote and whether `auto` is at or
above max(Snorkel, majority vote) - 1 point.

Many classes (`classes`): K = 10, 50, 200 (`--ks`), 20 sources, 100k rows: fit time (wall and
CPU) of `auto` and `matrix-completion` (and the time per class, which stays flat when the cost
is linear in K); `matrix-completion` is joint up to K = 10 and one-vs-rest above (its
`joint_max_classes`), `matrix-completion(one-vs-rest)` is one-vs-rest at every K.

Scale (`scale`): generated matrices (LF accuracies 0.55..0.95, 50% coverage): fit time, peak
resident memory of each fit (sampled from /proc), accuracy, and Snorkel time / our time;
1M x 10 (goal for auto: >= 10x) and a 1,749 x 164 x 9-class matrix shaped like WRENCH
semeval (one-class LFs; goal for auto: >= 50x). `--quick` skips the 1M-row matrix. Besides
the wall-clock ratio, the ratio of the process's CPU seconds (`snorkel_cpu_ratio`), which a
busy shared machine inflates less.
Crowd (`crowd`): 500 generated workers who each label 2% of the items.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import weasul

sys.path.insert(0, str(Path(__file__).resolve().parent))
import real_sets  # noqa: E402  (the loaders shared with the no-collapse test)


def generated(n: int, m: int, seed: int = 0, coverage: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n).astype(np.int8)
    accs = np.linspace(0.55, 0.95, m).astype(np.float32)
    L = np.full((n, m), -1, dtype=np.int64)
    for j in range(m):  # per source, to keep the temporary memory small
        right = rng.random(n, dtype=np.float32) < accs[j]
        vote = np.where(right, y, 1 - y)
        L[:, j] = np.where(rng.random(n, dtype=np.float32) < coverage, vote, -1)
    return L, y.astype(np.int64)


def crowd(n: int = 4000, m: int = 500, share: float = 0.02, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Crowd-like matrix: each worker labels `share` of the items; 60% good workers (acc 0.7-0.95),
    25% sloppy (0.5-0.6), 15% adversarial (0.2-0.4)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    kind = rng.random(m)
    acc = np.where(
        kind < 0.6,
        rng.uniform(0.7, 0.95, m),
        np.where(kind < 0.85, rng.uniform(0.5, 0.6, m), rng.uniform(0.2, 0.4, m)),
    )
    votes = np.where(rng.random((n, m)) < acc, y[:, None], 1 - y[:, None])
    return np.where(rng.random((n, m)) < share, votes, -1), y


# --- measuring -------------------------------------------------------------------------
def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRSS:
    """Peak resident memory above the level at entry, sampled every 2 ms (covers torch too)."""

    def __enter__(self) -> PeakRSS:
        gc.collect()
        self.base = self.peak = _rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss())
            time.sleep(0.002)

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())

    @property
    def mib(self) -> float:
        return (self.peak - self.base) / 2**20


#: Every label model, in table order; `snorkel` is Snorkel 0.10 through contrib/snorkel.
MODELS = (
    "majority-vote",
    "majority-vote(random)",
    "weighted-vote",
    "dawid-skene",
    "triplet",
    "matrix-completion",
    "factor-graph",
    "active-weasul",
    "nashaat",
    "auto",
    "snorkel",
)
#: Models that learn something (the "no collapse" rule applies to them).
LEARNED = tuple(m for m in MODELS if not m.startswith("majority-vote") and m != "snorkel")


def make(label: str, k: int) -> Any:
    if label == "majority-vote(random)":
        return weasul.create("label_models", "majority-vote", n_classes=k, tie_break="random")
    if label == "snorkel":
        return weasul.create("label_models", "snorkel-label-model", n_classes=k, tie_break="random")
    if label == "matrix-completion(one-vs-rest)":
        return weasul.create("label_models", "matrix-completion", n_classes=k, joint_max_classes=1)
    return weasul.create("label_models", label, n_classes=k)


def accuracy_table(sets: list[str], labels: list[str]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for name in sets:
        try:
            data = real_sets.load(name)
        except (OSError, weasul.DataError) as err:
            table[name] = {"skipped": str(err)}
            continue
        k = data.n_classes
        row: dict[str, Any] = {
            "shape": list(data.L_fit.shape),
            "n_classes": k,
            "metric": data.metric,
            "n_test": int(len(data.y_test)),
        }
        for label in labels:
            model = make(label, k)
            t0 = time.perf_counter()
            try:
                model.fit(data.L_fit)
            except weasul.DataError as err:
                row[label] = {"refused": str(err)}
                continue
            fit_s = time.perf_counter() - t0
            pred = model.predict(data.L_test)
            cell: dict[str, Any] = {
                "score": round(real_sets.score(data.y_test, pred, k, data.metric), 4),
                "fit_s": round(fit_s, 3),
            }
            if label == "auto":
                cell["chose"] = model.chosen_
            row[label] = cell
        mv = row.get("majority-vote", {}).get("score")
        if mv is not None:
            row["below_mv_minus_5"] = [
                m for m in LEARNED if "score" in row.get(m, {}) and row[m]["score"] < mv - 0.05
            ]
            peers = [row[m]["score"] for m in ("majority-vote", "snorkel") if "score" in row.get(m, {})]
            if "score" in row.get("auto", {}):
                row["auto_minus_best_peer_points"] = round(100 * (row["auto"]["score"] - max(peers)), 1)
        table[name] = row
        print(f"accuracy: {name} done", file=sys.stderr, flush=True)
    return table


def _timed_fit(label: str, L: np.ndarray, k: int) -> tuple[Any, dict[str, float]]:
    model = make(label, k)
    with PeakRSS() as mem:
        t0, c0 = time.perf_counter(), time.process_time()
        model.fit(L)
        fit_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    return model, {"fit_s": round(fit_s, 3), "cpu_s": round(cpu_s, 3), "peak_mib": round(mem.mib, 1)}


def many_classes(
    n: int = 100_000,
    m: int = 20,
    seed: int = 0,
    ks: tuple[int, ...] = (10, 50, 200),
    labels: tuple[str, ...] = ("majority-vote", "auto", "matrix-completion", "matrix-completion(one-vs-rest)"),
) -> dict[str, Any]:
    """Fit time of auto and matrix completion as K grows (20 sources, 100k rows)."""
    table: dict[str, Any] = {}
    for k in ks:
        rng = np.random.default_rng(seed)
        y = rng.integers(0, k, n)
        accs = np.linspace(0.55, 0.95, m)
        wrong = (y[:, None] + rng.integers(1, k, (n, m))) % k
        L = np.where(rng.random((n, m)) < accs, y[:, None], wrong)
        L = np.where(rng.random((n, m)) < 0.5, L, -1)
        row: dict[str, Any] = {}
        for label in labels:
            model, cell = _timed_fit(label, L, k)
            cell["acc"] = round(float((model.predict(L) == y).mean()), 4)
            cell["fit_s_per_class"] = round(cell["fit_s"] / k, 5)
            row[label] = cell
            print(f"classes: K={k} {label} {json.dumps(cell)}", file=sys.stderr, flush=True)
            del model
            gc.collect()
        table[f"K={k}"] = row
        print(f"classes: K={k} done", file=sys.stderr, flush=True)
    return table


def semeval_like(n: int = 1749, m: int = 164, k: int = 9, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Shaped like WRENCH semeval: every LF votes one class (classes in turn), P(fire | its
    class) log-uniform 1%-20%, P(fire | another class) 5% of that."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    cls = np.arange(m) % k
    hit = np.exp(rng.uniform(np.log(0.01), np.log(0.2), m))
    fires = rng.random((n, m)) < np.where(y[:, None] == cls[None, :], hit, 0.05 * hit)
    L = np.where(fires, cls[None, :], -1)
    return L[:, fires.any(axis=0)], y


def scale_table(quick: bool, only: str | None = None) -> dict[str, Any]:
    shapes: list[tuple[str, int, int]] = [("100000x10", 100_000, 10), ("100000x100", 100_000, 100)]
    if not quick:
        shapes.append(("1000000x10", 1_000_000, 10))
    table: dict[str, Any] = {}
    # warm up: imports (torch for Snorkel) are not part of any fit time
    warm, _ = generated(1000, 10)
    labels = ("majority-vote", "dawid-skene", "matrix-completion", "triplet", "auto", "snorkel")
    for label in labels:
        make(label, 2).fit(warm)
    cases = [(name, n, m, 2) for name, n, m in shapes] + [("semeval-like 1749x164 (K=9)", 0, 0, 9)]
    for name, n, m, k in cases:
        if only and only not in name:
            continue  # a matrix is generated only for a case that runs
        L, y = generated(n, m) if k == 2 else semeval_like()
        row: dict[str, Any] = {}
        for label in labels:
            if label == "triplet" and k != 2:
                continue
            model, cell = _timed_fit(label, L, k)
            cell["acc"] = round(float((model.predict(L) == y).mean()), 4)
            row[label] = cell
            print(f"scale: {name} {label} {json.dumps(cell)}", file=sys.stderr, flush=True)
            del model
            gc.collect()
        snorkel_s, snorkel_cpu = row["snorkel"]["fit_s"], row["snorkel"]["cpu_s"]
        for label in row:
            if label != "snorkel":  # times are rounded to 1 ms
                row[label]["snorkel_time_ratio"] = round(snorkel_s / max(row[label]["fit_s"], 1e-3), 1)
                # CPU seconds of the process (all threads): less sensitive to a busy machine
                row[label]["snorkel_cpu_ratio"] = round(snorkel_cpu / max(row[label]["cpu_s"], 1e-3), 1)
        table[name] = row
        print(f"scale: {name} done", file=sys.stderr, flush=True)
    return table


def crowd_table() -> dict[str, Any]:
    L, y = crowd()
    keep = ~(L == -1).all(axis=0)
    L = L[:, keep]
    row = {}
    for label in ("majority-vote", "weighted-vote", "dawid-skene", "auto"):
        model = weasul.create("label_models", label, n_classes=2)
        t0 = time.perf_counter()
        model.fit(L)
        row[label] = {
            "acc": round(float((model.predict(L) == y).mean()), 4),
            "fit_s": round(time.perf_counter() - t0, 3),
        }
    return {f"{L.shape[0]}x{L.shape[1]} (2% each)": row}


def _cell(row: dict[str, Any], label: str) -> str:
    cell = row.get(label)
    if cell is None:
        return "-"
    if "refused" in cell:
        return "refused"
    return f"{cell['score']:.3f}"


def summary(result: dict[str, Any]) -> str:
    """The tables as text (printed to stderr after the JSON)."""
    lines = []
    if "accuracy" in result:
        labels = [m for m in MODELS if any(m in r for r in result["accuracy"].values())]
        lines.append(
            "set (metric) | " + " | ".join(labels) + " | auto - max(snorkel, MV) (points) | > 5 under MV"
        )
        for name, row in result["accuracy"].items():
            if "skipped" in row:
                lines.append(f"{name} | skipped: {row['skipped']}")
                continue
            metric = "macro-F1" if row["metric"] == "macro_f1" else "acc"
            gap = row.get("auto_minus_best_peer_points")
            lines.append(
                f"{name} ({metric}) | "
                + " | ".join(_cell(row, m) for m in labels)
                + f" | {'' if gap is None else f'{gap:+.1f}'} | {', '.join(row.get('below_mv_minus_5', [])) or '-'}"
            )
    if "classes" in result:
        many = ("majority-vote", "auto", "matrix-completion", "matrix-completion(one-vs-rest)")
        lines.append("many classes (100k x 20), fit seconds [CPU] | " + " | ".join(many))
        for key, row in result["classes"].items():
            lines.append(
                f"{key} | "
                + " | ".join(
                    f"{row[m]['fit_s']:.2f} [{row[m]['cpu_s']:.2f}] (acc {row[m]['acc']:.3f})" if m in row else "-"
                    for m in many
                )
            )
    if "scale" in result:
        labels = ["majority-vote", "dawid-skene", "matrix-completion", "triplet", "auto"]
        lines.append(
            "fit seconds (Snorkel time / ours; CPU time ratio) [peak MiB] | "
            + " | ".join(labels)
            + " | snorkel"
        )
        for shape, row in result["scale"].items():
            cells = [
                f"{row[c]['fit_s']:.3f} ({row[c]['snorkel_time_ratio']}x; "
                f"{row[c].get('snorkel_cpu_ratio', '-')}x) [{row[c]['peak_mib']:.0f}]"
                if c in row
                else "-"
                for c in labels
            ]
            sn = row["snorkel"]
            lines.append(f"{shape} | " + " | ".join(cells) + f" | {sn['fit_s']:.3f} [{sn['peak_mib']:.0f}]")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 1M-row matrix")
    parser.add_argument("--only", choices=["accuracy", "classes", "scale", "crowd"], help="run one section")
    parser.add_argument("--sets", help="comma-separated real sets (default: all)")
    parser.add_argument(
        "--models", help="comma-separated models for the accuracy or classes table (default: all)"
    )
    parser.add_argument("--case", help="run only the scale cases whose name contains this")
    parser.add_argument("--ks", default="10,50,200", help="comma-separated class counts of the classes table")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    import platform

    result: dict[str, Any] = {
        "snorkel_version": __import__("snorkel").__version__,
        "threads": os.environ.get("OMP_NUM_THREADS", "unset"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.processor() or platform.platform()}",
    }
    if args.only in (None, "accuracy"):
        sets = args.sets.split(",") if args.sets else list(real_sets.REAL_SETS)
        labels = args.models.split(",") if args.models else list(MODELS)
        result["accuracy"] = accuracy_table(sets, labels)
    if args.only in (None, "crowd"):
        result["crowd"] = crowd_table()
    if args.only in (None, "classes"):
        ks = tuple(int(k) for k in args.ks.split(","))
        result["classes"] = many_classes(ks=ks, labels=tuple(args.models.split(","))) if args.models else many_classes(ks=ks)
    if args.only in (None, "scale"):
        result["scale"] = scale_table(args.quick, args.case)
    text = json.dumps(result, indent=1)
    print(text)
    print(summary(result), file=sys.stderr)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
