"""Figures of the paper's analyses with matplotlib (Agg backend, files only, no display).

Each function draws one figure into `path` (PNG) and returns the path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from weasul.lazy import require

from weasul_confident.analysis import prevalence_curve, rank_changes, ranking_flips

__all__ = [
    "plot_noise_prevalence",
    "plot_noise_matrix",
    "plot_review",
    "plot_rank_changes",
    "plot_prevalence_curves",
]


def _figure(figsize: tuple[float, float], nrows: int = 1, sharex: bool = False) -> tuple[Any, Any]:
    """A figure on the Agg canvas, without pyplot: no global backend or figure state."""
    require("matplotlib", extra="plots", distribution="weasul-confident")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, 1, sharex=sharex)
    return fig, axes


def _save(fig: Any, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def plot_noise_prevalence(rows: Sequence[Mapping[str, Any]], path: str | Path) -> Path:
    """Bars per data set / split: estimated share of label issues (`share`), and where known the
    validated or true error share (`validated`) and noise prevalence (`prevalence`)."""
    names = [str(r["name"]) for r in rows]
    keys = [k for k in ("share", "validated", "prevalence") if any(r.get(k) is not None for r in rows)]
    labels = {
        "share": "flagged by CL",
        "validated": "validated / true errors",
        "prevalence": "noise prevalence |C|/|P|",
    }
    fig, ax = _figure((max(5.0, 1.2 * len(names) + 2), 3.6))
    width = 0.8 / max(len(keys), 1)
    x = np.arange(len(names))
    for j, key in enumerate(keys):
        values = [100 * (r.get(key) or 0.0) for r in rows]
        bars = ax.bar(x + (j - (len(keys) - 1) / 2) * width, values, width, label=labels[key])
        ax.bar_label(bars, fmt="%.1f", fontsize=7)
    ax.set_xticks(x, names, rotation=20, ha="right")
    ax.set_ylabel("% of items")
    ax.set_title("Label issues per data set")
    ax.legend(fontsize=8)
    return _save(fig, path)


def plot_noise_matrix(
    matrix: Any, path: str | Path, class_names: Sequence[str] = (), title: str = ""
) -> Path:
    """Heatmap of the estimated noise matrix P(given = i | true = j)."""
    M = np.asarray(matrix, dtype=np.float64)
    k = M.shape[0]
    names = list(class_names) if len(class_names) == k else [str(i) for i in range(k)]
    size = min(3 + 0.35 * k, 12)
    fig, ax = _figure((size + 1, size))
    im = ax.imshow(M, cmap="viridis", vmin=0, vmax=1)
    if k <= 12:
        for i in range(k):
            for j in range(k):
                ax.text(
                    j,
                    i,
                    f"{M[i, j]:.2f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="w" if M[i, j] < 0.6 else "k",
                )
    ax.set_xticks(range(k), names, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(k), names, fontsize=7)
    ax.set_xlabel("true label j")
    ax.set_ylabel("given label i")
    ax.set_title(title or "Noise matrix P(given=i | true=j)")
    fig.colorbar(im, ax=ax, fraction=0.046)
    return _save(fig, path)


def plot_review(
    end_model: Mapping[str, Mapping[str, Mapping[str, float]]], path: str | Path, title: str = ""
) -> Path:
    """End-model accuracy per split before and after the reviewed labels."""
    splits = sorted(set(end_model.get("before", {})) | set(end_model.get("after", {})))
    fig, ax = _figure((max(4.0, 1.3 * len(splits) + 2), 3.4))
    x = np.arange(len(splits))
    for j, phase in enumerate(("before", "after")):
        values = [100 * end_model.get(phase, {}).get(s, {}).get("accuracy", np.nan) for s in splits]
        bars = ax.bar(x + (j - 0.5) * 0.38, values, 0.38, label=f"{phase} review")
        ax.bar_label(bars, fmt="%.1f", fontsize=7)
    ax.set_xticks(x, splits)
    ax.set_ylabel("accuracy %")
    finite = [
        v
        for p in ("before", "after")
        for s in splits
        if np.isfinite(v := 100 * end_model.get(p, {}).get(s, {}).get("accuracy", np.nan))
    ]
    if finite:
        ax.set_ylim(max(0, min(finite) - 10), min(100, max(finite) + 5))
    ax.set_title(title or "End model before / after reviewing flagged labels")
    ax.legend(fontsize=8)
    return _save(fig, path)


def plot_rank_changes(table: Mapping[str, Mapping[str, float]], path: str | Path, title: str = "") -> Path:
    """Fig. 3 style: each model's accuracy on the correctable set with original vs corrected labels,
    joined by a line; crossing lines are rank flips."""
    changes = rank_changes(table)
    fig, ax = _figure((6.5, 4.4))
    for row in table.values():
        ax.plot([0, 1], [100 * row["original_C"], 100 * row["corrected_C"]], marker="o")
    for side, key, align, offset in ((0, "original_C", "right", -6), (1, "corrected_C", "left", 6)):
        groups: dict[float, list[str]] = {}
        for name, row in table.items():  # models with equal accuracy share one label
            groups.setdefault(round(100 * float(row[key]), 6), []).append(name)
        for value, names in groups.items():
            rank = changes[names[0]][side]
            text = f"{', '.join(names)} ({rank})" if side == 0 else f"({rank}) {', '.join(names)}"
            ax.annotate(
                text,
                (side, value),
                xytext=(offset, 0),
                textcoords="offset points",
                ha=align,
                va="center",
                fontsize=7,
            )
    ax.set_xticks([0, 1], ["original labels", "corrected labels"])
    ax.set_xlim(-1.1, 2.1)
    ax.set_ylabel("accuracy on correctable set C (%)")
    ax.set_title(title or "Rank on C: original vs corrected labels", fontsize=9)
    return _save(fig, path)


def plot_prevalence_curves(
    table: Mapping[str, Mapping[str, float]], path: str | Path, title: str = "", points: int = 101
) -> Path:
    """Figs. 4-5 style: expected original (top) and corrected (bottom) accuracy as noise
    prevalence grows from |C|/|P| to 1; dotted lines mark rank flips."""
    first = next(iter(table.values()))
    n_C, n_B = int(first["n_C"]), int(first["n_B"])
    start = n_C / (n_C + n_B)
    N = np.linspace(start, 1, points)
    fig, axes = _figure((6.5, 6.5), nrows=2, sharex=True)
    for ax, kind in zip(axes, ("original", "corrected"), strict=True):
        models = {m: (row[f"{kind}_C"], row["B"]) for m, row in table.items()}
        for name, (aC, aB) in models.items():
            ax.plot(100 * N, 100 * prevalence_curve(aC, aB, N), label=name)
        for flip in ranking_flips(models, n_C, n_B):
            ax.axvline(100 * flip["prevalence"], color="grey", linestyle=":", linewidth=0.8)
        ax.set_ylabel(f"{kind} accuracy %")
        ax.set_title(f"{kind} accuracy vs noise prevalence", fontsize=9)
    axes[-1].set_xlabel("noise prevalence N (%)")
    axes[0].legend(fontsize=7, ncol=2)
    if title:
        fig.suptitle(title, fontsize=9)
    return _save(fig, path)
