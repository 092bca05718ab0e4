"""The experiments' command lines: the shared `--data`, `--n-mix` and `--out` reach `run` and the
JSON result lands where `--out` says, beside each experiment's own arguments (run replaced here)."""

from __future__ import annotations

import json

import pytest
from weasul_tadpole.experiments import figure4, pretraining, table3


@pytest.mark.parametrize(
    ("module", "n_mix", "own"),
    [
        (figure4, 3000, {"seed": 0, "task_size": 500}),
        (pretraining, 3000, {"seeds": [0], "task": "bio"}),
        (table3, 16000, {"seeds": [0, 1, 2, 3, 4], "share": 0.2}),
    ],
)
def test_shared_arguments_reach_run_and_the_result_is_written(module, n_mix, own, tmp_path, monkeypatch, capsys):
    seen: list[dict] = []
    monkeypatch.setattr(module, "run", lambda **kw: seen.append(kw) or {"score": 0.5})
    monkeypatch.setattr(module, "render", lambda result: f"shown {result['score']}")
    monkeypatch.chdir(tmp_path)
    assert module.main([]) == 0
    default = tmp_path / "runs" / "tadpole" / f"{module.__name__.rsplit('.', 1)[1]}.json"
    assert json.loads(default.read_text()) == {"score": 0.5}
    assert seen[0]["root"] is None and seen[0]["n_mix"] == n_mix
    assert {k: seen[0][k] for k in own} == own
    out = tmp_path / "elsewhere" / "r.json"
    assert module.main(["--data", "corpora", "--n-mix", "7", "--out", str(out)]) == 0
    assert seen[1]["root"] == "corpora" and seen[1]["n_mix"] == 7
    assert json.loads(out.read_text()) == {"score": 0.5}
    assert capsys.readouterr().out.endswith(f"shown 0.5\n\nwritten: {out}\n")
