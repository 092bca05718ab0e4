"""The HTML report of a run: one self-contained report.html (see `weasul.report`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from weasul.interfaces import Reporter
from weasul.params import WeasulParams

__all__ = ["HtmlReporter"]


class HtmlReporter(Reporter):
    """Writes report.html: the run header (status, timings, versions, spec), a summary card per
    step, each step's sections from its step's `report` hook, and the PNG figures the other
    reporters wrote (embedded, so the page can be mailed or archived alone). Rebuild it with
    `weasul report RUN_DIR`."""

    class Params(WeasulParams):
        title: str = ""

    params: Params

    def write(self, run_dir: Path, metrics: dict[str, Any]) -> list[Path]:
        from weasul.report import write_report

        page = write_report(Path(run_dir), metrics, title=self.params.title, final=True)
        return [page, page.with_name("report.json")]
