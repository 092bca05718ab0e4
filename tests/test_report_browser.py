"""report.html of real example runs: in headless Chromium (skipped without it), and the plugins'
report sections (TADPOLE, slicing, factor graph) without a browser."""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import weasul
from weasul.report import fmt

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed (Debian: apt-get install --no-install-recommends chromium); "
    "core/tests/test_report.py checks the same page content without a browser",
)


class _Dom(HTMLParser):
    """Text of the rendered DOM, its table rows by section id and its SVG figures (aria-label
    -> polyline point counts)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.rows: dict[str, list[list[str]]] = {}
        self._section = ""
        self.figures: dict[str, list[int]] = {}
        self.text: list[str] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._svg: str | None = None
        self._skip = 0
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self._section = str(a.get("id") or "")
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "svg":
            self._svg = str(a.get("aria-label"))
            self.figures[self._svg] = []
        elif tag == "polyline" and self._svg is not None:
            self.figures[self._svg].append(len(str(a.get("points")).split()))
        elif tag in ("style", "title", "script"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.setdefault(self._section, []).append(self._row)
            self._row = None
        elif tag == "svg":
            self._svg = None
        elif tag in ("style", "title", "script"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)
            if self._cell is not None:
                self._cell.append(data)


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _rendered(page: Path, tmp_path: Path) -> _Dom:
    """The page's DOM as Chromium built it, after checking that a screenshot shows something."""
    done = _chromium("--dump-dom", page.as_uri())
    assert done.returncode == 0 and "</html>" in done.stdout, done.stderr[-2000:]
    shot = tmp_path / f"{page.parent.parent.name}.png"
    _chromium(f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri())
    assert shot.is_file() and shot.stat().st_size > 20_000, "Chromium drew an (almost) empty page"
    return _Dom(done.stdout)


@needs_chromium
def test_demo_report_in_chromium_shows_test_accuracy_and_lf_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    result = weasul.run("examples/spam.yaml", runs_dir=tmp_path / "runs")
    metrics = json.loads((result.path / "metrics.json").read_text())
    dom = _rendered(result.path / "report.html", tmp_path)
    text = " ".join(" ".join(dom.text).split())
    accuracy = fmt(metrics["clf"]["test"]["accuracy"])
    assert f"{accuracy} test accuracy" in text  # the end model's summary card
    assert dom.rows["step-clf"][1][:2] == ["test", accuracy]  # the end model's table, test first
    for lf in metrics["lfs"]["train"]["lf_summary"]:  # every LF has its row with its numbers
        row = next(r for r in dom.rows["step-lfs"] if r[:1] == [lf["lf"]])
        assert row[1:4] == [["HAM", "SPAM"][lf["polarity"][0]], fmt(lf["coverage"]), fmt(lf["overlaps"])]
    assert "Coverage and empirical accuracy per LF (train)" in dom.figures
    assert "finished" in text


@needs_chromium
def test_active_loop_report_in_chromium_shows_the_learning_curve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    result = weasul.run("examples/active-weasul-synthetic.yaml", runs_dir=tmp_path / "runs")
    history = json.loads((result.path / "metrics.json").read_text())["loop"]["history"]
    dom = _rendered(result.path / "report.html", tmp_path)
    assert dom.figures["Learning curve"] == [len(history), len(history)]  # accuracy and macro-F1 lines
    queried = [r for r in dom.rows["step-loop"] if r[0].isdigit()]
    assert [r[2] for r in queried[1:]] == [", ".join(map(str, h["queried"])) for h in history[1:]]
    text = " ".join(" ".join(dom.text).split())
    assert (
        f"{fmt(history[-1]['test']['accuracy'])} test accuracy from {fmt(history[0]['test']['accuracy'])}"
        in text
    )


# --- plugins' sections, without a browser ---------------------------------------------------
def test_tadpole_section_ranks_detectors_and_names_the_choice() -> None:
    pytest.importorskip("weasul_tadpole")
    from weasul_tadpole.steps import TadpoleStep

    ranking = [
        {"detector": "lof", "paper_name": "LOF", "f1": 0.85, "f1_std": 0.1, "auc": 0.89},
        {"detector": "knn", "paper_name": "kNN", "f1": 0.8, "f1_std": 0.2, "auc": 0.92},
        {"detector": "robust-covariance", "error": "needs more rows"},
    ]
    metrics = {"general": {"kept_share": 0.2, "mean_weight": 0.21}, "detector": "lof", "ranking": ranking}
    (section,) = TadpoleStep().report("filter", metrics, Path("/none"))
    assert section.headline is not None and section.headline.value == "lof"
    assert section.headline.detail == "F1 0.8500 ± 0.1000, AUC 0.8900"
    ranked, failed, kept = section.tables
    assert [r[0] for r in ranked.rows] == ["lof", "knn"] and ranked.highlight == frozenset({0})
    assert failed.rows == [["robust-covariance", "needs more rows"]]
    assert kept.rows[0][:2] == ["general", 0.2]
    assert section.figures[0].title == "Detector ranking"


