"""TabTransformer, the MLP baseline and the encoder on a generated table with a known answer."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score
from weasul.errors import DataError
from weasul_tabtransformer import TabMLPClassifier, TabTransformerClassifier, TabTransformerEncoder

SMALL = {
    "dim": 16,
    "depth": 2,
    "heads": 4,
    "mlp_multipliers": [2],
    "num_threads": 1,
    "lr": 3e-3,
    "batch_size": 128,
}


@pytest.fixture(scope="module")
def table(make):
    X, y = make(600, seed=0)
    Xt, yt = make(400, seed=1)
    return X, y, Xt, yt


@pytest.fixture(scope="module")
def fitted(table):
    X, y, _, _ = table
    return TabTransformerClassifier(epochs=15, **SMALL).fit(X, y)


def test_learns_an_interaction_of_two_categorical_columns(table, fitted):
    _, _, Xt, yt = table
    P = fitted.predict_proba(Xt)
    assert P.shape == (400, 2) and np.allclose(P.sum(axis=1), 1)
    assert roc_auc_score(yt, P[:, 1]) > 0.9  # labels have 5% flips; no single column is informative
    assert fitted.history_["train_loss"][-1] < fitted.history_["train_loss"][0]


def test_architecture_follows_the_paper(make):
    X, y = make(64)
    net = TabTransformerClassifier(epochs=1, num_threads=1).fit(X, y).module_
    # d = 32 with 1/8 for the shared column identifier: c_i in R^4, w_ij in R^28; 6 layers, 8 heads
    assert tuple(net.embedding.column_id.shape) == (3, 4) and net.embedding.values.embedding_dim == 28
    assert net.embedding.values.num_embeddings == 4 + 3 + 2 + 3  # d_i + 1 rows per column
    assert len(net.layers) == 6 and net.layers[0].self_attn.num_heads == 8
    # the head starts from contextual embeddings at the MLP's embedding scale (init std 0.02 sqrt(d))
    assert torch.allclose(net.final_norm.weight, torch.full((32,), 0.02 * 32**0.5), atol=1e-2)
    width = 3 * 32 + 1
    hidden = [m.out_features for m in net.head if isinstance(m, torch.nn.Linear)]
    assert hidden == [4 * width, 2 * width, 2]
    mlp = TabMLPClassifier(epochs=1, num_threads=1).fit(X, y).module_
    assert (
        len(mlp.layers) == 0
        and [m.out_features for m in mlp.head if isinstance(m, torch.nn.Linear)] == hidden
    )


def test_probabilistic_targets_train_toward_the_given_probabilities(table):
    X, y, Xt, yt = table
    soft = np.where(y[:, None] == 1, [0.2, 0.8], [0.8, 0.2])
    P = TabTransformerClassifier(epochs=15, **SMALL).fit(X, soft).predict_proba(Xt)
    assert roc_auc_score(yt, P[:, 1]) > 0.85
    # a soft-label model is less confident than the targets allow: most rows stay inside [0.1, 0.9]
    assert np.mean((P[:, 1] > 0.1) & (P[:, 1] < 0.9)) > 0.8


def test_save_load_round_trips_predictions_exactly(tmp_path, table, fitted):
    _, _, Xt, _ = table
    Xt = Xt.copy()
    Xt.loc[:5, "color"] = "never seen"
    Xt.loc[6:9, "shape"] = None
    path = fitted.save(tmp_path / "tt.safetensors")
    loaded = TabTransformerClassifier.load(path)
    assert loaded.params == fitted.params and loaded.schema_ == fitted.schema_
    assert np.array_equal(loaded.predict_proba(Xt), fitted.predict_proba(Xt))
    with pytest.raises(DataError, match="not written by TabMLPClassifier"):
        TabMLPClassifier.load(path)


def test_encoder_round_trip_and_shape(tmp_path, table):
    X, y, Xt, _ = table
    enc = TabTransformerEncoder(pretrain="rtd", pretrain_epochs=2, **SMALL).fit(X)
    Z = enc.encode(Xt)
    assert Z.shape == (len(Xt), 3 * 16 + 1) and np.isfinite(Z).all()
    loaded = TabTransformerEncoder.load(enc.save(tmp_path / "enc.safetensors"))
    assert np.array_equal(loaded.encode(Xt), Z)


@pytest.mark.parametrize("method", ["mlm", "rtd"])
def test_pretraining_learns_the_column_dependencies(method, make):
    # shape is a function of color, so a masked or replaced cell can be told from its context
    X, _ = make(640, seed=3)
    X["shape"] = X["color"].map({"a": "x", "b": "y", "c": "z", "d": "x"})
    enc = TabTransformerEncoder(pretrain=method, pretrain_epochs=8, **{**SMALL, "batch_size": 64}).fit(X)
    losses = enc.history_["pretrain_loss"]
    assert losses[-1] < 0.8 * losses[0]
    if method == "rtd":
        share = 0.3 * np.mean([1 - 1 / 4, 1 - 1 / 3, 1 - 1 / 2])  # replaced by another value
        chance = -(share * np.log(share) + (1 - share) * np.log(1 - share))  # BCE of the base rate
        assert losses[-1] < 0.9 * chance


def test_pretrained_encoder_starts_the_fine_tuning(table):
    X, y, Xt, _ = table
    enc = TabTransformerEncoder(pretrain="mlm", pretrain_epochs=1, **SMALL).fit(X)
    clf = TabTransformerClassifier(epochs=1, **{**SMALL, "lr": 1e-12}).fit(
        X.iloc[:50], y[:50], pretrained=enc
    )
    # with a vanishing learning rate the transferred layers stay the encoder's
    for key, value in enc.module_.state_dict().items():
        if key.startswith(("embedding.", "layers.")):
            torch.testing.assert_close(clf.module_.state_dict()[key], value, atol=1e-6, rtol=0)
    assert clf.schema_ == enc.schema_
    with pytest.raises(DataError, match="differs in"):
        TabTransformerClassifier(epochs=1, **{**SMALL, "dim": 8, "heads": 2}).fit(X, y, pretrained=enc)


def test_fit_leaves_the_global_torch_rng_alone(table):
    X, y, _, _ = table
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    TabTransformerClassifier(epochs=1, **SMALL).fit(X.iloc[:100], y[:100])
    assert torch.equal(torch.rand(3), expected)


def test_bad_targets_are_data_errors(table):
    X, y, _, _ = table
    with pytest.raises(DataError):
        TabTransformerClassifier(epochs=1, **SMALL).fit(X, y[:-1])
    with pytest.raises(DataError):
        TabTransformerClassifier(epochs=1, **SMALL).fit(X, np.full((len(y), 2), 0.9))


def test_validation_keeps_the_best_auc_epoch_and_patience_stops_early(table):
    X, y, Xt, yt = table
    clf = TabTransformerClassifier(epochs=30, patience=2, **{**SMALL, "lr": 1e-2}).fit(X, y, valid=(Xt, yt))
    h = clf.history_
    run, best = len(h["train_loss"]), h["best_epoch"]
    assert len(h["valid_auc"]) == run and h["valid_auc"][best] == max(h["valid_auc"])
    # the validation AUC peaks within a few epochs here: training stopped 2 epochs after the best
    assert run == best + 3 < 30
    # the kept weights are the best epoch's: their validation AUC is the recorded one
    assert roc_auc_score(yt, clf.predict_proba(Xt)[:, 1]) == pytest.approx(h["valid_auc"][best], abs=1e-9)
