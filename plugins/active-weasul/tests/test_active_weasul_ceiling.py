import numpy as np
import pytest
import weasul
from weasul_active_weasul.ceiling import vote_ceiling


def test_ceiling_of_a_hand_counted_matrix():
    # bucket (1, 1): 3 of 4 training items are class 1; bucket (0, -1): 2 of 3 are class 0
    L_train = np.array([[1, 1]] * 4 + [[0, -1]] * 3)
    y_train = np.array([1, 1, 1, 0, 0, 0, 1])
    # test: bucket (1, 1) -> 1, bucket (0, -1) -> 0, bucket (-1, 0) unseen -> overall majority 1
    L_test = np.array([[1, 1], [1, 1], [0, -1], [0, -1], [-1, 0], [-1, 0]])
    y_test = np.array([0, 0, 1, 1, 1, 0])
    out = vote_ceiling(L_train, y_train, L_test, y_test)
    # learnt rule (1, 0, 1 per test bucket) is right only on the fifth item
    assert out["train_majority"]["accuracy"] == pytest.approx(1 / 6)
    # hindsight labels the buckets 0, 1, either: 2 + 2 + 1 right
    assert out["hindsight"]["accuracy"] == pytest.approx(5 / 6)


def test_hindsight_is_at_least_the_learnt_rule():
    rng = np.random.default_rng(0)
    L = rng.integers(-1, 2, (400, 4))
    y = (rng.random(400) < 0.3 + 0.4 * (L[:, 0] == 1)).astype(int)
    out = vote_ceiling(L[:300], y[:300], L[300:], y[300:])
    assert out["hindsight"]["accuracy"] >= out["train_majority"]["accuracy"] > 0.5


def test_synthetic_ceiling_is_where_maxkl_and_margin_meet():
    """On the paper's synthetic set no label model can beat 0.9623 (0.963 in hindsight): the
    value both maxKL and margin reach after one expert label, so neither can be ahead later."""
    data = weasul.create("datasets", "two-gaussians").load()
    out = vote_ceiling(data.train.L, data.train.y, data.test.L, data.test.y)
    assert out["train_majority"]["accuracy"] == pytest.approx(0.96233, abs=1e-4)
    assert out["hindsight"]["accuracy"] == pytest.approx(0.963, abs=1e-4)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((np.zeros((3, 2), int), np.zeros(2, int), np.zeros((2, 2), int), np.zeros(2, int)), "one label per row"),
        ((np.zeros((3, 2), int), np.zeros(3, int), np.zeros((2, 3), int), np.zeros(2, int)), "has 2 LFs but L_test has 3"),
        ((np.zeros((3, 2), int), np.array([0, 1, 2]), np.zeros((2, 2), int), np.zeros(2, int)), "classes 0..1"),
    ],
)
def test_bad_input_is_refused_with_a_reason(args, message):
    with pytest.raises(weasul.DataError, match=message):
        vote_ceiling(*args)
