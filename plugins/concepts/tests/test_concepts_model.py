"""The concept model: masking, explanation range, strategies, a known answer on generated data."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from weasul.errors import DataError, NotFittedError
from weasul_concepts import ConceptModel
from weasul_concepts import _nn as nn
from weasul_concepts.metrics import concept_map


def _partial(golden: np.ndarray, rows: int) -> np.ndarray:
    out = np.full_like(golden, -1)
    out[:rows] = golden[:rows]
    return out


def test_absent_labels_contribute_no_gradient():
    net = nn.build(6, [8], 4, 2, 0.0, seed=0)
    x = torch.randn(10, 6)
    decision = torch.nn.functional.one_hot(torch.randint(0, 2, (10,)), 2).float()
    mask = (torch.rand(10, 4) < 0.5).float()
    labels = torch.randint(0, 2, (10, 4)).float()
    flipped = torch.where(mask == 0, 1 - labels, labels)  # change only the absent labels

    def grads(target: torch.Tensor) -> list[torch.Tensor]:
        net.zero_grad()
        concept_logits, decision_logits = net(x)
        nn.masked_loss(concept_logits, decision_logits, target, mask, decision, 0.3)[0].backward()
        return [p.grad.clone() for p in net.parameters()]

    for a, b in zip(grads(labels), grads(flipped), strict=True):
        assert torch.equal(a, b)
    # and with every concept label absent, L_E is 0 and only the decision drives learning
    concept_logits, decision_logits = net(x)
    total, l_d, l_e = nn.masked_loss(
        concept_logits, decision_logits, labels, torch.zeros(10, 4), decision, 0.3
    )
    assert float(l_e.detach()) == 0.0 and torch.isclose(total, 0.3 * l_d)


def test_present_labels_do_contribute_gradient():
    net = nn.build(6, [8], 4, 2, 0.0, seed=0)
    x, mask = torch.randn(10, 6), torch.ones(10, 4)
    decision = torch.nn.functional.one_hot(torch.randint(0, 2, (10,)), 2).float()
    labels = torch.randint(0, 2, (10, 4)).float()
    concept_logits, decision_logits = net(x)
    nn.masked_loss(concept_logits, decision_logits, labels, mask, decision, 0.0)[0].backward()
    assert net.explain.weight.grad is not None and net.explain.weight.grad.abs().sum() > 0


def test_decision_and_concepts_reach_the_known_answer(data, make):
    model = ConceptModel(epochs=60, batch_size=64, lr=1e-2, hidden=[32])
    model.fit(data.X[:1000], data.y[:1000], golden=data.golden[:1000])
    test = make(n=800, seed=1)
    accuracy = (model.predict(test.X) == test.y).mean()
    assert accuracy > 0.9, accuracy
    assert concept_map(test.golden, model.explain(test.X)) > 0.9


def test_explain_is_in_unit_interval_and_named(data):
    model = ConceptModel(strategy="noisy", epochs=3, concept_names=["a", "b", "c", "d"])
    model.fit(data.X, data.y, concepts=data.noisy)
    S = model.explain(data.X * 50)  # far outside the training range, still in [0, 1]
    assert S.shape == (len(data.X), 4) and S.min() >= 0 and S.max() <= 1
    assert model.concept_names() == ["a", "b", "c", "d"]


def test_two_stage_freezes_the_hidden_layers(data):
    golden = _partial(data.golden, 150)
    params = {"epochs": 3, "finetune_epochs": 5, "seed": 3, "hidden": [16, 8]}
    pre = ConceptModel(strategy="noisy", **params).fit(data.X, data.y, concepts=data.noisy)
    tuned = ConceptModel(strategy="two-stage", **params).fit(
        data.X, data.y, concepts=data.noisy, golden=golden
    )
    for a, b in zip(pre.module_.hidden.parameters(), tuned.module_.hidden.parameters(), strict=True):
        assert torch.equal(a, b)
    assert not torch.equal(pre.module_.explain.weight, tuned.module_.explain.weight)
    assert set(tuned.history_) == {"pretrain", "fine_tune"}


def test_fine_tuning_on_golden_labels_improves_concepts_over_noisy_pretraining(make):
    data = make(n=3000, seed=4, flip=0.3)
    test = make(n=1000, seed=5)
    golden = _partial(data.golden, 300)
    params = {"epochs": 5, "finetune_epochs": 40, "lr": 1e-2, "finetune_lr": 1e-2, "hidden": [32]}
    pre = ConceptModel(strategy="noisy", **params).fit(data.X, data.y, concepts=data.noisy)
    tuned = ConceptModel(strategy="two-stage", **params).fit(
        data.X, data.y, concepts=data.noisy, golden=golden
    )
    # 30% flipped labels blur the ranking less than they shift calibration: compare log loss too
    p_pre, p_tuned = pre.explain(test.X), tuned.explain(test.X)

    def log_loss(p: np.ndarray) -> float:
        p = np.clip(p, 1e-6, 1 - 1e-6)
        return float(-(test.golden * np.log(p) + (1 - test.golden) * np.log(1 - p)).mean())

    assert log_loss(p_tuned) < log_loss(p_pre) - 0.1


def test_hybrid_batches_hold_the_golden_share():
    rng = np.random.default_rng(0)
    golden, noisy = np.arange(20), np.arange(20, 520)
    batches = list(nn.hybrid_batches(golden, noisy, 50, 0.1, 2, rng))
    assert all((b < 20).sum() == 5 for b in batches)
    seen = np.concatenate(batches)
    assert set(seen[seen >= 20].tolist()) == set(noisy.tolist())  # every noisy row once per epoch
    assert len(seen[seen >= 20]) == 2 * len(noisy)


def test_baseline_trains_on_the_golden_rows_only(data):
    golden = _partial(data.golden, 100)
    a = ConceptModel(epochs=2, batch_size=50).fit(data.X, data.y, golden=golden)
    b = ConceptModel(epochs=2, batch_size=50).fit(data.X[:100], data.y[:100], golden=golden[:100])
    assert np.allclose(a.predict_proba(data.X), b.predict_proba(data.X))


def test_hybrid_and_noisy_run(data):
    golden = _partial(data.golden, 100)
    model = ConceptModel(strategy="hybrid", epochs=2).fit(data.X, data.y, concepts=data.noisy, golden=golden)
    P = model.predict_proba(data.X)
    assert P.shape == (len(data.X), 2) and np.allclose(P.sum(axis=1), 1)


@pytest.mark.parametrize(
    ("strategy", "given", "message"),
    [
        ("two-stage", {"concepts": True}, "needs the concept labels \\['golden'\\]"),
        ("hybrid", {"golden": True}, "needs the concept labels \\['concepts'\\]"),
        ("noisy", {}, "needs the concept labels \\['concepts'\\]"),
    ],
)
def test_strategy_without_its_labels_is_a_data_error(data, strategy, given, message):
    kwargs = {"concepts": data.noisy} if given.get("concepts") else {}
    if given.get("golden"):
        kwargs["golden"] = data.golden
    with pytest.raises(DataError, match=message):
        ConceptModel(strategy=strategy, n_concepts=4).fit(data.X, data.y, **kwargs)


def test_bad_concept_labels_are_data_errors(data):
    with pytest.raises(DataError, match="only 1 \\(present\\), 0"):
        ConceptModel().fit(data.X, data.y, golden=data.golden * 2)
    with pytest.raises(DataError, match="must be \\(n_items"):
        ConceptModel().fit(data.X, data.y, golden=data.golden[:-1])
    with pytest.raises(DataError, match="n_concepts=3"):
        ConceptModel(n_concepts=3).fit(data.X, data.y, golden=data.golden)
    with pytest.raises(DataError, match="no labelled row"):
        ConceptModel().fit(data.X, data.y, golden=np.full_like(data.golden, -1))
    with pytest.raises(DataError, match="set n_concepts"):
        ConceptModel().fit(data.X, data.y)
    with pytest.raises(DataError, match="concept_names has 2"):
        ConceptModel(concept_names=["a", "b"]).fit(data.X, data.y, golden=data.golden)


def test_not_fitted_and_wrong_width(data):
    with pytest.raises(NotFittedError):
        ConceptModel().explain(data.X)
    model = ConceptModel(epochs=1).fit(data.X, data.y, golden=data.golden)
    with pytest.raises(DataError, match="6"):
        model.explain(data.X[:, :5])


def test_three_classes(make):
    data = make(n=900, seed=6)
    y = data.golden[:, 0] + data.golden[:, 3]  # 0, 1 or 2 concepts of two present
    model = ConceptModel(epochs=40, batch_size=64, lr=1e-2, hidden=[16]).fit(data.X, y, golden=data.golden)
    P = model.predict_proba(data.X)
    assert P.shape == (900, 3) and np.allclose(P.sum(axis=1), 1)
    assert (P.argmax(axis=1) == y).mean() > 0.85


def test_fit_is_seeded_and_leaves_the_callers_torch_rng_alone(data):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    a = ConceptModel(epochs=2, seed=5).fit(data.X, data.y, golden=data.golden)
    assert torch.equal(torch.rand(3), expected)
    b = ConceptModel(epochs=2, seed=5).fit(data.X, data.y, golden=data.golden)
    assert np.array_equal(a.explain(data.X), b.explain(data.X))


def test_fine_tuning_a_pretrained_copy_equals_two_stage_in_one_call(data):
    golden = _partial(data.golden, 150)
    params = {"epochs": 3, "finetune_epochs": 4, "seed": 2, "hidden": [16]}
    base = ConceptModel(strategy="noisy", **params).fit(data.X, data.y, concepts=data.noisy)
    before = base.explain(data.X)
    for fine_tune in ("golden", "hybrid"):
        two = {**params, "strategy": "two-stage", "fine_tune": fine_tune, "finetune_epochs": 2}
        whole = ConceptModel(**two).fit(data.X, data.y, concepts=data.noisy, golden=golden)
        reused = ConceptModel(**two).fit(data.X, data.y, concepts=data.noisy, golden=golden, pretrained=base)
        assert np.array_equal(whole.explain(data.X), reused.explain(data.X)), fine_tune
        assert whole.history_["pretrain"] == reused.history_["pretrain"]
    assert np.array_equal(base.explain(data.X), before)  # the base model itself is left alone


def test_a_pretrained_model_must_fit(data):
    golden = _partial(data.golden, 100)
    base = ConceptModel(strategy="noisy", epochs=1, hidden=[8]).fit(data.X, data.y, concepts=data.noisy)
    fit = {"concepts": data.noisy, "golden": golden, "pretrained": base}
    with pytest.raises(DataError, match="hidden"):
        ConceptModel(strategy="two-stage", hidden=[16]).fit(data.X, data.y, **fit)
    with pytest.raises(DataError, match="'two-stage', not 'hybrid'"):
        ConceptModel(strategy="hybrid", hidden=[8]).fit(data.X, data.y, **fit)
    other = ConceptModel(epochs=1, hidden=[8]).fit(data.X, data.y, golden=golden)
    with pytest.raises(DataError, match="strategy 'noisy'"):
        ConceptModel(strategy="two-stage", hidden=[8]).fit(data.X, data.y, **{**fit, "pretrained": other})


def test_unfrozen_fine_tuning_moves_the_hidden_layers(data):
    golden = _partial(data.golden, 150)
    params = {"epochs": 2, "finetune_epochs": 3, "hidden": [16], "strategy": "two-stage"}
    base = ConceptModel(**{**params, "strategy": "noisy"}).fit(data.X, data.y, concepts=data.noisy)
    tuned = ConceptModel(**params, freeze_hidden=False).fit(
        data.X, data.y, concepts=data.noisy, golden=golden, pretrained=base
    )
    changed = [
        not torch.equal(a, b)
        for a, b in zip(base.module_.hidden.parameters(), tuned.module_.hidden.parameters(), strict=True)
    ]
    assert all(changed)


def test_noisy_weight_scales_the_noisy_labels_in_hybrid_batches(make):
    # noisy labels that are plain wrong (every entry flipped): the less they weigh against the
    # golden ones, the better the concepts
    data = make(n=2000, seed=7, flip=1.0)
    test = make(n=1000, seed=8)
    golden = _partial(data.golden, 200)
    params = {"strategy": "hybrid", "epochs": 4, "lr": 1e-2, "hidden": [16], "golden_fraction": 0.2}

    def score(weight: float) -> float:
        model = ConceptModel(**params, noisy_weight=weight)
        model.fit(data.X, data.y, concepts=data.noisy, golden=golden)
        return concept_map(test.golden, model.explain(test.X))

    full, light = score(1.0), score(0.02)
    assert full < 0.5 < 0.9 < light, (full, light)
