"""Reproduce the layout of the paper's Table 1 on a generated sensor network.

    OMP_NUM_THREADS=1 python -m weasul_information_graph.reproduce [--seeds 5] [--json out.json]

Per seed: a fresh network (`sensors.make_network`), split in time (first 70% of the windows to
train, the rest to test, as the paper's 70/30 catalogue split). Rows of Table 1: the CNN trained
with cross-entropy (XE), with the information graph and the link strategy (IG+links), and with
the anchor strategy (IG+anchors). Columns: labels of all stations or of one station only
(station = seed mod n_stations; the paper averages all 8 choices), each without system context
(only the annotated segments, edges from annotations alone) and with it (+SC: every training
segment of every station, context edges from time overlap). The encoder is then frozen and a
logistic-regression probe is trained on the features of the annotated segments; the score is its
accuracy on the test windows of all stations (and, for one-station columns, of the other
stations). A second probe is trained on the L2-normalised head output (the space the loss acts
on; for XE the class logits). Mean and standard deviation over seeds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from weasul_information_graph.data import SensorData
from weasul_information_graph.encoders import InformationGraphEncoder
from weasul_information_graph.sensors import make_network

__all__ = ["Config", "split_in_time", "run_cell", "run", "format_table", "main"]

METHODS = ("XE", "IG+links", "IG+anchors")
COLUMNS = ("all", "all+SC", "one-station", "one-station+SC")


@dataclass(frozen=True)
class Config:
    """Sizes of one reproduction (defaults fit a few minutes per seed on one CPU core)."""

    n_stations: int = 4
    n_windows: int = 240
    samples: int = 256
    epochs: int = 8
    steps_per_epoch: int = 20
    width: int = 16
    site_scale: float = 2.0
    batch_graph: str = "edges"


def split_in_time(data: SensorData, share: float = 0.7) -> tuple[SensorData, SensorData]:
    """Windows before the `share` quantile of start times to train, the rest to test."""
    start = data.table["start"].to_numpy()
    cut = np.quantile(np.unique(start), share)
    return data.subset(np.flatnonzero(start < cut)), data.subset(np.flatnonzero(start >= cut))


def _encoder(method: str, cfg: Config, seed: int) -> InformationGraphEncoder:
    common: dict[str, Any] = {"epochs": cfg.epochs, "width": cfg.width, "seed": seed}
    if method == "XE":
        return InformationGraphEncoder(objective="cross-entropy", **common)
    strategy = "links" if method == "IG+links" else "anchors"
    return InformationGraphEncoder(
        annotations=strategy, steps_per_epoch=cfg.steps_per_epoch, batch_graph=cfg.batch_graph, **common
    )


def _probe_accuracy(features_train: np.ndarray, y_train: np.ndarray, features_test: np.ndarray) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    probe.fit(features_train, y_train)
    return np.asarray(probe.predict(features_test))


def run_cell(
    method: str, column: str, train: SensorData, test: SensorData, station: int, cfg: Config, seed: int
) -> dict[str, float]:
    """Train one encoder for one Table 1 cell; accuracy of its probe on the test windows."""
    stations = train.table["station"].to_numpy()
    labels = train.labels if column.startswith("all") else np.where(stations == station, train.labels, -1)
    annotated = np.flatnonzero(labels >= 0)
    encoder = _encoder(method, cfg, seed)
    if column.endswith("+SC"):
        encoder.fit(train.waveforms, labels, segments=train.table)
    else:
        encoder.fit(train.waveforms[annotated], labels[annotated])
    other = test.table["station"].to_numpy() != station
    out: dict[str, float] = {}
    for suffix, features in (("", encoder.encode), ("_embedding", encoder.embed)):
        pred = _probe_accuracy(
            features(train.waveforms[annotated]), labels[annotated], features(test.waveforms)
        )
        correct = pred == test.labels
        out["accuracy" + suffix] = float(correct.mean())
        if column.startswith("one"):
            out["accuracy_other_stations" + suffix] = float(correct[other].mean())
    return out


def _cells() -> list[tuple[str, str]]:
    return [(m, c) for m in METHODS for c in COLUMNS if not (m == "XE" and c.endswith("+SC"))]


def run(seeds: int, cfg: Config, log: Any = None) -> dict[str, Any]:
    """All cells for `seeds` seeds; results[method][column] = list of per-seed dicts."""
    results: dict[str, dict[str, list[dict[str, float]]]] = {m: {c: [] for c in COLUMNS} for m in METHODS}
    for seed in range(seeds):
        data = make_network(cfg.n_stations, cfg.n_windows, cfg.samples, site_scale=cfg.site_scale, seed=seed)
        train, test = split_in_time(data)
        station = seed % cfg.n_stations
        for method, column in _cells():
            began = time.perf_counter()
            cell = run_cell(method, column, train, test, station, cfg, seed)
            results[method][column].append(cell)
            if log:
                log(
                    f"seed {seed} {method:<11} {column:<15} acc {cell['accuracy']:.3f} "
                    f"embedding {cell['accuracy_embedding']:.3f} ({time.perf_counter() - began:.0f}s)"
                )
    return {"config": cfg.__dict__, "seeds": seeds, "results": results}


def _mean_std(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{100 * np.mean(values):.1f} % ± {100 * np.std(values):.1f}"


def format_table(report: dict[str, Any], key: str = "accuracy") -> str:
    """Table 1's layout: rows XE / IG+links / IG+anchors, columns all / all+SC / one / one+SC."""
    lines = [f"{'':<14}" + "".join(f"{c:>18}" for c in COLUMNS)]
    for method in METHODS:
        row = report["results"][method]
        cells = [_mean_std([r[key] for r in row[c] if key in r]) for c in COLUMNS]
        lines.append(f"CNN+{method:<10}" + "".join(f"{c:>18}" for c in cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--stations", type=int, default=Config.n_stations)
    parser.add_argument("--windows", type=int, default=Config.n_windows)
    parser.add_argument("--epochs", type=int, default=Config.epochs)
    parser.add_argument(
        "--steps", type=int, default=Config.steps_per_epoch, help="contrastive steps per epoch"
    )
    parser.add_argument(
        "--site-scale",
        type=float,
        default=Config.site_scale,
        help="stations' frequency factors span [1/s, s]",
    )
    parser.add_argument(
        "--batch-graph",
        choices=("edges", "induced"),
        default=Config.batch_graph,
        help="A of a batch: its sampled edges (paper) or every edge among its segments (before #20)",
    )
    parser.add_argument("--json", help="also write the per-seed results as JSON here")
    args = parser.parse_args(argv)
    cfg = Config(
        n_stations=args.stations,
        n_windows=args.windows,
        epochs=args.epochs,
        steps_per_epoch=args.steps,
        site_scale=args.site_scale,
        batch_graph=args.batch_graph,
    )
    began = time.perf_counter()
    report = run(args.seeds, cfg, log=lambda line: print(line, file=sys.stderr, flush=True))
    report["seconds"] = round(time.perf_counter() - began, 1)
    print(f"Accuracy on the test windows of all stations ({args.seeds} seeds, mean ± std):")
    print(format_table(report))
    print("\nOne-station columns, accuracy on the stations whose labels were hidden:")
    print(format_table(report, "accuracy_other_stations"))
    print("\nProbe on the L2-normalised head output instead (the space Eq. 1 acts on), all stations:")
    print(format_table(report, "accuracy_embedding"))
    print("\nThe same, stations whose labels were hidden:")
    print(format_table(report, "accuracy_other_stations_embedding"))
    print(f"\n{cfg} in {report['seconds']} s")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
