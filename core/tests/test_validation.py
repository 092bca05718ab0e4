"""Shared input checks: clean input passes, each kind of bad input names the problem."""

import numpy as np
import pytest
from weasul.errors import DataError
from weasul.validation import check_features, check_label_matrix, check_labels, check_probs, check_same_length

L = np.array([[0, 1, -1], [1, 1, 0], [-1, -1, -1]])


def test_label_matrix_accepts_all_abstain_rows_and_float_integers():
    assert check_label_matrix(L.astype(float)).dtype == np.int64


@pytest.mark.parametrize(
    "bad, message",
    [
        (L[:, 0], "must be 2-D"),
        (L[:0], "empty"),
        (np.where(L == 1, 2, L), "n_classes=2"),
        (np.where(L == 1, -2, L), "use -1 for abstain"),
        (np.where(L == 1, np.nan, L), "NaN"),
        (L + 0.5, "non-integer"),
        (L.astype(str), "dtype"),
        (np.full((3, 3), -1), "no votes"),
        (np.column_stack([L, [-1, -1, -1]]), "column(s) [3] never vote"),
    ],
)
def test_label_matrix_errors(bad, message):
    with pytest.raises(DataError) as info:
        check_label_matrix(bad, n_classes=2)
    assert message in str(info.value)


def test_sparse_input_says_how_to_fix():
    scipy = pytest.importorskip("scipy.sparse")
    with pytest.raises(DataError, match="toarray"):
        check_label_matrix(scipy.csr_matrix(L))


def test_probs():
    P = np.array([[0.2, 0.8], [0.5, 0.5]], dtype=np.float32)
    assert check_probs(P).dtype == np.float32  # no silent upcast
    for bad, message in [
        (P * 0.5, "sums to"),
        (np.array([[np.nan, 1.0], [0.5, 0.5]]), "NaN"),
        (np.array([[-0.5, 1.5], [0.5, 0.5]]), "outside [0, 1]"),
        (P[:, :1], "at least two classes"),
    ]:
        with pytest.raises(DataError, match=message.replace("[", r"\[").replace("]", r"\]")):
            check_probs(bad)


def test_labels_and_lengths():
    with pytest.raises(DataError, match="n_classes=2"):
        check_labels([0, 1, 2], n_classes=2)
    with pytest.raises(DataError, match="label -1"):
        check_labels([0, -1])
    with pytest.raises(DataError, match="labels has 2, probs has 3"):
        check_same_length(labels=[0, 1], probs=[0, 1, 2])


def test_features():
    X = np.ones((3, 2))
    X[1, 1] = np.inf
    with pytest.raises(DataError, match="row 1, column 1"):
        check_features(X)
    with pytest.raises(DataError, match="encode text first"):
        check_features(np.array([["a", "b"]]))


def test_predict_time_accepts_a_batch_without_votes():
    batch = np.full((4, 3), -1)
    assert check_label_matrix(batch, allow_silent_sources=True, allow_no_votes=True).shape == (4, 3)
    with pytest.raises(DataError, match="no votes"):
        check_label_matrix(batch, allow_silent_sources=True)


def test_trec_fine_type_leak_is_removed():
    from weasul.builtin.datasets import remove_fine_type_prefix

    assert remove_fine_type_prefix(["def What is an atom ?", "city Where is Rome ?"]) == (
        ["what is an atom ?", "where is rome ?"],
        True,
    )
    clean = ["what is an atom ?", "def ine the word"]
    assert remove_fine_type_prefix(clean) == (clean, False)


def test_missing_folder_names_the_path(tmp_path):
    from weasul.validation import check_folder

    assert check_folder(tmp_path) == tmp_path
    with pytest.raises(DataError, match="data folder '.*nope' does not exist"):
        check_folder(tmp_path / "nope")


def test_n_sources_names_both_counts_before_reading_the_values():
    fitted_on_5 = np.zeros((3, 5), dtype=np.int64)
    assert check_label_matrix(fitted_on_5, n_sources=5).shape == (3, 5)
    with pytest.raises(DataError, match=r"L has 4 sources \(columns\) but the model was fitted on 5"):
        check_label_matrix(fitted_on_5[:, :4], n_sources=5)
    # the column count is checked first: a wrong-width matrix of strings names the count, not the dtype
    with pytest.raises(DataError, match="6 sources"):
        check_label_matrix(np.full((2, 6), "a"), n_sources=5, name="L_test")


def test_predict_time_n_classes_and_n_sources_together():
    batch = np.array([[0, 1, -1], [-1, -1, -1]])
    out = check_label_matrix(batch, n_classes=2, n_sources=3, allow_silent_sources=True, allow_no_votes=True)
    assert out.dtype == np.int64 and out.shape == (2, 3)
    with pytest.raises(DataError, match="label 2 but n_classes=2"):
        check_label_matrix(np.where(batch == 1, 2, batch), n_classes=2, n_sources=3, allow_silent_sources=True)


def _installed_label_models() -> list[str]:
    import weasul

    return sorted(p.name for p in weasul.available("label_models", load=False))


def _votes(n: int = 400, m: int = 5, seed: int = 0) -> np.ndarray:
    """Binary votes, each source right 75% of the time and voting on 70% of the items."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    L = np.where(rng.random((n, m)) < 0.75, y[:, None], 1 - y[:, None])
    L[rng.random((n, m)) > 0.7] = -1
    return L


@pytest.mark.parametrize("name", _installed_label_models())
def test_every_label_model_checks_sources_at_predict_time_and_fit_before_predict(name):
    from weasul.errors import NotFittedError
    from weasul.plugins import load_class

    cls = load_class("label_models", name)
    model = cls.examples()[0]
    L = _votes()
    with pytest.raises(NotFittedError, match="not fitted; call fit"):
        model.clone().predict_proba(L)
    model.fit(L)
    assert model.predict_proba(L[:7]).shape[0] == 7
    with pytest.raises(DataError, match=r"L has 4 sources \(columns\) but the model was fitted on 5"):
        model.predict_proba(L[:, :4])
    with pytest.raises(DataError, match=r"L has 6 sources \(columns\) but the model was fitted on 5"):
        model.predict_proba(np.column_stack([L, L[:, 0]]))