def test_tadpole_section_shows_the_sentences_most_and_least_like_the_task(tmp_path: Path) -> None:
    pytest.importorskip("weasul_tadpole")
    pytest.importorskip("pandas")
    import yaml
    from weasul_tadpole.steps import TadpoleStep

    sentences = [f"sentence {i}" for i in range(12)]
    (tmp_path / "general.csv").write_text("text\n" + "\n".join(sentences) + "\n")
    data = {
        "use": "table",
        "params": {"files": {"general": [str(tmp_path / "general.csv")]}, "text_column": "text"},
    }
    steps = [{"id": "filter", "use": "anomaly_scorers/tadpole", "inputs": {"text": "data.general.text"}}]
    run_dir = tmp_path / "run"
    (run_dir / "artifacts" / "filter").mkdir(parents=True)
    (run_dir / "spec.yaml").write_text(
        yaml.safe_dump({"weasul": 1, "name": "t", "data": data, "steps": steps})
    )
    scores = np.array([5.0, 1.0, 9.0, 2.0, 8.0, 3.0, 7.0, 4.0, 6.0, 0.5, 10.0, 11.0])
    np.save(run_dir / "artifacts" / "filter" / "scores.general.npy", scores)
    np.save(run_dir / "artifacts" / "filter" / "weights.general.npy", (scores < 3).astype(float))
    (section,) = TadpoleStep().report(
        "filter", {"detector": "lof", "ranking": []}, run_dir / "artifacts" / "filter"
    )
    table = section.tables[-1]
    assert table.columns == ["item", "text", "anomaly score", "weight", "kept"]
    assert [r[0] for r in table.rows] == [
        9,
        1,
        3,
        5,
        7,
        6,
        4,
        2,
        10,
        11,
    ]  # lowest scores first, then the highest
    assert table.rows[0][1:] == ["sentence 9", 0.5, 1.0, True] and table.rows[-1][1:] == [
        "sentence 11",
        11.0,
        0.0,
        False,
    ]


def test_slicing_section_tabulates_slices_and_names_the_worst() -> None:
    pytest.importorskip("weasul_slicing")
    from weasul_slicing.steps import SlicingStep

    def split(acc: float, tail: float) -> dict[str, Any]:
        return {
            "n": 100,
            "accuracy": acc,
            "slices": {
                "base": {"n": 100, "accuracy": acc},
                "rare": {"n": 5, "accuracy": tail},
                "common": {"n": 40, "accuracy": 0.9},
            },
        }

    scores, slices = SlicingStep().report(
        "sbl", {"train": split(0.95, 0.6), "test": split(0.9, 0.2)}, Path("/none")
    )
    assert scores.headline is not None and scores.headline.label == "test accuracy"
    assert scores.headline.detail == "worst slice rare: 0.2000"
    assert [r[0] for r in scores.tables[0].rows] == ["test", "train"]  # per-slice rows only below
    (table,) = slices.tables
    assert table.columns[:4] == ["slice", "test n", "test accuracy", "test macro-F1"]
    assert [r[:3] for r in table.rows] == [["overall", 100, 0.9], ["rare", 5, 0.2], ["common", 40, 0.9]]
    assert slices.figures[0].title == "Accuracy per slice"


def test_factor_graph_section_lists_dependencies_strongest_first(tmp_path: Path) -> None:
    pytest.importorskip("weasul_factor_graph")
    pd = pytest.importorskip("pandas")
    from weasul.artifacts import write_value
    from weasul_factor_graph.steps import FactorGraphStep

    deps = pd.DataFrame(
        {
            "type": ["similar", "fixing", "reinforcing"],
            "j": [0, 1, 2],
            "k": [1, 2, 0],
            "weight": [0.1, -2.0, 0.5],
        }
    )
    write_value(deps, tmp_path / "dependencies.train")
    np.save(tmp_path / "pred.train.npy", np.array([0, 1, 1, 1]))
    metrics = {"train": {"coverage": 1.0, "accuracy": 0.75, "n_dependencies": 3}}
    sections = FactorGraphStep().report("fg", metrics, tmp_path)
    assert [s.title for s in sections] == ["Label model", "Dependencies"]
    by_type, table = sections[1].tables
    assert [r[3] for r in table.rows] == [-2.0, 0.5, 0.1]  # largest |weight| first
    assert sorted(map(tuple, by_type.rows)) == [("fixing", 1), ("reinforcing", 1), ("similar", 1)]
    assert "Sum of |weight| per pair of sources" == sections[1].figures[0].title
    write_value(deps.iloc[:0], tmp_path / "dependencies.train")
    assert "conditionally independent" in FactorGraphStep().report("fg", metrics, tmp_path)[1].text
