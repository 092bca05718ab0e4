"""Slice heads: input checks, persistence, routing, determinism and step metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors import safe_open
from weasul.errors import DataError, NotFittedError
from weasul.steps import StepContext, run_step
from weasul_slicing import (
    PAPER_SETTINGS,
    BackboneHead,
    MixtureOfExperts,
    SliceAttention,
    UpsampleHead,
    check_slices,
    make_slice_data,
    slice_matrix,
)
from weasul_slicing.synthetic import SLICE_FUNCTIONS, items_frame

FAST = {"epochs": 3, "hidden": 16, "num_threads": 1}
HEADS = [
    SliceAttention(**FAST),
    SliceAttention(
        **FAST, attention="a2", tau=1.0, noise_std=0.005, final_head="separate", expert_loss="slice-mean"
    ),
    SliceAttention(**FAST, config="paper", upsample_factor=3),
    SliceAttention(**FAST, backbone="scratch", expert_init="random"),
    BackboneHead(**FAST),
    UpsampleHead(**FAST, factor=3),
    MixtureOfExperts(**FAST),
]


@pytest.fixture(scope="module")
def data():
    X, y, intent = make_slice_data(600, n_tail=2, tail_share=0.05, seed=1)
    S = slice_matrix(SLICE_FUNCTIONS[:2], items_frame(X, intent, 10))
    return X, y, S, intent


@pytest.mark.parametrize("head", HEADS, ids=lambda h: type(h).__name__)
def test_bad_inputs_raise_data_errors(head, data):
    X, y, S, _ = data
    bad_x = X.copy()
    bad_x[5, 3] = np.nan
    no_members = S.copy()
    no_members[:, 2] = 0
    no_base = S.copy()
    no_base[0, 0] = 0
    twos = S.copy()
    twos[0, 1] = 2
    cases = {
        "S rows": (X, y, S[:-1]),
        "empty slice": (X, y, no_members),
        "NaN X": (bad_x, y, S),
        "S 1-D": (X, y, S[:, 0]),
        "no base column": (X, y, no_base),
        "S not 0/1": (X, y, twos),
        "y length": (X, y[:-1], S),
        "negative label": (X, np.where(y == 0, -1, y), S),
        "S missing": (X, y, None),
    }
    for what, args in cases.items():
        with pytest.raises(DataError):
            head.clone().fit(*args)
            pytest.fail(f"fit accepted {what}")
    with pytest.raises(NotFittedError):
        head.clone().predict_proba(X, S)
    fitted = head.clone().fit(X, y, S)
    with pytest.raises(DataError):
        fitted.predict_proba(X, S[:, :2])  # another number of slices
    with pytest.raises(DataError):
        fitted.predict_proba(X[:, :-1], S)  # another number of features
    with pytest.raises(DataError):
        fitted.predict_proba(X, S[:-1])


@pytest.mark.parametrize("head", HEADS, ids=lambda h: type(h).__name__)
def test_save_load_round_trip_through_safetensors(head, data, tmp_path):
    X, y, S, _ = data
    fitted = head.clone().fit(X, y, pd.DataFrame(S, columns=["base", "first", "second"]))
    path = fitted.save(tmp_path / "head.safetensors")
    with safe_open(str(path), framework="pt") as handle:
        keys = list(handle.keys())
        assert all(isinstance(handle.get_tensor(k), torch.Tensor) for k in keys)
        assert handle.metadata()["plugin"].endswith(type(head).__qualname__)
    assert path.read_bytes()[:2] != b"\x80\x04"  # not a pickle
    loaded = type(head).load(path)
    assert loaded.params == head.params and loaded.names() == ["base", "first", "second"]
    assert np.allclose(loaded.predict_proba(X, S), fitted.predict_proba(X, S), atol=1e-7)
    other = BackboneHead if not isinstance(head, BackboneHead) else SliceAttention
    with pytest.raises(DataError):
        other.load(path)
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"not a safetensors file")
    with pytest.raises(DataError):
        type(head).load(garbage)
    with pytest.raises(DataError):
        type(head).load(tmp_path / "missing.safetensors")


def test_fit_is_deterministic_and_leaves_global_torch_state_alone(data):
    X, y, S, _ = data
    torch.manual_seed(123)
    before = torch.random.get_rng_state().clone()
    threads = torch.get_num_threads()
    a = SliceAttention(**FAST, seed=4).fit(X, y, S).predict_proba(X, S)
    b = SliceAttention(**FAST, seed=4).fit(X, y, S).predict_proba(X, S)
    c = SliceAttention(**FAST, seed=5).fit(X, y, S).predict_proba(X, S)
    assert np.array_equal(a, b) and not np.allclose(a, c)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert torch.get_num_threads() == threads


def test_indicators_learn_membership_and_attention_routes_members(data):
    X, y, S, intent = data
    head = SliceAttention(epochs=20, backbone_epochs=3, batch_size=32, num_threads=1).fit(X, y, S)
    P = head.membership_proba(X, S)
    A = head.attention(X, S)
    assert P.shape == A.shape == S.shape and np.allclose(A.sum(axis=1), 1)
    for j in (1, 2):
        members = intent == j
        assert P[members, j].min() > P[~members, j].max(), "indicator should separate its slice"
        # with tau = 0.1 a member's attention goes to the base and its own slice, others' not
        assert A[members, j].mean() > 0.1 and A[members, j].mean() > 10 * A[~members, j].mean()


def test_mixture_of_experts_does_not_use_slice_membership(data):
    X, y, S, _ = data
    shuffled = S.copy()
    shuffled[:, 1:] = np.roll(S[:, 1:], 7, axis=0)
    a = MixtureOfExperts(**FAST).fit(X, y, S).predict_proba(X, S)
    b = MixtureOfExperts(**FAST).fit(X, y, shuffled).predict_proba(X, S)
    assert np.array_equal(a, b)


def test_upsampling_changes_training_only_through_tail_members(data):
    X, y, S, _ = data
    one = UpsampleHead(**FAST, factor=1).fit(X, y, S).predict_proba(X, S)
    plain = BackboneHead(**FAST).fit(X, y, S).predict_proba(X, S)
    more = UpsampleHead(**FAST, factor=5).fit(X, y, S).predict_proba(X, S)
    assert np.allclose(one, plain) and not np.allclose(more, plain)


def test_check_slices_accepts_bool_and_frames():
    S = np.array([[True, False], [True, True]])
    assert check_slices(S, n_items=2, fitting=True).dtype == np.int8
    assert check_slices(pd.DataFrame(S.astype(int)), n_items=2).tolist() == [[1, 0], [1, 1]]
    with pytest.raises(DataError):
        check_slices(np.array([["a", "b"]]), n_items=1)


def test_run_step_reports_per_slice_metrics(data, tmp_path):
    X, y, S, _ = data
    frame = pd.DataFrame(S, columns=["base", "intent_1", "intent_2"])
    head = SliceAttention(**FAST)
    out = run_step(head,
        {
            "X": {"train": X, "test": X[:100]},
            "y": {"train": y, "test": y[:100]},
            "S": {"train": frame, "test": frame.iloc[:100]},
        },
        StepContext("sbl", tmp_path),
    )
    assert set(out.artifacts["probs"]) == {"train", "test"} and out.artifacts["model"] is head
    test = out.metrics["test"]
    assert test["n"] == 100 and set(test["slices"]) == {"base", "intent_1", "intent_2"}
    members = S[:100, 1] == 1
    pred = out.artifacts["probs"]["test"].argmax(axis=1)
    assert test["slices"]["intent_1"]["n"] == members.sum()
    assert test["slices"]["intent_1"]["accuracy"] == pytest.approx((pred[members] == y[:100][members]).mean())
    assert test["slices"]["base"]["accuracy"] == pytest.approx(test["accuracy"])


def _body(head):
    return {k: v.clone() for k, v in head.module_.body.state_dict().items()}


def test_slice_components_attach_to_the_trained_backbone(data):
    X, y, S, _ = data
    P = _body(BackboneHead(**FAST, seed=2).fit(X, y, S))
    P_up = _body(UpsampleHead(**FAST, seed=2, factor=4).fit(X, y, S))
    frozen = _body(SliceAttention(**FAST, seed=2, backbone="frozen").fit(X, y, S))
    frozen_up = _body(SliceAttention(**FAST, seed=2, backbone="frozen", upsample_factor=4).fit(X, y, S))
    tuned = _body(SliceAttention(**FAST, seed=2).fit(X, y, S))
    # S's representation is exactly the backbone head's P (frozen) or starts from it (fine-tune);
    # S_up's is P_up's
    assert all(torch.equal(frozen[k], P[k]) for k in P)
    assert all(torch.equal(frozen_up[k], P_up[k]) for k in P)
    assert not all(torch.equal(frozen_up[k], P[k]) for k in P)
    assert not all(torch.equal(tuned[k], P[k]) for k in P)
    assert max(float((tuned[k] - P[k]).abs().max()) for k in P) < 0.5  # fine-tuned, not re-learned


def test_attached_model_starts_as_its_backbone(data):
    import weasul_slicing._nn as nn

    X, y, S, _ = data
    p = SliceAttention.Params(**FAST)
    P = nn.Backbone(X.shape[1], 16, 2, p.depth)
    net = nn.build("slice-attention", X.shape[1], 2, S.shape[1], p)
    net.attach(P, "identity")
    Xt = torch.as_tensor(X, dtype=torch.float32)
    with torch.no_grad():
        assert torch.allclose(net(Xt), P(Xt), atol=1e-5)


def test_paper_config_fills_unset_settings_only():
    paper = SliceAttention(config="paper")
    assert {k: getattr(paper.params, k) for k in PAPER_SETTINGS} == PAPER_SETTINGS
    assert paper.params.backbone == "frozen" and paper.params.tau == 1.0 and not paper.params.expert_relu
    assert SliceAttention(config="paper", tau=0.1).params.tau == 0.1
    default = SliceAttention()
    assert default.params.tau == 0.1 and default.params.indicator_balance == 1.0
    assert SliceAttention.Params.model_validate(paper.params.model_dump()) == paper.params
