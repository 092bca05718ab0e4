"""report.html without a browser: sections, figures, header and the report/runs commands,
checked on the page parsed with html.parser."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import weasul
import yaml
from weasul import report
from weasul.builtin.reporters import HtmlReporter
from weasul.cli import main
from weasul.report import Headline, fmt, write_report
from weasul.steps import ActiveLoopStep, LabelingFunctionStep, LabelModelStep, Step


class Page(HTMLParser):
    """The parts of a report page the tests read: tables (rows of cell texts) per step section,
    figures (aria-label -> counts of drawn marks), headings, cards and the visible text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[list[str]]]] = {}
        self.figures: dict[str, dict[str, int]] = {}
        self.headings: list[str] = []
        self.cards: list[str] = []
        self.text: list[str] = []
        self.ids: set[str] = set()
        self._section = ""
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._figure: str | None = None
        self._heading: list[str] | None = None
        self._card: list[str] | None = None
        self._card_depth = 0
        self._skip = 0
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "section":
            self._section = str(a.get("id") or "")
        elif tag == "table":
            self.tables.setdefault(self._section, []).append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "svg":
            self._figure = str(a.get("aria-label"))
            self.figures[self._figure] = {}
        elif self._figure is not None:
            self.figures[self._figure][tag] = self.figures[self._figure].get(tag, 0) + 1
            if tag == "polyline":
                key = "points:" + str(self.figures[self._figure][tag])
                self.figures[self._figure][key] = len(str(a.get("points")).split())
        elif tag in ("h1", "h2", "h3"):
            self._heading = []
        if tag == "div" and "card" in str(a.get("class") or "").split():
            self._card, self._card_depth = [], 0
        if self._card is not None and tag == "div":
            self._card_depth += 1
        if tag in ("style", "title"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._section][-1].append(self._row)
            self._row = None
        elif tag == "svg":
            self._figure = None
        elif tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append(" ".join("".join(self._heading).split()))
            self._heading = None
        if self._card is not None and tag == "div":
            self._card_depth -= 1
            if self._card_depth == 0:
                self.cards.append(" ".join(" ".join(self._card).split()))
                self._card = None
        if tag in ("style", "title"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        for part in (self._cell, self._heading, self._card):
            if part is not None:
                part.append(data)
        if self._figure is None:
            self.text.append(data)

    def rows(self, section: str, first_column: str) -> list[list[str]]:
        """Rows of the table in `section` whose header starts with `first_column`."""
        for table in self.tables.get(section, []):
            if table and table[0] and table[0][0] == first_column:
                return table[1:]
        raise AssertionError(
            f"no table starting with {first_column!r} in {section}: {self.tables.get(section)}"
        )

    @property
    def visible(self) -> str:
        return " ".join(" ".join(self.text).split())


LF_SUMMARY = [
    {
        "lf": "has_link",
        "polarity": [1],
        "coverage": 0.5,
        "overlaps": 0.25,
        "conflicts": 0.125,
        "emp_acc": 0.9,
    },
    {"lf": "short", "polarity": [0], "coverage": 0.25, "overlaps": 0.25, "conflicts": 0.0, "emp_acc": 2 / 3},
]


def _run_folder(
    tmp_path: Path, steps: list[dict[str, Any]], metrics: dict[str, Any], record: Any = None
) -> Path:
    run_dir = tmp_path / "runs" / "demo" / "20260101-000000"
    run_dir.mkdir(parents=True)
    spec = {"weasul": 1, "name": "demo", "steps": steps, "report": {"html": True, "reporters": []}}
    (run_dir / "spec.yaml").write_text(yaml.safe_dump(spec))
    (run_dir / "metrics.json").write_text(json.dumps(metrics))
    if record is not None:
        (run_dir / "run.json").write_text(json.dumps(record))
    return run_dir


def test_fmt_rounds_and_groups() -> None:
    assert fmt(0.94053380782918) == "0.9405"
    assert fmt(1.0) == "1.0000"
    assert fmt(16.2934) == "16.29"
    assert fmt(123456.7) == "123,457"
    assert fmt(1234) == "1,234"
    assert fmt(float("nan")) == "–" and fmt(None) == "–"
    assert fmt(3.2e-7) == "3.2e-07"
    assert fmt([1, 0.5]) == "1, 0.5000"
    assert fmt(np.float32(0.25)) == "0.2500" and fmt(np.int64(7)) == "7"


def test_split_summaries_keep_non_empty_row_lists_and_tables_start_from_train() -> None:
    rows = [{"lf": "a", "coverage": 0.5}]
    metrics = {
        "dev": {"lf_summary": rows},
        "train": {"lf_summary": rows, "n": 3},
        "valid": {"lf_summary": []},  # empty: nothing to show
        "extra": {"lf_summary": "not rows"},
        "test": {"lf_summary": rows},
        "accuracy": 0.9,  # a scalar beside the splits
    }
    summaries = report.split_summaries(metrics, "lf_summary")
    assert summaries == {"dev": rows, "train": rows, "test": rows}
    assert report.split_summaries(metrics, "concept_summary") == {}
    assert report.train_first(summaries) == ["train", "test", "dev"]
    assert report.train_first(["other", "valid", "test"]) == ["test", "valid", "other"]  # no train


def test_lf_section_shows_every_lf_with_its_numbers_and_the_coverage_chart(tmp_path: Path) -> None:
    metrics = {"lfs": {"train": {"lf_summary": LF_SUMMARY}}}
    run_dir = _run_folder(tmp_path, [{"id": "lfs", "use": "labeling_functions/python"}], metrics)
    L = np.array([[1, -1], [1, 0], [-1, -1], [-1, 0]])  # 3 of 4 items have a vote
    (run_dir / "artifacts" / "lfs").mkdir(parents=True)
    np.save(run_dir / "artifacts" / "lfs" / "L.train.npy", L)
    page = Page(write_report(run_dir).read_text())
    rows = page.rows("step-lfs", "lf")
    assert rows == [
        ["has_link", "1", "0.5000", "0.2500", "0.1250", "0.9000"],
        ["short", "0", "0.2500", "0.2500", "0", "0.6667"],
    ]
    assert "any LF votes on 0.7500 of 4 items" in page.visible
    chart = page.figures["Coverage and empirical accuracy per LF (train)"]
    assert chart["rect"] >= 4 + 2  # two bars per LF plus the legend keys
    assert any("lfs" in c and "0.7500" in c and "train coverage" in c and "2 LFs" in c for c in page.cards)


def test_label_model_section_has_scores_and_class_shares(tmp_path: Path) -> None:
    metrics = {"train": {"coverage": 0.75, "accuracy": 0.8}, "test": {"coverage": 0.5, "accuracy": 0.6}}
    folder = tmp_path / "artifacts"
    folder.mkdir()
    np.save(folder / "pred.test.npy", np.array([0, 0, 1, 1, 1]))
    (section,) = LabelModelStep().report("lm", metrics, folder)
    assert section.headline == Headline("test accuracy", 0.6)
    scores, shares = section.tables
    assert [r[0] for r in scores.rows] == ["test", "train"]  # test first
    assert shares.rows == [["test", 5, 0.4, 0.6]]


def test_active_loop_section_draws_the_learning_curve_and_lists_queries(tmp_path: Path) -> None:
    history = [
        {
            "iteration": 0,
            "n_labelled": 0,
            "queried": [],
            "answers": [],
            "test": {"accuracy": 0.7, "macro_f1": 0.6},
        },
        {
            "iteration": 1,
            "n_labelled": 2,
            "queried": [5, 9],
            "answers": [1, 0],
            "test": {"accuracy": 0.8, "macro_f1": 0.75},
        },
        {
            "iteration": 2,
            "n_labelled": 3,
            "queried": [4],
            "answers": [-1],
            "test": {"accuracy": 0.9, "macro_f1": 0.85},
        },
    ]
    (section,) = ActiveLoopStep().report("loop", {"history": history}, tmp_path)
    assert section.headline == Headline("test accuracy", 0.9, "from 0.7000 with 3 labels")
    (table,) = section.tables
    assert [row[:4] for row in table.rows] == [[0, 0, "–", "–"], [1, 2, "5, 9", "1, 0"], [2, 3, "4", "-1"]]
    (figure,) = section.figures
    assert figure.title == "Learning curve"
    svg = Page(figure.svg).figures["Learning curve"]
    assert svg["polyline"] == 2 and svg["points:1"] == svg["points:2"] == 3  # accuracy and macro-F1
    assert 'stroke-dasharray="6 4"' in figure.svg  # macro-F1 dashed


def test_default_section_and_svg_escape_labels() -> None:
    section = Step().report(
        "x", {"test": {"accuracy": 0.5, "n": 10}, "notes": {"a": [0.123456789]}}, Path("/none")
    )[0]
    assert section.tables[0].rows == [["test", 0.5, 10]]
    assert section.details == {"notes": {"a": [0.1235]}}
    figure = report.bar_chart(["<b>&x"], {"s": [0.5]}, title="t<", value_label="v")
    assert "<b>" not in figure.svg and "&lt;b&gt;&amp;x" in figure.svg and 'aria-label="t&lt;"' in figure.svg
    assert LabelingFunctionStep().report("lfs", {}, Path("/none"))[0].text == "This step reports no metrics."


def test_header_shows_status_error_timings_and_versions(tmp_path: Path) -> None:
    record = {
        "status": "failed",
        "error": "step 'lm' (label_models/x): boom",
        "started": "2026-01-01T00:00:00+00:00",
        "seconds": 2.5,
        "git": {"commit": "0123456789abcdef0123", "dirty": True},
        "python": "3.11.7",
        "packages": {"weasul-core": "0.1.0", "numpy": "2.0.0"},
        "steps": {
            "lfs": {"use": "labeling_functions/python", "key": "k", "cached": True, "seconds": 0.123456}
        },
    }
    metrics = {"lfs": {"train": {"lf_summary": LF_SUMMARY}}}
    run_dir = _run_folder(tmp_path, [{"id": "lfs", "use": "labeling_functions/python"}], metrics, record)
    page = Page(write_report(run_dir).read_text())
    assert page.headings[0] == "weasul run demo failed"
    assert "boom" in page.visible and "git 0123456789ab (uncommitted changes)" in page.visible
    assert page.rows("run", "step") == [["lfs", "labeling_functions/python", "0.1235", "yes"]]
    assert ["numpy", "2.0.0"] in page.rows("run", "package")


def test_status_of_the_report_the_engine_writes_last(tmp_path: Path) -> None:
    record = {"status": "running", "steps": {"lfs": {"use": "labeling_functions/python", "seconds": 1.0}}}
    run_dir = _run_folder(tmp_path, [{"id": "lfs", "use": "labeling_functions/python"}], {"lfs": {}}, record)
    assert Page(report.render_report(run_dir)).headings[0].endswith("running")
    assert Page(report.render_report(run_dir, final=True)).headings[0].endswith("finished")
    record["steps"] = {}
    (run_dir / "run.json").write_text(json.dumps(record))  # a step missing: still running
    assert Page(report.render_report(run_dir, final=True)).headings[0].endswith("running")


def test_missing_plugin_and_failing_hook_keep_the_metrics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps = [
        {"id": "a", "use": "label_models/not-installed-here"},
        {"id": "b", "use": "labeling_functions/python"},
    ]
    metrics = {"a": {"test": {"accuracy": 0.25}}, "b": {"test": {"accuracy": 0.5}}}
    run_dir = _run_folder(tmp_path, steps, metrics)

    class Broken(Step):
        def report(self, step_id: str, metrics: Any, artifacts_dir: Path) -> list[report.ReportSection]:
            raise ValueError("no luck")

    original = report._step_runner
    monkeypatch.setattr(
        report, "_step_runner", lambda use, p: Broken() if use.startswith("labeling") else original(use, p)
    )
    page = Page(write_report(run_dir).read_text())
    assert "plugin not loadable here (PluginNotFoundError)" in page.visible
    assert "Broken.report failed (ValueError: no luck)" in page.visible
    assert page.rows("step-a", "split") == [["test", "0.2500"]]
    assert page.rows("step-b", "split") == [["test", "0.5000"]]


def test_engine_run_report_is_self_contained_with_scores_and_curve(
    toy_plugins, npy_data, toy_spec, tmp_path
) -> None:
    result = weasul.run(toy_spec(npy_data), runs_dir=tmp_path / "runs")
    text = (result.path / "report.html").read_text()
    page = Page(text)
    assert page.headings[0] == "weasul run toy finished"
    lm_test = result.metrics["lm"]["test"]
    assert ["test", fmt(lm_test["coverage"]), fmt(lm_test["accuracy"])] == page.rows("step-lm", "split")[0][
        :3
    ]
    (ece_table,) = [t for t in page.tables["step-lm"] if "ECE" in t[0]]  # data.y read back
    assert [r[0] for r in ece_table[1:]] == ["test", "train"] and all(
        0 <= float(r[2]) < 0.5 for r in ece_table[1:]
    )
    assert page.figures["Calibration (test)"]["polyline"] == 2  # the model and the diagonal
    history = result.metrics["loop"]["history"]
    curve = page.figures["Learning curve"]
    assert curve["points:1"] == len(history) >= 3  # one point per iteration, iteration 0 included
    assert [r[1] for r in page.rows("step-loop", "iteration")] == [str(h["n_labelled"]) for h in history]
    assert {"summary", "step-lm", "step-gold", "step-loop", "run"} <= page.ids
    assert not re.search(r"\d\.\d{7,}", page.visible), "a long float in the page"
    assert not re.search(r"""(src|href)=["'](?!data:|#)""", text), "the page links outside itself"
    # the HtmlReporter writes the same page; `weasul report` rebuilds it
    (result.path / "report.html").unlink()
    assert HtmlReporter().write(result.path, result.metrics) == [
        result.path / "report.html",
        result.path / "report.json",
    ]
    assert main(["report", str(result.path)]) == 0
    assert Page((result.path / "report.html").read_text()).figures["Learning curve"] == curve


def test_runs_lists_and_compares(toy_plugins, npy_data, toy_spec, tmp_path, capsys) -> None:
    runs = tmp_path / "runs"
    first = weasul.run(toy_spec(npy_data), runs_dir=runs)
    second = weasul.run(toy_spec(npy_data, params={"class_prior": [0.2, 0.8]}), runs_dir=runs)
    capsys.readouterr()
    assert main(["runs", "--runs-dir", str(runs)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and lines[2].startswith(f"toy/{first.path.name}") and "finished" in lines[2]
    assert f"lm test accuracy {fmt(first.metrics['lm']['test']['accuracy'])}" in lines[2]
    last = first.metrics["loop"]["history"][-1]["test"][
        "accuracy"
    ]  # the loop's own headline, from report.json
    assert f"loop test accuracy {fmt(last)}" in lines[2]
    (first.path / "report.json").unlink()  # an older run: headlines from the metrics alone
    assert main(["runs", "--runs-dir", str(runs), "toy"]) == 0
    assert "loop" not in capsys.readouterr().out.splitlines()[2]
    assert main(["runs", "--runs-dir", str(runs), "--compare", str(first.path), "toy"]) == 0
    out = capsys.readouterr().out
    a, b = first.metrics["lm"]["test"]["accuracy"], second.metrics["lm"]["test"]["accuracy"]
    row = next(line for line in out.splitlines() if line.startswith("lm.test.accuracy "))
    assert row.split()[1:3] == [fmt(a), fmt(b)]
    assert "steps.lm.params.class_prior" in out
    assert main(["runs", "--runs-dir", str(tmp_path / "nowhere")]) == 2
    assert "no runs folder" in capsys.readouterr().err


def test_error_finder_section_shows_flagged_items_with_text_given_and_suggested(tmp_path: Path) -> None:
    pytest.importorskip("pandas")
    csv = tmp_path / "items.csv"
    csv.write_text("text,label\nbuy now,1\nnice song,0\ncheck my channel,0\nlovely,0\n")
    data = {
        "use": "table",
        "params": {
            "files": {"train": [str(csv)]},
            "text_column": "text",
            "label_column": "label",
            "class_names": ["HAM", "SPAM"],
        },
    }
    steps = [
        {"id": "lm", "use": "labeling_functions/python"},
        {"id": "find", "use": "labeling_functions/python", "inputs": {"labels": "lm.train.pred"}},
    ]
    metrics = {"find": {"train": {"n_issues": 2, "share": 0.5, "noise_matrix": [[0.9, 0.2], [0.1, 0.8]]}}}
    run_dir = _run_folder(tmp_path, steps, metrics)
    spec = yaml.safe_load((run_dir / "spec.yaml").read_text())
    (run_dir / "spec.yaml").write_text(yaml.safe_dump({**spec, "data": data}))
    for step, name, values in (
        ("lm", "pred", [1, 0, 0, 0]),
        ("find", "ranked", [2, 0]),
        ("find", "suggested", [0, 0, 1, 0]),
        ("find", "scores", [0.3, 0.9, 0.1, 0.8]),
    ):
        (run_dir / "artifacts" / step).mkdir(parents=True, exist_ok=True)
        np.save(run_dir / "artifacts" / step / f"{name}.train.npy", np.array(values))
    (section,) = report.error_finder_sections("find", metrics["find"], run_dir / "artifacts" / "find")
    flagged = section.tables[-1]
    assert flagged.columns == ["item", "text", "given", "suggested", "score"]
    assert flagged.rows == [
        ["2", "check my channel", "HAM", "SPAM", 0.1],
        ["0", "buy now", "SPAM", "HAM", 0.3],
    ]
    assert section.headline == Headline("train items flagged", 2, "share 0.5000")
    (matrix,) = section.figures
    assert (
        matrix.title == "Noise matrix P(given | true), train"
        and ">0.900<" in matrix.svg
        and ">SPAM<" in matrix.svg
    )
    # without the data set (moved away): the same table without text, labels as indices
    csv.unlink()
    report._DATA_CACHE.clear()
    (section,) = report.error_finder_sections("find", metrics["find"], run_dir / "artifacts" / "find")
    assert section.tables[-1].rows[0] == ["2", 0, 1, 0.1]


def test_calibration_bins_measure_overconfidence() -> None:
    probs = np.tile([0.9, 0.1], (10, 1))
    ece, points = report.calibration_bins(probs, np.array([0] * 9 + [1]))
    assert ece == pytest.approx(0.0) and points == [(pytest.approx(0.9), pytest.approx(0.9), 10)]
    ece, points = report.calibration_bins(probs, np.array([0, 1] * 5))  # 90% sure, half right
    assert ece == pytest.approx(0.4)
    probs = np.array([[0.55, 0.45], [0.95, 0.05]])
    ece, points = report.calibration_bins(probs, np.array([1, 0]))
    assert [p[2] for p in points] == [1, 1] and ece == pytest.approx((0.55 + 0.05) / 2)


def test_report_command_names_a_folder_that_is_no_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err
    assert "no run folder" in err and "nothing" in err
