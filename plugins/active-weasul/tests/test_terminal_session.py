"""`weasul label` as a person sees it: "answered 3 of 20", a skip costs no budget, `u` undoes."""

from __future__ import annotations

import io
import sys
from typing import Any

import numpy as np
from weasul.active import active_loop
from weasul.data import QueryState
from weasul.interfaces import LabelModel, QueryStrategy
from weasul_active_weasul import TerminalOracle


class _Recorder(LabelModel):
    def fit(self, L: np.ndarray, *, y_dev: Any = None, expert: Any = None) -> _Recorder:
        self.n_classes_ = 2
        pairs = [] if expert is None else zip(expert.indices.tolist(), expert.labels.tolist(), strict=True)
        self.expert_ = dict(pairs)
        return self

    def predict_proba(self, L: np.ndarray) -> np.ndarray:
        return np.full((len(L), 2), 0.5)


class _InOrder(QueryStrategy):
    def select(self, state: QueryState, budget: int) -> np.ndarray:
        return state.unlabelled()[:budget]


def test_session_counts_skips_and_undoes(tmp_path, monkeypatch, capsys) -> None:
    L = np.array([[1, 0], [0, 0], [1, 1], [0, 1], [1, -1], [0, -1]])
    texts = np.array([f"comment {i}" for i in range(len(L))], dtype=object)
    oracle = TerminalOracle(path=str(tmp_path / "labels.sqlite"), class_names=["ham", "spam"]).bind(
        text=texts, L=L
    )
    # item 0: spam; item 1: skip; item 2: undo (item 1's skip), answer item 1 ham, then item 2 spam;
    # item 3: ham -> three answers, the budget
    monkeypatch.setattr(sys, "stdin", io.StringIO("spam\ns\nu\n0\n1\nham\n"))
    model = _Recorder()
    history = active_loop(model=model, strategy=_InOrder(), oracle=oracle, L=L, budget=3, batch=1)
    shown = capsys.readouterr().out
    assert "--- answered 0 of 3 ---" in shown and "--- answered 1 of 3 ---" in shown
    assert "undone: item 1 (was skipped); answer it again" in shown
    assert "query 1 of 1" not in shown and "--- answered 2 of 3 ---" in shown
    assert history[-1]["n_labelled"] == 3
    assert oracle.known() == {0: 1, 1: 0, 2: 1}
    assert model.expert_ == {0: 1, 1: 0, 2: 1}  # the undone skip became an answer the model uses


def test_undo_with_nothing_to_undo_and_an_undone_answer(tmp_path, monkeypatch, capsys) -> None:
    texts = np.array(["a", "b"], dtype=object)
    oracle = TerminalOracle(path=str(tmp_path / "labels.sqlite"), class_names=["ham", "spam"]).bind(
        text=texts
    )
    monkeypatch.setattr(sys, "stdin", io.StringIO("u\nspam\nu\nham\nspam\n"))
    assert oracle.label(np.array([0, 1])).tolist() == [1, 1]
    shown = capsys.readouterr().out
    assert "nothing to undo" in shown and "undone: item 0 (was spam)" in shown
    assert oracle.known() == {0: 0, 1: 1} and oracle.revisions() == {0: 0} and oracle.revisions() == {}
