"""Python API misuse (issue 15, messages): raw exceptions from built-in plugins become
WeasulErrors that say what is wrong; the sklearn classifier refuses targets that are not
probabilities instead of returning rows that do not sum to 1."""

from __future__ import annotations

import numpy as np
import pytest
import weasul
from weasul.errors import DataError, WeasulError

pytest.importorskip("sklearn")

rng = np.random.default_rng(0)
X = rng.normal(size=(40, 3))
y = (X[:, 0] > 0).astype(int)


def _clf():
    return weasul.create("classifiers", "sklearn")


def test_tfidf_on_empty_documents_names_the_problem():
    enc = weasul.create("encoders", "tfidf")
    with pytest.raises(DataError, match="no words"):
        enc.fit(["", "  ", "."])
    with pytest.raises(DataError, match="is empty"):
        enc.fit([])


@pytest.mark.parametrize(
    "targets, message",
    [
        (np.where(y == 1, np.nan, 0.0), "NaN"),
        (np.zeros(40, dtype=int), "one class"),
        (np.column_stack([np.full(40, 0.5), np.full(40, 0.05)]), "sums to 0.55"),
        (np.column_stack([np.full(40, np.nan), np.full(40, 0.5)]), "NaN"),
        (np.column_stack([np.ones(40), np.zeros(40)]), "one class"),
        (y[:30], "40 rows but targets has 30"),
        (np.where(y == 1, 2.5, 0), "non-integer"),
    ],
)
def test_sklearn_classifier_refuses_bad_targets(targets, message):
    with pytest.raises(DataError, match=message):
        _clf().fit(X, targets)


def test_sklearn_classifier_refuses_nan_features():
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(DataError, match="row 3, column 1"):
        _clf().fit(bad, y)
    model = _clf().fit(X, y)
    with pytest.raises(DataError, match="NaN"):
        model.predict_proba(bad)
    P = model.predict_proba(X)
    assert np.allclose(P.sum(axis=1), 1)


def test_truncated_model_file_is_a_data_error(tmp_path):
    path = _clf().fit(X, y).save(tmp_path / "clf.safetensors")
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(DataError, match="clf.safetensors is not a readable safetensors file"):
        type(_clf()).load(path)
    lm_path = tmp_path / "lm.safetensors"
    weasul.create("label_models", "majority-vote").fit(np.array([[0, 1], [1, 1]])).save(lm_path)
    lm_path.write_bytes(lm_path.read_bytes()[:-5])
    with pytest.raises(DataError, match="lm.safetensors is not a readable safetensors file"):
        type(weasul.create("label_models", "majority-vote")).load(lm_path)


def test_another_plugins_file_is_refused_by_name(tmp_path):
    pytest.importorskip("weasul_baselines")
    L = np.array([[0, 1], [1, 1], [0, 0]])
    path = weasul.create("label_models", "dawid-skene", n_classes=2).fit(L).save(tmp_path / "ds.safetensors")
    with pytest.raises(DataError, match=r"ds.safetensors was saved by .*DawidSkene, not .*MajorityVote"):
        type(weasul.create("label_models", "majority-vote")).load(path)
    clf_path = _clf().fit(X, y).save(tmp_path / "clf.safetensors")
    with pytest.raises(DataError, match=r"saved by .*SklearnClassifier, not .*DawidSkene"):
        type(weasul.create("label_models", "dawid-skene")).load(clf_path)
    with pytest.raises(DataError, match=r"saved by .*DawidSkene, not .*SklearnClassifier"):
        type(_clf()).load(path)


def test_every_error_here_is_a_weasul_error():
    assert issubclass(DataError, WeasulError)
