"""The `confident-learning` reporter: the paper's analyses as figures in the run folder.

It reads `metrics.json` content:

- steps run by the `confident-learning` ErrorFinder (marked by a `confident_learning` entry):
  share of flagged items per split (beside the true error share where gold labels were given)
  and the noise matrix of the fit split;
- steps with an `end_model` entry holding `before` and `after` (the `classifiers/refit` step):
  the end model's scores before and after the review;
- `label_error_analysis` entries (written by this package's experiments, or by users): per data
  set noise prevalence (`datasets`), and per model accuracies on the correctable and benign sets
  (`accuracy`, the output of `analysis.accuracy_sets`), drawn as the paper's rank-change and
  prevalence figures.

Figures go to `<run>/confident/*.png` with a `confident.html` page; the core HTML report runs
after every other reporter, so `report.html` shows them too.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field
from weasul.interfaces import Reporter
from weasul.params import WeasulParams

__all__ = ["ConfidentReporter", "collect"]

_log = logging.getLogger(__name__)


def collect(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a run's metrics this reporter draws: prevalence rows, noise matrices,
    review results and analysis tables."""
    rows: list[dict[str, Any]] = []
    matrices: list[tuple[str, Any, list[str]]] = []
    reviews: list[tuple[str, Any]] = []
    analyses: list[tuple[str, Mapping[str, Any]]] = []
    for step, values in metrics.items():
        if not isinstance(values, Mapping):
            continue
        marker = values.get("confident_learning")
        if isinstance(marker, Mapping):
            names = list(marker.get("class_names") or [])
            for split, m in values.items():
                if isinstance(m, Mapping) and "share" in m and "noise_matrix" in m:
                    rows.append(
                        {
                            "name": f"{step}/{split}",
                            "share": m["share"],
                            "validated": m.get("true_error_share"),
                        }
                    )
                    if split == marker.get("fit_on") or len(matrices) == 0:
                        matrices.append((f"{step}/{split}", m["noise_matrix"], names))
        end_model = values.get("end_model")
        if isinstance(end_model, Mapping) and {"before", "after"} <= set(end_model):
            reviews.append((step, end_model))
        analysis = values.get("label_error_analysis")
        if isinstance(analysis, Mapping):
            analyses.append((step, analysis))
            for row in analysis.get("datasets", []):
                rows.append(dict(row))
    return {"rows": rows, "matrices": matrices, "reviews": reviews, "analyses": analyses}


class ConfidentReporter(Reporter):
    """Draws noise prevalence, noise matrices, review before/after, rank changes on the
    correctable set and accuracy vs noise prevalence (matplotlib, Agg) into the run folder."""

    class Params(WeasulParams):
        folder: str = Field("confident", description="subfolder of the run for the figures")

    params: Params

    def write(self, run_dir: Path, metrics: dict[str, Any]) -> list[Path]:
        from weasul_confident import plots

        run_dir = Path(run_dir)
        out_dir = run_dir / self.params.folder
        parts = collect(metrics)
        figures: list[tuple[str, Path]] = []
        if parts["rows"]:
            figures.append(
                (
                    "Label issues per data set",
                    plots.plot_noise_prevalence(parts["rows"], out_dir / "noise_prevalence.png"),
                )
            )
        for name, matrix, class_names in parts["matrices"]:
            safe = name.replace("/", "_")
            figures.append(
                (
                    f"Noise matrix {name}",
                    plots.plot_noise_matrix(
                        matrix, out_dir / f"noise_matrix_{safe}.png", class_names, f"P(given | true), {name}"
                    ),
                )
            )
        for step, end_model in parts["reviews"]:
            figures.append(
                (
                    f"Review {step}",
                    plots.plot_review(
                        end_model, out_dir / f"review_{step}.png", f"{step}: end model before/after review"
                    ),
                )
            )
        tables: list[str] = []
        for step, analysis in parts["analyses"]:
            accuracy = analysis.get("accuracy")
            if isinstance(accuracy, Mapping) and len(accuracy) >= 2:
                title = str(analysis.get("title", step))
                figures.append(
                    (
                        f"Rank changes {step}",
                        plots.plot_rank_changes(accuracy, out_dir / f"rank_changes_{step}.png", title),
                    )
                )
                figures.append(
                    (
                        f"Noise prevalence curves {step}",
                        plots.plot_prevalence_curves(
                            accuracy, out_dir / f"prevalence_curves_{step}.png", title
                        ),
                    )
                )
                tables.append(_accuracy_table(step, accuracy))
        if not figures:
            _log.info("confident-learning reporter: nothing to draw in this run")
            return []
        page = out_dir.parent / "confident.html"
        body = "".join(
            f"<h2>{html.escape(t)}</h2><img src='{html.escape(p.relative_to(run_dir).as_posix())}' style='max-width:100%'>"
            for t, p in figures
        )
        style = "body{font-family:sans-serif;margin:2em}td,th{padding:2px 10px;border-bottom:1px solid #ddd}"
        page.write_text(
            f"<!doctype html><meta charset='utf-8'><style>{style}</style><h1>Label errors (confident learning)</h1>"
            + "".join(tables)
            + body,
            encoding="utf-8",
        )
        return [p for _, p in figures] + [page]


def _accuracy_table(step: str, accuracy: Mapping[str, Mapping[str, float]]) -> str:
    cols = ("original_D", "corrected_P", "original_C", "corrected_C", "B")
    head = "".join(f"<th>{c}</th>" for c in ("model", *cols))
    rows = "".join(
        "<tr><td>"
        + html.escape(m)
        + "</td>"
        + "".join(f"<td>{100 * float(r[c]):.1f}</td>" for c in cols)
        + "</tr>"
        for m, r in accuracy.items()
    )
    return f"<h2>Accuracy (%) {html.escape(step)}</h2><table><tr>{head}</tr>{rows}</table>"
