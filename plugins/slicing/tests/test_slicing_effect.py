"""The measured effects of Park et al.'s Table 3 models (P, P_up, S, S_up, plus P trained twice as
long, since S and S_up train P and then as many epochs of the slice stage): on the latent-region
set, where slice membership is not a feature, and on TREC and AG News with TF-IDF features.

Every figure is a mean over 3 seeds on the test split (settings were chosen on the dev splits);
the asserted relations are the measured ones with a margin, including those where slicing loses
(upsampling lifts the tails more on the latent set; on AG News slicing does not beat P).
"""

from __future__ import annotations

import pytest
from weasul.testing import shared_data
from weasul_slicing.experiments import DEPTH, agnews_data, compare, latent_data, methods, summarise, trec_data

PTS = 0.01  # one accuracy point


def _table(data_for_seed, config, depth, seeds=(0, 1, 2), only=None):
    heads = methods(config, depth=depth)
    if only is not None:
        heads = {k: v for k, v in heads.items() if k in only}
    rows = compare(data_for_seed, list(seeds), heads, num_threads=1)
    return {r["model"]: r for r in summarise(rows)}


def test_latent_slicing_lifts_tails_quick():
    """One seed, the paper's settings, 1000 test items: S on a frozen P lifts the tail regions at
    equal overall accuracy."""
    t = _table(lambda s: latent_data(s, n_test=1000), "paper", DEPTH["latent"], seeds=(0,), only=("P", "S"))
    P, S = t["P"], t["S"]
    assert S["tail"] >= P["tail"] + 7 * PTS, (S["tail"], P["tail"])  # measured 62.6 vs 52.7
    assert abs(S["overall"] - P["overall"]) <= 0.5 * PTS, (S["overall"], P["overall"])


@pytest.mark.slow
def test_latent_table3_default():
    """Tuned default (fine-tuned P, tau 0.1, balanced BCE, 20 epochs). Measured (overall / tail, %):
    P 92.68 / 59.28, P 2x 93.33 / 67.58, P_up 90.95 / 87.03, S 93.24 / 77.77, S_up 91.53 / 87.03."""
    t = _table(latent_data, "default", DEPTH["latent"])
    P, P2, up, S, Sup = (t[k] for k in ("P", "P 2x epochs", "P_up x10", "S", "S_up x10"))
    assert S["tail"] >= P["tail"] + 12 * PTS and S["overall"] >= P["overall"]
    assert S["tail"] >= P2["tail"] + 5 * PTS and S["overall"] >= P2["overall"] - 0.5 * PTS
    # upsampling lifts the tails more than S, but costs overall accuracy; S_up keeps P_up's tails
    # and gets part of the overall loss back
    assert up["tail"] >= S["tail"] + 5 * PTS and S["overall"] >= up["overall"] + 1.5 * PTS
    assert Sup["tail"] >= up["tail"] - 1 * PTS and Sup["overall"] >= up["overall"] + 0.3 * PTS
    assert Sup["overall"] <= S["overall"] - 1 * PTS


@pytest.mark.slow
def test_latent_table3_paper_settings():
    """The paper's settings (frozen P, tau 1.0, plain BCE, linear experts, noise 0.005, 10 epochs).
    Measured: P 92.06 / 44.48, P 2x 92.68 / 59.28, P_up 89.39 / 84.54, S 92.12 / 63.41,
    S_up 89.44 / 87.35."""
    t = _table(latent_data, "paper", DEPTH["latent"])
    P, P2, up, S, Sup = (t[k] for k in ("P", "P 2x epochs", "P_up x10", "S", "S_up x10"))
    assert S["tail"] >= P["tail"] + 12 * PTS and abs(S["overall"] - P["overall"]) <= 0.5 * PTS
    assert S["tail"] >= P2["tail"] + 2 * PTS and S["overall"] <= P2["overall"]
    assert up["tail"] >= S["tail"] + 15 * PTS and S["overall"] >= up["overall"] + 2 * PTS
    # as in Table 3, S_up beats P_up on the tails at the same overall accuracy
    assert Sup["tail"] >= up["tail"] + 1.5 * PTS and Sup["overall"] >= up["overall"] - 0.3 * PTS


@pytest.fixture(scope="module")
def trec_tfidf():
    data = trec_data(str(shared_data("wrench", "trec")), encoder="tfidf")
    assert data.X_train.shape == (4965, 256)
    # test items per slice: pooled tails 174, abbreviation 7, what_define 117, how_do 2,
    # where_can 1, what_noun_verb 47 (only the pooled and the two large slices mean much)
    assert data.S_test[:, 1:].any(axis=1).sum() == 174
    assert data.S_test.sum(axis=0)[1:].tolist() == [7, 117, 2, 1, 47]
    return data


@pytest.mark.slow
@pytest.mark.parametrize("config", ["default", "paper"])
def test_trec_tfidf_slicing_gives_no_tail_lift(trec_tfidf, config):
    """TREC test, TF-IDF + SVD-256. P already gets ~93% on the test split's tail slices and S
    does not move them. Measured default: P 84.53 / 93.68, S 84.20 / 92.72, P_up 84.00 / 94.06,
    S_up 83.80 / 93.49; paper: P 84.93 / 93.10, S 85.07 / 93.68, P_up 82.93 / 93.68,
    S_up 83.13 / 94.06."""
    t = _table(lambda seed: trec_tfidf, config, DEPTH["trec"])
    P, up, S, Sup = (t[k] for k in ("P", "P_up x10", "S", "S_up x10"))
    assert abs(S["tail"] - P["tail"]) <= 1.5 * PTS and abs(S["overall"] - P["overall"]) <= 0.8 * PTS
    assert abs(Sup["tail"] - up["tail"]) <= 1 * PTS and abs(Sup["overall"] - up["overall"]) <= 0.6 * PTS
    assert S["overall"] >= up["overall"]  # upsampling never helps overall here


