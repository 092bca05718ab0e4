"""A self-contained HTML report of a run's metrics and figures."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from weasul.interfaces import Reporter
from weasul.params import WeasulParams

__all__ = ["HtmlReporter"]


def _table(metrics: dict[str, Any]) -> str:
    rows = []
    for key, value in metrics.items():
        if isinstance(value, (int, float, str, bool)) or value is None:
            shown = f"{value:.4f}" if isinstance(value, float) else str(value)
            rows.append(f"<tr><td>{html.escape(str(key))}</td><td>{html.escape(shown)}</td></tr>")
    return "<table>" + "".join(rows) + "</table>" if rows else ""


class HtmlReporter(Reporter):
    """Writes report.html: scalar metrics per step, every PNG figure in the run folder, and
    the remaining structured metrics as JSON."""

    class Params(WeasulParams):
        title: str = "weasul run"

    params: Params

    def write(self, run_dir: Path, metrics: dict[str, Any]) -> list[Path]:
        parts = [f"<h1>{html.escape(self.params.title)}</h1>", f"<p>{html.escape(str(run_dir))}</p>"]
        for step, values in metrics.items():
            parts.append(f"<h2>{html.escape(step)}</h2>")
            if isinstance(values, dict):
                parts.append(_table(values))
                rest = {k: v for k, v in values.items() if isinstance(v, (dict, list))}
                if rest:
                    dumped = json.dumps(rest, indent=1, default=str)[:20000]
                    parts.append(
                        f"<details><summary>details</summary><pre>{html.escape(dumped)}</pre></details>"
                    )
        for figure in sorted(run_dir.rglob("*.png")):
            rel = figure.relative_to(run_dir).as_posix()
            parts.append(f"<h3>{html.escape(rel)}</h3><img src='{html.escape(rel)}' style='max-width:100%'>")
        style = "body{font-family:sans-serif;margin:2em}td{padding:2px 12px;border-bottom:1px solid #ddd}"
        page = f"<!doctype html><meta charset='utf-8'><style>{style}</style>" + "\n".join(parts)
        out = run_dir / "report.html"
        out.write_text(page, encoding="utf-8")
        return [out]
