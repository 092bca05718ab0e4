"""The active-learning loop for any LabelModel + QueryStrategy + Oracle."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from weasul.data import ExpertLabels, QueryState
from weasul.errors import DataError
from weasul.interfaces import LabelModel, Oracle, QueryStrategy
from weasul.progress import track
from weasul.steps import classification_metrics
from weasul.validation import check_label_matrix, check_labels

__all__ = ["active_loop"]

_log = logging.getLogger(__name__)

EvalSets = tuple[np.ndarray, np.ndarray] | Mapping[str, tuple[np.ndarray, np.ndarray]]
Callback = Callable[[dict[str, Any], LabelModel, QueryState], None]


def _eval_sets(eval: EvalSets | None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    if eval is None:
        return {}
    if isinstance(eval, tuple):
        eval = {"eval": eval}
    return {
        name: (
            check_label_matrix(L, name=f"eval '{name}' L", allow_silent_sources=True),
            check_labels(y, n_items=len(L), name=f"eval '{name}' y"),
        )
        for name, (L, y) in eval.items()
    }


def _expert(labelled: Mapping[int, int]) -> ExpertLabels | None:
    answered = {i: a for i, a in labelled.items() if a >= 0}
    return ExpertLabels.from_dict(answered) if answered else None


def active_loop(
    *,
    model: LabelModel,
    strategy: QueryStrategy,
    oracle: Oracle,
    L: np.ndarray,
    budget: int = 30,
    batch: int = 1,
    eval: EvalSets | None = None,
    X: np.ndarray | None = None,
    callback: Callback | None = None,
) -> list[dict[str, Any]]:
    """Query `budget` expert labels, `batch` per iteration, refitting `model` after each answer.

    Answers the oracle already holds (`oracle.known()`) are used first, so a restarted loop
    continues where it stopped. Returns one record per iteration (iteration 0 = before any
    new query): `n_labelled`, `queried` indices, `answers`, and metrics per eval set.
    `callback(record, model, state)` may add entries to each record (e.g. an end model's score).
    """
    L = check_label_matrix(L, allow_silent_sources=True)
    if budget < 0 or batch < 1:
        raise DataError(f"budget must be >= 0 and batch >= 1, got budget={budget}, batch={batch}")
    sets = _eval_sets(eval)
    labelled: dict[int, int] = {i: a for i, a in oracle.known().items() if 0 <= i < len(L)}
    if labelled:
        _log.info("resuming with %d answers already given", len(labelled))

    def record(iteration: int, queried: list[int], answers: list[int]) -> dict[str, Any]:
        state = QueryState(L, model.predict_proba(L), labelled, model, X, budget)
        row: dict[str, Any] = {
            "iteration": iteration,
            "n_labelled": sum(1 for a in labelled.values() if a >= 0),
            "queried": queried,
            "answers": answers,
        }
        for name, (L_eval, y_eval) in sets.items():
            row[name] = classification_metrics(y_eval, model.predict_proba(L_eval))
        if callback is not None:
            callback(row, model, state)
        return row

    model.fit(L, expert=_expert(labelled))
    history = [record(0, [], [])]
    max_iterations = (budget // batch + 1) * 4 + len(labelled)
    for iteration in track(range(1, max_iterations + 1), total=budget // batch, desc="active learning"):
        n_answered = sum(1 for a in labelled.values() if a >= 0)
        if n_answered >= budget or len(labelled) >= len(L):
            break
        state = QueryState(L, model.predict_proba(L), labelled, model, X, budget)
        picked = np.asarray(strategy.select(state, min(batch, budget - n_answered)), dtype=np.int64)
        if picked.size == 0:
            break
        oracle.observe(state)
        answers = np.asarray(oracle.label(picked), dtype=np.int64)
        for i, a in zip(picked.tolist(), answers.tolist(), strict=False):
            labelled[i] = a  # -1 = declined; kept so it is not asked again; not counted in the budget
        for i, a in oracle.revisions().items():  # e.g. an undone and re-given answer
            if 0 <= i < len(L):
                labelled[i] = int(a)
        model.fit(L, expert=_expert(labelled))
        history.append(record(iteration, picked.tolist(), answers.tolist()))
    return history
