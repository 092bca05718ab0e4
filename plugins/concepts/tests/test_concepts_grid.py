"""Model selection on validation (`weasul_concepts.grid`) with reduced grids on a small sample:
each strategy keeps its best validation configuration, two-stage fine-tunes the validation
Pareto-optimal base models, and the pre-trained models are shared between golden settings."""

from __future__ import annotations

import pytest
from weasul.testing import shared_data
from weasul_concepts import grid
from weasul_concepts.metrics import pareto_front


def test_configs_and_select():
    assert grid.configs({"a": (1, 2)}, {"b": ("x",)}) == [{"a": 1, "b": "x"}, {"a": 2, "b": "x"}]
    scores = [{"valid_recall": r, "valid_map": m} for r, m in ((0.5, 0.5), (0.9, 0.3), (0.4, 0.7))]
    assert grid.select([{"scores": s} for s in scores]) == 1  # 1.2 beats 1.0 and 1.1
    with pytest.raises(ValueError, match="no candidate"):
        grid.select([])


def test_grid_run_selects_on_validation_and_shares_pretraining(monkeypatch):
    data = shared_data("tabular", "bank-full.csv")
    fast = {name: {**s, "epochs": 2} for name, s in grid.STRATEGIES.items()}
    fast["baseline"]["epochs"] = 5
    monkeypatch.setattr(grid, "STRATEGIES", fast)
    monkeypatch.setattr(
        grid, "COMMON_GRID", {"hidden": ([16],), "lr": (3e-3, 1e-2), "decision_weight": (0.5,)}
    )
    monkeypatch.setattr(grid, "OWN_GRID", {**grid.OWN_GRID, "baseline": {"epochs": (3, 6)}})
    monkeypatch.setattr(
        grid,
        "FINETUNE_GRID",
        {
            "two-stage (golden)": {"freeze_hidden": (True, False), "finetune_epochs": (3,)},
            "two-stage (hybrid)": {
                "freeze_hidden": (True,),
                "noisy_weight": (1.0, 0.3),
                "finetune_epochs": (1,),
            },
        },
    )
    result = grid.run(data_path=data, annotated=(200, 100), seeds=2, rows=3000, log=lambda *_: None)
    # per setting: baseline and hybrid 2 x 2 configurations + 1 refit each; each two-stage 2 per
    # base model (at most 2) + 1 refit; pre-training 2 configurations x 2 seeds at most in all. Were
    # the pre-trained models not shared, each setting would pre-train at least 3 times: 46 fits
    assert result["fits"] <= 2 * 2 + 2 * (5 + 5 + 5 + 5)
    for key, setting in result["settings"].items():
        rows = setting["strategies"]
        assert set(rows) == set(grid.STRATEGIES), key
        for name, r in rows.items():
            valid = [grid._valid_score(g["scores"]) for g in r["grid"]]
            assert r["grid"][valid.index(max(valid))]["config"] == r["chosen"], (key, name)
            assert (
                len(r["per_seed"]) == 2 and r["per_seed"][0] == r["grid"][valid.index(max(valid))]["scores"]
            )
            assert 0 < r["concept_map"]["mean"] <= 1
        assert len(rows["baseline"]["grid"]) == 4 and len(rows["noisy only"]["grid"]) == 2
        noisy = rows["noisy only"]["grid"]
        front = {
            str(noisy[i]["config"])
            for i in pareto_front([(g["scores"]["valid_map"], g["scores"]["valid_recall"]) for g in noisy])
        }
        bases = {str(g["base"]) for g in rows["two-stage (golden)"]["grid"]}
        assert bases == front and len(rows["two-stage (golden)"]["grid"]) == 2 * len(front)
        assert setting["verdict"].keys() == set(grid.STRATEGIES) - {"baseline"}
