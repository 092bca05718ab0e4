"""`auto`: what it chooses on generated data with a known answer, its report, persistence."""

from __future__ import annotations

import numpy as np
import pytest
import weasul
from weasul_baselines import MajorityVote
from weasul_baselines.auto import Auto


def _crowd(n=3000, m=40, k=3, per_item=5, seed=0):
    """Crowd workers of accuracy 0.35-0.95 (K=3: chance 0.33), each item answered by 5."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    acc = rng.uniform(0.35, 0.95, m)
    L = np.full((n, m), -1)
    for i in range(n):
        workers = rng.choice(m, per_item, replace=False)
        right = rng.random(per_item) < acc[workers]
        L[i, workers] = np.where(right, y[i], (y[i] + rng.integers(1, k, per_item)) % k)
    return L, y


def _one_class(n=5000, k=4, per=5, seed=1):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    cls = np.repeat(np.arange(k), per)
    hit = rng.uniform(0.05, 0.3, cls.size)
    fires = rng.random((n, cls.size)) < np.where(y[:, None] == cls[None, :], hit, 0.1 * hit)
    return np.where(fires, cls[None, :], -1), y


def test_auto_picks_a_learned_model_on_crowd_answers():
    L, y = _crowd()
    auto = weasul.create("label_models", "auto", n_classes=3).fit(L)
    assert auto.mode_ == "crowd" and auto.members_ == [auto.chosen_]
    assert auto.chosen_ != "majority-vote"  # accuracies differ widely: weighting pays
    scores = {c: v for c, v in auto.scores_.items() if isinstance(v, float)}
    assert scores[auto.chosen_] == max(scores.values())
    mv = (MajorityVote(n_classes=3).fit(L).predict(L) == y).mean()
    assert (auto.predict(L) == y).mean() > mv + 0.03
    report = auto.report()
    assert report["chosen"] == auto.chosen_ and "held_out_vote log-likelihood" in report
    assert "binary only" in auto.scores_["triplet"]


def test_auto_averages_on_labeling_functions():
    L, y = _one_class()
    auto = Auto(n_classes=4).fit(L)
    assert auto.mode_ == "labeling-functions"
    assert auto.members_ == ["weighted-vote", "dawid-skene", "matrix-completion"] and not auto.backbone_
    covered = (L != -1).any(axis=1)
    mv = MajorityVote(n_classes=4).fit(L).predict(L)
    assert (auto.predict(L)[covered] == y[covered]).mean() >= (mv[covered] == y[covered]).mean() - 0.01
    np.testing.assert_allclose(auto.predict_proba(np.full((2, L.shape[1]), -1)), [auto.no_vote_prior_] * 2)


def test_auto_records_refusals_and_saves(tmp_path):
    L, _ = _crowd(k=2, m=150)  # pairs of workers share ~3 items
    auto = Auto(n_classes=2).fit(L)
    assert auto.scores_["triplet"].startswith("refused: triplet: only")  # crowd-like overlap
    path = auto.save(tmp_path / "auto.safetensors")
    back = Auto.load(path)
    np.testing.assert_allclose(back.predict_proba(L[:50]), auto.predict_proba(L[:50]))
    assert back.chosen_ == auto.chosen_


@pytest.mark.parametrize("k", [10, 60])
def test_auto_many_classes(k):
    rng = np.random.default_rng(0)
    n, m = 4000, 12
    y = rng.integers(0, k, n)
    wrong = (y[:, None] + rng.integers(1, k, (n, m))) % k
    L = np.where(rng.random((n, m)) < np.linspace(0.4, 0.9, m), y[:, None], wrong)
    L = np.where(rng.random((n, m)) < 0.6, L, -1)
    auto = Auto(n_classes=k).fit(L)
    mv = (MajorityVote(n_classes=k).fit(L).predict(L) == y).mean()
    assert (auto.predict(L) == y).mean() >= mv


def test_step_metrics_show_the_choice(tmp_path):
    from weasul.steps import StepContext, run_step

    L, y = _crowd(n=1200)
    out = run_step(
        Auto(n_classes=3),
        {"L": {"train": L[:900], "test": L[900:]}, "y": {"test": y[900:]}},
        StepContext("lm", tmp_path),
    )
    report = out.metrics["train"]["auto"]
    assert report["mode"] == "crowd" and report["chosen"] in ("weighted-vote", "dawid-skene")
    assert out.metrics["test"]["accuracy"] > 0.8


def test_auto_on_labeling_functions_reports_roles_not_scores():
    L, _ = _one_class()
    report = Auto(n_classes=4).fit(L).report()
    assert report["chosen"] == "mean of weighted-vote, dawid-skene, matrix-completion"
    assert report["candidates"] == {
        "triplet": "left out: binary only",
        "majority-vote": "class mix of rows with no vote only",
        "weighted-vote": "decides",
        "dawid-skene": "decides",
        "matrix-completion": "decides",
    }
    # without one of the three, majority vote decides and the others break its ties
    fewer = Auto(n_classes=4, candidates=["majority-vote", "weighted-vote", "dawid-skene"]).fit(L)
    assert fewer.backbone_ and fewer.report()["candidates"] == {
        "majority-vote": "decides",
        "weighted-vote": "breaks ties",
        "dawid-skene": "breaks ties",
    }


def test_auto_subsets_are_drawn_from_the_distinct_rows():
    """The subsets follow the law of L's rows (drawn from the histogram of distinct rows by
    their counts), and a fit on a third of the rows loses less than a point."""
    from weasul_baselines.auto import PatternHistogram

    rng = np.random.default_rng(0)
    L = rng.choice([-1, 0, 1], size=(20_000, 3), p=[0.5, 0.3, 0.2])
    histogram = PatternHistogram.of(L, 2, limit=100)
    assert histogram.keys.size == 27 and histogram.counts.sum() == 20_000
    drawn = histogram.draw(5_000, np.random.default_rng(1))
    assert drawn.shape == (5_000, 3)
    for c in (-1, 0, 1):
        np.testing.assert_allclose((drawn == c).mean(axis=0), (L == c).mean(axis=0), atol=0.02)
    few = L[:100]  # small L: all of its rows, sorted
    every = PatternHistogram.of(few, 2, limit=100).draw(5_000, rng)
    assert sorted(map(tuple, every)) == sorted(map(tuple, few))
    L, y = _crowd()
    full = Auto(n_classes=3).fit(L)
    small = Auto(n_classes=3, max_score_rows=1000, max_fit_rows=1000).fit(L)
    assert small.chosen_ in ("weighted-vote", "dawid-skene")
    assert (small.predict(L) == y).mean() >= (full.predict(L) == y).mean() - 0.01


def test_matrix_completion_on_labeling_functions_only():
    """On LF matrices the Snorkel-like matrix completion is a candidate with its own posterior;
    on crowd matrices it is left out (never the held-out choice, 2-9x the fit time)."""
    from weasul_baselines import MatrixCompletion

    L, _ = _one_class(k=2)
    only = Auto(n_classes=2, candidates=["matrix-completion"]).fit(L)
    covered = (L != -1).any(axis=1)
    np.testing.assert_allclose(
        only.predict_proba(L)[covered],
        MatrixCompletion(n_classes=2).fit(L).predict_proba(L)[covered],
        atol=1e-6,
    )
    assert "matrix-completion" in Auto(n_classes=2).fit(L).members_
    crowd = Auto(n_classes=3).fit(_crowd(n=1200)[0])
    assert crowd.scores_["matrix-completion"].startswith("left out: used on labeling-function")


def _informative_abstains(n=6000, seed=3):
    """Balanced classes; three LFs vote class 1 and fire on 60% of its rows, two vote class 0
    and fire on 25% of its rows: a row with no vote is class 0 with probability ~0.86."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    fire_pos = rng.random((n, 3)) < np.where(y[:, None] == 1, 0.6, 0.05)
    fire_neg = rng.random((n, 2)) < np.where(y[:, None] == 0, 0.25, 0.03)
    L = np.concatenate([np.where(fire_pos, 1, -1), np.where(fire_neg, 0, -1)], axis=1)
    return L, y


def test_rows_with_no_vote_get_the_class_mix_the_covered_rows_leave():
    L, y = _informative_abstains()
    none = (L == -1).all(axis=1)
    truth = np.bincount(y[none], minlength=2) / none.sum()
    assert none.mean() > 0.2 and truth[0] > 0.8  # the generated set is what the test needs
    auto = Auto(n_classes=2).fit(L)
    # the learned class prior leans to class 1 (measured 0.60); the covered rows hold more class
    # 1 than that, so the rest is mostly class 0 (measured 0.53)
    assert auto.class_prior_[1] > 0.5 and auto.no_vote_prior_[0] > 0.5, (
        auto.class_prior_,
        auto.no_vote_prior_,
    )
    assert (auto.predict(L)[none] == y[none]).mean() > 0.8  # with the class prior: 1 - 0.86
    assert auto.predict_proba(L[none][:1]).tolist() == [auto.no_vote_prior_.tolist()]
    # few voteless rows: the difference would amplify errors in the prior; the prior is kept
    covered = L[~none]
    few = np.concatenate([covered, L[none][: len(covered) // 20]])
    fitted = Auto(n_classes=2).fit(few)
    np.testing.assert_array_equal(fitted.no_vote_prior_, fitted.class_prior_)
