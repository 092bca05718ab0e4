"""The active loop: budget, batches, history records, resuming from an oracle's answers."""

import numpy as np
import pytest
import weasul
from weasul import Oracle, WeasulParams
from weasul.testing import samples


class Remembering(Oracle):
    """Gold answers that also remembers them, like a persistent store would."""

    class Params(WeasulParams):
        y: list[int]
        known_before: dict[int, int] = {}

    def label(self, indices):
        return np.asarray(self.params.y)[np.asarray(indices)]

    def known(self):
        return dict(self.params.known_before)


def test_loop_records_history_and_respects_budget(toy_plugins):
    L, y = samples.label_matrix(n=200, seed=3)
    L_test, y_test = samples.label_matrix(n=100, seed=4)
    history = weasul.active_loop(
        model=weasul.create("label_models", "toy-vote"),
        strategy=weasul.create("query_strategies", "toy-first"),
        oracle=weasul.create("oracles", "gold", y=y.tolist()),
        L=L,
        budget=7,
        batch=3,
        eval=(L_test, y_test),
    )
    assert [h["n_labelled"] for h in history] == [0, 3, 6, 7]
    queried = [i for h in history for i in h["queried"]]
    assert len(queried) == len(set(queried)) == 7
    assert all(h["answers"] == [int(y[i]) for i in h["queried"]] for h in history)
    assert 0.7 < history[-1]["eval"]["accuracy"] <= 1.0


def test_loop_resumes_from_known_answers(toy_plugins):
    L, y = samples.label_matrix(n=50, seed=5)
    oracle = Remembering(y=y.tolist(), known_before={0: int(y[0]), 1: int(y[1])})
    history = weasul.active_loop(
        model=weasul.create("label_models", "toy-vote"),
        strategy=weasul.create("query_strategies", "toy-first"),
        oracle=oracle,
        L=L,
        budget=4,
    )
    assert history[0]["n_labelled"] == 2
    asked = [i for h in history for i in h["queried"]]
    assert len(asked) == 2 and not {0, 1} & set(asked)


def test_gold_oracle_accepts_numpy_and_checks_range():
    oracle = weasul.create("oracles", "gold", y=np.array([0, 1, 1]))
    assert oracle.label(np.array([2, 0])).tolist() == [1, 0]
    with pytest.raises(weasul.DataError, match="knows 3 items"):
        oracle.label(np.array([5]))