@pytest.fixture(scope="module")
def agnews_tfidf():
    data = agnews_data(str(shared_data("text-domains", "news_agnews")), encoder="tfidf")
    # test items: pooled tails 463 of 2000; oil 60, tech_company 208, drug 43, election 127,
    # airline 35 (one item is 1.7-2.9 points of a 35-60 item slice)
    assert data.S_test[:, 1:].any(axis=1).sum() == 463
    assert data.S_test.sum(axis=0)[1:].tolist() == [60, 208, 43, 127, 35]
    return data


@pytest.mark.slow
def test_agnews_tfidf_default_slicing_does_not_beat_the_backbone(agnews_tfidf):
    """AG News test, TF-IDF + SVD-256, depth-1 P. Measured: P 84.63 / 83.51, P 2x 84.37 / 83.01,
    P_up 82.22 / 83.30, S 84.00 / 83.73, S_up 83.50 / 84.09."""
    t = _table(lambda seed: agnews_tfidf, "default", DEPTH["agnews"])
    P, up, S, Sup = (t[k] for k in ("P", "P_up x10", "S", "S_up x10"))
    assert abs(S["tail"] - P["tail"]) <= 1 * PTS  # no tail lift worth the name
    assert P["overall"] - 1.2 * PTS <= S["overall"] <= P["overall"]  # and a small overall loss
    assert Sup["tail"] >= up["tail"] and Sup["overall"] >= up["overall"] + 0.8 * PTS
    assert Sup["overall"] <= P["overall"]


@pytest.mark.slow
def test_agnews_tfidf_paper_settings(agnews_tfidf):
    """The paper's settings (10 epochs). Measured: P 83.80 / 82.87, P 2x 84.63 / 83.51,
    P_up 69.50 / 82.36 (the tails are 23% of train, so x10 makes them ~75% of the pool),
    S 84.77 / 83.37, S_up 80.13 / 82.00. S's overall gain over P is the extra training: it
    matches P trained twice as long."""
    t = _table(lambda seed: agnews_tfidf, "paper", DEPTH["agnews"])
    P, P2, up, S, Sup = (t[k] for k in ("P", "P 2x epochs", "P_up x10", "S", "S_up x10"))
    assert S["overall"] >= P["overall"] + 0.5 * PTS and abs(S["overall"] - P2["overall"]) <= 0.5 * PTS
    assert abs(S["tail"] - P2["tail"]) <= 1 * PTS
    assert up["overall"] <= P["overall"] - 10 * PTS
    assert Sup["overall"] >= up["overall"] + 8 * PTS and Sup["tail"] <= up["tail"] + 0.5 * PTS


def _minilm(load):
    pytest.importorskip(
        "weasul_tadpole", reason="MiniLM features need weasul-tadpole (encoders/sentence-minilm)"
    )
    return load()


@pytest.mark.slow
def test_trec_minilm_paper_settings_lift_tails_and_overall():
    """TREC test, MiniLM. Measured paper: P 89.87 / 91.57, P 2x 89.87 / 93.30, P_up 87.53 / 93.87,
    S 91.13 / 93.68, S_up 88.33 / 94.64; default: P 89.87 / 93.30, S 88.93 / 94.64, P_up
    88.47 / 94.64, S_up 87.07 / 95.02 (174 tail items: one is 0.6 points)."""
    data = _minilm(lambda: trec_data(str(shared_data("wrench", "trec")), encoder="minilm"))
    t = _table(lambda seed: data, "paper", DEPTH["trec"])
    P, P2, up, S, Sup = (t[k] for k in ("P", "P 2x epochs", "P_up x10", "S", "S_up x10"))
    assert S["tail"] >= P["tail"] + 1 * PTS and S["overall"] >= P["overall"] + 0.8 * PTS
    assert S["overall"] >= P2["overall"] + 0.8 * PTS and S["tail"] >= P2["tail"]
    assert Sup["tail"] >= up["tail"] and Sup["overall"] >= up["overall"] + 0.3 * PTS
    t = _table(lambda seed: data, "default", DEPTH["trec"], only=("P", "S"))
    assert t["S"]["tail"] >= t["P"]["tail"] + 0.5 * PTS  # the default lifts the tails a little ...
    assert t["S"]["overall"] <= t["P"]["overall"] - 0.4 * PTS  # ... and costs overall accuracy


@pytest.mark.slow
def test_agnews_minilm_slicing_loses_to_the_backbone():
    """AG News test, MiniLM, depth-1 P. Measured default: P 87.23 / 85.03, S 86.67 / 83.95; paper:
    P 87.15 / 84.38, S 86.93 / 83.80, P_up 86.18 / 84.67, S_up 86.20 / 83.95."""
    path = str(shared_data("text-domains", "news_agnews"))
    data = _minilm(lambda: agnews_data(path, encoder="minilm"))
    for config in ("default", "paper"):
        t = _table(lambda seed: data, config, DEPTH["agnews"], only=("P", "P_up x10", "S", "S_up x10"))
        P, up, S, Sup = (t[k] for k in ("P", "P_up x10", "S", "S_up x10"))
        assert S["tail"] <= P["tail"] and S["overall"] <= P["overall"], config
        assert S["overall"] >= P["overall"] - 1 * PTS, config
        assert Sup["tail"] <= up["tail"], config
