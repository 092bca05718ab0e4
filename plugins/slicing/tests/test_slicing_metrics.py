"""Per-slice metrics and the reporter's table and chart."""

from __future__ import annotations

import json

import numpy as np
import pytest
from weasul_slicing import SliceMetricsReporter, slice_metrics
from weasul_slicing.metrics import collect_slice_rows, format_table


def test_slice_metrics_by_hand():
    y = np.array([0, 1, 1, 0, 1, 0])
    probs = np.eye(2)[[0, 1, 0, 0, 0, 1]]
    S = np.array([[1, 0, 0], [1, 1, 0], [1, 1, 0], [1, 0, 0], [1, 1, 0], [1, 0, 0]])
    out = slice_metrics(y, probs, S, ["base", "tail", "empty"])
    assert out["base"]["n"] == 6 and out["base"]["accuracy"] == pytest.approx(3 / 6)
    assert out["tail"]["n"] == 3 and out["tail"]["accuracy"] == pytest.approx(1 / 3)
    assert out["tail"]["f1"] == pytest.approx(0.5)  # tp 1, fn 2, fp 0
    assert out["empty"]["n"] == 0 and np.isnan(out["empty"]["accuracy"])
    assert list(slice_metrics(y, probs, S)) == ["base", "slice_1", "slice_2"]


def test_reporter_writes_table_and_chart(tmp_path):
    metrics = {
        "lfs": {"train": {"slice_sizes": {"base": 6}}},
        "backbone": {
            "test": {
                "n": 6,
                "accuracy": 0.9,
                "macro_f1": 0.8,
                "slices": {
                    "base": {"n": 6, "accuracy": 0.9, "macro_f1": 0.8},
                    "tail": {"n": 2, "accuracy": 0.5, "macro_f1": 0.4},
                },
            }
        },
        "sbl": {
            "test": {
                "n": 6,
                "accuracy": 0.95,
                "macro_f1": 0.9,
                "slices": {
                    "base": {"n": 6, "accuracy": 0.95, "macro_f1": 0.9},
                    "tail": {"n": 2, "accuracy": 1.0, "macro_f1": 1.0},
                },
            }
        },
    }
    rows = collect_slice_rows(json.loads(json.dumps(metrics)))
    assert len(rows) == 4 and {r["step"] for r in rows} == {"backbone", "sbl"}
    table = format_table(rows)
    assert "| sbl | test | 95.0 | 100.0 |" in table
    paths = SliceMetricsReporter().write(tmp_path, metrics)
    names = sorted(p.name for p in paths)
    assert names == ["slice_metrics.csv", "slice_metrics.md", "slice_metrics.png"]
    assert (tmp_path / "slice_metrics.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "slice_metrics.csv").read_text().count("\n") == 5
    assert SliceMetricsReporter().write(tmp_path / "none", {"lfs": {}}) == []
