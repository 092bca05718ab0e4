"""The active loop and a labelling person: declined items cost no budget, revisions (undo) count,
the oracle sees the budget."""

from __future__ import annotations

from typing import Any

import numpy as np
from weasul.active import active_loop
from weasul.data import QueryState
from weasul.interfaces import LabelModel, Oracle, QueryStrategy


class _Recorder(LabelModel):
    """Probabilities from the last expert labels it was fitted with (and records them)."""

    def fit(self, L: np.ndarray, *, y_dev: Any = None, expert: Any = None) -> _Recorder:
        self.n_classes_ = 2
        self.expert_ = (
            {} if expert is None else dict(zip(expert.indices.tolist(), expert.labels.tolist(), strict=True))
        )
        return self

    def predict_proba(self, L: np.ndarray) -> np.ndarray:
        return np.full((len(L), 2), 0.5)


class _InOrder(QueryStrategy):
    def select(self, state: QueryState, budget: int) -> np.ndarray:
        return state.unlabelled()[:budget]


class _Person(Oracle):
    """Declines odd items; after the 3rd answer changes its mind about item 0 (an undo)."""

    def label(self, indices: np.ndarray) -> np.ndarray:
        self.asked = [*getattr(self, "asked", []), *indices.tolist()]
        return np.array([-1 if i % 2 else 1 for i in indices.tolist()])

    def observe(self, state: QueryState) -> None:
        self.budgets = [*getattr(self, "budgets", []), state.budget]

    def revisions(self) -> dict[int, int]:
        if len(getattr(self, "asked", [])) == 3 and not getattr(self, "revised", False):
            self.revised = True
            return {0: 0}
        return {}


def test_declined_items_do_not_spend_the_budget_and_revisions_apply() -> None:
    L = np.zeros((20, 3), dtype=np.int64) - 1
    L[:, 0] = 1
    person = _Person()
    model = _Recorder()
    history = active_loop(model=model, strategy=_InOrder(), oracle=person, L=L, budget=4, batch=1)
    assert history[-1]["n_labelled"] == 4  # four answers, though seven items were asked
    assert person.asked == [0, 1, 2, 3, 4, 5, 6]
    assert set(person.budgets) == {4}
    # item 0 was first answered 1, then revised to 0; the model was refitted with the revision
    assert model.expert_ == {0: 0, 2: 1, 4: 1, 6: 1}
