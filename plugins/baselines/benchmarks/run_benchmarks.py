"""Baseline label models beside Snorkel 0.10's LabelModel, in one process. Prints JSON.

    OMP_NUM_THREADS=1 .venv/bin/python plugins/baselines/benchmarks/run_benchmarks.py [--quick] [--out F]

Accuracy: fit on the train label matrix without gold, score every test row (rows where every
source abstains get the class prior; ties go to the lowest class unless the row says
`random`): WRENCH youtube/sms/trec, Active WeaSuL spam/spouse (L_train -> L_test), FlyingSquid
tennis (train -> dev, 0 = abstain, +-1 votes). Snorkel runs through `snorkel-label-model`
(500 epochs, seed 123) with its own random tie-break, as in shared/data/README.md.

Scale: generated matrices (known LF accuracies 0.55..0.95, 50% coverage, balanced classes):
fit time and peak resident memory of each fit (sampled from /proc), accuracy, and the
ratio Snorkel time / our time. `--quick` skips the 1M-row matrix. Crowd: 500 sources that
each label 2% of the items, Dawid-Skene vs majority vote.
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

DATA = Path(os.environ.get("WEASUL_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
if not DATA.is_dir():
    DATA = Path("/work/shared/data")


# --- data ------------------------------------------------------------------------------
def _wrench(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    ds = weasul.create(
        "datasets", "wrench", path=str(DATA / "wrench" / name), drop_labeled_ids=(name == "trec")
    ).load()
    return ds.train.L, ds.test.L, ds.test.y, ds.n_classes


def _activeweasul(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    folder = DATA / "activeweasul" / name
    sfx = "" if name == "spam" else f"_{name}"
    load = lambda stem: np.load(folder / f"{stem}{sfx}.npy")  # noqa: E731
    return (
        load("L_train").astype(np.int64),
        load("L_test").astype(np.int64),
        load("Y_test").astype(np.int64),
        2,
    )


def _tennis() -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    folder = DATA / "flyingsquid-tennis-video"
    conv = lambda a: np.where(a == 0, -1, np.where(a > 0, 1, 0)).astype(np.int64)  # noqa: E731
    y = np.load(folder / "Y_dev_video.npy")
    return (
        conv(np.load(folder / "L_train_video.npy")),
        conv(np.load(folder / "L_dev_video.npy")),
        (y > 0).astype(np.int64),
        2,
    )


DATASETS = {
    "youtube": lambda: _wrench("youtube"),
    "sms": lambda: _wrench("sms"),
    "trec": lambda: _wrench("trec"),
    "aw-spam": lambda: _activeweasul("spam"),
    "aw-spouse": lambda: _activeweasul("spouse"),
    "tennis": _tennis,
}


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


def _scores(y: np.ndarray, pred: np.ndarray, k: int) -> dict[str, float]:
    out = {"acc": round(float((pred == y).mean()), 4)}
    if k == 2:
        tp = float(((pred == 1) & (y == 1)).sum())
        denom = float((pred == 1).sum() + (y == 1).sum())
        out["f1"] = round(2 * tp / denom if denom else 0.0, 4)
    return out


def models(k: int) -> dict[str, Any]:
    make = weasul.create
    out = {
        "majority-vote": make("label_models", "majority-vote", n_classes=k),
        "majority-vote(random)": make("label_models", "majority-vote", n_classes=k, tie_break="random"),
        "weighted-vote": make("label_models", "weighted-vote", n_classes=k),
        "dawid-skene": make("label_models", "dawid-skene", n_classes=k),
        "matrix-completion": make("label_models", "matrix-completion", n_classes=k),
    }
    if k == 2:
        out["triplet"] = make("label_models", "triplet", n_classes=2)
    out["snorkel"] = make("label_models", "snorkel-label-model", n_classes=k, tie_break="random")
    return out


def accuracy_table() -> dict[str, Any]:
    table: dict[str, Any] = {}
    for name, load in DATASETS.items():
        try:
            L_train, L_test, y_test, k = load()
        except (OSError, weasul.DataError) as err:
            table[name] = {"skipped": str(err)}
            continue
        # a source that never votes on train carries nothing; drop it from both splits
        keep = ~(L_train == -1).all(axis=0)
        L_train, L_test = L_train[:, keep], L_test[:, keep]
        row: dict[str, Any] = {}
        for label, model in models(k).items():
            t0 = time.perf_counter()
            model.fit(L_train)
            fit_s = time.perf_counter() - t0
            row[label] = {**_scores(y_test, model.predict(L_test), k), "fit_s": round(fit_s, 3)}
        ours = {m: v for m, v in row.items() if m != "snorkel"}
        best = max(ours, key=lambda m: ours[m]["acc"])
        row["best_ours"] = best
        row["best_minus_snorkel_points"] = round(100 * (ours[best]["acc"] - row["snorkel"]["acc"]), 1)
        table[name] = row
    return table


def scale_table(quick: bool) -> dict[str, Any]:
    shapes = [(100_000, 10), (100_000, 100)] + ([] if quick else [(1_000_000, 10)])
    table: dict[str, Any] = {}
    # warm up: imports (torch for Snorkel) are not part of any fit time
    warm, _ = generated(1000, 10)
    for label in ("majority-vote", "dawid-skene", "matrix-completion", "triplet", "snorkel-label-model"):
        weasul.create("label_models", label, n_classes=2).fit(warm)
    for n, m in shapes:
        L, y = generated(n, m)
        row: dict[str, Any] = {}
        for label in ("majority-vote", "dawid-skene", "matrix-completion", "triplet", "snorkel"):
            model = (
                weasul.create("label_models", "snorkel-label-model", n_classes=2)
                if label == "snorkel"
                else weasul.create("label_models", label, n_classes=2)
            )
            with PeakRSS() as mem:
                t0 = time.perf_counter()
                model.fit(L)
                fit_s = time.perf_counter() - t0
            acc = float((model.predict(L) == y).mean())
            row[label] = {"fit_s": round(fit_s, 3), "peak_mib": round(mem.mib, 1), "acc": round(acc, 4)}
            del model
            gc.collect()
        snorkel_s = row["snorkel"]["fit_s"]
        for label in row:
            if label != "snorkel":
                row[label]["snorkel_time_ratio"] = round(snorkel_s / max(row[label]["fit_s"], 1e-9), 1)
        table[f"{n}x{m}"] = row
        del L, y
        gc.collect()
    return table


def crowd_table() -> dict[str, Any]:
    L, y = crowd()
    keep = ~(L == -1).all(axis=0)
    L = L[:, keep]
    row = {}
    for label in ("majority-vote", "weighted-vote", "dawid-skene"):
        model = weasul.create("label_models", label, n_classes=2)
        t0 = time.perf_counter()
        model.fit(L)
        row[label] = {
            "acc": round(float((model.predict(L) == y).mean()), 4),
            "fit_s": round(time.perf_counter() - t0, 3),
        }
    return {f"{L.shape[0]}x{L.shape[1]} (2% each)": row}


def summary(result: dict[str, Any]) -> str:
    """The accuracy and scale tables as text (printed to stderr after the JSON)."""
    lines = []
    cols = [
        "majority-vote",
        "majority-vote(random)",
        "weighted-vote",
        "dawid-skene",
        "matrix-completion",
        "triplet",
        "snorkel",
    ]
    if "accuracy" in result:
        lines.append("test accuracy | " + " | ".join(cols) + " | best ours - snorkel (points)")
        for name, row in result["accuracy"].items():
            if "skipped" in row:
                lines.append(f"{name} | skipped: {row['skipped']}")
                continue
            cells = [f"{row[c]['acc']:.3f}" if c in row else "-" for c in cols]
            lines.append(
                f"{name} | "
                + " | ".join(cells)
                + f" | {row['best_ours']} {row['best_minus_snorkel_points']:+.1f}"
            )
    if "scale" in result:
        lines.append(
            "fit seconds (Snorkel time / ours) | majority-vote | dawid-skene | matrix-completion | triplet | snorkel"
        )
        for shape, row in result["scale"].items():
            cells = [
                f"{row[c]['fit_s']:.3f} ({row[c]['snorkel_time_ratio']}x)"
                for c in ("majority-vote", "dawid-skene", "matrix-completion", "triplet")
            ]
            lines.append(f"{shape} | " + " | ".join(cells) + f" | {row['snorkel']['fit_s']:.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 1M-row matrix")
    parser.add_argument("--only", choices=["accuracy", "scale", "crowd"], help="run one section")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    result: dict[str, Any] = {
        "snorkel_version": __import__("snorkel").__version__,
        "threads": os.environ.get("OMP_NUM_THREADS", "unset"),
    }
    if args.only in (None, "accuracy"):
        result["accuracy"] = accuracy_table()
    if args.only in (None, "crowd"):
        result["crowd"] = crowd_table()
    if args.only in (None, "scale"):
        result["scale"] = scale_table(args.quick)
    text = json.dumps(result, indent=1)
    print(text)
    print(summary(result), file=sys.stderr)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
