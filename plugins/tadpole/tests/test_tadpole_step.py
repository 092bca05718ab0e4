"""TADPOLE as a spec step: ranking table, scores, weights, selected corpus on disk."""

from __future__ import annotations

import numpy as np
import pandas as pd
from weasul.steps import StepContext, run_step
from weasul_tadpole import TadpoleScorer
from weasul_tadpole.steps import TadpoleStep


def test_run_step_outputs_and_corpus(tmp_path):
    rng = np.random.default_rng(0)
    task = rng.normal(size=(300, 6))
    general = np.vstack([rng.normal(size=(150, 6)), rng.normal(size=(450, 6)) + 3.0])
    texts = np.array([f"in {i}" if i < 150 else f"out {i}" for i in range(600)], dtype=object)
    ctx = StepContext(step_id="filter", out_dir=tmp_path)
    plugin = TadpoleScorer(
        detectors=["knn", "pca"], repeats=1, fraction=0.25, segment_length=5
    )
    out = run_step(
        plugin, {"X": {"train": task}, "general": {"train": general}, "text": {"train": texts}}, ctx, corpus_format="text"
    )
    assert set(out.artifacts) == set(TadpoleStep.outputs)
    assert out.artifacts["scores"]["train"].shape == (600,)
    selected = out.artifacts["selected"]["train"]
    assert (selected < 150).mean() > 0.95 and len(selected) == 150
    ranking = out.artifacts["ranking"]["train"]
    assert isinstance(ranking, pd.DataFrame) and set(ranking["detector"]) == {"knn", "pca"}
    assert out.metrics["detector"] in {"knn", "pca"}
    written = (tmp_path / "corpus-train.txt").read_text().split()
    assert sum(w == "in" for w in written) > 140


def test_run_step_continuous_weights_parquet(tmp_path):
    rng = np.random.default_rng(1)
    task = rng.normal(size=(200, 4))
    general = {"train": np.vstack([rng.normal(size=(100, 4)), rng.normal(size=(100, 4)) + 4.0])}
    ctx = StepContext(step_id="w", out_dir=tmp_path)
    plugin = TadpoleScorer(select="fixed", detector="knn", weighting="continuous", C=2.0)
    out = run_step(plugin,
        {"X": {"train": task}, "general": general, "text": {"train": [f"s{i}" for i in range(200)]}}, ctx
    )
    w = out.artifacts["weights"]["train"]
    assert w[:100].mean() > 0.7 > 0.3 > w[100:].mean()
    frame = pd.read_parquet(tmp_path / "corpus-train.parquet")
    np.testing.assert_allclose(frame["weight"].to_numpy(), w)
