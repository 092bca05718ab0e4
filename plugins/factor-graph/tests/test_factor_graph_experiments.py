"""The movie-review LFs and the two experiments (full reproductions are marked slow)."""

import numpy as np
import pytest
from weasul.testing import shared_data
from weasul_factor_graph.experiments import movies, synthetic
from weasul_factor_graph.experiments.movie_lfs import (
    KeywordLF,
    apply_keyword_lfs,
    load_rt_polarity,
    movie_lfs,
)


def test_keyword_lfs():
    lfs = [
        KeywordLF("funny", "word", "funny", 1),
        KeywordLF("not funny", "negated", "funny", 0),
        KeywordLF("waste of", "phrase", "waste of", 0),
    ]
    texts = [
        "a funny film",
        "it is not very funny",
        "a waste of time , never funny",
        "waste the of",
        "nothing here",
    ]
    L = apply_keyword_lfs(texts, lfs)
    assert L.tolist() == [[1, -1, -1], [1, 0, -1], [1, 0, 0], [-1, -1, -1], [-1, -1, -1]]


def test_lf_set_is_about_a_hundred_unique_sentiment_lfs():
    lfs = movie_lfs()
    assert 100 <= len(lfs) <= 135
    assert len({lf.name for lf in lfs}) == len(lfs)
    assert {lf.label for lf in lfs} == {0, 1}


def test_loader_splits_on_newline_only(tmp_path):
    (tmp_path / "rt-polarity.pos").write_bytes("good \x85 film\nfine\n".encode("latin-1"))
    (tmp_path / "rt-polarity.neg").write_bytes(b"bad\n\n")
    texts, y = load_rt_polarity(tmp_path)
    assert texts == ["bad", "good \x85 film", "fine"] and y.tolist() == [0, 1, 1]


def test_real_movie_data_loads():
    folder = shared_data("text-domains", "movies_rt_polarity")
    texts, y = load_rt_polarity(folder)
    assert len(texts) == 10662 and y.sum() == 5331
    train, test = movies.split_indices(y)
    assert len(test) == 3198 and abs(y[test].mean() - 0.5) < 1e-3
    assert not set(train) & set(test)


@pytest.mark.slow
def test_overspecification_reproduces():
    folder = shared_data("text-domains", "movies_rt_polarity")
    res = movies.run(
        folder, seeds=1, ds=(1, 40), thresholds=(0.0005,), n_chains=500, epochs=300, progress=False
    )
    summary = {(s["family"], s["param"]): s for s in movies.summarise(res["rows"])}
    base = summary[("No deps", None)]["end_auc"]
    assert base > 0.74
    assert summary[("All", 40)]["end_auc"] < base - 0.02
    assert summary[("Structure learning", 0.0005)]["end_auc"] < base


@pytest.mark.slow
def test_synthetic_experiment(tmp_path):
    assert synthetic.main(["--out", str(tmp_path), "--n", "10000"]) == 0
    import json

    res = json.loads((tmp_path / "synthetic.json").read_text())
    assert res["recovery"]["true deps (exact)"]["max_abs_lf_accuracy_error"] < 0.05
    assert (
        res["recovery"]["true deps (exact)"]["test_log_loss"]
        < res["recovery"]["independent"]["test_log_loss"]
    )
    assert all(b["checks"][c]["corrected"] for b in res["bounds"].values() for c in b["checks"])
    assert not res["priority_counterexample"]["checks"]["posterior"]["paper"]
    assert np.isfinite(res["fit_seconds"])
