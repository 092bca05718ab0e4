"""The Active WeaSuL label model on the paper's synthetic set (known answer: Bayes ~0.96)."""

import numpy as np
import pytest
import weasul
from weasul.data import ExpertLabels
from weasul_active_weasul import MaxKL
from weasul_active_weasul.label_model import ActiveWeaSuL, NashaatModel, _binary_joint, penalty_grad

PRIOR = [0.5, 0.5]
#: The paper's figures come from the authors' code: alpha as given (not scaled to the data) and a
#: random start of z (the plugin's defaults are `alpha_units="data"`, `init="majority-vote"`).
AUTHORS = {"alpha_units": "raw", "init": "random", "anchor": 0.0}


@pytest.fixture(scope="module")
def synthetic():
    return weasul.create("datasets", "two-gaussians").load()


def _model(**kw):
    return ActiveWeaSuL(n_classes=2, class_prior=PRIOR, cliques=[[1, 2]], **{**AUTHORS, **kw})


def _curve(data, strategy, seed, budget, model=None):
    model = model or _model()
    gold = weasul.create("oracles", "gold", y=data.train.y.tolist())
    history = weasul.active_loop(model=model, strategy=strategy(seed=seed), oracle=gold, L=data.train.L,
                                 budget=budget, batch=1, eval={"test": (data.test.L, data.test.y)})
    return [r["test"]["accuracy"] for r in history]


def test_penalty_gradient_matches_finite_differences(synthetic):
    L, y = synthetic.train.L, synthetic.train.y
    idx = np.array([3, 10, 50, 70, 900])
    model = _model(alpha=2.5)
    problem = model.build_problem(L, ExpertLabels(idx, y[idx]))
    z = np.random.default_rng(1).normal(0, 1, (problem.keep.size, 1))
    assert np.allclose(_binary_joint(problem, z)[0], problem.joint(z), atol=1e-12)
    g = penalty_grad(problem, z, 2.5)
    fd = np.zeros_like(z)
    for i in range(z.size):
        up, down = z.copy(), z.copy()
        up[i] += 1e-6
        down[i] -= 1e-6
        fd[i] = 2.5 * (problem.expert_penalty(up) - problem.expert_penalty(down)) / 2e-6
    assert np.allclose(g, fd, rtol=1e-5, atol=1e-7)


def test_initial_model_and_four_expert_labels(synthetic):
    """Paper Fig. 3A: ~0.81 before any expert label, >= 0.95 after 4 (mean over 10 query seeds)."""
    curves = np.array([_curve(synthetic, MaxKL, seed, 4) for seed in range(10)])
    mean = curves.mean(axis=0)
    assert abs(mean[0] - 0.81) < 0.02, mean
    assert mean[4] >= 0.95, mean


def test_incremental_refits_and_one_fit_on_all_answers_agree(synthetic):
    """The model is a function of the ordered answers: a restarted or batched loop gets it too."""
    L, y = synthetic.train.L, synthetic.train.y
    idx = np.array([5, 17, 99, 1234])
    step = _model().fit(L)
    for t in (1, 2, 4):
        step.fit(L, expert=ExpertLabels(idx[:t], y[idx[:t]]))
    once = _model().fit(L, expert=ExpertLabels(idx, y[idx]))
    assert np.allclose(step.z_, once.z_) and np.allclose(step.predict_proba(L[:50]), once.predict_proba(L[:50]))
    other = _model().fit(L, expert=ExpertLabels(idx[[0, 1, 3]], y[idx[[0, 1, 3]]]))  # a changed history
    assert other.predict_proba(L[:50]).shape == (50, 2)
    again = step.fit(L, expert=ExpertLabels(idx[[0, 1, 3]], y[idx[[0, 1, 3]]]))
    assert np.allclose(again.z_, other.z_)


#: The answers maxKL (query seed 1) collected on the synthetic set in the 10-seed reproduction;
#: refitting the 14th from the expert-free fit stalled at base loss ~4 with test accuracy 0.346.
SEED1_ANSWERS = [2899, 7733, 1052, 9262, 2326, 5826, 1251, 5907, 6608, 622, 7219, 3665, 9497, 2703]


def test_refit_chain_avoids_the_collapse_of_restarting_from_the_base_fit(synthetic):
    L, y = synthetic.train.L, synthetic.train.y
    prior = [1 - float(y.mean()), float(y.mean())]
    idx = np.array(SEED1_ANSWERS)
    expert = ExpertLabels(idx, y[idx])
    acc = {}
    for start in ("base", "chain", "best"):
        model = ActiveWeaSuL(n_classes=2, class_prior=prior, cliques=[[1, 2]], alpha=1.0, seed=0, refit_start=start,
                             **AUTHORS)
        model.fit(L, expert=expert)
        acc[start] = float((model.predict_proba(synthetic.test.L).argmax(axis=1) == synthetic.test.y).mean())
        acc[start + "_loss"] = model.loss_
    assert acc["chain"] >= 0.95 and acc["chain_loss"] < 0.05, acc
    assert acc["best"] >= 0.95 and acc["best_loss"] < 0.05, acc
    assert acc["base"] < 0.9 and acc["base_loss"] > 1.0, acc  # the failure the chain removes


