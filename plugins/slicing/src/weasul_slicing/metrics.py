"""Per-slice metrics and the reporter that tabulates and plots them.

A slice head's step metrics hold, per split, the overall metrics plus
`slices: {name: {n, accuracy, macro_f1[, f1]}}`. `SliceMetricsReporter` collects those from every
step of a run into `slice_metrics.csv` / `slice_metrics.md` and a grouped bar chart
`slice_metrics.png` (matplotlib's Agg canvas; no pyplot, no global backend switch), which the
HTML report (written after the other reporters) embeds.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field
from weasul.errors import DataError
from weasul.interfaces import Reporter
from weasul.lazy import require
from weasul.params import WeasulParams
from weasul.steps import classification_metrics

__all__ = ["SliceMetricsReporter", "collect_slice_rows", "format_table", "slice_metrics"]

_log = logging.getLogger(__name__)


def slice_metrics(
    y: np.ndarray, probs: np.ndarray, S: np.ndarray, names: Sequence[str] | None = None
) -> dict[str, dict[str, float]]:
    """Metrics on every slice: `{name: {"n", "accuracy", "macro_f1"[, "f1"]}}`.

    y: (n,) int labels; probs: (n, K); S: (n, m) 0/1 membership, column 0 the base slice.
    A slice with no members here gets `n = 0` and NaN metrics.
    """
    y = np.asarray(y)
    S = np.asarray(S)
    if not (len(y) == len(probs) == len(S)):
        raise DataError(
            f"slice metrics: y has {len(y)} rows, probs {len(probs)}, S {len(S)}; they must match"
        )
    names = list(names) if names is not None else default_slice_names(S.shape[1])
    if len(names) != S.shape[1]:
        raise DataError(f"{len(names)} slice names for {S.shape[1]} columns of S")
    out: dict[str, dict[str, float]] = {}
    for j, name in enumerate(names):
        rows = S[:, j] == 1
        if not rows.any():
            out[name] = {"n": 0, "accuracy": float("nan"), "macro_f1": float("nan")}
            continue
        out[name] = {"n": int(rows.sum()), **classification_metrics(y[rows], probs[rows])}
    return out


def default_slice_names(m: int) -> list[str]:
    """`["base", "slice_1", ..., "slice_{m-1}"]`."""
    return ["base", *(f"slice_{j}" for j in range(1, m))]


def collect_slice_rows(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """Flatten run metrics `{step: {split: {..., "slices": {...}}}}` into table rows: one
    'overall' row per (step, split), then one per tail slice (the base slice, first, is 'overall')."""
    rows: list[dict[str, Any]] = []
    for step, by_split in metrics.items():
        if not isinstance(by_split, dict):
            continue
        for split, values in by_split.items():
            if not (isinstance(values, dict) and isinstance(values.get("slices"), dict)):
                continue
            rows.append(
                {
                    "step": step,
                    "split": split,
                    "slice": "overall",
                    "n": values.get("n"),
                    "accuracy": values.get("accuracy"),
                    "macro_f1": values.get("macro_f1"),
                }
            )
            for name, m in list(values["slices"].items())[1:]:  # [0] is the base slice: every item
                rows.append(
                    {
                        "step": step,
                        "split": split,
                        "slice": name,
                        "n": m.get("n"),
                        "accuracy": m.get("accuracy"),
                        "macro_f1": m.get("macro_f1"),
                    }
                )
    return rows


def format_table(rows: Sequence[dict[str, Any]], *, value: str = "accuracy", scale: float = 100.0) -> str:
    """A markdown table: one row per (step, split), one column per slice, values x `scale`."""
    slices: list[str] = []
    for r in rows:
        if r["slice"] not in slices:
            slices.append(r["slice"])
    keys: list[tuple[str, str]] = []
    cells: dict[tuple[str, str, str], Any] = {}
    for r in rows:
        key = (r["step"], r["split"])
        if key not in keys:
            keys.append(key)
        cells[(*key, r["slice"])] = r.get(value)
    lines = ["| step | split | " + " | ".join(slices) + " |", "|---|---|" + "---:|" * len(slices)]
    for key in keys:
        shown = []
        for s in slices:
            v = cells.get((*key, s))
            shown.append(
                "" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{scale * float(v):.1f}"
            )
        lines.append(f"| {key[0]} | {key[1]} | " + " | ".join(shown) + " |")
    return "\n".join(lines)


def bar_chart(
    rows: Sequence[dict[str, Any]], path: Path, *, split: str, value: str = "accuracy", title: str = ""
) -> Path:
    """Grouped bars: slices on the x axis, one bar per step, for one split. Writes a PNG."""
    require("matplotlib", extra="plot", distribution="weasul-slicing")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    chosen = [r for r in rows if r["split"] == split and r.get(value) is not None]
    steps = list(dict.fromkeys(r["step"] for r in chosen))
    slices = list(dict.fromkeys(r["slice"] for r in chosen))
    lookup = {(r["step"], r["slice"]): float(r[value]) for r in chosen}
    fig = Figure(figsize=(max(6.0, 0.35 * len(slices) * max(1, len(steps)) + 3.5), 4.2))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    width = 0.8 / max(1, len(steps))
    x = np.arange(len(slices))
    for i, step in enumerate(steps):
        heights = [100 * lookup.get((step, s), np.nan) for s in slices]
        ax.bar(x + (i - (len(steps) - 1) / 2) * width, heights, width, label=step)
    ax.set_xticks(x)
    ax.set_xticklabels(slices, rotation=30, ha="right")
    ax.set_ylabel(f"{value} (%) on {split}")
    ax.set_ylim(0, 100)
    ax.set_title(title or f"per-slice {value}")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


class SliceMetricsReporter(Reporter):
    """Writes `slice_metrics.csv`, `slice_metrics.md` and `slice_metrics.png` into the run folder
    from the per-slice metrics of every slice-head step; the HTML report (written last) shows
    the chart."""

    class Params(WeasulParams):
        split: str | None = Field("test", description="split to plot; else valid, another, then train")
        value: str = Field("accuracy", description="metric to tabulate and plot: accuracy or macro_f1")
        title: str = ""

    params: Params

    def write(self, run_dir: Path, metrics: dict[str, Any]) -> list[Path]:
        run_dir = Path(run_dir)
        rows = collect_slice_rows(metrics)
        if not rows:
            _log.warning("slice-metrics: no step reported per-slice metrics; nothing written")
            return []
        out_csv = run_dir / "slice_metrics.csv"
        with out_csv.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(
                handle, fieldnames=["step", "split", "slice", "n", "accuracy", "macro_f1"]
            )
            writer.writeheader()
            writer.writerows(rows)
        out_md = run_dir / "slice_metrics.md"
        out_md.write_text(format_table(rows, value=self.params.value) + "\n", encoding="utf-8")
        splits = list(dict.fromkeys(r["split"] for r in rows))
        preferred = [self.params.split, "test", "valid", *(s for s in splits if s != "train"), "train"]
        split = next(s for s in preferred if s in splits)
        out_png = bar_chart(
            rows, run_dir / "slice_metrics.png", split=split, value=self.params.value, title=self.params.title
        )
        return [out_csv, out_md, out_png]
