"""The reproduction helpers; the experiments themselves are slow (`-m slow`)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from weasul.testing import shared_data
from weasul_tabtransformer.reproduce import corrupt, main


def test_corrupt_replaces_or_drops_the_given_share_of_cells(make):
    X, _ = make(2000, seed=4)
    assert corrupt(X, ["color", "shape"], 0.0, "noise", 0).equals(X)
    missing = corrupt(X, ["color", "shape"], 0.3, "missing", 0)
    share = missing[["color", "shape"]].isna().to_numpy().mean()
    assert abs(share - 0.3) < 0.03 and missing["tag"].equals(X["tag"]) and not X.isna().any().any()
    noisy = corrupt(X, ["color"], 1.0, "noise", 0)
    assert set(noisy["color"]) <= set("abcd")
    # uniform redraws: about 3/4 of the cells change value
    assert abs((noisy["color"] != X["color"]).mean() - 0.75) < 0.04


@pytest.mark.slow
def test_supervised_and_robustness_reproductions_write_their_tables(tmp_path, capsys):
    folder = shared_data("tabular")
    common = ["--data", str(folder), "--out", str(tmp_path), "--sets", "blastchar", "--seeds", "2"]
    main(["supervised", *common, "--epochs", "3"])
    result = json.loads((tmp_path / "supervised.json").read_text())
    got = result["sets"]["blastchar"]
    assert got["paper"] == {"mlp": 83.9, "tabtransformer": 83.5}
    assert (
        70 < got["mlp"]["mean"] < 90 and 70 < got["tabtransformer"]["mean"] < 90 and got["gbdt"]["mean"] > 75
    )
    assert "blastchar" in capsys.readouterr().out
    partial = json.loads((tmp_path / "supervised.partial.json").read_text())["blastchar"]
    assert [r["seed"] for r in partial] == [0, 1]
    assert partial[1]["tabtransformer"] == got["runs"][1]["tabtransformer"]
    main(["robustness", *common, "--epochs", "3", "--rates", "0", "0.5", "--test-rows", "500"])
    robust = json.loads((tmp_path / "robustness.json").read_text())["sets"]["blastchar"]
    assert robust["noise"]["tabtransformer"][0] == 1.0  # normalised by its clean AUC
    assert all(np.isfinite(robust["missing"]["mlp"]))