def test_initial_proba_survives_refit_and_save(synthetic, tmp_path):
    L, y = synthetic.train.L, synthetic.train.y
    model = _model().fit(L)
    before = model.predict_proba(L[:20])
    idx = np.array([1, 2, 3])
    model.fit(L, expert=ExpertLabels(idx, y[idx]))
    assert np.allclose(model.initial_proba(L[:20]), before)
    loaded = ActiveWeaSuL.load(model.save(tmp_path / "aw.safetensors"))
    assert np.allclose(loaded.initial_proba(L[:20]), before)
    assert np.allclose(loaded.predict_proba(L[:20]), model.predict_proba(L[:20]))


def test_auto_alpha_is_the_largest_curvature(synthetic):
    L, y = synthetic.train.L, synthetic.train.y
    model = _model(auto_alpha=True).fit(L, expert=ExpertLabels(np.array([4]), y[[4]]))
    problem = model.build_problem(L)
    z0 = model._base_fit[1]
    assert model.alpha_ == pytest.approx(float(np.max(problem.curvature(z0))))
    assert model.alpha_ > 0


def test_nashaat_corrects_only_disagreeing_votes():
    L = np.array([[1, 0, -1], [0, 0, 1], [1, 1, 0], [0, 1, 1]] * 50)
    model = NashaatModel(n_classes=2, class_prior=PRIOR)
    captured = {}
    original = ActiveWeaSuL.fit

    def spy(self, L_fit, **kw):
        captured["L"] = L_fit.copy()
        return original(self, L_fit, **kw)

    ActiveWeaSuL.fit = spy
    try:
        model.fit(L, expert=ExpertLabels(np.array([0, 1]), np.array([1, 0])))
    finally:
        ActiveWeaSuL.fit = original
    assert captured["L"][0].tolist() == [1, 1, -1]
    assert captured["L"][1].tolist() == [0, 0, 0]
    assert (captured["L"][2:] == L[2:]).all()


def test_answers_the_model_ignores_are_reported_once(synthetic, caplog):
    """An alpha too small for the label matrix leaves the model where it was: say so, once."""
    L, y = synthetic.train.L, synthetic.train.y
    p0 = _model().fit(L).predict_proba(L)
    wrong = np.flatnonzero(p0.argmax(axis=1) != y)[:5]
    tiny = _model(alpha=1e-9, optimizer="lbfgs")  # Adam's normalised steps move even at tiny alpha
    with caplog.at_level("WARNING", logger="weasul_active_weasul"):
        tiny.fit(L, expert=ExpertLabels(wrong[:4], y[wrong[:4]]))
        tiny.fit(L, expert=ExpertLabels(wrong, y[wrong]))
        _model(optimizer="lbfgs").fit(L, expert=ExpertLabels(wrong, y[wrong]))  # the paper's alpha = 1 moves it
    messages = [r.getMessage() for r in caplog.records if "left the model where it was" in r.getMessage()]
    assert len(messages) == 1 and "alpha=1e-09" in messages[0] and "auto_alpha" in messages[0], messages


def test_expert_labels_out_of_range_are_refused(synthetic):
    with pytest.raises(weasul.DataError):
        _model().fit(synthetic.train.L, expert=ExpertLabels(np.array([10**7]), np.array([1])))


def test_synthetic_reproduction_at_ten_labels(capsys):
    """Issue 5's synthetic targets, on the reproduction itself (10 query seeds, 10 labels, ~20 s).

    maxKL is ahead of random-bucket, random items and Nashaat at 10 labels. It is *not* ahead
    of margin, and cannot be: both sit at the ceilings of the set from one label on, the best
    rule on LF votes for the generative model (0.9623) and the end model trained on all
    training labels for the discriminative one (0.975). Only the diversity of the sampled
    buckets separates them (margin lower, as in the paper's Fig. 6B).
    """
    from weasul_active_weasul.reproduce import print_tables, run

    result = run("synthetic", seeds=10, budget=10, strategies=True)
    res = result["approaches"]
    gen = {k: np.asarray(v["generative"]) for k, v in res.items() if "generative" in v}
    disc = {k: np.asarray(v["discriminative"], dtype=float) for k, v in res.items()}
    assert abs(gen["MaxKL"][0] - 0.81) < 0.02 and gen["MaxKL"][4] >= 0.95, gen["MaxKL"]
    assert gen["MaxKL"][1:].min() >= 0.95, gen["MaxKL"]  # no seed collapses on a refit
    for baseline in ("Random bucket", "Random items"):
        assert gen["MaxKL"][10] > gen[baseline][10] + 0.005 and disc["MaxKL"][10] > disc[baseline][10] + 0.005
    assert gen["MaxKL"][10] > gen["Nashaat et al."][10] + 0.1 and disc["MaxKL"][10] > disc["Nashaat et al."][10] + 0.05
    ceiling, supervised = result["vote_ceiling"]["train_majority"], result["fully_supervised"]
    for strategy in ("MaxKL", "Margin"):
        assert abs(gen[strategy][10] - ceiling) < 0.001 and abs(disc[strategy][10] - supervised) < 0.002
    div = {k: np.asarray(res[k]["diversity"]) for k in ("MaxKL", "Margin", "Random bucket")}
    assert div["Margin"][10] < div["MaxKL"][10] < div["Random bucket"][10], div
    print_tables(result, upto=10)
    printed = capsys.readouterr().out
    assert "best rule on LF votes (generative ceiling): 0.962" in printed
    assert ("AW paper" in printed) == ("paper" in result)  # the paper's curves come from the shared data
