"""`figure4 --task-size 300` used to crash in `render` with KeyError: 'f1' after writing its JSON.

With 300 task sentences the ranking trains on 270 rows of 384-d MiniLM embeddings, so robust
covariance (MCD needs more rows than features) cannot be fitted and its ranking row holds only
`error`. The same happens here on generated rows of the same shape, without torch or the data.
"""

from __future__ import annotations

import numpy as np
from weasul_tadpole.experiments import figure4
from weasul_tadpole.ranking import rank_detectors


def _result_with_an_unfitted_detector() -> dict:
    rng = np.random.default_rng(0)
    X_in = rng.normal(size=(300, 384))  # task-size 300 -> 270 training rows < 384 features
    X_out = rng.normal(size=(300, 384)) + 2.0
    ranking = rank_detectors(X_in, X_out, repeats=1, seed=0)
    assert "error" in ranking.rows[-1]  # the precondition of the crash
    shares = {"news": 0.25, "finance": 0.25, "cs": 0.25, "bio": 0.25}
    table1 = {
        task: {
            "best": ranking.best,
            "n_train": ranking.n_train,
            "n_test": ranking.n_test,
            "rows": ranking.rows,
        }
        for task in ("bio", "cs")
    }
    return {
        "settings": {"fraction": 0.2, "embedded_sentences": 600, "embed_seconds": 0.0, "total_seconds": 0.0},
        "table1": table1,
        "figure4": {
            "input": shares,
            "input_n": 1000,
            "input5": {**shares, "movies": 0.0},
            "filters": {
                task: {"isolation-forest": shares, "isolation-forest (5-domain mix)": shares}
                for task in ("bio", "cs")
            },
        },
    }


def test_render_survives_a_detector_the_ranking_could_not_fit():
    text = figure4.render(_result_with_an_unfitted_detector())
    rc_col = text.splitlines()[1].split("|").index(" RC ")
    bio_row = next(line for line in text.splitlines() if line.startswith("| bio |"))
    assert bio_row.split("|")[rc_col].strip() == "n/a"
    assert "not fitted (n/a above): robust-covariance (" in text
    assert "more rows than features" in text
