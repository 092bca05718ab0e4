"""The Table 1 reproduction at a tiny size: every cell is filled and printed in the paper's layout."""

from __future__ import annotations

import json

import pytest
from weasul_information_graph.reproduce import COLUMNS, METHODS, Config, format_table, run


@pytest.mark.slow
def test_reproduction_fills_table_1():
    report = run(1, Config(n_stations=2, n_windows=40, epochs=2, steps_per_epoch=4, width=4))
    table = format_table(report)
    lines = table.splitlines()
    assert all(c in lines[0] for c in COLUMNS) and len(lines) == 1 + len(METHODS)
    for method in METHODS:
        for column in COLUMNS:
            cells = report["results"][method][column]
            assert len(cells) == (0 if method == "XE" and column.endswith("+SC") else 1)
            assert all(0.0 <= c["accuracy"] <= 1.0 for c in cells)
    assert lines[1].count("-") >= 2  # XE has no +SC cells, as in the paper
    assert "accuracy_other_stations" in report["results"]["IG+anchors"]["one-station+SC"][0]


@pytest.mark.slow
def test_command_line_options_reach_the_run(tmp_path, capsys):
    from weasul_information_graph.reproduce import main

    out = tmp_path / "table1.json"
    args = ["--seeds", "1", "--stations", "2", "--windows", "30", "--epochs", "1", "--steps", "2"]
    assert main([*args, "--site-scale", "1.0", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["config"]["site_scale"] == 1.0 and report["config"]["n_windows"] == 30
    assert "CNN+IG+anchors" in capsys.readouterr().out
